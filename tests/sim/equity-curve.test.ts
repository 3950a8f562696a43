import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeTimesOf, computeMetrics, newEquityCurve } from '../../src/engine/metrics.js';
import { reportStats } from '../../src/engine/report-stats.js';
import { BacktestCurve } from '../../src/sim/equity-curve.js';

describe("a backtest's equity curve (times from the bars, the balance as its changes)", () => {
  it('reads and builds the columns a curve written point by point has, and gives the same figures', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.record({ bal: fc.constantFrom(1000, 1000, 1000, 990.5, 0, -0, 1234.56), eq: fc.double({ min: -10, max: 5000, noNaN: true }), exp: fc.boolean() }), { maxLength: 300 }),
        fc.option(fc.record({ eq: fc.double({ min: 0, max: 5000, noNaN: true }), bal: fc.constantFrom(1000, 0, -0, 777.77) }), { nil: undefined }),
        fc.boolean(),
        (warm, points, last, readEarly) => {
          // hourly bars with gaps over a few months (month and day ends inside)
          const n = warm + points.length;
          const barTime = Float64Array.from({ length: n }, (_, i) => 1_700_000_000 + i * 3600 + Math.floor(i / 50) * 86400);
          const curve = new BacktestCurve(points.length, barTime, warm, 3600), plain = newEquityCurve(points.length);
          const a = new Float64Array(3);
          points.forEach((p, e) => {
            a[1] = p.bal;
            a[2] = p.eq;
            curve.add(a, 1, p.exp);
            const k = plain.length++;
            plain.time[k] = barTime[warm + k]! + 3600;
            plain.equity[k] = p.eq;
            plain.balance[k] = p.bal;
            plain.exposed[k] = p.exp ? 1 : 0;
            if (readEarly && e === points.length >> 1) expect(curve.balance.subarray(0, curve.length)).toEqual(plain.balance.subarray(0, plain.length));
          });
          if (last && plain.length) {
            curve.setLast(last.eq, last.bal);
            plain.equity[plain.length - 1] = last.eq;
            plain.balance[plain.length - 1] = last.bal;
          }
          for (let i = 0; i < plain.length; i++) expect(Object.is(curve.balanceAt(i), plain.balance[i])).toBe(true);
          const ct = closeTimesOf(curve);
          for (let i = 0; i < plain.length; i++) expect(ct.t[ct.from + i]! + ct.add).toBe(plain.time[i]);
          expect(computeMetrics([], curve, 1000)).toEqual(computeMetrics([], plain, 1000));
          const input = { trades: [], equity: curve, initialBalance: 1000, rejected: [], refusals: [], blocked: {} };
          expect(reportStats({ ...input, metrics: computeMetrics([], curve, 1000) })).toEqual(reportStats({ ...input, equity: plain, metrics: computeMetrics([], plain, 1000) }));
          expect([curve.time, curve.balance, curve.equity, curve.exposed]).toEqual([plain.time, plain.balance, plain.equity, plain.exposed]);
          for (let i = 0; i < plain.length; i++) expect(Object.is(curve.balance[i], plain.balance[i])).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
