/**
 * Builds higher-timeframe bars from lower-timeframe bars, as MT5 aligns them: a bar's period starts at a
 * multiple of its length in server time (H4 at 00:00, 04:00, …; D1 at 00:00). A higher bar is emitted the
 * moment it is complete — when the lower bar that ends its period arrives, or, if the data has a gap, when
 * the first lower bar of a later period arrives — never before, so nothing looks ahead.
 */
import { TIMEFRAME_SECONDS, type Timeframe } from '../protocol/messages.js';
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
