/**
 * A strategy's bars and indicators of one timeframe (TfStore): bar by bar, or in column mode a block of bars at a
 * time into reused buffers; indicators the strategy's own or shared through the hub. The evaluator reads its
 * operands from here.
 */
import { TIMEFRAME_SECONDS, type Timeframe } from '../../protocol/messages.js';
import type { BarSeries } from '../bars.js';
import { IndicatorSeries, ringSlot, type IndicatorHub, type StreamKey } from '../indicator-hub.js';
import { parseIndicatorSpec } from '../indicator-spec.js';
import { appliedPrice, type AppliedPrice, type BarIn, type Indicator } from '../indicators.js';

/** A price operand: an applied price of the bar, or its tick volume. */
export function priceOf(b: BarIn, field: string): number {
  return field === 'volume' ? b.tickVolume : appliedPrice(b, field as AppliedPrice);
}

/** A price operand read straight from a series' own column, if it has one (applied prices are computed). */
export function seriesColumn(sr: BarSeries, field: string): Float64Array | undefined {
  return field === 'close' ? sr.close : field === 'open' ? sr.open : field === 'high' ? sr.high : field === 'low' ? sr.low : field === 'volume' ? sr.tickVolume : undefined;
}

/** One indicator of a timeframe: its outputs by bar, the strategy's own or shared through a hub. */
export interface IndEntry {
  spec: string;
  ind: Indicator;
  /** Bar by bar: the outputs of the last bars (replaced by the hub's series when the store binds to a hub). */
  series: IndicatorSeries;
  /** Column mode: one window per output buffer (see TfStore.ensure). */
  cols?: Float64Array[];
}

/**
 * Row i of a series as a bar (column mode), its real volume read only when an indicator asks for it: most files
 * record none, and the column of a file that records none is left unwritten (bars-series.ts) — reading it bar by bar
 * touched ~2,000 never-used pages of a million-bar series, each a page fault (~40 ms a run on the 2-core VMs).
 */
export class SeriesBar implements BarIn {
  time = 0;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  tickVolume = 0;
  private i = 0;
  series: BarSeries | undefined;
  get realVolume(): number {
    return this.series!.realVolume[this.i]!;
  }

  /** This object as row i of `series`. */
  at(i: number): this {
    const s = this.series!;
    this.time = s.time[i]!;
    this.open = s.open[i]!;
    this.high = s.high[i]!;
    this.low = s.low[i]!;
    this.close = s.close[i]!;
    this.tickVolume = s.tickVolume[i]!;
    this.i = i;
    return this;
  }
}

/** Column mode: bars computed per block (indicators and rules), into buffers reused from block to block. */
export const COLUMN_BLOCK = 4096;

export class TfStore {
  readonly period: number;
  readonly closes: Float64Array;
  readonly bars: BarIn[];
  readonly inds = new Map<string, IndEntry>();
  /** The same indicators as an array (the per-bar loop). */
  private readonly list: IndEntry[] = [];
  n = 0;
  /**
   * Column mode (backtests): the indicators run over the series a block of `block` bars at a time — the
   * same indicator objects fed the same bars in the same order as `push` would, so the same values — into
   * windows of `keep + block` values: series index i is at `i - base + keep`, and the `keep` bars before
   * the block are kept (NaN before the first bar) for shifts and crosses. A pushed bar only moves the cursor `n`;
   * slots are series indexes. Memory stays a few windows however long the series (a whole-series column was
   * 8 bytes a bar per buffer, and on the 2-core VMs the first touch of that much fresh memory cost a third of a run).
   */
  series: BarSeries | undefined;
  /** Column mode: the series index of the current block's first bar, and the end of what is computed. */
  base = 0;
  end = 0;
  keep = 0;
  block = COLUMN_BLOCK;
  /** Column mode: price operands (applied prices, volume) as windows like the indicators', by field. */
  readonly prices = new Map<string, Float64Array>();
  /** Column mode: the bar fed to the indicators, a row of the series (see SeriesBar). */
  private readonly bar = new SeriesBar();
  constructor(readonly tf: Timeframe, readonly cap: number, specs: string[]) {
    this.period = TIMEFRAME_SECONDS[tf];
    this.closes = new Float64Array(cap).fill(Infinity);
    this.bars = Array.from({ length: cap }, () => ({ time: 0, open: 0, high: 0, low: 0, close: 0, tickVolume: 0, realVolume: 0 }));
    for (const spec of specs) {
      const ind = parseIndicatorSpec(spec).make();
      const e: IndEntry = { spec, ind, series: new IndicatorSeries(ind, cap) };
      this.inds.set(spec, e);
      this.list.push(e);
    }
  }

  /** Where the shared series come from (set by the evaluator before the first bar), and whether they are taken. */
  hub: { hub: IndicatorHub; key: (first: BarIn) => StreamKey | undefined } | undefined;

  /**
   * At the first bar: each indicator's series becomes the hub's for this stream (from this bar on), if the
   * stream has a key; the strategy's own objects are dropped unused.
   */
  private bind(first: BarIn): void {
    const h = this.hub!;
    this.hub = undefined;
    const key = h.key(first);
    if (!key) return;
    for (const e of this.list) {
      e.series = h.hub.get(key, e.spec, this.cap, () => parseIndicatorSpec(e.spec).make());
      e.ind = e.series.ind;
    }
  }
  /** Switch to column mode over `series` (before any bar is pushed), keeping `keep` bars before each block. */
  useColumns(series: BarSeries, keep: number, priceFields: string[], block: number): void {
    if (this.n > 0) throw new Error('column mode must start before the first bar');
    if (!(Number.isInteger(block) && block > 0)) throw new Error(`column mode: block must be a positive integer, not ${block}`);
    const size = keep + block;
    for (const e of this.list) e.cols = e.ind.buffers.map(() => new Float64Array(size).fill(NaN));
    for (const f of priceFields) this.prices.set(f, new Float64Array(size).fill(NaN));
    this.keep = keep;
    this.block = block;
    this.series = series;
  }

  /** Column mode: the window position of series index i (which `ensure(i)` made available). */
  pos(i: number): number {
    return i - this.base + this.keep;
  }

  /**
   * Column mode: make series index i readable, computing blocks up to the one that holds it. Bars are read in
   * order (a backtest's): an index before the kept window is an error, not a recomputation.
   */
  ensure(i: number): void {
    if (i < this.end) {
      if (i < this.base - this.keep) throw new Error(`column mode reads bars in order: bar ${i} is before the kept window (from ${this.base - this.keep})`);
      return;
    }
    const len = this.series!.length;
    if (i >= len) throw new Error(`column mode: bar ${i} is past the series (${len} bars)`);
    const B = this.block, keep = this.keep;
    while (i >= this.end) {
      if (this.end > 0) {
        // the last `keep` bars of the block move to the front, before the next block
        for (const e of this.list) for (const c of e.cols!) c.copyWithin(0, B, B + keep);
        for (const c of this.prices.values()) c.copyWithin(0, B, B + keep);
        this.base += B;
      }
      this.fill(this.base, Math.min(this.base + B, len));
    }
  }

  private fill(from: number, to: number): void {
    const sr = this.series!, list = this.list, bar = this.bar, off = this.keep - from;
    bar.series = sr;
    // the prices first and the indicators last, so that nothing follows the indicators' loop: V8 compiles that loop on
    // its own while the first block runs (before the code after it ever ran), and code after it, met with no type
    // feedback, threw that compiled loop away at the end of every block (~250 times a 1 M-bar backtest)
    for (const [f, w] of this.prices) {
      const direct = seriesColumn(sr, f);
      if (direct) w.set(direct.subarray(from, to), from + off);
      else for (let i = from; i < to; i++) w[i + off] = priceOf(bar.at(i), f);
    }
    this.end = to;
    for (let i = from; i < to; i++) {
      bar.at(i);
      const p = i + off;
      for (let k = 0; k < list.length; k++) {
        const e = list[k]!, out = e.ind.out, cols = e.cols!;
        e.ind.push(bar);
        for (let j = 0; j < cols.length; j++) cols[j]![p] = out[j]!;
      }
    }
  }

  /** Column mode: the bars before index `n` count as pushed. */
  seek(n: number): void {
    this.n = n;
  }

  push(bar: BarIn): void {
    const sr = this.series;
    if (sr) {
      if (sr.time[this.n] !== bar.time) throw new Error(`column mode: bar ${bar.time} pushed where the series has ${sr.time[this.n]}`);
      this.n++;
      return;
    }
    if (this.hub) this.bind(bar);
    const slot = this.n % this.cap;
    const close = bar.time + this.period;
    this.closes[slot] = close;
    const dst = this.bars[slot]!;
    dst.time = bar.time; dst.open = bar.open; dst.high = bar.high; dst.low = bar.low; dst.close = bar.close;
    dst.tickVolume = bar.tickVolume; dst.realVolume = bar.realVolume;
    // each indicator computes the bar once: a shared series another strategy already pushed it to skips it
    const list = this.list;
    for (let i = 0; i < list.length; i++) list[i]!.series.push(bar, close);
    this.n++;
  }
  /** Slot of the newest bar closed by T, `back` bars further back; -1 if none. */
  slot(T: number, back: number): number {
    const sr = this.series;
    if (sr) {
      // column mode: the slot is the bar's index in the series
      const time = sr.time, p = this.period;
      let j = this.n - 1;
      while (j >= 0 && time[j]! + p > T) j--;
      j -= back;
      return j;
    }
    return ringSlot(this.closes, this.n, this.cap, T, back);
  }
}
