/**
 * Builds higher-timeframe bars from lower-timeframe bars, as MT5 aligns them: a bar's period starts at a
 * multiple of its length in server time (H4 at 00:00, 04:00, …; D1 at 00:00). A higher bar is emitted the
 * moment it is complete — when the lower bar that ends its period arrives, or, if the data has a gap, when
 * the first lower bar of a later period arrives — never before, so nothing looks ahead.
 */
import { TIMEFRAME_SECONDS, type Timeframe } from '../protocol/messages.js';
import type { BarSeries } from './bars.js';
import type { BarIn } from './indicators.js';

export class BarAggregator {
  private cur: BarIn | undefined;
  private curStart = NaN;
  readonly period: number;
  constructor(readonly timeframe: Timeframe, readonly lowerPeriodSec: number) {
    this.period = TIMEFRAME_SECONDS[timeframe];
    if (this.period % lowerPeriodSec !== 0) throw new Error(`cannot build ${timeframe} bars from ${lowerPeriodSec}-second bars`);
  }

  /** Feed a closed lower bar; returns the higher bars that completed (0, 1 or 2), oldest first. */
  push(b: BarIn): BarIn[] {
    const out: BarIn[] = [];
    const start = Math.floor(b.time / this.period) * this.period;
    if (this.cur && start !== this.curStart) {
      out.push(this.cur);
      this.cur = undefined;
    }
    if (!this.cur) {
      this.cur = { ...b, time: start };
      this.curStart = start;
    } else {
      const c = this.cur;
      if (b.high > c.high) c.high = b.high;
      if (b.low < c.low) c.low = b.low;
      c.close = b.close;
      c.tickVolume += b.tickVolume;
      c.realVolume += b.realVolume;
    }
    if (b.time + this.lowerPeriodSec >= start + this.period) {
      out.push(this.cur);
      this.cur = undefined;
    }
    return out;
  }
}

/**
 * A higher timeframe's bars built from a whole series at once (column mode, runner.ts): the bars BarAggregator emits
 * fed the series row by row — the same fields by the same operations in the same order — as columns, with the index
 * of the lower bar at whose push each was emitted (`emitAt`, ascending), so a backtest knows which higher bars a
 * decision at a lower bar's close could see. Undefined when the series' times are not strictly increasing (a loaded
 * file's always are): the bar-by-bar path then stays in charge.
 */
export interface HigherSeries {
  readonly timeframe: Timeframe;
  /** The higher bars, as a series (real volume summed when first read: most files record none). */
  readonly series: BarSeries;
  /** emitAt[j]: the lower bar whose push completed higher bar j. */
  readonly emitAt: Int32Array;
}

export function aggregateSeries(s: BarSeries, timeframe: Timeframe, lowerPeriodSec: number): HigherSeries | undefined {
  const P = TIMEFRAME_SECONDS[timeframe];
  if (P % lowerPeriodSec !== 0) throw new Error(`cannot build ${timeframe} bars from ${lowerPeriodSec}-second bars`);
  const n = s.length;
  const T = s.time, O = s.open, H = s.high, L = s.low, C = s.close, V = s.tickVolume;
  // at most one higher bar per period the series spans (and per lower bar); columns the size of the lower series
  // would be zeroed, and each fresh page is a fault (~12 µs on the 2-core VMs)
  const cap = n === 0 ? 0 : Math.max(0, Math.min(n, Math.floor((T[n - 1]! - T[0]!) / P) + 2)) || 0;
  const time = new Float64Array(cap), open = new Float64Array(cap), high = new Float64Array(cap), low = new Float64Array(cap);
  const close = new Float64Array(cap), tickVolume = new Float64Array(cap);
  const emitAt = new Int32Array(cap), first = new Int32Array(cap), last = new Int32Array(cap);
  // the bar being built (BarAggregator's `cur`), emitted as BarAggregator emits it (one loop, no closure: it runs once)
  let k = 0, cur = false, curStart = NaN, ch = 0, cl = 0, cc = 0, cv = 0, cFirst = 0;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = T[i]!;
    if (!(t > prev)) return undefined;
    prev = t;
    const start = Math.floor(t / P) * P;
    if (cur && start !== curStart) {
      // a bar of a later period: the one being built is complete (a gap in the data)
      if (k === cap) return undefined; // (cannot happen with times in order)
      time[k] = curStart; open[k] = O[cFirst]!; high[k] = ch; low[k] = cl; close[k] = cc; tickVolume[k] = cv;
      emitAt[k] = i; first[k] = cFirst; last[k] = i - 1;
      k++;
      cur = false;
    }
    if (!cur) {
      cur = true;
      curStart = start;
      cFirst = i;
      ch = H[i]!; cl = L[i]!; cc = C[i]!; cv = V[i]!;
    } else {
      const h = H[i]!, l = L[i]!;
      if (h > ch) ch = h;
      if (l < cl) cl = l;
      cc = C[i]!;
      cv += V[i]!;
    }
    if (t + lowerPeriodSec >= start + P) {
      // the bar that ends the period
      if (k === cap) return undefined;
      time[k] = curStart; open[k] = O[cFirst]!; high[k] = ch; low[k] = cl; close[k] = cc; tickVolume[k] = cv;
      emitAt[k] = i; first[k] = cFirst; last[k] = i;
      k++;
      cur = false;
    }
  }
  const R = s.realVolume;
  let real: Float64Array | undefined, spread: Float64Array | undefined;
  const series = {
    time: time.subarray(0, k), open: open.subarray(0, k), high: high.subarray(0, k), low: low.subarray(0, k),
    close: close.subarray(0, k), tickVolume: tickVolume.subarray(0, k),
    get spread(): Float64Array {
      return (spread ??= new Float64Array(k)); // no spread recorded (nothing reads a higher series' spread)
    },
    get realVolume(): Float64Array {
      if (!real) {
        real = new Float64Array(k);
        for (let j = 0; j < k; j++) {
          let v = R[first[j]!]!;
          for (let i = first[j]! + 1; i <= last[j]!; i++) v += R[i]!;
          real[j] = v;
        }
      }
      return real;
    },
    timeText: [] as string[], length: k, periodSec: P, layout: s.layout,
  } satisfies BarSeries;
  return { timeframe, series, emitAt: emitAt.subarray(0, k) };
}
