/**
 * The API the dashboard adds (also usable with the bearer token): overview, risk state and the kill switch's
 * unlock, strategy rows with their last decision, strategy validation with every problem at its JSON path,
 * deal and trade history (JSON or CSV), performance, decisions, the event stream. Every route declares its zod
 * schemas: they validate the input and make the OpenAPI document (GET /openapi.json).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { strategyMagic } from '../../engine/runner.js';
import { StrategyError, normalizeStrategy } from '../../engine/strategy/normalize.js';
import type { Store } from '../state/store.js';
import type { StrategyManager } from '../trading/manager.js';
import type { Feed } from './feed.js';
import { byCloseTime, dealRow, filterTrades, performanceOf, tradesCsv, historyTrades } from './history.js';
import {
  accountQuery, dealsSchema, decisionsSchema, ordersSchema, errorSchema, overviewSchema, performanceSchema, riskSchema, strategyRowsSchema, tradesQuerySchema, tradesSchema,
  unlockBodySchema, validateResultSchema, type AccountRow, type Risk, type StrategyRow,
} from './schemas.js';

/** What a route acts on: one account's manager, state and feed. */
export interface AccountScope {
  manager: StrategyManager;
  store: Store;
  feed: Feed;
}

export interface RouteDeps {
  /** The account of `?account=login@server` (undefined: the primary); undefined when the host has no such account. */
  scope: (key: string | undefined) => AccountScope | undefined;
  version: string;
  platformConnected: () => boolean | null;
  log: { warn(o: object, m: string): void };
  /** Every account of the host; the overview lists them when there are several. */
  accounts: () => AccountRow[];
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** The page's reads (it reloads what it shows on every event, at most twice a second each) get their own, larger budget. */
export const PAGE_READS = { rateLimit: { max: 1200, timeWindow: 60_000 } };

export function riskState(m: StrategyManager): Risk {
  const v = m.riskView();
  const a = m.account();
  const ps = m.positions();
  const count = (key: (p: (typeof ps)[number]) => string | number) => {
    const c = new Map<string | number, number>();
    for (const p of ps) c.set(key(p), (c.get(key(p)) ?? 0) + 1);
    return Math.max(0, ...c.values());
  };
  const lotsOn = new Map<string, number>();
  for (const p of ps) lotsOn.set(p.symbol, (lotsOn.get(p.symbol) ?? 0) + p.volume);
  const used: Record<string, number> = {
    maxDailyLossPercent: v.dailyLossPct,
    maxDailyLossMoney: a && v.dayStartBalance !== null ? Math.max(0, v.dayStartBalance - a.equity) : 0,
    maxDrawdownPercent: a && v.equityPeak > 0 ? Math.max(0, ((v.equityPeak - a.equity) / v.equityPeak) * 100) : 0,
    maxLot: Math.max(0, ...ps.map((p) => p.volume)),
    maxPositionsAccount: ps.length,
    maxPositionsSymbol: count((p) => p.symbol),
    maxPositionsStrategy: count((p) => p.magic),
    maxCorrelatedLots: Math.max(0, ...lotsOn.values()),
  };
  const limits: Record<string, number> = {};
  for (const [k, x] of Object.entries(v.limits)) if (typeof x === 'number') limits[k] = x;
  const use = Object.entries(limits).filter(([k]) => k in used).map(([limit, value]) => ({
    limit, value, used: r2(used[limit]!), pct: value > 0 ? Math.round((used[limit]! / value) * 1000) / 10 : 0,
  }));
  const ks = m.killSwitch;
  return {
    // locked by the manager's clock (the simulated broker's in tests)
    limits, use, killSwitch: { locked: (m.status().killSwitch as { locked: boolean }).locked, lockedUntil: ks.lockedUntil || null, reason: ks.lastReason },
    dayStartBalance: v.dayStartBalance, equityPeak: a ? r2(v.equityPeak) : null,
  };
}

export async function registerRoutes(root: FastifyInstance, d: RouteDeps): Promise<void> {
  await root.register(async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    // "body.confirm: …": where the input is wrong and what would be right
    app.setSchemaErrorFormatter((errors, where) => {
      const e = new Error(errors.map((x) => `${where}${x.instancePath ? x.instancePath.replace(/\//g, '.') : ''}: ${x.message ?? 'invalid'}`).join('; '));
      return Object.assign(e, { statusCode: 400 });
    });
    // the same answer as the API's other routes: { error } with what is wrong
    plain.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (code >= 500) d.log.warn({ err: err.message, url: req.url }, 'api error');
      void reply.code(code).send({ error: code >= 500 ? 'internal error (see the host log)' : err.message });
    });
    // every page reads one account: `?account=login@server`, else the primary (docs/dashboard.md)
    const at = (req: FastifyRequest): AccountScope => {
      const key = (req.query as { account?: unknown } | undefined)?.account;
      if (key !== undefined && typeof key !== 'string') throw Object.assign(new Error('account: give one login@server'), { statusCode: 400 });
      const scope = d.scope(key);
      if (!scope) throw Object.assign(new Error(`no account ${String(key)} on this host: GET /accounts lists them (login@server)`), { statusCode: 404 });
      return scope;
    };
    const magicToStrategy = (m: StrategyManager) => {
      const map = new Map<number, string>();
      for (const r of m.list()) {
        const run = m.get(r.id);
        if (run) map.set(strategyMagic(run.strategy), r.id);
      }
      return (magic: number) => map.get(magic) ?? null;
    };
    // the account's closed trades, and the paper account's (`mode: paper` strategies; each venue's positions apart)
    const liveTrades = async ({ manager: m, feed }: AccountScope) => historyTrades(await feed.allDeals(), magicToStrategy(m));
    const paperTrades = async ({ manager: m, feed }: AccountScope) => historyTrades(await feed.paperDeals(), magicToStrategy(m));
    const trades = async (a: AccountScope) => byCloseTime(await liveTrades(a), await paperTrades(a));

    app.get('/overview', { config: PAGE_READS, schema: { tags: ['dashboard'], summary: 'Account, connections, risk use, kill switch', response: { 200: overviewSchema } } }, async (req) => {
      const { manager: m, store } = at(req);
      const a = m.account();
      const risk = riskState(m);
      return {
        version: d.version,
        account: a ? {
          login: a.login, server: a.server, name: a.name ?? '', currency: a.currency, tradeMode: a.tradeMode, leverage: a.leverage, balance: a.balance, equity: a.equity,
          margin: a.margin, freeMargin: a.freeMargin, marginLevel: a.marginLevel, profit: a.profit,
          todayPnl: risk.dayStartBalance !== null ? r2(a.equity - risk.dayStartBalance) : null,
          paper: (a as { paper?: boolean }).paper === true,
        } : null,
        paper: m.status().paper === true,
        connection: { ea: m.status().terminalConnected === true, platform: d.platformConnected(), outboxDepth: store.outbox.length },
        positions: m.positions().length, strategies: m.list().length, risk,
        accounts: d.accounts(),
      };
    });

    app.get('/risk', { config: PAGE_READS, schema: { tags: ['risk'], summary: 'Risk limits, how much of each is used, the kill switch', response: { 200: riskSchema } } }, async (req) => riskState(at(req).manager));

    app.post('/kill-switch/unlock', {
      schema: { tags: ['risk'], summary: 'End the kill switch\'s lock early (an operator\'s decision; strategies stay stopped)', body: unlockBodySchema, response: { 200: riskSchema, 409: errorSchema } },
    }, async (req, reply) => {
      const { manager: m, store, feed } = at(req);
      const ks = m.killSwitch;
      if (!ks.lockedUntil) return reply.code(409).send({ error: 'the kill switch is not locked' });
      m.releaseKillSwitch();
      store.audit(Math.floor(Date.now() / 1000), 'kill switch unlocked', { by: 'local API' });
      await store.write();
      d.log.warn({ account: m.account() ? `${m.account()!.login}@${m.account()!.server}` : null }, 'kill switch unlocked by the trader; stopped strategies stay stopped until started');
      feed.send('kill', {});
      return riskState(m);
    });

    app.get('/strategies-overview', {
      config: PAGE_READS,
      schema: { tags: ['strategies'], summary: 'Every strategy with its state, P&L and last decision (with its trace)', response: { 200: strategyRowsSchema } },
    }, async (req) => {
      const scope = at(req), { manager: m, feed } = scope;
      const closed = new Map<string, number>();
      for (const t of await trades(scope).catch(() => [])) if (t.strategyId) closed.set(t.strategyId, (closed.get(t.strategyId) ?? 0) + t.net);
      const positions = m.positions();
      const modes = new Map((m.status().strategies as { id: string; mode: 'live' | 'paper' }[]).map((x) => [x.id, x.mode]));
      const rows: StrategyRow[] = m.list().map((rec) => {
        const s = m.get(rec.id)!.strategy;
        const magic = strategyMagic(s);
        const mine = positions.filter((p) => p.magic === magic);
        return {
          id: rec.id, name: s.name, status: rec.status, symbol: s.symbol, timeframe: s.timeframe, magic, mode: modes.get(rec.id) ?? 'live', openPositions: mine.length,
          floating: r2(mine.reduce((x, p) => x + p.profit + p.swap, 0)), closedNet: r2(closed.get(rec.id) ?? 0), updatedAt: rec.updatedAt,
          lastDecision: feed.lastDecision(rec.id), lastSignal: feed.lastSignal(rec.id), parameters: rec.parameters,
        };
      });
      return { strategies: rows };
    });

    app.post('/strategies/validate', {
      schema: { tags: ['strategies'], summary: 'Check a strategy without starting it: every problem at its JSON path', body: z.unknown(), response: { 200: validateResultSchema } },
    }, async (req) => {
      const raw = req.body;
      const input = raw && typeof raw === 'object' && 'parameters' in raw && !('rules' in raw) ? (raw as { parameters: unknown }).parameters : raw;
      try {
        const s = normalizeStrategy(input);
        return { ok: true, problems: [], warnings: s.warnings, id: s.id };
      } catch (e) {
        if (!(e instanceof StrategyError)) throw e;
        return { ok: false, problems: e.problems.map((p) => ({ path: p.path, message: p.message })), warnings: [], id: null };
      }
    });

    app.get('/orders', { config: PAGE_READS, schema: { tags: ['positions'], summary: 'The terminal\'s pending orders', response: { 200: ordersSchema } } }, async (req) => ({
      orders: (at(req).manager.attachedTerminal()?.orders ?? []).map((o) => ({ ...o, ticket: o.ticket.toString() })),
    }));

    app.get('/history/deals', {
      config: PAGE_READS,
      schema: { tags: ['history'], summary: 'The terminal\'s deals', querystring: z.object({ from: z.coerce.number().int().min(0).default(0).describe('server time, s'), account: accountQuery }), response: { 200: dealsSchema, 503: errorSchema } },
    }, async (req, reply) => {
      const { manager: m, feed } = at(req);
      if (!m.attachedTerminal()?.connected) return reply.code(503).send({ error: 'no terminal connected: the deal history comes from it' });
      const deals = [...(await feed.allDeals()), ...(await feed.paperDeals())].sort((x, y) => x.time - y.time);
      return { deals: deals.filter((x) => x.time >= req.query.from).map(dealRow) };
    });

    app.get('/history/trades', {
      config: PAGE_READS,
      schema: { tags: ['history'], summary: 'Closed trades with exit reasons; filters; format=csv for a spreadsheet', querystring: tradesQuerySchema, response: { 200: tradesSchema, 503: errorSchema } },
    }, async (req, reply) => {
      const scope = at(req);
      if (!scope.manager.attachedTerminal()?.connected) return reply.code(503).send({ error: 'no terminal connected: the trade history comes from it' });
      const all = await trades(scope);
      const list = filterTrades(all, req.query);
      if (req.query.format === 'csv') {
        const name = `trades${req.query.strategy ? '-' + req.query.strategy.replace(/[^\w.-]/g, '_') : ''}.csv`;
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).serializer((x: unknown) => x as string).send(tradesCsv(list) as never);
      }
      return { trades: list, total: all.length };
    });

    app.get('/performance', {
      config: PAGE_READS,
      schema: { tags: ['history'], summary: 'Balance and drawdown curves, equity samples, per-strategy figures, monthly returns', response: { 200: performanceSchema } },
    }, async (req) => {
      const scope = at(req), { manager: m, feed } = scope;
      const a = m.account();
      const on = m.attachedTerminal()?.connected === true;
      // the account's curve from its own trades; the paper account's trades only in the figures per strategy
      return performanceOf(on ? await liveTrades(scope) : [], a?.balance ?? null, feed.equity, a?.currency ?? null, on ? await paperTrades(scope) : []);
    });

    app.get('/decisions', {
      config: PAGE_READS,
      schema: { tags: ['decisions'], summary: 'Recent decisions: signals with traces, ML gate, supervisor, blocked entries, confirmations (newest first)', querystring: z.object({ strategy: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(2000).default(300), account: accountQuery }), response: { 200: decisionsSchema } },
    }, async (req) => ({ decisions: at(req).feed.decisions(req.query.limit, req.query.strategy) }));

    app.get('/events', { config: PAGE_READS, schema: { tags: ['dashboard'], summary: 'Server-sent events: account, positions, fill, decision, confirmation, kill, connection, changed' } }, (req, reply) => {
      const { feed } = at(req); // (an unknown account answers 404 before the stream starts)
      reply.hijack();
      feed.stream(req.raw, reply.raw);
    });
  });
}
