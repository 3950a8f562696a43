/**
 * The local HTTP API, for the dashboard to come and for scripts. Loopback only (the Host header is checked
 * too, against DNS rebinding), a bearer token on every route, CORS only for the dashboard's own origin, rate
 * and body-size limits. Every change is a command run by the same CommandProcessor the platform's commands use
 * — validated the same way and executed once per `Idempotency-Key` — so the API cannot do anything the
 * platform contract does not describe, nor do it twice.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { CommandOutcome, CommandProcessor } from '../platform/commands.js';
import type { LogBus, Logger } from '../logger.js';
import { ManagerError, type StrategyManager } from '../trading/manager.js';
import type { Store } from '../state/store.js';
import { tokenMatches } from '../state/token.js';
import type { Dashboard } from '../dashboard/dashboard.js';

export interface ApiOptions {
  host: string;
  port: number;
  token: string;
  corsOrigin?: string | undefined;
  manager: StrategyManager;
  processor: CommandProcessor;
  store: Store;
  log: Logger;
  bus?: LogBus;
  version: string;
  platformConnected?: () => boolean;
  /** Requests per minute per client (default 300). */
  rateLimitPerMinute?: number;
  /** Largest accepted body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** The trader's dashboard (src/host/dashboard): its page, routes and session sign-in. */
  dashboard?: Dashboard;
  /** Several accounts (docs/host.md "Several accounts"): `?account=login@server` picks one; default the primary. */
  accounts?: {
    /** The account of `key` (undefined: the primary), if the host knows it. */
    get(key: string | undefined): ApiAccount | undefined;
    summary(): unknown[];
    /** Every account, the primary first (the metrics carry each, labelled). */
    list(): { key: string | undefined; manager: StrategyManager; store: Store }[];
  };
}

/** What an account-specific route acts on. */
export interface ApiAccount {
  key: string | undefined;
  manager: StrategyManager;
  store: Store;
  processor: CommandProcessor;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** JSON with 64-bit tickets as strings (MT5 tickets are uint64; JSON numbers would round them). */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

const HTTP_FOR: Record<string, number> = { INVALID: 400, NOT_FOUND: 404, STATE: 409, LOCKED: 423, NO_TERMINAL: 503, BROKER: 422, STORAGE: 507, NOT_PREPARED: 502 };

/** How long a request waits for its command before answering 202 `executing` (a retry with its key gives the end). */
const ANSWER_WITHIN_MS = 15_000;

export class LocalApi {
  readonly app: FastifyInstance;
  private readonly registry = new Registry();
  private readonly started = Date.now();
  /** Requests signed in through the dashboard's session (the rest carry the API token): who, in the audit trail. */
  private readonly fromDashboard = new WeakSet<FastifyRequest>();
  /** The account each request acts on (its `?account=`, else the primary). */
  private readonly accountOf = new WeakMap<FastifyRequest, ApiAccount>();

  constructor(private readonly o: ApiOptions) {
    if (!LOOPBACK.has(o.host)) throw new Error(`api.host: ${o.host} is not a loopback address; the local API listens on 127.0.0.1 only`);
    if (o.corsOrigin === '*') throw new Error("api.corsOrigin: '*' would let any web page drive the executor; give the dashboard's origin");
    this.app = Fastify({ logger: false, bodyLimit: o.bodyLimit ?? 64 * 1024 });
    this.app.setReplySerializer((payload) => toJson(payload));
    this.metrics();
  }

  async start(): Promise<number> {
    const { app, o } = this;
    await app.register(rateLimit, { max: o.rateLimitPerMinute ?? 300, timeWindow: 60_000 });
    await app.register(cors, { origin: o.corsOrigin ? [o.corsOrigin] : false, allowedHeaders: ['authorization', 'content-type', 'idempotency-key'], methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] });
    if (o.dashboard) await o.dashboard.register(app, () => this.port());
    app.addHook('onRequest', async (req, reply) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!LOOPBACK.has(host)) return reply.code(421).send({ error: `Host '${req.headers.host}' is not this executor: use http://127.0.0.1:${this.port()}` });
      if (req.method === 'OPTIONS') return;
      // the dashboard's page and its signed-in sessions (a cookie and, for changes, a CSRF token)
      const viaDashboard = o.dashboard?.authenticate(req, reply);
      if (viaDashboard === 'refused') return reply;
      if (viaDashboard === 'session') this.fromDashboard.add(req);
      if (viaDashboard === 'public' || viaDashboard === 'session') return;
      const auth = req.headers.authorization ?? '';
      const presented = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
      if (!presented || !tokenMatches(presented, o.token)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong token: send Authorization: Bearer <token> (mt5-executor token --api shows it)' });
      }
    });
    app.addHook('preHandler', async (req, reply) => {
      const key = (req.query as { account?: unknown } | undefined)?.account;
      if (key !== undefined && typeof key !== 'string') return reply.code(400).send({ error: 'account: give one login@server' });
      const a = o.accounts ? o.accounts.get(key) : key === undefined ? { key: undefined, manager: o.manager, store: o.store, processor: o.processor } : undefined;
      if (!a) return reply.code(404).send({ error: `no account ${String(key)} on this host: GET /accounts lists them (login@server)` });
      this.accountOf.set(req, a);
    });
    app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (code >= 500) o.log.error({ err: err.message, url: req.url }, 'api error');
      void reply.code(code).send({ error: code >= 500 ? 'internal error (see the host log)' : err.message });
    });
    app.setNotFoundHandler((req, reply) => void reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));
    this.routes();
    await app.listen({ host: o.host === 'localhost' ? '127.0.0.1' : o.host, port: o.port });
    o.log.info({ port: this.port() }, 'local API listening');
    return this.port();
  }

  port(): number {
    const a = this.app.server.address();
    return a && typeof a === 'object' ? a.port : this.o.port;
  }

  async stop(): Promise<void> {
    this.o.dashboard?.close();
    await this.app.close();
  }

  // ------------------------------------------------------------------------------------------ routes

  private routes(): void {
    const { app, o } = this;
    /** The manager of the request's account. */
    const mOf = (req: FastifyRequest) => this.acct(req).manager;
    app.get('/health', async (req) => {
      const m = mOf(req);
      return {
        ok: true,
        version: o.version,
        uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
        terminalConnected: m.status().terminalConnected,
        paper: m.isPaper(), // the host trades on paper (start --paper): nothing reaches the broker
        platformConnected: o.platformConnected?.() ?? null,
        strategies: m.list().length,
        brokerTime: m.brokerZone(),
        ...(o.accounts ? { accounts: o.accounts.summary() } : {}),
      };
    });
    app.get('/accounts', async () => o.accounts?.summary() ?? []);
    app.get('/account', async (req, reply) => {
      const a = mOf(req).account();
      if (!a) return reply.code(503).send({ error: 'no terminal connected yet' });
      return a;
    });
    app.get('/positions', async (req) => mOf(req).positions());
    app.get('/strategies', async (req) => mOf(req).list());
    app.get<{ Params: { id: string } }>('/strategies/:id', async (req, reply) => {
      const r = mOf(req).get(req.params.id);
      return r ? r.record : reply.code(404).send({ error: `no strategy ${req.params.id}` });
    });
    app.get('/metrics', async (_req, reply) => reply.type(this.registry.contentType).send(await this.registry.metrics()));
    app.get('/logs/stream', (req, reply) => this.logStream(req, reply));

    const body = (req: FastifyRequest): Record<string, unknown> => {
      const b = req.body;
      if (b === undefined || b === null) return {};
      if (typeof b !== 'object' || Array.isArray(b)) throw Object.assign(new Error('the body must be a JSON object'), { statusCode: 400 });
      return b as Record<string, unknown>;
    };
    type P = { Params: { id: string; ticket: string } };
    app.post('/strategies', (req, reply) => this.command(req, reply, 'START_STRATEGY', body(req)));
    app.post<P>('/strategies/:id/stop', (req, reply) => this.command(req, reply, 'STOP_STRATEGY', { ...body(req), strategyId: req.params.id }));
    app.post<P>('/strategies/:id/pause', (req, reply) => this.command(req, reply, 'PAUSE_STRATEGY', { strategyId: req.params.id }));
    app.post<P>('/strategies/:id/resume', (req, reply) => this.command(req, reply, 'RESUME_STRATEGY', { strategyId: req.params.id }));
    app.put<P>('/strategies/:id', (req, reply) => this.command(req, reply, 'UPDATE_STRATEGY', { ...body(req), strategyId: req.params.id }));
    app.delete<P & { Querystring: { closePositions?: string } }>('/strategies/:id', async (req, reply) => {
      const what = { action: 'DELETE_STRATEGY', strategyId: req.params.id, closePositions: req.query.closePositions === 'true' };
      try {
        await mOf(req).delete(req.params.id, req.query.closePositions === 'true');
        this.audit(req, what, { status: 'executed' });
        return { deleted: req.params.id };
      } catch (e) {
        const code = e instanceof ManagerError ? (HTTP_FOR[e.code] ?? 500) : 500;
        this.audit(req, what, { status: 'failed', error: (e as Error).message });
        return reply.code(code).send({ error: (e as Error).message });
      }
    });
    app.post('/orders', (req, reply) => this.command(req, reply, 'OPEN_POSITION', body(req)));
    app.post<P>('/positions/:ticket/close', (req, reply) => this.command(req, reply, 'CLOSE_POSITION', { ...body(req), ticket: req.params.ticket }));
    app.patch<P>('/positions/:ticket', (req, reply) => this.command(req, reply, 'MODIFY_POSITION', { ...body(req), ticket: req.params.ticket }));
    app.post('/close-all', (req, reply) => this.command(req, reply, 'CLOSE_ALL', body(req)));
    app.post('/emergency-stop', (req, reply) => this.command(req, reply, 'EMERGENCY_STOP', { reason: 'emergency stop from the local API', ...body(req) }));
    app.put('/risk-limits', (req, reply) => this.command(req, reply, 'UPDATE_RISK_LIMITS', body(req)));
    // entries the LLM supervisor wants the trader to confirm (docs/ML.md)
    app.get('/confirmations', async (req) => mOf(req).pendingConfirmations());
    const answer = async (req: FastifyRequest<{ Params: { intentId: string } }>, reply: FastifyReply, confirm: boolean) => {
      const what = { action: confirm ? 'CONFIRM_ENTRY' : 'REJECT_ENTRY', intentId: req.params.intentId.slice(0, 64) };
      try {
        const result = await mOf(req).answerConfirmation(req.params.intentId, confirm);
        this.audit(req, what, { status: 'executed', result });
        return result;
      } catch (e) {
        const code = e instanceof ManagerError ? (HTTP_FOR[e.code] ?? 500) : 500;
        this.audit(req, what, { status: 'failed', error: (e as Error).message });
        return reply.code(code).send({ error: (e as Error).message });
      }
    };
    app.post<{ Params: { intentId: string } }>('/confirmations/:intentId', (req, reply) => answer(req, reply, true));
    app.delete<{ Params: { intentId: string } }>('/confirmations/:intentId', (req, reply) => answer(req, reply, false));
  }

  /** Run one command through the processor; the Idempotency-Key header makes a retry return the first result. */
  private async command(req: FastifyRequest, reply: FastifyReply, type: string, parameters: Record<string, unknown>): Promise<FastifyReply> {
    const key = req.headers['idempotency-key'];
    if (key !== undefined && (typeof key !== 'string' || !/^[A-Za-z0-9._:-]{1,100}$/.test(key))) {
      return reply.code(400).send({ error: 'Idempotency-Key: 1 to 100 characters of letters, digits and . _ : -' });
    }
    const id = `api-${key ?? randomUUID()}`;
    // the command goes to the audit trail from the processor, with who sent it
    const running = this.acct(req).processor.handle({ id, type, parameters }, 'api', this.who(req));
    let timer: NodeJS.Timeout | undefined;
    const out: CommandOutcome = await Promise.race([
      running,
      new Promise<CommandOutcome>((res) => (timer = setTimeout(() => res({ status: 'executing' }), ANSWER_WITHIN_MS))),
    ]).finally(() => clearTimeout(timer));
    // 202: a retry of a command still executing (its result comes with a later retry of the same key)
    const code = out.status === 'failed' ? (HTTP_FOR[out.code ?? ''] ?? 500) : out.status === 'executed' ? 200 : 202;
    return reply.code(code).send({ commandId: id, ...out });
  }

  /** The account a request acts on (set by the preHandler; the primary for routes of the dashboard's own). */
  private acct(req: FastifyRequest): ApiAccount {
    return this.accountOf.get(req) ?? { key: undefined, manager: this.o.manager, store: this.o.store, processor: this.o.processor };
  }

  private who(req: FastifyRequest): 'dashboard' | 'local-api' {
    return this.fromDashboard.has(req) ? 'dashboard' : 'local-api';
  }

  /** An action that is not a command (a delete, a confirmation) into the audit trail the commands go to. */
  private audit(req: FastifyRequest, what: Record<string, unknown>, outcome: { status: string; result?: unknown; error?: string }): void {
    try {
      const store = this.acct(req).store;
      store.audit(Date.now(), 'command', { who: this.who(req), type: what.action, parameters: what, ...outcome });
      store.write().catch((e: Error) => this.o.log.error({ err: e.message }, 'the audit trail could not be written'));
    } catch (e) {
      this.o.log.error({ err: (e as Error).message }, 'an API action could not be recorded in the audit trail');
    }
  }

  private logStream(req: FastifyRequest, reply: FastifyReply): void {
    const bus = this.o.bus;
    if (!bus) {
      void reply.code(503).send({ error: 'log streaming is not available in this process' });
      return;
    }
    reply.hijack();
    const res = reply.raw;
    const headers: Record<string, string> = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };
    const origin = req.headers.origin;
    if (origin && this.o.corsOrigin && origin === this.o.corsOrigin) headers['access-control-allow-origin'] = origin;
    res.writeHead(200, headers);
    res.write(': mt5-executor log stream\n\n');
    const onLine = (line: string) => res.write(`data: ${line}\n\n`);
    bus.on('line', onLine);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(keepAlive);
      bus.off('line', onLine);
    });
  }

  /**
   * GET /metrics: the process, and per account (label `account`: login@server; '' before its terminal first
   * connected) its connection, balance, equity, open positions, kill switch, strategies and commands by status.
   */
  private metrics(): void {
    const { registry: registers, o } = this;
    const accounts = () => o.accounts?.list() ?? [{ key: undefined, manager: o.manager, store: o.store }];
    collectDefaultMetrics({ register: registers, prefix: 'mt5x_process_' });
    const perAccount = (name: string, help: string, collect: (g: Gauge, a: { manager: StrategyManager; store: Store }, account: string) => void, labelNames: string[] = []) =>
      new Gauge({
        name, help, labelNames: ['account', ...labelNames], registers: [registers],
        collect(this: Gauge) {
          this.reset(); // an account's strategies or commands of a status gone since the last scrape
          for (const a of accounts()) collect(this, a, a.key ?? '');
        },
      });
    perAccount('mt5x_terminal_connected', '1 while the EA is connected', (g, { manager: m }, account) => g.set({ account }, m.status().terminalConnected ? 1 : 0));
    perAccount('mt5x_account_balance', 'account balance, account currency', (g, { manager: m }, account) => { const a = m.account(); if (a) g.set({ account }, a.balance); });
    perAccount('mt5x_account_equity', 'account equity, account currency', (g, { manager: m }, account) => { const a = m.account(); if (a) g.set({ account }, a.equity); });
    perAccount('mt5x_positions_open', 'open positions on the account', (g, { manager: m }, account) => g.set({ account }, m.positions().length));
    perAccount('mt5x_kill_switch_locked', '1 while the kill switch blocks new trades', (g, { manager: m }, account) => g.set({ account }, m.killSwitch.locked(0) ? 1 : 0));
    perAccount('mt5x_strategies', 'strategies by status', (g, { manager: m }, account) => {
      const n = new Map<string, number>();
      for (const r of m.list()) n.set(r.status, (n.get(r.status) ?? 0) + 1);
      for (const [status, k] of n) g.set({ account, status }, k);
    }, ['status']);
    perAccount('mt5x_commands', 'commands seen, by last status', (g, { store }, account) => {
      // counted first, then one set per status: an inc per command (prom-client hashes its labels each time) made
      // every scrape cost ~1 ms per thousand commands — 44 s of the host's 290 s under the API fuzz
      for (const [status, n] of Object.entries(store.commandStatusCounts())) g.set({ account, status }, n);
    }, ['status']);
  }
}
