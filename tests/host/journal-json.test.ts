/**
 * The journal's JSON (src/host/state/format.ts `toJson`): the same text as `JSON.stringify(v, replacer)` for any
 * value — bigints at any depth (deeper than it looks, too), bigints from toJSON methods, Dates, undefined and
 * functions dropped — and the same error where that throws. Read back by `fromJson` to the same value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromJson, replacer, toJson } from '../../src/host/state/format.js';

const reference = (v: unknown): string | { threw: string } => {
  try {
    return JSON.stringify(v, replacer);
  } catch (e) {
    return { threw: (e as Error).constructor.name };
  }
};
const ours = (v: unknown): string | { threw: string } => {
  try {
    return toJson(v);
  } catch (e) {
    return { threw: (e as Error).constructor.name };
  }
};

/** A value nested `n` deep around `inner`, in objects and arrays alternately. */
const nest = (n: number, inner: unknown): unknown => {
  let v = inner;
  for (let i = 0; i < n; i++) v = i % 2 ? [1, v] : { k: v, n: i };
  return v;
};

describe('toJson (the journal\'s lines)', () => {
  it('writes what JSON.stringify with the bigint replacer writes (property)', () => {
    const leaf = fc.oneof(
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined),
      fc.date({ noInvalidDate: true }), fc.constant(() => 1),
      // a toJSON that gives a bigint: JSON.stringify without the replacer throws on it
      fc.bigInt({ min: 0n, max: 2n ** 64n }).map((b) => ({ toJSON: () => b })),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(tree, fc.integer({ min: 0, max: 14 }), (v, depth) => {
        const deep = nest(depth, v);
        expect(ours(deep)).toEqual(reference(deep));
      }),
      { numRuns: 3000 },
    );
  });

  it('finds a bigint deeper than it looks into, and one behind a toJSON, and throws where the replacer does', () => {
    for (let n = 0; n < 20; n++) {
      const v = nest(n, { ticket: 2n ** 60n + BigInt(n) });
      expect(toJson(v)).toBe(JSON.stringify(v, replacer));
      expect(fromJson(toJson(v))).toEqual(v);
    }
    const hidden = { a: { toJSON: () => ({ t: 123456789012345678901234567890n }) } };
    expect(toJson(hidden)).toBe('{"a":{"t":{"$bigint":"123456789012345678901234567890"}}}');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => toJson(cyclic)).toThrow(TypeError);
    // only own keys are looked into, as JSON.stringify reads them (an inherited getter is never called)
    const inherited = Object.create({ get boom(): never { throw new Error('read an inherited key') } }) as object;
    expect(toJson({ x: inherited })).toBe(JSON.stringify({ x: inherited }, replacer));
  });

  it('writes a ledger entry as before: an OPEN without bigints, a CLOSE and a result with them', () => {
    const open = { op: 'add', entry: { intentId: '1364rin-nok4o0-o', terminal: '778@Bench', intent: { type: 'OPEN', intentId: '1364rin-nok4o0-o', magic: 65791134, symbol: 'S01', side: 0, volume: 0.1, sl: 1.09123, tp: 1.11456, deviation: 20 }, state: 'pending', createdAt: 1432004038, attempts: 0 } };
    const close = { op: 'add', entry: { ...open.entry, intent: { type: 'CLOSE', intentId: 'x', magic: 1, ticket: 9007199254741350n, volume: 0, deviation: 20 } } };
    const result = { op: 'update', intentId: 'x', patch: { state: 'settled', result: { retcode: 10009, order: 9007199254741520n, deal: 9007199254741521n, position: 9007199254741350n }, settledBy: 'result' } };
    for (const v of [open, close, result]) expect(toJson(v)).toBe(JSON.stringify(v, replacer));
    expect(toJson(close)).toContain('"ticket":{"$bigint":"9007199254741350"}');
  });
});
