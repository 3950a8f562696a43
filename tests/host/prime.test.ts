import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { primeSignalPath, primingBars } from '../../src/host/trading/prime.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import { MONDAY_10H, makeBroker, startRig } from '../helpers.js';

describe('priming the order path at start', () => {
  it('runs opens, modifications and closes through the real host code on its own terminal, then removes its folder', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mt5x-prime-test-')), 'priming');
    mkdirSync(dir);
    writeFileSync(join(dir, 'journal.jsonl'), 'left by a priming killed half-way\n');
    const r = await primeSignalPath({ dir, bars: 120 });
    expect(r.error).toBeUndefined();
    expect(r.bars).toBe(120);
    expect(r.types.OPEN).toBeGreaterThan(10);
    expect(r.types.MODIFY).toBeGreaterThan(10); // trailing stops
    expect(r.types.CLOSE).toBeGreaterThan(10); // exits on the opposite cross
    expect(r.intents).toBe((r.types.OPEN ?? 0) + (r.types.MODIFY ?? 0) + (r.types.CLOSE ?? 0));
    expect(r.done).toBeGreaterThan(r.intents * 0.9);
    expect(existsSync(dir)).toBe(false);
  }, 30_000);

  it('touches nothing of a host already running: no order on its terminal, no line in its ledger', async () => {
    const store = await Store.open(mkdtempSync(join(tmpdir(), 'mt5x-prime-host-')));
    const ledger = new PersistentLedger(store);
    const rig = await startRig({ ledger });
    try {
      const broker = makeBroker();
      broker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
      const { sim } = await rig.connect({ broker });
      const r = await primeSignalPath({ bars: 40, strategies: 2 });
      expect(r.error).toBeUndefined();
      expect(r.intents).toBeGreaterThan(0);
      expect(sim.ea.orderSends).toBe(0);
      expect(Object.keys(store.data.intents)).toEqual([]);
    } finally {
      await rig.close();
      store.close();
    }
  }, 30_000);

  it('reports a failure instead of throwing (the host trades without priming)', async () => {
    const r = await primeSignalPath({ bars: 50, timeoutMs: 1 });
    expect(r.error).toMatch(/not ready in time|not answered in time/);
    const file = join(mkdtempSync(join(tmpdir(), 'mt5x-prime-file-')), 'a-file');
    writeFileSync(file, '');
    const unusable = await primeSignalPath({ dir: join(file, 'priming') }); // a folder under a file
    expect(unusable.error).toMatch(/ENOTDIR|not a directory/i);
  }, 30_000);

  it('its bars are hourly, on the price grid, with highs and lows around open and close', () => {
    const s = primingBars(300);
    for (let i = 0; i < s.length; i++) {
      if (i) expect(s.time[i]! - s.time[i - 1]!).toBe(3600);
      for (const v of [s.open[i]!, s.high[i]!, s.low[i]!, s.close[i]!]) expect(Math.abs(v * 1e5 - Math.round(v * 1e5))).toBeLessThan(1e-6);
      expect(s.high[i]!).toBeGreaterThanOrEqual(Math.max(s.open[i]!, s.close[i]!));
      expect(s.low[i]!).toBeLessThanOrEqual(Math.min(s.open[i]!, s.close[i]!));
      if (i) expect(s.open[i]).toBe(s.close[i - 1]);
    }
  });
});
