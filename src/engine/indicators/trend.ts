/**
 * ATR and ADX (MT5's ADX and ADX Wilder), as MT5's Examples compute them.
 */
import { Indicator, Ring, type BarIn } from './base.js';
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
