/**
 * encodeIntent (src/protocol/codec.ts), the frame of every order intent the host sends: the same bytes as the message
 * encoder given the intent's fields and the request id, for every intent type, field values and key order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeIntent, encodeMessage } from '../../src/protocol/codec.js';
import { INTENT_TYPES, type IntentBody } from '../../src/protocol/messages.js';
import { sampleBodies } from '../helpers.js';

const value = fc.oneof(fc.double(), fc.integer(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.string(), fc.boolean(), fc.constant(undefined), fc.array(fc.integer(), { maxLength: 3 }));

describe('encodeIntent', () => {
  it('writes the bytes encodeMessage writes for the intent\'s fields and its id (property)', () => {
    const bodies = sampleBodies() as unknown as Record<string, Record<string, unknown>>;
    const intent = fc.constantFrom(...INTENT_TYPES).chain((type) => {
      const keys = Object.keys(bodies[type]!).filter((k) => k !== 'id');
      // the sample's fields with any values, in a shuffled order, sometimes one more
      return fc.tuple(fc.constant(type), fc.shuffledSubarray(keys, { minLength: keys.length }), fc.array(value, { minLength: keys.length + 1, maxLength: keys.length + 1 }), fc.boolean());
    });
    fc.assert(
      fc.property(intent, fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 31 }), ([type, keys, values, more], seq, id) => {
        const body: Record<string, unknown> = {};
        keys.forEach((k, i) => (body[k] = values[i]));
        if (more) body.extra = values[keys.length];
        const it = { type, ...body } as unknown as IntentBody;
        const want = encodeMessage(type, seq, { ...body, id } as never);
        expect(encodeIntent(it, seq, id).equals(want)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('a real intent decodes as the message with its id', () => {
    const open = { type: 'OPEN' as const, intentId: 'b1-1700000000-o', magic: 7, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 1.09, tp: 1.11, deviation: 20 };
    const m = decodeMessage(encodeIntent(open, 3, 9));
    expect(m).toEqual({ ...open, type: 40, seq: 3, id: 9 });
  });
});
