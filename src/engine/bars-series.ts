/**
 * A bar series — columns of bar open times and prices as a file or the terminal gives them — and what works on one
 * whole: its period, its gaps, slices, and the formatting of its server times; and the series made of the rows a
 * reader read (bars-one-pass.ts, bars-line-reader.ts). Pure.
 */
import type { TextEncoding } from './bars-fields.js';
import { DataError, Role, type BarLayout, type FilePlan } from './bars-layout.js';

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
  encoding: TextEncoding;
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

/** The eight columns a reader fills. */
export type Columns = Record<'time' | 'open' | 'high' | 'low' | 'close' | 'tickVolume' | 'spread' | 'realVolume', Float64Array>;

/** The rows read: the columns (sized to the line count) and what the series needs of the time texts. */
export interface Rows {
  cols: Columns;
  count: number;
  secondsSeen: boolean;
  /** The last bar's time text is all digits (copy_rates' epoch seconds, kept so in `timeText`). */
  lastTimeDigits: boolean;
}

/** Eight columns of `cap` rows in one block of memory. */
export function newColumns(cap: number): Columns {
  const block = new ArrayBuffer(cap * 8 * 8);
  let k = 0;
  const col = () => new Float64Array(block, cap * 8 * k++, cap);
  return { time: col(), open: col(), high: col(), low: col(), close: col(), tickVolume: col(), spread: col(), realVolume: col() };
}

/** The series of the rows read; throws when there are none. */
export function seriesOf(rows: Rows, f: FilePlan, encoding: TextEncoding, decimalComma: boolean, file: string): BarSeries {
  const { count, cols } = rows;
  const { plan } = f;
  if (count === 0) throw new DataError(file, [{ line: f.headerLine, message: 'the file has a header but no bars' }]);
  const timeCol = plan.roles.findIndex((x) => x === Role.Date || x === Role.DateTime || x === Role.Stamp);
  // views, not copies
  const cut = (a: Float64Array) => a.subarray(0, count);
  const series = {
    time: cut(cols.time), open: cut(cols.open), high: cut(cols.high), low: cut(cols.low), close: cut(cols.close),
    tickVolume: cut(cols.tickVolume), spread: cut(cols.spread), realVolume: cut(cols.realVolume),
    length: count, periodSec: 0, layout: plan.layout,
    format: { encoding, separator: f.sepChar === '\t' ? 'tab' : f.sepChar, decimalComma, header: f.header, columns: plan.names, ignored: plan.ignored, timeText: 'minutes' },
  } as BarSeries;
  if (f.symbol) series.symbol = f.symbol;
  series.periodSec = modalPeriod(series.time);
  series.gaps = findGaps(series.time, count, series.periodSec);
  series.format!.timeText = plan.layout === 'mt5-copy-rates' && plan.roles[timeCol] === Role.Stamp && rows.lastTimeDigits ? 'epoch' : rows.secondsSeen ? 'seconds' : 'minutes';
  lazyTimeText(series, series.format!.timeText);
  return series;
}
