/**
 * The parts every indicator is made of: the bar it reads (BarIn), applied prices, the ring buffers and running
 * extremes of windowed formulas, and the Indicator base class (push / peek / out).
 */
export interface BarIn {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  tickVolume: number;
  realVolume: number;
}

export const APPLIED_PRICES = ['close', 'open', 'high', 'low', 'median', 'typical', 'weighted'] as const;
export type AppliedPrice = (typeof APPLIED_PRICES)[number];

/** Applied price as a small integer, for the hot path. */
export function priceCode(p: AppliedPrice): number {
  return APPLIED_PRICES.indexOf(p);
}

/**
 * The applied price `c` (priceCode) of a bar. The close is read before the switch: through the switch V8 boxed the
 * price of every bar (two heap numbers a bar for an EMA cross, ~60 MB of garbage in a 1 M-bar backtest).
 */
export function priceByCode(b: BarIn, c: number): number {
  if (c === 0) return b.close;
  return otherPrice(b, c);
}

/** priceByCode of any code but the close. */
function otherPrice(b: BarIn, c: number): number {
  switch (c) {
    case 1: return b.open;
    case 2: return b.high;
    case 3: return b.low;
    case 4: return (b.high + b.low) / 2;
    case 5: return (b.high + b.low + b.close) / 3;
    default: return (b.high + b.low + 2 * b.close) / 4;
  }
}

export function appliedPrice(b: BarIn, p: AppliedPrice): number {
  switch (p) {
    case 'close': return b.close;
    case 'open': return b.open;
    case 'high': return b.high;
    case 'low': return b.low;
    case 'median': return (b.high + b.low) / 2;
    case 'typical': return (b.high + b.low + b.close) / 3;
    case 'weighted': return (b.high + b.low + 2 * b.close) / 4;
  }
}

/**
 * The largest history any indicator buffer may hold. Periods are validated far below this (indicator-spec.ts);
 * this is the last guard: an absurd capacity (2^31, NaN) is a RangeError at once, never a loop or a huge array.
 */
export const MAX_RING_CAPACITY = 1 << 22;

export function checkCapacity(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_RING_CAPACITY) throw new RangeError(`${what} of ${n} bars: must be a whole number from 0 to ${MAX_RING_CAPACITY}`);
}

/** Fixed-capacity history of committed values: at(0) is the newest. Power-of-two storage, masked index. */
export class Ring {
  private readonly a: Float64Array;
  private readonly mask: number;
  private head = -1;
  n = 0;
  constructor(readonly cap: number) {
    checkCapacity('indicator history', cap);
    let size = 1;
    while (size < Math.max(1, cap)) size <<= 1;
    this.a = new Float64Array(size);
    this.mask = size - 1;
  }
  push(x: number): void {
    this.head = (this.head + 1) & this.mask;
    this.a[this.head] = x;
    if (this.n < this.cap) this.n++;
  }
  /** k bars back from the newest committed (0 = newest). */
  at(k: number): number {
    return this.a[(this.head - k) & this.mask]!;
  }
}

/**
 * Sliding-window maximum (or minimum) of committed values, O(1) amortised per bar: a monotonic deque of
 * (bar index, value). Gives exactly the same extremes as scanning the window.
 */
export class Extreme {
  private readonly idx: Float64Array;
  private readonly val: Float64Array;
  private readonly mask: number;
  private front = 0;
  private back = 0; // one past the last
  constructor(readonly window: number, readonly isMax: boolean) {
    checkCapacity('extreme window', window);
    let size = 2;
    while (size < window + 2) size <<= 1;
    this.idx = new Float64Array(size);
    this.val = new Float64Array(size);
    this.mask = size - 1;
  }
  /** Commit value x of bar i. */
  push(i: number, x: number): void {
    const m = this.mask;
    if (this.isMax) while (this.back !== this.front && this.val[(this.back - 1) & m]! <= x) this.back--;
    else while (this.back !== this.front && this.val[(this.back - 1) & m]! >= x) this.back--;
    this.idx[this.back & m] = i;
    this.val[this.back & m] = x;
    this.back++;
    while (this.idx[this.front & m]! <= i - this.window) this.front++;
  }
  /** The extreme of the window ending at bar i, where bar i has value x (committed or not). */
  with(i: number, x: number): number {
    const m = this.mask;
    for (let k = this.front; k !== this.back; k++) {
      if (this.idx[k & m]! > i - this.window && this.idx[k & m]! < i) {
        const v = this.val[k & m]!;
        return this.isMax ? (v > x ? v : x) : v < x ? v : x;
      }
    }
    return x;
  }
}

/**
 * The last N committed values kept twice over (at i and i+N), so the newest N are always one contiguous run:
 * windowed sums become plain typed-array scans in MT5's order (newest first).
 */
export class Window {
  readonly buf: Float64Array;
  /** Slot the next value goes to; the newest committed value is at pos−1+N. */
  pos = 0;
  constructor(readonly size: number) {
    checkCapacity('indicator window', size);
    this.buf = new Float64Array(size * 2);
  }
  push(x: number): void {
    this.buf[this.pos] = x;
    this.buf[this.pos + this.size] = x;
    this.pos = this.pos + 1 === this.size ? 0 : this.pos + 1;
  }
}

export abstract class Indicator {
  abstract readonly buffers: readonly string[];
  /** Values of the last committed bar, one per buffer; NaN = no value. */
  out!: Float64Array;
  /** Committed bars. */
  count = 0;
  /** Applied price code (priceCode), for indicators that take one. */
  protected ap = 0;
  protected init(n: number): void {
    this.out = new Float64Array(n).fill(NaN);
  }
  push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  /** Values for `b` as the forming bar (after all committed bars); state is unchanged. */
  peek(b: BarIn, out: Float64Array): void {
    this.step(b, false, out);
  }
  protected abstract step(b: BarIn, commit: boolean, out: Float64Array): void;
}
