/**
 * The simulated broker's deals as typed columns, in ticket order. A backtest of a million bars makes tens of
 * thousands of deals; kept as objects (each with its boxed numbers and bigint tickets) they were copied by the
 * garbage collections of the run and grew the heap page by page. Here a deal is a row of numbers and two string
 * references, in chunks of rows that are allocated once and never copied, and a `Deal` object is built only when
 * one is asked for.
 */
import type { Deal } from '../protocol/messages.js';

/** Rows per chunk (a power of two: row i is row `i & MASK` of chunk `i >> SHIFT`). */
const SHIFT = 12;
export const DEAL_CHUNK_ROWS = 1 << SHIFT;
const MASK = DEAL_CHUNK_ROWS - 1;

/**
 * One chunk of rows: a typed array per numeric field, and the symbol and comment of each row in arrays made at their
 * full size (one array for all rows grew by copying, and the copies of its backing store went through the young
 * generation: ~30 ms of a 1 M-bar backtest's 86,000 deals). `time` is `floor(timeMsc / 1000)`, not stored.
 */
export class DealChunk {
  readonly ticket = new BigUint64Array(DEAL_CHUNK_ROWS);
  readonly order = new BigUint64Array(DEAL_CHUNK_ROWS);
  readonly positionId = new BigUint64Array(DEAL_CHUNK_ROWS);
  readonly type = new Int32Array(DEAL_CHUNK_ROWS);
  readonly entry = new Int32Array(DEAL_CHUNK_ROWS);
  readonly reason = new Int32Array(DEAL_CHUNK_ROWS);
  readonly volume = new Float64Array(DEAL_CHUNK_ROWS);
  readonly price = new Float64Array(DEAL_CHUNK_ROWS);
  readonly commission = new Float64Array(DEAL_CHUNK_ROWS);
  readonly swap = new Float64Array(DEAL_CHUNK_ROWS);
  readonly profit = new Float64Array(DEAL_CHUNK_ROWS);
  readonly timeMsc = new Float64Array(DEAL_CHUNK_ROWS);
  readonly magic = new Float64Array(DEAL_CHUNK_ROWS);
  readonly symbol: string[] = new Array<string>(DEAL_CHUNK_ROWS).fill('');
  readonly comment: string[] = new Array<string>(DEAL_CHUNK_ROWS).fill('');
}

export class DealStore {
  /** Deals stored. */
  length = 0;
  private readonly chunks: DealChunk[] = [];
  /** The last ticket added (tickets only grow). */
  private last = -1n;

  /**
   * A new row at the end, with its ticket (above the last one's), symbol and comment; the caller writes the other
   * columns into `chunk(i)` at `slot(i)`. Returns the row.
   */
  add(ticket: bigint, symbol: string, comment: string): number {
    if (ticket <= this.last) throw new Error(`deal ticket ${ticket} is not above the last one (${this.last})`);
    const i = this.length;
    if ((i & MASK) === 0) this.chunks.push(new DealChunk());
    const c = this.chunks[i >> SHIFT]!, k = i & MASK;
    c.ticket[k] = ticket;
    c.symbol[k] = symbol;
    c.comment[k] = comment;
    this.last = ticket;
    this.length = i + 1;
    return i;
  }

  /** The chunk that holds row i. */
  chunk(i: number): DealChunk {
    return this.chunks[i >> SHIFT]!;
  }

  /** Row i's place in its chunk. */
  slot(i: number): number {
    return i & MASK;
  }

  /** The row of a deal ticket, or -1 (binary search: tickets only grow). */
  indexOf(ticket: bigint): number {
    let lo = 0, hi = this.length - 1;
    if (hi < 0) return -1;
    if (ticket === this.last) return hi; // the deal just made: the usual question
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const x = this.chunks[mid >> SHIFT]!.ticket[mid & MASK]!;
      if (x === ticket) return mid;
      if (x < ticket) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Row i as a Deal (a new object; the keys in the order the broker always wrote them). */
  get(i: number): Deal {
    const c = this.chunks[i >> SHIFT]!, k = i & MASK;
    const timeMsc = c.timeMsc[k]!;
    return {
      ticket: c.ticket[k]!, order: c.order[k]!, positionId: c.positionId[k]!, symbol: c.symbol[k]!, type: c.type[k]!, entry: c.entry[k]!,
      volume: c.volume[k]!, price: c.price[k]!, commission: c.commission[k]!, swap: c.swap[k]!, profit: c.profit[k]!,
      time: Math.floor(timeMsc / 1000), timeMsc, magic: c.magic[k]!, comment: c.comment[k]!, reason: c.reason[k]!,
    };
  }

  /** Row i's symbol. */
  symbolAt(i: number): string {
    return this.chunks[i >> SHIFT]!.symbol[i & MASK]!;
  }

  /** Row i's comment. */
  commentAt(i: number): string {
    return this.chunks[i >> SHIFT]!.comment[i & MASK]!;
  }

  /** Server time (s) of row i. */
  time(i: number): number {
    return Math.floor(this.chunks[i >> SHIFT]!.timeMsc[i & MASK]! / 1000);
  }

  /** Every deal in turn, oldest first (a new object each). */
  *view(): Generator<Deal> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /**
   * Every deal in turn, oldest first, in ONE object refilled for each row: nothing is built per deal (a reader that
   * keeps a deal, or a field of it beyond the row, must copy it; the bigint fields are new values each row). An
   * iterator of its own, not a generator: a generator's step is a new result object per row.
   */
  rows(): Iterable<Deal> {
    const store = this;
    let i = -1;
    let d: Deal | undefined;
    const step: IteratorResult<Deal> = { done: false, value: undefined as unknown as Deal };
    const it: Iterator<Deal> & Iterable<Deal> = {
      [Symbol.iterator]: () => it,
      next: (): IteratorResult<Deal> => {
        if (++i >= store.length) return { done: true, value: undefined };
        step.value = d === undefined ? (d = store.get(i)) : store.refill(d, i);
        return step;
      },
    };
    return it;
  }

  /** `d` made row i (every field written). */
  private refill(d: Deal, i: number): Deal {
    const c = this.chunks[i >> SHIFT]!, k = i & MASK;
    const timeMsc = c.timeMsc[k]!;
    d.ticket = c.ticket[k]!;
    d.order = c.order[k]!;
    d.positionId = c.positionId[k]!;
    d.symbol = c.symbol[k]!;
    d.type = c.type[k]!;
    d.entry = c.entry[k]!;
    d.volume = c.volume[k]!;
    d.price = c.price[k]!;
    d.commission = c.commission[k]!;
    d.swap = c.swap[k]!;
    d.profit = c.profit[k]!;
    d.time = Math.floor(timeMsc / 1000);
    d.timeMsc = timeMsc;
    d.magic = c.magic[k]!;
    d.comment = c.comment[k]!;
    d.reason = c.reason[k]!;
    return d;
  }
}

/** What a reader of the store's columns uses (sim/trades.ts): read only — nobody may write through it. */
export type DealColumns = Pick<DealStore, 'length' | 'chunk' | 'slot' | 'symbolAt' | 'commentAt'>;
