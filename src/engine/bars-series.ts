/**
 * A bar series — columns of bar open times and prices as a file or the terminal gives them — and what works on one
 * whole: its period, its gaps, slices, and the formatting of its server times. Pure.
 */
import type { BarLayout } from './bars-layout.js';

export interface BarSeries {
  /** Bar open time, broker server time, seconds since 1970. */
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  tickVolume: Float64Array;
  /** Spread in points; 0 means "not recorded" in MT5 exports. */
  spread: Float64Array;
  realVolume: Float64Array;
  /** Bar times as the file's layout writes them (built when first read). */
  timeText: string[];
  length: number;
  /** The most common distance between bars, in seconds. */
  periodSec: number;
  layout: BarLayout;
  /** How the file was read (parsed files only). */
  format?: BarFormat;
  /** Missing bars inside the data (parsed files only). */
  gaps?: GapReport;
  /** The symbol the file names in a column (`<TICKER>`, `Symbol`), from its first bar. */
  symbol?: string;
}

export interface BarFormat {
  encoding: 'utf-8' | 'utf-8 with BOM' | 'utf-16le' | 'utf-16be';
  separator: 'tab' | ',' | ';';
  decimalComma: boolean;
  header: boolean;
  /** Column names (canonical ones for a file without a header). */
  columns: string[];
  /** Header columns not used. */
  ignored: string[];
  /** How `timeText` writes the times: copy_rates' epoch seconds, or MT5's date and time with or without seconds. */
  timeText: TimeTextStyle;
}

export type TimeTextStyle = 'epoch' | 'seconds' | 'minutes';

/** Distances between bars longer than the bar period, weekends (a distance that spans a Saturday) apart. */
export interface GapReport {
  count: number;
  missingBars: number;
  /** The largest gaps, largest first (at most 5). */
  largest: { from: number; to: number; missing: number }[];
  /** Weekend closes seen (not gaps). */
  weekends: number;
}

/** `timeText`, built from `time` when first read (a million strings cost more than parsing the file). */
export function lazyTimeText(s: BarSeries, style: TimeTextStyle): void {
  let cache: string[] | undefined;
  Object.defineProperty(s, 'timeText', {
    enumerable: false, configurable: true,
    get: () => (cache ??= Array.from(s.time.subarray(0, s.length), (t) => (style === 'epoch' ? String(t) : formatServerTime(t, style === 'seconds')))),
    set: (v: string[]) => (cache = v),
  });
}

export function modalPeriod(time: Float64Array): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < Math.min(time.length, 2000); i++) {
    const d = time[i]! - time[i - 1]!;
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = 0, bestN = 0;
  for (const [d, c] of counts) if (c > bestN) { best = d; bestN = c; }
  return best;
}

/** Gaps: a distance between bars longer than the period that does not span a Saturday. */
export function findGaps(time: Float64Array, n: number, period: number): GapReport {
  const g: GapReport = { count: 0, missingBars: 0, largest: [], weekends: 0 };
  if (period <= 0) return g;
  for (let i = 1; i < n; i++) {
    const d = time[i]! - time[i - 1]!;
    if (d <= period) continue;
    // a Saturday lies between the two bars: days since 1970 (a Thursday) ≡ 2 mod 7
    const d0 = Math.floor(time[i - 1]! / 86400), d1 = Math.floor(time[i]! / 86400);
    let weekend = false;
    for (let day = d0; day <= d1 && !weekend; day++) weekend = (day + 4) % 7 === 6;
    if (weekend) { g.weekends++; continue; }
    const missing = Math.round(d / period) - 1;
    if (missing < 1) continue;
    g.count++;
    g.missingBars += missing;
    if (g.largest.length < 5 || missing > g.largest[g.largest.length - 1]!.missing) {
      g.largest.push({ from: time[i - 1]!, to: time[i]!, missing });
      g.largest.sort((a, b) => b.missing - a.missing);
      if (g.largest.length > 5) g.largest.pop();
    }
  }
  return g;
}

/** A slice of a series (shares no memory with the original). */
export function sliceBars(s: BarSeries, from: number, to = s.length): BarSeries {
  const cut = (a: Float64Array) => a.slice(from, to);
  const out: BarSeries = {
    time: cut(s.time), open: cut(s.open), high: cut(s.high), low: cut(s.low), close: cut(s.close),
    tickVolume: cut(s.tickVolume), spread: cut(s.spread), realVolume: cut(s.realVolume),
    timeText: [], length: Math.max(0, Math.min(to, s.length) - from), periodSec: s.periodSec, layout: s.layout,
    ...(s.format ? { format: s.format } : {}),
  };
  let cache: string[] | undefined;
  Object.defineProperty(out, 'timeText', { enumerable: false, configurable: true, get: () => (cache ??= s.timeText.slice(from, to)), set: (v: string[]) => (cache = v) });
  return out;
}

/** A server-time epoch second as `YYYY-MM-DD HH:MM:SS`, the broker time of the file with no zone shift. */
export function isoServerTime(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Format a server-time epoch second as MT5 does: 2019.02.15 14:00. */
export function formatServerTime(sec: number, withSeconds = false): string {
  const iso = new Date(sec * 1000).toISOString();
  const s = `${iso.slice(0, 4)}.${iso.slice(5, 7)}.${iso.slice(8, 10)} ${iso.slice(11, 16)}`;
  return withSeconds ? `${s}:${iso.slice(17, 19)}` : s;
}
