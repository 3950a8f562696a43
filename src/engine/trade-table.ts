/**
 * Closed trades as columns, in close order. A backtest of a million bars closes tens of thousands of trades, and its
 * figures (metrics.ts, report-stats.ts) read four numbers of each: kept as objects (a dozen fields, their boxed numbers
 * and an id text each) they all survived to the end of the run, and every young-generation collection after they were
 * made copied them (~60 ms of garbage collection, and ~40 ms to build them, of the 1 M-bar bench's 43,000 trades).
 * Here a trade is a row of typed arrays and two references, and a `Trade` object is built only when someone reads
 * the trades as objects (the CSV, the HTML report, the API's `result.trades`).
 */
import { TradeFigures } from './trade-figures.js';

export interface Trade {
  /** Position id. */
  id: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  openTime: number;
  closeTime: number;
  volume: number;
  entryPrice: number;
  /** Volume-weighted price of the closing deals. */
  exitPrice: number;
  /** Net result in account currency: profit + swap + commission (entry and exits). */
  profit: number;
  commission: number;
  swap: number;
  /** sl, tp, so (stop-out), signal (closed by the strategy), end (still open at the end, closed at the last price). */
  exitReason: string;
}

/** A trade's side as the table keeps it: its index here. */
export const SIDES = ['BUY', 'SELL'] as const;

/**
 * One closed trade as the builder hands it to `push`, every field final (rounded as the trade shows it): read field by
 * field into the columns (an object the builder refills, not a call with a dozen numbers: a double passed to a call
 * that is not inlined is a new heap number).
 */
export interface TradeRow<K> {
  id: K;
  symbol: string;
  /** SIDES index. */
  side: number;
  openTime: number;
  closeTime: number;
  volume: number;
  entryPrice: number;
  exitPrice: number;
  profit: number;
  commission: number;
  swap: number;
  /** Index into the table's `reasons`. */
  reason: number;
  /** Closing deals. */
  exits: number;
  /** Closed by a netting reversal (one deal closing it and opening the other way). */
  reversed: boolean;
}

/** A typed array column (one kind of each). */
type Column = Float64Array | Int32Array | Uint8Array;

/** `a` in a new array of `n` rows (the rows past its own 0). */
function resized<C extends Column>(a: C, n: number): C {
  const b = new (a.constructor as new (n: number) => C)(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}

/** `a`'s rows in the order `order` names them. */
function permuted<C extends Column>(a: C, order: number[]): C {
  const b = new (a.constructor as new (n: number) => C)(a.length);
  for (let i = 0; i < order.length; i++) b[i] = a[order[i]!]!;
  return b;
}

/**
 * The closed trades; `K` the position id's type (its text is `String(id)`). A table with `details` keeps every field
 * of a trade; one without keeps only what the figures read (the times, the profit, the side, the exit reason): a
 * backtest's `--json` needs no more, and each column of a million-bar run's trades is 350 KB of fresh memory (~85
 * page faults of ~12 µs on the 2-core VMs). Its trades as objects come from a table with details, built again from
 * the same deals (sim/backtest.ts).
 */
export class TradeTable<K = unknown> {
  length = 0;
  openTime: Float64Array;
  closeTime: Float64Array;
  profit: Float64Array;
  /** SIDES index (anything else: neither side). */
  side: Uint8Array;
  /** Index into `reasons`. */
  reason: Int32Array;
  // the details (empty in a table without them)
  volume: Float64Array;
  entryPrice: Float64Array;
  exitPrice: Float64Array;
  commission: Float64Array;
  swap: Float64Array;
  exits: Int32Array;
  reversed: Uint8Array;
  ids: K[] = [];
  symbols: string[] = [];
  /** What the figures read of the rows, summed as they are added (trade-figures.ts), in the rows' order. */
  figures = new TradeFigures();
  /** Are the rows in close order (sortByClose)? Checked as each is added. */
  private inOrder = true;

  /**
   * `reasons`: the exit reasons' names, which `reason` indexes; `capacity`: the rows to make room for first;
   * `details`: keep every field (else only what the figures read).
   */
  constructor(
    readonly reasons: readonly string[],
    capacity = 64,
    readonly details = true,
  ) {
    const n = Math.max(1, capacity), d = details ? n : 0;
    this.openTime = new Float64Array(n);
    this.closeTime = new Float64Array(n);
    this.profit = new Float64Array(n);
    this.side = new Uint8Array(n);
    this.reason = new Int32Array(n);
    this.volume = new Float64Array(d);
    this.entryPrice = new Float64Array(d);
    this.exitPrice = new Float64Array(d);
    this.commission = new Float64Array(d);
    this.swap = new Float64Array(d);
    this.exits = new Int32Array(d);
    this.reversed = new Uint8Array(d);
  }

  /** Trade objects as the figures read them (anything that is not a backtest's trades): a table without details. */
  static of(trades: readonly Trade[]): TradeTable<string> {
    const names: string[] = [];
    const index = new Map<string, number>();
    const t = new TradeTable<string>(names, trades.length, false);
    const row: TradeRow<string> = { id: '', symbol: '', side: 0, openTime: 0, closeTime: 0, volume: 0, entryPrice: 0, exitPrice: 0, profit: 0, commission: 0, swap: 0, reason: 0, exits: 1, reversed: false };
    for (const x of trades) {
      let r = index.get(x.exitReason);
      if (r === undefined) {
        r = names.length;
        names.push(x.exitReason);
        index.set(x.exitReason, r);
      }
      row.side = x.side === 'BUY' ? 0 : x.side === 'SELL' ? 1 : 2;
      row.openTime = x.openTime;
      row.closeTime = x.closeTime;
      row.profit = x.profit;
      row.reason = r;
      t.push(row);
    }
    return t;
  }

  /** A row at the end (its details only in a table with them). */
  push(r: TradeRow<K>): void {
    const k = this.length;
    if (k === this.openTime.length) this.grow();
    this.openTime[k] = r.openTime;
    this.closeTime[k] = r.closeTime;
    this.profit[k] = r.profit;
    this.side[k] = r.side;
    this.reason[k] = r.reason;
    if (this.details) {
      this.volume[k] = r.volume;
      this.entryPrice[k] = r.entryPrice;
      this.exitPrice[k] = r.exitPrice;
      this.commission[k] = r.commission;
      this.swap[k] = r.swap;
      this.exits[k] = r.exits;
      this.reversed[k] = r.reversed ? 1 : 0;
      this.ids.push(r.id);
      this.symbols.push(r.symbol);
    }
    this.length = k + 1;
    if (k > 0 && this.inOrder && after(this, k - 1, k)) this.inOrder = false;
    this.figures.add(this, k);
  }

  /**
   * The rows in close order, a trade opened earlier first among those closed at the same time; rows already in that
   * order stay as they are (a stable sort: rows equal in both keep their order). Most tables come so already (one
   * position at a time).
   */
  sortByClose(): void {
    if (this.inOrder) return;
    const C = this.closeTime, O = this.openTime;
    const order = Array.from({ length: this.length }, (_, i) => i).sort((x, y) => C[x]! - C[y]! || O[x]! - O[y]!);
    this.openTime = permuted(this.openTime, order);
    this.closeTime = permuted(this.closeTime, order);
    this.profit = permuted(this.profit, order);
    this.side = permuted(this.side, order);
    this.reason = permuted(this.reason, order);
    if (this.details) {
      this.volume = permuted(this.volume, order);
      this.entryPrice = permuted(this.entryPrice, order);
      this.exitPrice = permuted(this.exitPrice, order);
      this.commission = permuted(this.commission, order);
      this.swap = permuted(this.swap, order);
      this.exits = permuted(this.exits, order);
      this.reversed = permuted(this.reversed, order);
      this.ids = order.map((i) => this.ids[i]!);
      this.symbols = order.map((i) => this.symbols[i]!);
    }
    this.inOrder = true;
    this.figures = TradeFigures.of(this);
  }

  /** Row k as a Trade (a new object; a table with details only). */
  trade(k: number): Trade {
    this.mustHaveDetails();
    return new ClosedTrade(this, k);
  }

  /** Every row as a Trade, in order (new objects; a table with details only). */
  trades(): Trade[] {
    this.mustHaveDetails();
    const out: Trade[] = [];
    for (let k = 0; k < this.length; k++) out.push(new ClosedTrade(this, k));
    return out;
  }

  /** Row k's exit reason. */
  exitReason(k: number): string {
    return this.reasons[this.reason[k]!]!;
  }

  /** (A table without details cannot give what it did not keep.) */
  mustHaveDetails(): void {
    if (!this.details) throw new Error('this trade table keeps only what the figures read: build one with details for the trades themselves');
  }

  private grow(): void {
    const n = this.openTime.length * 2, d = this.details ? n : 0;
    this.openTime = resized(this.openTime, n);
    this.closeTime = resized(this.closeTime, n);
    this.profit = resized(this.profit, n);
    this.side = resized(this.side, n);
    this.reason = resized(this.reason, n);
    this.volume = resized(this.volume, d);
    this.entryPrice = resized(this.entryPrice, d);
    this.exitPrice = resized(this.exitPrice, d);
    this.commission = resized(this.commission, d);
    this.swap = resized(this.swap, d);
    this.exits = resized(this.exits, d);
    this.reversed = resized(this.reversed, d);
  }
}

/** Does row a come after row b in close order (closed later, or at the same time and opened later)? */
function after(t: TradeTable, a: number, b: number): boolean {
  const ca = t.closeTime[a]!, cb = t.closeTime[b]!;
  return ca > cb || (ca === cb && t.openTime[a]! > t.openTime[b]!);
}

/**
 * A row as a Trade. A class, not an object literal: the trades of a run all survive, and V8 pretenured a literal's
 * allocation site (its line alone cost ~1 µs a trade). The keys in the Trade's order: the same JSON as ever.
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
  constructor(t: TradeTable, k: number) {
    this.id = String(t.ids[k]);
    this.symbol = t.symbols[k]!;
    this.side = SIDES[t.side[k]!]!;
    this.openTime = t.openTime[k]!;
    this.closeTime = t.closeTime[k]!;
    this.volume = t.volume[k]!;
    this.entryPrice = t.entryPrice[k]!;
    this.exitPrice = t.exitPrice[k]!;
    this.profit = t.profit[k]!;
    this.commission = t.commission[k]!;
    this.swap = t.swap[k]!;
    this.exitReason = t.exitReason(k);
  }
}
