import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ORDER_FILLING, ORDER_TYPE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import { RC } from '../../src/protocol/retcodes.js';
import type { PosState } from '../../src/sim/broker-types.js';
import { OpenPositions } from '../../src/sim/broker/open-positions.js';
import { MONDAY_10H, makeBroker } from '../helpers.js';

const pos = (ticket: bigint, volume = 0.1): PosState => ({
  ticket, identifier: ticket, symbol: 'EURUSD', type: 0, volume, priceOpen: 1.1, sl: 0, tp: 0, timeMsc: 0, magic: 0, comment: '', swapMinor: 0, marginMinor: 0,
});

describe('sim broker: open positions (a list, found by ticket)', () => {
  it('behaves as a Map in insertion order, before and after the switch from scanning to a Map (property)', () => {
    // ops: [kind, ticket]: 0 set (a new object), 1 delete, 2 get
    const op = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 24 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const mine = new OpenPositions();
        const model = new Map<bigint, PosState>();
        for (const [kind, n] of ops) {
          const t = BigInt(n) + 2n ** 60n; // tickets as the broker's: bigints, above 2^53 in the tests
          if (kind === 0) {
            const p = pos(t, n / 100);
            mine.set(t, p);
            model.set(t, p);
          } else if (kind === 1) expect(mine.delete(t)).toBe(model.delete(t));
          else {
            expect(mine.get(t)).toBe(model.get(t));
            expect(mine.has(t)).toBe(model.has(t));
          }
          expect(mine.size).toBe(model.size);
          expect(mine.list).toEqual([...model.values()]);
          expect([...mine.values()]).toEqual([...model.values()]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a position set under another ticket than its own', () => {
    expect(() => new OpenPositions().set(5n, pos(6n))).toThrow(/position 6 set under ticket 5/);
  });

  it('a hedging account with more positions open than are scanned: each closes by its ticket, the rest stay in opening order', () => {
    const b = makeBroker({ account: { login: 1, server: 'S', currency: 'USD', leverage: 100, marginMode: 2, balance: 1_000_000 } });
    b.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    const tickets: bigint[] = [];
    for (let k = 0; k < 20; k++) {
      const r = b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: k % 2 ? ORDER_TYPE.SELL : ORDER_TYPE.BUY, volume: 0.01 * (k + 1), typeFilling: ORDER_FILLING.FOK });
      expect(r.retcode).toBe(RC.DONE);
      tickets.push(b.dealPositionId(r.deal)!);
    }
    // close every third one, newest first and oldest first mixed
    const closed = tickets.filter((_, k) => k % 3 === 0);
    for (const t of [...closed].reverse()) {
      const p = b.position(t)!;
      const r = b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', position: t, type: p.type === ORDER_TYPE.BUY ? ORDER_TYPE.SELL : ORDER_TYPE.BUY, volume: p.volume, typeFilling: ORDER_FILLING.FOK });
      expect(r.retcode).toBe(RC.DONE);
      expect(b.position(t)).toBeUndefined();
      expect(b.isClosedPosition(t)).toBe(true);
    }
    expect(b.positionList().map((p) => p.ticket)).toEqual(tickets.filter((_, k) => k % 3 !== 0));
    expect(b.positionList().map((p) => p.volume)).toEqual(tickets.map((_, k) => (k + 1) / 100).filter((_, k) => k % 3 !== 0));
    expect(b.openCount).toBe(20 - closed.length);
  });
});
