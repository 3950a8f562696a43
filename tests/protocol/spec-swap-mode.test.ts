/** The SPEC message's swap mode: sent by the EA now, absent from an older EA's (which still decodes, read as points). */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, encodeRaw } from '../../src/protocol/codec.js';
import { MsgType } from '../../src/protocol/messages.js';
import { SYMBOL_SWAP_MODE } from '../../src/protocol/mt5.js';
import { symbolSpec } from '../../src/sim/symbols.js';

const { commissionPerLot: _c, defaultSpread: _d, swapMode: _m, ...older } = { ...symbolSpec('EURUSD'), tickValue: 1 };

describe('SPEC: swapMode', () => {
  it('an older EA\'s SPEC without swapMode still decodes, without it (the simulated broker then reads points)', () => {
    const m = decodeMessage(encodeRaw({ type: MsgType.SPEC, seq: 3, re: 7, spec: older }));
    expect(m.type).toBe(MsgType.SPEC);
    const spec = (m as unknown as { spec: Record<string, unknown> }).spec;
    expect(spec).toEqual(older);
    expect('swapMode' in spec).toBe(false);
    expect(spec.swapRollover3Days).toBe(3);
  });

  it('a SPEC with swapMode keeps it, and one with a mode beyond today\'s list still decodes (the simulator names it)', () => {
    for (const swapMode of [SYMBOL_SWAP_MODE.CURRENCY_DEPOSIT, SYMBOL_SWAP_MODE.CURRENCY_PROFIT, 10]) {
      const m = decodeMessage(encodeMessage('SPEC', 3, { re: 7, spec: { ...older, swapMode } }));
      expect((m as unknown as { spec: { swapMode: number } }).spec.swapMode).toBe(swapMode);
    }
    expect(() => decodeMessage(encodeRaw({ type: MsgType.SPEC, seq: 3, re: 7, spec: { ...older, swapMode: -1 } }))).toThrow(/swapMode/);
  });
});
