/**
 * The engine's hot paths against their plain forms: each fast path gives what the plain path gives, for any input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPLIED_PRICES, appliedPrice, priceByCode, priceCode, type BarIn } from '../../src/engine/indicators/base.js';

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
