import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEAL_ENTRY, DEAL_REASON, ORDER_FILLING, ORDER_TYPE, SYMBOL_FILLING, SYMBOL_TRADE_EXECUTION, SYMBOL_TRADE_MODE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import { RC } from '../../src/protocol/retcodes.js';
import type { SimBroker } from '../../src/sim/broker.js';
import { barPath } from '../../src/sim/path.js';
import { SimEaLogic } from '../../src/sim/ea-logic.js';
import { decodeMessage, encodeMessage } from '../../src/protocol/codec.js';
import { MsgType } from '../../src/protocol/messages.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { DEAL_CHUNK_ROWS, DealStore } from '../../src/sim/deal-store.js';
import { dealSchema } from '../../src/protocol/messages.js';
import { tickRounded } from '../../src/sim/broker/money.js';
import { BIG_TICKET, MONDAY_10H, makeBroker } from '../helpers.js';

const T = MONDAY_10H;
const buy = (b: SimBroker, volume: number, extra: object = {}) =>
  b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: ORDER_TYPE.BUY, volume, typeFilling: ORDER_FILLING.FOK, ...extra });
const sell = (b: SimBroker, volume: number, extra: object = {}) =>
  b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: ORDER_TYPE.SELL, volume, typeFilling: ORDER_FILLING.FOK, ...extra });

function eurusd(over: Parameters<typeof symbolSpec>[1] = {}, acct: Parameters<typeof makeBroker>[0] = {}) {
  const b = makeBroker(acct, [symbolSpec('EURUSD', { commissionPerLot: 0, ...over })]);
  b.quote('EURUSD', 1.1, 1.10002, T);
  return b;
}

describe('sim broker: retcodes', () => {
  it('10009 done: fills a market buy at the ask, ticket above 2^53 exact', () => {
    const b = eurusd();
    const r = buy(b, 0.1);
    expect(r.retcode).toBe(RC.DONE);
    expect(r.price).toBe(1.10002);
    expect(r.order).toBe(BIG_TICKET);
    expect(b.positionList()[0]!.ticket).toBe(BIG_TICKET);
  });

  it('10004 requote under instant execution when the price moved beyond the deviation', () => {
    const b = eurusd({ executionMode: SYMBOL_TRADE_EXECUTION.INSTANT });
    expect(buy(b, 0.1, { price: 1.0999, deviation: 5 }).retcode).toBe(RC.REQUOTE);
    expect(buy(b, 0.1, { price: 1.10000, deviation: 5 }).retcode).toBe(RC.DONE);
  });

  it('10006 rejected by the dealer above the liquidity limit', () => {
    expect(buy(eurusd({ rejectVolumeAbove: 5 }), 6).retcode).toBe(RC.REJECT);
  });

  it('netting: a pending order that fills adds to, reduces or reverses the one position, as a market deal does', () => {
    const b = eurusd({}, { account: { login: 1, server: 'N', currency: 'USD', leverage: 100, marginMode: 0, balance: 100_000 } });
    const m = buy(b, 0.1);
    const add = b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'EURUSD', type: ORDER_TYPE.BUY_LIMIT, volume: 0.2, price: 1.0995 });
    b.quote('EURUSD', 1.0994, 1.09942, T + 60_000, true); // the price moves through the limits: they fill at their level
    expect(b.positionList().map((p) => [p.ticket, p.type, p.volume])).toEqual([[m.order, ORDER_TYPE.BUY, 0.3]]);
    expect(b.deals().at(-1)).toMatchObject({ order: add.order, positionId: m.order, entry: DEAL_ENTRY.IN, volume: 0.2, price: 1.0995 });
    const rev = b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'EURUSD', type: ORDER_TYPE.SELL_LIMIT, volume: 0.5, price: 1.1005 });
    b.quote('EURUSD', 1.1006, 1.10062, T + 120_000, true);
    expect(b.positionList().map((p) => [p.ticket, p.type, p.volume])).toEqual([[m.order, ORDER_TYPE.SELL, 0.2]]);
    const last = b.deals().at(-1)!;
    expect(last).toMatchObject({ order: rev.order, positionId: m.order, entry: DEAL_ENTRY.INOUT, volume: 0.5, price: 1.1005 });
    // the closed 0.3 lots made their profit: (1.1005 − average entry) × 30,000
    const avg = (1.10002 * 0.1 + 1.0995 * 0.2) / 0.3;
    expect(last.profit).toBe(Math.round((1.1005 - avg) * 30_000 * 100) / 100);
  });

  it('keeps deals as columns across chunks: every deal found by ticket, by time and in order, as the protocol writes it', () => {
    const b = eurusd({}, { account: { login: 1, server: 'C', currency: 'USD', leverage: 100, marginMode: 2, balance: 1_000_000 } });
    const pairs = DEAL_CHUNK_ROWS + 300; // two chunks and part of a third
    const opened: bigint[] = [];
    for (let k = 0; k < pairs; k++) {
      const t = T + k * 1000;
      b.quote('EURUSD', 1.1 + (k % 7) * 0.0001, 1.10002 + (k % 7) * 0.0001, t);
      const o = k % 2 ? sell(b, 0.01 * (1 + (k % 3))) : buy(b, 0.01 * (1 + (k % 3)), { comment: `c${k}` });
      expect(o.retcode).toBe(RC.DONE);
      opened.push(o.order);
      if (k === 1000) b.balanceOperation(250, 'deposit');
      b.quote('EURUSD', 1.1003 - (k % 5) * 0.0001, 1.10032 - (k % 5) * 0.0001, t + 500);
      const p = b.positionList()[0]!;
      expect(b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: p.type === 0 ? 1 : 0, volume: p.volume, position: p.ticket, typeFilling: ORDER_FILLING.FOK }).retcode).toBe(RC.DONE);
    }
    const all = b.deals();
    expect(all.length).toBe(2 * pairs + 1);
    const keys = Object.keys(dealSchema().shape);
    for (let i = 0; i < all.length; i++) {
      const d = all[i]!;
      if (i > 0) expect(d.ticket > all[i - 1]!.ticket).toBe(true);
      expect(Object.keys(d), `deal ${i}`).toEqual(keys);
      expect(b.deal(d.ticket), `deal ${i}`).toEqual(d);
      expect(b.dealPositionId(d.ticket)).toBe(d.positionId);
    }
    expect(dealSchema().parse(all[DEAL_CHUNK_ROWS + 7])).toEqual(all[DEAL_CHUNK_ROWS + 7]);
    expect(all.find((d) => d.comment === 'deposit')).toMatchObject({ type: 2, profit: 250, volume: 0, positionId: 0n });
    expect(all.find((d) => d.comment === 'c2048')).toMatchObject({ positionId: opened[2048], entry: DEAL_ENTRY.IN, volume: 0.01 * (1 + (2048 % 3)) });
    expect(b.deal(all.at(-1)!.ticket + 1n)).toBeUndefined();
    for (const t of opened) expect(b.isClosedPosition(t)).toBe(true);
    const from = Math.floor((T + 3000 * 1000) / 1000);
    expect(b.deals(from)).toEqual(all.filter((d) => d.time >= from));
    // the view the backtest builds its trades from: the same deals, in the same order
    expect([...b.dealView()]).toEqual(all);
    // the rows the backtest's trades are built from: one object refilled for each deal, the same fields in turn
    const rows: unknown[] = [];
    let first: unknown;
    for (const d of b.dealRows()) {
      first ??= d;
      expect(d).toBe(first); // no object per deal
      rows.push({ ...d });
    }
    expect(rows).toEqual(all);
    const st = new DealStore();
    st.add(5n, 'EURUSD', '');
    expect(() => st.add(5n, 'EURUSD', '')).toThrow(/deal ticket 5 is not above the last one \(5\)/);
    expect(st.indexOf(5n)).toBe(0);
    expect(st.indexOf(4n)).toBe(-1);
  });

  it('knows every closed position and every deal by ticket: market and pending openings, netting, SL, tickets above 2^53', () => {
    for (const marginMode of [2, 0] as const) {
      const b = eurusd({}, { account: { login: 1, server: 'C', currency: 'USD', leverage: 100, marginMode, balance: 100_000 } });
      const m = buy(b, 0.1);
      expect(b.isClosedPosition(m.order)).toBe(false); // open
      const lim = b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'EURUSD', type: ORDER_TYPE.SELL_LIMIT, volume: 0.2, price: 1.101 });
      const gone = b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'EURUSD', type: ORDER_TYPE.BUY_LIMIT, volume: 0.1, price: 1.09 });
      expect(b.orderSend({ action: TRADE_ACTION.REMOVE, order: gone.order }).retcode).toBe(RC.DONE);
      b.quote('EURUSD', 1.1012, 1.1014, T + 60_000); // the sell limit fills (hedging: a position of its own; netting: reverses the buy)
      const byDeal = b.deals().filter((d) => d.type <= 1);
      expect(byDeal.find((d) => d.order === lim.order)!.ticket).not.toBe(lim.order + 1n); // opened by a deal made later (another order took the next ticket)
      for (const d of b.deals()) expect(b.deal(d.ticket)).toEqual(d); // every deal found, the first and the last included
      expect(b.deal(byDeal.at(-1)!.ticket + 1n)).toBeUndefined();
      expect(b.deal(BIG_TICKET - 1n)).toBeUndefined();
      for (const p of b.positionList()) b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: p.type === 0 ? 1 : 0, volume: p.volume, position: p.ticket, typeFilling: ORDER_FILLING.FOK });
      expect(b.positionList()).toEqual([]);
      expect(b.isClosedPosition(m.order), `market-opened, mode ${marginMode}`).toBe(true);
      expect(b.isClosedPosition(lim.order), `pending-opened, mode ${marginMode}`).toBe(marginMode === 2); // netting: never a position of its own
      expect(b.isClosedPosition(gone.order)).toBe(false); // an order that never filled was never a position
      expect(b.isClosedPosition(byDeal[0]!.ticket)).toBe(false); // a deal ticket is not a position
      expect(b.isClosedPosition(12345n)).toBe(false);
      expect(b.isClosedPosition(undefined as unknown as bigint)).toBe(false); // no ticket: no position, no throw
      expect(sell(b, 0.1, { position: 5 }).retcode).toBe(RC.INVALID); // a number where a bigint belongs: not found
      expect(sell(b, 0.1, { position: m.order }).retcode).toBe(RC.POSITION_CLOSED);
      expect(sell(b, 0.1, { position: gone.order }).retcode).toBe(RC.INVALID);
    }
  });

  it('10013 invalid request: unknown position, unknown symbol; 10036 for a closed position', () => {
    const b = eurusd();
    expect(sell(b, 0.1, { position: 12345n }).retcode).toBe(RC.INVALID);
    expect(b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'NOPE', type: 0, volume: 0.1 }).retcode).toBe(RC.INVALID);
    const r = buy(b, 0.1);
    expect(sell(b, 0.1, { position: r.order }).retcode).toBe(RC.DONE);
    expect(sell(b, 0.1, { position: r.order }).retcode).toBe(RC.POSITION_CLOSED);
  });

  it('10014 invalid volume: below min, above max, off the step', () => {
    const b = eurusd();
    expect(buy(b, 0.001).retcode).toBe(RC.INVALID_VOLUME);
    expect(buy(b, 101).retcode).toBe(RC.INVALID_VOLUME);
    const r = buy(b, 0.015);
    expect(r.retcode).toBe(RC.INVALID_VOLUME);
    expect(r.comment).toMatch(/not a multiple of the step 0.01/);
  });

  it('10015 invalid price: a buy limit above the ask', () => {
    const b = eurusd();
    const r = b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'EURUSD', type: ORDER_TYPE.BUY_LIMIT, volume: 0.1, price: 1.101 });
    expect(r.retcode).toBe(RC.INVALID_PRICE);
  });

  it('10015 invalid price: a market sell whose slippage would fill it at 0 or below (never at a price ≤ 0)', () => {
    const b = eurusd({}, { slippagePoints: 110_000 }); // 1.1 below a bid of 1.1: 0
    const r = sell(b, 0.1);
    expect(r.retcode).toBe(RC.INVALID_PRICE);
    expect(r.comment).toBe('no fill: the bid 1.1 less 110000 points of slippage is 0');
    expect(b.positionList()).toEqual([]);
    expect(b.deals()).toEqual([]);
    // one point less fills, at one point above 0; a buy goes up, whatever the slippage
    const ok = eurusd({}, { slippagePoints: 109_999 });
    expect(sell(ok, 0.1)).toMatchObject({ retcode: RC.DONE, price: 0.00001 });
    expect(buy(eurusd({}, { slippagePoints: 110_000 }), 0.01)).toMatchObject({ retcode: RC.DONE, price: 2.20002 });
  });

  it('10016 invalid stops: SL above the bid of a buy, or inside the stops level', () => {
    const b = eurusd({ stopsLevel: 50 });
    expect(buy(b, 0.1, { sl: 1.1001 }).retcode).toBe(RC.INVALID_STOPS);
    expect(buy(b, 0.1, { sl: 1.0998 }).retcode).toBe(RC.INVALID_STOPS); // 20 points < 50
    expect(buy(b, 0.1, { sl: 1.0995, tp: 1.1005 }).retcode).toBe(RC.DONE); // exactly 50 points
  });

  it('10018 market closed outside the sessions (Saturday)', () => {
    const b = eurusd();
    b.quote('EURUSD', 1.1, 1.10002, Date.UTC(2024, 0, 13, 10));
    expect(buy(b, 0.1).retcode).toBe(RC.MARKET_CLOSED);
  });

  it('10019 no money: margin above free margin', () => {
    const b = eurusd();
    expect(buy(b, 99).retcode).toBe(RC.NO_MONEY); // 99 lots × 100,000 / 100 = 99,000 EUR margin
  });

  it('10021 no quotes before the first price; 10017 trade disabled; 10044 close only', () => {
    const b = makeBroker();
    expect(buy(b, 0.1).retcode).toBe(RC.PRICE_OFF);
    expect(buy(eurusd({ tradeMode: SYMBOL_TRADE_MODE.DISABLED }), 0.1).retcode).toBe(RC.TRADE_DISABLED);
    expect(buy(eurusd({ tradeMode: SYMBOL_TRADE_MODE.CLOSEONLY }), 0.1).retcode).toBe(RC.CLOSE_ONLY);
  });

  it('10027 when Algo Trading is off in the terminal', () => {
    const b = eurusd({}, { algoTrading: false });
    expect(buy(b, 0.1).retcode).toBe(RC.CLIENT_DISABLES_AT);
  });

  it('10030 unsupported filling mode', () => {
    const b = eurusd({ fillingMode: SYMBOL_FILLING.IOC });
    expect(buy(b, 0.1).retcode).toBe(RC.INVALID_FILL);
    expect(buy(b, 0.1, { typeFilling: ORDER_FILLING.IOC }).retcode).toBe(RC.DONE);
  });

  it('filling modes per execution mode: FOK/IOC by their bits (Request and Instant always FOK), RETURN by the execution mode, bit 4 is BOC', () => {
    const { REQUEST, INSTANT, MARKET, EXCHANGE } = SYMBOL_TRADE_EXECUTION;
    const { FOK, IOC, RETURN, BOC } = ORDER_FILLING;
    const rc = (executionMode: number, fillingMode: number, typeFilling: number): number =>
      buy(eurusd({ executionMode, fillingMode }), 0.1, { typeFilling, price: 1.10002 }).retcode;
    // [execution mode, SYMBOL_FILLING_MODE, the retcode for FOK, IOC, RETURN, BOC]
    const table: Array<[number, number, number[]]> = [
      [MARKET, SYMBOL_FILLING.FOK | SYMBOL_FILLING.IOC, [RC.DONE, RC.DONE, RC.INVALID_FILL, RC.INVALID_FILL]],
      [MARKET, SYMBOL_FILLING.BOC, [RC.INVALID_FILL, RC.INVALID_FILL, RC.INVALID_FILL, RC.INVALID_FILL]], // bit 4 is not RETURN
      [MARKET, SYMBOL_FILLING.IOC, [RC.INVALID_FILL, RC.DONE, RC.INVALID_FILL, RC.INVALID_FILL]],
      [EXCHANGE, 0, [RC.INVALID_FILL, RC.INVALID_FILL, RC.DONE, RC.INVALID_FILL]], // RETURN needs no bit
      [EXCHANGE, SYMBOL_FILLING.FOK | SYMBOL_FILLING.BOC, [RC.DONE, RC.INVALID_FILL, RC.DONE, RC.INVALID_FILL]],
      [INSTANT, 0, [RC.DONE, RC.INVALID_FILL, RC.DONE, RC.INVALID_FILL]], // FOK always under Instant execution
      [REQUEST, SYMBOL_FILLING.IOC, [RC.DONE, RC.DONE, RC.DONE, RC.INVALID_FILL]],
    ];
    for (const [exe, mask, want] of table) {
      expect([FOK, IOC, RETURN, BOC].map((f) => rc(exe, mask, f)), `execution ${exe}, filling mask ${mask}`).toEqual(want);
    }
  });

  it('10025 no changes, 10029 frozen, 10038 close volume too large', () => {
    const b = eurusd({ freezeLevel: 30 });
    const r = buy(b, 0.1, { sl: 1.099, tp: 1.101 });
    const pos = r.order;
    expect(b.orderSend({ action: TRADE_ACTION.SLTP, position: pos, sl: 1.099, tp: 1.101 }).retcode).toBe(RC.NO_CHANGES);
    b.quote('EURUSD', 1.1008, 1.10082, T + 1000); // 20 points from the TP, inside the freeze level of 30
    expect(b.orderSend({ action: TRADE_ACTION.SLTP, position: pos, sl: 1.0995, tp: 1.102 }).retcode).toBe(RC.FROZEN);
    b.quote('EURUSD', 1.1, 1.10002, T + 2000);
    expect(sell(b, 0.2, { position: pos }).retcode).toBe(RC.INVALID_CLOSE_VOLUME);
  });
});

describe('sim broker: positions and money', () => {
  it('hedging keeps opposite positions apart; netting nets them', () => {
    const h = eurusd();
    buy(h, 0.1);
    sell(h, 0.1);
    expect(h.positionList().length).toBe(2);
    for (const p of h.positionList()) expect(h.position(p.ticket)).toEqual(p); // one position by ticket: the same fields
    expect(h.position(1n)).toBeUndefined();
    const n = eurusd({}, { account: { login: 1, server: 'N', currency: 'USD', leverage: 100, marginMode: 0, balance: 10_000 } });
    buy(n, 0.3);
    n.quote('EURUSD', 1.1010, 1.10102, T + 1000);
    buy(n, 0.1); // adds: average price
    let p = n.positionList();
    expect(p.length).toBe(1);
    expect(p[0]!.volume).toBe(0.4);
    expect(p[0]!.priceOpen).toBeCloseTo((1.10002 * 0.3 + 1.10102 * 0.1) / 0.4, 10);
    sell(n, 0.1); // reduces
    expect(n.positionList()[0]!.volume).toBe(0.3);
    const r = sell(n, 0.5); // reverses: closes 0.3, opens 0.2 short, same position id
    expect(r.retcode).toBe(RC.DONE);
    p = n.positionList();
    expect(p.length).toBe(1);
    expect(p[0]!.type).toBe(1);
    expect(p[0]!.volume).toBe(0.2);
    expect(n.deals().at(-1)!.entry).toBe(DEAL_ENTRY.INOUT);
  });

  it('partial closes: step-exact volumes, remainder keeps SL/TP, remainder below the minimum refused', () => {
    const b = eurusd({ volumeMin: 0.1, volumeStep: 0.1 });
    const r = buy(b, 0.3, { sl: 1.099, tp: 1.101 });
    b.quote('EURUSD', 1.1005, 1.10052, T + 1000);
    expect(sell(b, 0.1, { position: r.order }).retcode).toBe(RC.DONE);
    const p = b.positionList()[0]!;
    expect(p.volume).toBe(0.2); // not 0.19999999999999998
    expect([p.sl, p.tp]).toEqual([1.099, 1.101]);
    expect(b.deals().at(-1)!.profit).toBe(4.8); // (1.10050 - 1.10002) × 100,000 × 0.1 = 4.80
    const small = eurusd({ volumeMin: 0.1, volumeStep: 0.01 });
    const r2 = buy(small, 0.15);
    expect(sell(small, 0.1, { position: r2.order }).retcode).toBe(RC.INVALID_VOLUME); // would leave 0.05 < 0.1
  });

  it('profit in account currency to the cent: EURUSD, USDJPY and XAUUSD on a USD account, EURUSD on a EUR account', () => {
    const b = makeBroker({}, [symbolSpec('EURUSD', { commissionPerLot: 3.5 }), symbolSpec('USDJPY', { commissionPerLot: 0 }), symbolSpec('XAUUSD', { commissionPerLot: 0 })]);
    b.quote('EURUSD', 1.1, 1.1, T);
    b.quote('USDJPY', 150, 150.01, T);
    b.quote('XAUUSD', 2000, 2000.2, T);
    const e = buy(b, 1);
    const j = b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'USDJPY', type: ORDER_TYPE.SELL, volume: 1, typeFilling: 0 });
    const g = b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'XAUUSD', type: ORDER_TYPE.BUY, volume: 0.5, typeFilling: 0 });
    b.quote('EURUSD', 1.10123, 1.10123, T + 1000);
    b.quote('USDJPY', 149.49, 149.5, T + 1000);
    b.quote('XAUUSD', 2010.2, 2010.4, T + 1000);
    expect(sell(b, 1, { position: e.order }).retcode).toBe(RC.DONE);
    expect(b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'USDJPY', type: ORDER_TYPE.BUY, volume: 1, position: j.order, typeFilling: 0 }).retcode).toBe(RC.DONE);
    expect(b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'XAUUSD', type: ORDER_TYPE.SELL, volume: 0.5, position: g.order, typeFilling: 0 }).retcode).toBe(RC.DONE);
    const out = b.deals().filter((d) => d.entry === DEAL_ENTRY.OUT);
    expect(out[0]!.profit).toBe(123); // 123 points × 1 USD per point per lot
    expect(out[0]!.commission).toBe(-3.5);
    // 150.00 - 149.50 = 0.50 JPY × 100,000 = 50,000 JPY, at 1/149.50 = 334.45 USD
    expect(out[1]!.profit).toBe(334.45);
    expect(out[2]!.profit).toBe(500); // (2010.20 - 2000.20) × 100 oz × 0.5 lot
    expect(b.account().balance).toBe(10_000 - 7 + 123 + 334.45 + 500);
    const eur = makeBroker({ account: { login: 2, server: 'E', currency: 'EUR', leverage: 30, marginMode: 2, balance: 1000 } }, [symbolSpec('EURUSD', { commissionPerLot: 0 })]);
    eur.quote('EURUSD', 1.25, 1.25, T);
    const x = buy(eur, 0.1);
    eur.quote('EURUSD', 1.26, 1.26, T + 1000);
    sell(eur, 0.1, { position: x.order });
    expect(eur.deals().at(-1)!.profit).toBe(79.37); // 100 USD / 1.26 = 79.365… EUR
    expect(eur.account().balance).toBe(1079.37);
  });

  it('BUY and SELL on FX, a JPY pair and gold: profit in USD to the cent', () => {
    // [symbol, side, volume, open bid/ask, close bid/ask, profit worked out by hand]
    // buys open at the ask and close at the bid; sells open at the bid and close at the ask
    const cases: [string, 0 | 1, number, [number, number], [number, number], number][] = [
      ['EURUSD', 0, 0.37, [1.1, 1.10002], [1.10153, 1.10155], 55.87], // 1.10002 → 1.10153: 151 pts × $1 × 0.37
      ['EURUSD', 1, 0.37, [1.1, 1.10002], [1.09847, 1.09849], 55.87], // 1.10000 → 1.09849: 151 pts × $1 × 0.37
      ['USDJPY', 0, 0.5, [150, 150.012], [150.512, 150.524], 166.09], // 150.012 → 150.512: 25,000 JPY ÷ 150.524 (1/ask)
      ['USDJPY', 1, 0.5, [150, 150.012], [149.5, 149.512], 163.2], // 150.000 → 149.512: 24,400 JPY ÷ 149.512 = 163.196
      ['XAUUSD', 0, 0.03, [2000, 2000.2], [2012.45, 2012.65], 36.75], // 2000.20 → 2012.45: 12.25 × 100 oz × 0.03
      ['XAUUSD', 1, 0.03, [2000, 2000.2], [1987.55, 1987.75], 36.75], // 2000.00 → 1987.75: 12.25 × 100 oz × 0.03
    ];
    for (const [symbol, side, volume, [ob, oa], [cb, ca], profit] of cases) {
      const b = makeBroker({}, [symbolSpec(symbol, { commissionPerLot: 0 })]);
      b.quote(symbol, ob, oa, T);
      const r = b.orderSend({ action: TRADE_ACTION.DEAL, symbol, type: side, volume, typeFilling: ORDER_FILLING.FOK });
      b.quote(symbol, cb, ca, T + 60_000);
      b.orderSend({ action: TRADE_ACTION.DEAL, symbol, type: side === 0 ? 1 : 0, volume, position: r.order, typeFilling: ORDER_FILLING.FOK });
      expect(b.deals().at(-1)!.profit, `${symbol} ${side === 0 ? 'BUY' : 'SELL'}`).toBe(profit);
      expect(b.account().balance).toBe(Math.round((10_000 + profit) * 100) / 100);
    }
  });

  it('margin, margin level and stop-out of the worst position', () => {
    const b = eurusd({}, { account: { login: 3, server: 'S', currency: 'USD', leverage: 100, marginMode: 2, balance: 1000, stopOutLevel: 50 } });
    b.quote('EURUSD', 1.0, 1.0, T);
    buy(b, 0.5); // margin 0.5 × 100,000 / 100 = 500 EUR = 500 USD at 1.0
    buy(b, 0.3);
    const a = b.account();
    expect(a.margin).toBe(800);
    expect(a.marginLevel).toBe(125);
    // equity 1000 - 0.8 lots × 100,000 × 0.0085 = 320 → level 40 % ≤ 50 %: stop out the worst (the 0.5 lot)
    b.quote('EURUSD', 0.9915, 0.9915, T + 60_000, true);
    const so = b.deals().filter((d) => d.reason === DEAL_REASON.SO);
    expect(so.length).toBeGreaterThanOrEqual(1);
    expect(so[0]!.volume).toBe(0.5);
    expect(so[0]!.comment).toMatch(/^\[so \d+\.\d\d%\]$/);
  });

  it('swaps accrue at rollover, triple on the configured weekday, and are realised on close', () => {
    const b = eurusd({ swapLong: -7, swapRollover3Days: 3 });
    const r = buy(b, 1);
    b.rollover(1); // Monday: -7 points × 1 USD
    b.rollover(3); // Wednesday: triple
    expect(b.positionList()[0]!.swap).toBe(-28);
    // the rollovers at the end of a Saturday and a Sunday (a bar file with weekend bars has them): nothing — Wednesday's
    // triple is the weekend's two nights
    b.rollover(6);
    b.rollover(0);
    expect(b.positionList()[0]!.swap).toBe(-28);
    // a market open every day (crypto-like sessions on all seven days) is charged every night, weekends too
    const all = eurusd({ swapLong: -7, swapRollover3Days: 3, sessions: [0, 1, 2, 3, 4, 5, 6].map((d) => [d, 0, 1440] as [number, number, number]) });
    buy(all, 1);
    all.rollover(6);
    all.rollover(0);
    expect(all.positionList()[0]!.swap).toBe(-14);
    sell(b, 1, { position: r.order });
    expect(b.deals().at(-1)!.swap).toBe(-28);
    expect(b.account().balance).toBe(10_000 - 2 - 28); // 2 points of spread lost on the round trip
  });
});

describe('sim broker: the price path', () => {
  it('the path of a bullish bar goes open → low → high → close, bearish open → high → low → close', () => {
    expect(barPath(0, 3600, 1.1, 1.2, 1.0, 1.15).map((p) => p.price)).toEqual([1.1, 1.0, 1.2, 1.15]);
    expect(barPath(0, 3600, 1.1, 1.2, 1.0, 1.05).map((p) => p.price)).toEqual([1.1, 1.2, 1.0, 1.05]);
  });

  it('SL crossed on a continuous path fills at the SL; a gap beyond it fills at the (worse) open', () => {
    const b = eurusd();
    const r = buy(b, 0.1, { sl: 1.099, tp: 1.102 });
    b.quote('EURUSD', 1.098, 1.09802, T + 1000, true);
    let d = b.deals().at(-1)!;
    expect([d.reason, d.price, d.comment]).toEqual([DEAL_REASON.SL, 1.099, '[sl 1.09900]']);
    expect(d.positionId).toBe(r.order);
    const g = eurusd();
    buy(g, 0.1, { sl: 1.099 });
    g.quote('EURUSD', 1.095, 1.09502, T + 1000, false); // weekend gap
    d = g.deals().at(-1)!;
    expect([d.reason, d.price]).toEqual([DEAL_REASON.SL, 1.095]);
  });

  it('TP of a sell is judged on the ask; levels fire in the order the price reaches them', () => {
    const b = eurusd();
    sell(b, 0.1, { tp: 1.099 }); // fills at bid 1.10000
    buy(b, 0.1, { sl: 1.0995 }); // SL reached first on the way down
    b.quote('EURUSD', 1.098, 1.09802, T + 1000, true);
    const out = b.deals().filter((d) => d.entry === DEAL_ENTRY.OUT);
    expect(out.map((d) => [d.reason, d.price])).toEqual([[DEAL_REASON.SL, 1.0995], [DEAL_REASON.TP, 1.099]]);
  });

  it('pending orders trigger at their level on the path; their SL can fire later on the same segment', () => {
    const b = eurusd();
    const r = b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'EURUSD', type: ORDER_TYPE.BUY_LIMIT, volume: 0.1, price: 1.099, sl: 1.098 });
    expect(r.retcode).toBe(RC.DONE);
    b.quote('EURUSD', 1.097, 1.09702, T + 1000, true); // down through 1.099 (ask) then 1.098 (bid)
    const deals = b.deals();
    expect(deals.map((d) => [d.entry, d.price])).toEqual([[DEAL_ENTRY.IN, 1.099], [DEAL_ENTRY.OUT, 1.098]]);
    expect(b.orderList().length).toBe(0);
  });

  it('stop-limit becomes a limit order at its stop-limit price', () => {
    const b = eurusd();
    b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'EURUSD', type: ORDER_TYPE.BUY_STOP_LIMIT, volume: 0.1, price: 1.101, stoplimit: 1.1005 });
    b.quote('EURUSD', 1.1012, 1.10122, T + 1000, true);
    expect(b.orderList()[0]!.type).toBe(ORDER_TYPE.BUY_LIMIT);
    expect(b.orderList()[0]!.priceOpen).toBe(1.1005);
    b.quote('EURUSD', 1.1, 1.10002, T + 2000, true);
    expect(b.positionList()[0]!.priceOpen).toBe(1.1005);
  });

  it('modifies and cancels pending orders by ticket', () => {
    const b = eurusd();
    const r = b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'EURUSD', type: ORDER_TYPE.SELL_STOP, volume: 0.1, price: 1.099 });
    expect(b.orderSend({ action: TRADE_ACTION.MODIFY, order: r.order, price: 1.0985, sl: 1.1, tp: 1.09 }).retcode).toBe(RC.DONE);
    expect(b.orderList()[0]).toMatchObject({ ticket: r.order, priceOpen: 1.0985, sl: 1.1, tp: 1.09 });
    expect(b.orderSend({ action: TRADE_ACTION.MODIFY, order: r.order, price: 1.1005 }).retcode).toBe(RC.INVALID_PRICE);
    expect(b.orderSend({ action: TRADE_ACTION.REMOVE, order: r.order }).retcode).toBe(RC.DONE);
    expect(b.orderList().length).toBe(0);
  });
});

describe('sim broker: a path in one call', () => {
  it('path(points) leaves the broker exactly as quote(…, true) point by point: fills, stop-outs, pending orders, exposure; quoteAt as quote(…, false) (property)', () => {
    let fired = 0, quietOpen = 0, stoppedOut = 0;
    const px = (x: number) => Math.round(x * 1e5) / 1e5;
    fc.assert(
      fc.property(
        fc.record({
          balance: fc.constantFrom(10_000, 150),
          orders: fc.array(fc.record({ side: fc.constantFrom(ORDER_TYPE.BUY, ORDER_TYPE.SELL), volume: fc.constantFrom(0.1, 0.3, 0.5), sl: fc.integer({ min: -80, max: 80 }), tp: fc.integer({ min: -80, max: 80 }) }), { maxLength: 3 }),
          pending: fc.option(fc.record({ type: fc.constantFrom(ORDER_TYPE.BUY_LIMIT, ORDER_TYPE.SELL_LIMIT, ORDER_TYPE.BUY_STOP, ORDER_TYPE.SELL_STOP), at: fc.integer({ min: 5, max: 60 }) })),
          path: fc.array(fc.integer({ min: -70, max: 70 }), { minLength: 3, maxLength: 3 }),
          scale: fc.constantFrom(0.1, 0.3, 1), // small paths ride between the levels, large ones cross them
          gap: fc.integer({ min: -90, max: 90 }),
        }),
        ({ balance, orders, pending, path, scale, gap }) => {
          const make = () => {
            const b = makeBroker({ account: { login: 1, server: 'P', currency: 'USD', leverage: 500, marginMode: 2, balance } }, [symbolSpec('EURUSD', { commissionPerLot: 0 })]);
            b.quote('EURUSD', 1.1, 1.10002, T);
            for (const o of orders) {
              const sl = o.sl === 0 ? 0 : px(1.1 + o.sl * 1e-4), tp = o.tp === 0 ? 0 : px(1.1 + o.tp * 1e-4);
              b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: o.side, volume: o.volume, sl, tp, typeFilling: ORDER_FILLING.FOK });
            }
            if (pending) {
              const up = pending.type === ORDER_TYPE.SELL_LIMIT || pending.type === ORDER_TYPE.BUY_STOP;
              b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'EURUSD', type: pending.type, volume: 0.1, price: px(1.1 + (up ? 1 : -1) * pending.at * 1e-4) });
            }
            return b;
          };
          const a = make(), b = make();
          const pts = new Float64Array(9);
          path.forEach((p, k) => {
            pts[3 * k] = px(1.1 + p * scale * 1e-4);
            pts[3 * k + 1] = px(1.1 + p * scale * 1e-4 + 0.00002);
            pts[3 * k + 2] = T + 1000 * (k + 1);
          });
          const dealsBefore = a.deals().length;
          let exposedA = false;
          for (let k = 0; k < 3; k++) {
            a.quote('EURUSD', pts[3 * k]!, pts[3 * k + 1]!, pts[3 * k + 2]!, true);
            if (a.openCount > 0) exposedA = true;
          }
          const exposedB = b.path('EURUSD', pts, 3);
          expect(exposedB).toBe(exposedA);
          expect(b.deals()).toEqual(a.deals());
          expect(b.positionList()).toEqual(a.positionList());
          expect(b.orderList()).toEqual(a.orderList());
          expect(b.account()).toEqual(a.account());
          expect(b.quoteOf('EURUSD')).toEqual(a.quoteOf('EURUSD'));
          // the figures the backtest's risk gate reads, as the full account and position list give them
          const acct = a.account();
          expect(b.accountFigures()).toEqual({ balance: acct.balance, equity: acct.equity, freeMargin: acct.freeMargin });
          expect(b.positionFacts()).toEqual(a.positionList().map((p) => ({ ticket: p.ticket, symbol: p.symbol, magic: p.magic, type: p.type, volume: p.volume, profit: p.profit })));
          const fills = a.deals().slice(dealsBefore);
          if (fills.length) fired++;
          else if (a.openCount > 0 && !pending) quietOpen++;
          if (fills.some((d) => d.reason === DEAL_REASON.SO)) stoppedOut++;
          // then the next bar's open, a gap: quoteAt reads it from an array as quote(…, false) takes it; accountInto gives
          // the balance and equity the getters give
          const open = new Float64Array([px(1.1 + gap * 1e-4), px(1.1 + gap * 1e-4 + 0.00002), T + 10_000]);
          a.quote('EURUSD', open[0]!, open[1]!, open[2]!);
          b.quoteAt('EURUSD', open, 0);
          expect(b.deals()).toEqual(a.deals());
          expect(b.positionList()).toEqual(a.positionList());
          expect(b.orderList()).toEqual(a.orderList());
          expect(b.quoteOf('EURUSD')).toEqual(a.quoteOf('EURUSD'));
          expect(b.time).toBe(a.time);
          const acc = new Float64Array(3);
          b.accountInto(acc, 1);
          expect([acc[1], acc[2]]).toEqual([a.balance, a.equity]);
        },
      ),
      { numRuns: 1500 },
    );
    // every branch was walked: levels fired on the way, positions rode a quiet path, stop-outs happened
    expect(fired).toBeGreaterThan(100);
    expect(quietOpen).toBeGreaterThan(20);
    expect(stoppedOut).toBeGreaterThan(3);
  });
});

describe('sim EA logic: intent results', () => {
  // results are built in place (envelope first, then the trade result's fields): pin their keys, order included,
  // since the simulated terminal sends them as they are, and check each is a valid INTENT_RESULT on the wire
  it('OPEN, CLOSE, a refusal and CLOSE_ALL give the result fields in the EA order, and a repeat is the stored result', () => {
    const b = eurusd();
    const ea = new SimEaLogic(b);
    const open = ea.handleIntent({ type: 'OPEN', intentId: 'shape-o1', magic: 7, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 }, 1);
    expect(Object.keys(open)).toEqual(['re', 'intentId', 'duplicate', 'retcode', 'class', 'comment', 'order', 'deal', 'volume', 'price', 'bid', 'ask', 'position']);
    expect(open).toMatchObject({ re: 1, intentId: 'shape-o1', duplicate: false, retcode: RC.DONE, class: 'done', volume: 0.1, price: 1.10002 });
    const close = ea.handleIntent({ type: 'CLOSE', intentId: 'shape-c1', magic: 7, ticket: open.position!, volume: 0, deviation: 10 }, 2);
    expect(Object.keys(close)).toEqual(['re', 'intentId', 'duplicate', 'retcode', 'class', 'comment', 'order', 'deal', 'volume', 'price', 'bid', 'ask', 'position']);
    expect(close.position).toBe(open.position);
    const again = ea.handleIntent({ type: 'CLOSE', intentId: 'shape-c2', magic: 7, ticket: open.position!, volume: 0, deviation: 10 }, 3);
    expect(again).toEqual({ re: 3, intentId: 'shape-c2', duplicate: false, retcode: RC.POSITION_CLOSED, class: 'final', comment: `position ${open.position} is already closed` });
    expect(Object.keys(again)).toEqual(['re', 'intentId', 'duplicate', 'retcode', 'class', 'comment']);
    const repeat = ea.handleIntent({ type: 'OPEN', intentId: 'shape-o1', magic: 7, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 }, 4);
    expect(repeat).toEqual({ ...open, re: 4, duplicate: true });
    expect(ea.orderSends).toBe(2);
    ea.handleIntent({ type: 'OPEN', intentId: 'shape-o2', magic: 7, symbol: 'EURUSD', side: 1, volume: 0.2, sl: 0, tp: 0, deviation: 10 }, 5);
    const all = ea.handle({ type: MsgType.CLOSE_ALL, seq: 1, id: 6, intentId: 'shape-a1', magic: 0, symbol: '', onlyMagic: false, deviation: 10 });
    expect(Object.keys(all)).toEqual(['re', 'intentId', 'duplicate', 'retcode', 'class', 'comment', 'results']);
    expect(all).toMatchObject({ retcode: RC.DONE, class: 'done', comment: '1 closed' });
    expect(Object.keys(all.results![0]!)).toEqual(['ticket', 'retcode', 'class', 'comment', 'order', 'deal', 'volume', 'price', 'bid', 'ask', 'position']);
    for (const [k, r] of [open, close, again, repeat, all].entries()) {
      const { type: _t, seq: _s, ...back } = decodeMessage(encodeMessage('INTENT_RESULT', k + 1, r)) as unknown as Record<string, unknown>;
      expect(back).toEqual(r);
    }
  });

  it('answers a re-sent id from its ring of the last N results — the same fields in the same order — and executes an older one anew (property)', () => {
    const SIZE = 8;
    let repeats = 0, evicted = 0, closeAllRepeats = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5), fc.nat(15), fc.nat(3)), { minLength: 20, maxLength: 60 }), (steps) => {
        const b = eurusd();
        const ea = new SimEaLogic(b, SIZE);
        // the model: the last SIZE executed intents (id, the result as first answered), oldest first
        const kept: { id: string; result: Record<string, unknown> }[] = [];
        let re = 0, fresh = 0;
        for (const [kind, idNo, pick] of steps) {
          const intentId = `p-${idNo}`;
          const tickets = b.positionList().map((p) => p.ticket);
          const ticket = tickets.length ? tickets[pick % tickets.length]! : 999_999n; // none open: a refusal
          const body =
            kind === 0 || kind === 1 ? { type: 'OPEN' as const, intentId, magic: 7, symbol: 'EURUSD', side: kind, volume: 0.1, sl: 0, tp: 0, deviation: 10 }
            : kind === 2 ? { type: 'CLOSE' as const, intentId, magic: 7, ticket, volume: 0, deviation: 10 }
            : kind === 3 ? { type: 'MODIFY' as const, intentId, magic: 7, ticket, sl: 1.05, tp: 0 }
            : kind === 4 ? { type: 'OPEN' as const, intentId, magic: 7, symbol: 'EURUSD', side: 0, volume: 1e-7, sl: 0, tp: 0, deviation: 10 } // refused: below the minimum volume
            : undefined;
          const sends = ea.orderSends;
          const r = (body ? ea.handleIntent(body, ++re) : ea.handle({ type: MsgType.CLOSE_ALL, seq: 1, id: ++re, intentId, magic: 0, symbol: '', onlyMagic: false, deviation: 10 })) as unknown as Record<string, unknown>;
          const stored = kept.find((k) => k.id === intentId);
          if (!stored && r.duplicate === false && steps.slice(0, re - 1).some(([, n]) => n === idNo)) evicted++; // seen, but out of the ring
          if (stored) {
            repeats++;
            if ('results' in stored.result) closeAllRepeats++;
            expect(r).toEqual({ ...stored.result, re, duplicate: true });
            expect(Object.keys(r)).toEqual(Object.keys(stored.result));
            expect(ea.orderSends).toBe(sends); // nothing executed again
          } else {
            expect(r.duplicate).toBe(false);
            fresh++;
            kept.push({ id: intentId, result: structuredClone(r) });
            if (kept.length > SIZE) kept.shift();
          }
        }
        return fresh > 0;
      }),
      { numRuns: 300 },
    );
    expect(repeats).toBeGreaterThan(1000);
    expect(evicted).toBeGreaterThan(500);
    expect(closeAllRepeats).toBeGreaterThan(100);
  });
});

describe('tickRounded (the tick value to 12 digits, the last answer kept)', () => {
  // products as the tick value makes them (tick × contract × rate), repeated and interleaved: a cache keyed wrongly
  // would give the previous product's answer
  const product = fc.oneof(
    fc.constantFrom(0.00001 * 100000, 0.01 * 100, 0.001 * 100000 / 151.234, 0, -0, Number.NaN, Infinity, 1e-300),
    fc.double({ min: 1e-9, max: 1e9, noNaN: true }),
  );
  it('gives Number(x.toPrecision(12)) for every call of any sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(product, fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 40 }), (calls) => {
        for (const [x, times] of calls) for (let k = 0; k < times; k++) expect(Object.is(tickRounded(x), Number(x.toPrecision(12))), String(x)).toBe(true);
      }),
    );
  });
});

describe('sim broker: positionsOfMagic (a strategy’s positions, the list before given back when unchanged)', () => {
  it('gives back the list before while its positions and their values stay, a new one at each change; a list given out never changes', () => {
    const b = eurusd();
    const fresh = () => b.positionsOfMagic(7);
    const a = buy(b, 0.3, { magic: 7, sl: 1.09, tp: 1.12 }).order;
    const other = buy(b, 0.1, { magic: 8 }).order;
    const l1 = b.positionsOfMagic(7, undefined);
    expect(l1).toEqual(fresh());
    expect(l1.map((p) => [p.ticket, p.volume, p.sl, p.tp])).toEqual([[a, 0.3, 1.09, 1.12]]);
    const frozenCopy = structuredClone(l1);
    // nothing changed, or only another magic's position: the same list
    b.quote('EURUSD', 1.1003, 1.10032, T + 60_000);
    expect(b.positionsOfMagic(7, l1)).toBe(l1);
    expect(b.orderSend({ action: TRADE_ACTION.SLTP, position: other, sl: 1.095, tp: 0 }).retcode).toBe(RC.DONE);
    expect(b.positionsOfMagic(7, l1)).toBe(l1);
    // its stop moved: a new list with the new stop; the old list keeps what it said
    expect(b.orderSend({ action: TRADE_ACTION.SLTP, position: a, sl: 1.095, tp: 1.12 }).retcode).toBe(RC.DONE);
    const l2 = b.positionsOfMagic(7, l1);
    expect(l2).not.toBe(l1);
    expect(l2).toEqual(fresh());
    expect(l2[0]!.sl).toBe(1.095);
    expect(l1).toEqual(frozenCopy);
    // a partial close, a second position, then none: each a new list equal to a fresh one
    expect(sell(b, 0.1, { position: a }).retcode).toBe(RC.DONE);
    const l3 = b.positionsOfMagic(7, l2);
    expect(l3).not.toBe(l2);
    expect(l3).toEqual(fresh());
    expect(l3[0]!.volume).toBe(0.2);
    buy(b, 0.05, { magic: 7 });
    const l4 = b.positionsOfMagic(7, l3);
    expect(l4).toHaveLength(2);
    expect(l4).toEqual(fresh());
    expect(b.positionsOfMagic(7, l4)).toBe(l4);
    for (const p of b.positionList()) if (p.magic === 7) sell(b, p.volume, { position: p.ticket });
    const l5 = b.positionsOfMagic(7, l4);
    expect(l5).toEqual([]);
    expect(l4).toHaveLength(2);
    // a list of another strategy's positions given as the one before is not given back
    expect(b.positionsOfMagic(8, l4)).toEqual(b.positionsOfMagic(8));
  });
});
