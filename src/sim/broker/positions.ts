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

/**
 * Open positions carrying one magic number, with only the fields a strategy decides on (positionList()
 * without the profit and swap conversions; the backtest asks for it on every bar).
 */
export function positionsOfMagic(b: BrokerBook, magic: number): { ticket: bigint; type: number; volume: number; priceOpen: number; sl: number; tp: number; time: number }[] {
  const out = [];
  const L = b.positions.list;
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
