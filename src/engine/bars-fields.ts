/**
 * The fields of a bar file read from its bytes: the text's encoding turned into UTF-8 bytes, decimal numbers,
 * dates, times and date-times. Pure. The date and time readers keep their scratch — where they stopped, whether
 * a time had seconds, the last month seen — in a `FieldScan` each reader owns (docs/data-formats.md).
 */
/** How a bar file's text is encoded. */
export type TextEncoding = 'utf-8' | 'utf-8 with BOM' | 'utf-16le' | 'utf-16be';

/** Bytes of the text, whatever its encoding, as UTF-8 without a BOM. */
/**
 * A file whose lines end in CR alone (classic Mac OS exports): a CR and no LF in its first 64 KB. Such a file is
 * read with each CR taken as a line end (`withLineFeeds`); the readers split lines at LF.
 */
export function crOnly(b: Uint8Array): boolean {
  const head = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 65536));
  return head.includes(13) && !head.includes(10);
}

/** A copy of the bytes with every CR turned into an LF. */
export function withLineFeeds(b: Uint8Array): Uint8Array {
  const c = Buffer.from(b);
  for (let i = c.indexOf(13); i >= 0; i = c.indexOf(13, i + 1)) c[i] = 10;
  return c;
}

export function toBytes(input: string | Uint8Array): { b: Uint8Array; encoding: TextEncoding } {
  const r = decode(input);
  return crOnly(r.b) ? { b: withLineFeeds(r.b), encoding: r.encoding } : r;
}

function decode(input: string | Uint8Array): { b: Uint8Array; encoding: TextEncoding } {
  if (typeof input === 'string') {
    let s = input;
    let encoding: TextEncoding = 'utf-8';
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

export const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** The text of bytes p..q, trimmed (for messages and the rare slow path). */
export const text = (b: Uint8Array, p: number, q: number) => Buffer.from(b.buffer, b.byteOffset + p, q - p).toString('utf8').trim();

/** A space, a quote or a tab: trimmed around a date or time field. */
export const isSpace = (c: number | undefined) => c === 32 || c === 34 || c === 9;

/**
 * A decimal number from bytes p..q. Up to 15 significant digits it is the integer mantissa divided by an exact
 * power of ten: one correctly rounded division, so the same double as Number(text); longer or other forms
 * (exponents) go through Number. NaN when not a number.
 */
export function num(b: Uint8Array, p: number, q: number, dec: boolean): number {
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

function slowNum(b: Uint8Array, p: number, q: number, dec: boolean): number {
  let s = text(b, p, q);
  if (dec) s = s.replace(',', '.');
  return s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? NaN : Number(s);
}

/** Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two ASCII digits at b[p] as a number, or -1. */
function two(b: Uint8Array, p: number): number {
  const x = b[p]! - 48, y = b[p + 1]! - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/** What a date or time reader returns for a field of the wrong shape, and for one out of range (a 31st of February). */
export const BAD_FORMAT = -1e12, BAD_RANGE = -2e12;

/**
 * The date, time and number readers with their scratch: one per reader of a file (nothing shared between files
 * or readers). After each read `at` is where the field's text ended; after a time, `hadSeconds` says whether it
 * had seconds. The last month seen is kept: a file's dates run month by month.
 */
export class FieldScan {
  /** Where the last read stopped. */
  at = 0;
  /** Whether the last time read had seconds. */
  hadSeconds = false;
  private lastY = 0;
  private lastM = 0;
  /**
   * Days to the last month's start. Begun at 0.5 (never read: it is set with the month) so the engine keeps it as a
   * double: a bar time, days × 86,400, passes 2^31 in 2038, and integer code compiled for earlier times would be
   * thrown away there.
   */
  private lastMonthDay = 0.5;
  private monthDays = 0;

  /** The common number in one pass: plain digits with a point, ending at the separator or the line's end; NaN otherwise. */
  fastNum(b: Uint8Array, p: number, e: number, sep: number): number {
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
    this.at = i;
    return frac > 0 ? m / POW10[frac]! : m;
  }

  /** A date at b[p..q) up to a space or `T`: days since 1970, or BAD_FORMAT / BAD_RANGE. */
  date(b: Uint8Array, p: number, q: number): number {
    let g0 = 0, g1 = 0, g2 = 0, l0 = 0, l1 = 0, l2 = 0, k = 0, i = p;
    for (; i < q; i++) {
      const c = b[i]!;
      if (c >= 48 && c <= 57) {
        if (k === 0) { g0 = g0 * 10 + c - 48; l0++; } else if (k === 1) { g1 = g1 * 10 + c - 48; l1++; } else { g2 = g2 * 10 + c - 48; l2++; }
      } else if ((c === 46 || c === 45 || c === 47) && k < 2 && (k === 0 ? l0 : l1) > 0) k++;
      else break;
    }
    this.at = i;
    let y: number, mo: number, d: number;
    if (k === 0 && l0 === 8) { y = Math.floor(g0 / 10000); mo = Math.floor(g0 / 100) % 100; d = g0 % 100; }
    else if (k === 2 && l0 === 4 && l1 <= 2 && l2 >= 1 && l2 <= 2) { y = g0; mo = g1; d = g2; }
    else if (k === 2 && l2 === 4 && l0 <= 2 && l1 <= 2 && b[p + l0] === 46) { y = g2; mo = g1; d = g0; }
    else return BAD_FORMAT;
    return this.day(y, mo, d);
  }

  /** Days since 1970 of a civil date, or BAD_RANGE. */
  day(y: number, mo: number, d: number): number {
    if (y !== this.lastY || mo !== this.lastM) {
      if (mo < 1 || mo > 12) return BAD_RANGE;
      // the leap day by arithmetic every month takes: a branch first taken in a file's first February would reach
      // code the JIT compiled without seeing it run, and it would throw the compiled reader away
      const leapDay = +(y % 4 === 0) - +(y % 100 === 0) + +(y % 400 === 0);
      this.lastY = y;
      this.lastM = mo;
      this.lastMonthDay = daysFromCivil(y, mo, 1) - 1;
      this.monthDays = MONTH_DAYS[mo - 1]! + (mo === 2 ? leapDay : 0);
    }
    if (d < 1 || d > this.monthDays) return BAD_RANGE;
    return this.lastMonthDay + d;
  }

  /**
   * The fixed shape most files write, `YYYY.MM.DD` (or with `-` or `/`), at b[p] and ending at `sep`, a line's end
   * or `len`: days since 1970 (the value `date` gives), or BAD_RANGE; NaN when the field is not of that shape (then
   * read it with `date`). `at` = where it ended.
   */
  fixedDate(b: Uint8Array, p: number, len: number, sep: number): number {
    const q = p + 10;
    if (q > len) return NaN;
    const s = b[p + 4]!;
    if ((s !== 46 && s !== 45 && s !== 47) || b[p + 7] !== s) return NaN;
    const e = q === len ? 10 : b[q]!;
    if (e !== sep && e !== 10 && e !== 13) return NaN;
    const y0 = two(b, p), y1 = two(b, p + 2), mo = two(b, p + 5), d = two(b, p + 8);
    if ((y0 | y1 | mo | d) < 0) return NaN;
    this.at = q;
    return this.day(y0 * 100 + y1, mo, d);
  }

  /**
   * The fixed shapes `HH:MM:SS` and `HH:MM` at b[p], ending at `sep`, a line's end or `len`: seconds of the day (the
   * value `time` gives), or BAD_RANGE; NaN when the field is not of those shapes (then read it with `time`). Sets
   * `at` and `hadSeconds`.
   */
  fixedTime(b: Uint8Array, p: number, len: number, sep: number): number {
    if (p + 5 > len || b[p + 2] !== 58) return NaN;
    const secs = p + 8 <= len && b[p + 5] === 58;
    const q = secs ? p + 8 : p + 5;
    const e = q === len ? 10 : b[q]!;
    if (e !== sep && e !== 10 && e !== 13) return NaN;
    const h = two(b, p), mi = two(b, p + 3), s = secs ? two(b, p + 6) : 0;
    if ((h | mi | s) < 0) return NaN;
    this.at = q;
    this.hadSeconds = secs;
    return h > 23 || mi > 59 || s > 59 ? BAD_RANGE : h * 3600 + mi * 60 + s;
  }

  /** A time of day at b[p..q): seconds, or BAD_FORMAT / BAD_RANGE. Sets `hadSeconds`. */
  time(b: Uint8Array, p: number, q: number): number {
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
    this.at = i;
    let h: number, mi: number, s = 0;
    if (k === 0 && (l0 === 4 || l0 === 6)) {
      this.hadSeconds = l0 === 6;
      const v = l0 === 4 ? g0 * 100 : g0;
      h = Math.floor(v / 10000); mi = Math.floor(v / 100) % 100; s = v % 100;
    } else if (k >= 1 && l0 <= 2 && l0 >= 1 && l1 === 2 && (k === 1 || l2 === 2)) {
      h = g0; mi = g1; s = k === 2 ? g2 : 0;
      this.hadSeconds = k === 2;
    } else return BAD_FORMAT;
    if (h > 23 || mi > 59 || s > 59) return BAD_RANGE;
    return h * 3600 + mi * 60 + s;
  }

  /** A date-time field (or a date alone): epoch seconds, or a message. Epoch digits when `stamp`. */
  dateTime(b: Uint8Array, p: number, q: number, stamp: boolean): number | string {
    while (p < q && isSpace(b[p])) p++;
    while (q > p && isSpace(b[q - 1])) q--;
    if (stamp) {
      let i = p, v = 0;
      for (; i < q && b[i]! >= 48 && b[i]! <= 57; i++) v = v * 10 + b[i]! - 48;
      const n = i - p;
      if (i === q && n >= 9 && n <= 13) return n >= 12 ? Math.floor(v / 1000) : v;
    }
    const d = this.date(b, p, q);
    if (d === BAD_FORMAT || (this.at < q && b[this.at] !== 32 && b[this.at] !== 84)) return `'${text(b, p, q)}' is not a date and time (YYYY.MM.DD HH:MM[:SS], YYYY-MM-DDTHH:MM:SS, DD.MM.YYYY HH:MM, YYYYMMDD HHMMSS${stamp ? ' or epoch seconds' : ''})`;
    if (d === BAD_RANGE) return `'${text(b, p, q)}' is not a valid date`;
    if (this.at >= q) return d * 86400;
    const t = this.time(b, this.at + 1, q);
    if (t === BAD_FORMAT || (this.at < q && !(b[this.at] === 90 && this.at + 1 === q))) return `'${text(b, p, q)}' is not a date and time (YYYY.MM.DD HH:MM[:SS], YYYY-MM-DDTHH:MM:SS, DD.MM.YYYY HH:MM, YYYYMMDD HHMMSS)`;
    if (t === BAD_RANGE) return `'${text(b, p, q)}' is not a valid time`;
    return d * 86400 + t;
  }
}
