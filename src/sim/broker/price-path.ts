/**
 * The simulated broker's price path, over its book `b`: a quote pushed in, or a bar's path of them, moves the market
 * and fires what it reaches — positions' SL and TP, pending orders (a stop-limit becoming a limit), expiry — in the
 * order the price reaches their levels, then the stop-out. The fast paths (nothing open or pending, nothing within
 * the path's range) only move the price.
 */
import { roundPrice } from '../../engine/money.js';
import { ACCOUNT_MARGIN_MODE, DEAL_REASON, ORDER_TYPE, TRADE_TRANSACTION } from '../../protocol/mt5.js';
import type { OrderState, PosState, Quote, Trigger } from '../broker-types.js';
import { levelTime, orderTriggered } from '../trade-rules.js';
import type { BrokerBook } from './book.js';
import { fillDeal } from './deals.js';
import { account, floatingMinor, marginLevelAbove, profitMinor } from './money.js';
import { BAND_REACH } from './stop-out-band.js';

/**
 * Push a new quote. With `continuous`, the price is taken to have moved through every level between the
 * previous and this quote (a path generated from a bar): SL, TP and pending orders crossed on the way fill
 * at their level. Without it (a gap, a real tick), they fill at this quote: stops worse, limits better.
 */
export function quote(b: BrokerBook, symbol: string, bid: number, ask: number, timeMsc: number, continuous = false): void {
  if (!(bid > 0) || !(ask >= bid)) throw new Error(`bad quote for ${symbol}: bid ${bid} ask ${ask}`);
  const prev = b.quoteOfSym(symbol); // only known symbols have quotes
  if (!prev && !b.specs.has(symbol)) throw new Error(`unknown symbol ${symbol}`);
  if (timeMsc > b.nowMsc) b.nowMsc = timeMsc;
  if (prev && b.positions.size === 0 && b.orders.size === 0) {
    // nothing open or pending: nothing can trigger, so only the price moves (the common case in backtests)
    prev.bid = bid;
    prev.ask = ask;
    prev.timeMsc = timeMsc;
    return;
  }
  expireOrders(b);
  if (!prev) {
    const q: Quote = { bid, ask, timeMsc };
    b.setQuote(symbol, q);
    fireTriggers(b, symbol, null, q);
  } else if (!continuous) {
    // the symbol's quote object moves to the new price (no allocation per quote)
    prev.bid = bid;
    prev.ask = ask;
    prev.timeMsc = timeMsc;
    fireTriggers(b, symbol, null, prev);
  } else {
    walkSegment(b, symbol, prev, bid, ask, timeMsc);
  }
  checkStopOut(b);
}

/**
 * Continue a path (backtests): `n` points of (bid, ask, timeMsc) in `pts`, each reached continuously from the one
 * before — exactly `quote(symbol, bid, ask, timeMsc, true)` for each in turn. When no pending order exists and
 * no SL or TP of a position on the symbol lies within the range of the points (and of the current quote), nothing
 * can fire on the way, so the price only moves, with the stop-out check at every point as `quote` does. The
 * points come in a Float64Array so that no number is boxed on the way. Returns whether a position was open after
 * any of the points (the bar's exposure).
 */
export function path(b: BrokerBook, symbol: string, pts: Float64Array, n: number): boolean {
  const q = b.quoteOfSym(symbol);
  let quiet = q !== undefined && b.orders.size === 0;
  let loB = 0, hiA = 0; // the path's lowest bid and highest ask (with positions open)
  if (quiet && b.positions.size > 0) {
    let hiB = q!.bid, loA = q!.ask;
    loB = q!.bid;
    hiA = q!.ask;
    for (let k = 0; k < n; k++) {
      const bid = pts[3 * k]!, ask = pts[3 * k + 1]!;
      if (bid < loB) loB = bid;
      if (bid > hiB) hiB = bid;
      if (ask < loA) loA = ask;
      if (ask > hiA) hiA = ask;
    }
    const L = b.positions.list;
    for (let i = 0; i < L.length; i++) {
      const p = L[i]!;
      if (p.symbol !== symbol) continue;
      // a buy closes on the bid: SL below, TP above; a sell on the ask: SL above, TP below (inclusive, as levelTime)
      if (p.type === ORDER_TYPE.BUY ? (p.sl > 0 && loB <= p.sl) || (p.tp > 0 && hiB >= p.tp) : (p.sl > 0 && hiA >= p.sl) || (p.tp > 0 && loA <= p.tp)) {
        quiet = false;
        break;
      }
    }
  }
  let exposed = false;
  const watchStopOut = quiet && b.positions.size > 0 && !withinStopOutBand(b, symbol, loB, hiA) && !cannotStopOut(b, symbol, loB, hiA);
  for (let k = 0; k < n; k++) {
    const bid = pts[3 * k]!, ask = pts[3 * k + 1]!, t = pts[3 * k + 2]!;
    if (!quiet) quote(b, symbol, bid, ask, t, true);
    else {
      if (!(bid > 0) || !(ask >= bid)) throw new Error(`bad quote for ${symbol}: bid ${bid} ask ${ask}`);
      if (t > b.nowMsc) b.nowMsc = t;
      q!.bid = bid;
      q!.ask = ask;
      q!.timeMsc = t;
      if (watchStopOut) checkStopOut(b);
    }
    if (b.positions.size > 0) exposed = true;
  }
  return exposed;
}

/**
 * Can no point of a quiet path (lowest bid `loB`, highest ask `hiA`) bring a stop-out? Only decided when every
 * position is on `symbol` with profit in the account currency (no conversion rate moves with the path): each
 * position's floating profit only grows with its closing price, so the equity at any point is at least the sum of each position at its worst price of the
 * path — if even that leaves the margin level above the stop-out level, `checkStopOut` would do nothing at any
 * point. Otherwise (false) the path checks at every point.
 */
function cannotStopOut(b: BrokerBook, symbol: string, loB: number, hiA: number): boolean {
  if (b.specOf(symbol)!.currencyProfit !== b.cfg.account.currency) return false;
  let low = b.balanceMinor, margin = 0;
  const L = b.positions.list;
  for (let i = 0; i < L.length; i++) {
    const p = L[i]!;
    if (p.symbol !== symbol) return false;
    low += profitMinor(b, p, p.type === ORDER_TYPE.BUY ? loB : hiA) + p.swapMinor;
    margin += p.marginMinor;
  }
  return margin <= 0 || (low / margin) * 100 > (b.cfg.account.stopOutLevel ?? 50);
}

/**
 * Is the book's one open position on `symbol`, and are the quotes from bid `loB` to ask `hiA` inside a band where it
 * cannot be stopped out (stop-out-band.ts)? The band is made again, reaching BAND_REACH beyond them, when the position,
 * the balance or the level changed or the quotes left it, if `cannotStopOut` proves it. False: check exactly.
 */
function withinStopOutBand(b: BrokerBook, symbol: string, loB: number, hiA: number): boolean {
  const L = b.positions.list, band = b.stopOutBand;
  if (L.length !== 1 || L[0]!.symbol !== symbol || !band.enabled) return false;
  const p = L[0]!, level = b.cfg.account.stopOutLevel ?? 50;
  if (
    p === band.pos && p.type === band.type && p.volume === band.volume && p.priceOpen === band.priceOpen && p.swapMinor === band.swapMinor &&
    p.marginMinor === band.marginMinor && b.balanceMinor === band.balanceMinor && level === band.level && loB >= band.lo && hiA <= band.hi
  ) return true;
  const lo = loB * (1 - BAND_REACH), hi = hiA * (1 + BAND_REACH);
  if (!cannotStopOut(b, symbol, lo, hi)) return false;
  band.pos = p;
  band.type = p.type;
  band.volume = p.volume;
  band.priceOpen = p.priceOpen;
  band.swapMinor = p.swapMinor;
  band.marginMinor = p.marginMinor;
  band.balanceMinor = b.balanceMinor;
  band.level = level;
  band.lo = lo;
  band.hi = hi;
  return true;
}

/** Triggers hit at `q` (gap semantics): positions' SL/TP first, then pending orders, repeated until stable. */
function fireTriggers(b: BrokerBook, symbol: string, _from: Quote | null, q: Quote): void {
  for (let guard = 0; guard < 1000; guard++) {
    const t = firstTriggerAt(b, symbol, q);
    if (!t) return;
    execTrigger(b, t, q, false);
  }
}

/** The first trigger hit at `q`: a position's SL or TP, else a pending order. */
function firstTriggerAt(b: BrokerBook, symbol: string, q: Quote): Trigger | undefined {
  const L = b.positions.list;
  for (let i = 0; i < L.length; i++) {
    const p = L[i]!;
    if (p.symbol !== symbol) continue;
    const px = p.type === ORDER_TYPE.BUY ? q.bid : q.ask;
    if (p.type === ORDER_TYPE.BUY) {
      if (p.sl > 0 && px <= p.sl) return { kind: 'sl', pos: p, level: p.sl };
      if (p.tp > 0 && px >= p.tp) return { kind: 'tp', pos: p, level: p.tp };
    } else {
      if (p.sl > 0 && px >= p.sl) return { kind: 'sl', pos: p, level: p.sl };
      if (p.tp > 0 && px <= p.tp) return { kind: 'tp', pos: p, level: p.tp };
    }
  }
  if (b.orders.size === 0) return undefined;
  for (const o of b.orders.values()) {
    if (o.symbol !== symbol) continue;
    if (orderTriggered(o, q.bid, q.ask)) return { kind: 'order', order: o, level: o.priceOpen };
  }
  return undefined;
}

/** Walk bid/ask linearly from the quote `a` to (`bBid`, `bAsk`), firing each level crossed in the order the price reaches it. */
function walkSegment(b: BrokerBook, symbol: string, a: Quote, bBid: number, bAsk: number, bTime: number): void {
  let from: Quote = a;
  for (let guard = 0; guard < 1000; guard++) {
    let bestT = Infinity;
    let best: Trigger | undefined;
    const L = b.positions.list;
    for (let i = 0; i < L.length; i++) {
      const p = L[i]!;
      if (p.symbol !== symbol) continue;
      const buy = p.type === ORDER_TYPE.BUY;
      const p0 = buy ? from.bid : from.ask;
      const p1 = buy ? bBid : bAsk;
      if (p.sl > 0) {
        // a buy's SL is below (reached going down), a sell's above (going up)
        const t = levelTime(p0, p1, p.sl, buy ? -1 : 1);
        if (t < bestT) {
          bestT = t;
          best = { kind: 'sl', pos: p, level: p.sl };
        }
      }
      if (p.tp > 0) {
        const t = levelTime(p0, p1, p.tp, buy ? 1 : -1);
        if (t < bestT) {
          bestT = t;
          best = { kind: 'tp', pos: p, level: p.tp };
        }
      }
    }
    if (b.orders.size > 0) for (const o of b.orders.values()) {
      if (o.symbol !== symbol) continue;
      const onAsk = o.type === ORDER_TYPE.BUY_LIMIT || o.type === ORDER_TYPE.BUY_STOP || o.type === ORDER_TYPE.BUY_STOP_LIMIT;
      const p0 = onAsk ? from.ask : from.bid;
      const p1 = onAsk ? bAsk : bBid;
      let t: number;
      if (orderTriggered(o, from.bid, from.ask)) t = 0;
      else if ((p1 - p0) * (o.priceOpen - p0) > 0) t = p0 === p1 ? -1 : (o.priceOpen - p0) / (p1 - p0);
      else t = -1;
      if (t >= 0 && t <= 1 && t < bestT) {
        bestT = t;
        best = { kind: 'order', order: o, level: o.priceOpen };
      }
    }
    if (!best) break;
    const at: Quote = {
      bid: from.bid + (bBid - from.bid) * bestT,
      ask: from.ask + (bAsk - from.ask) * bestT,
      timeMsc: bTime,
    };
    b.setQuote(symbol, at);
    // t = 0: already beyond the level where this segment starts (a gap): fill at market
    execTrigger(b, best, at, bestT > 0);
    from = b.quoteOfSym(symbol)!;
  }
  if (from === a) {
    // nothing fired: the quote object stays, only the price moves (no Map write per quote)
    a.bid = bBid;
    a.ask = bAsk;
    a.timeMsc = bTime;
  } else b.setQuote(symbol, { bid: bBid, ask: bAsk, timeMsc: bTime });
}

/** Execute a triggered SL/TP/pending order. On a continuous path the fill is at the level itself. */
function execTrigger(b: BrokerBook, trig: Trigger, q: Quote, atLevel: boolean): void {
  const spec = b.specOf(trig.kind === 'order' ? trig.order.symbol : trig.pos.symbol)!;
  if (trig.kind === 'order') {
    const o = trig.order;
    b.orders.delete(o.ticket);
    if (o.type === ORDER_TYPE.BUY_STOP_LIMIT || o.type === ORDER_TYPE.SELL_STOP_LIMIT) {
      // the stop price was reached: the order becomes a limit order at its stop-limit price
      const lim: OrderState = { ...o, type: o.type === ORDER_TYPE.BUY_STOP_LIMIT ? ORDER_TYPE.BUY_LIMIT : ORDER_TYPE.SELL_LIMIT, priceOpen: o.stopLimit, stopLimit: 0 };
      b.orders.set(lim.ticket, lim);
      b.emitOrder(TRADE_TRANSACTION.ORDER_UPDATE, lim);
      return;
    }
    const buy = o.type === ORDER_TYPE.BUY_LIMIT || o.type === ORDER_TYPE.BUY_STOP;
    const market = buy ? q.ask : q.bid;
    const px = roundPrice(atLevel ? o.priceOpen : market, spec.tickSize, spec.digits);
    b.emitOrder(TRADE_TRANSACTION.ORDER_DELETE, o);
    // netting: the fill adds to, reduces, closes or reverses the symbol's one position, as a market deal does
    const net = b.cfg.account.marginMode === ACCOUNT_MARGIN_MODE.RETAIL_NETTING ? b.netPosition(o.symbol) : undefined;
    fillDeal(b, o.symbol, buy ? 0 : 1, o.volume, px, o.ticket, o.magic, o.comment, o.sl, o.tp, DEAL_REASON.EXPERT, net);
    return;
  }
  const p = trig.pos;
  const market = p.type === ORDER_TYPE.BUY ? q.bid : q.ask;
  const px = roundPrice(atLevel ? trig.level : market, spec.tickSize, spec.digits);
  const tag = trig.kind === 'sl' ? `[sl ${trig.level.toFixed(spec.digits)}]` : `[tp ${trig.level.toFixed(spec.digits)}]`;
  fillDeal(b, p.symbol, p.type === ORDER_TYPE.BUY ? 1 : 0, p.volume, px, b.newTicket(), p.magic, tag, 0, 0, trig.kind === 'sl' ? DEAL_REASON.SL : DEAL_REASON.TP, p);
}

/** Delete the pending orders whose expiration has passed (ORDER_DELETE for each). */
function expireOrders(b: BrokerBook): void {
  if (b.orders.size === 0) return;
  const now = Math.floor(b.nowMsc / 1000);
  for (const o of [...b.orders.values()]) {
    if (o.expiration > 0 && now >= o.expiration) {
      b.orders.delete(o.ticket);
      b.emitOrder(TRADE_TRANSACTION.ORDER_DELETE, o);
    }
  }
}

/** Close the most losing position while margin level is at or below the stop-out level. */
function checkStopOut(b: BrokerBook): void {
  const so = b.cfg.account.stopOutLevel ?? 50;
  if (b.positions.size === 1) {
    // the one position's quote inside its stop-out band: nothing to check (the common case, every quote of a backtest)
    const p = b.positions.list[0]!, q = b.quoteOfSym(p.symbol);
    if (q && withinStopOutBand(b, p.symbol, q.bid, q.ask)) return;
  }
  for (let guard = 0; guard < 10000 && b.positions.size > 0; guard++) {
    if (marginLevelAbove(b, so)) return;
    const a = account(b);
    if (a.margin <= 0 || a.marginLevel > so) return;
    let worst: PosState | undefined;
    let worstP = Infinity;
    const L = b.positions.list;
    for (let i = 0; i < L.length; i++) {
      const p = L[i]!;
      const f = floatingMinor(b, p);
      if (f < worstP) {
        worstP = f;
        worst = p;
      }
    }
    if (!worst) return;
    const q = b.quotes.get(worst.symbol)!;
    fillDeal(b, 
      worst.symbol, worst.type === ORDER_TYPE.BUY ? 1 : 0, worst.volume, worst.type === ORDER_TYPE.BUY ? q.bid : q.ask, b.newTicket(),
      worst.magic, `[so ${a.marginLevel.toFixed(2)}%]`, 0, 0, DEAL_REASON.SO, worst,
    );
  }
}
