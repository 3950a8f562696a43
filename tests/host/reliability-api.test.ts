/**
 * Hostile input through the local API against the real host (startHost, the simulated terminal over the real
 * bridge): every refusal is a 4xx naming the field, nothing is stored raw, nothing reaches the terminal that it
 * cannot take, and the process stays up.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../../src/host/start.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { freePort, makeBroker, apiCaller } from '../helpers.js';
import { connectEurusdTerminal } from './eurusd-terminal.js';

const strategy = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8'));

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('local API under hostile input', () => {
  let host: RunningHost;
  let base: string;
  let apiToken: string;
  let sim: SimTerminal;
  const broker = makeBroker({}, [symbolSpec('EURUSD')]);
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);

  const api = apiCaller(() => base, () => apiToken);


  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-rel-api-'));
    const [bridgePort, apiPort] = [await freePort(), await freePort()];
    host = await startHost({
      env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_PORT: String(apiPort), MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'silent' },
      out: () => {},
      now: () => Math.floor(broker.time / 1000),
    });
    ({ sim, apiToken, base } = await connectEurusdTerminal(host, dir, { bridge: bridgePort, api: apiPort }, broker));
  }, 30_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await sim?.close();
    await host?.stop();
  });

  it('a ticket above 2^64−1 is a 400 naming the ticket; nothing enters the ledger, no waiter is left behind', async () => {
    const before = Object.keys(host.store.data.intents).length;
    for (const t of ['18446744073709551616', '99999999999999999999999999']) {
      const r = await api('POST', `/positions/${t}/close`, {});
      expect(r.status, t).toBe(400);
      expect(r.body.error).toMatch(/ticket/);
      const m = await api('PATCH', `/positions/${t}`, { sl: 1 });
      expect(m.status).toBe(400);
    }
    expect(Object.keys(host.store.data.intents).length).toBe(before);
    expect(unhandled).toEqual([]);
  });

  it('a symbol longer than the protocol allows is refused with a 400 and never sent', async () => {
    const before = Object.keys(host.store.data.intents).length;
    const r = await api('POST', '/orders', { symbol: 'X'.repeat(65), side: 'BUY', volume: 0.01 });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/symbol/);
    const c = await api('POST', '/close-all', { symbol: 'Y'.repeat(200) });
    expect(c.status).toBe(400);
    expect(c.body.error).toMatch(/symbol/);
    expect(Object.keys(host.store.data.intents).length).toBe(before); // never recorded, never sent
    expect(sim.badFrames).toBe(0);
  });

  it('unknown fields are refused with the field named, never stored: PUT /risk-limits {maxDailyLossPercnt}', async () => {
    const r = await api('PUT', '/risk-limits', { maxDailyLossPercnt: 3 });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/maxDailyLossPercnt/);
    expect(JSON.stringify(host.store.data.safety ?? {})).not.toMatch(/maxDailyLossPercnt/);
    const o = await api('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.01, stopp: 1 });
    expect(o.status).toBe(400);
    expect(o.body.error).toMatch(/stopp/);
    const ok = await api('PUT', '/risk-limits', { maxDailyLossPercent: 3 });
    expect(ok.status).toBe(200);
  });

  it('a body nested 3000 deep is a 400; the state stays small and later commands fast', async () => {
    const r = await api('PUT', '/risk-limits', { maxLot: nested(3000) });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/nest/);
    const s = await api('POST', '/strategies', { ...strategy, strategyId: 'deep', deep: nested(100) });
    expect(s.status).toBe(400);
    expect(JSON.stringify(host.store.data).length).toBeLessThan(1_000_000);
  });

  it('EMERGENCY_STOP with lockMinutes 1e300 is a 400 (it does not execute and then answer 500)', async () => {
    const r = await api('POST', '/emergency-stop', { lockMinutes: 1e300 });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/lockMinutes/);
    expect(host.manager.status().killSwitch).toMatchObject({ locked: false });
  });

  it('a failed command retried with the same Idempotency-Key answers with its error text; a corrected retry executes', async () => {
    const key = 'retry-fixed-1';
    const bad = await api('PUT', '/risk-limits', { maxLot: -1 }, { 'idempotency-key': key });
    expect(bad.status).toBe(400);
    const again = await api('PUT', '/risk-limits', { maxLot: -1 }, { 'idempotency-key': key });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ status: 'failed', replayed: true, error: expect.stringMatching(/maxLot/) });
    const fixed = await api('PUT', '/risk-limits', { maxLot: 5 }, { 'idempotency-key': key });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ status: 'executed', result: { limits: { maxLot: 5 } } });
  });

  it('no unhandled rejection was seen during the hostile requests', () => {
    expect(unhandled).toEqual([]);
  });
});
