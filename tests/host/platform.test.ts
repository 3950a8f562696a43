/**
 * The platform connection end to end: a real Pusher-protocol server (soketi, started here on loopback), a
 * FIXTURE standing in for the web platform's REST contract (it is a test fixture, not the platform), the real
 * host pieces (PlatformClient, CommandProcessor, StrategyManager, bridge) and the simulated MT5 terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PusherServer from 'pusher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaProblems } from './contract-schemas.js';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { CommandProcessor } from '../../src/host/platform/commands.js';
import { createLogger, silentLogger as silent } from '../../src/host/logger.js';
import { StrategyManager } from '../../src/host/trading/manager.js';
import { PlatformClient } from '../../src/host/platform/client.js';
import { restoreFromPlatform } from '../../src/host/platform/recovery.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import { replayBars } from '../../src/sim/replay.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { freePort, makeBroker, startRig, until } from '../helpers.js';

const APP = { id: 'app1', key: 'appkey', secret: 'appsecret' };
const API = { key: 'exec-key-1', secret: 'sk_live_9fQ2vXw7LmN4pR8tZy1aB6cD' };

let soketi: ChildProcess;
let wsPort = 0;

beforeAll(async () => {
  wsPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'soketi-'));
  const cfg = join(dir, 'soketi.json');
  writeFileSync(cfg, JSON.stringify({
    host: '127.0.0.1', port: wsPort, shutdownGracePeriod: 0,
    'metrics.enabled': false, 'metrics.host': '127.0.0.1', 'metrics.port': await freePort(),
    // soketi's cluster discovery binds UDP and broadcasts to 255.255.255.255 by default: keep it on loopback
    'cluster.hostname': '127.0.0.1', 'cluster.address': '127.0.0.1', 'cluster.unicast': '127.0.0.1', 'cluster.port': await freePort(),
    'appManager.array.apps.0.id': APP.id, 'appManager.array.apps.0.key': APP.key, 'appManager.array.apps.0.secret': APP.secret,
  }));
  soketi = spawn(process.execPath, ['node_modules/@soketi/soketi/bin/server.js', 'start', `--config=${cfg}`], { env: { ...process.env, NODE_NO_WARNINGS: '1' }, stdio: 'ignore' });
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${wsPort}/`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error('soketi did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

/** Command statuses the host sent that docs/schemas/command-status.schema.json refuses (none expected). */
const violations: string[] = [];
let statusesChecked = 0;

afterAll(() => {
  soketi?.kill('SIGKILL');
  expect(statusesChecked).toBeGreaterThan(10);
  expect(violations).toEqual([]);
});

/** FIXTURE: the web platform's REST contract, as documented in docs/platform.md. */
class PlatformFixture {
  server!: Server;
  url = '';
  down = false;
  pending: unknown[] = [];
  statuses: { commandId: string; status: string; result?: unknown; error?: string }[] = [];
  requests: string[] = [];
  /** the active-strategies list; undefined = the endpoint does not exist (404) */
  active: unknown = undefined;
  readonly pusher: PusherServer;
  constructor() {
    this.pusher = new PusherServer({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: String(wsPort), useTLS: false });
  }
  async start(port = 0): Promise<void> {
    this.server = createHttpServer((req, res) => void this.route(req, res));
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  stop(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections(); // down means down: no kept-alive connection still answers
    return closed;
  }
  private async body(req: IncomingMessage): Promise<string> {
    let b = '';
    for await (const c of req) b += c;
    return b;
  }
  private async route(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const json = (code: number, v: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    this.requests.push(`${req.method} ${req.url}`);
    if (req.headers['x-api-key'] !== API.key || req.headers['x-api-secret'] !== API.secret) return json(401, { error: 'unauthorized' });
    const body = await this.body(req);
    if (req.method === 'GET' && req.url === '/api/executor/config') {
      return json(200, { executorId: 'ex1', pusher: { key: APP.key, cluster: 'mt1', wsHost: '127.0.0.1', wsPort, forceTLS: false }, heartbeatSeconds: 300 });
    }
    if (req.method === 'POST' && req.url === '/api/pusher/auth') {
      const p = new URLSearchParams(body);
      return json(200, this.pusher.authorizeChannel(p.get('socket_id')!, p.get('channel_name')!));
    }
    if (req.method === 'POST' && req.url === '/api/executor/ex1/heartbeat') return json(200, { pendingCommands: this.pending.splice(0) });
    if (req.method === 'GET' && req.url === '/api/executor/ex1/active-strategies') return this.active === undefined ? json(404, { error: 'not found' }) : json(200, this.active);
    if (req.method === 'PATCH' && req.url === '/api/executor/ex1/command') {
      if (this.down) return json(503, { error: 'maintenance' });
      const why = schemaProblems('command-status.schema.json', JSON.parse(body));
      statusesChecked++;
      if (why) violations.push(why);
      this.statuses.push(JSON.parse(body));
      return json(200, { ok: true });
    }
    json(404, { error: 'not found' });
  }
  send(cmd: object): Promise<unknown> {
    return this.pusher.trigger('private-executor-ex1', 'command-received', cmd);
  }
  final(id: string) {
    return this.statuses.find((s) => s.commandId === id && (s.status === 'executed' || s.status === 'failed'));
  }
}

async function host(fixture: PlatformFixture, secret = API.secret, clientOptions: Partial<ConstructorParameters<typeof PlatformClient>[0]> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-plat-'));
  const store = await Store.open(dir);
  // every log line of the whole scenario, at debug level, for the secret scan
  const lines: string[] = [];
  const log = createLogger('debug', new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
  const rig = await startRig({ ledger: new PersistentLedger(store), symbols: [], bars: [], logger: log });
  const broker = makeBroker({}, [symbolSpec('EURUSD')]);
  const { sim, terminal } = await rig.connect({ broker });
  const data = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 2000);
  sim.setHistory('EURUSD', 'H1', data, 600);
  broker.quote('EURUSD', data.open[600]!, data.open[600]! + 0.0001, data.time[600]! * 1000);
  const mgr = new StrategyManager(store, log, { warmupBars: 300, now: () => Math.floor(broker.time / 1000) });
  mgr.attach(terminal);
  const client = new PlatformClient({ baseUrl: fixture.url, apiKey: API.key, apiSecret: secret, store, log, authRetryMs: 100, outboxRetryMs: 50, pusher: { enabledTransports: ['ws'] }, ...clientOptions });
  const proc = new CommandProcessor(mgr, store, (u) => client.report(u), log);
  client.on('command', (c: unknown, via: 'pusher' | 'heartbeat') => void proc.handle(c, via));
  return { dir, store, rig, broker, sim, terminal, mgr, client, data, lines };
}

/** A started platform fixture and a host on it; both are stopped after `run`, whatever happens. */
async function withHost(run: (f: PlatformFixture, h: Awaited<ReturnType<typeof host>>) => Promise<void>, secret?: string, clientOptions: Partial<ConstructorParameters<typeof PlatformClient>[0]> = {}): Promise<void> {
  const f = new PlatformFixture();
  await f.start();
  try {
    const h = await host(f, secret, clientOptions);
    try {
      await run(f, h);
    } finally {
      h.client.stop();
      await h.rig.close();
    }
  } finally {
    if (f.server.listening) await f.stop();
  }
}

const strategy = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8'));

describe('platform connection', () => {
  it('runs all 13 command types delivered over Pusher, reporting received → executing → executed', () =>
    withHost(async (f, h) => {
      await h.client.start();
      await until(() => h.client.pusherSubscribed, 5000, 'Pusher subscription');
      const run = async (id: string, type: string, parameters: object = {}) => {
        await f.send({ id, type, parameters });
        await until(() => f.final(id) !== undefined, 5000, `${type} status`);
        return f.final(id)!;
      };
      expect(await run('c1', 'START_STRATEGY', strategy)).toMatchObject({ status: 'executed', result: { strategyId: 'ema-cross-trend', status: 'running' } });
      expect(f.statuses.filter((s) => s.commandId === 'c1').map((s) => s.status)).toEqual(['received', 'executing', 'executed']);
      await replayBars(h.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: h.data, from: 600, to: 1200, defaultSpread: 10 });
      expect(h.broker.deals().length).toBeGreaterThan(0); // the strategy traded on the terminal
      expect(await run('c2', 'PAUSE_STRATEGY', { strategyId: 'ema-cross-trend' })).toMatchObject({ status: 'executed' });
      expect(await run('c3', 'RESUME_STRATEGY', { strategyId: 'ema-cross-trend' })).toMatchObject({ status: 'executed' });
      expect(await run('c4', 'UPDATE_STRATEGY', { ...strategy, strategyName: 'renamed' })).toMatchObject({ status: 'executed' });
      const open = await run('c5', 'OPEN_POSITION', { symbol: 'EURUSD', side: 'BUY', volume: 0.02, sl: 0, tp: 0 });
      expect(open).toMatchObject({ status: 'executed', result: { class: 'done', volume: 0.02 } });
      const ticket = (open.result as { ticket: string }).ticket;
      expect(ticket).toMatch(/^\d+$/);
      expect(await run('c6', 'MODIFY_POSITION', { ticket, sl: 0.5, tp: 0 })).toMatchObject({ status: 'executed' });
      expect(await run('c7', 'CLOSE_POSITION', { ticket, volume: 0.01 })).toMatchObject({ status: 'executed', result: { volume: 0.01 } });
      expect(await run('c8', 'STATUS_REQUEST')).toMatchObject({ status: 'executed', result: { terminalConnected: true, strategies: [{ id: 'ema-cross-trend', status: 'running' }] } });
      expect(await run('c9', 'PERFORMANCE_REQUEST')).toMatchObject({ status: 'executed', result: { strategies: [{ id: 'ema-cross-trend' }] } });
      expect(await run('c10', 'UPDATE_RISK_LIMITS', { maxLot: 0.5 })).toMatchObject({ status: 'executed', result: { limits: { maxLot: 0.5 } } });
      expect(await run('c11', 'CLOSE_ALL', { symbol: 'EURUSD' })).toMatchObject({ status: 'executed' });
      expect(h.broker.positionList()).toEqual([]);
      expect(await run('c12', 'STOP_STRATEGY', { strategyId: 'ema-cross-trend', closePositions: true })).toMatchObject({ status: 'executed', result: { status: 'stopped' } });
      expect(await run('c13', 'EMERGENCY_STOP', { reason: 'test' })).toMatchObject({ status: 'executed' });
      expect(await run('c14', 'START_STRATEGY', strategy)).toMatchObject({ status: 'failed', error: expect.stringMatching(/locked by the kill switch/) });
      expect(await run('c15', 'OPEN_POSITION', { symbol: 'EURUSD', volume: 0.01 })).toMatchObject({ status: 'failed' }); // no side, and locked
      // lines logged while a command ran carry its id, whoever logs them (manager, bridge)
      const parsedLines = h.lines.map((l) => JSON.parse(l) as { msg: string; commandId?: string; intentId?: string });
      expect(parsedLines.find((l) => l.msg === 'strategy ready')?.commandId).toBe('c1');
      const sentOpen = parsedLines.find((l) => l.msg === 'intent sent' && l.intentId?.startsWith('cmd-'));
      expect(sentOpen?.commandId).toMatch(/^c\d+$/);
      // the whole scenario, platform path included: the API secret is in no log line and no file written
      await h.store.write();
      expect(h.lines.length).toBeGreaterThan(50);
      const files = readdirSync(h.dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join((e as { parentPath?: string; path?: string }).parentPath ?? (e as { path?: string }).path ?? h.dir, e.name));
      expect(files.length).toBeGreaterThan(0);
      for (const needle of [API.secret, Buffer.from(API.secret).toString('base64')]) {
        expect(h.lines.filter((l) => l.includes(needle))).toEqual([]);
        expect(files.filter((f) => readFileSync(f, 'utf8').includes(needle))).toEqual([]);
      }
    }), 40_000);

  it('delivers by heartbeat when Pusher does not, and executes a command delivered on both paths once', () =>
    withHost(async (f, h) => {
      await h.client.start();
      await until(() => h.client.pusherSubscribed, 5000, 'Pusher subscription');
      f.pending.push({ id: 'hb1', type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: 'SELL', volume: 0.01 } });
      await h.client.heartbeat();
      await until(() => f.final('hb1') !== undefined, 5000, 'heartbeat command');
      expect(f.final('hb1')!.status).toBe('executed');
      // the same command on both paths, at once
      const dup = { id: 'dup1', type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: 'BUY', volume: 0.01 } };
      f.pending.push(dup);
      await Promise.all([f.send(dup), h.client.heartbeat()]);
      await until(() => f.final('dup1') !== undefined, 5000, 'duplicate');
      await new Promise((r) => setTimeout(r, 300));
      expect(f.statuses.filter((s) => s.commandId === 'dup1' && s.status === 'executed').length).toBe(1);
      expect(h.sim.ea.orderSends).toBe(2); // hb1 and dup1, once each
    }), 30_000);

  it('keeps statuses through a platform outage and delivers them, in order, when it is back', () =>
    withHost(async (f, h) => {
      await h.client.start();
      await until(() => h.client.pusherSubscribed, 5000, 'Pusher subscription');
      f.down = true;
      await f.send({ id: 'o1', type: 'STATUS_REQUEST', parameters: {} });
      await f.send({ id: 'o2', type: 'PERFORMANCE_REQUEST', parameters: {} });
      await until(() => h.client.outboxLength >= 6, 5000, 'queued statuses');
      await new Promise((r) => setTimeout(r, 500)); // several failed attempts meanwhile
      expect(f.statuses).toEqual([]);
      // persisted: one journal line per queued status (no whole-state rewrite)
      expect(readFileSync(join(h.dir, 'ledger.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"op":"outbox-push"')).length).toBeGreaterThanOrEqual(6);
      f.down = false;
      await until(() => h.client.outboxLength === 0, 10_000, 'outbox drained');
      // every status arrives, each command's in its own order (two commands may interleave)
      for (const id of ['o1', 'o2']) expect(f.statuses.filter((x) => x.commandId === id).map((x) => x.status)).toEqual(['received', 'executing', 'executed']);
      expect(f.statuses.length).toBe(6);
    }), 30_000);

  it('refuses a bad secret with a clear error and a calm, bounded retry', () =>
    withHost(async (f, h) => {
      const errors: string[] = [];
      h.client.on('auth-error', (e: Error) => errors.push(e.message));
      void h.client.start();
      await new Promise((r) => setTimeout(r, 1000));
      // backoff 100, 200, 400 ms…: at most a handful of attempts in a second, never a storm
      expect(f.requests.length).toBeGreaterThanOrEqual(2);
      expect(f.requests.length).toBeLessThanOrEqual(5);
      expect(errors[0]).toMatch(/refused the API key and secret \(HTTP 401\): run 'mt5-executor login'/);
      expect(errors.join(' ')).not.toContain('wrong-secret');
    }, 'wrong-secret-wrong-secret-123'));

  it('restores the strategies the platform lists as active; reports the ones it does not list; copes without the endpoint', () =>
    withHost(async (f, h) => {
      await h.mgr.start(JSON.parse(readFileSync('examples/rsi-bollinger-reversion.json', 'utf8')));
      await h.client.start();
      expect(await restoreFromPlatform(h.client, h.mgr, silent)).toMatchObject({ available: false, started: [] });
      f.active = { strategies: [{ strategyId: 'ema-cross-trend', parameters: strategy }, { strategyId: 'broken', parameters: { strategyId: 'broken', symbol: 'EURUSD', timeframe: 'H1', rules: {} } }] };
      const r = await restoreFromPlatform(h.client, h.mgr, silent);
      expect(r).toMatchObject({ available: true, started: ['ema-cross-trend'], notListed: ['rsi-bb-reversion'] });
      expect(r.failed[0]).toMatchObject({ id: 'broken', error: expect.stringMatching(/rules\.entry/) });
      expect(h.mgr.get('ema-cross-trend')!.record.status).toBe('running');
      expect(h.mgr.get('rsi-bb-reversion')!.record.status).toBe('running'); // not stopped on the list's word
      f.active = [strategy]; // the bare form is accepted too
      expect(await restoreFromPlatform(h.client, h.mgr, silent)).toMatchObject({ available: true, started: [], alreadyRunning: ['ema-cross-trend'] });
    }), 30_000);

  it('network errors retry quickly, capped and jittered (not the 401 policy); across a host restart inside the outage every status arrives soon after the platform is back', () =>
    // scaled down: first wait 50 ms, cap 400 ms (the defaults are 1 s and 30 s); the 401 policy here is 5 s
    withHost(async (f, h) => {
      const port = Number(new URL(f.url).port);
      await h.client.start();
      await until(() => h.client.pusherSubscribed, 5000, 'Pusher subscription');
      await f.stop(); // the platform's REST side is gone: connection refused
      await f.send({ id: 'n1', type: 'STATUS_REQUEST', parameters: {} });
      await f.send({ id: 'n2', type: 'PERFORMANCE_REQUEST', parameters: {} });
      await until(() => h.client.outboxLength >= 6, 5000, 'queued statuses');
      // the host restarts inside the outage: a new client on the same state, bootstrapping against a dead platform
      h.client.stop();
      await h.store.write(); // as the host's stop does
      h.store.close();
      const store = await Store.open(h.dir);
      expect(store.data.outbox.length).toBeGreaterThanOrEqual(6);
      const again = new PlatformClient({ baseUrl: f.url, apiKey: API.key, apiSecret: API.secret, store, log: silent, authRetryMs: 5000, networkRetryMs: 50, maxRetryMs: 400, outboxRetryMs: 50, pusher: { enabledTransports: ['ws'] } });
      h.client = again; // stopped by withHost
      const started = again.start();
      await new Promise((r) => setTimeout(r, 1500)); // long enough for the backoff to reach its cap
      const attempts = again.requests;
      expect(attempts).toBeGreaterThanOrEqual(4); // 50, 100, 200, 400, 400 … ms: quick, not 5 s
      expect(attempts).toBeLessThanOrEqual(12); // …and capped, not a storm
      await f.start(port);
      const back = performance.now();
      await started;
      await until(() => again.outboxLength === 0, 5000, 'outbox drained');
      const delay = performance.now() - back;
      expect(delay).toBeLessThan(400 + 600); // within the cap (plus the bootstrap and the sends)
      for (const id of ['n1', 'n2']) expect(f.statuses.filter((x) => x.commandId === id).map((x) => x.status)).toEqual(['received', 'executing', 'executed']);
      expect(f.statuses.filter((x) => 'seq' in x)).toEqual([]); // the journal's ordering field stays local
    }, undefined, { authRetryMs: 5000, networkRetryMs: 50, maxRetryMs: 400 }), 30_000);

  it('a successful heartbeat drains a waiting outbox at once, and so does a Pusher reconnection', () =>
    withHost(async (f, h) => {
      await h.client.start();
      await until(() => h.client.pusherSubscribed, 5000, 'Pusher subscription');
      for (const [id, wake] of [['h1', () => h.client.heartbeat()], ['p1', async () => {
        const p = (h.client as unknown as { pusher: { disconnect(): void; connect(): void; connection: { state: string } } }).pusher;
        p.disconnect();
        await until(() => p.connection.state === 'disconnected', 5000, 'Pusher down');
        p.connect();
      }]] as const) {
        f.down = true;
        await f.send({ id, type: 'STATUS_REQUEST', parameters: {} });
        await until(() => h.client.outboxLength >= 3, 5000, 'queued');
        await new Promise((r) => setTimeout(r, 300)); // the first attempts failed: the next one is 10 s away
        f.down = false;
        const t0 = performance.now();
        await wake();
        await until(() => h.client.outboxLength === 0, 5000, `drained after ${id}`);
        expect(performance.now() - t0, id).toBeLessThan(9000); // the wake drained it, not the retry 10 s away (wide: a loaded CI machine)
        expect(f.final(id)).toMatchObject({ status: 'executed' });
      }
    }, undefined, { outboxRetryMs: 10_000 }), 30_000);
});
