/**
 * Sane ranges for every number of the strategy format and the indicator specs: absurd values are refused
 * with a clear error naming the field, quickly — never a hang (an indicator period ≥ 2^31 used to spin the
 * ring buffer's sizing loop forever) and never a raw ZodError.
 */
import { baseStrategy, strategyProblems } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { MAX_INDICATOR_PERIOD, SpecError, parseIndicatorSpec } from '../../src/engine/indicator-spec.js';
import { MovingAverage, Stochastic, MAX_RING_CAPACITY } from '../../src/engine/indicators.js';
import { strategyJsonSchema } from '../../src/engine/strategy/schema.js';

const base = baseStrategy;
const problems = strategyProblems;

/** Runs `f` and returns how long it took (the bug was a hang, so a bound on time is the point). */
function timed(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

describe('indicator periods have a range', () => {
  it('sma:2147483648 and a stochastic parameter of 18446744073709551616 are refused at once with the bound named', () => {
    for (const spec of ['sma:2147483648', 'stoch:5,18446744073709551616,3', 'stoch:18446744073709551616', 'ichimoku:9,26,1e21', `ema:${MAX_INDICATOR_PERIOD + 1}`]) {
      let err: unknown;
      const ms = timed(() => {
        try {
          parseIndicatorSpec(spec);
        } catch (e) {
          err = e;
        }
      });
      expect(err, spec).toBeInstanceOf(SpecError);
      expect((err as Error).message).toMatch(new RegExp(`at most ${MAX_INDICATOR_PERIOD}|must be a number`));
      expect(ms).toBeLessThan(100);
    }
    expect(parseIndicatorSpec(`sma:${MAX_INDICATOR_PERIOD}`).params).toEqual([MAX_INDICATOR_PERIOD]);
    expect(() => parseIndicatorSpec('bb:20,1e9')).toThrow(/deviation must be at most/);
  });

  it('the ring buffer itself refuses an absurd capacity instead of looping', () => {
    const ms = timed(() => {
      expect(() => new MovingAverage('sma', 2 ** 31)).toThrow(RangeError);
      expect(() => new Stochastic(5, 2 ** 53, 3)).toThrow(RangeError);
      expect(() => new MovingAverage('sma', Number.NaN)).toThrow(RangeError);
    });
    expect(ms).toBeLessThan(100);
    expect(MAX_RING_CAPACITY).toBeGreaterThanOrEqual(MAX_INDICATOR_PERIOD + 2);
  });

  it('a strategy naming sma_2147483648 gets a validation error naming the condition', () => {
    const p = problems(base({ direction: 'BUY', conditions: [{ indicator: 'sma_2147483648', condition: '>', value: 1 }] }));
    expect(p.join('\n')).toMatch(/rules\.entry\.conditions\[0\]\.indicator: 'sma_2147483648'.*at most 100000/);
    const q = problems(base({ direction: 'BUY', conditions: [{ indicator: 'stoch', condition: '>', value: 1, params: { d: 2 ** 31 } }] }));
    expect(q.join('\n')).toMatch(/d must be at most 100000 bars/);
  });
});

describe('numbers of the strategy format have a range (and the JSON Schema carries it)', () => {
  const bad: [string, object][] = [
    ['ATR multiplier 1e9', { exit: { stopLoss: { type: 'atr', multiplier: 1e9 } } }],
    ['take-profit ATR multiplier 1e9', { exit: { takeProfit: { type: 'atr', multiplier: 1e9 } } }],
    ['atrPeriod 2^31', { exit: { stopLoss: { type: 'atr', multiplier: 2, atrPeriod: 2 ** 31 } } }],
    ['lotSize 1e300', { riskManagement: { lotSize: 1e300 } }],
    ['maxPositions 1e15', { riskManagement: { lotSize: 0.1, maxPositions: 1e15 } }],
    ['stop-loss pips 1e300', { exit: { stopLoss: { type: 'pips', value: 1e300 } } }],
    ['volatility atrPeriod 2^31', { filters: { volatilityFilter: { atrPeriod: 2 ** 31 } } }],
    ['correlation window 2^31', { filters: { correlationFilter: { threshold: 0.8, window: 2 ** 31 } } }],
  ];
  for (const [what, rules] of bad) {
    it(`${what} is refused by the schema`, () => {
      const p = problems(base({ direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 30 }] }, rules));
      expect(p.length, what).toBeGreaterThan(0);
      expect(p.join('\n')).toMatch(/too big|<=|at most/i);
    });
  }

  it('a condition value of 1e300 and a period of 2^31 on a condition are refused', () => {
    expect(problems(base({ direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 1e300 }] })).length).toBeGreaterThan(0);
    expect(problems(base({ direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 30, period: 2 ** 31 }] })).length).toBeGreaterThan(0);
  });

  it('the JSON Schema carries the ranges', () => {
    const js = JSON.stringify(strategyJsonSchema());
    expect(js).toMatch(/"maximum":100000/); // periods
    expect(js).toMatch(/"maximum":100[,}]/); // multipliers
    expect(js).toMatch(/"maximum":1000000000/); // plain positive numbers
  });
});

describe('an empty entry', () => {
  it('rules.entry: {} is a clear validation error, not "Cannot read properties of undefined"', () => {
    for (const entry of [{}, { short: undefined }]) {
      const p = problems(base(entry));
      expect(p.join('\n')).toMatch(/^rules\.entry: no entry rules: give \{ direction, conditions/);
    }
  });
});
