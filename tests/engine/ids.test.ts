import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base36 } from '../../src/engine/ids.js';

describe('base36 (the decision times in intent ids)', () => {
  it('gives what toString(36) gives, for whole numbers up to 2^53 and the values it hands on (negative, fractions, not finite, past 2^53)', () => {
    for (const n of [0, 1, 35, 36, 1295, 1296, 1297, 36 ** 3 - 1, 36 ** 3, 1296 ** 2 - 1, 1296 ** 2, 1296 ** 2 * 36, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 4_102_444_800, 6_500_000_000, 36 ** 6 - 1, 36 ** 6, Number.MAX_SAFE_INTEGER, -1, -0, 0.5, 1e300, NaN, Infinity, -Infinity, 2 ** 53]) {
      expect(base36(n), String(n)).toBe(n.toString(36));
    }
    fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.maxSafeNat()), (n) => base36(n) === n.toString(36)), { numRuns: 20_000 });
  });
});
