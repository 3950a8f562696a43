/**
 * KnownPositions (src/host/trading/known-positions.ts), the core's driver's book of the terminal's positions: one map
 * kept up to date across the position lists the terminal sends, against the way it was done before — a new map per
 * list, the gone ones those of the last map not in the new one — as the model: the same positions gone, in the same
 * order, and the same position for every ticket (the last entry of a ticket in the last list).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KnownPositions } from '../../src/host/trading/known-positions.js';
import type { Position } from '../../src/protocol/messages.js';
import { sampleBodies } from '../helpers.js';

const base = sampleBodies().POSITIONS.positions[0]!;
const pos = (ticket: bigint, volume: number): Position => ({ ...base, ticket, identifier: ticket, volume });

describe('KnownPositions', () => {
  it("follows the terminal's order — new positions at the end, closed ones leaving — and lists in another order alike (property, long lists)", () => {
    // a book of up to 60 positions over 80 tickets: each step opens some (at the end), closes some, and now and then
    // the terminal lists them shuffled; the last list's positions walked beside the new one, and the same answers as the model
    const step = fc.record({ open: fc.integer({ min: 0, max: 4 }), close: fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 12 }), shuffle: fc.boolean(), seed: fc.integer() });
    let gones = 0, shuffled = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const book = new KnownPositions();
        let open: Position[] = [];
        let next = 1n, prev = new Set<bigint>();
        for (const st of steps) {
          const shut = new Set(st.close.map((k) => open[k % Math.max(1, open.length)]?.ticket));
          open = open.filter((p) => !shut.has(p.ticket));
          for (let k = 0; k < st.open && open.length < 60; k++) open.push(pos(next++ % 80n, 0.1));
          let list = open.map((p) => ({ ...p, volume: p.volume + 0.1 }));
          if (st.shuffle) {
            shuffled++;
            list = list.map((p, k) => [((k + 1) * (st.seed | 1)) % 997, p] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
          }
          const got: bigint[] = [];
          book.update(list, (t) => got.push(t));
          const now = new Set(list.map((p) => p.ticket));
          expect(got).toEqual([...prev].filter((t) => !now.has(t)));
          gones += got.length;
          prev = now;
          for (const p of list) expect(book.get(p.ticket)).toBe([...list].reverse().find((q) => q.ticket === p.ticket));
          expect(book.size).toBe(now.size);
        }
      }),
      { numRuns: 400 },
    );
    expect(gones).toBeGreaterThan(1000);
    expect(shuffled).toBeGreaterThan(100);
  });

  it('calls the same positions gone, in the same order, and knows the same positions as a new map per list (property)', () => {
    // lists over a few tickets (repeats within a list included), one after the other
    const list = fc.array(fc.tuple(fc.bigInt({ min: 1n, max: 12n }), fc.integer({ min: 1, max: 9 })), { maxLength: 10 }).map((l) => l.map(([t, v]) => pos(t, v / 10)));
    let gones = 0;
    fc.assert(
      fc.property(fc.array(list, { minLength: 1, maxLength: 12 }), (lists) => {
        const book = new KnownPositions();
        let model = new Map<bigint, Position>();
        for (const l of lists) {
          const got: bigint[] = [];
          book.update(l, (t) => got.push(t));
          const now = new Map<bigint, Position>();
          for (const p of l) now.set(p.ticket, p);
          const want = [...model.keys()].filter((k) => !now.has(k));
          model = now;
          expect(got).toEqual(want);
          gones += got.length;
          for (let t = 0n; t <= 13n; t++) expect(book.get(t)).toBe(model.get(t));
          expect(book.size).toBe(model.size);
        }
      }),
      { numRuns: 1500 },
    );
    expect(gones).toBeGreaterThan(1000);
  });
});
