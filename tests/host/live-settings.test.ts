/**
 * Settings the trader writes, enforced in the live host (the strategy manager over the real bridge to the simulated
 * terminal) where tests/e2e/settings-matrix.test.ts shows them only in the backtest or on the runner alone: the
 * correlation filter (which needs a second symbol's bars as the host receives them) and `risk.onStrategyDailyLoss`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars, type BarSeries } from '../../src/engine/bars.js';
import { closesCorrelation } from '../../src/engine/filters.js';
import type { Decision } from '../../src/engine/runner.js';
import { StrategyManager } from '../../src/host/trading/manager.js';
import type { LiveOptions } from '../../src/host/trading/manager.js';
import type { ManagerOptions } from '../../src/host/trading/context.js';
import { silentLogger } from '../../src/host/logger.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import type { IntentBody } from '../../src/protocol/messages.js';
import { replayBars } from '../../src/sim/replay.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { makeBroker, startRig, until } from '../helpers.js';

const eurusd = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 1500);
/** GBPUSD bars that move with EURUSD bar for bar (the same returns): |r| = 1 over any window. */
const scaled = (b: BarSeries, k: number): BarSeries => ({ ...b, open: b.open.map((x) => Math.round(x * k * 1e5) / 1e5), high: b.high.map((x) => Math.round(x * k * 1e5) / 1e5), low: b.low.map((x) => Math.round(x * k * 1e5) / 1e5), close: b.close.map((x) => x * k) });
const gbpusd = scaled(eurusd, 1.2);

async function setup(mgrOpts: Partial<ManagerOptions & LiveOptions> = {}, gbp: BarSeries = gbpusd) {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-lset-'));
  const store = await Store.open(dir);
  const rig = await startRig({ ledger: new PersistentLedger(store), symbols: [], bars: [] });
  const broker = makeBroker({}, [symbolSpec('EURUSD', { commissionPerLot: 0 }), symbolSpec('GBPUSD', { commissionPerLot: 0 })]);
  const at = 1100;
  broker.quote('EURUSD', eurusd.open[at]!, eurusd.open[at]! + 0.0001, eurusd.time[at]! * 1000);
  broker.quote('GBPUSD', gbp.open[at]!, gbp.open[at]! + 0.0001, gbp.time[at]! * 1000);
  const { sim, terminal } = await rig.connect({ broker });
  const mgr = new StrategyManager(store, silentLogger, { now: () => Math.floor(broker.time / 1000), ...mgrOpts });
  const sent: IntentBody[] = [];
  mgr.on('sent', (_id: string, intent: IntentBody) => sent.push(intent));
  const decisions: { id: string; d: Decision }[] = [];
  mgr.on('decision', (id: string, d: Decision) => decisions.push({ id, d }));
  mgr.attach(terminal);
  sim.setHistory('EURUSD', 'H1', eurusd, at);
  sim.setHistory('GBPUSD', 'H1', gbp, at);
  return { rig, broker, sim, terminal, mgr, sent, decisions, at };
}

/** Enters long at every bar's close (at most one position). */
const always = (id: string, symbol: string, filters: object = {}, risk: object = {}) => ({
  strategyId: id, symbol, timeframe: 'H1',
  rules: {
    entry: { long: { conditions: [{ indicator: 'price', condition: 'greater_than', value: 0 }] } },
    exit: { stopLoss: { type: 'pips', value: 30 }, takeProfit: { type: 'pips', value: 30 } },
    riskManagement: { lotSize: 0.1, maxPositions: 1, ...risk },
    filters,
  },
});
/** Never enters: it only makes the host receive its symbol's bars. */
const watcher = (id: string, symbol: string) => ({
  strategyId: id, symbol, timeframe: 'H1',
  rules: { entry: { long: { conditions: [{ indicator: 'price', condition: 'less_than', value: 0 }] } }, riskManagement: { lotSize: 0.1 } },
});

describe('correlation filter in the live host', () => {
  /** A GBPUSD position by hand, then `cf` on an EURUSD strategy that would enter at every bar; what it did. */
  async function run(cf: object, watchGbp = true, gbp: BarSeries = gbpusd) {
    const s = await setup({}, gbp);
    try {
      if (watchGbp) await s.mgr.start(watcher('gbp-bars', 'GBPUSD'));
      await s.mgr.manualIntent({ type: 'OPEN', intentId: 'gbp-by-hand', magic: 0, symbol: 'GBPUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 10 });
      await until(() => s.terminal.positions.some((p) => p.symbol === 'GBPUSD'), 5000, 'the GBPUSD position reported');
      await s.mgr.start(always('corr', 'EURUSD', { correlationFilter: cf }));
      await until(() => s.mgr.get('corr')?.runner !== undefined, 10_000, 'prepared');
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: eurusd, from: s.at, to: s.at + 3, defaultSpread: 10 });
      const mine = s.decisions.filter((x) => x.id === 'corr');
      expect(mine.length).toBeGreaterThan(0);
      const f = mine[0]!.d.filters.find((x) => x.filter === 'correlation')!;
      const opens = s.sent.filter((i) => i.type === 'OPEN' && i.symbol === 'EURUSD') as Extract<IntentBody, { type: 'OPEN' }>[];
      return { filter: f, opens, at: s.at };
    } finally {
      await s.rig.close();
    }
  }

  it('skips the entry when an open position on another symbol moves with this one, from the bars the host receives', async () => {
    const r = await run({ threshold: 0.5 });
    expect(r.filter).toMatchObject({ pass: false, sizeMultiplier: 0 });
    expect(r.filter.detail).toMatch(/^GBPUSD r=1\.00 \(threshold 0\.5\)$/);
    expect(r.opens).toEqual([]);
  }, 30_000);

  it('REDUCE_SIZE with sizeMultiplier sends the entry smaller; enabled: false lets it through whole', async () => {
    const reduced = await run({ threshold: 0.5, action: 'REDUCE_SIZE', sizeMultiplier: 0.3 });
    expect(reduced.filter.pass).toBe(false);
    expect(reduced.opens.map((o) => o.volume)).toEqual([0.03]);
    const off = await run({ threshold: 0.5, enabled: false });
    expect(off.filter).toBeUndefined();
    expect(off.opens.map((o) => o.volume)).toEqual([0.1]);
  }, 30_000);

  it('a position on a symbol whose bars the host does not receive is not judged, and the decision says so (not "no open positions")', async () => {
    const r = await run({ threshold: 0.5 }, false);
    expect(r.filter.pass).toBe(true);
    expect(r.filter.detail).toBe("GBPUSD: no bars, not judged (threshold 0.5)");
    expect(r.filter.detail).not.toMatch(/no open positions/);
  }, 30_000);

  it('a window longer than the 300 closes the host keeps by default is read whole (the default warm-up of 1000 bars)', async () => {
    // GBPUSD moves with EURUSD over its newest 380 bars only, on a walk of its own before: a window of 800 sees both
    const k = 1100 - 380;
    let walk = 1.3;
    const close = Float64Array.from(eurusd.close, (c, i) => (i >= k ? c * 1.2 : (walk += (((i * 7919) % 13) - 6) * 0.0004)));
    const gbp: BarSeries = { ...eurusd, open: close, high: close, low: close, close };
    const r = await run({ threshold: 0.99, window: 800 }, true, gbp);
    const hist = (b: BarSeries) => ({ time: b.time.subarray(0, r.at), close: b.close.subarray(0, r.at) });
    const whole = closesCorrelation(hist(eurusd), hist(gbp), 800);
    const newest400 = closesCorrelation({ time: eurusd.time.subarray(r.at - 401, r.at), close: eurusd.close.subarray(r.at - 401, r.at) }, { time: gbp.time.subarray(r.at - 401, r.at), close: gbp.close.subarray(r.at - 401, r.at) }, 800);
    expect(whole.toFixed(2)).not.toBe(newest400.toFixed(2)); // the case tells the two apart
    expect(r.filter.detail).toBe(`GBPUSD r=${whole.toFixed(2)} (threshold 0.99)`);
  }, 30_000);
});

describe('risk.onStrategyDailyLoss in the live host', () => {
  /** A strategy that enters at every bar with a daily loss limit of 1 USD; the first losing day's outcome. */
  async function run(onStrategyDailyLoss: 'block' | 'pause') {
    const s = await setup({ warmupBars: 300, risk: { onDailyLoss: 'block', onDrawdown: 'block', onStrategyDailyLoss, autoPause: null, killSwitchLockSec: 3600 } });
    const blocked: string[] = [];
    s.mgr.on('blocked', (id: string, f: { code: string }[]) => id === 'daily' && blocked.push(...f.map((x) => x.code)));
    try {
      await s.mgr.start(always('daily', 'EURUSD', {}, { maxDailyLoss: 1 }));
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: eurusd, from: s.at, to: s.at + 150, defaultSpread: 10 });
      const losses = s.broker.deals().filter((d) => d.entry === 1 && d.profit < 0);
      expect(losses.length).toBeGreaterThan(0);
      const firstLoss = losses[0]!.time;
      const dayEnd = (Math.floor(firstLoss / 86400) + 1) * 86400; // deal times are server seconds; the broker day is the server day
      const opensAfter = s.broker.deals().filter((d) => d.entry === 0 && d.symbol === 'EURUSD' && d.time > firstLoss && d.time < dayEnd);
      return { status: s.mgr.get('daily')!.record.status, opensAfter: opensAfter.length, blocked, halted: s.mgr.core.state().halted['daily'] };
    } finally {
      await s.rig.close();
    }
  }

  it('block: the strategy keeps running, its entries refused for the rest of the broker day (STRATEGY_DAILY_LOSS)', async () => {
    const r = await run('block');
    expect(r.status).toBe('running');
    expect(r.opensAfter).toBe(0);
    expect(r.blocked).toContain('STRATEGY_DAILY_LOSS');
  }, 30_000);

  it('pause: the strategy is paused at the losing close, with the reason', async () => {
    const r = await run('pause');
    expect(r.status).toBe('paused');
    expect(r.halted).toMatchObject({ status: 'paused', reason: expect.stringMatching(/today's loss .* reached its limit 1 \(riskManagement.maxDailyLoss\)/) });
    expect(r.opensAfter).toBe(0);
  }, 30_000);
});

describe('more settings in the live host', () => {
  it('options.magic: the strategy\'s orders carry it, and its positions are its own (the daily loss counts them)', async () => {
    const s = await setup({ warmupBars: 300 });
    try {
      const st = always('magic', 'EURUSD', {}, {});
      await s.mgr.start({ ...st, rules: { ...st.rules, options: { magic: 424242 } } });
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: eurusd, from: s.at, to: s.at + 3, defaultSpread: 10 });
      const opens = s.sent.filter((i) => i.type === 'OPEN');
      expect(opens.length).toBeGreaterThan(0);
      expect(new Set(opens.map((i) => i.magic))).toEqual(new Set([424242]));
      expect(s.broker.positionList().map((p) => p.magic)).toEqual([424242]);
    } finally {
      await s.rig.close();
    }
  }, 30_000);

  it('risk.onDailyLoss pause: the account\'s daily loss limit reached pauses every strategy (block only refuses entries)', async () => {
    const run = async (onDailyLoss: 'block' | 'pause') => {
      const s = await setup({ warmupBars: 300, limits: { maxDailyLossMoney: 20, maxLot: 10, maxPositionsAccount: 100, maxPositionsSymbol: 100, maxPositionsStrategy: 100 }, risk: { onDailyLoss, onDrawdown: 'block', onStrategyDailyLoss: 'block', autoPause: null, killSwitchLockSec: 3600 } });
      const breaches: { action: string; reason: string }[] = [];
      s.mgr.on('breach', (b: { action: string; reason: string }) => breaches.push(b));
      try {
        await s.mgr.start(always('acct', 'EURUSD'));
        await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: eurusd, from: s.at, to: s.at + 150, defaultSpread: 10 });
        return { breaches, status: s.mgr.get('acct')!.record.status };
      } finally {
        await s.rig.close();
      }
    };
    const paused = await run('pause');
    expect(paused.breaches[0]).toMatchObject({ action: 'pause', reason: expect.stringMatching(/daily loss .* reached the limit/) });
    expect(paused.status).toBe('paused');
    const blocked = await run('block');
    expect(blocked.breaches).toEqual([]);
    expect(blocked.status).toBe('running');
  }, 30_000);
});
