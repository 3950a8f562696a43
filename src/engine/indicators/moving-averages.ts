/**
 * Moving averages as MT5 computes them (MovingAverages.mqh): SMA, EMA, SMMA, LWMA, and the volume average.
 */
import { Indicator, Ring, priceByCode, priceCode, type AppliedPrice, type BarIn } from './base.js';
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
export function windowMean(ring: Ring, x: number, n: number): number {
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
