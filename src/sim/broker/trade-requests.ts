/**
 * The simulated broker's trade requests, over its book `b`: MT5's OrderSend validated like a trade server — the
 * symbol, session, volume, filling, trade mode, price (requotes), stops and freeze levels, margin — and executed: a
 * market deal, a pending order placed, modified or removed, a position's SL/TP changed. Refusals carry MT5's retcodes.
 */
import { fromMinor, isOnTick, roundPrice, stepsToVolume, toMinor, volumeSteps } from '../../engine/money.js';
import {
  ACCOUNT_MARGIN_MODE,
  DEAL_REASON,
  ORDER_FILLING,
  ORDER_TYPE,
  SYMBOL_TRADE_EXECUTION,
  SYMBOL_TRADE_MODE,
  TRADE_ACTION,
  TRADE_TRANSACTION,
  type TradeRequest,
  type TradeResult,
} from '../../protocol/mt5.js';
import { RC } from '../../protocol/retcodes.js';
import type { OrderState, PosState, Quote, SimSymbolSpec } from '../broker-types.js';
import { inFreeze, marketFillingAllowed, stopsValid, volumeProblem } from '../trade-rules.js';
import type { BrokerBook } from './book.js';
import { fillDeal, isClosedPosition } from './deals.js';
import { freeMarginMinor, marginMinorFor } from './money.js';

/** MT5 OrderSend: validate the request like a trade server and execute it. Never throws. */
export function orderSend(b: BrokerBook, req: TradeRequest): TradeResult {
  const res: TradeResult = {
    retcode: 0, deal: 0n, order: 0n, volume: 0, price: 0, bid: 0, ask: 0, comment: '',
    requestId: ++b.requestCounter, retcodeExternal: 0,
  };
  if (!b.algoTrading) return fail(res, RC.CLIENT_DISABLES_AT, 'AutoTrading disabled by client');
  switch (req.action) {
    case TRADE_ACTION.DEAL:
      return actionDeal(b, req, res);
    case TRADE_ACTION.PENDING:
      return actionPending(b, req, res);
    case TRADE_ACTION.SLTP:
      return actionSltp(b, req, res);
    case TRADE_ACTION.MODIFY:
      return actionModify(b, req, res);
    case TRADE_ACTION.REMOVE: {
      const o = req.order !== undefined ? b.orders.get(req.order) : undefined;
      if (!o) return fail(res, RC.INVALID, `order ${req.order ?? 0} not found`);
      const q = b.quotes.get(o.symbol);
      const s = b.specs.get(o.symbol)!;
      if (q && inFreeze(s, o.type, o.priceOpen, q)) return fail(res, RC.FROZEN, 'order is within the freeze level');
      b.orders.delete(o.ticket);
      b.emitOrder(TRADE_TRANSACTION.ORDER_DELETE, o);
      res.retcode = RC.DONE;
      res.order = o.ticket;
      return res;
    }
    default:
      return fail(res, RC.INVALID, `unsupported action ${req.action}`);
  }
}

/** `res` as a refusal: its retcode and comment. */
function fail(res: TradeResult, retcode: number, comment: string): TradeResult {
  res.retcode = retcode;
  res.comment = comment;
  return res;
}

/**
 * The checks every trade action makes on its symbol: the symbol's spec, or the refusal. The quote they checked is
 * `b.checked` (a field, not a pair built per order).
 */
function commonChecks(
  b: BrokerBook,
  symbol: string | undefined,
  res: TradeResult,
): SimSymbolSpec | TradeResult {
  const spec = symbol ? b.specOf(symbol) : undefined;
  if (!spec) return fail(res, RC.INVALID, `unknown symbol '${symbol ?? ''}'`);
  const q = b.quoteOfSym(spec.symbol);
  if (!q) return fail(res, RC.PRICE_OFF, 'no quotes');
  res.bid = q.bid;
  res.ask = q.ask;
  if (spec.tradeMode === SYMBOL_TRADE_MODE.DISABLED) return fail(res, RC.TRADE_DISABLED, 'trade is disabled for the symbol');
  if (!b.inSession(spec)) return fail(res, RC.MARKET_CLOSED, 'market is closed');
  b.checked = q;
  return spec;
}

/** Whether a market deal may use `filling`: docs/protocol.md "Filling modes". */
function checkFilling(spec: SimSymbolSpec, filling: number | undefined): boolean {
  return marketFillingAllowed(spec.fillingMode, spec.executionMode, filling ?? ORDER_FILLING.FOK);
}

/** TRADE_ACTION_DEAL: a market order opens, adds to, reduces, closes or reverses a position. */
function actionDeal(b: BrokerBook, req: TradeRequest, res: TradeResult): TradeResult {
  const c = commonChecks(b, req.symbol, res);
  if ('retcode' in c) return c;
  const spec = c, q = b.checked;
  if (req.type !== ORDER_TYPE.BUY && req.type !== ORDER_TYPE.SELL) return fail(res, RC.INVALID_ORDER, `order type ${req.type} is not a market order`);
  const side = req.type;
  const volErr = volumeProblem(spec, req.volume);
  if (volErr) return fail(res, RC.INVALID_VOLUME, volErr);
  const volume = stepsToVolume(volumeSteps(req.volume!, spec.volumeStep), spec.volumeStep);
  if (!checkFilling(spec, req.typeFilling)) return fail(res, RC.INVALID_FILL, 'Unsupported filling mode');
  if (spec.rejectVolumeAbove !== undefined && volume > spec.rejectVolumeAbove) return fail(res, RC.REJECT, 'Request rejected: no liquidity for this volume');

  let target: PosState | undefined; // the existing position this deal changes
  if (req.position !== undefined && req.position !== 0n) {
    target = b.positions.get(req.position);
    if (!target) {
      return isClosedPosition(b, req.position)
        ? fail(res, RC.POSITION_CLOSED, `position ${req.position} is already closed`)
        : fail(res, RC.INVALID, `position ${req.position} not found`);
    }
    if (target.symbol !== spec.symbol) return fail(res, RC.INVALID, `position ${req.position} is ${target.symbol}, not ${spec.symbol}`);
    if (target.type === side) return fail(res, RC.INVALID, 'closing deal must be opposite to the position');
    if (volume > target.volume + 1e-12) return fail(res, RC.INVALID_CLOSE_VOLUME, `close volume ${volume} exceeds position volume ${target.volume}`);
    const rest = volumeSteps(target.volume, spec.volumeStep) - volumeSteps(volume, spec.volumeStep);
    if (rest > 0 && stepsToVolume(rest, spec.volumeStep) < spec.volumeMin - 1e-12) {
      return fail(res, RC.INVALID_VOLUME, `remaining volume ${stepsToVolume(rest, spec.volumeStep)} would be below the minimum ${spec.volumeMin}`);
    }
    if (inFreeze(spec, target.type, target.sl, q) || inFreeze(spec, target.type, target.tp, q)) {
      return fail(res, RC.FROZEN, 'position SL/TP within the freeze level');
    }
  } else if (b.cfg.account.marginMode === ACCOUNT_MARGIN_MODE.RETAIL_NETTING) {
    const pos = b.netPosition(spec.symbol);
    // netting: one position per symbol; a deal adds to it, or reduces, closes or reverses it
    if (pos) target = pos;
  }
  const reduces = target !== undefined && target.type !== side;

  // symbol trade mode
  const opensOrAdds = !reduces || volume > target!.volume + 1e-12;
  if (opensOrAdds) {
    if (spec.tradeMode === SYMBOL_TRADE_MODE.CLOSEONLY) return fail(res, RC.CLOSE_ONLY, 'only position closing is allowed');
    if (spec.tradeMode === SYMBOL_TRADE_MODE.LONGONLY && side === ORDER_TYPE.SELL) return fail(res, RC.LONG_ONLY, 'only long positions are allowed');
    if (spec.tradeMode === SYMBOL_TRADE_MODE.SHORTONLY && side === ORDER_TYPE.BUY) return fail(res, RC.SHORT_ONLY, 'only short positions are allowed');
  }

  // price: instant execution requotes when the market moved beyond the deviation
  const market = side === ORDER_TYPE.BUY ? q.ask : q.bid;
  if (spec.executionMode === SYMBOL_TRADE_EXECUTION.INSTANT && req.price !== undefined && req.price > 0) {
    const dev = (req.deviation ?? 0) * spec.point;
    if (Math.abs(market - req.price) > dev + spec.point * 1e-6) return fail(res, RC.REQUOTE, 'Requote');
  }
  const slip = (b.cfg.slippagePoints ?? 0) * spec.point;
  const price = roundPrice(side === ORDER_TYPE.BUY ? market + slip : market - slip, spec.tickSize, spec.digits);
  // a sell's slippage larger than the bid would fill at no price or below it: no market fills there
  if (!(price > 0)) return fail(res, RC.INVALID_PRICE, `no fill: the bid ${market} less ${b.cfg.slippagePoints} points of slippage is ${price}`);

  const sl = req.sl ?? 0;
  const tp = req.tp ?? 0;
  if (opensOrAdds) {
    if ((sl > 0 && !isOnTick(sl, spec.tickSize, spec.digits)) || (tp > 0 && !isOnTick(tp, spec.tickSize, spec.digits))) {
      return fail(res, RC.INVALID_STOPS, 'SL/TP not on the tick size');
    }
    if (!stopsValid(spec, side, side === ORDER_TYPE.BUY ? q.bid : q.ask, sl, tp)) {
      return fail(res, RC.INVALID_STOPS, 'Invalid stops');
    }
    const addVolume = reduces ? volume - target!.volume : volume;
    const need = marginMinorFor(b, spec.symbol, addVolume, price);
    const free = freeMarginMinor(b); // account().freeMargin in minor units, without building the account
    const commission = toMinor((spec.commissionPerLot ?? 0) * volume, b.digits);
    if (need + commission > free) {
      return fail(res, RC.NO_MONEY, `not enough money: margin ${fromMinor(need, b.digits)} > free margin ${fromMinor(free, b.digits)}`);
    }
  }

  const orderTicket = b.newTicket();
  const dealTicket = fillDeal(b, spec.symbol, side, volume, price, orderTicket, req.magic ?? 0, req.comment ?? '', sl, tp, DEAL_REASON.EXPERT, target);
  res.retcode = RC.DONE;
  res.order = orderTicket;
  res.deal = dealTicket;
  res.volume = volume;
  res.price = price;
  res.comment = 'Request executed';
  return res;
}

/** TRADE_ACTION_PENDING: a pending order placed. */
function actionPending(b: BrokerBook, req: TradeRequest, res: TradeResult): TradeResult {
  const c = commonChecks(b, req.symbol, res);
  if ('retcode' in c) return c;
  const spec = c, q = b.checked;
  const type = req.type ?? -1;
  if (type < ORDER_TYPE.BUY_LIMIT || type > ORDER_TYPE.SELL_STOP_LIMIT) return fail(res, RC.INVALID_ORDER, `order type ${type} is not a pending order`);
  const volErr = volumeProblem(spec, req.volume);
  if (volErr) return fail(res, RC.INVALID_VOLUME, volErr);
  const price = req.price ?? 0;
  const stopLimit = req.stoplimit ?? 0;
  const sl = req.sl ?? 0;
  const tp = req.tp ?? 0;
  const expiration = req.expiration ?? 0;
  const bad = validatePending(b, spec, q, type, price, stopLimit, sl, tp, expiration);
  if (bad) return fail(res, bad[0], bad[1]);
  // pending orders rest in the book: RETURN is always accepted, FOK/IOC only where the symbol allows them
  const filling = req.typeFilling ?? ORDER_FILLING.RETURN;
  if (filling !== ORDER_FILLING.RETURN && !checkFilling(spec, filling)) return fail(res, RC.INVALID_FILL, 'Unsupported filling mode');
  const o: OrderState = {
    ticket: b.newTicket(), symbol: spec.symbol, type, volume: stepsToVolume(volumeSteps(req.volume!, spec.volumeStep), spec.volumeStep),
    priceOpen: price, stopLimit, sl, tp, timeSetupMsc: b.nowMsc, expiration, magic: req.magic ?? 0, comment: req.comment ?? '',
  };
  b.orders.set(o.ticket, o);
  b.emitOrder(TRADE_TRANSACTION.ORDER_ADD, o);
  res.retcode = RC.DONE;
  res.order = o.ticket;
  res.volume = o.volume;
  res.price = price;
  res.comment = 'Request executed';
  return res;
}

/** Checks shared by placing and modifying a pending order: [retcode, reason] or null when valid. */
function validatePending(
  b: BrokerBook,
  spec: SimSymbolSpec, q: Quote, type: number, price: number, stopLimit: number, sl: number, tp: number, expiration: number,
): [number, string] | null {
  if (!(price > 0) || !isOnTick(price, spec.tickSize, spec.digits)) return [RC.INVALID_PRICE, `price ${price} is not a valid price on the tick size ${spec.tickSize}`];
  const buy = type === ORDER_TYPE.BUY_LIMIT || type === ORDER_TYPE.BUY_STOP || type === ORDER_TYPE.BUY_STOP_LIMIT;
  if (spec.tradeMode === SYMBOL_TRADE_MODE.CLOSEONLY) return [RC.CLOSE_ONLY, 'only position closing is allowed'];
  if (spec.tradeMode === SYMBOL_TRADE_MODE.LONGONLY && !buy) return [RC.LONG_ONLY, 'only long positions are allowed'];
  if (spec.tradeMode === SYMBOL_TRADE_MODE.SHORTONLY && buy) return [RC.SHORT_ONLY, 'only short positions are allowed'];
  const min = spec.stopsLevel * spec.point;
  const eps = spec.point * 1e-6;
  const ok =
    type === ORDER_TYPE.BUY_LIMIT ? price <= q.ask - min + eps && price < q.ask
    : type === ORDER_TYPE.SELL_LIMIT ? price >= q.bid + min - eps && price > q.bid
    : type === ORDER_TYPE.BUY_STOP || type === ORDER_TYPE.BUY_STOP_LIMIT ? price >= q.ask + min - eps && price > q.ask
    : price <= q.bid - min + eps && price < q.bid;
  if (!ok) return [RC.INVALID_PRICE, `price ${price} is on the wrong side of the market or within the stops level`];
  if (type === ORDER_TYPE.BUY_STOP_LIMIT || type === ORDER_TYPE.SELL_STOP_LIMIT) {
    if (!(stopLimit > 0) || !isOnTick(stopLimit, spec.tickSize, spec.digits)) return [RC.INVALID_PRICE, 'stop-limit price missing or off the tick size'];
  }
  const entry = stopLimit > 0 ? stopLimit : price;
  if (!stopsValid(spec, buy ? ORDER_TYPE.BUY : ORDER_TYPE.SELL, entry, sl, tp)) return [RC.INVALID_STOPS, 'Invalid stops'];
  if (expiration > 0 && expiration <= Math.floor(b.nowMsc / 1000)) return [RC.INVALID_EXPIRATION, 'expiration is in the past'];
  return null;
}

/** TRADE_ACTION_SLTP: an open position's SL and TP changed. */
function actionSltp(b: BrokerBook, req: TradeRequest, res: TradeResult): TradeResult {
  const p = req.position !== undefined ? b.positions.get(req.position) : undefined;
  if (!p) {
    return req.position !== undefined && isClosedPosition(b, req.position)
      ? fail(res, RC.POSITION_CLOSED, `position ${req.position} is already closed`)
      : fail(res, RC.INVALID, `position ${req.position ?? 0} not found`);
  }
  const c = commonChecks(b, p.symbol, res);
  if ('retcode' in c) return c;
  const spec = c, q = b.checked;
  const sl = req.sl ?? 0;
  const tp = req.tp ?? 0;
  if (sl === p.sl && tp === p.tp) return fail(res, RC.NO_CHANGES, 'No changes');
  if ((sl > 0 && !isOnTick(sl, spec.tickSize, spec.digits)) || (tp > 0 && !isOnTick(tp, spec.tickSize, spec.digits))) {
    return fail(res, RC.INVALID_STOPS, 'SL/TP not on the tick size');
  }
  if (inFreeze(spec, p.type, p.sl, q) || inFreeze(spec, p.type, p.tp, q)) return fail(res, RC.FROZEN, 'position SL/TP within the freeze level');
  if (!stopsValid(spec, p.type, p.type === ORDER_TYPE.BUY ? q.bid : q.ask, sl, tp)) return fail(res, RC.INVALID_STOPS, 'Invalid stops');
  p.sl = sl;
  p.tp = tp;
  b.emit({
    txType: TRADE_TRANSACTION.POSITION, deal: 0n, order: 0n, position: p.ticket, symbol: p.symbol, orderType: p.type,
    orderState: 0, dealType: 0, price: p.priceOpen, sl, tp, volume: p.volume, timeMsc: b.nowMsc,
  });
  res.retcode = RC.DONE;
  res.comment = 'Request executed';
  return res;
}

/** TRADE_ACTION_MODIFY: a pending order's price, SL, TP and expiration changed. */
function actionModify(b: BrokerBook, req: TradeRequest, res: TradeResult): TradeResult {
  const o = req.order !== undefined ? b.orders.get(req.order) : undefined;
  if (!o) return fail(res, RC.INVALID, `order ${req.order ?? 0} not found`);
  const c = commonChecks(b, o.symbol, res);
  if ('retcode' in c) return c;
  const spec = c, q = b.checked;
  const price = req.price ?? o.priceOpen;
  const sl = req.sl ?? 0;
  const tp = req.tp ?? 0;
  const expiration = req.expiration ?? o.expiration;
  if (price === o.priceOpen && sl === o.sl && tp === o.tp && expiration === o.expiration) return fail(res, RC.NO_CHANGES, 'No changes');
  if (inFreeze(spec, o.type, o.priceOpen, q)) return fail(res, RC.FROZEN, 'order is within the freeze level');
  const bad = validatePending(b, spec, q, o.type, price, o.stopLimit, sl, tp, expiration);
  if (bad) return fail(res, bad[0], bad[1]);
  o.priceOpen = price;
  o.sl = sl;
  o.tp = tp;
  o.expiration = expiration;
  b.emitOrder(TRADE_TRANSACTION.ORDER_UPDATE, o);
  res.retcode = RC.DONE;
  res.order = o.ticket;
  res.price = price;
  res.comment = 'Request executed';
  return res;
}
