/**
 * The engine's hot paths against their plain forms: each fast path gives what the plain path gives, for any input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPLIED_PRICES, appliedPrice, priceByCode, priceCode, type BarIn } from '../../src/engine/indicators/base.js';
import { fixedLot, fixedLotOf, type SizingSymbol } from '../../src/engine/sizing.js';

const price = fc.double({ min: 1e-6, max: 1e6, noNaN: true });

describe('priceByCode (the close read before the switch: the indicators’ per-bar path)', () => {
  it('gives appliedPrice for every applied price and any bar', () => {
    fc.assert(
      fc.property(price, price, price, price, (open, high, low, close) => {
        const b: BarIn = { time: 0, open, high, low, close, tickVolume: 0, realVolume: 0 };
        for (const p of APPLIED_PRICES) expect(Object.is(priceByCode(b, priceCode(p)), appliedPrice(b, p)), p).toBe(true);
      }),
    );
  });
});

describe('fixedLot (the last answer given again for the same numbers)', () => {
  // small pools, so that calls repeat the last one's numbers, and change one of them at a time
  const call = fc.record({
    step: fc.constantFrom(0.01, 0.1, 1, 0.001),
    min: fc.constantFrom(0.01, 0.1, 1),
    max: fc.constantFrom(1, 100, 0.05),
    lots: fc.constantFrom(0.1, 0.01, 0.15, 2, 0, -0, -1, Number.NaN, 1000),
    multiplier: fc.constantFrom(1, 0.5, 0, -0, 0.33),
  });
  it('gives what fixedLotOf computes, key order included, for any sequence of calls; a caller changing its answer changes no later one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(call, fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 30 }), (runs) => {
        for (const c of runs.flatMap(([c, n]) => Array.from({ length: n }, () => c))) {
          const sym: SizingSymbol = { volumeMin: c.min, volumeMax: c.max, volumeStep: c.step, tickSize: 0.00001, tickValue: 1 };
          const got = fixedLot(sym, c.lots, c.multiplier);
          const want = fixedLotOf(sym, c.lots, c.multiplier);
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          expect(got).toEqual(want);
          if (got.ok) {
            got.volume = -1; // the caller's object: the next answer is not this one
            got.detail = 'changed';
          } else got.reason = 'changed';
        }
      }),
      { numRuns: 300 },
    );
  });
});
