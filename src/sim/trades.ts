/**
 * Closed trades from deals in ticket order (hedging and netting; partial closes and reversals split correctly):
 * from Deal objects (tradesFromDeals), or straight from the simulated broker's deal store (tradesFromStore: the same
 * trades, read from its columns without a Deal per row — a backtest's tens of thousands of deals).
 */
import type { Trade } from '../engine/metrics.js';
import { roundTo } from '../engine/money.js';
import { SteadyMap } from '../engine/steady-map.js';
import type { Deal } from '../protocol/messages.js';
import { DEAL_ENTRY, DEAL_REASON, DEAL_TYPE } from '../protocol/mt5.js';
import type { DealColumns } from './deal-store.js';

/** An open trade and what its exits have closed so far. */
type OpenTrade = Trade & { filled: number; exitValue: number; exitVolume: number };

/** Why a deal closed its trade. */
function exitReason(reason: number, comment: string): string {
  return reason === DEAL_REASON.SL ? 'sl' : reason === DEAL_REASON.TP ? 'tp' : reason === DEAL_REASON.SO ? 'so' : comment.startsWith('ix:end-') ? 'end' : 'signal';
}

/** The trade a closing deal completes, built field by field (a rest-and-spread copy of each trade cost microseconds a trade). */
function closed(t: OpenTrade): Trade {
  return {
    id: t.id, symbol: t.symbol, side: t.side, openTime: t.openTime, closeTime: t.closeTime, volume: t.volume, entryPrice: t.entryPrice,
    exitPrice: roundTo(t.exitValue / t.exitVolume, 8), profit: roundTo(t.profit, 2), commission: roundTo(t.commission, 2),
    swap: roundTo(t.swap, 2), exitReason: t.exitReason,
  };
}

/** An open trade from its first deal. */
function opened(id: string, symbol: string, type: number, time: number, volume: number, price: number, commission: number): OpenTrade {
  return {
    id, symbol, side: type === DEAL_TYPE.BUY ? 'BUY' : 'SELL', openTime: time, closeTime: time,
    volume, entryPrice: price, exitPrice: 0, profit: commission, commission, swap: 0, exitReason: '',
    filled: volume, exitValue: 0, exitVolume: 0,
  };
}

/** Most lists come in close order already (one position at a time): sorted only when one is not (the sort is stable). */
function inCloseOrder(done: Trade[]): Trade[] {
  for (let k = 1; k < done.length; k++) {
    const a = done[k - 1]!, b = done[k]!;
    if (a.closeTime > b.closeTime || (a.closeTime === b.closeTime && a.openTime > b.openTime)) return done.sort((x, y) => x.closeTime - y.closeTime || x.openTime - y.openTime);
  }
  return done;
}

/**
 * Closed trades from deals in ticket order. A deal is read, never kept: the deals may come as one object refilled
 * for each (SimBroker.dealRows).
 */
export function tradesFromDeals(deals: Iterable<Deal>): Trade[] {
  const open = new Map<bigint, OpenTrade>();
  const done: Trade[] = [];
  for (const d of deals) {
    if (d.type !== DEAL_TYPE.BUY && d.type !== DEAL_TYPE.SELL) continue;
    const t = open.get(d.positionId);
    if (d.entry === DEAL_ENTRY.IN) {
      if (t) {
        // netting: adding to the position
        t.entryPrice = (t.entryPrice * t.volume + d.price * d.volume) / (t.volume + d.volume);
        t.volume = roundTo(t.volume + d.volume, 8);
        t.filled = t.volume;
        t.profit += d.commission;
        t.commission += d.commission;
      } else open.set(d.positionId, opened(d.positionId.toString(), d.symbol, d.type, d.time, d.volume, d.price, d.commission));
      continue;
    }
    if (!t) continue;
    const closeVol = d.entry === DEAL_ENTRY.INOUT ? t.filled - t.exitVolume : d.volume;
    t.exitValue += d.price * closeVol;
    t.exitVolume = roundTo(t.exitVolume + closeVol, 8);
    t.profit += d.profit + d.swap + d.commission;
    t.commission += d.commission;
    t.swap += d.swap;
    t.closeTime = d.time;
    t.exitReason = exitReason(d.reason, d.comment);
    if (t.exitVolume >= t.filled - 1e-9) {
      done.push(closed(t));
      open.delete(d.positionId);
      if (d.entry === DEAL_ENTRY.INOUT) open.set(d.positionId, opened(d.positionId.toString(), d.symbol, d.type, d.time, roundTo(d.volume - closeVol, 8), d.price, 0));
    }
  }
  return inCloseOrder(done);
}

/** What tradesFromStore reads of a deal store. */

/** The largest position id kept as a number key (exact as a double). */
const SAFE_ID = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * `tradesFromDeals` of the store's deals, read from its columns: no Deal per row, the open trades keyed by their
 * position id as a number (exact up to 2^53 − 1; a store with a larger id is read through `rows()` instead), the
 * comment read only for an exit that is not an SL, TP or stop-out. The same trades, in the same order (tested).
 */
export function tradesFromStore(st: DealColumns, rows: () => Iterable<Deal>): Trade[] {
  const open = new SteadyMap<number, OpenTrade>(); // (one trade open at a time: a Map would get a new table at every close)
  const done: Trade[] = [];
  for (let i = 0; i < st.length; i++) {
    const c = st.chunk(i), k = st.slot(i);
    const type = c.type[k]!;
    if (type !== DEAL_TYPE.BUY && type !== DEAL_TYPE.SELL) continue;
    const big = c.positionId[k]!;
    if (big > SAFE_ID) return tradesFromDeals(rows());
    const pid = Number(big);
    const entry = c.entry[k]!, volume = c.volume[k]!, price = c.price[k]!, commission = c.commission[k]!;
    const time = Math.floor(c.timeMsc[k]! / 1000);
    const t = open.get(pid);
    if (entry === DEAL_ENTRY.IN) {
      if (t) {
        // netting: adding to the position
        t.entryPrice = (t.entryPrice * t.volume + price * volume) / (t.volume + volume);
        t.volume = roundTo(t.volume + volume, 8);
        t.filled = t.volume;
        t.profit += commission;
        t.commission += commission;
      } else open.set(pid, opened(big.toString(), st.symbolAt(i), type, time, volume, price, commission));
      continue;
    }
    if (!t) continue;
    const swap = c.swap[k]!;
    const closeVol = entry === DEAL_ENTRY.INOUT ? t.filled - t.exitVolume : volume;
    t.exitValue += price * closeVol;
    t.exitVolume = roundTo(t.exitVolume + closeVol, 8);
    t.profit += c.profit[k]! + swap + commission;
    t.commission += commission;
    t.swap += swap;
    t.closeTime = time;
    const reason = c.reason[k]!;
    t.exitReason = reason === DEAL_REASON.SL || reason === DEAL_REASON.TP || reason === DEAL_REASON.SO ? exitReason(reason, '') : exitReason(reason, st.commentAt(i));
    if (t.exitVolume >= t.filled - 1e-9) {
      done.push(closed(t));
      open.delete(pid);
      if (entry === DEAL_ENTRY.INOUT) open.set(pid, opened(big.toString(), st.symbolAt(i), type, time, roundTo(volume - closeVol, 8), price, 0));
    }
  }
  return inCloseOrder(done);
}
