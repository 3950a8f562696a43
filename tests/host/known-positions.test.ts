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
