/**
 * The id a refused request carried comes back as the ERROR's `re`: it must be an id the ERROR schema accepts,
 * or the terminal cannot decode the very frame that tells it what was wrong (found by tests/fuzz/host-fuzz.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError, decodeMessage, encodeMessage, encodeRaw } from '../../src/protocol/codec.js';
import { MsgType } from '../../src/protocol/messages.js';

const refusal = (id: unknown): ProtocolError => {
  try {
    decodeMessage(encodeRaw({ type: MsgType.SPEC_REQUEST, seq: 1, id, symbol: 123 }));
  } catch (e) {
    return e as ProtocolError;
  }
  throw new Error('accepted');
};

describe('ERROR replies to a refused request', () => {
  it('carry the request id when it is a valid id, and no id otherwise; the reply always decodes', () => {
    expect(refusal(7).requestId).toBe(7);
    for (const id of [1.5, -1, 2 ** 60, Number.NaN, '7']) {
      const e = refusal(id);
      expect(e.requestId, String(id)).toBeUndefined();
      const reply = encodeMessage('ERROR', 2, { code: e.code, message: e.message, ...(e.requestId !== undefined ? { re: e.requestId } : {}) });
      expect(() => decodeMessage(reply)).not.toThrow();
    }
  });
});
