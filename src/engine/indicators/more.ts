/**
 * CCI, Williams %R, Ichimoku, OBV, Momentum, ROC, DeMarker, Parabolic SAR and VWAP, as MT5's Examples compute them.
 */
import { Extreme, Indicator, Ring, Window, priceByCode, priceCode, type AppliedPrice, type BarIn } from './base.js';
import { windowMean } from './moving-averages.js';
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
