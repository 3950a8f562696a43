/**
 * Closed trades from deals in ticket order (hedging and netting; partial closes and reversals split correctly):
 * from Deal objects (tradesFromDeals), or straight from the simulated broker's deal store (tradesFromStore: the same
 * trades, read from its columns without a Deal per row — a backtest's tens of thousands of deals); and what each
 * trade's exit price is when no single deal of its own made it (exitNotes: partial exits, a netting reversal).
 */
import type { Trade } from '../engine/metrics.js';
import { roundTo } from '../engine/money.js';
import type { Deal } from '../protocol/messages.js';
import { DEAL_ENTRY, DEAL_REASON, DEAL_TYPE } from '../protocol/mt5.js';
import type { DealColumns } from './deal-store.js';

/** An open trade and what its exits have closed so far: their volume, value and count, and whether a reversal closed it. */
type OpenTrade = Trade & { filled: number; exitValue: number; exitVolume: number; exits: number; reversed: boolean };

/** Why a deal closed its trade. */
function exitReason(reason: number, comment: string): string {
  return reason === DEAL_REASON.SL ? 'sl' : reason === DEAL_REASON.TP ? 'tp' : reason === DEAL_REASON.SO ? 'so' : comment.startsWith('ix:end-') ? 'end' : 'signal';
}

/**
 * The trade a closing deal completes, built field by field (a rest-and-spread copy of each trade cost microseconds a
 * trade). A class, not an object literal: every trade of a run survives, so V8 pretenured the literal's allocation site,
 * and the literal then cost ~1 µs a trade (its line alone was 40–55 ms of the 1 M-bar bench's 43,000 trades; the
 * trades from the store 88–142 ms → 35–77 ms with the class). The same own keys in the same order: the same JSON.
 */
class ClosedTrade implements Trade {
  id: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  openTime: number;
  closeTime: number;
  volume: number;
  entryPrice: number;
  exitPrice: number;
  profit: number;
  commission: number;
  swap: number;
  exitReason: string;
  constructor(t: OpenTrade) {
    this.id = t.id;
    this.symbol = t.symbol;
    this.side = t.side;
    this.openTime = t.openTime;
    this.closeTime = t.closeTime;
    this.volume = t.volume;
    this.entryPrice = t.entryPrice;
    this.exitPrice = roundTo(t.exitValue / t.exitVolume, 8);
    this.profit = roundTo(t.profit, 2);
    this.commission = roundTo(t.commission, 2);
    this.swap = roundTo(t.swap, 2);
    this.exitReason = t.exitReason;
  }
}
function closed(t: OpenTrade): Trade {
  return new ClosedTrade(t);
}

/**
 * An open trade from its first deal: `spare` (a closed trade's, no longer read) made this one, field by field, or a new
 * object (one open trade at a time, as a backtest holds, is one object for the whole run instead of one a trade).
 */
function opened(spare: OpenTrade | undefined, id: string, symbol: string, type: number, time: number, volume: number, price: number, commission: number): OpenTrade {
  const side = type === DEAL_TYPE.BUY ? 'BUY' : 'SELL';
  if (!spare) {
    return {
      id, symbol, side, openTime: time, closeTime: time,
      volume, entryPrice: price, exitPrice: 0, profit: commission, commission, swap: 0, exitReason: '',
      filled: volume, exitValue: 0, exitVolume: 0, exits: 0, reversed: false,
    };
  }
  const t = spare;
  t.id = id; t.symbol = symbol; t.side = side; t.openTime = time; t.closeTime = time;
  t.volume = volume; t.entryPrice = price; t.exitPrice = 0; t.profit = commission; t.commission = commission; t.swap = 0; t.exitReason = '';
  t.filled = volume; t.exitValue = 0; t.exitVolume = 0; t.exits = 0; t.reversed = false;
  return t;
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
 * One deal as the trade builder reads it: its numbers, and what is read only when needed (the position id as text
 * and the symbol when a trade opens, the comment for an exit that is not an SL, TP or stop-out). One cursor is
 * refilled for each deal: no object per deal.
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
  idText(): string;
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
  private readonly trades: OpenTrade[] = [];
  private map: Map<K, OpenTrade> | undefined;

  get(key: K): OpenTrade | undefined {
    if (this.map) return this.map.get(key);
    const ks = this.keys;
    for (let i = 0; i < ks.length; i++) if (ks[i] === key) return this.trades[i];
    return undefined;
  }

  /** A trade for a position that has none open (the builder asks first). */
  add(key: K, t: OpenTrade): void {
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
  private readonly done: Trade[] = [];
  /** The open trade of the last closed trade, for `opened` to reuse (nothing else holds it). */
  private spare: OpenTrade | undefined;
  /** Each closed trade's exit note (exitNoteOf), kept only when asked for and not empty. */
  readonly notes: Map<Trade, string> | undefined;

  constructor(notes = false) {
    this.notes = notes ? new Map() : undefined;
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
        this.open.add(key, opened(this.spare, d.idText(), d.symbol(), d.type, d.time, d.volume, d.price, d.commission));
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
    t.exitReason = d.reason === DEAL_REASON.SL || d.reason === DEAL_REASON.TP || d.reason === DEAL_REASON.SO ? exitReason(d.reason, '') : exitReason(d.reason, d.comment());
    if (t.exitVolume >= t.filled - 1e-9) {
      const c = closed(t);
      this.done.push(c);
      if (this.notes && (t.exits > 1 || t.reversed)) this.notes.set(c, exitNoteOf(t.exits, t.reversed));
      this.open.delete(key);
      this.spare = t;
      if (d.entry === DEAL_ENTRY.INOUT) {
        this.open.add(key, opened(this.spare, d.idText(), d.symbol(), d.type, d.time, roundTo(d.volume - closeVol, 8), d.price, 0));
        this.spare = undefined;
      }
    }
  }

  trades(): Trade[] {
    return inCloseOrder(this.done);
  }
}

/**
 * Closed trades from deals in ticket order. A deal is read, never kept: the deals may come as one object refilled
 * for each (SimBroker.dealRows).
 */
export function tradesFromDeals(deals: Iterable<Deal>): Trade[] {
  return buildFromDeals(deals, new TradeBuilder<bigint>()).trades();
}

/**
 * Each trade's exit note (exitNoteOf), in the order of `tradesFromDeals(deals)` — and of the backtest's trades,
 * which are the same (tradesFromStore): '' for a trade closed by one deal of its own.
 */
export function exitNotes(deals: Iterable<Deal>): string[] {
  const b = buildFromDeals(deals, new TradeBuilder<bigint>(true));
  return b.trades().map((t) => b.notes!.get(t) ?? '');
}

function buildFromDeals(deals: Iterable<Deal>, b: TradeBuilder<bigint>): TradeBuilder<bigint> {
  let deal!: Deal;
  const cur: DealCursor = {
    type: 0, entry: 0, time: 0, volume: 0, price: 0, commission: 0, profit: 0, swap: 0, reason: 0,
    idText: () => deal.positionId.toString(), symbol: () => deal.symbol, comment: () => deal.comment,
  };
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
  return b;
}

/** The largest position id kept as a number key (exact as a double). */
const SAFE_ID = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * `tradesFromDeals` of the store's deals, read from its columns: no Deal per row, the open trades keyed by their
 * position id as a number (exact up to 2^53 − 1; a store with a larger id is read through `rows()` instead), the
 * comment read only for an exit that is not an SL, TP or stop-out. The same trades, in the same order (tested).
 */
export function tradesFromStore(st: DealColumns, rows: () => Iterable<Deal>): Trade[] {
  const b = new TradeBuilder<number>();
  let i = 0, big = 0n, key = 0;
  const cur: DealCursor = {
    type: 0, entry: 0, time: 0, volume: 0, price: 0, commission: 0, profit: 0, swap: 0, reason: 0,
    // (an id up to 2^53 − 1 is the same text as a number: a number's text is cheaper to make than a bigint's)
    idText: () => String(key), symbol: () => st.symbolAt(i), comment: () => st.commentAt(i),
  };
  for (; i < st.length; i++) {
    const c = st.chunk(i), k = st.slot(i);
    const type = c.type[k]!;
    if (type !== DEAL_TYPE.BUY && type !== DEAL_TYPE.SELL) continue; // (a balance operation: no position)
    big = c.positionId[k]!;
    if (big > SAFE_ID) return tradesFromDeals(rows());
    cur.type = type;
    cur.entry = c.entry[k]!;
    cur.time = Math.floor(c.timeMsc[k]! / 1000);
    cur.volume = c.volume[k]!;
    cur.price = c.price[k]!;
    cur.commission = c.commission[k]!;
    cur.profit = c.profit[k]!;
    cur.swap = c.swap[k]!;
    cur.reason = c.reason[k]!;
    key = Number(big);
    b.add(key, cur);
  }
  return b.trades();
}
