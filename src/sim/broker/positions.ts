/**
 * The simulated broker's open positions and pending orders as MT5 reports them (PositionGet*, OrderGet*), and the
 * cheaper views of them the trading core and the backtest read, over its book `b`.
 */
import { fromMinor } from '../../engine/money.js';
import type { Order, Position } from '../../protocol/messages.js';
import { ORDER_TYPE } from '../../protocol/mt5.js';
import type { PosState } from '../broker-types.js';
import type { BrokerBook } from './book.js';
import { floatingMinor } from './money.js';

/** The open positions with what the trading core reads of them (positionList() without the rest): the same values, in the same order. */
export function positionFacts(b: BrokerBook): { ticket: bigint; symbol: string; magic: number; type: number; volume: number; profit: number }[] {
  const out = [];
  const L = b.positions.list;
  for (let i = 0; i < L.length; i++) {
    const p = L[i]!;
    out.push({ ticket: p.ticket, symbol: p.symbol, magic: p.magic, type: p.type, volume: p.volume, profit: fromMinor(floatingMinor(b, p), b.digits) });
  }
  return out;
}

/** What a strategy decides on of one of its open positions (positionsOfMagic). */
export interface PositionView {
  readonly ticket: bigint;
  readonly type: number;
  readonly volume: number;
  readonly priceOpen: number;
  readonly sl: number;
  readonly tp: number;
  readonly time: number;
}

/**
 * Open positions carrying one magic number, with only the fields a strategy decides on (positionList()
 * without the profit and swap conversions; the backtest asks for it on every bar a position is open). `prev`: the
 * list this gave before — given back as it is when it still holds the same positions with the same values (a position
 * only trailed or held changes nothing between bars; building the list again was most of a managed backtest's
 * garbage), else a new list: a list given out is never changed.
 */
export function positionsOfMagic(b: BrokerBook, magic: number, prev?: readonly PositionView[]): readonly PositionView[] {
  const L = b.positions.list;
  if (prev !== undefined) {
    let k = 0, same = true;
    for (let i = 0; same && i < L.length; i++) {
      const p = L[i]!;
      if (p.magic !== magic) continue;
      const v = prev[k++];
      same = v !== undefined && v.ticket === p.ticket && Object.is(v.type, p.type) && Object.is(v.volume, p.volume) && Object.is(v.priceOpen, p.priceOpen) &&
        Object.is(v.sl, p.sl) && Object.is(v.tp, p.tp) && Object.is(v.time, Math.floor(p.timeMsc / 1000));
    }
    if (same && k === prev.length) return prev;
  }
  const out: PositionView[] = [];
  for (let i = 0; i < L.length; i++) {
    const p = L[i]!;
    if (p.magic === magic) out.push({ ticket: p.ticket, type: p.type, volume: p.volume, priceOpen: p.priceOpen, sl: p.sl, tp: p.tp, time: Math.floor(p.timeMsc / 1000) });
  }
  return out;
}

/** Every open position, as MT5 reports it. */
export function positionList(b: BrokerBook): Position[] {
  return [...b.positions.values()].map((p) => toPosition(b, p));
}

/** One open position as MT5 reports it, profit and swap converted at the current quote. */
export function toPosition(b: BrokerBook, p: PosState): Position {
  const q = b.quoteOfSym(p.symbol);
  return {
    ticket: p.ticket,
    identifier: p.identifier,
    symbol: p.symbol,
    type: p.type,
    volume: p.volume,
    priceOpen: p.priceOpen,
    priceCurrent: q ? (p.type === ORDER_TYPE.BUY ? q.bid : q.ask) : p.priceOpen,
    sl: p.sl,
    tp: p.tp,
    time: Math.floor(p.timeMsc / 1000),
    timeMsc: p.timeMsc,
    magic: p.magic,
    comment: p.comment,
    swap: fromMinor(p.swapMinor, b.digits),
    profit: fromMinor(floatingMinor(b, p), b.digits),
  };
}

/** Every pending order, as MT5 reports it. */
export function orderList(b: BrokerBook): Order[] {
  return [...b.orders.values()].map((o) => ({
    ticket: o.ticket,
    symbol: o.symbol,
    type: o.type,
    volume: o.volume,
    priceOpen: o.priceOpen,
    stopLimit: o.stopLimit,
    sl: o.sl,
    tp: o.tp,
    timeSetup: Math.floor(o.timeSetupMsc / 1000),
    expiration: o.expiration,
    magic: o.magic,
    comment: o.comment,
  }));
}
