/**
 * The local HTTP API against the real host (`startHost`: config, credential store, state, bridge, manager,
 * API) with the simulated MT5 terminal connected over the real bridge socket.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { createLogger } from '../../src/host/logger.js';
import { startHost, type RunningHost } from '../../src/host/start.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { freePort, makeBroker, until, apiCaller } from '../helpers.js';
import { connectEurusdTerminal } from './eurusd-terminal.js';

const DASHBOARD = 'http://127.0.0.1:5173';
const strategy = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8'));

/** A raw HTTP request (fetch cannot set a foreign Host header). */
function raw(port: number, o: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((res, rej) => {
    const r = request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path, headers: o.headers ?? {} }, (resp) => {
      let b = '';
      resp.on('data', (c: Buffer) => (b += c.toString()));
      resp.on('end', () => res({ status: resp.statusCode ?? 0, headers: resp.headers, body: b }));
    });
    r.on('error', rej);
    r.end(o.body);
  });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

describe('local HTTP API', () => {
  let host: RunningHost;
  let dir: string;
  let base: string;
  let apiToken: string;
  let bridgeToken: string;
  let sim: SimTerminal;
  const logLines: string[] = [];
  const broker = makeBroker({}, [symbolSpec('EURUSD')]);
  const PLATFORM_SECRET = 'sk_live_Qm7wZ2rT9vB4nX8kL1pD5sF3';

  const api = apiCaller(() => base, () => apiToken);


  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mt5x-api-'));
    const creds = await openCredentialStore(dir, { preferKeychain: false });
    creds.set('apiKey', 'exec-key-1');
    creds.set('apiSecret', PLATFORM_SECRET); // stored as by `login`; no platform configured here
    const [bridgePort, apiPort] = [await freePort(), await freePort()];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { logLines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
    host = await startHost({
      env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_PORT: String(apiPort), MT5X_NO_KEYCHAIN: '1', MT5X_CORS_ORIGIN: DASHBOARD, MT5X_LOG_LEVEL: 'debug' },
      logDestination: sink,
      out: () => {},
      now: () => Math.floor(broker.time / 1000),
    });
    ({ sim, apiToken, base, bridgeToken } = await connectEurusdTerminal(host, dir, { bridge: bridgePort, api: apiPort }, broker));
  }, 30_000);

  afterAll(async () => {
    await sim?.close();
    await host?.stop();
  });

  it('refuses requests without the token, with a wrong one, or for a foreign Host (DNS rebinding)', async () => {
    expect((await fetch(base + '/health')).status).toBe(401);
    const wrong = await fetch(base + '/health', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: expect.stringMatching(/Authorization: Bearer/) });
    const port = Number(new URL(base).port);
    const rebinding = await raw(port, { path: '/health', headers: { host: `evil.example:${port}`, authorization: `Bearer ${apiToken}` } });
    expect(rebinding.status).toBe(421);
    expect(host.api!.port()).toBe(port);
  });

  it('primed the order path before its bridge listened, in a folder of its own that is gone after', () => {
    const msgs = logLines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    const primed = logLines.find((l) => l.includes('"order path primed"'));
    expect(JSON.parse(primed!)).toMatchObject({ msg: 'order path primed', bars: 150, intents: expect.any(Number) });
    expect(msgs.indexOf('order path primed')).toBeLessThan(msgs.indexOf('bridge listening'));
    expect(existsSync(join(dir, 'priming'))).toBe(false);
  });

  it('allows CORS for the dashboard origin only', async () => {
    const pre = (origin: string) => fetch(base + '/strategies', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    const ok = await pre(DASHBOARD);
    expect(ok.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    const other = await pre('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('reports health, the account and metrics from the connected terminal', async () => {
    const h = await api('GET', '/health');
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ ok: true, terminalConnected: true, paper: false, platformConnected: false, version: expect.any(String) });
    const a = await api('GET', '/account');
    expect(a.body).toMatchObject({ balance: broker.account().balance, currency: broker.account().currency });
    const m = await api('GET', '/metrics');
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    expect(m.body).toContain('mt5x_terminal_connected{account="1001@Sim-Test"} 1');
    expect(m.body).toContain(`mt5x_account_balance{account="1001@Sim-Test"} ${broker.account().balance}`);

  });

  it('lists entries waiting for the trader\'s confirmation; answering an unknown one is a 404 with the reason', async () => {
    const l = await api('GET', '/confirmations');
    expect(l).toMatchObject({ status: 200, body: [] });
    const r = await api('POST', '/confirmations/nope-1');
    expect(r.status).toBe(404);
    expect(r.body.error).toMatch(/no entry nope-1 waits for confirmation \(they expire after 120 s\)/);
    expect((await api('DELETE', '/confirmations/nope-1')).status).toBe(404);
  });

  it('starts, pauses, resumes, updates and deletes a strategy; bad bodies get a 4xx naming the field', async () => {
    const bad = await api('POST', '/strategies', { ...strategy, timeframe: 'H7' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/timeframe/);
    expect((await api('POST', '/strategies', '[1,2]')).status).toBe(400);
    expect((await api('POST', '/strategies', '{"broken": ')).status).toBe(400);
    const big = await api('POST', '/strategies', { ...strategy, padding: 'x'.repeat(70_000) });
    expect(big.status).toBe(413);
    const started = await api('POST', '/strategies', strategy);
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ status: 'executed', result: { strategyId: 'ema-cross-trend', status: 'running' } });
    expect((await api('GET', '/strategies')).body).toMatchObject([{ id: 'ema-cross-trend', status: 'running' }]);
    expect((await api('POST', '/strategies/ema-cross-trend/pause')).body).toMatchObject({ status: 'executed' });
    expect((await api('GET', '/strategies/ema-cross-trend')).body).toMatchObject({ status: 'paused' });
    expect((await api('POST', '/strategies/ema-cross-trend/resume')).body).toMatchObject({ status: 'executed' });
    expect((await api('PUT', '/strategies/ema-cross-trend', { ...strategy, strategyName: 'renamed' })).body).toMatchObject({ status: 'executed' });
    expect((await api('GET', '/metrics')).body).toContain('mt5x_strategies{account="1001@Sim-Test",status="running"} 1');
    expect((await api('POST', '/strategies/nope/pause')).status).toBe(404);
    expect((await api('DELETE', '/strategies/ema-cross-trend')).body).toEqual({ deleted: 'ema-cross-trend' });
    expect((await api('GET', '/strategies/ema-cross-trend')).status).toBe(404);
    expect(host.store.data.strategies['ema-cross-trend']).toBeUndefined();
  });

  it('an order the broker answers 10012 (timeout: ambiguous) is neither "failed" nor sent again: executed if the terminal shows it, failed "not executed" if it does not', async () => {
    const before = broker.positionList().length;
    const sends = sim.ea.orderSends;
    sim.ambiguous = { n: 1, executes: true };
    const done = await api('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.01 }, { 'idempotency-key': 'amb-1' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'executed', result: { class: 'done' } });
    expect(broker.positionList().length).toBe(before + 1);
    expect(broker.positionList().some((p) => p.ticket.toString() === done.body.result.ticket)).toBe(true);
    sim.ambiguous = { n: 1, executes: false };
    const not = await api('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.01 }, { 'idempotency-key': 'amb-2' });
    expect(not.status).toBe(422);
    expect(not.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/not executed: answered 10012/) });
    expect(broker.positionList().length).toBe(before + 1);
    expect(sim.ea.orderSends).toBe(sends + 1); // each sent once; neither sent again
    expect(sim.connects).toBe(1);
    const close = await api('POST', `/positions/${done.body.result.ticket}/close`, {});
    expect(close.body).toMatchObject({ status: 'executed' });
  }, 30_000);

  it('opens, modifies and closes a position; a retry with the same Idempotency-Key does not open a second one', async () => {
    const before = broker.positionList().length;
    const order = { symbol: 'EURUSD', side: 'BUY', volume: 0.02 };
    const first = await api('POST', '/orders', order, { 'idempotency-key': 'order-1' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ commandId: 'api-order-1', status: 'executed', result: { class: 'done', volume: 0.02 } });
    const again = await api('POST', '/orders', order, { 'idempotency-key': 'order-1' });
    expect(again.body).toMatchObject({ status: 'executed', replayed: true, result: { ticket: first.body.result.ticket } });
    expect(broker.positionList().length).toBe(before + 1);
    const ticket: string = first.body.result.ticket;
    await until(() => host.manager.positions().some((p) => p.ticket.toString() === ticket), 5000, 'position report');
    const listed = (await api('GET', '/positions')).body as { ticket: string; volume: number }[];
    expect(listed.find((p) => p.ticket === ticket)).toMatchObject({ volume: 0.02 });
    const sl = Math.round((first.body.result.price - 0.005) * 1e5) / 1e5;
    expect((await api('PATCH', `/positions/${ticket}`, { sl })).body).toMatchObject({ status: 'executed' });
    expect(broker.positionList().find((p) => p.ticket.toString() === ticket)!.sl).toBe(sl);
    expect((await api('POST', `/positions/${ticket}/close`, {})).body).toMatchObject({ status: 'executed', result: { volume: 0.02 } });
    expect(broker.positionList().length).toBe(before);
    // /metrics: commands by their last status, counted from the state
    const counts = host.store.commandStatusCounts();
    expect(counts.executed).toBeGreaterThanOrEqual(4);
    const metrics = (await api('GET', '/metrics')).body as string;
    for (const [status, n] of Object.entries(counts)) expect(metrics).toContain(`mt5x_commands{account="1001@Sim-Test",status="${status}"} ${n}`);
    const noSide = await api('POST', '/orders', { symbol: 'EURUSD', volume: 0.01 });
    expect(noSide.status).toBe(400);
    expect(noSide.body.error).toMatch(/side/);
    expect((await api('POST', '/orders', order, { 'idempotency-key': 'bad key!' })).status).toBe(400);
  });

  it('streams log lines as server-sent events', async () => {
    const ctl = new AbortController();
    const r = await fetch(base + '/logs/stream', { headers: { authorization: `Bearer ${apiToken}` }, signal: ctl.signal });
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const reader = r.body!.getReader();
    let seen = '';
    await api('POST', '/orders', { symbol: 'EURUSD', side: 'SELL', volume: 0.01 }, { 'idempotency-key': 'sse-1' });
    const end = Date.now() + 5000;
    while (!seen.includes('api-sse-1') && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    ctl.abort();
    const event = seen.split('\n\n').find((e) => e.includes('api-sse-1') && e.includes('command executed'));
    expect(event).toBeDefined();
    expect(JSON.parse(event!.replace(/^data: /, ''))).toMatchObject({ commandId: 'api-sse-1', msg: 'command executed' });
  });

  it('emergency stop locks trading: a new strategy is refused with 423', async () => {
    const stop = await api('POST', '/emergency-stop', { reason: 'api test', lockMinutes: 5 });
    expect(stop.body).toMatchObject({ status: 'executed', result: { lockedUntil: expect.any(String) } });
    expect(broker.positionList()).toEqual([]);
    const refused = await api('POST', '/strategies', strategy);
    expect(refused.status).toBe(423);
    expect(refused.body.error).toMatch(/kill switch/);
    expect((await api('GET', '/metrics')).body).toContain('mt5x_kill_switch_locked{account="1001@Sim-Test"} 1');
  });

  it('never writes a secret in plain text: not in any log line, not in any file of the data folder', async () => {
    await host.store.write();
    host.store.backup(5);
    expect(logLines.length).toBeGreaterThan(10);
    const files = listFiles(dir).map((f) => ({ f, text: readFileSync(f).toString('latin1') }));
    expect(files.length).toBeGreaterThan(2);
    for (const secret of [apiToken, bridgeToken, PLATFORM_SECRET]) {
      expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
      expect(files.filter((x) => x.text.includes(secret)).map((x) => x.f)).toEqual([]);
      expect(files.filter((x) => x.text.includes(Buffer.from(secret).toString('base64'))).map((x) => x.f)).toEqual([]);
    }
  });
});

describe('logger', () => {
  it('redacts secret-named fields wherever a caller puts them', () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } }));
    log.info({ token: 'tok-123', apiSecret: 'sec-456', headers: { authorization: 'Bearer tok-789', 'x-api-secret': 'sec-000' }, ok: 'visible' }, 'm');
    expect(lines.join('')).not.toMatch(/tok-123|sec-456|tok-789|sec-000/);
    expect(lines.join('')).toContain('visible');
    expect(lines.join('')).toContain('[redacted]');
  });
});

describe('local HTTP API limits', () => {
  it('rate-limits a client past its budget with 429, and refuses a non-loopback host or CORS *', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-api-rl-'));
    const apiPort = await freePort();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ api: { port: apiPort, rateLimitPerMinute: 3 }, bridge: { port: await freePort() } }));
    const host = await startHost({ env: { MT5X_DATA_DIR: dir, MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'silent' }, out: () => {} });
    try {
      const token = (await openCredentialStore(dir, { preferKeychain: false })).get('apiToken')!;
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await fetch(`http://127.0.0.1:${apiPort}/health`, { headers: { authorization: `Bearer ${token}` } })).status);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await host.stop();
    }
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ api: { host: '0.0.0.0' } }));
    await expect(startHost({ env: { MT5X_DATA_DIR: dir, MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'silent' }, out: () => {} })).rejects.toThrow(/not a loopback address/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ api: { corsOrigin: '*' } }));
    await expect(startHost({ env: { MT5X_DATA_DIR: dir, MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'silent' }, out: () => {} })).rejects.toThrow(/any web page/);
  });
});
