/**
 * Bar series and the parser for the bar files a trader has. Pure: text or bytes in, columns out.
 *
 * Columns are found by their header names (any case, with or without `<>`, in any order: bars-layout.ts), or
 * for a file without a header (MT4 History Center, HistData) by the first line's shape. Accepted: MT5 "Export
 * bars" (tabs or commas), MT5 copy_rates (epoch seconds), MT4 with or without the header, one DateTime column,
 * `;` separators with decimal commas, UTF-8 with or without a BOM, UTF-16 (LE/BE, Windows "Unicode text"),
 * CRLF. Dates YYYY.MM.DD / YYYY-MM-DD / YYYY/MM/DD / DD.MM.YYYY / YYYYMMDD; times HH:MM[:SS[.fff]] or HHMM[SS].
 * Times are broker server time, kept as seconds since 1970 as if that time were UTC (MT5's own convention).
 * The parser reads bytes (no string per line or field) — docs/data-formats.md.
 */
import { LAYOUT_HELP, Role, looksLikeHeader, planFromData, planFromHeader, type BarLayout } from './bars-layout.js';

export type { BarLayout } from './bars-layout.js';

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
}

/** Distances between bars longer than the bar period, weekends (a distance that spans a Saturday) apart. */
export interface GapReport {
  count: number;
  missingBars: number;
  /** The largest gaps, largest first (at most 5). */
  largest: { from: number; to: number; missing: number }[];
  /** Weekend closes seen (not gaps). */
  weekends: number;
}

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

type Problem = { line: number; field?: string; message: string };

/** Bytes of the text, whatever its encoding, as UTF-8 without a BOM. */
function toBytes(input: string | Uint8Array): { b: Uint8Array; encoding: BarFormat['encoding'] } {
  if (typeof input === 'string') {
    let s = input;
    let encoding: BarFormat['encoding'] = 'utf-8';
    if (s.charCodeAt(0) === 0xfeff) [s, encoding] = [s.slice(1), 'utf-8 with BOM'];
    // a UTF-16 file read as UTF-8: its BOM became U+FFFD and every ASCII character has a NUL beside it
    if (s.slice(0, 64).includes('\0')) [s, encoding] = [s.replace(/^\uFFFD+/, '').replace(/\0/g, ''), s.charCodeAt(2) === 0 ? 'utf-16be' : 'utf-16le'];
    return { b: Buffer.from(s, 'utf8'), encoding };
  }
  const b = input;
  if (b[0] === 0xff && b[1] === 0xfe) return { b: Buffer.from(Buffer.from(b.buffer, b.byteOffset + 2, b.length - 2).toString('utf16le'), 'utf8'), encoding: 'utf-16le' };
  if (b[0] === 0xfe && b[1] === 0xff) return { b: Buffer.from(Buffer.from(b.subarray(2)).swap16().toString('utf16le'), 'utf8'), encoding: 'utf-16be' };
  if (b.length >= 4 && b[1] === 0 && b[3] === 0 && b[0] !== 0) return { b: Buffer.from(Buffer.from(b.buffer, b.byteOffset, b.length & ~1).toString('utf16le'), 'utf8'), encoding: 'utf-16le' };
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { b: b.subarray(3), encoding: 'utf-8 with BOM' };
  return { b, encoding: 'utf-8' };
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const text = (b: Uint8Array, p: number, q: number) => Buffer.from(b.buffer, b.byteOffset + p, q - p).toString('utf8').trim();

/**
 * A decimal number from bytes p..q. Up to 15 significant digits it is the integer mantissa divided by an exact
 * power of ten: one correctly rounded division, so the same double as Number(text); longer or other forms
 * (exponents) go through Number. NaN when not a number.
 */
function num(b: Uint8Array, p: number, q: number, dec: boolean): number {
  while (p < q && (b[p] === 32 || b[p] === 34)) p++;
  while (q > p && (b[q - 1] === 32 || b[q - 1] === 34)) q--;
  const p0 = p;
  let neg = false;
  if (b[p] === 45) {
    neg = true;
    p++;
  }
  else if (b[p] === 43) p++;
  let m = 0, digits = 0, frac = -1;
  for (let i = p; i < q; i++) {
    const c = b[i]!;
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      m = m * 10 + d;
      digits++;
      if (frac >= 0) frac++;
    } else if ((c === 46 || (dec && c === 44)) && frac < 0) frac = 0;
    else return slowNum(b, p0, q, dec);
  }
  if (digits === 0) return NaN;
  if (digits > 15) return slowNum(b, p0, q, dec);
  const v = frac > 0 ? m / POW10[frac]! : m;
  return neg ? -v : v;
}

/** The common case in one pass: plain digits with a point, ending at the separator or the line's end; NaN otherwise. */
function fastNum(b: Uint8Array, p: number, e: number, sep: number): number {
  let m = 0, digits = 0, frac = -1, i = p;
  for (; i < e; i++) {
    const c = b[i]!;
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      m = m * 10 + d;
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else if (c === sep) break;
    else return NaN;
  }
  if (digits === 0 || digits > 15) return NaN;
  at = i;
  return frac > 0 ? m / POW10[frac]! : m;
}

function slowNum(b: Uint8Array, p: number, q: number, dec: boolean): number {
  let s = text(b, p, q);
  if (dec) s = s.replace(',', '.');
  return s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? NaN : Number(s);
}

/** Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Scratch for the date and time readers: where they stopped. */
let at = 0;
const BAD_FORMAT = -1e12, BAD_RANGE = -2e12;

/** A date at b[p..q) up to a space or `T`: days since 1970, or BAD_FORMAT / BAD_RANGE; `at` = where it ended. */
function readDate(b: Uint8Array, p: number, q: number): number {
  let g0 = 0, g1 = 0, g2 = 0, l0 = 0, l1 = 0, l2 = 0, k = 0, i = p;
  for (; i < q; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      if (k === 0) { g0 = g0 * 10 + c - 48; l0++; } else if (k === 1) { g1 = g1 * 10 + c - 48; l1++; } else { g2 = g2 * 10 + c - 48; l2++; }
    } else if ((c === 46 || c === 45 || c === 47) && k < 2 && (k === 0 ? l0 : l1) > 0) k++;
    else break;
  }
  at = i;
  let y: number, mo: number, d: number;
  if (k === 0 && l0 === 8) { y = Math.floor(g0 / 10000); mo = Math.floor(g0 / 100) % 100; d = g0 % 100; }
  else if (k === 2 && l0 === 4 && l1 <= 2 && l2 >= 1 && l2 <= 2) { y = g0; mo = g1; d = g2; }
  else if (k === 2 && l2 === 4 && l0 <= 2 && l1 <= 2 && b[p + l0] === 46) { y = g2; mo = g1; d = g0; }
  else return BAD_FORMAT;
  if (mo < 1 || mo > 12 || d < 1 || d > MONTH_DAYS[mo - 1]! + (mo === 2 && leap(y) ? 1 : 0)) return BAD_RANGE;
  if (y === lastY && mo === lastM) return lastMonthDay + d;
  lastY = y;
  lastM = mo;
  lastMonthDay = daysFromCivil(y, mo, 1) - 1;
  return lastMonthDay + d;
}
let lastY = 0, lastM = 0, lastMonthDay = 0;

/** A time of day at b[p..q): seconds, or BAD_FORMAT / BAD_RANGE; `at` = where it ended. Sets `hadSeconds`. */
let hadSeconds = false;
function readTime(b: Uint8Array, p: number, q: number): number {
  let g0 = 0, g1 = 0, g2 = 0, l0 = 0, l1 = 0, l2 = 0, k = 0, i = p;
  for (; i < q; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      if (k === 0) { g0 = g0 * 10 + c - 48; l0++; } else if (k === 1) { g1 = g1 * 10 + c - 48; l1++; } else { g2 = g2 * 10 + c - 48; l2++; }
    } else if (c === 58 && k < 2 && (k === 0 ? l0 : l1) > 0) k++;
    else break;
  }
  // fractions of a second (".000") are dropped: bars open on whole seconds
  if (b[i] === 46 && k === 2) for (i++; i < q && b[i]! >= 48 && b[i]! <= 57; i++);
  at = i;
  let h: number, mi: number, s = 0;
  if (k === 0 && (l0 === 4 || l0 === 6)) {
    hadSeconds = l0 === 6;
    const v = l0 === 4 ? g0 * 100 : g0;
    h = Math.floor(v / 10000); mi = Math.floor(v / 100) % 100; s = v % 100;
  } else if (k >= 1 && l0 <= 2 && l0 >= 1 && l1 === 2 && (k === 1 || l2 === 2)) {
    h = g0; mi = g1; s = k === 2 ? g2 : 0;
    hadSeconds = k === 2;
  } else return BAD_FORMAT;
  if (h > 23 || mi > 59 || s > 59) return BAD_RANGE;
  return h * 3600 + mi * 60 + s;
}

const isSpace = (c: number | undefined) => c === 32 || c === 34 || c === 9;

/** A date-time field (or a date alone): epoch seconds, or a message. Epoch digits when `stamp`. */
function readDateTime(b: Uint8Array, p: number, q: number, stamp: boolean): number | string {
  while (p < q && isSpace(b[p])) p++;
  while (q > p && isSpace(b[q - 1])) q--;
  if (stamp) {
    let i = p, v = 0;
    for (; i < q && b[i]! >= 48 && b[i]! <= 57; i++) v = v * 10 + b[i]! - 48;
    const n = i - p;
    if (i === q && n >= 9 && n <= 13) return n >= 12 ? Math.floor(v / 1000) : v;
  }
  const d = readDate(b, p, q);
  if (d === BAD_FORMAT || (at < q && b[at] !== 32 && b[at] !== 84)) return `'${text(b, p, q)}' is not a date and time (YYYY.MM.DD HH:MM[:SS], YYYY-MM-DDTHH:MM:SS, DD.MM.YYYY HH:MM, YYYYMMDD HHMMSS${stamp ? ' or epoch seconds' : ''})`;
  if (d === BAD_RANGE) return `'${text(b, p, q)}' is not a valid date`;
  if (at >= q) return d * 86400;
  const t = readTime(b, at + 1, q);
  if (t === BAD_FORMAT || (at < q && !(b[at] === 90 && at + 1 === q))) return `'${text(b, p, q)}' is not a date and time (YYYY.MM.DD HH:MM[:SS], YYYY-MM-DDTHH:MM:SS, DD.MM.YYYY HH:MM, YYYYMMDD HHMMSS)`;
  if (t === BAD_RANGE) return `'${text(b, p, q)}' is not a valid time`;
  return d * 86400 + t;
}

/**
 * Parse bar text or bytes. All problems are collected (up to 1,000) and reported together with file, line and
 * field; nothing is returned unless the whole file is valid.
 */
export function parseBars(input: string | Uint8Array, file = '<input>'): BarSeries {
  const { b, encoding } = toBytes(input);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const len = b.length;
  // the first non-empty line: the header, or the first bar of a file without one
  let pos = 0, lineNo = 0, headerText = '';
  while (pos < len) {
    let end = buf.indexOf(10, pos);
    if (end < 0) end = len;
    lineNo++;
    headerText = text(b, pos, end);
    pos = end + 1;
    if (headerText !== '') break;
  }
  if (headerText === '') throw new DataError(file, [{ line: 1, message: `the file is empty: ${LAYOUT_HELP}` }]);
  const headerLine = lineNo;
  const sepChar = headerText.includes('\t') ? '\t' : headerText.includes(';') ? ';' : ',';
  const dec = sepChar !== ',';
  const fields = headerText.split(sepChar);
  const header = looksLikeHeader(fields[0]!);
  const plan = header ? planFromHeader(fields) : planFromData(fields);
  if (typeof plan === 'string') {
    const sepName = sepChar === '\t' ? 'tabs' : `'${sepChar}'`;
    throw new DataError(file, [{
      line: headerLine,
      message: `unrecognised ${header ? 'header' : 'first line'} '${headerText.slice(0, 120)}': ${LAYOUT_HELP}. Saw ${fields.length} column(s) separated by ${sepName}${header ? ` named ${fields.map((f) => f.trim()).join(', ')}` : ''}: ${plan}`,
    }]);
  }
  if (!header) {
    pos = 0; // the first line is a bar
    lineNo = 0;
    while (pos < len && (b[pos] === 10 || b[pos] === 13 || b[pos] === 32)) {
      if (b[pos] === 10) lineNo++;
      pos++;
    }
  }
  // one row per line at most: count the lines (memchr) rather than guess, as fresh memory costs a page fault a 4 KB
  let cap = 1;
  for (let i = buf.indexOf(10, pos); i >= 0; i = buf.indexOf(10, i + 1)) cap++;
  const r = new RowReader(b, sepChar, plan.roles, plan.names, cap);
  while (pos < len) {
    let end = buf.indexOf(10, pos);
    if (end < 0) end = len;
    let e = end;
    if (e > pos && b[e - 1] === 13) e--;
    lineNo++;
    if (e > pos) r.row(pos, e, lineNo);
    pos = end + 1;
  }
  const { problems, count, cols, names } = r;
  const timeCol = plan.roles.findIndex((x) => x === Role.Date || x === Role.DateTime || x === Role.Stamp);
  if (problems.length) throw new DataError(file, problems);
  if (count === 0) throw new DataError(file, [{ line: headerLine, message: 'the file has a header but no bars' }]);
  // views, not copies: the columns were sized to the line count
  const cut = (a: Float64Array) => a.subarray(0, count);
  const series = {
    time: cut(cols.time), open: cut(cols.open), high: cut(cols.high), low: cut(cols.low), close: cut(cols.close),
    tickVolume: cut(cols.tickVolume), spread: cut(cols.spread), realVolume: cut(cols.realVolume),
    length: count, periodSec: 0, layout: plan.layout,
    format: { encoding, separator: sepChar === '\t' ? 'tab' : sepChar, decimalComma: dec && hasDecimalComma(b), header, columns: names, ignored: plan.ignored },
  } as BarSeries;
  series.periodSec = modalPeriod(series.time);
  series.gaps = findGaps(series.time, count, series.periodSec);
  lazyTimeText(series, plan.layout === 'mt5-copy-rates' && plan.roles[timeCol] === Role.Stamp && /^\d+$/.test(text(b, r.prevA, r.prevB)) ? 'epoch' : r.secondsSeen ? 'seconds' : 'minutes');
  return series;
}

/** Reads the rows of a planned file into growing columns; the per-line work in one small method the JIT optimises early. */
class RowReader {
  readonly roles: Int32Array;
  readonly nf: number;
  readonly need: number;
  readonly sep: number;
  readonly dec: boolean;
  readonly timeField: string;
  cols: Record<'time' | 'open' | 'high' | 'low' | 'close' | 'tickVolume' | 'spread' | 'realVolume', Float64Array>;
  cap: number;
  count = 0;
  problems: Problem[] = [];
  lineProblems: Problem[] = [];
  prevLine = 0; prevA = 0; prevB = 0; prevC = 0; prevD = 0;
  secondsSeen = false;

  constructor(readonly b: Uint8Array, readonly sepChar: string, roles: Role[], readonly names: string[], cap: number) {
    this.roles = Int32Array.from(roles);
    this.nf = roles.length;
    this.need = Math.max(...roles.map((x, k) => (x === Role.Skip ? 0 : k + 1)));
    this.sep = sepChar.charCodeAt(0);
    this.dec = sepChar !== ',';
    this.timeField = names[roles.findIndex((x) => x === Role.Date || x === Role.DateTime || x === Role.Stamp)]!;
    this.cap = cap;
    // one block for the eight columns
    const block = new ArrayBuffer(cap * 8 * 8);
    let k = 0;
    const col = () => new Float64Array(block, cap * 8 * k++, cap);
    this.cols = { time: col(), open: col(), high: col(), low: col(), close: col(), tickVolume: col(), spread: col(), realVolume: col() };
  }

  problem(line: number, message: string, field?: string): void {
    if (this.problems.length < 1000) this.problems.push(field === undefined ? { line, message } : { line, field, message });
  }

  bad(line: number, k: number, message: string): void {
    this.lineProblems.push({ line, field: this.names[k]!, message });
  }

  grow(): void {
    this.cap *= 2;
    for (const key of Object.keys(this.cols) as (keyof RowReader['cols'])[]) {
      const a = new Float64Array(this.cap);
      a.set(this.cols[key]);
      this.cols[key] = a;
    }
  }

  row(start: number, e: number, lineNo: number): void {
    const b = this.b, sep = this.sep, roles = this.roles, nf = this.nf, dec = this.dec;
    let p = start, k = 0;
    let day = NaN, tod = 0, t = NaN, o = NaN, h = NaN, l = NaN, c = NaN, tv = 0, rv = 0, sp = 0;
    let ta = 0, tb = 0, tc = 0, td = 0; // where the time text is (one or two fields)
    if (this.lineProblems.length) this.lineProblems = [];
    for (;;) {
      const r = k < nf ? roles[k]! : Role.Skip;
      let v = r >= Role.Open ? fastNum(b, p, e, sep) : NaN;
      let q = p;
      if (v === v) q = at;
      else while (q < e && b[q] !== sep) q++;
      if (r >= Role.Open) {
        if (v !== v) v = num(b, p, q, dec);
        if (v !== v) this.bad(lineNo, k, `'${text(b, p, q)}' is not a number`);
        else if (r === Role.Open) o = v;
        else if (r === Role.High) h = v;
        else if (r === Role.Low) l = v;
        else if (r === Role.Close) c = v;
        else if (r === Role.TickVolume) tv = v;
        else if (r === Role.RealVolume) rv = v;
        else sp = v;
      } else if (r === Role.Date) {
        let pp = p, qq = q;
        while (pp < qq && isSpace(b[pp])) pp++;
        while (qq > pp && isSpace(b[qq - 1])) qq--;
        day = readDate(b, pp, qq);
        ta = pp;
        tb = qq;
        if (day === BAD_FORMAT || at !== qq) this.bad(lineNo, k, `date '${text(b, p, q)}' is not YYYY.MM.DD (or YYYY-MM-DD, DD.MM.YYYY, YYYYMMDD)`);
        else if (day === BAD_RANGE) this.bad(lineNo, k, `'${text(b, p, q)}' is not a valid date`);
      } else if (r === Role.Time) {
        let pp = p, qq = q;
        while (pp < qq && isSpace(b[pp])) pp++;
        while (qq > pp && isSpace(b[qq - 1])) qq--;
        tod = readTime(b, pp, qq);
        tc = pp;
        td = qq;
        if (tod === BAD_FORMAT || at !== qq) this.bad(lineNo, k, `time '${text(b, p, q)}' is not HH:MM or HH:MM:SS`);
        else if (tod === BAD_RANGE) this.bad(lineNo, k, `'${text(b, p, q)}' is not a valid time`);
        else if (hadSeconds) this.secondsSeen = true;
      } else if (r === Role.DateTime || r === Role.Stamp) {
        hadSeconds = false;
        const v = readDateTime(b, p, q, r === Role.Stamp);
        ta = p;
        tb = q;
        if (typeof v === 'string') this.bad(lineNo, k, v);
        else t = v;
        if (hadSeconds) this.secondsSeen = true;
      }
      k++;
      if (q >= e) break;
      p = q + 1;
    }
    if (k < this.need) {
      // a line of spaces is an empty line
      if (k === 1 && text(b, start, e) === '') return;
      this.problem(lineNo, `expected ${nf} fields (${this.names.join(this.sepChar === '\t' ? ' ' : this.sepChar)}), found ${k}`);
      return;
    }
    if (this.lineProblems.length) {
      for (const x of this.lineProblems) this.problem(x.line, x.message, x.field);
      return;
    }
    if (t !== t) t = day * 86400 + tod;
    if (!(o > 0 && h > 0 && l > 0 && c > 0)) return this.problem(lineNo, 'prices must be positive');
    if (h < Math.max(o, c, l)) return this.problem(lineNo, `high ${h} is below open/close/low`, this.names[roles.indexOf(Role.High)]);
    if (l > Math.min(o, c, h)) return this.problem(lineNo, `low ${l} is above open/close/high`, this.names[roles.indexOf(Role.Low)]);
    const n = this.count;
    let cols = this.cols;
    if (n > 0 && t <= cols.time[n - 1]!) {
      const tt = (a: number, bb: number, cc: number, dd: number) => text(b, a, bb) + (dd > cc ? ` ${text(b, cc, dd)}` : '');
      return this.problem(lineNo, `time ${tt(ta, tb, tc, td)} is not after the previous bar's ${tt(this.prevA, this.prevB, this.prevC, this.prevD)} (line ${this.prevLine}): bars must be in time order without duplicates`, this.timeField);
    }
    this.prevA = ta; this.prevB = tb; this.prevC = tc; this.prevD = td; this.prevLine = lineNo;
    if (n === this.cap) {
      this.grow();
      cols = this.cols;
    }
    cols.time[n] = t; cols.open[n] = o; cols.high[n] = h; cols.low[n] = l; cols.close[n] = c;
    cols.tickVolume[n] = tv; cols.spread[n] = sp; cols.realVolume[n] = rv;
    this.count = n + 1;
  }
}

function hasDecimalComma(b: Uint8Array): boolean {
  return Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 4096)).includes(44);
}

/** `timeText`, built from `time` when first read (a million strings cost more than parsing the file). */
function lazyTimeText(s: BarSeries, style: 'epoch' | 'seconds' | 'minutes'): void {
  let cache: string[] | undefined;
  Object.defineProperty(s, 'timeText', {
    enumerable: false, configurable: true,
    get: () => (cache ??= Array.from(s.time.subarray(0, s.length), (t) => (style === 'epoch' ? String(t) : formatServerTime(t, style === 'seconds')))),
    set: (v: string[]) => (cache = v),
  });
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
