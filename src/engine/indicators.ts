/**
 * Indicators that equal MetaTrader 5's own (docs/indicators.md; formulas from MetaQuotes' Examples sources).
 *
 * Streaming: `push(bar)` commits a closed bar with O(1) work in the length of history (windowed formulas
 * that MT5 computes over their window — Bollinger σ, CCI deviation, Stochastic/WPR/Ichimoku extremes —
 * do O(period) work per bar, as MT5 does, to keep its arithmetic). `peek(bar, out)` computes the values a
 * forming bar would have without touching the state of closed bars. `out` holds the values of the last
 * committed bar, NaN where MT5 draws nothing yet (before PLOT_DRAW_BEGIN).
 * MT5's order of floating-point operations is kept (EMA `p*k + prev*(1-k)`, running SMA
 * `prev + (p - p[-N]) / N`, SMMA `(prev*(N-1) + p) / N`, CCI `Σ|…| * (0.015/N)`, …).
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

export function priceByCode(b: BarIn, c: number): number {
  switch (c) {
    case 0: return b.close;
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

function checkCapacity(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_RING_CAPACITY) throw new RangeError(`${what} of ${n} bars: must be a whole number from 0 to ${MAX_RING_CAPACITY}`);
}

/** Fixed-capacity history of committed values: at(0) is the newest. Power-of-two storage, masked index. */
class Ring {
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
class Extreme {
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
class Window {
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

// ------------------------------------------------------------------------------------------ moving averages

export type MaMethod = 'sma' | 'ema' | 'smma' | 'lwma';

/**
 * A moving average over a stream of numbers with MT5's MovingAverages.mqh semantics (begin = first input).
 * `next` returns the raw value: the EMA exists from the first input (seeded with it); SMA, SMMA and LWMA
 * from input N-1 (NaN before). Callers hide what MT5 does not draw.
 */
export class MaCore {
  private readonly ring: Ring | undefined;
  /** 0 ema, 1 lwma, 2 sma, 3 smma */
  private readonly mc: number;
  private readonly k: number;
  private readonly k1: number;
  private readonly wsum: number;
  private prev = 0;
  private sum = 0; // LWMA weighted sum
  private lsum = 0; // LWMA plain sum
  n = 0;
  constructor(readonly method: MaMethod, readonly period: number) {
    if (!(period >= 1) || !Number.isInteger(period)) throw new RangeError(`${method} period must be a whole number ≥ 1, got ${period}`);
    this.ring = method === 'ema' ? undefined : new Ring(period);
    this.mc = ['ema', 'lwma', 'sma', 'smma'].indexOf(method);
    this.k = 2 / (period + 1);
    this.k1 = 1 - this.k;
    this.wsum = (period * (period + 1)) / 2;
  }
  next(x: number, commit: boolean): number {
    const N = this.period;
    const i = this.n;
    let v: number;
    if (this.mc === 0) {
      v = i === 0 ? x : x * this.k + this.prev * this.k1;
      if (commit) {
        this.prev = v;
        this.n++;
      }
      return v;
    }
    const ring = this.ring!;
    let sum = this.sum, lsum = this.lsum;
    if (this.mc === 1) {
      if (i < N) {
        sum += x * (i + 1);
        lsum += x;
      } else {
        sum = sum - lsum + x * N;
        lsum = lsum - ring.at(N - 1) + x;
      }
      v = i < N - 1 ? NaN : sum / this.wsum;
    } else if (i < N - 1) {
      v = NaN;
    } else if (i === N - 1) {
      let s = 0;
      for (let j = N - 2; j >= 0; j--) s += ring.at(j); // from the oldest, as MT5 sums from the first bar
      v = (s + x) / N;
    } else if (this.mc === 2) {
      v = this.prev + (x - ring.at(N - 1)) / N;
    } else {
      v = (this.prev * (N - 1) + x) / N;
    }
    if (commit) {
      ring.push(x);
      this.prev = v;
      this.sum = sum;
      this.lsum = lsum;
      this.n++;
    }
    return v;
  }
}

/** Sum of the last `n` values ending with x, newest first (MT5's SimpleMA helper order), divided by n. */
function windowMean(ring: Ring, x: number, n: number): number {
  let s = x;
  for (let j = 0; j < n - 1; j++) s += ring.at(j);
  return s / n;
}

/** SMA / EMA / SMMA / LWMA of an applied price, drawn from bar N-1. Buffer: ma. */
export class MovingAverage extends Indicator {
  readonly buffers = ['ma'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly core: MaCore;
  constructor(readonly method: MaMethod, readonly period = 10, readonly price: AppliedPrice = 'close') {
    super();
    this.ap = priceCode(price);
    this.core = new MaCore(method, period);
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const v = this.core.next(priceByCode(b, this.ap), commit);
    out[0] = this.count < this.period - 1 ? NaN : v;
  }
}

/** Moving average of volume (tick volume by default), drawn from bar N-1. Buffer: ma. */
export class VolumeMa extends Indicator {
  readonly buffers = ['ma'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly core: MaCore;
  constructor(readonly period = 20, readonly volume: 'tick' | 'real' = 'tick') {
    super();
    this.core = new MaCore('sma', period);
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    out[0] = this.core.next(this.volume === 'tick' ? b.tickVolume : b.realVolume, commit);
  }
}

// ------------------------------------------------------------------------------------------ oscillators

/** RSI.mq5: Wilder averages seeded with the mean of the first N changes; flat → 50. Buffer: rsi, from bar N. */
export class Rsi extends Indicator {
  readonly buffers = ['rsi'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private prevPrice = NaN;
  private g = 0;
  private l = 0;
  constructor(readonly period = 14, readonly price: AppliedPrice = 'close') {
    super();
    this.ap = priceCode(price);
    if (!(period >= 1)) throw new RangeError('rsi period must be ≥ 1');
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const N = this.period;
    const i = this.count;
    const p = priceByCode(b, this.ap);
    let g = this.g, l = this.l, v = NaN;
    if (i > 0) {
      const d = p - this.prevPrice;
      const up = d > 0 ? d : 0;
      const dn = d < 0 ? -d : 0;
      if (i < N) {
        g += up;
        l += dn;
      } else if (i === N) {
        g = (g + up) / N;
        l = (l + dn) / N;
      } else {
        g = (g * (N - 1) + up) / N;
        l = (l * (N - 1) + dn) / N;
      }
      if (i >= N) v = l !== 0 ? 100 - 100 / (1 + g / l) : g !== 0 ? 100 : 50;
    }
    out[0] = v;
    if (commit) {
      this.prevPrice = p;
      this.g = g;
      this.l = l;
    }
  }
}

/** MACD.mq5: main = EMA(fast) − EMA(slow) from bar 0; signal = SMA of main from bar 0, drawn from signal−1. */
export class Macd extends Indicator {
  readonly buffers = ['main', 'signal'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly fast: MaCore;
  private readonly slow: MaCore;
  private readonly sig: MaCore;
  constructor(readonly fastPeriod = 12, readonly slowPeriod = 26, readonly signalPeriod = 9, readonly price: AppliedPrice = 'close') {
    super();
    this.ap = priceCode(price);
    this.fast = new MaCore('ema', fastPeriod);
    this.slow = new MaCore('ema', slowPeriod);
    this.sig = new MaCore('sma', signalPeriod);
    this.init(2);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const p = priceByCode(b, this.ap);
    const main = this.fast.next(p, commit) - this.slow.next(p, commit);
    out[0] = main;
    out[1] = this.sig.next(main, commit);
  }
}

/** BB.mq5: SMA middle; population σ (two-pass) from bar N (at N−1 MT5 has σ = 0 and draws nothing). */
export class Bollinger extends Indicator {
  readonly buffers = ['upper', 'middle', 'lower'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly ring: Ring;
  constructor(readonly period = 20, readonly deviation = 2, readonly price: AppliedPrice = 'close') {
    super();
    this.ap = priceCode(price);
    if (!(period >= 2)) throw new RangeError('bb period must be ≥ 2');
    this.ring = new Ring(period);
    this.init(3);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const N = this.period;
    const x = priceByCode(b, this.ap);
    if (this.count >= N) {
      const mid = windowMean(this.ring, x, N);
      let sq = (x - mid) * (x - mid);
      for (let j = 0; j < N - 1; j++) {
        const d = this.ring.at(j) - mid;
        sq += d * d;
      }
      const sd = Math.sqrt(sq / N);
      out[0] = mid + this.deviation * sd;
      out[1] = mid;
      out[2] = mid - this.deviation * sd;
    } else out.fill(NaN);
    if (commit) this.ring.push(x);
  }
}

/** Stochastic.mq5 (SMA signal, low/high): slowing is Σ(C−LL)/Σ(HH−LL); flat → 100. Buffers: main, signal. */
export class Stochastic extends Indicator {
  readonly buffers = ['main', 'signal'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly hh: Extreme;
  private readonly ll: Extreme;
  private readonly num: Ring; // close − LL of committed bars
  private readonly den: Ring; // HH − LL of committed bars
  private readonly mains: Ring;
  private readonly sigMa: MaCore | undefined;
  /**
   * `method` smooths the signal (SMA as the Example source; EMA, SMMA, LWMA as iStochastic's ma_method, over
   * the main line from bar 0); `priceField` 'lowhigh' (STO_LOWHIGH) or 'closeclose' (STO_CLOSECLOSE: the
   * extremes are taken from closes).
   */
  constructor(readonly kPeriod = 5, readonly dPeriod = 3, readonly slowing = 3, readonly method: MaMethod = 'sma', readonly priceField: 'lowhigh' | 'closeclose' = 'lowhigh') {
    super();
    if (!(kPeriod >= 1 && dPeriod >= 1 && slowing >= 1)) throw new RangeError('stoch periods must be ≥ 1');
    this.sigMa = method === 'sma' ? undefined : new MaCore(method, dPeriod);
    this.hh = new Extreme(kPeriod, true);
    this.ll = new Extreme(kPeriod, false);
    this.num = new Ring(slowing);
    this.den = new Ring(slowing);
    this.mains = new Ring(dPeriod);
    this.init(2);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const { kPeriod: K, dPeriod: D, slowing: S } = this;
    const i = this.count;
    let n = 0, d = 0;
    const hi = this.priceField === 'closeclose' ? b.close : b.high;
    const lo = this.priceField === 'closeclose' ? b.close : b.low;
    if (i >= K - 1) {
      const ll = this.ll.with(i, lo);
      const hh = this.hh.with(i, hi);
      n = b.close - ll;
      d = hh - ll;
    }
    let main = 0;
    if (i >= K + S - 2) {
      let sumlow = 0, sumhigh = 0;
      for (let k = S - 2; k >= 0; k--) {
        sumlow += this.num.at(k);
        sumhigh += this.den.at(k);
      }
      sumlow += n;
      sumhigh += d;
      main = sumhigh === 0 ? 100 : (sumlow / sumhigh) * 100;
    }
    let signal = NaN;
    if (this.sigMa) signal = this.sigMa.next(main, commit);
    else if (i >= D - 1) {
      let s = main;
      for (let k = 0; k < D - 1; k++) s += this.mains.at(k); // MT5: newest first, zeros before main draws
      signal = s / D;
    }
    out[0] = i >= K + S - 2 ? main : NaN;
    out[1] = i >= K + D ? signal : NaN;
    if (commit) {
      this.hh.push(i, hi);
      this.ll.push(i, lo);
      this.num.push(n);
      this.den.push(d);
      this.mains.push(main);
    }
  }
}

/** ATR.mq5: a simple moving average of true range (TR[0] = 0), from bar N. Buffer: atr. */
export class Atr extends Indicator {
  readonly buffers = ['atr'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly trs: Ring;
  private prevClose = NaN;
  private prev = 0;
  private sum = 0;
  constructor(readonly period = 14) {
    super();
    if (!(period >= 1)) throw new RangeError('atr period must be ≥ 1');
    this.trs = new Ring(period + 1);
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const N = this.period;
    const i = this.count;
    const tr = i === 0 ? 0 : Math.max(b.high, this.prevClose) - Math.min(b.low, this.prevClose);
    let v = NaN, sum = this.sum;
    if (i >= 1 && i <= N) sum += tr;
    if (i === N) v = sum / N;
    else if (i > N) v = this.prev + (tr - this.trs.at(N - 1)) / N;
    out[0] = v;
    if (commit) {
      this.trs.push(tr);
      this.prevClose = b.close;
      this.sum = sum;
      if (i >= N) this.prev = v;
    }
  }
}

/** Directional-movement rule shared by ADX and ADX Wilder: equal moves cancel. */
function dm(b: BarIn, prevHigh: number, prevLow: number): [number, number] {
  let up = b.high - prevHigh;
  let dn = prevLow - b.low;
  if (up < 0) up = 0;
  if (dn < 0) dn = 0;
  if (up > dn) dn = 0;
  else if (up < dn) up = 0;
  else up = dn = 0;
  return [up, dn];
}

function trueRange(b: BarIn, prevClose: number): number {
  return Math.max(Math.max(Math.abs(b.high - b.low), Math.abs(b.high - prevClose)), Math.abs(b.low - prevClose));
}

/** ADX.mq5 (iADX): EMA(2/(N+1)) of per-bar DM/TR ratios, zero-seeded. Buffers: adx (from 2N), plusDi, minusDi (from N). */
export class Adx extends Indicator {
  readonly buffers = ['adx', 'plusDi', 'minusDi'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private ph = NaN;
  private pl = NaN;
  private pc = NaN;
  private pdi = 0;
  private ndi = 0;
  private adx = 0;
  constructor(readonly period = 14) {
    super();
    if (!(period >= 1)) throw new RangeError('adx period must be ≥ 1');
    this.init(3);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const N = this.period;
    const i = this.count;
    let pdi = 0, ndi = 0, adx = 0;
    if (i > 0) {
      const [up, dn] = dm(b, this.ph, this.pl);
      const tr = trueRange(b, this.pc);
      const pd = tr !== 0 ? (100 * up) / tr : 0;
      const nd = tr !== 0 ? (100 * dn) / tr : 0;
      const k = 2 / (N + 1);
      pdi = pd * k + this.pdi * (1 - k);
      ndi = nd * k + this.ndi * (1 - k);
      const s = pdi + ndi;
      const dx = s !== 0 ? 100 * Math.abs((pdi - ndi) / s) : 0;
      adx = dx * k + this.adx * (1 - k);
    }
    out[0] = i >= 2 * N ? adx : NaN;
    out[1] = i >= N ? pdi : NaN;
    out[2] = i >= N ? ndi : NaN;
    if (commit) {
      this.ph = b.high;
      this.pl = b.low;
      this.pc = b.close;
      this.pdi = pdi;
      this.ndi = ndi;
      this.adx = adx;
    }
  }
}

/** ADXW.mq5 (iADXWilder): zero-seeded Wilder smoothing from bar N. Buffers: adx (from 2N), plusDi, minusDi (from N+1). */
export class AdxWilder extends Indicator {
  readonly buffers = ['adx', 'plusDi', 'minusDi'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private ph = NaN;
  private pl = NaN;
  private pc = NaN;
  private atr = 0;
  private pds = 0;
  private nds = 0;
  private adx = 0;
  constructor(readonly period = 14) {
    super();
    if (!(period >= 1)) throw new RangeError('adxw period must be ≥ 1');
    this.init(3);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const N = this.period;
    const i = this.count;
    let atr = this.atr, pds = this.pds, nds = this.nds, adx = this.adx, pdi = 0, ndi = 0;
    if (i > 0) {
      const [up, dn] = dm(b, this.ph, this.pl);
      const tr = trueRange(b, this.pc);
      if (i < N) atr = 0;
      else {
        atr = (this.atr * (N - 1) + tr) / N;
        pds = (this.pds * (N - 1) + up) / N;
        nds = (this.nds * (N - 1) + dn) / N;
      }
      if (atr !== 0) {
        pdi = (100 * pds) / atr;
        ndi = (100 * nds) / atr;
      }
      const s = pdi + ndi;
      const dx = s !== 0 ? 100 * Math.abs((pdi - ndi) / s) : 0;
      adx = i < N - 1 ? 0 : (this.adx * (N - 1) + dx) / N;
    }
    out[0] = i >= 2 * N ? adx : NaN;
    out[1] = i >= N + 1 ? pdi : NaN;
    out[2] = i >= N + 1 ? ndi : NaN;
    if (commit) {
      this.ph = b.high;
      this.pl = b.low;
      this.pc = b.close;
      this.atr = atr;
      this.pds = pds;
      this.nds = nds;
      this.adx = adx;
    }
  }
}

/** CCI.mq5: (p − SMA) / (Σ|p − SMA| × 0.015/N), typical price by default; D = 0 → 0. From bar N−1. */
export class Cci extends Indicator {
  readonly buffers = ['cci'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly win: Window;
  constructor(readonly period = 14, readonly price: AppliedPrice = 'typical') {
    super();
    this.ap = priceCode(price);
    if (!(period >= 1)) throw new RangeError('cci period must be ≥ 1');
    this.win = new Window(period);
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const N = this.period;
    const x = priceByCode(b, this.ap);
    if (this.count >= N - 1) {
      // x, then the N−1 newest committed values, newest first (MT5's SimpleMA and deviation loops)
      const buf = this.win.buf;
      const top = this.win.pos - 1 + N;
      let s = x;
      for (let j = top; j > top - (N - 1); j--) s += buf[j]!;
      const sp = s / N;
      let d = Math.abs(x - sp);
      for (let j = top; j > top - (N - 1); j--) d += Math.abs(buf[j]! - sp);
      const D = d * (0.015 / N);
      out[0] = D !== 0 ? (x - sp) / D : 0;
    } else out[0] = NaN;
    if (commit) this.win.push(x);
  }
}

/** WPR.mq5: −(HH − C)·100/(HH − LL); HH = LL carries the previous value. From bar N−1. */
export class WilliamsR extends Indicator {
  readonly buffers = ['wpr'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly hh: Extreme;
  private readonly ll: Extreme;
  private prev = 0;
  constructor(readonly period = 14) {
    super();
    if (!(period >= 1)) throw new RangeError('wpr period must be ≥ 1');
    this.hh = new Extreme(period, true);
    this.ll = new Extreme(period, false);
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const i = this.count;
    let v = NaN;
    if (i >= this.period - 1) {
      const hh = this.hh.with(i, b.high);
      const ll = this.ll.with(i, b.low);
      v = hh !== ll ? (-(hh - b.close) * 100) / (hh - ll) : this.prev;
    }
    out[0] = v;
    if (commit) {
      this.hh.push(i, b.high);
      this.ll.push(i, b.low);
      if (!Number.isNaN(v)) this.prev = v;
    }
  }
}

/**
 * Ichimoku.mq5: midpoints over windows truncated at the start of history. The buffers are returned as
 * CopyBuffer returns them, unshifted: MT5 draws the spans Kijun bars ahead and the chikou Kijun bars back.
 * Drawn from: tenkan Tenkan, kijun Kijun, spans SenkouB−1, chikou 0.
 */
export class Ichimoku extends Indicator {
  readonly buffers = ['tenkan', 'kijun', 'senkouA', 'senkouB', 'chikou'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly ext: [Extreme, Extreme][];
  constructor(readonly tenkan = 9, readonly kijun = 26, readonly senkou = 52) {
    super();
    if (!(tenkan >= 1 && kijun >= 1 && senkou >= 1)) throw new RangeError('ichimoku periods must be ≥ 1');
    this.ext = [tenkan, kijun, senkou].map((w) => [new Extreme(w, true), new Extreme(w, false)] as [Extreme, Extreme]);
    this.init(5);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const i = this.count;
    const e = this.ext;
    const t = (e[0]![0].with(i, b.high) + e[0]![1].with(i, b.low)) / 2;
    const k = (e[1]![0].with(i, b.high) + e[1]![1].with(i, b.low)) / 2;
    out[0] = i >= this.tenkan ? t : NaN;
    out[1] = i >= this.kijun ? k : NaN;
    out[2] = i >= this.senkou - 1 ? (t + k) / 2 : NaN;
    out[3] = i >= this.senkou - 1 ? (e[2]![0].with(i, b.high) + e[2]![1].with(i, b.low)) / 2 : NaN;
    out[4] = b.close;
    if (commit) {
      for (const [hi, lo] of e) {
        hi.push(i, b.high);
        lo.push(i, b.low);
      }
    }
  }
}

/** OBV.mq5: starts at the first bar's volume; tick volume by default. */
export class Obv extends Indicator {
  readonly buffers = ['obv'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private prev = 0;
  private prevClose = NaN;
  constructor(readonly volume: 'tick' | 'real' = 'tick') {
    super();
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const vol = this.volume === 'tick' ? b.tickVolume : b.realVolume;
    let v: number;
    if (this.count === 0) v = vol;
    else if (b.close > this.prevClose) v = this.prev + vol;
    else if (b.close < this.prevClose) v = this.prev - vol;
    else v = this.prev;
    out[0] = v;
    if (commit) {
      this.prev = v;
      this.prevClose = b.close;
    }
  }
}

/** Momentum.mq5: price × 100 / price N bars ago (a ratio centred at 100). From bar N. */
export class Momentum extends Indicator {
  readonly buffers = ['momentum'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly ring: Ring;
  constructor(readonly period = 14, readonly price: AppliedPrice = 'close') {
    super();
    this.ap = priceCode(price);
    if (!(period >= 1)) throw new RangeError('momentum period must be ≥ 1');
    this.ring = new Ring(period);
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const x = priceByCode(b, this.ap);
    out[0] = this.count >= this.period ? (x * 100) / this.ring.at(this.period - 1) : NaN;
    if (commit) this.ring.push(x);
  }
}

/** ROC.mq5: (price − price N ago) / price × 100 — divided by the CURRENT price, as MT5 does. From bar N. */
export class Roc extends Indicator {
  readonly buffers = ['roc'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly ring: Ring;
  constructor(readonly period = 12, readonly price: AppliedPrice = 'close') {
    super();
    this.ap = priceCode(price);
    if (!(period >= 1)) throw new RangeError('roc period must be ≥ 1');
    this.ring = new Ring(period);
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const x = priceByCode(b, this.ap);
    out[0] = this.count >= this.period ? (x !== 0 ? ((x - this.ring.at(this.period - 1)) / x) * 100 : 0) : NaN;
    if (commit) this.ring.push(x);
  }
}

/** DeMarker.mq5: SMA(DeMax) / (SMA(DeMax) + SMA(DeMin)); 0 when both are 0. From bar N. */
export class DeMarker extends Indicator {
  readonly buffers = ['demarker'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private readonly maxs: Ring;
  private readonly mins: Ring;
  private ph = NaN;
  private pl = NaN;
  constructor(readonly period = 14) {
    super();
    if (!(period >= 1)) throw new RangeError('demarker period must be ≥ 1');
    this.maxs = new Ring(period);
    this.mins = new Ring(period);
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const N = this.period;
    const i = this.count;
    const dmax = i > 0 && b.high > this.ph ? b.high - this.ph : 0;
    const dmin = i > 0 && this.pl > b.low ? this.pl - b.low : 0;
    if (i >= N) {
      const a = windowMean(this.maxs, dmax, N);
      const s = a + windowMean(this.mins, dmin, N);
      out[0] = s !== 0 ? a / s : 0;
    } else out[0] = NaN;
    if (commit) {
      this.maxs.push(dmax);
      this.mins.push(dmin);
      this.ph = b.high;
      this.pl = b.low;
    }
  }
}

/**
 * ParabolicSAR.mq5: starts short; reversal on strict penetration; the value of a closed bar is final, the
 * forming bar's (peek) is the projection from the last closed bar, exactly as MT5 shows it.
 */
export class ParabolicSar extends Indicator {
  readonly buffers = ['sar'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private sar = NaN; // SAR of the bar being processed (projection before its test)
  private ep = NaN;
  private af = 0;
  private long = false;
  private revHigh = NaN; // max(high) since the last reversal bar, inclusive
  private revLow = NaN;
  private h1 = NaN; // previous bar's high and low
  private l1 = NaN;
  private h0 = NaN; // bar 0
  constructor(readonly step0 = 0.02, readonly maximum = 0.2) {
    super();
    if (!(step0 >= 0 && maximum >= 0)) throw new RangeError('sar step and maximum must be ≥ 0');
    this.init(1);
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const i = this.count;
    if (!commit) {
      // the forming bar: MT5 shows the projection, its reversal test has not run yet
      out[0] = i === 0 ? b.high : i === 1 ? Math.max(this.h0, b.high) : this.sar;
      return;
    }
    if (i === 0) {
      this.h0 = b.high;
      out[0] = b.high;
      this.h1 = b.high;
      this.l1 = b.low;
      return;
    }
    const st = this.step0, mx = this.maximum;
    let sar: number, ep: number, af: number;
    let revThisBar = false;
    if (i === 1) {
      // first pass: short, SAR[1] = max(high[0..1]), EP[0] = EP[1] = low[1], AF = step
      sar = Math.max(this.h0, b.high);
      this.revHigh = sar;
      this.revLow = Math.min(this.l1, b.low);
      ep = b.low;
      af = st;
      this.ep = ep;
      this.af = af;
    } else {
      sar = this.sar;
      this.revHigh = Math.max(this.revHigh, b.high);
      this.revLow = Math.min(this.revLow, b.low);
      ep = this.ep;
      af = this.af;
    }
    // reversal test on this bar's SAR (strict)
    if (this.long) {
      if (sar > b.low) {
        this.long = false;
        sar = this.revHigh;
        ep = b.low;
        af = st;
        revThisBar = true;
      }
    } else if (sar < b.high) {
      this.long = true;
      sar = this.revLow;
      ep = b.high;
      af = st;
      revThisBar = true;
    }
    const prevEp = this.ep, prevAf = this.af;
    let next: number;
    if (this.long) {
      if (b.high > prevEp && !revThisBar) {
        ep = b.high;
        af = prevAf + st;
        if (af > mx) af = mx;
      } else if (!revThisBar) {
        af = prevAf;
        ep = prevEp;
      }
      next = sar + af * (ep - sar);
      if (next > b.low || next > this.l1) next = Math.min(b.low, this.l1);
    } else {
      if (b.low < prevEp && !revThisBar) {
        ep = b.low;
        af = prevAf + st;
        if (af > mx) af = mx;
      } else if (!revThisBar) {
        af = prevAf;
        ep = prevEp;
      }
      next = sar + af * (ep - sar);
      if (next < b.high || next < this.h1) next = Math.max(b.high, this.h1);
    }
    if (revThisBar) {
      this.revHigh = b.high;
      this.revLow = b.low;
    }
    out[0] = sar;
    this.sar = next;
    this.ep = ep;
    this.af = af;
    this.h1 = b.high;
    this.l1 = b.low;
  }
}

export type VwapAnchor = 'day' | 'week' | 'month' | 'none';

/**
 * VWAP (MT5 has none built in; documented variant): Σ price·volume / Σ volume since the anchor — the start
 * of the server-time day (default), week (Sunday) or month, or the first bar. Typical price, tick volume;
 * a bar with no volume leaves the sums unchanged (the VWAP is the price when nothing has traded yet).
 */
export class Vwap extends Indicator {
  readonly buffers = ['vwap'] as const;
  // each class has its own push, so the call to step stays monomorphic (it is the hot path)
  override push(b: BarIn): void {
    this.step(b, true, this.out);
    this.count++;
  }
  private pv = 0;
  private v = 0;
  private period = NaN;
  /** 0 none, 1 day, 2 week, 3 month */
  private readonly anchorCode: number;
  constructor(readonly anchor: VwapAnchor = 'day', readonly price: AppliedPrice = 'typical') {
    super();
    this.ap = priceCode(price);
    this.anchorCode = ['none', 'day', 'week', 'month'].indexOf(anchor);
    this.init(1);
  }
  private periodOf(t: number): number {
    switch (this.anchorCode) {
      case 0: return 0;
      case 1: return Math.floor(t / 86400);
      case 2: return Math.floor((t / 86400 + 4) / 7); // weeks starting Sunday (1970-01-01 was a Thursday)
      default: {
        const d = new Date(t * 1000);
        return d.getUTCFullYear() * 12 + d.getUTCMonth();
      }
    }
  }
  protected step(b: BarIn, commit: boolean, out: Float64Array): void {
    const per = this.periodOf(b.time);
    let pv = this.pv, v = this.v;
    if (per !== this.period) pv = v = 0;
    const x = priceByCode(b, this.ap);
    pv += x * b.tickVolume;
    v += b.tickVolume;
    out[0] = v > 0 ? pv / v : x;
    if (commit) {
      this.pv = pv;
      this.v = v;
      this.period = per;
    }
  }
}
