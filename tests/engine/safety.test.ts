import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sessionOpenAt } from '../../src/engine/sessions.js';
import { NO_POLICY, RiskGate } from '../../src/engine/core/risk-gate.js';
import { DEFAULT_AUTO_PAUSE, autoPauseReasons, brokerDay, correlationsMatter, defaultLimits, validatePreTrade, type PreTradeContext } from '../../src/engine/safety.js';
import { TradingCore, type VenueFacts } from '../../src/engine/core/trading-core.js';

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

describe('the correlations are worked out only when they can change the answer', () => {
  it('correlationsMatter false ⇒ validatePreTrade gives the same failures with any correlations as without (property)', () => {
    const syms = ['EURUSD', 'GBPUSD', 'AUDUSD', 'USDJPY'];
    // volumes of whole and odd steps (sums that round), limits near their sum, correlations on either side of the threshold
    const vol = fc.oneof(fc.constantFrom(0, 0.01, 0.1, 0.3, 0.7, 1, 2.5), fc.double({ min: 0, max: 3, noNaN: true }));
    const arb = fc.record({
      positions: fc.array(fc.record({ symbol: fc.constantFrom(...syms), strategyId: fc.constantFrom('a', 'b'), volume: vol }), { maxLength: 12 }),
      order: fc.record({ symbol: fc.constantFrom(...syms), volume: fc.double({ min: 0.01, max: 2, noNaN: true }) }),
      limit: fc.oneof(fc.double({ min: 0, max: 20, noNaN: true }), fc.constantFrom(0.1, 0.2, 1, 3)),
      nearSum: fc.boolean(),
      threshold: fc.constantFrom(0, 0.5, 0.8, 1),
      rs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
    });
    let skipped = 0, matter = 0, refusedWhenMatter = 0;
    fc.assert(
      fc.property(arb, (x) => {
        const sum = x.positions.reduce((s, p) => s + p.volume, 0) + x.order.volume;
        // half the time the limit sits exactly at the sum (or a hair either side), where rounding decides
        const limit = x.nearSum ? sum + [-1e-11, -2e-12, -1e-12, 0, 1e-12, 2e-12][Math.floor(x.limit) % 6]! : x.limit;
        const l = { maxCorrelatedLots: limit, correlationThreshold: x.threshold };
        const c = { ...ok, positions: x.positions, order: { ...ok.order, ...x.order } };
        const correlations = Object.fromEntries(syms.map((s, i) => [s, x.rs[i]!]));
        const withR = validatePreTrade({ ...c, correlations }, l).map((f) => f.code);
        if (!correlationsMatter(c.positions, c.order.volume, l)) {
          skipped++;
          expect(withR).toEqual(validatePreTrade(c, l).map((f) => f.code));
          expect(withR).not.toContain('CORRELATION_EXPOSURE');
        } else {
          matter++;
          if (withR.includes('CORRELATION_EXPOSURE')) refusedWhenMatter++;
        }
      }),
      { numRuns: 5000 },
    );
    expect(skipped).toBeGreaterThan(500);
    expect(matter).toBeGreaterThan(500);
    expect(refusedWhenMatter).toBeGreaterThan(100);
    expect(correlationsMatter([{ volume: 0.1 }], 0.1, {})).toBe(false); // no limit: nothing to check
    expect(correlationsMatter([{ volume: -0.1 }], 0.1, { maxCorrelatedLots: 1 })).toBe(true); // not plainly within
    expect(correlationsMatter([{ volume: NaN }], 0.1, { maxCorrelatedLots: 1 })).toBe(true);
  });

  it('the core asks the venue for correlations only with the limit within reach, and refuses as before', () => {
    const asked: string[] = [];
    const venue = (positions: { symbol: string; volume: number }[]): VenueFacts => ({
      now: 1_700_000_000,
      account: () => ({ balance: 10_000, equity: 10_000, freeMargin: 9_000 }),
      positions: () => positions.map((p, i) => ({ ticket: BigInt(i + 1), magic: 7, type: 0, profit: 0, ...p })),
      marginFor: () => 10,
      marketOpen: () => true,
      correlations: (symbol) => {
        asked.push(symbol);
        return { GBPUSD: 0.9 };
      },
    });
    const entry = { type: 'OPEN' as const, intentId: 'm-1', magic: 0, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 };
    const core = (maxCorrelatedLots: number) => new TradingCore({ ...NO_POLICY, limits: { maxCorrelatedLots, correlationThreshold: 0.8 } });
    const gbp = [{ symbol: 'GBPUSD', volume: 0.1 }];
    expect(core(1).checkEntry('manual', entry, venue(gbp))).toEqual([]); // 0.2 lots of 1: no question
    expect(asked).toEqual([]);
    expect(core(0.15).checkEntry('manual', entry, venue(gbp)).map((f) => f.code)).toEqual(['CORRELATION_EXPOSURE']);
    expect(asked).toEqual(['EURUSD']);
  });
});
