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
import { LAYOUT_HELP, Role, looksLikeHeader, planFromData, planFromHeader, type ColumnPlan } from './bars-layout.js';
import { findGaps, lazyTimeText, modalPeriod, type BarFormat, type BarSeries } from './bars-series.js';

export type { BarLayout } from './bars-layout.js';

export type { BarFormat, BarSeries, GapReport, TimeTextStyle } from './bars-series.js';
export { findGaps, formatServerTime, isoServerTime, sliceBars } from './bars-series.js';

export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { line: number; field?: string; message: string }[],
  ) {
    const shown = problems.slice(0, 10).map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.field ? `${p.field}: ` : ''}${p.message}`);
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
export interface ParseOptions {
  /** Read every line with the line reader (the reference the one-pass reader is tested against). */
  reference?: boolean;
}

/**
 * Parse bar text or bytes. All problems are collected (up to 1,000) and reported together with file, line and
 * field; nothing is returned unless the whole file is valid.
 */
export function parseBars(input: string | Uint8Array, file = '<input>', o: ParseOptions = {}): BarSeries {
  const { b, encoding } = toBytes(input);
  const f = planBytes(b, file);
  const decimalComma = f.dec && hasDecimalComma(b);
  // the one-pass reader for a file in which every line is a good bar; at anything else, the line reader, which
  // reports every problem with its line and field (and gives the same columns: tests/engine/bars-fast.test.ts)
  if (!o.reference) {
    const fast = new OnePassReader(f.plan.roles, f.sep, f.dec, estimateRows(b, f.rowsAt, b.length));
    if (fast.feed(b, f.rowsAt, b.length)) return seriesOf(fast.rows(), f, encoding, decimalComma, file);
  }
  return parseLines(b, f, encoding, decimalComma, file);
}

/** The one-pass reader alone: the series, or undefined where `parseBars` would go on to the line reader. */
export function parseBarsOnePass(input: string | Uint8Array, file = '<input>'): BarSeries | undefined {
  const { b, encoding } = toBytes(input);
  const f = planBytes(b, file);
  const fast = new OnePassReader(f.plan.roles, f.sep, f.dec, estimateRows(b, f.rowsAt, b.length));
  return fast.feed(b, f.rowsAt, b.length) ? seriesOf(fast.rows(), f, encoding, f.dec && hasDecimalComma(b), file) : undefined;
}

/** The line reader: every line on its own, every problem collected with its line and field. */
function parseLines(b: Uint8Array, f: FilePlan, encoding: BarFormat['encoding'], decimalComma: boolean, file: string): BarSeries {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const len = b.length;
  // one row per line at most: count the lines (memchr)
  let cap = 1;
  for (let i = buf.indexOf(10, f.rowsAt); i >= 0; i = buf.indexOf(10, i + 1)) cap++;
  const r = new RowReader(b, f.sepChar, f.plan.roles, f.plan.names, cap);
  let pos = f.rowsAt, lineNo = f.lineNo;
  while (pos < len) {
    let end = buf.indexOf(10, pos);
    if (end < 0) end = len;
    let e = end;
    if (e > pos && b[e - 1] === 13) e--;
    lineNo++;
    if (e > pos) r.row(pos, e, lineNo);
    pos = end + 1;
  }
  if (r.problems.length) throw new DataError(file, r.problems);
  return seriesOf({ cols: r.cols, count: r.count, secondsSeen: r.secondsSeen, lastTimeDigits: r.count > 0 && /^\d+$/.test(text(b, r.prevA, r.prevB)) }, f, encoding, decimalComma, file);
}

/** How a file is laid out, from its first non-empty line, and where its bars start. */
interface FilePlan {
  plan: ColumnPlan;
  sepChar: string;
  sep: number;
  dec: boolean;
  header: boolean;
  /** The line of the header (or of the first bar). */
  headerLine: number;
  /** Where the rows start, and the line before them. */
  rowsAt: number;
  lineNo: number;
  /** Whether the first non-empty line ended with a newline (else it runs to the end of the bytes). */
  complete: boolean;
  /** The symbol the first bar names, for a file with a symbol column. */
  symbol?: string;
}

function planBytes(b: Uint8Array, file: string): FilePlan {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const len = b.length;
  // the first non-empty line: the header, or the first bar of a file without one
  let pos = 0, lineNo = 0, headerText = '', complete = false;
  while (pos < len) {
    let end = buf.indexOf(10, pos);
    complete = end >= 0;
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
  let symbol: string | undefined;
  if (plan.symbolColumn !== undefined) {
    let end = buf.indexOf(10, pos);
    if (end < 0) end = len;
    symbol = text(b, pos, end).split(sepChar)[plan.symbolColumn]?.trim().replace(/^["']|["']$/g, '') || undefined;
  }
  return { plan, sepChar, sep: sepChar.charCodeAt(0), dec, header, headerLine, rowsAt: Math.min(pos, len), lineNo, complete, ...(symbol ? { symbol } : {}) };
}

/**
 * Rows to make room for: the bytes left over the average line length of the first 64 KB, with a margin. Memory
 * made room for but not written costs nothing (a page is mapped when first written); the reader grows if short.
 */
function estimateRows(b: Uint8Array, from: number, total: number): number {
  const end = Math.min(b.length, from + 65536);
  let lines = 0;
  for (let i = from; i < end; i++) if (b[i] === 10) lines++;
  const avg = lines > 0 ? (end - from) / lines : 16;
  return Math.ceil(((total - from) / Math.max(avg, 8)) * 1.25) + 16;
}

/** The series of the rows read; throws when there are none. */
function seriesOf(rows: Rows, f: FilePlan, encoding: BarFormat['encoding'], decimalComma: boolean, file: string): BarSeries {
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

const CHUNK = 1 << 20;

/**
 * Parse a bar file read a chunk at a time into one buffer reused (`read` fills the array it is given and returns
 * the bytes read, 0 at the end; `size` is the file's size): the one-pass reader only, so the file's bytes never
 * sit in memory whole. Undefined when the file needs more: not UTF-8, a line longer than a chunk, a line that is
 * not a good bar — then parse the whole bytes with `parseBars`, which reports every problem.
 */
export function parseBarChunks(read: (into: Uint8Array) => number, size: number, file: string, chunkBytes = CHUNK): BarSeries | undefined {
  const buf = Buffer.allocUnsafeSlow(chunkBytes);
  let have = 0, eof = false;
  const fill = () => {
    while (have < buf.length) {
      const n = read(buf.subarray(have));
      if (n <= 0) {
        eof = true;
        return;
      }
      have += n;
    }
  };
  fill();
  // UTF-16 (a BOM, or a NUL beside each ASCII character): the whole-file path converts it
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff) || (have >= 4 && buf[1] === 0 && buf[3] === 0 && buf[0] !== 0)) return undefined;
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  // a decimal comma: a comma in the first 4,096 bytes after the BOM (as hasDecimalComma), over chunks
  let comma = false, checked = 0;
  const checkComma = (from: number) => {
    for (let i = from; i < have && checked < 4096; i++, checked++) if (buf[i] === 44) comma = true;
  };
  checkComma(bom);
  const head = buf.subarray(bom, have);
  let f: FilePlan;
  try {
    f = planBytes(head, file);
  } catch (e) {
    if (eof) throw e;
    return undefined;
  }
  if (!eof && (!f.complete || f.rowsAt >= head.length)) return undefined;
  if (!eof && f.plan.symbolColumn !== undefined && head.indexOf(10, f.rowsAt) < 0) return undefined; // the first bar (its symbol) cut
  const r = new OnePassReader(f.plan.roles, f.sep, f.dec, estimateRows(head, f.rowsAt, size - bom));
  let pos = bom + f.rowsAt;
  for (;;) {
    const end = eof ? have : buf.lastIndexOf(10, have - 1) + 1;
    if (end <= pos && !eof) return undefined; // a line longer than a chunk
    if (!r.feed(buf, pos, end)) return undefined;
    if (eof) break;
    buf.copyWithin(0, end, have);
    have -= end;
    pos = 0;
    const kept = have;
    fill();
    checkComma(kept);
  }
  return seriesOf(r.rows(), f, bom ? 'utf-8 with BOM' : 'utf-8', f.dec && comma, file);
}

type Columns = Record<'time' | 'open' | 'high' | 'low' | 'close' | 'tickVolume' | 'spread' | 'realVolume', Float64Array>;

/** The rows read: the columns (sized to the line count) and what the series needs of the time texts. */
interface Rows {
  cols: Columns;
  count: number;
  secondsSeen: boolean;
  /** The last bar's time text is all digits (copy_rates' epoch seconds, kept so in `timeText`). */
  lastTimeDigits: boolean;
}

/** Eight columns of `cap` rows in one block of memory. */
function newColumns(cap: number): Columns {
  const block = new ArrayBuffer(cap * 8 * 8);
  let k = 0;
  const col = () => new Float64Array(block, cap * 8 * k++, cap);
  return { time: col(), open: col(), high: col(), low: col(), close: col(), tickVolume: col(), spread: col(), realVolume: col() };
}

/**
 * The one-pass reader: the rows of a planned file in a single loop over the bytes, for a file in which every line
 * is a good bar. Numbers of plain digits and one point are read inline; anything else in a number goes to `num`,
 * and every time field to the same readers as the line reader's, over the same bytes — so each value is the one
 * the line reader gives. `feed` returns false at the first line that is not a good bar (a bad field, too few
 * fields, a stray CR, a price check or the time order failing): the line reader then reads the file and reports.
 * Zero volumes and spreads are not written: fresh memory is zero, and a page never written is never mapped.
 */
class OnePassReader {
  readonly roles: Int32Array;
  readonly stamp: boolean;
  cols: Columns;
  cap: number;
  n = 0;
  prev = -Infinity;
  secondsSeen = false;
  lastTimeDigits = false;

  constructor(roles: Role[], readonly sep: number, readonly dec: boolean, cap: number) {
    this.roles = Int32Array.from(roles);
    this.stamp = roles.includes(Role.Stamp);
    this.cap = Math.max(1, cap);
    this.cols = newColumns(this.cap);
  }

  rows(): Rows {
    return { cols: this.cols, count: this.n, secondsSeen: this.secondsSeen, lastTimeDigits: this.lastTimeDigits };
  }

  private grow(): void {
    const old = this.cols;
    this.cap *= 2;
    this.cols = newColumns(this.cap);
    for (const k of Object.keys(old) as (keyof Columns)[]) this.cols[k].set(old[k].subarray(0, this.n));
  }

  /** Read the lines of b[i..len) (whole lines: `len` is after a newline or the end of the file). */
  feed(b: Uint8Array, i: number, len: number): boolean {
    const roles = this.roles, nf = roles.length, sep = this.sep, dec = this.dec;
    let { n, prev, secondsSeen } = this;
    let cols = this.cols;
    let T = cols.time, O = cols.open, H = cols.high, L = cols.low, C = cols.close, TV = cols.tickVolume, SP = cols.spread, RV = cols.realVolume;
    let lastA = -1, lastB = -1;
    while (i < len) {
      const c0 = b[i]!;
      if (c0 === 10) { i++; continue; } // an empty line
      if (c0 === 13 && (i + 1 === len || b[i + 1] === 10)) { i += 2; continue; }
      let day = NaN, tod = 0, t = NaN, o = NaN, h = NaN, l = NaN, c = NaN, tv = 0, rv = 0, sp = 0, ta = 0, tb = 0;
      let k = 0;
      for (;;) {
        const r = k < nf ? roles[k]! : Role.Skip;
        const p = i;
        if (r >= Role.Open) {
          // digits and at most one point; the counts from positions after the loop (no counters per byte)
          let m = 0, dot = -1;
          for (; i < len; i++) {
            const ch = b[i]!;
            const d = ch - 48;
            if (d >= 0 && d <= 9) m = m * 10 + d;
            else if ((ch === 46 || (dec && ch === 44)) && dot < 0) dot = i;
            else break;
          }
          const digits = i - p - (dot >= 0 ? 1 : 0), frac = dot >= 0 ? i - dot - 1 : -1;
          let v: number;
          const e = i < len ? b[i]! : 10;
          if ((e === sep || e === 10 || e === 13) && digits > 0 && digits <= 15) v = frac > 0 ? m / POW10[frac]! : m;
          else {
            while (i < len && b[i] !== sep && b[i] !== 10 && b[i] !== 13) i++;
            v = num(b, p, i, dec);
            if (v !== v) return false;
          }
          if (r === Role.Open) o = v;
          else if (r === Role.High) h = v;
          else if (r === Role.Low) l = v;
          else if (r === Role.Close) c = v;
          else if (r === Role.TickVolume) tv = v;
          else if (r === Role.RealVolume) rv = v;
          else sp = v;
        } else {
          while (i < len && b[i] !== sep && b[i] !== 10 && b[i] !== 13) i++;
          if (r === Role.Date || r === Role.Time) {
            let pp = p, qq = i;
            while (pp < qq && isSpace(b[pp])) pp++;
            while (qq > pp && isSpace(b[qq - 1])) qq--;
            if (r === Role.Date) {
              day = readDate(b, pp, qq);
              if (day === BAD_FORMAT || day === BAD_RANGE || at !== qq) return false;
            } else {
              tod = readTime(b, pp, qq);
              if (tod === BAD_FORMAT || tod === BAD_RANGE || at !== qq) return false;
              if (hadSeconds) secondsSeen = true;
            }
          } else if (r !== Role.Skip) {
            hadSeconds = false;
            const v = readDateTime(b, p, i, r === Role.Stamp);
            if (typeof v === 'string') return false;
            t = v;
            ta = p;
            tb = i;
            if (hadSeconds) secondsSeen = true;
          }
        }
        k++;
        if (i >= len) break;
        const e = b[i]!;
        if (e === sep) {
          i++;
          continue;
        }
        if (e === 10) i++;
        else if (i + 1 === len || b[i + 1] === 10) i += 2; // CR LF, or a CR ending the file
        else return false; // a CR inside a line
        break;
      }
      if (k < nf) return false;
      if (t !== t) t = day * 86400 + tod;
      if (!(o > 0 && h > 0 && l > 0 && c > 0) || h < o || h < c || h < l || l > o || l > c || !(t > prev)) return false;
      if (n === this.cap) {
        this.n = n;
        this.grow();
        cols = this.cols;
        [T, O, H, L, C, TV, SP, RV] = [cols.time, cols.open, cols.high, cols.low, cols.close, cols.tickVolume, cols.spread, cols.realVolume];
      }
      T[n] = t; O[n] = o; H[n] = h; L[n] = l; C[n] = c;
      // -0 is written (1 / -0 < 0): the column then holds what the file says
      if (tv !== 0 || 1 / tv < 0) TV[n] = tv;
      if (sp !== 0 || 1 / sp < 0) SP[n] = sp;
      if (rv !== 0 || 1 / rv < 0) RV[n] = rv;
      n++;
      prev = t;
      lastA = ta;
      lastB = tb;
    }
    if (this.stamp && lastA >= 0) this.lastTimeDigits = /^\d+$/.test(text(b, lastA, lastB));
    this.n = n;
    this.prev = prev;
    this.secondsSeen = secondsSeen;
    return true;
  }
}

/** Reads the rows of a planned file into growing columns; the per-line work in one small method the JIT optimises early. */
class RowReader {
  readonly roles: Int32Array;
  readonly nf: number;
  readonly need: number;
  readonly sep: number;
  readonly dec: boolean;
  readonly timeField: string;
  cols: Columns;
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
    this.cols = newColumns(cap);
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
