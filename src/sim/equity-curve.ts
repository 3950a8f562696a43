/**
 * A backtest's equity curve: one point per bar close. The equity and the exposure are columns written bar by bar;
 * the close times are the bars' own times plus the period, and the balance moves only with a deal, so neither is
 * written bar by bar: the times are read from the bars, the balance kept as the points where it changed, and each
 * becomes a column only when something reads it whole (the HTML report's chart). On the 2-core VMs every page of
 * fresh memory costs a ~12 µs fault: the two columns were 16 MB — ~4,000 faults — of a million-bar run that its
 * figures (metrics.ts, report-stats.ts) never needed.
 */
import type { CloseTimes, EquityCurve } from '../engine/metrics.js';

export class BacktestCurve implements EquityCurve {
  readonly equity: Float64Array;
  readonly exposed: Uint8Array;
  length = 0;
  /** Balance change points: from point `at[k]` on, the balance is `val[k]` (at[0] = 0 once a point exists). */
  private at = new Int32Array(256);
  private val = new Float64Array(256);
  private changes = 0;
  private timeCol: Float64Array | undefined;
  private balanceCol: Float64Array | undefined;
  /** The length the built columns were built for (a point added after builds them again). */
  private timeLen = -1;
  private balanceLen = -1;

  /**
   * `capacity` points; point i closes bar `from + i` of `barTime` (open times, s), `period` seconds after its open.
   */
  constructor(
    readonly capacity: number,
    private readonly barTime: Float64Array,
    private readonly from: number,
    private readonly period: number,
  ) {
    this.equity = new Float64Array(capacity);
    this.exposed = new Uint8Array(capacity);
  }

  /** The next point: its balance at `a[i]` and its equity at `a[i + 1]` (a Float64Array: no number boxed on the way). */
  add(a: Float64Array, i: number, exposed: boolean): void {
    const e = this.length++;
    this.equity[e] = a[i + 1]!;
    this.exposed[e] = exposed ? 1 : 0;
    const b = a[i]!;
    const c = this.changes;
    if (c === 0 || !Object.is(this.val[c - 1], b)) {
      if (c === this.at.length) this.grow();
      this.at[c] = e;
      this.val[c] = b;
      this.changes = c + 1;
    }
  }

  /** The last point's equity and balance set again (the positions closed at the end of the data). */
  setLast(equity: number, balance: number): void {
    const e = this.length - 1;
    if (e < 0) return;
    this.equity[e] = equity;
    this.balanceLen = -1; // a built balance column is built again
    let c = this.changes;
    if (Object.is(this.val[c - 1], balance)) return;
    if (this.at[c - 1] !== e) {
      if (c === this.at.length) this.grow();
      this.changes = ++c;
    }
    this.at[c - 1] = e;
    this.val[c - 1] = balance;
  }

  closeTimes(): CloseTimes {
    return { t: this.barTime, from: this.from, add: this.period };
  }

  balanceAt(i: number): number {
    // the last change point at or before i
    let lo = 0, hi = this.changes - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.at[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.val[lo]!;
  }

  get time(): Float64Array {
    if (this.timeLen !== this.length) {
      const t = (this.timeCol ??= new Float64Array(this.capacity)), bt = this.barTime, from = this.from, add = this.period;
      for (let i = 0; i < this.length; i++) t[i] = bt[from + i]! + add;
      this.timeLen = this.length;
    }
    return this.timeCol!;
  }

  get balance(): Float64Array {
    if (this.balanceLen !== this.length) {
      const b = (this.balanceCol ??= new Float64Array(this.capacity));
      for (let k = 0; k < this.changes; k++) b.fill(this.val[k]!, this.at[k]!, k + 1 < this.changes ? this.at[k + 1]! : this.length);
      this.balanceLen = this.length;
    }
    return this.balanceCol!;
  }

  private grow(): void {
    const at = new Int32Array(this.at.length * 2), val = new Float64Array(this.at.length * 2);
    at.set(this.at);
    val.set(this.val);
    this.at = at;
    this.val = val;
  }
}
