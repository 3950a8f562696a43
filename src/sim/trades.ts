/**
 * Closed trades from deals in ticket order (hedging and netting; partial closes and reversals split correctly), as a
 * TradeTable (engine/trade-table.ts: columns, no object per trade): from Deal objects (tradeTableFromDeals, and
 * tradesFromDeals for the trades as objects), or straight from the simulated broker's deal store
 * (tradeTableFromStore: the same trades, read from its columns without a Deal per row — a backtest's tens of
 * thousands of deals); and what each trade's exit price is when no single deal of its own made it (exitNotes:
 * partial exits, a netting reversal).
 */
import { roundTo } from '../engine/money.js';
import { TradeTable, type Trade, type TradeRow } from '../engine/trade-table.js';
import type { Deal } from '../protocol/messages.js';
import { DEAL_ENTRY, DEAL_REASON, DEAL_TYPE } from '../protocol/mt5.js';
import type { DealColumns } from './deal-store.js';

/** An open trade, and what its exits have closed so far: their volume and value. */
type OpenTrade<K> = TradeRow<K> & { filled: number; exitValue: number; exitVolume: number };

/** Why a trade closed: the names its table's `reason` indexes. */
const EXIT_REASONS = ['signal', 'sl', 'tp', 'so', 'end'] as const;
const SIGNAL = 0, SL = 1, TP = 2, SO = 3, END = 4;

/** Why a deal closed its trade (EXIT_REASONS): the comment read only for an exit that is not an SL, TP or stop-out. */
function exitReason(d: DealCursor): number {
  const r = d.reason;
  return r === DEAL_REASON.SL ? SL : r === DEAL_REASON.TP ? TP : r === DEAL_REASON.SO ? SO : d.comment().startsWith('ix:end-') ? END : SIGNAL;
}

/**
 * An open trade from its first deal: `spare` (a closed trade's, no longer read) made this one, field by field, or a new
 * object (one open trade at a time, as a backtest holds, is one object for the whole run instead of one a trade).
 */
function opened<K>(spare: OpenTrade<K> | undefined, id: K, symbol: string, type: number, time: number, volume: number, price: number, commission: number): OpenTrade<K> {
  const t = spare ?? blank(id, symbol);
  t.id = id; t.symbol = symbol; t.side = type === DEAL_TYPE.BUY ? 0 : 1; t.openTime = time; t.closeTime = time;
  t.volume = volume; t.entryPrice = price; t.exitPrice = 0; t.profit = commission; t.commission = commission; t.swap = 0; t.reason = SIGNAL;
  t.exits = 0; t.reversed = false; t.filled = volume; t.exitValue = 0; t.exitVolume = 0;
  return t;
}

/**
 * A new open trade, its numbers NaN until written: each field a double from the start. (A field whose first value is
 * a small integer is kept as one; a time past 2038 or a fraction then changes the object's layout, and the code
 * compiled for it is thrown away — for each such field, in the middle of a run.)
 */
function blank<K>(id: K, symbol: string): OpenTrade<K> {
  return {
    id, symbol, side: 0, openTime: NaN, closeTime: NaN, volume: NaN, entryPrice: NaN, exitPrice: NaN, profit: NaN, commission: NaN, swap: NaN,
    reason: SIGNAL, exits: 0, reversed: false, filled: NaN, exitValue: NaN, exitVolume: NaN,
  };
}

/** One deal's numbers before a deal is read (NaN: each a double from the start, as in `blank`). */
const NO_DEAL = { type: 0, entry: 0, time: NaN, volume: NaN, price: NaN, commission: NaN, profit: NaN, swap: NaN, reason: 0 };

/**
 * One deal as the trade builder reads it: its numbers, and what is read only when needed (the symbol when a trade
 * opens, the comment for an exit that is not an SL, TP or stop-out). One cursor is refilled for each deal: no object
 * per deal.
 */
interface DealCursor {
  type: number;
  entry: number;
  time: number;
  volume: number;
  price: number;
  commission: number;
  profit: number;
  swap: number;
  reason: number;
  symbol(): string;
  comment(): string;
}

/**
 * What a trade's exit price is, in words, for a trade not closed by one deal of its own: "average of 2 partial
 * exits" (the volume-weighted average of its closing deals), "closed by a reversal" (netting: an opposite deal larger
 * than the position closed it and opened the other way, MT5's one deal with entry INOUT), or both; else ''.
 */
export function exitNoteOf(exits: number, reversed: boolean): string {
  if (reversed) return exits > 1 ? `average of ${exits} exits (the last a reversal)` : 'closed by a reversal';
  return exits > 1 ? `average of ${exits} partial exits` : '';
}

/** Open trades found by scanning while at most this many are open (then through a Map). */
const SCAN_MAX = 8;

/**
 * The open trades by position: a list scanned while few are open (a backtest holds one at a time: a Map's set, get
 * and delete for every trade cost more than the scan), a Map from the moment more than SCAN_MAX are (then kept).
 * No order: nothing iterates it.
 */
class OpenTrades<K> {
  private readonly keys: K[] = [];
  private readonly trades: OpenTrade<K>[] = [];
  private map: Map<K, OpenTrade<K>> | undefined;

  get(key: K): OpenTrade<K> | undefined {
    if (this.map) return this.map.get(key);
    const ks = this.keys;
    for (let i = 0; i < ks.length; i++) if (ks[i] === key) return this.trades[i];
    return undefined;
  }

  /** A trade for a position that has none open (the builder asks first). */
  add(key: K, t: OpenTrade<K>): void {
    if (this.map) {
      this.map.set(key, t);
      return;
    }
    this.keys.push(key);
    this.trades.push(t);
    if (this.keys.length > SCAN_MAX) {
      this.map = new Map();
      for (let i = 0; i < this.keys.length; i++) this.map.set(this.keys[i]!, this.trades[i]!);
      this.keys.length = 0;
      this.trades.length = 0;
    }
  }

  delete(key: K): void {
    if (this.map) {
      this.map.delete(key);
      return;
    }
    const ks = this.keys, last = ks.length - 1;
    for (let i = 0; i <= last; i++) {
      if (ks[i] !== key) continue;
      // (the last one moves into its place)
      ks[i] = ks[last]!;
      this.trades[i] = this.trades[last]!;
      ks.pop();
      this.trades.pop();
      return;
    }
  }
}

/** Deals in ticket order in, closed trades out: the one place their arithmetic is written. */
class TradeBuilder<K> {
  private readonly open = new OpenTrades<K>();
  private readonly done: TradeTable<K>;
  /** The open trade of the last closed trade, for `opened` to reuse (nothing else holds it). */
  private spare: OpenTrade<K> | undefined;

  /** `capacity`: the trades to make room for first (the table grows past it); `details`: TradeTable's. */
  constructor(capacity: number | undefined, details: boolean) {
    this.done = new TradeTable<K>(EXIT_REASONS, capacity, details);
  }

  /** A deal of the position `key` (BUY and SELL deals only count). */
  add(key: K, d: DealCursor): void {
    if (d.type !== DEAL_TYPE.BUY && d.type !== DEAL_TYPE.SELL) return;
    const t = this.open.get(key);
    if (d.entry === DEAL_ENTRY.IN) {
      if (t) {
        // netting: adding to the position
        t.entryPrice = (t.entryPrice * t.volume + d.price * d.volume) / (t.volume + d.volume);
        t.volume = roundTo(t.volume + d.volume, 8);
        t.filled = t.volume;
        t.profit += d.commission;
        t.commission += d.commission;
      } else {
        this.open.add(key, opened(this.spare, key, d.symbol(), d.type, d.time, d.volume, d.price, d.commission));
        this.spare = undefined;
      }
      return;
    }
    if (!t) return;
    const closeVol = d.entry === DEAL_ENTRY.INOUT ? t.filled - t.exitVolume : d.volume;
    t.exitValue += d.price * closeVol;
    t.exitVolume = roundTo(t.exitVolume + closeVol, 8);
    t.profit += d.profit + d.swap + d.commission;
    t.commission += d.commission;
    t.swap += d.swap;
    t.closeTime = d.time;
    t.exits++;
    if (d.entry === DEAL_ENTRY.INOUT) t.reversed = true;
    t.reason = exitReason(d);
    if (t.exitVolume >= t.filled - 1e-9) {
      // closed: its figures as the trade shows them (the open trade is read no more; the details only where kept)
      t.profit = roundTo(t.profit, 2);
      if (this.done.details) {
        t.exitPrice = roundTo(t.exitValue / t.exitVolume, 8);
        t.commission = roundTo(t.commission, 2);
        t.swap = roundTo(t.swap, 2);
      }
      this.done.push(t);
      this.open.delete(key);
      this.spare = t;
      if (d.entry === DEAL_ENTRY.INOUT) {
        this.open.add(key, opened(this.spare, key, d.symbol(), d.type, d.time, roundTo(d.volume - closeVol, 8), d.price, 0));
        this.spare = undefined;
      }
    }
  }

  /** The closed trades, in close order (TradeTable.sortByClose). */
  table(): TradeTable<K> {
    this.done.sortByClose();
    return this.done;
  }
}

/**
 * Closed trades from deals in ticket order. A deal is read, never kept: the deals may come as one object refilled
 * for each (SimBroker.dealRows).
 */
export function tradeTableFromDeals(deals: Iterable<Deal>, details = true): TradeTable<bigint> {
  const b = new TradeBuilder<bigint>(undefined, details);
  let deal!: Deal;
  const cur: DealCursor = { ...NO_DEAL, symbol: () => deal.symbol, comment: () => deal.comment };
  for (const d of deals) {
    deal = d;
    cur.type = d.type;
    cur.entry = d.entry;
    cur.time = d.time;
    cur.volume = d.volume;
    cur.price = d.price;
    cur.commission = d.commission;
    cur.profit = d.profit;
    cur.swap = d.swap;
    cur.reason = d.reason;
    b.add(d.positionId, cur);
  }
  return b.table();
}

/** tradeTableFromDeals' trades as objects. */
export function tradesFromDeals(deals: Iterable<Deal>): Trade[] {
  return tradeTableFromDeals(deals).trades();
}

/**
 * Each trade's exit note (exitNoteOf) of a table with details, in its order: '' for a trade closed by one deal of
 * its own.
 */
export function exitNotesOf(t: TradeTable): string[] {
  t.mustHaveDetails();
  const out: string[] = [];
  for (let k = 0; k < t.length; k++) out.push(exitNoteOf(t.exits[k]!, t.reversed[k] === 1));
  return out;
}

/**
 * Each trade's exit note (exitNoteOf), in the order of `tradesFromDeals(deals)` — and of the backtest's trades,
 * which are the same (tradeTableFromStore): '' for a trade closed by one deal of its own.
 */
export function exitNotes(deals: Iterable<Deal>): string[] {
  return exitNotesOf(tradeTableFromDeals(deals));
}

/** The largest position id kept as a number key (exact as a double). */
const SAFE_ID = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * `tradeTableFromDeals` of the store's deals, read from its columns: no Deal per row, the open trades keyed by their
 * position id as a number (exact up to 2^53 − 1, and the same text as the bigint; a store with a larger id is read
 * through `rows()` instead), the comment read only for an exit that is not an SL, TP or stop-out. The same trades, in
 * the same order (tested); with their details or only what the figures read (TradeTable).
 */
export function tradeTableFromStore(st: DealColumns, rows: () => Iterable<Deal>, details: boolean): TradeTable<number> | TradeTable<bigint> {
  // (a trade is an entry and an exit, mostly: room for half the deals first)
  const b = new TradeBuilder<number>((st.length >> 1) + 1, details);
  let i = 0;
  const cur: DealCursor = { ...NO_DEAL, symbol: () => st.symbolAt(i), comment: () => st.commentAt(i) };
  for (; i < st.length; i++) {
    const c = st.chunk(i), k = st.slot(i);
    const type = c.type[k]!;
    if (type !== DEAL_TYPE.BUY && type !== DEAL_TYPE.SELL) continue; // (a balance operation: no position)
    const big = c.positionId[k]!;
    if (big > SAFE_ID) return tradeTableFromDeals(rows(), details);
    cur.type = type;
    cur.entry = c.entry[k]!;
    cur.time = Math.floor(c.timeMsc[k]! / 1000);
    cur.volume = c.volume[k]!;
    cur.price = c.price[k]!;
    cur.commission = c.commission[k]!;
    cur.profit = c.profit[k]!;
    cur.swap = c.swap[k]!;
    cur.reason = c.reason[k]!;
    b.add(Number(big), cur);
  }
  return b.table();
}
