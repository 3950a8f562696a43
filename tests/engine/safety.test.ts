import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sessionOpenAt } from '../../src/engine/sessions.js';
import { RiskGate } from '../../src/engine/core/risk-gate.js';
import { DEFAULT_AUTO_PAUSE, autoPauseReasons, brokerDay, defaultLimits, validatePreTrade, type PreTradeContext } from '../../src/engine/safety.js';

const ok: PreTradeContext = {
  now: 1_700_000_000,
  account: { balance: 10_000, equity: 10_000, freeMargin: 9_000 },
  dayStartBalance: 10_000,
  equityPeak: 10_000,
  positions: [],
  order: { symbol: 'EURUSD', strategyId: 's1', volume: 0.1, marginRequired: 110 },
  marketOpen: true,
};
const codes = (c: Partial<PreTradeContext>, l = defaultLimits(2)) => validatePreTrade({ ...ok, ...c }, l).map((f) => f.code);

describe('pre-trade validator', () => {
  it('allows a clean order on live defaults', () => {
    expect(codes({})).toEqual([]);
  });

  it('blocks on each check, with a machine-readable code, and allows just below each limit', () => {
    expect(codes({ account: { ...ok.account, equity: 9_800 } })).toEqual(['DAILY_LOSS_PERCENT']); // 2 % on live
    expect(codes({ account: { ...ok.account, equity: 9_801 } })).toEqual([]);
    expect(codes({ account: { ...ok.account, equity: 9_900 } }, { maxDailyLossMoney: 100 })).toEqual(['DAILY_LOSS']);
    expect(codes({ account: { ...ok.account, equity: 9_901 } }, { maxDailyLossMoney: 100 })).toEqual([]);
    expect(codes({ equityPeak: 10_700, dayStartBalance: 10_058 })).toEqual(['MAX_DRAWDOWN']); // 6.5 % from the peak
    expect(codes({ equityPeak: 10_600 })).toEqual([]); // 5.66 %
    expect(codes({ order: { ...ok.order, volume: 0.11 } })).toEqual(['MAX_LOT']);
    const three = ['A', 'B', 'C'].map((s) => ({ symbol: s, strategyId: 'x', volume: 0.01 }));
    expect(codes({ positions: three })).toEqual(['MAX_POSITIONS_ACCOUNT']);
    expect(codes({ positions: three.slice(0, 2) })).toEqual([]);
    expect(codes({ positions: [{ symbol: 'EURUSD', strategyId: 'x', volume: 0.01 }, { symbol: 'EURUSD', strategyId: 'y', volume: 0.01 }] })).toEqual(['MAX_POSITIONS_SYMBOL']);
    expect(codes({ positions: [{ symbol: 'GBPUSD', strategyId: 's1', volume: 0.01 }] })).toEqual(['MAX_POSITIONS_STRATEGY']);
    expect(codes({ positions: [{ symbol: 'GBPUSD', strategyId: 'x', volume: 0.1 }], correlations: { GBPUSD: 0.9 } }, { ...defaultLimits(2), maxCorrelatedLots: 0.15 })).toEqual(['CORRELATION_EXPOSURE']);
    expect(codes({ positions: [{ symbol: 'GBPUSD', strategyId: 'x', volume: 0.1 }], correlations: { GBPUSD: 0.5 } }, { ...defaultLimits(2), maxCorrelatedLots: 0.15 })).toEqual([]);
    expect(codes({ order: { ...ok.order, marginRequired: 9_001 } })).toEqual(['FREE_MARGIN']);
    expect(codes({ marketOpen: false })).toEqual(['MARKET_CLOSED']);
    expect(codes({ calendar: (s) => (s === 'EURUSD' ? { title: 'ECB rate decision', impact: 'high' } : undefined) })).toEqual(['NEWS']);
    expect(codes({ killSwitchLocked: true })).toEqual(['KILL_SWITCH']);
  });

  it('reports every failing check at once, and gives demo accounts wider defaults', () => {
    expect(codes({ marketOpen: false, order: { ...ok.order, volume: 0.5, marginRequired: 1e6 } })).toEqual(['MAX_LOT', 'FREE_MARGIN', 'MARKET_CLOSED']);
    expect(defaultLimits(2)).toMatchObject({ maxDailyLossPercent: 2, maxDrawdownPercent: 6, maxLot: 0.1, maxPositionsAccount: 3 });
    expect(codes({ order: { ...ok.order, volume: 0.5 } }, defaultLimits(0))).toEqual([]);
    expect(brokerDay(Date.UTC(2024, 0, 8, 23, 59) / 1000)).toBe(brokerDay(Date.UTC(2024, 0, 8, 0, 0) / 1000));
  });
});

describe('kill switch (the risk gate\'s lock)', () => {
  it('idle → locked; locked → extended, never shortened; expired; unlocked by an operator', () => {
    const g = new RiskGate();
    expect(g.locked(100)).toBe(false);
    expect(g.lock(100, 'EMERGENCY_STOP from the platform', 3600)).toBe(3700);
    expect(g.locked(3699)).toBe(true);
    expect(g.lock(200, 'again', 7200)).toBe(7400);
    expect(g.lock(300, 'short', 60)).toBe(7400);
    expect(g.locked(7400)).toBe(false); // expired
    expect(g.lock(8000, 'third', 3600)).toBe(11600);
    expect(g.state.killSwitch.reason).toBe('third');
    g.unlock();
    expect(g.locked(8001)).toBe(false);
  });
});

describe('auto-pause (seed 004 rules)', () => {
  it('pauses on each rule, and not before enough trades for the statistical ones', () => {
    const base = { dailyLossPercent: 0, results: [10, -5, 10, -5], drawdownPercent: 0 };
    expect(autoPauseReasons(base)).toEqual([]);
    expect(autoPauseReasons({ ...base, dailyLossPercent: 5.1 })[0]).toMatch(/daily loss 5.10 % > 5 %/);
    expect(autoPauseReasons({ ...base, results: [10, -1, -1, -1, -1, -1] })[0]).toMatch(/5 losses in a row/);
    expect(autoPauseReasons({ ...base, drawdownPercent: 15.5 })[0]).toMatch(/drawdown 15.50 % > 15 %/);
    const poor = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? 10 : -6)); // 7 wins of 10, 13 losses of 6
    expect(autoPauseReasons({ ...base, results: poor })).toEqual(['profit factor 0.90 < 1']); // 35 % wins is not below 35 %
    const rare = Array.from({ length: 20 }, (_, i) => (i % 4 === 0 ? 30 : -5)); // 5 wins of 30, 15 losses of 5: PF 2, 25 %
    expect(autoPauseReasons({ ...base, results: rare })).toEqual(['win rate 25.0 % < 35 %']);
    expect(autoPauseReasons({ ...base, results: poor.slice(0, 19) }, { ...DEFAULT_AUTO_PAUSE, minTrades: 20 })).toEqual([]);
  });
});

describe('trade sessions', () => {
  it('sessionOpenAt judges weekday and minute as a Date of that server time does, for any time (property)', () => {
    // the reference: the weekday from Date, the minute of the day from the remainder
    const byDate = (sessions: [number, number, number][], sec: number) => {
      const day = new Date(sec * 1000).getUTCDay();
      const minute = Math.floor((((sec % 86400) + 86400) % 86400) / 60);
      return sessions.some(([d, from, to]) => d === day && minute >= from && minute < to);
    };
    let open = 0, closed = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 1440 }), fc.integer({ min: 0, max: 1440 })), { minLength: 1, maxLength: 6 }),
        fc.oneof(fc.integer({ min: -1e11, max: 1e11 }), fc.double({ min: -1e10, max: 1e10, noNaN: true })),
        (sessions, sec) => {
          const want = byDate(sessions, sec);
          expect(sessionOpenAt(sessions, sec)).toBe(want);
          if (want) open++;
          else closed++;
        },
      ),
      { numRuns: 5000 },
    );
    expect(open).toBeGreaterThan(100);
    expect(closed).toBeGreaterThan(300);
    expect(sessionOpenAt([], 0)).toBe(true);
  });
});
