/**
 * RSI, MACD, Bollinger Bands and the Stochastic oscillator, as MT5's Examples compute them.
 */
import { Extreme, Indicator, Ring, priceByCode, priceCode, type AppliedPrice, type BarIn } from './base.js';
import { MaCore, windowMean, type MaMethod } from './moving-averages.js';
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
