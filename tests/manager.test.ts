import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../src/engine/bars.js';
import { StrategyManager } from '../src/host/manager.js';
import { silentLogger } from '../src/host/logger.js';
import { PersistentLedger, Store } from '../src/host/store.js';
import type { IntentBody } from '../src/protocol/messages.js';
import { replayBars } from '../src/sim/replay.js';
import { symbolSpec } from '../src/sim/symbols.js';
import { makeBroker, startRig } from './helpers.js';

const bars = parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8'));
const example = (f: string) => JSON.parse(readFileSync(`examples/${f}.json`, 'utf8'));

async function setup(limits?: object) {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-mgr-'));
  const store = await Store.open(dir);
  const rig = await startRig({ ledger: new PersistentLedger(store), symbols: [], bars: [] });
  const broker = makeBroker({}, [symbolSpec('EURUSD')]);
  const { sim, terminal } = await rig.connect({ broker });
  const mgr = new StrategyManager(store, silentLogger, { warmupBars: 500, ...(limits ? { limits } : {}), now: () => Math.floor(broker.time / 1000) || 1_600_000_000 });
  const opened: string[] = [];
  mgr.on('intent', (_id: string, i: IntentBody) => i.type === 'OPEN' && opened.push(i.intentId));
  mgr.attach(terminal);
  const data = sliceBars(bars, 0, 3000);
  sim.setHistory('EURUSD', 'H1', data, 600);
  broker.quote('EURUSD', data.open[600]!, data.open[600]! + 0.0001, data.time[600]! * 1000);
  return { dir, store, rig, broker, sim, terminal, mgr, opened, data };
}

describe('strategy manager', () => {
  it('starts a strategy (warmed up on history), trades it over the bridge, pauses, resumes and stops it with its positions', async () => {
    const s = await setup();
    try {
      await s.mgr.start(example('ema-cross-trend'));
      expect(s.terminal.symbols).toEqual(['EURUSD']); // subscribed for the strategy
      expect(s.mgr.get('ema-cross-trend')!.runner!.evaluator.bars('H1')).toBe(500);
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1400, defaultSpread: 10 });
      expect(s.opened.length).toBeGreaterThan(3);
      await s.mgr.pause('ema-cross-trend');
      const before = s.opened.length;
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 1400, to: 1700, defaultSpread: 10 });
      expect(s.opened.length).toBe(before); // paused: no new entries
      await s.mgr.resume('ema-cross-trend');
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 1700, to: 2600, defaultSpread: 10 });
      expect(s.opened.length).toBeGreaterThan(before);
      // make sure the strategy has a position to close (with its magic), whatever the replay left open
      const magic = s.mgr.get('ema-cross-trend')!.runner!.magic;
      await s.mgr.manualIntent({ type: 'OPEN', intentId: 'extra-open', magic, symbol: 'EURUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 10 });
      const open = s.broker.positionList().filter((p) => p.magic === magic).length;
      expect(open).toBeGreaterThanOrEqual(1);
      const closed = await s.mgr.stop('ema-cross-trend', true);
      expect(closed.length).toBe(open);
      expect(closed.every((r) => r.class === 'done')).toBe(true);
      expect(s.broker.positionList().length).toBe(0);
      expect(s.store.data.strategies['ema-cross-trend']!.status).toBe('stopped');
    } finally {
      await s.rig.close();
    }
  });

  it('blocks orders that break the pre-trade limits', async () => {
    const s = await setup({ maxLot: 0.01 });
    const blocked: unknown[] = [];
    s.mgr.on('blocked', (_id: string, f: unknown) => blocked.push(f));
    try {
      await s.mgr.start(example('ema-cross-trend')); // 0.1 lot
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1400, defaultSpread: 10 });
      expect(s.opened).toEqual([]);
      expect(blocked.length).toBeGreaterThan(3);
      expect(JSON.stringify(blocked[0])).toContain('MAX_LOT');
    } finally {
      await s.rig.close();
    }
  });

  it('the kill switch stops everything, closes every position and pending order, locks trading, and tells the platform', async () => {
    const s = await setup();
    try {
      await s.mgr.start(example('ema-cross-trend'));
      await s.mgr.start(example('rsi-bollinger-reversion'));
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1200, defaultSpread: 10 });
      await s.mgr.manualIntent({ type: 'PLACE_PENDING', intentId: 'manual-pending', magic: 5, symbol: 'EURUSD', orderType: 2, volume: 0.01, price: 0.9, stopLimit: 0, sl: 0, tp: 0, expiration: 0 });
      await s.mgr.manualIntent({ type: 'OPEN', intentId: 'manual-open', magic: 5, symbol: 'EURUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 10 });
      expect(s.broker.positionList().length).toBeGreaterThan(0);
      let notified = false;
      s.mgr.on('kill', () => (notified = true));
      const { event, result } = await s.mgr.emergencyStop('EMERGENCY_STOP from the platform');
      expect(event.actions).toEqual(['stop_all_strategies', 'close_all_positions_and_delete_orders', 'notify_platform']);
      expect(result && !(result instanceof Error) && result.class).toBe('done');
      expect(s.broker.positionList()).toEqual([]);
      expect(s.broker.orderList()).toEqual([]);
      expect(notified).toBe(true);
      expect(s.mgr.list().map((r) => r.status)).toEqual(['stopped', 'stopped']);
      await expect(s.mgr.start(example('ema-cross-trend'))).rejects.toThrow(/locked by the kill switch/);
      await expect(s.mgr.manualIntent({ type: 'OPEN', intentId: 'after-kill', magic: 5, symbol: 'EURUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 10 })).rejects.toThrow(/KILL_SWITCH/);
      // a restart neither unlocks trading nor loosens a limit
      s.mgr.setLimits({ maxLot: 0.05 });
      await s.store.write();
      const restarted = new StrategyManager(await Store.open(s.dir), silentLogger, { now: () => event.at + 60 });
      await expect(restarted.start(example('ema-cross-trend'))).rejects.toThrow(/locked by the kill switch/);
      expect(restarted.status()).toMatchObject({ killSwitch: { locked: true, lockedUntil: event.lockedUntil } });
      expect(restarted.setLimits({})).toMatchObject({ maxLot: 0.05 });
    } finally {
      await s.rig.close();
    }
  });

  it('restores strategies after a restart, starts an id once, and deletes for real', async () => {
    const s = await setup();
    try {
      await s.mgr.start(example('ema-cross-trend'));
      await s.mgr.start(example('ema-cross-trend')); // the same id again: restarted, not duplicated
      await s.mgr.start(example('rsi-bollinger-reversion'));
      await s.mgr.pause('rsi-bb-reversion');
      expect(s.mgr.list().length).toBe(2);
      const again = new StrategyManager(await Store.open(s.dir), silentLogger);
      expect(again.list().map((r) => [r.id, r.status])).toEqual([['ema-cross-trend', 'running'], ['rsi-bb-reversion', 'paused']]);
      await s.mgr.delete('rsi-bb-reversion');
      expect(Object.keys((await Store.open(s.dir)).data.strategies)).toEqual(['ema-cross-trend']);
      await expect(s.mgr.pause('nope')).rejects.toThrow(/no strategy nope/);
      await expect(s.mgr.start({ strategyId: 'bad', symbol: 'EURUSD', timeframe: 'H1', rules: {} })).rejects.toThrow(/rules.entry/);
    } finally {
      await s.rig.close();
    }
  });
});
