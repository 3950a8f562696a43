/**
 * Trade reports end to end: the real host (`startHost`: state, bridge, manager, platform client, trade reporter),
 * the simulated MT5 terminal over the real bridge socket, and a FIXTURE standing in for the web platform's REST
 * contract (it is a test fixture, not the platform; commands reach the host by heartbeat here — Pusher delivery is
 * tested in platform.test.ts). Every deal of a strategy's trade must reach the platform once: on the command's
 * result where a command made it, as a trade record otherwise — across an outage, a restart, and deals made while
 * the host was down.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBars, sliceBars, type BarSeries } from '../../src/engine/bars.js';
import { strategyMagic } from '../../src/engine/runner.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { tradeReportJsonSchema, tradeReportSchema, type TradeReport } from '../../src/host/platform/contract.js';
import { brokerTimeText } from '../../src/host/platform/trade-reports.js';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { silentLogger } from '../../src/host/logger.js';
import { startHost, type RunningHost } from '../../src/host/start.js';
import { DEAL_TYPE, ORDER_TYPE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import type { Deal } from '../../src/protocol/messages.js';
import { replayBars } from '../../src/sim/replay.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import type { SimBroker } from '../../src/sim/broker.js';
import { freePort, makeBroker, until } from '../helpers.js';
import { payloadJsonSchemas } from '../../src/host/platform/payload-schemas.js';
import { schemaProblems } from './contract-schemas.js';

const API = { key: 'exec-key-7', secret: 'sk_live_R3pOrTs9xQ2wE5tY8uI1oP4a' };
const OFFSET = 7200; // the simulated terminal's server time minus UTC

/** FIXTURE: the platform's REST contract (docs/platform.md): config, heartbeat, command statuses, trade records. */
class PlatformFixture {
  server!: Server;
  url = '';
  down = false;
  pending: unknown[] = [];
  statuses: { commandId: string; status: string; result?: { trades?: TradeReport[] } & Record<string, unknown>; error?: string }[] = [];
  records: TradeReport[] = [];
  /** Every body the host sent that its JSON Schema in docs/schemas refuses (checked after each test). */
  violations: string[] = [];
  heartbeats = 0;
  private check(file: string, body: unknown): void {
    const why = schemaProblems(file, body);
    if (why) this.violations.push(why);
  }
  async start(): Promise<void> {
    const deadPort = await freePort(); // no Pusher server: commands come by heartbeat
    this.server = createServer((req, res) => void this.route(req, res, deadPort));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  stop(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    return closed;
  }
  private async route(req: IncomingMessage, res: ServerResponse, deadPort: number): Promise<void> {
    const json = (code: number, v: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (req.headers['x-api-key'] !== API.key || req.headers['x-api-secret'] !== API.secret) return json(401, { error: 'unauthorized' });
    let body = '';
    for await (const c of req) body += c;
    if (req.method === 'GET' && req.url === '/api/executor/config') {
      return json(200, { executorId: 'ex1', pusher: { key: 'k', cluster: 'mt1', wsHost: '127.0.0.1', wsPort: deadPort, forceTLS: false }, heartbeatSeconds: 5 });
    }
    if (req.method === 'POST' && req.url === '/api/executor/ex1/heartbeat') {
      this.heartbeats++;
      this.check('heartbeat.schema.json', JSON.parse(body));
      return json(200, { pendingCommands: this.pending.splice(0) });
    }
    if (this.down) return json(503, { error: 'maintenance' });
    if (req.method === 'PATCH' && req.url === '/api/executor/ex1/command') {
      const status = JSON.parse(body) as PlatformFixture['statuses'][number];
      this.check('command-status.schema.json', status);
      for (const t of status.result?.trades ?? []) this.check('trade-report.schema.json', t);
      this.statuses.push(status);
      return json(200, { ok: true });
    }
    if (req.method === 'POST' && req.url === '/api/executor/ex1/trades') {
      const record = JSON.parse(body) as TradeReport;
      this.check('trade-report.schema.json', record);
      this.records.push(record);
      return json(200, { ok: true });
    }
    json(404, { error: 'not found' });
  }
  final(id: string) {
    return this.statuses.find((s) => s.commandId === id && (s.status === 'executed' || s.status === 'failed'));
  }
  /** Every trade report the platform got: the records and those on the commands' results. */
  reports(): TradeReport[] {
    return [...this.records, ...this.statuses.flatMap((s) => s.result?.trades ?? [])];
  }
}

/** A strategy that trades often on EURUSD H1: EMA 5/13 crosses both ways, half taken off at 0.5 R, the rest at 1.5 R. */
const STRATEGY = {
  strategyId: 'reported', symbol: 'EURUSD', timeframe: 'H1',
  rules: {
    entry: { direction: 'BOTH', logic: 'AND', conditions: [{ indicator: 'ema_5', condition: 'crosses_above', indicatorRef: 'ema_13' }] },
    exit: { exitOnOppositeSignal: false, stopLoss: { type: 'pips', value: 20 }, takeProfit: { type: 'partial', levels: [{ atRR: 0.5, percentage: 50 }, { atRR: 1.5, percentage: 50 }] } },
    riskManagement: { lotSize: 0.2, maxPositions: 1 },
  },
};
const MAGIC = strategyMagic(normalizeStrategy(STRATEGY));

interface Rig {
  f: PlatformFixture;
  dir: string;
  broker: SimBroker;
  sim: SimTerminal;
  data: BarSeries;
  host: RunningHost | undefined;
  boot(): Promise<RunningHost>;
  /** Send a command by the next heartbeat and wait for its final status. */
  run(id: string, type: string, parameters?: object): Promise<NonNullable<ReturnType<PlatformFixture['final']>>>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  const sent: PlatformFixture[] = [];
  for (const r of rigs.splice(0)) {
    await r.sim.close();
    await r.host?.stop();
    await r.f.stop();
    sent.push(r.f);
  }
  // every heartbeat, command status and trade report the host sent matches its published JSON Schema
  for (const f of sent) {
    expect(f.heartbeats).toBeGreaterThan(0);
    expect(f.violations).toEqual([]);
  }
});

async function rig(): Promise<Rig> {
  const f = new PlatformFixture();
  await f.start();
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-trades-'));
  const creds = await openCredentialStore(dir, { preferKeychain: false });
  creds.set('apiKey', API.key);
  creds.set('apiSecret', API.secret);
  const bridgePort = await freePort();
  const broker = makeBroker({}, [symbolSpec('EURUSD', { commissionPerLot: 7 })]);
  const data = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 2400);
  broker.quote('EURUSD', data.open[600]!, data.open[600]! + 0.0001, data.time[600]! * 1000);
  const env = {
    MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_ENABLED: 'false', MT5X_NO_KEYCHAIN: '1',
    MT5X_PLATFORM_URL: f.url, MT5X_PRIME_AT_START: 'false', MT5X_LOG_LEVEL: 'error',
  };
  const r: Rig = {
    f, dir, broker, data, host: undefined, sim: undefined as unknown as SimTerminal,
    async boot() {
      r.host = await startHost({ env, log: silentLogger, out: () => {}, now: () => Math.floor(broker.time / 1000) });
      return r.host;
    },
    async run(id, type, parameters = {}) {
      f.pending.push({ id, type, parameters });
      await r.host!.platform!.heartbeat();
      await until(() => f.final(id) !== undefined, 10_000, `${type} ${id}`);
      return f.final(id)!;
    },
  };
  rigs.push(r);
  await r.boot();
  const token = (await openCredentialStore(dir, { preferKeychain: false })).get('bridgeToken')!;
  r.sim = new SimTerminal({ url: `ws://127.0.0.1:${bridgePort}`, token, broker, reconnectMinMs: 30, reconnectMaxMs: 200, serverTimeOffset: OFFSET });
  r.sim.setHistory('EURUSD', 'H1', data, 600);
  await r.sim.connect();
  await until(() => r.host!.manager.status().terminalConnected === true, 5000, 'terminal');
  await until(() => r.host!.platform!.config !== undefined, 5000, 'platform bootstrap');
  return r;
}

/** The broker's deals of positions the executor opened (the strategy's magic, or an order comment with an intent id). */
function executorDeals(broker: SimBroker): Deal[] {
  const deals = broker.deals(0).filter((d) => d.type === DEAL_TYPE.BUY || d.type === DEAL_TYPE.SELL);
  const ours = new Set(deals.filter((d) => d.entry === 0 && (d.magic === MAGIC || d.comment.startsWith('ix:'))).map((d) => d.positionId));
  return deals.filter((d) => ours.has(d.positionId));
}

/** Every executor deal reported exactly once, with the broker's own figures. */
function expectEachOnce(reports: TradeReport[], deals: Deal[]): void {
  const byDeal = new Map<string, TradeReport[]>();
  for (const r of reports) byDeal.set(r.deal, [...(byDeal.get(r.deal) ?? []), r]);
  expect([...byDeal.values()].filter((l) => l.length > 1)).toEqual([]); // no deal twice
  expect([...byDeal.keys()].sort()).toEqual(deals.map((d) => d.ticket.toString()).sort()); // none missing, none extra
  for (const [i, d] of deals.entries()) {
    const r = byDeal.get(d.ticket.toString())![0]!;
    // what the deal did, from the broker's history: an entry into a new position opens it; an exit followed by a
    // later deal of the same position was partial
    const later = deals.slice(i + 1).some((x) => x.positionId === d.positionId);
    const earlier = deals.slice(0, i).some((x) => x.positionId === d.positionId);
    expect(r.event, `deal ${d.ticket}`).toBe(d.entry === 0 ? (earlier ? 'add' : 'open') : later ? 'partial_close' : 'close');
    expect(tradeReportSchema.safeParse(r).success).toBe(true);
    expect(r).toMatchObject({
      position: d.positionId.toString(), order: d.order.toString(), symbol: 'EURUSD', side: d.type === DEAL_TYPE.BUY ? 'BUY' : 'SELL',
      volume: d.volume, price: d.price, profit: d.profit, swap: d.swap, commission: d.commission, currency: 'USD',
      account: { login: 1001, server: 'Sim-Test' }, mode: 'paper',
      brokerTime: brokerTimeText(d.timeMsc), timeUnixMs: d.timeMsc - OFFSET * 1000, time: new Date(d.timeMsc - OFFSET * 1000).toISOString(),
    });
  }
}

describe('trade reports', () => {
  it('reports every open, partial close and close of a strategy\'s trades once each; a command\'s deal rides on its result', async () => {
    const r = await rig();
    expect(await r.run('s1', 'START_STRATEGY', STRATEGY)).toMatchObject({ status: 'executed', result: { strategyId: 'reported' } });
    await replayBars(r.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: r.data, from: 600, to: 1400, defaultSpread: 10 });
    // commands: an open, a partial close and the close of the rest
    const open = await r.run('o1', 'OPEN_POSITION', { symbol: 'EURUSD', side: 'SELL', volume: 0.3 });
    const ticket = (open.result as { ticket: string }).ticket;
    const part = await r.run('p1', 'CLOSE_POSITION', { ticket, volume: 0.1 });
    const rest = await r.run('x1', 'CLOSE_POSITION', { ticket });
    await until(() => r.host!.platform!.outboxLength === 0, 15_000, 'outbox drained');
    await new Promise((res) => setTimeout(res, 5500)); // longer than the hold: nothing more comes
    await until(() => r.host!.platform!.outboxLength === 0, 15_000, 'outbox drained');

    const deals = executorDeals(r.broker);
    const strategyDeals = deals.filter((d) => !d.comment.startsWith('ix:cmd-'));
    expect(strategyDeals.length).toBeGreaterThan(6);
    const reports = r.f.reports();
    expectEachOnce(reports, deals);
    const events = new Set(reports.filter((x) => x.strategyId === 'reported').map((x) => x.event));
    expect([...events].sort()).toEqual(['close', 'open', 'partial_close']);
    for (const x of reports.filter((y) => y.strategyId === 'reported')) expect(x).toMatchObject({ magic: MAGIC, source: 'transaction' });
    // the commands' deals are on their results, with no strategy, and not sent again as records
    expect(open.result!.trades).toMatchObject([{ event: 'open', side: 'SELL', volume: 0.3, strategyId: null, position: ticket }]);
    expect(part.result!.trades).toMatchObject([{ event: 'partial_close', side: 'BUY', volume: 0.1, position: ticket }]);
    expect(rest.result!.trades).toMatchObject([{ event: 'close', side: 'BUY', volume: 0.2, position: ticket }]);
    expect(rest.result!.trades![0]!.profit).toBe(r.broker.deal(BigInt(rest.result!.trades![0]!.deal))!.profit);
    expect(r.f.records.filter((x) => x.position === ticket)).toEqual([]);
    // strategies' deals went as records: one POST each
    expect(r.f.records.length).toBe(strategyDeals.length);
  }, 90_000);

  it('delivers every report after a platform outage and a host restart, and the deals made while the host was down', async () => {
    const r = await rig();
    expect(await r.run('s1', 'START_STRATEGY', STRATEGY)).toMatchObject({ status: 'executed' });
    r.f.down = true;
    await replayBars(r.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: r.data, from: 600, to: 1100, defaultSpread: 10 });
    const duringOutage = executorDeals(r.broker).length;
    expect(duringOutage).toBeGreaterThan(3);
    await until(() => r.host!.platform!.outboxLength >= duringOutage, 5000, 'queued records');
    expect(r.f.records).toEqual([]);
    // a position of the strategy open when the host stops
    const q = r.broker.quoteOf('EURUSD')!;
    const opened = r.broker.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', volume: 0.4, type: ORDER_TYPE.BUY, price: q.ask, deviation: 50, magic: MAGIC, comment: 'by the strategy, host up' });
    expect(opened.retcode).toBe(10009);
    const pos = r.broker.deal(opened.deal)!.positionId;
    await until(() => r.f.reports().length + r.host!.platform!.outboxLength > duringOutage, 5000, 'the open, queued');

    await r.host!.stop(); // the host goes down inside the outage, its outbox on disk
    r.host = undefined;
    // while it is down: the trader closes part of the strategy's position by hand (magic 0), then the rest; and a
    // new position of the strategy opens and closes (its magic)
    for (const volume of [0.1, 0.3]) {
      const c = r.broker.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', volume, type: ORDER_TYPE.SELL, position: pos, price: r.broker.quoteOf('EURUSD')!.bid, deviation: 50, magic: 0, comment: '' });
      expect(c.retcode).toBe(10009);
    }
    const o2 = r.broker.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', volume: 0.1, type: ORDER_TYPE.SELL, price: r.broker.quoteOf('EURUSD')!.bid, deviation: 50, magic: MAGIC, comment: 'host down' });
    const pos2 = r.broker.deal(o2.deal)!.positionId;
    r.broker.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', volume: 0.1, type: ORDER_TYPE.BUY, position: pos2, price: r.broker.quoteOf('EURUSD')!.ask, deviation: 50, magic: MAGIC, comment: 'host down' });
    // and one of the trader's own, never reported
    r.broker.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', volume: 0.1, type: ORDER_TYPE.BUY, price: r.broker.quoteOf('EURUSD')!.ask, deviation: 50, magic: 0, comment: 'mine' });

    r.f.down = false;
    await r.boot(); // same data folder, same ports: the simulated EA reconnects by itself
    await until(() => r.host!.manager.status().terminalConnected === true, 10_000, 'terminal back');
    const deals = executorDeals(r.broker);
    await until(() => r.f.reports().length >= deals.length && r.host!.platform!.outboxLength === 0, 20_000, 'every report delivered');
    await new Promise((res) => setTimeout(res, 300));
    expectEachOnce(r.f.reports(), deals);
    const afterRestart = r.f.records.filter((x) => x.source === 'history');
    expect(afterRestart.map((x) => [x.position, x.event, x.volume, x.strategyId])).toEqual([
      [pos.toString(), 'partial_close', 0.1, 'reported'],
      [pos.toString(), 'close', 0.3, 'reported'],
      [pos2.toString(), 'open', 0.1, 'reported'],
      [pos2.toString(), 'close', 0.1, 'reported'],
    ]);
  }, 90_000);

  it('START_STRATEGY (and UPDATE_STRATEGY) stays executing until the strategy is prepared, and fails with the reason (stopped) when it cannot be', async () => {
    const r = await rig();
    // a symbol the terminal does not have: the spec request is refused
    const bad = await r.run('s-bad', 'START_STRATEGY', { ...STRATEGY, strategyId: 'nosuch', symbol: 'XYZABC' });
    expect(bad).toMatchObject({ status: 'failed', error: expect.stringMatching(/nosuch could not be prepared: symbol XYZABC is not in Market Watch.*stopped/) });
    expect(r.host!.manager.get('nosuch')!.record.status).toBe('stopped');
    // history refused
    expect(await r.run('s-nohist', 'START_STRATEGY', { ...STRATEGY, strategyId: 'nohist', timeframe: 'M15' })).toMatchObject({ status: 'failed', error: expect.stringMatching(/no history for EURUSD M15/) });
    // no terminal: executing until it connects and the strategy is prepared
    await r.sim.close();
    await until(() => r.host!.manager.status().terminalConnected === false, 5000, 'terminal gone');
    r.f.pending.push({ id: 's-wait', type: 'START_STRATEGY', parameters: STRATEGY });
    await r.host!.platform!.heartbeat();
    await until(() => r.f.statuses.some((s) => s.commandId === 's-wait' && s.status === 'executing'), 5000, 'executing');
    await new Promise((res) => setTimeout(res, 1500));
    expect(r.f.final('s-wait')).toBeUndefined();
    await r.sim.connect();
    await until(() => r.f.final('s-wait') !== undefined, 10_000, 'prepared after the terminal came');
    expect(r.f.final('s-wait')).toMatchObject({ status: 'executed', result: { strategyId: 'reported', status: 'running' } });
    // an UPDATE_STRATEGY that cannot be prepared fails the same way (it answered 'executed' with the strategy unprepared)
    expect(await r.run('u-nohist', 'UPDATE_STRATEGY', { ...STRATEGY, timeframe: 'M15' })).toMatchObject({ status: 'failed', error: expect.stringMatching(/reported could not be prepared: .*no history for EURUSD M15.*send UPDATE_STRATEGY again/) });
    expect(r.host!.manager.get('reported')!.record.status).toBe('stopped');
    expect(await r.run('u-ok', 'UPDATE_STRATEGY', { ...STRATEGY, strategyName: 'renamed' })).toMatchObject({ status: 'executed', result: { strategyId: 'reported', status: 'stopped' } });
    // the audit trail has each command, who sent it and how it ended
    const audit = r.host!.store.data.audit.filter((a) => a.event === 'command').map((a) => a.detail as Record<string, unknown>);
    expect(audit.find((a) => a.commandId === 's-bad')).toMatchObject({ who: 'platform', type: 'START_STRATEGY', status: 'failed', code: 'NOT_PREPARED', parameters: { strategyId: 'nosuch' } });
    expect(audit.find((a) => a.commandId === 's-wait')).toMatchObject({ who: 'platform', status: 'executed' });
  }, 60_000);

  it('RESUME_STRATEGY of a strategy that was never prepared waits for its preparation, and fails (paused again) when it cannot be', async () => {
    const r = await rig();
    expect(await r.run('r-start', 'START_STRATEGY', STRATEGY)).toMatchObject({ status: 'executed' });
    expect(await r.run('r-pause', 'PAUSE_STRATEGY', { strategyId: 'reported' })).toMatchObject({ status: 'executed' });
    // the host restarts with the strategy paused; the terminal that comes back has no EURUSD H1 history
    await r.sim.close();
    await r.host!.stop();
    await r.boot();
    const token = (await openCredentialStore(r.dir, { preferKeychain: false })).get('bridgeToken')!;
    const url = r.sim.opts.url;
    r.sim = new SimTerminal({ url, token, broker: r.broker, reconnectMinMs: 30, reconnectMaxMs: 200, serverTimeOffset: OFFSET });
    await r.sim.connect();
    await until(() => r.host!.manager.status().terminalConnected === true, 5000, 'terminal back');
    await until(() => r.host!.platform!.config !== undefined, 5000, 'platform bootstrap');
    await new Promise((res) => setTimeout(res, 300));
    expect(r.host!.manager.get('reported')).toMatchObject({ record: { status: 'paused' }, runner: undefined });
    // resumed: its preparation fails → the command fails with the reason and the strategy is paused again
    expect(await r.run('r-resume1', 'RESUME_STRATEGY', { strategyId: 'reported' })).toMatchObject({ status: 'failed', error: expect.stringMatching(/reported could not be prepared: no history for EURUSD H1.*stays paused/) });
    expect(r.host!.manager.get('reported')!.record.status).toBe('paused');
    // the history is there now: the resume answers executed only once the strategy is prepared
    r.sim.setHistory('EURUSD', 'H1', r.data, 600);
    expect(await r.run('r-resume2', 'RESUME_STRATEGY', { strategyId: 'reported' })).toMatchObject({ status: 'executed', result: { status: 'running' } });
    expect(r.host!.manager.get('reported')!.runner).toBeDefined();
  }, 60_000);

  it('the trade report\'s JSON Schema in docs is the one generated from the zod schema', () => {
    const file = 'docs/schemas/trade-report.schema.json';
    const text = JSON.stringify(tradeReportJsonSchema(), null, 2) + '\n';
    if (process.env.MT5X_WRITE_SCHEMAS === '1') writeFileSync(file, text);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('the command status\'s and the heartbeat\'s JSON Schemas in docs are the ones generated from the zod schemas', () => {
    for (const [name, schema] of Object.entries(payloadJsonSchemas())) {
      const file = `docs/schemas/${name}`;
      const text = JSON.stringify(schema, null, 2) + '\n';
      if (process.env.MT5X_WRITE_SCHEMAS === '1') writeFileSync(file, text);
      expect(readFileSync(file, 'utf8'), file).toBe(text);
    }
  });
});
