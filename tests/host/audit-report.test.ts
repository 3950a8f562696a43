/**
 * Local-API and dashboard actions in the audit trail platform commands reach (the store's audit, on disk): who
 * (local-api with the API token, dashboard with its session), what, when, and how it ended — against the real host
 * with the simulated terminal on the real bridge socket, and never a token, cookie or CSRF value.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/host/logger.js';
import { startHost, type RunningHost } from '../../src/host/start.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { apiCaller, freePort, makeBroker, until } from '../helpers.js';
import { connectEurusdTerminal } from './eurusd-terminal.js';

const strategy = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8'));

describe('audit trail of the local API and the dashboard', () => {
  let host: RunningHost;
  let dir: string;
  let base = '';
  let apiToken = '';
  let bridgeToken = '';
  let cookie = '';
  let csrf = '';
  let sim: SimTerminal;
  const broker = makeBroker({}, [symbolSpec('EURUSD')]);
  const api = apiCaller(() => base, () => apiToken);
  const viaDashboard = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(base + path, { method, headers: { cookie, 'x-csrf-token': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  /** The audit entries of commands and API actions, as written to state.json. */
  type Entry = { at: number; event: string; detail: Record<string, unknown> };
  /** The audit trail as it is on disk: the last snapshot (state.json) and the journal's audit lines since. */
  const onDisk = (): Entry[] => {
    const snap = existsSync(join(dir, 'state', 'state.json')) ? (JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8')) as { audit: Entry[] }).audit : [];
    const journal = readFileSync(join(dir, 'state', 'ledger.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { op: string; entry?: Entry }).filter((o) => o.op === 'audit').map((o) => o.entry!);
    return [...snap, ...journal].filter((a) => a.event === 'command');
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mt5x-audit-'));
    const [bridgePort, apiPort] = [await freePort(), await freePort()];
    host = await startHost({
      env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_PORT: String(apiPort), MT5X_NO_KEYCHAIN: '1', MT5X_PRIME_AT_START: 'false' },
      log: silentLogger, out: () => {}, now: () => Math.floor(broker.time / 1000),
    });
    ({ sim, apiToken, base, bridgeToken } = await connectEurusdTerminal(host, dir, { bridge: bridgePort, api: apiPort }, broker));
    // a dashboard session, as the trader gets it: the one-time link, then the session's CSRF token
    const link = new URL(host.dashboard!.loginLink(60_000).url);
    const r = await fetch(base + link.pathname + link.search, { redirect: 'manual' });
    cookie = r.headers.get('set-cookie')!.split(';')[0]!;
    csrf = ((await (await fetch(base + '/dashboard/session', { headers: { cookie } })).json()) as { csrfToken: string }).csrfToken;
  }, 30_000);

  afterAll(async () => {
    await sim?.close();
    await host?.stop();
  });

  it('records who did what, when and how it ended; on disk; with no secret', async () => {
    const t0 = Date.now();
    expect((await api('POST', '/strategies', strategy, { 'idempotency-key': 'start-1' })).status).toBe(200);
    expect((await viaDashboard('PUT', '/risk-limits', { maxLot: 2 })).status).toBe(200);
    const open = await api('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.1 });
    expect(open.status).toBe(200);
    expect((await api('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.1, magik: 1 })).status).toBe(400);
    expect((await viaDashboard('POST', `/positions/${open.body.result.ticket}/close`, {})).status).toBe(200);
    expect((await api('DELETE', '/strategies/nope')).status).toBe(404);
    expect((await viaDashboard('POST', '/emergency-stop', { reason: 'audit test', lockMinutes: 1 })).status).toBe(200);
    expect((await api('POST', '/confirmations/nope-1')).status).toBe(404);
    expect((await api('POST', '/strategies', strategy, { 'idempotency-key': 'start-1' })).body).toMatchObject({ replayed: true }); // a retry

    await until(() => onDisk().length >= 9, 5000, 'the audit trail on disk');
    const audit = onDisk();
    const got = audit.map((a) => [a.detail.who, a.detail.type, a.detail.status, a.detail.code ?? null]);
    expect(got).toEqual([
      ['local-api', 'START_STRATEGY', 'executed', null],
      ['dashboard', 'UPDATE_RISK_LIMITS', 'executed', null],
      ['local-api', 'OPEN_POSITION', 'executed', null],
      ['local-api', 'OPEN_POSITION', 'failed', 'INVALID'],
      ['dashboard', 'CLOSE_POSITION', 'executed', null],
      ['local-api', 'DELETE_STRATEGY', 'failed', null],
      ['dashboard', 'EMERGENCY_STOP', 'executed', null],
      ['local-api', 'CONFIRM_ENTRY', 'failed', null],
      ['local-api', 'START_STRATEGY', 'executed', null],
    ]);
    for (const a of audit) expect(a.at).toBeGreaterThanOrEqual(t0);
    expect(audit[0]!.detail).toMatchObject({ commandId: 'api-start-1', parameters: { strategyId: 'ema-cross-trend' }, result: { strategyId: 'ema-cross-trend', status: 'running' } });
    expect(audit[1]!.detail).toMatchObject({ parameters: { maxLot: 2 }, result: { limits: { maxLot: 2 } } });
    expect(audit[2]!.detail).toMatchObject({ parameters: { symbol: 'EURUSD', side: 'BUY', volume: 0.1 }, result: { class: 'done', ticket: open.body.result.ticket } });
    expect(audit[3]!.detail.error).toMatch(/magik/);
    expect(audit[5]!.detail).toMatchObject({ parameters: { strategyId: 'nope' }, error: expect.stringMatching(/no strategy nope/) });
    expect(audit[8]!.detail).toMatchObject({ replayed: true });
    const text = readFileSync(join(dir, 'state', 'state.json'), 'utf8');
    for (const secret of [apiToken, bridgeToken, cookie.split('=')[1]!, csrf]) expect(text).not.toContain(secret);
  });
});
