/**
 * MT5's trade-server rules the simulated broker applies, as pure functions: which filling a market order may use,
 * a volume's limits and step, SL/TP distances (stops level), the freeze level, when a pending order triggers, and
 * where along a price segment a level is reached.
 */
import { isVolumeStepMultiple } from '../engine/money.js';
import { ORDER_FILLING, ORDER_TYPE, SYMBOL_FILLING, SYMBOL_TRADE_EXECUTION } from '../protocol/mt5.js';
import type { OrderState, Quote, SimSymbolSpec } from './broker-types.js';

/**
 * Whether a market order (TRADE_ACTION_DEAL) may use filling mode `filling` on a symbol with SYMBOL_FILLING_MODE
 * `mask` and SYMBOL_TRADE_EXEMODE `executionMode`, else 10030. FOK and IOC need their bits (1, 2), except that
 * Request and Instant execution always take FOK; RETURN has no bit and is refused under Market execution only;
 * BOC (bit 4) is for pending limit orders, never a market order.
 */
export function marketFillingAllowed(mask: number, executionMode: number, filling: number): boolean {
  const requestOrInstant = executionMode === SYMBOL_TRADE_EXECUTION.REQUEST || executionMode === SYMBOL_TRADE_EXECUTION.INSTANT;
  if (filling === ORDER_FILLING.FOK) return (mask & SYMBOL_FILLING.FOK) !== 0 || requestOrInstant;
  if (filling === ORDER_FILLING.IOC) return (mask & SYMBOL_FILLING.IOC) !== 0;
  if (filling === ORDER_FILLING.RETURN) return executionMode !== SYMBOL_TRADE_EXECUTION.MARKET;
  return false;
}

/** Why `volume` cannot be traded on `spec` (null: it can). */
export function volumeProblem(spec: SimSymbolSpec, volume: number | undefined): string | null {
  if (volume === undefined || !(volume > 0)) return 'volume must be positive';
  if (volume < spec.volumeMin - 1e-12) return `volume ${volume} below the minimum ${spec.volumeMin}`;
  if (volume > spec.volumeMax + 1e-12) return `volume ${volume} above the maximum ${spec.volumeMax}`;
  if (!isVolumeStepMultiple(volume, spec.volumeStep)) return `volume ${volume} is not a multiple of the step ${spec.volumeStep}`;
  return null;
}

/** SL/TP distances for a position (or order) of `side` priced off `ref` (bid for buy, ask for sell). */
export function stopsValid(spec: SimSymbolSpec, side: number, ref: number, sl: number, tp: number): boolean {
  const min = spec.stopsLevel * spec.point;
  const eps = spec.point * 1e-6;
  if (side === ORDER_TYPE.BUY) {
    if (sl > 0 && !(sl < ref && ref - sl >= min - eps)) return false;
    if (tp > 0 && !(tp > ref && tp - ref >= min - eps)) return false;
  } else {
    if (sl > 0 && !(sl > ref && sl - ref >= min - eps)) return false;
    if (tp > 0 && !(tp < ref && ref - tp >= min - eps)) return false;
  }
  return true;
}

/** Whether a level (an SL, TP or pending price) lies within the freeze level of the price it triggers on. */
export function inFreeze(spec: SimSymbolSpec, type: number, level: number, q: Quote): boolean {
  if (!(level > 0) || spec.freezeLevel <= 0) return false;
  const dist = spec.freezeLevel * spec.point;
  // positions and sell orders are judged on the price they close/trigger at
  const buySide = type === ORDER_TYPE.BUY || type === ORDER_TYPE.SELL_LIMIT || type === ORDER_TYPE.SELL_STOP;
  const ref = buySide ? q.bid : q.ask;
  return Math.abs(ref - level) < dist - spec.point * 1e-6;
}

/**
 * When (0..1 along the segment p0 → p1) the price reaches `level` moving in direction `dir` (+1 up, −1 down);
 * 0 if it is already there or beyond at the start; Infinity if it is not reached.
 */
export function levelTime(p0: number, p1: number, level: number, dir: 1 | -1): number {
  if ((p0 - level) * dir >= 0) return 0;
  if ((p1 - p0) * dir <= 0) return Infinity;
  const t = (level - p0) / (p1 - p0);
  return t <= 1 ? t : Infinity;
}

export function orderTriggered(o: OrderState, bid: number, ask: number): boolean {
  switch (o.type) {
    case ORDER_TYPE.BUY_LIMIT:
      return ask <= o.priceOpen;
    case ORDER_TYPE.SELL_LIMIT:
      return bid >= o.priceOpen;
    case ORDER_TYPE.BUY_STOP:
    case ORDER_TYPE.BUY_STOP_LIMIT:
      return ask >= o.priceOpen;
    case ORDER_TYPE.SELL_STOP:
    case ORDER_TYPE.SELL_STOP_LIMIT:
      return bid <= o.priceOpen;
    default:
      return false;
  }
}
