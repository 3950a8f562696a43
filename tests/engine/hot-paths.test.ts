/**
 * The engine's hot paths against their plain forms: each fast path gives what the plain path gives, for any input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPLIED_PRICES, appliedPrice, priceByCode, priceCode, type BarIn } from '../../src/engine/indicators/base.js';
import { fixedLot, fixedLotOf, type SizingSymbol } from '../../src/engine/sizing.js';
import { SteadyMap } from '../../src/engine/steady-map.js';

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

describe('fixedLot (the last few answers given again for the same numbers)', () => {
  // a first call, then edits of one of its five numbers at a time (each edit may repeat): a number the cache forgot
  // in its key gives the previous answer for the edited call
  const pools = {
    step: [0.01, 0.1, 1, 0.001],
    min: [0.01, 0.1, 1],
    max: [1, 100, 0.05],
    lots: [0.1, 0.01, 0.15, 2, 0, -0, -1, Number.NaN, 1000],
    multiplier: [1, 0.5, 0, -0, 0.33],
  } as const;
  type Call = { -readonly [K in keyof typeof pools]: number };
  const first = fc.record(Object.fromEntries(Object.entries(pools).map(([k, v]) => [k, fc.constantFrom(...v)])) as { [K in keyof Call]: fc.Arbitrary<number> });
  const edit = fc.oneof(...Object.entries(pools).map(([k, v]) => fc.record({ field: fc.constant(k as keyof Call), value: fc.constantFrom(...v), times: fc.integer({ min: 1, max: 3 }) })));
  it('gives what fixedLotOf computes, key order included, for any sequence of calls; a caller changing its answer changes no later one', () => {
    const edited = new Set<string>();
    fc.assert(
      fc.property(first, fc.array(edit, { minLength: 1, maxLength: 30 }), (start, edits) => {
        const c: Call = { ...start };
        const calls: Call[] = [{ ...c }];
        for (const e of edits) {
          if (c[e.field] !== e.value) edited.add(e.field);
          c[e.field] = e.value;
          for (let i = 0; i < e.times; i++) calls.push({ ...c });
        }
        for (const x of calls) {
          const sym: SizingSymbol = { volumeMin: x.min, volumeMax: x.max, volumeStep: x.step, tickSize: 0.00001, tickValue: 1 };
          const got = fixedLot(sym, x.lots, x.multiplier);
          const want = fixedLotOf(sym, x.lots, x.multiplier);
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
    // every number was changed alone between two calls
    expect([...edited].sort()).toEqual(['lots', 'max', 'min', 'multiplier', 'step']);
  });
});

describe('SteadyMap (a Map whose table never empties: the order manager’s intents in flight)', () => {
  const op = fc.oneof(
    fc.record({ op: fc.constant('set' as const), k: fc.integer({ min: 0, max: 6 }), v: fc.integer() }),
    fc.record({ op: fc.constantFrom('delete' as const, 'get' as const, 'has' as const), k: fc.integer({ min: 0, max: 6 }) }),
    fc.record({ op: fc.constantFrom('clear' as const, 'entries' as const, 'keys' as const, 'values' as const, 'spread' as const) }),
    // iterating while deleting and adding, as positionGone and retriesFor do
    fc.record({ op: fc.constant('churn' as const), k: fc.integer({ min: 0, max: 6 }) }),
  );
  it('answers every call as a Map does, iteration order included, for any sequence of calls', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const a = new SteadyMap<number, number>(), b = new Map<number, number>();
        const churn = (m: Iterable<[number, number]> & { delete(k: number): boolean; set(k: number, v: number): unknown }, k: number) => {
          const seen: number[] = [];
          for (const [key, v] of m) {
            seen.push(key, v);
            if (key === k) m.delete(k + 1);
            if (seen.length < 8) m.set(key + 10, v);
          }
          return seen;
        };
        for (const o of ops) {
          if (o.op === 'set') {
            expect(a.set(o.k, o.v)).toBe(a);
            b.set(o.k, o.v);
          }
          else if (o.op === 'delete') expect(a.delete(o.k)).toBe(b.delete(o.k));
          else if (o.op === 'get') expect(a.get(o.k)).toBe(b.get(o.k));
          else if (o.op === 'has') expect(a.has(o.k)).toBe(b.has(o.k));
          else if (o.op === 'clear') {
            a.clear();
            b.clear();
          }
          else if (o.op === 'entries') expect([...a.entries()]).toEqual([...b.entries()]);
          else if (o.op === 'keys') expect([...a.keys()]).toEqual([...b.keys()]);
          else if (o.op === 'values') expect([...a.values()]).toEqual([...b.values()]);
          else if (o.op === 'spread') expect([...a]).toEqual([...b]);
          else if (o.op === 'churn') expect(churn(a, o.k)).toEqual(churn(b, o.k));
          expect(a.size).toBe(b.size);
        }
      }),
      { numRuns: 500 },
    );
  });
});
