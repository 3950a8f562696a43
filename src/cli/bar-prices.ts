/**
 * Can a bar file's prices be a symbol's? For a file that names no symbol (neither its name nor a symbol column),
 * the backtest takes its bars as the strategy's symbol; these checks refuse bars that cannot be that symbol's:
 *
 * - **decimals**: more than 1 % of the bars sampled have a price with more decimals than the symbol's digits
 *   (EURUSD bars, 5 decimals, read as gold, 2 digits). A price is that symbol's when it is a whole number of
 *   points to 1e-6 of a point (a decimal read into a double is off by ~1e-11).
 * - **level**: the median close lies outside the broad range the symbol is taken to trade in (PRICE_RANGES: about
 *   half its lowest to twice its highest quote since the 1970s), so gold at 2,050 is not EURUSD, nor EURUSD at 1.1
 *   USDJPY. The median, not every bar: one bad tick does not refuse a file.
 *
 * Up to SAMPLE bars, evenly spaced, are read: a million-bar file costs no more than a small one.
 */
import type { BarSeries } from '../engine/bars.js';

/** [lowest, highest] plausible quote of each preset symbol (src/sim/symbols.ts). */
export const PRICE_RANGES: Record<string, [number, number]> = {
  EURUSD: [0.4, 3], // 0.82 (2000) … 1.60 (2008)
  GBPUSD: [0.5, 5], // 1.03 (1985) … 2.4 (1971)
  USDJPY: [30, 800], // 75 (2011) … 360 (1971)
  EURGBP: [0.25, 2], // 0.57 (2000) … 0.98 (2008)
  XAUUSD: [20, 50_000], // 35 (1971) … ~4,000 (2025)
};

const SAMPLE = 10_001;

/** Why these bars cannot be `symbol`'s (quoted at `digits`), or undefined when they can. */
export function pricesNotOf(bars: BarSeries, symbol: string, digits: number): string | undefined {
  const n = bars.length;
  if (!n) return undefined;
  const step = Math.max(1, Math.floor(n / SAMPLE));
  const scale = 10 ** digits;
  // plain index loops over typed arrays: this runs once per command, in V8's interpreter, where an iterator over a
  // fresh array of the four columns cost ~2 µs a sampled bar (~25 ms on a large file) and these loops a tenth of it
  const closes = new Float64Array(Math.ceil(n / step));
  const O = bars.open, H = bars.high, L = bars.low, C = bars.close;
  let finer = 0, sampled = 0, example = 0;
  for (let i = 0; i < n; i += step) {
    closes[sampled++] = C[i]!;
    for (let k = 0; k < 4; k++) {
      const p = (k === 0 ? O : k === 1 ? H : k === 2 ? L : C)[i]!, x = p * scale;
      if (Math.abs(x - Math.round(x)) > 1e-6 * Math.max(1, Math.abs(x) / 1e9)) {
        finer++;
        example = p;
        break;
      }
    }
  }
  if (finer > sampled / 100) return `${finer} of ${sampled} bars sampled have prices with more decimals than ${symbol}'s ${digits} (e.g. ${example})`;
  const range = PRICE_RANGES[symbol];
  if (!range) return undefined;
  closes.sort(); // a Float64Array sorts numerically
  const median = closes[closes.length >> 1]!;
  if (median < range[0] || median > range[1]) return `their median close ${median} is outside ${range[0]}–${range[1]}, the range ${symbol} is taken to trade in`;
  return undefined;
}

/** The preset symbols these bars could be (digits and level), for the error's suggestion. */
export function symbolsFitting(bars: BarSeries, digitsOf: Record<string, { digits: number }>): string[] {
  return Object.keys(PRICE_RANGES).filter((s) => digitsOf[s] && !pricesNotOf(bars, s, digitsOf[s].digits));
}
