/**
 * The intrabar price path the simulator generates from a bar (documented in docs/sim.md):
 *   bullish or flat bar (close ≥ open): open → low → high → close
 *   bearish bar (close < open):         open → high → low → close
 * The price is taken to move continuously between these four points (SL/TP and pending orders crossed on
 * the way fill at their level); the open is a gap from the previous bar's close (levels beyond it fill at
 * the open). Times: open at the bar time, then +¼, +½ and +period−1 s. Prices are bid; ask = bid + spread.
 */
import type { BarSeries } from '../engine/bars.js';

export interface PathPoint {
  /** bid price */
  price: number;
  timeMsc: number;
  /** true for the open: a gap from the previous price */
  gap: boolean;
}

export function barPath(timeSec: number, periodSec: number, open: number, high: number, low: number, close: number): PathPoint[] {
  const t0 = timeSec * 1000;
  const p = periodSec * 1000;
  const bull = close >= open;
  return [
    { price: open, timeMsc: t0, gap: true },
    { price: bull ? low : high, timeMsc: t0 + Math.floor(p / 4), gap: false },
    { price: bull ? high : low, timeMsc: t0 + Math.floor(p / 2), gap: false },
    { price: close, timeMsc: t0 + Math.max(p - 1000, Math.floor(p / 2) + 1), gap: false },
  ];
}

/** Spread in points for bar i: the data's spread column, or the default when the file records 0 ("not recorded"). */
export function barSpread(bars: BarSeries, i: number, defaultPoints: number): number {
  const s = bars.spread[i] ?? 0;
  return s > 0 ? s : defaultPoints;
}
