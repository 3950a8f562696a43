import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IntentResultBody } from '../../src/protocol/messages.js';
import { ResultRing } from '../../src/sim/result-ring.js';

/** The ring as the EA logic kept it before: a Map of the result objects and a circular list of ids. */
class MapRing {
  private readonly map = new Map<string, IntentResultBody>();
  private readonly ids: (string | undefined)[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  get(id: string, re: number): IntentResultBody | undefined {
    const seen = this.map.get(id);
    return seen ? { ...seen, re, duplicate: true } : undefined;
  }
  add(id: string, r: IntentResultBody): void {
    const old = this.ids[this.next];
    if (old !== undefined) this.map.delete(old);
    this.ids[this.next] = id;
    this.next = (this.next + 1) % this.size;
    this.map.set(id, r);
  }
}

const CLASSES = ['done', 'retry', 'final', 'ambiguous'] as const;

/** A result as the EA logic builds one: the envelope, retcode, class, comment, then the keys it has, in its order. */
const result = (id: string) =>
  fc.record({
    retcode: fc.integer({ min: 0, max: 11000 }),
    cls: fc.constantFrom(...CLASSES),
    comment: fc.constantFrom('Request executed', 'Invalid stops', 'market is closed', ''),
    order: fc.option(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), { nil: undefined }),
    deal: fc.option(fc.bigInt({ min: 1n, max: 2n ** 40n }), { nil: undefined }),
    volume: fc.option(fc.double({ min: 0.01, max: 100, noNaN: true }), { nil: undefined }),
    price: fc.option(fc.double({ min: 0.5, max: 3000, noNaN: true }), { nil: undefined }),
    bid: fc.option(fc.double({ min: 0.5, max: 3000, noNaN: true }), { nil: undefined }),
    ask: fc.option(fc.double({ min: 0.5, max: 3000, noNaN: true }), { nil: undefined }),
    ext: fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined }),
    position: fc.option(fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 50n }), fc.integer({ min: 1, max: 1e6 })), { nil: undefined }),
    results: fc.option(fc.constant([{ ticket: 7n, retcode: 10009, class: 'done' as const, comment: 'Request executed' }]), { nil: undefined, freq: 6 }),
  }).map((x) => {
    const r: Record<string, unknown> = { re: 1, intentId: id, duplicate: false, retcode: x.retcode, class: x.cls, comment: x.comment };
    if (x.results) {
      r.results = x.results;
      return r as IntentResultBody;
    }
    if (x.order !== undefined) r.order = x.order;
    if (x.deal !== undefined) r.deal = x.deal;
    if (x.volume !== undefined) r.volume = x.volume;
    if (x.price !== undefined) r.price = x.price;
    if (x.bid !== undefined) r.bid = x.bid;
    if (x.ask !== undefined) r.ask = x.ask;
    if (x.ext !== undefined) r.retcodeExternal = x.ext;
    if (x.position !== undefined) r.position = x.position;
    return r as IntentResultBody;
  });

describe('ResultRing (the EA logic ring of recent intent results)', () => {
  it('answers as a Map of the results did: the same keys in the same order and values, forgetting the oldest', () => {
    // few distinct ids, so that lookups hit, miss and find evicted ids; sizes that make the table's clusters wrap
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 0, max: 40 }), seed: fc.integer() }),
      fc.record({ kind: fc.constant('get' as const), id: fc.integer({ min: 0, max: 40 }), seed: fc.integer() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(op, { maxLength: 200 }), (size, ops) => {
        const ring = new ResultRing(size), ref = new MapRing(size);
        let re = 0;
        for (const o of ops) {
          const id = `sid${o.id.toString(36)}-x${o.id % 7}`;
          const want = ref.get(id, ++re);
          const got = ring.get(id, re);
          expect(got === undefined ? undefined : Object.keys(got)).toEqual(want === undefined ? undefined : Object.keys(want));
          expect(got).toStrictEqual(want);
          if (o.kind === 'add' && want === undefined) {
            // as the EA logic does: an id not in the ring is executed and its result kept
            const r = fc.sample(result(id), { numRuns: 1, seed: o.seed })[0]!;
            ring.add(id, r);
            ref.add(id, r);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('finds every id of a full ring among colliding hashes, and none it forgot', () => {
    const ring = new ResultRing(4096);
    const r = (id: string): IntentResultBody => ({ re: 1, intentId: id, duplicate: false, retcode: 10009, class: 'done', comment: 'Request executed', order: 5n, deal: 6n, volume: 0.1, price: 1.1, bid: 1.1, ask: 1.1, position: 5n });
    for (let k = 0; k < 20_000; k++) ring.add(`id-${k}`, r(`id-${k}`));
    for (let k = 0; k < 20_000; k++) {
      const got = ring.get(`id-${k}`, 9);
      if (k < 20_000 - 4096) expect(got).toBeUndefined();
      else expect(got).toStrictEqual({ ...r(`id-${k}`), re: 9, duplicate: true });
    }
  });

  it('refuses a size that is not a positive whole number', () => {
    expect(() => new ResultRing(0)).toThrow(/positive integer/);
    expect(() => new ResultRing(2.5)).toThrow(/positive integer/);
  });
});
