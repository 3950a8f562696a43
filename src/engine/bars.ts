/**
 * Bar series and the parser for the bar files a trader has. Pure: text or bytes in, columns out.
 *
 * Columns are found by their header names (any case, with or without `<>`, in any order: bars-layout.ts), or
 * for a file without a header (MT4 History Center, HistData) by the first line's shape. Accepted: MT5 "Export
 * bars" (tabs or commas), MT5 copy_rates (epoch seconds), MT4 with or without the header, one DateTime column,
 * `;` separators with decimal commas, UTF-8 with or without a BOM, UTF-16 (LE/BE, Windows "Unicode text"),
 * CRLF, LF or CR alone. Dates YYYY.MM.DD / YYYY-MM-DD / YYYY/MM/DD / DD.MM.YYYY / YYYYMMDD; times HH:MM[:SS[.fff]] or HHMM[SS].
 * Times are broker server time, kept as seconds since 1970 as if that time were UTC (MT5's own convention).
 * The parser reads bytes (no string per line or field) — docs/data-formats.md. The parts: bars-layout.ts (which
 * column holds what, the plan of a file's bytes), bars-fields.ts (numbers, dates, times), bars-one-pass.ts (the
 * fast reader), bars-line-reader.ts (the reader that reports every problem), bars-series.ts (the series, its gaps).
 */
import { crOnly, toBytes } from './bars-fields.js';
import { estimateRows, hasDecimalComma, planBytes, type FilePlan } from './bars-layout.js';
import { parseLines } from './bars-line-reader.js';
import { OnePassReader } from './bars-one-pass.js';
import { seriesOf, type BarSeries } from './bars-series.js';

export type { BarLayout } from './bars-layout.js';
export { DataError } from './bars-layout.js';
export type { BarFormat, BarSeries, GapReport, TimeTextStyle } from './bars-series.js';
export { findGaps, formatServerTime, isoServerTime, sliceBars } from './bars-series.js';

/** How `parseBars` reads. */
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
  // lines ended by CR alone: the whole-file path reads them
  if (crOnly(buf.subarray(bom, have))) return undefined;
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
