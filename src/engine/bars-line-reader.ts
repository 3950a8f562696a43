/**
 * The line reader: a bar file a line at a time, every field checked, every problem collected (up to 1,000) with its
 * line and field. The reference the one-pass reader is tested against, and the reader of any file the one-pass
 * reader gives up on (docs/data-formats.md). Pure.
 */
import { BAD_FORMAT, BAD_RANGE, FieldScan, isSpace, num, text, type TextEncoding } from './bars-fields.js';
import { DataError, Role, type FilePlan, type Problem } from './bars-layout.js';
import { newColumns, seriesOf, type BarSeries, type Columns } from './bars-series.js';

/** The line reader: every line on its own, every problem collected with its line and field. */
export function parseLines(b: Uint8Array, f: FilePlan, encoding: TextEncoding, decimalComma: boolean, file: string): BarSeries {
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
  /** The field readers' scratch (where a field ended, whether a time had seconds). */
  readonly scan = new FieldScan();

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
    const b = this.b, sep = this.sep, roles = this.roles, nf = this.nf, dec = this.dec, sc = this.scan;
    let p = start, k = 0;
    let day = NaN, tod = 0, t = NaN, o = NaN, h = NaN, l = NaN, c = NaN, tv = 0, rv = 0, sp = 0;
    let ta = 0, tb = 0, tc = 0, td = 0; // where the time text is (one or two fields)
    if (this.lineProblems.length) this.lineProblems = [];
    for (;;) {
      const r = k < nf ? roles[k]! : Role.Skip;
      let v = r >= Role.Open ? sc.fastNum(b, p, e, sep) : NaN;
      let q = p;
      if (v === v) q = sc.at;
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
        day = sc.date(b, pp, qq);
        ta = pp;
        tb = qq;
        if (day === BAD_FORMAT || sc.at !== qq) this.bad(lineNo, k, `date '${text(b, p, q)}' is not YYYY.MM.DD (or YYYY-MM-DD, DD.MM.YYYY, YYYYMMDD)`);
        else if (day === BAD_RANGE) this.bad(lineNo, k, `'${text(b, p, q)}' is not a valid date`);
      } else if (r === Role.Time) {
        let pp = p, qq = q;
        while (pp < qq && isSpace(b[pp])) pp++;
        while (qq > pp && isSpace(b[qq - 1])) qq--;
        tod = sc.time(b, pp, qq);
        tc = pp;
        td = qq;
        if (tod === BAD_FORMAT || sc.at !== qq) this.bad(lineNo, k, `time '${text(b, p, q)}' is not HH:MM or HH:MM:SS`);
        else if (tod === BAD_RANGE) this.bad(lineNo, k, `'${text(b, p, q)}' is not a valid time`);
        else if (sc.hadSeconds) this.secondsSeen = true;
      } else if (r === Role.DateTime || r === Role.Stamp) {
        sc.hadSeconds = false;
        const v = sc.dateTime(b, p, q, r === Role.Stamp);
        ta = p;
        tb = q;
        if (typeof v === 'string') this.bad(lineNo, k, v);
        else t = v;
        if (sc.hadSeconds) this.secondsSeen = true;
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
    if (!(o > 0 && h > 0 && l > 0 && c > 0)) {
      // the first price that is not, by its column (Int32Array's indexOf takes the role's number)
      const [role, v, what] = !(o > 0) ? [Role.Open, o, 'open'] : !(h > 0) ? [Role.High, h, 'high'] : !(l > 0) ? [Role.Low, l, 'low'] : [Role.Close, c, 'close'];
      return this.problem(lineNo, `${what} ${v} is not above 0: prices must be positive`, this.names[roles.indexOf(role)]);
    }
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
