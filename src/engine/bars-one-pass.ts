/**
 * The one-pass reader: the rows of a planned bar file in a single loop over its bytes, for a file in which every
 * line is a good bar (the line reader reads any other and reports its problems). Pure.
 */
import { BAD_FORMAT, BAD_RANGE, FieldScan, POW10, isSpace, num, text } from './bars-fields.js';
import { Role } from './bars-layout.js';
import { newColumns, type Columns, type Rows } from './bars-series.js';

/**
 * The one-pass reader: the rows of a planned file in a single loop over the bytes, for a file in which every line
 * is a good bar. Numbers of plain digits and one point are read inline; anything else in a number goes to `num`;
 * dates and times of the fixed shapes most files write are read by position, any other time field with the line
 * reader's own readers — so each value is the one the line reader gives (tests/engine/bars-fast.test.ts). `feed` returns false at the first line that is not a good bar (a bad field, too few
 * fields, a stray CR, a price check or the time order failing): the line reader then reads the file and reports.
 * Zero volumes and spreads are not written: fresh memory is zero, and a page never written is never mapped.
 */
export class OnePassReader {
  readonly roles: Int32Array;
  readonly stamp: boolean;
  cols: Columns;
  cap: number;
  n = 0;
  prev = -Infinity;
  secondsSeen = false;
  lastTimeDigits = false;
  private started = false;
  /** The field readers' scratch (where a field ended, whether a time had seconds). */
  readonly scan = new FieldScan();

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
    // the first call reads its first lines alone, so every part of the loop, its end too, has run before the JIT
    // compiles it (reaching code it compiled without seeing it run throws the compiled loop away: ~50 ms a time)
    if (!this.started) {
      this.started = true;
      let cut = i;
      for (let k = 0; k < 64 && cut < len; k++) {
        const nl = b.indexOf(10, cut);
        cut = nl < 0 || nl >= len ? len : nl + 1;
      }
      if (!this.lines(b, i, cut)) return false;
      i = cut;
    }
    return this.lines(b, i, len);
  }

  private lines(b: Uint8Array, i: number, len: number): boolean {
    const roles = this.roles, nf = roles.length, sep = this.sep, dec = this.dec, sc = this.scan;
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
          // digits, then a point and digits: two tight loops; the counts from positions (no counters per byte)
          let m = 0, d = 0, frac = -1;
          while (i < len && (d = b[i]! - 48) >= 0 && d <= 9) {
            m = m * 10 + d;
            i++;
          }
          let e = i < len ? b[i]! : 10;
          if (e === 46 || (dec && e === 44)) {
            const f0 = ++i;
            while (i < len && (d = b[i]! - 48) >= 0 && d <= 9) {
              m = m * 10 + d;
              i++;
            }
            frac = i - f0;
            e = i < len ? b[i]! : 10;
          }
          const digits = i - p - (frac >= 0 ? 1 : 0);
          let v: number;
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
          // the fixed shapes of most files (YYYY.MM.DD, HH:MM:SS) read by position; any other through the general readers
          let fixed = NaN;
          if (r === Role.Date) {
            fixed = sc.fixedDate(b, p, len, sep);
            if (fixed === fixed) day = fixed;
          } else if (r === Role.Time) {
            fixed = sc.fixedTime(b, p, len, sep);
            if (fixed === fixed) {
              tod = fixed;
              if (sc.hadSeconds) secondsSeen = true;
            }
          }
          if (fixed === fixed) {
            if (fixed === BAD_RANGE) return false;
            i = sc.at;
          } else {
            while (i < len && b[i] !== sep && b[i] !== 10 && b[i] !== 13) i++;
            if (r === Role.Date || r === Role.Time) {
              let pp = p, qq = i;
              while (pp < qq && isSpace(b[pp])) pp++;
              while (qq > pp && isSpace(b[qq - 1])) qq--;
              if (r === Role.Date) {
                day = sc.date(b, pp, qq);
                if (day === BAD_FORMAT || day === BAD_RANGE || sc.at !== qq) return false;
              } else {
                tod = sc.time(b, pp, qq);
                if (tod === BAD_FORMAT || tod === BAD_RANGE || sc.at !== qq) return false;
                if (sc.hadSeconds) secondsSeen = true;
              }
            } else if (r !== Role.Skip) {
              sc.hadSeconds = false;
              const v = sc.dateTime(b, p, i, r === Role.Stamp);
              if (typeof v === 'string') return false;
              t = v;
              ta = p;
              tb = i;
              if (sc.hadSeconds) secondsSeen = true;
            }
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
