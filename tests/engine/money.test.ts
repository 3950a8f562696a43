import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floorVolume, fromMinor, isVolumeStepMultiple, minorScale, roundInPlace, roundPrice, roundTo, stepsToVolume, toMinor, volumeSteps } from '../../src/engine/money.js';

describe('money and volume arithmetic', () => {
  it('rounds half away from zero after removing binary noise', () => {
    expect(roundTo(1.005, 2)).toBe(1.01); // 1.005 is 1.00499999999999989... in binary
    expect(roundTo(-1.005, 2)).toBe(-1.01);
    expect(roundTo(2.675, 2)).toBe(2.68);
    expect(toMinor(0.1 + 0.2, 2)).toBe(30);
    expect(roundTo(10.000000000000009, 2)).toBe(10);
    expect(fromMinor(-1234, 2)).toBe(-12.34);
  });

  it('roundInPlace rounds an array element exactly as roundTo, ties and binary noise included (property)', () => {
    const a = new Float64Array(1);
    const same = (x: number, d: number) => {
      a[0] = x;
      roundInPlace(a, 0, d);
      expect(Object.is(a[0], roundTo(x, d)), `${x} to ${d} digits`).toBe(true);
    };
    for (const x of [1.005, -1.005, 2.675, 0.1 + 0.2, 10.000000000000009, 1.234565, 0, -0, 1.1 + 0.00002, 99999.995, 1e15 + 0.5]) for (const d of [0, 2, 3, 5]) same(x, d);
    fc.assert(fc.property(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: -3, max: 3 }), (k, d, ulps) => {
      // a tie (k + 0.5 at d + 1 digits) nudged by a few units in the last place, and any double
      const tie = (k + 0.5) / 10 ** d;
      same(tie + ulps * Number.EPSILON * Math.abs(tie), d);
    }), { numRuns: 3000 });
    fc.assert(fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 10 }), (x, d) => same(x, d)), { numRuns: 3000 });
    expect(minorScale(5)).toBe(100000);
    expect(fromMinor(123456, 5)).toBe(123456 / minorScale(5));
  });

  it('counts volume steps without float drift', () => {
    expect(volumeSteps(0.3, 0.1)).toBe(3);
    expect(stepsToVolume(3, 0.1)).toBe(0.3);
    expect(stepsToVolume(7, 0.01)).toBe(0.07);
    expect(isVolumeStepMultiple(0.07, 0.01)).toBe(true);
    expect(isVolumeStepMultiple(0.075, 0.01)).toBe(false);
    expect(floorVolume(0.079, 0.01)).toBe(0.07);
    expect(floorVolume(0.3, 0.1)).toBe(0.3); // 0.3/0.1 = 2.9999999999999996 in binary: still 3 steps
  });

  it('rounds prices to the tick size and digits', () => {
    expect(roundPrice(1.086034, 0.00001, 5)).toBe(1.08603);
    expect(roundPrice(2065.123, 0.01, 2)).toBe(2065.12);
    expect(roundPrice(150.1234, 0.005, 3)).toBe(150.125);
  });

  it('floorVolume never rounds up and always lands on the step (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1000, noNaN: true }), fc.constantFrom(0.01, 0.1, 1, 0.001), (v, step) => {
        const f = floorVolume(v, step);
        expect(f).toBeLessThanOrEqual(v + 1e-9);
        expect(v - f).toBeLessThan(step + 1e-9);
        expect(isVolumeStepMultiple(f, step)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('the fast rounding path agrees with the careful one everywhere (property)', () => {
    const careful = (x: number, d: number) => {
      const scaled = Number((x * 10 ** d).toPrecision(15));
      const r = Math.round(Math.abs(scaled));
      return scaled < 0 ? -r : r;
    };
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: -1e9, max: 1e9 }).map((c) => c / 1000 + 0.005), fc.integer({ min: -1e7, max: 1e7 }).map((c) => c / 100)), fc.constantFrom(0, 2, 3, 5), (x, d) => {
        expect(toMinor(x, d)).toBe(careful(x, d));
      }),
      { numRuns: 20_000 },
    );
  });

  it('sums of cents stay exact (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -10_000_000, max: 10_000_000 }), { maxLength: 200 }), (cents) => {
        const sum = cents.reduce((s, c) => s + toMinor(c / 100, 2), 0);
        expect(sum).toBe(cents.reduce((s, c) => s + c, 0));
      }),
    );
  });

  it('the fast paths of volumeSteps, floorVolume and roundPrice give what the toPrecision formulas give (property)', () => {
    const steps = (v: number, st: number) => Math.round(Number((v / st).toPrecision(12)));
    const floorK = (v: number, st: number) => Math.floor(Number((v / st).toPrecision(12)));
    const ticks = (p: number, t: number) => Math.round(Number((p / t).toPrecision(15)));
    // values on, near and between the grid: k × step, k × step ± binary noise, halves, random doubles
    const onGrid = (st: number) => fc.integer({ min: -2_000_000, max: 2_000_000 }).chain((k) => fc.constantFrom(k * st, (k + 0.5) * st, k * st * (1 + 1e-15), k * st * (1 - 1e-15), k * st + st * 1e-13, k * st * (1 - 1e-11), k * st * (1 - 3e-13), k * st * (1 + 1e-11)));
    const step = fc.constantFrom(0.01, 0.1, 1, 0.001, 0.00001, 0.005, 0.25);
    fc.assert(
      fc.property(step.chain((st) => fc.tuple(fc.constant(st), fc.oneof(onGrid(st), fc.double({ min: -1e6, max: 1e6, noNaN: true })))), ([st, v]) => {
        expect(volumeSteps(v, st)).toBe(steps(v, st));
        expect(floorVolume(v, st)).toBe(stepsToVolume(floorK(v, st), st));
        expect(roundPrice(v, st, 5)).toBe(roundTo(ticks(v, st) * st, 5));
      }),
      { numRuns: 30_000 },
    );
    // the documented cases the noise handling exists for
    expect(volumeSteps(0.30000000000000004, 0.1)).toBe(3);
    expect(floorVolume(0.29999999999999999, 0.1)).toBe(0.3);
    expect(floorVolume(0.7 * 3, 0.1)).toBe(2.1);
    expect(roundPrice(1.0860350000000001, 0.00001, 5)).toBe(roundTo(ticks(1.0860350000000001, 0.00001) * 0.00001, 5));
  });
});
