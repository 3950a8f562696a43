/**
 * Bar series and the parsers for MT5 / MT4 bar exports. Pure: text in, columns out.
 *
 * Accepted layouts (header line required, detected from it):
 *  - MT5 "Export bars", tab- or comma-separated: <DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>
 *    (a mislabelled close column such as "Adj Close" is mapped by position)
 *  - MT5 copy_rates: time(epoch s),open,high,low,close,tick_volume,spread,real_volume
 *  - MT4 style: Date,Time,Open,High,Low,Close,Volume
 * Times are broker server time, kept as seconds since 1970 as if that time were UTC (MT5's own convention).
 */

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
  /** Time column(s) exactly as written in the file, for output that a trader diffs against the export. */
  timeText: string[];
  length: number;
  /** The most common distance between bars, in seconds. */
  periodSec: number;
  layout: BarLayout;
}

export type BarLayout = 'mt5-export' | 'mt5-copy-rates' | 'mt4';

export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { line: number; field?: string; message: string }[],
  ) {
    const shown = problems.slice(0, 10).map((p) => `${file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`);
    if (problems.length > 10) shown.push(`… and ${problems.length - 10} more problems`);
    super(shown.join('\n'));
    this.name = 'DataError';
  }
}

const LAYOUT_HELP =
  'expected one of: MT5 "Export bars" (<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>, tabs or commas), ' +
  'MT5 copy_rates (time,open,high,low,close,tick_volume,spread,real_volume), MT4 (Date,Time,Open,High,Low,Close,Volume)';

interface LayoutDef {
  layout: BarLayout;
  /** Column names for messages. */
  cols: string[];
  min: number;
}

function detect(header: string[]): LayoutDef | null {
  const h = header.map((c) => c.trim().replace(/^<|>$/g, '').toLowerCase());
  if (h[0] === 'date' && h[1] === 'time' && h.length >= 9 && h[6] === 'tickvol') {
    return { layout: 'mt5-export', cols: ['<DATE>', '<TIME>', '<OPEN>', '<HIGH>', '<LOW>', '<CLOSE>', '<TICKVOL>', '<VOL>', '<SPREAD>'], min: 9 };
  }
  if (h[0] === 'time' && h[1] === 'open' && h[4] === 'close' && h.length >= 8) {
    return { layout: 'mt5-copy-rates', cols: ['time', 'open', 'high', 'low', 'close', 'tick_volume', 'spread', 'real_volume'], min: 8 };
  }
  if (h[0] === 'date' && h[1] === 'time' && h[2] === 'open' && h[5] === 'close' && h.length >= 7) {
    return { layout: 'mt4', cols: ['Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume'], min: 7 };
  }
  return null;
}

const DATE_RE = /^(\d{4})[.\-/](\d{2})[.\-/](\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

function parseDateTime(date: string, time: string): number | string {
  const d = DATE_RE.exec(date);
  if (!d) return `date '${date}' is not YYYY.MM.DD`;
  const t = TIME_RE.exec(time);
  if (!t) return `time '${time}' is not HH:MM or HH:MM:SS`;
  const [y, mo, da] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const [hh, mi, ss] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
  if (mo < 1 || mo > 12 || da < 1 || da > 31 || hh > 23 || mi > 59 || ss > 59) return `'${date} ${time}' is not a valid date and time`;
  const ms = Date.UTC(y, mo - 1, da, hh, mi, ss);
  if (new Date(ms).getUTCDate() !== da) return `'${date}' is not a valid date`;
  return ms / 1000;
}

/**
 * Parse bar text. All problems are collected (up to 1,000) and reported together with file, line and field;
 * nothing is returned unless the whole file is valid.
 */
export function parseBars(text: string, file = '<input>'): BarSeries {
  const lines = text.split(/\r?\n/);
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  const headerLine = (lines[first] ?? '').replace(/^\uFEFF/, '');
  const sep = headerLine.includes('\t') ? '\t' : ',';
  const def = detect(headerLine.split(sep));
  if (!def) throw new DataError(file, [{ line: first + 1, message: `unrecognised header '${headerLine.slice(0, 120)}': ${LAYOUT_HELP}` }]);
  const n = lines.length;
  const cols = {
    time: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n),
    close: new Float64Array(n), tickVolume: new Float64Array(n), spread: new Float64Array(n), realVolume: new Float64Array(n),
  };
  const timeText: string[] = [];
  const problems: { line: number; field?: string; message: string }[] = [];
  const problem = (line: number, message: string, field?: string) => {
    if (problems.length < 1000) problems.push(field === undefined ? { line, message } : { line, field, message });
  };
  let count = 0;
  for (let i = first + 1; i < n; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const lineNo = i + 1;
    const f = raw.split(sep);
    if (f.length < def.min) {
      problem(lineNo, `expected ${def.min} fields (${def.cols.join(sep === '\t' ? ' ' : ',')}), found ${f.length}`);
      continue;
    }
    let t: number | string;
    let text: string;
    let o: number;
    if (def.layout === 'mt5-copy-rates') {
      text = f[0]!.trim();
      t = /^\d+$/.test(text) ? Number(text) : `'${text}' is not an integer epoch time in seconds`;
      o = 1;
    } else {
      text = `${f[0]!.trim()} ${f[1]!.trim()}`;
      t = parseDateTime(f[0]!.trim(), f[1]!.trim());
      o = 2;
    }
    if (typeof t === 'string') {
      problem(lineNo, t, def.cols[0]);
      continue;
    }
    const num = (k: number): number => {
      const s = f[k]!.trim();
      const v = s === '' ? NaN : Number(s);
      if (!Number.isFinite(v)) problem(lineNo, `'${s}' is not a number`, def.cols[k]);
      return v;
    };
    const open = num(o), high = num(o + 1), low = num(o + 2), close = num(o + 3);
    let tickVolume: number, spread: number, realVolume: number;
    if (def.layout === 'mt5-export') {
      tickVolume = num(6); realVolume = num(7); spread = num(8);
    } else if (def.layout === 'mt5-copy-rates') {
      tickVolume = num(5); spread = num(6); realVolume = num(7);
    } else {
      tickVolume = num(6); spread = 0; realVolume = 0;
    }
    if (![open, high, low, close, tickVolume, spread, realVolume].every(Number.isFinite)) continue;
    if (!(open > 0 && high > 0 && low > 0 && close > 0)) { problem(lineNo, 'prices must be positive'); continue; }
    if (high < Math.max(open, close, low)) { problem(lineNo, `high ${high} is below open/close/low`, def.cols[o + 1]); continue; }
    if (low > Math.min(open, close, high)) { problem(lineNo, `low ${low} is above open/close/high`, def.cols[o + 2]); continue; }
    if (count > 0 && t <= cols.time[count - 1]!) {
      problem(lineNo, `time ${text} is not after the previous bar's ${timeText[count - 1]}: bars must be in time order without duplicates`, def.cols[0]);
      continue;
    }
    cols.time[count] = t; cols.open[count] = open; cols.high[count] = high; cols.low[count] = low; cols.close[count] = close;
    cols.tickVolume[count] = tickVolume; cols.spread[count] = spread; cols.realVolume[count] = realVolume;
    timeText.push(text);
    count++;
  }
  if (problems.length) throw new DataError(file, problems);
  if (count === 0) throw new DataError(file, [{ line: first + 1, message: 'the file has a header but no bars' }]);
  const cut = (a: Float64Array) => a.slice(0, count);
  const series: BarSeries = {
    time: cut(cols.time), open: cut(cols.open), high: cut(cols.high), low: cut(cols.low), close: cut(cols.close),
    tickVolume: cut(cols.tickVolume), spread: cut(cols.spread), realVolume: cut(cols.realVolume),
    timeText, length: count, periodSec: 0, layout: def.layout,
  };
  series.periodSec = modalPeriod(series.time);
  return series;
}

function modalPeriod(time: Float64Array): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < Math.min(time.length, 2000); i++) {
    const d = time[i]! - time[i - 1]!;
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = 0, bestN = 0;
  for (const [d, c] of counts) if (c > bestN) { best = d; bestN = c; }
  return best;
}

/** A slice of a series (shares no memory with the original). */
export function sliceBars(s: BarSeries, from: number, to = s.length): BarSeries {
  const cut = (a: Float64Array) => a.slice(from, to);
  return {
    time: cut(s.time), open: cut(s.open), high: cut(s.high), low: cut(s.low), close: cut(s.close),
    tickVolume: cut(s.tickVolume), spread: cut(s.spread), realVolume: cut(s.realVolume),
    timeText: s.timeText.slice(from, to), length: Math.max(0, Math.min(to, s.length) - from), periodSec: s.periodSec, layout: s.layout,
  };
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
