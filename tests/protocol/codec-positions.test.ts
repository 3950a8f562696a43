/**
 * The POSITIONS frame read straight from its bytes (src/protocol/codec-positions.ts) against the general decoding
 * (msgpackr, then the checked fast path or zod): for frames written as the EA writes them (fixmaps, compact integers,
 * float64) and as msgpackr writes them (map16, int64 tickets, large integers as float64), valid or mutated, the reader
 * either steps aside or gives the same value — and it does read the EA's and msgpackr's valid frames.
 */
import { encode as msgpackEncode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGeneral, decodeMessage, encodeRaw } from '../../src/protocol/codec.js';
import { readPositionsFrame } from '../../src/protocol/codec-positions.js';
import { MsgType } from '../../src/protocol/messages.js';
import { mutatedPositions } from './list-mutations.js';

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const int40 = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
const ticketArb = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(2 ** 53), fc.bigInt({ min: 2n ** 53n - 2n, max: 2n ** 53n + 2n }));
const ascii = (min: number, max: number) => fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max });
const position = fc.record({
  ticket: ticketArb, identifier: ticketArb, symbol: fc.oneof(ascii(1, 64), fc.string({ minLength: 1, maxLength: 64 })), type: fc.integer({ min: 0, max: 1 }),
  volume: finite, priceOpen: finite, priceCurrent: finite, sl: finite, tp: finite, time: int40, timeMsc: int40, magic: int40,
  comment: fc.oneof(ascii(0, 300), fc.string()), swap: finite, profit: finite,
});
const valid = fc.record({ type: fc.constant(MsgType.POSITIONS), seq: fc.integer({ min: 1, max: 2 ** 40 }), positions: fc.array(position, { maxLength: 6 }) });
const bad = fc.constantFrom<unknown>(NaN, Infinity, 1.5, 2 ** 53 + 2, 2 ** 60, -1, -1n, 2n ** 63n, 2, '', 'X'.repeat(65), 'é', null, true, [], {}, new Float32Array([1.5]));

const mutated = mutatedPositions(valid, bad);

/** The two writers: msgpackr as the host and the simulated terminal write, @msgpack/msgpack much as the EA writes (fixmaps, the smallest integer). */
function encodings(m: unknown): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const enc of [() => encodeRaw(m), () => msgpackEncode(m, { useBigInt64: true, ignoreUndefined: true })]) {
    try {
      out.push(enc());
    } catch {
      // a value a writer cannot write (a bigint beyond int64 for @msgpack/msgpack)
    }
  }
  return out;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
const general = (b: Uint8Array): Outcome => {
  try {
    return { ok: true, value: decodeGeneral(b) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
};

describe('the POSITIONS reader (codec-positions.ts)', () => {
  it('gives what the general decoding gives, or steps aside; reads every valid frame of ASCII strings from either writer (property)', () => {
    let read = 0, aside = 0, validAscii = 0;
    fc.assert(
      fc.property(fc.oneof(valid, mutated), (m) => {
        const plain = (m.positions as Record<string, unknown>[] | undefined)?.every?.((p) => typeof p === 'object' && p && /^[\0-\x7f]*$/.test(String(p.symbol)) && /^[\0-\x7f]*$/.test(String(p.comment)));
        for (const b of encodings(m)) {
          const g = general(b);
          const f = readPositionsFrame(b);
          if (f) {
            read++;
            expect(g.ok).toBe(true);
            expect(f).toStrictEqual((g as { value: unknown }).value);
          } else aside++;
          // a frame the general way accepts, of ASCII strings and no extra key, is read here
          const extra = 'extra' in m || (Array.isArray(m.positions) && m.positions.some((p) => p && typeof p === 'object' && 'extra' in p));
          if (g.ok && plain && !extra) {
            validAscii++;
            expect(f).toBeDefined();
          }
          // decodeMessage is the reader when it reads, the general way otherwise: the same value or the same error
          let d: Outcome;
          try {
            d = { ok: true, value: decodeMessage(b) };
          } catch (e) {
            d = { ok: false, error: (e as Error).message };
          }
          expect(d).toStrictEqual(g);
        }
      }),
      { numRuns: 3000 },
    );
    expect(read).toBeGreaterThan(800);
    expect(aside).toBeGreaterThan(800);
    expect(validAscii).toBeGreaterThan(500);
  });

  it('a frame with bytes changed or cut off: the same value as the general decoding, or it steps aside (property)', () => {
    let read = 0;
    fc.assert(
      fc.property(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(), (m, flips, cut) => {
        for (const b0 of encodings(m)) {
          const b = Buffer.from(b0);
          for (const [at, v] of flips) b[at % b.length] = v;
          for (const x of [b, b.subarray(0, cut % (b.length + 1))]) {
            const f = readPositionsFrame(x);
            if (!f) continue;
            read++;
            const g = general(x);
            expect(g.ok).toBe(true);
            expect(f).toStrictEqual((g as { value: unknown }).value);
          }
        }
      }),
      { numRuns: 3000 },
    );
    expect(read).toBeGreaterThan(100);
  });

  it('the EA\'s frame: positions of fixed shape, tickets bigints, in the schema\'s field order', () => {
    const p = { ticket: 2n ** 63n + 5n, identifier: 77, symbol: 'EURUSD', type: 1, volume: 0.1, priceOpen: 1.1, priceCurrent: 1.2, sl: 0, tp: 0, time: 1_700_000_000, timeMsc: 1_700_000_000_123, magic: 42, comment: 'ix:abc', swap: -0.5, profit: 12 };
    const b = msgpackEncode({ type: MsgType.POSITIONS, seq: 9, positions: [p, { ...p, ticket: 3 }] }, { useBigInt64: true });
    expect(b[0]).toBe(0x83); // a fixmap, as the EA writes it
    const m = readPositionsFrame(b)!;
    expect(m.positions[0]!.ticket).toBe(2n ** 63n + 5n);
    expect(m.positions[0]!.identifier).toBe(77n);
    expect(m.positions[1]!.ticket).toBe(3n);
    expect(Object.keys(m.positions[0]!)).toEqual(['ticket', 'identifier', 'symbol', 'type', 'volume', 'priceOpen', 'priceCurrent', 'sl', 'tp', 'time', 'timeMsc', 'magic', 'comment', 'swap', 'profit']);
    expect(m).toStrictEqual(decodeGeneral(b));
  });

  it('at each bound: the value the general decoding gives, or its error — never a value it refuses', () => {
    const p = { ticket: 5n, identifier: 5n, symbol: 'EURUSD', type: 0, volume: 0.1, priceOpen: 1.1, priceCurrent: 1.2, sl: 0, tp: 0, time: 1_700_000_000, timeMsc: 1_700_000_000_123, magic: 42, comment: '', swap: 0, profit: 0 };
    const cases: [string, Record<string, unknown>, boolean][] = [
      ['a symbol of 64 characters', { symbol: 'S'.repeat(64) }, true],
      ['a symbol of 65 characters', { symbol: 'S'.repeat(65) }, false],
      ['an empty symbol', { symbol: '' }, false],
      ['a time of 2^53 − 1', { time: 2 ** 53 - 1 }, true],
      ['a time of 2^53', { time: 2 ** 53 }, false],
      ['type 2', { type: 2 }, false],
      ['a fractional magic', { magic: 1.5 }, false],
      ['a price of Infinity', { priceOpen: Infinity }, false],
      ['a price of NaN', { sl: NaN }, false],
      ['a typed array for a price (an ext or bin value)', { tp: new Float32Array([1.5]) }, false],
    ];
    for (const [what, change, ok] of cases) {
      for (const b of encodings({ type: MsgType.POSITIONS, seq: 3, positions: [{ ...p, ...change }] })) {
        const g = general(b);
        expect(g.ok, what).toBe(ok);
        const f = readPositionsFrame(b);
        if (ok) expect(f, what).toStrictEqual((g as { value: unknown }).value);
        else expect(f, what).toBeUndefined();
        let d: Outcome;
        try {
          d = { ok: true, value: decodeMessage(b) };
        } catch (e) {
          d = { ok: false, error: (e as Error).message };
        }
        expect(d, what).toStrictEqual(g);
      }
    }
  });
});
