/**
 * Rule evaluation. Closed bars of each timeframe are pushed in as they close; `evaluate(T)` judges the rules
 * at time T using, on every timeframe, only bars that had closed by T (a higher-timeframe bar that closes
 * after T is invisible, whatever order bars arrive in: no look-ahead). Crosses compare the last two closed
 * bars (MT5's bar 1 vs bar 2), so nothing repaints. In intrabar mode the strategy's own timeframe uses the
 * forming bar (peeked, never committed) against the last closed one.
 */
import { TIMEFRAME_SECONDS, type Timeframe } from '../../protocol/messages.js';
import type { BarSeries } from '../bars.js';
import { IndicatorSeries, ringSlot, type IndicatorHub, type StreamKey } from '../indicator-hub.js';
import { barAt, parseIndicatorSpec } from '../indicator-spec.js';
import { appliedPrice, type AppliedPrice, type BarIn, type Indicator } from '../indicators.js';
import type { Condition, Group, NormalizedStrategy, SeriesRef } from './normalize.js';

export interface ConditionTrace {
  path: string;
  text: string;
  timeframe: Timeframe;
  left: number | null;
  right: number | null;
  leftPrev?: number | null;
  rightPrev?: number | null;
  result: boolean;
  required: boolean;
}

export interface GroupTrace {
  path: string;
  logic: 'AND' | 'OR';
  result: boolean;
  children: (GroupTrace | ConditionTrace)[];
}

export interface Evaluation {
  /** Evaluation time: the close time of the strategy's bar, s (server time). */
  time: number;
  signal: 'BUY' | 'SELL' | null;
  long?: GroupTrace;
  short?: GroupTrace;
  /** The exit conditions of long positions (and of both sides for a side-less rule set). */
  exit?: GroupTrace;
  /** The exit conditions of short positions (absent when they are the long ones). */
  exitShort?: GroupTrace;
  /** Both directions held at once: no signal. */
  conflict: boolean;
}

/** A price operand: an applied price of the bar, or its tick volume. */
function priceOf(b: BarIn, field: string): number {
  return field === 'volume' ? b.tickVolume : appliedPrice(b, field as AppliedPrice);
}

/** A price operand read straight from a series' own column, if it has one (applied prices are computed). */
function seriesColumn(sr: BarSeries, field: string): Float64Array | undefined {
  return field === 'close' ? sr.close : field === 'open' ? sr.open : field === 'high' ? sr.high : field === 'low' ? sr.low : field === 'volume' ? sr.tickVolume : undefined;
}

/** One indicator of a timeframe: its outputs by bar, the strategy's own or shared through a hub. */
interface IndEntry {
  spec: string;
  ind: Indicator;
  /** Bar by bar: the outputs of the last bars (replaced by the hub's series when the store binds to a hub). */
  series: IndicatorSeries;
  /** Column mode: one window per output buffer (see TfStore.ensure). */
  cols?: Float64Array[];
}

/** Column mode: bars computed per block (indicators and rules), into buffers reused from block to block. */
export const COLUMN_BLOCK = 4096;

class TfStore {
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
  private readonly bar: BarIn = { time: 0, open: 0, high: 0, low: 0, close: 0, tickVolume: 0, realVolume: 0 };
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
    for (let i = from; i < to; i++) {
      barAt(sr, i, bar);
      const p = i + off;
      for (let k = 0; k < list.length; k++) {
        const e = list[k]!, out = e.ind.out, cols = e.cols!;
        e.ind.push(bar);
        for (let j = 0; j < cols.length; j++) cols[j]![p] = out[j]!;
      }
    }
    for (const [f, w] of this.prices) {
      const direct = seriesColumn(sr, f);
      if (direct) w.set(direct.subarray(from, to), from + off);
      else for (let i = from; i < to; i++) w[i + off] = priceOf(barAt(sr, i, bar), f);
    }
    this.end = to;
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

type Getter = (T: number, back: number, forming: BarIn | undefined) => number;
type Check = (T: number, forming: BarIn | undefined) => boolean;

export class StrategyEvaluator {
  private readonly stores = new Map<Timeframe, TfStore>();
  private readonly peekBuf = new Map<string, Float64Array>();

  /**
   * `hub`: share the indicators with the other strategies of the host that compute the same ones on the same bars
   * (indicator-hub.ts; the values are the same as without). With a hub, the bars of the strategy's other
   * timeframes must be built from its own timeframe's, as StrategyRunner builds them.
   */
  constructor(readonly strategy: NormalizedStrategy, opts: { hub?: IndicatorHub } = {}) {
    const maxShift = Math.max(0, ...collectRefs(strategy).map((r) => r.shift));
    const base = strategy.timeframe;
    let origin: number | undefined;
    for (const tf of strategy.timeframes) {
      const specs = strategy.indicators.filter((i) => i.timeframe === tf).map((i) => i.spec);
      const st = new TfStore(tf, maxShift + 3, specs);
      const hub = opts.hub;
      if (hub && specs.length) {
        // a stream is known by its first bar: the strategy's own timeframe's, for the bars built from it
        st.hub = {
          hub,
          key: tf === base
            ? (first) => ({ symbol: strategy.symbol, timeframe: tf, source: 'terminal', origin: (origin ??= first.time) })
            : () => (origin === undefined ? undefined : { symbol: strategy.symbol, timeframe: tf, source: `from:${base}`, origin }),
        };
      }
      this.stores.set(tf, st);
    }
    // the base timeframe binds first even when it has no indicators of its own (its first bar is the origin)
    const baseStore = this.stores.get(base);
    if (opts.hub && baseStore && !baseStore.hub) baseStore.hub = { hub: opts.hub, key: (first) => ((origin ??= first.time), undefined) };
  }

  /**
   * Column mode for a backtest on one timeframe with closed-bar evaluation: the indicators of `tf` run over the
   * series a block at a time as the bars are read (same objects, same bars, same order: the same values as
   * pushing bar by bar), `pushBar` only moves the cursor and `seek(n)` jumps it (the bars before index n count
   * as pushed). Bars are read in order. `block`: bars per block (tests use small ones to cross many edges).
   */
  useColumns(tf: Timeframe, series: BarSeries, block = COLUMN_BLOCK): void {
    if (this.cache.size > 0) throw new Error('column mode must start before the first evaluation');
    if (this.strategy.options.evaluation === 'intrabar') throw new Error('column mode evaluates closed bars only');
    const st = this.stores.get(tf);
    if (!st || this.stores.size !== 1) throw new Error('column mode needs exactly one timeframe');
    const refs = collectRefs(this.strategy);
    // a cross reads the bar before, shifted: keep the largest shift + 1 bars before each block (one more to spare)
    const keep = Math.max(0, ...refs.map((r) => r.shift)) + 2;
    st.useColumns(series, keep, [...new Set(refs.filter((r) => r.spec === 'price').map((r) => r.buffer))], block);
  }

  /** Column mode: count the bars before index `n` as pushed. */
  seek(tf: Timeframe, n: number): void {
    this.stores.get(tf)!.seek(n);
  }

  /** Column mode: the rule bits of the current block, by bar of the block, and the block they are for. */
  private blockBits: Uint8Array | undefined;
  private bitsBase = -1;
  /** Column mode: a result window per condition and group (reused from block to block), and constant operands. */
  private readonly nodeBufs = new Map<object, Uint8Array>();
  private readonly constBufs = new Map<object, Float64Array>();

  /**
   * Column mode: the rules at the close of bar i of the series as bits (1 long, 2 short, 4 exit long positions,
   * 8 exit short positions),
   * computed a condition at a time over the block that holds bar i. At bar i's close the newest closed bar is
   * i itself, so a value `back` bars back is the one at i − back (− the reference's shift): exactly what the
   * getters read there, and the same comparisons as the compiled conditions (NaN anywhere → false). Bars in
   * order: i may not go back before the current block.
   */
  bitsAt(i: number): number {
    const st = this.stores.get(this.strategy.timeframe)!;
    if (!st.series) throw new Error('bitsAt needs column mode');
    st.ensure(i);
    if (i < st.base) throw new Error(`column mode reads bars in order: bar ${i} is before the current block (from ${st.base})`);
    if (this.bitsBase !== st.base) this.computeBits(st);
    return this.blockBits![i - st.base]!;
  }

  private computeBits(st: TfStore): void {
    const s = this.strategy;
    const from = st.keep, to = st.keep + (st.end - st.base);
    const bits = (this.blockBits ??= new Uint8Array(st.block));
    bits.fill(0);
    const add = (g: Group | undefined, bit: number) => {
      if (!g) return;
      const r = this.groupColumn(g, st, from, to);
      for (let p = from; p < to; p++) if (r[p]) bits[p - from]! |= bit;
    };
    add(s.entry.long, 1);
    add(s.entry.short, 2);
    if (s.exit.conditionsLong && s.exit.conditionsLong === s.exit.conditionsShort) add(s.exit.conditionsLong, 12);
    else {
      add(s.exit.conditionsLong, 4);
      add(s.exit.conditionsShort, 8);
    }
    this.bitsBase = st.base;
  }

  private nodeBuf(node: object, st: TfStore): Uint8Array {
    let b = this.nodeBufs.get(node);
    if (!b) this.nodeBufs.set(node, (b = new Uint8Array(st.keep + st.block)));
    return b;
  }

  /** Column mode: a series reference's window (positions as TfStore.pos; the caller applies its shift). */
  private operand(ref: SeriesRef, st: TfStore): Float64Array {
    if (ref.spec === 'price') return st.prices.get(ref.buffer)!;
    const e = st.inds.get(ref.spec)!;
    return e.cols![e.ind.buffers.indexOf(ref.buffer)]!;
  }

  private groupColumn(g: Group, st: TfStore, from: number, to: number): Uint8Array {
    const parts = g.children.filter((c) => c.kind === 'group' || c.required).map((c) => (c.kind === 'group' ? this.groupColumn(c, st, from, to) : this.condColumn(c, st, from, to)));
    if (parts.length === 1) return parts[0]!;
    const out = this.nodeBuf(g, st);
    if (parts.length === 0) return out.fill(0, from, to); // AND of nothing is false, as compileGroup
    const and = g.logic === 'AND';
    for (let p = from; p < to; p++) {
      let r = and;
      for (let k = 0; k < parts.length; k++) {
        if (and ? !parts[k]![p] : parts[k]![p]) {
          r = !and;
          break;
        }
      }
      out[p] = r ? 1 : 0;
    }
    return out;
  }

  /** One condition over the block's bars (window positions from..to): the comparisons of compileCond. */
  private condColumn(c: Condition, st: TfStore, from: number, to: number): Uint8Array {
    const A = this.operand(c.left, st), ka = c.left.shift;
    const rs = c.right?.kind === 'series' ? c.right : undefined;
    let R: Float64Array, kb = 0;
    if (rs) {
      R = this.operand(rs, st);
      kb = rs.shift;
    } else {
      // the number repeated (one loop per operator, no branch inside), made once
      R = this.constBufs.get(c) ?? new Float64Array(st.keep + st.block).fill(c.right ? (c.right as { value: number }).value : NaN);
      this.constBufs.set(c, R);
    }
    const out = this.nodeBuf(c, st);
    const lo = c.range?.[0] ?? NaN, hi = c.range?.[1] ?? NaN;
    // bar p reads A[p − ka] and R[p − kb]; a cross also the bar before (the window keeps it, NaN before the first)
    switch (c.op) {
      case 'greater_than': for (let p = from; p < to; p++) { const a = A[p - ka]!; out[p] = a === a && a > R[p - kb]! ? 1 : 0; } break;
      case 'less_than': for (let p = from; p < to; p++) { const a = A[p - ka]!; out[p] = a === a && a < R[p - kb]! ? 1 : 0; } break;
      case 'equal': {
        const tol = c.tolerance;
        for (let p = from; p < to; p++) {
          const a = A[p - ka]!, b = R[p - kb]!;
          out[p] = a === a && Math.abs(a - b) <= (tol ?? 1e-9 * Math.max(Math.abs(a), Math.abs(b))) ? 1 : 0;
        }
        break;
      }
      case 'in_range': for (let p = from; p < to; p++) { const a = A[p - ka]!; out[p] = a >= lo && a <= hi ? 1 : 0; } break;
      case 'outside_range': for (let p = from; p < to; p++) { const a = A[p - ka]!; out[p] = a < lo || a > hi ? 1 : 0; } break;
      case 'crosses_above': for (let p = from; p < to; p++) { const a = A[p - ka]!; out[p] = a === a && a > R[p - kb]! && A[p - 1 - ka]! <= R[p - 1 - kb]! ? 1 : 0; } break;
      case 'crosses_below': for (let p = from; p < to; p++) { const a = A[p - ka]!; out[p] = a === a && a < R[p - kb]! && A[p - 1 - ka]! >= R[p - 1 - kb]! ? 1 : 0; } break;
    }
    return out;
  }

  /** The Evaluation `evaluateFast(T)` gives, from the bits `bitsAt` gives for that bar. */
  evaluationOf(T: number, bits: number): Evaluation {
    const L = (bits & 1) !== 0, S = (bits & 2) !== 0;
    const out: Evaluation = { time: T, signal: L && !S ? 'BUY' : S && !L ? 'SELL' : null, conflict: L && S };
    const c = this.compile();
    if (c.exit) out.exit = { path: '', logic: 'AND', result: (bits & 4) !== 0, children: [] };
    if (c.exitShort && c.exitShort !== c.exit) out.exitShort = { path: '', logic: 'AND', result: (bits & 8) !== 0, children: [] };
    return out;
  }

  /** A closed bar of one of the strategy's timeframes (others are ignored). */
  pushBar(tf: Timeframe, bar: BarIn): void {
    this.stores.get(tf)?.push(bar);
  }

  /** Bars pushed for a timeframe. */
  bars(tf: Timeframe): number {
    return this.stores.get(tf)?.n ?? 0;
  }

  /** The latest closed value of an indicator the strategy uses (e.g. 'atr:14'), or NaN. */
  value(tf: Timeframe, spec: string, buffer = 0, T = Infinity): number {
    const st = this.stores.get(tf);
    const e = st?.inds.get(spec);
    if (!st || !e) return NaN;
    if (!e.cols) {
      const k = e.series.slot(T, 0);
      return k < 0 ? NaN : e.series.hist[k]![buffer]!;
    }
    const s = st.slot(T, 0);
    if (s < 0) return NaN;
    st.ensure(s);
    return e.cols[buffer]![st.pos(s)]!;
  }

  private getter(ref: SeriesRef): Getter {
    const st = this.stores.get(ref.timeframe)!;
    const intrabar = this.strategy.options.evaluation === 'intrabar' && ref.timeframe === this.strategy.timeframe;
    const sr = st.series;
    if (ref.spec === 'price') {
      const f = ref.buffer;
      if (sr) {
        // column mode (never intrabar): the price of bar s read from the series
        const b: BarIn = { time: 0, open: 0, high: 0, low: 0, close: 0, tickVolume: 0, realVolume: 0 };
        const col = seriesColumn(sr, f);
        return (T, back) => {
          const s = st.slot(T, back + ref.shift);
          return s < 0 ? NaN : col ? col[s]! : priceOf(barAt(sr, s, b), f);
        };
      }
      return (T, back, forming) => {
        if (intrabar && forming) {
          if (back === 0) return priceOf(forming, f);
          back--;
        }
        const s = st.slot(T, back + ref.shift);
        return s < 0 ? NaN : priceOf(st.bars[s]!, f);
      };
    }
    const e = st.inds.get(ref.spec)!;
    const bi = e.ind.buffers.indexOf(ref.buffer);
    if (e.cols) {
      const col = e.cols[bi]!;
      return (T, back) => {
        const s = st.slot(T, back + ref.shift);
        if (s < 0) return NaN;
        st.ensure(s);
        return col[st.pos(s)]!;
      };
    }
    return (T, back, forming) => {
      if (intrabar && forming && ref.shift === 0) {
        if (back === 0) {
          let buf = this.peekBuf.get(ref.spec);
          if (!buf) this.peekBuf.set(ref.spec, (buf = new Float64Array(e.ind.buffers.length)));
          e.ind.peek(forming, buf);
          return buf[bi]!;
        }
        back--;
      }
      // the indicator's own series (shared or not) finds the bar by its close time
      const sr = e.series;
      const s = sr.slot(T, back + ref.shift);
      return s < 0 ? NaN : sr.hist[s]![bi]!;
    };
  }

  private readonly cache = new Map<object, Getter>();
  private get(ref: SeriesRef): Getter {
    let g = this.cache.get(ref);
    if (!g) this.cache.set(ref, (g = this.getter(ref)));
    return g;
  }

  private cond(c: Condition, T: number, forming: BarIn | undefined): ConditionTrace {
    const L = this.get(c.left);
    const a = L(T, 0, forming);
    const R = c.right?.kind === 'series' ? this.get(c.right) : undefined;
    const b = c.right ? (R ? R(T, 0, forming) : (c.right as { value: number }).value) : NaN;
    let result = false;
    const trace: ConditionTrace = {
      path: c.path, text: describe(c), timeframe: c.left.timeframe, left: nn(a), right: c.range ? null : nn(b), result, required: c.required,
    };
    if (!Number.isNaN(a)) {
      switch (c.op) {
        case 'greater_than': result = a > b; break;
        case 'less_than': result = a < b; break;
        case 'equal': result = Math.abs(a - b) <= (c.tolerance ?? 1e-9 * Math.max(Math.abs(a), Math.abs(b))); break;
        case 'in_range': result = a >= c.range![0] && a <= c.range![1]; break;
        case 'outside_range': result = a < c.range![0] || a > c.range![1]; break;
        case 'crosses_above':
        case 'crosses_below': {
          const ap = L(T, 1, forming);
          const bp = R ? R(T, 1, forming) : b;
          trace.leftPrev = nn(ap);
          trace.rightPrev = nn(bp);
          result = c.op === 'crosses_above' ? ap <= bp && a > b : ap >= bp && a < b;
          break;
        }
      }
    }
    trace.result = result; // NaN anywhere (warm-up) → false
    return trace;
  }

  private group(g: Group, T: number, forming: BarIn | undefined): GroupTrace {
    const children = g.children.map((c) => (c.kind === 'group' ? this.group(c, T, forming) : this.cond(c, T, forming)));
    const deciding = children.filter((c) => !('required' in c) || c.required);
    const result = g.logic === 'AND' ? deciding.length > 0 && deciding.every((c) => c.result) : deciding.some((c) => c.result);
    return { path: g.path, logic: g.logic, result, children };
  }

  /** One condition compiled to a closure: the result without building a trace (the getters resolved once). */
  private compileCond(c: Condition): Check {
    const L = this.get(c.left);
    const R = c.right?.kind === 'series' ? this.get(c.right) : undefined;
    const k = c.right && c.right.kind !== 'series' ? (c.right as { value: number }).value : NaN;
    const right = (T: number, back: number, forming: BarIn | undefined) => (R ? R(T, back, forming) : k);
    switch (c.op) {
      case 'greater_than': return (T, f) => { const a = L(T, 0, f); return a === a && a > right(T, 0, f); };
      case 'less_than': return (T, f) => { const a = L(T, 0, f); return a === a && a < right(T, 0, f); };
      case 'equal': return (T, f) => {
        const a = L(T, 0, f);
        if (a !== a) return false;
        const b = right(T, 0, f);
        return Math.abs(a - b) <= (c.tolerance ?? 1e-9 * Math.max(Math.abs(a), Math.abs(b)));
      };
      case 'in_range': { const [lo, hi] = c.range!; return (T, f) => { const a = L(T, 0, f); return a >= lo && a <= hi; }; }
      case 'outside_range': { const [lo, hi] = c.range!; return (T, f) => { const a = L(T, 0, f); return a < lo || a > hi; }; }
      case 'crosses_above': return (T, f) => {
        const a = L(T, 0, f);
        if (a !== a) return false;
        const b = right(T, 0, f);
        return a > b && L(T, 1, f) <= right(T, 1, f);
      };
      case 'crosses_below': return (T, f) => {
        const a = L(T, 0, f);
        if (a !== a) return false;
        const b = right(T, 0, f);
        return a < b && L(T, 1, f) >= right(T, 1, f);
      };
    }
  }

  /** A group compiled to a closure (optional confirmations never decide; AND of nothing is false). */
  private compileGroup(g: Group): Check {
    const parts = g.children.filter((c) => c.kind === 'group' || c.required).map((c) => (c.kind === 'group' ? this.compileGroup(c) : this.compileCond(c)));
    const n = parts.length;
    if (n === 0) return () => false;
    if (n === 1) return parts[0]!;
    if (g.logic === 'AND') return (T, f) => { for (let i = 0; i < n; i++) if (!parts[i]!(T, f)) return false; return true; };
    return (T, f) => { for (let i = 0; i < n; i++) if (parts[i]!(T, f)) return true; return false; };
  }

  private compiled: { long: Check | null; short: Check | null; exit: Check | null; exitShort: Check | null } | undefined;

  /** The rules compiled to closures, once (a side-less exit rule set once, for both sides). */
  private compile(): { long: Check | null; short: Check | null; exit: Check | null; exitShort: Check | null } {
    const s = this.strategy;
    if (this.compiled) return this.compiled;
    const exit = s.exit.conditionsLong ? this.compileGroup(s.exit.conditionsLong) : null;
    const exitShort = s.exit.conditionsShort === s.exit.conditionsLong ? exit : s.exit.conditionsShort ? this.compileGroup(s.exit.conditionsShort) : null;
    return (this.compiled = {
      long: s.entry.long ? this.compileGroup(s.entry.long) : null,
      short: s.entry.short ? this.compileGroup(s.entry.short) : null,
      exit, exitShort,
    });
  }

  /** `evaluate` without traces (backtests): the same results, no allocation per condition. */
  evaluateFast(T: number, forming?: BarIn): Evaluation {
    const c = this.compile();
    const L = c.long ? c.long(T, forming) : false;
    const S = c.short ? c.short(T, forming) : false;
    const out: Evaluation = { time: T, signal: L && !S ? 'BUY' : S && !L ? 'SELL' : null, conflict: L && S };
    if (c.exit) out.exit = { path: '', logic: 'AND', result: c.exit(T, forming), children: [] };
    if (c.exitShort && c.exitShort !== c.exit) out.exitShort = { path: '', logic: 'AND', result: c.exitShort(T, forming), children: [] };
    return out;
  }

  /**
   * Judge the rules at time T (normally the close time of the strategy's bar that just closed).
   * `forming` is the strategy timeframe's forming bar, for intrabar evaluation.
   */
  evaluate(T: number, forming?: BarIn): Evaluation {
    const e = this.strategy.entry;
    const out: Evaluation = { time: T, signal: null, conflict: false };
    if (e.long) out.long = this.group(e.long, T, forming);
    if (e.short) out.short = this.group(e.short, T, forming);
    const x = this.strategy.exit;
    if (x.conditionsLong) out.exit = this.group(x.conditionsLong, T, forming);
    if (x.conditionsShort && x.conditionsShort !== x.conditionsLong) out.exitShort = this.group(x.conditionsShort, T, forming);
    const L = out.long?.result ?? false;
    const S = out.short?.result ?? false;
    out.conflict = L && S;
    out.signal = L && !S ? 'BUY' : S && !L ? 'SELL' : null;
    return out;
  }
}

function nn(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

function describe(c: Condition): string {
  const r = c.range ? `[${c.range[0]}, ${c.range[1]}]` : c.right?.kind === 'series' ? c.right.label : String((c.right as { value: number } | undefined)?.value);
  const tf = c.left.timeframe;
  return `${c.left.label} ${c.op} ${r}${c.required ? '' : ' (optional)'} [${tf}]`;
}

function collectRefs(s: NormalizedStrategy): SeriesRef[] {
  const out: SeriesRef[] = [];
  const walk = (g: Group | undefined) =>
    g?.children.forEach((c) => {
      if (c.kind === 'group') walk(c);
      else {
        out.push(c.left);
        if (c.right?.kind === 'series') out.push(c.right);
      }
    });
  walk(s.entry.long);
  walk(s.entry.short);
  walk(s.exit.conditionsLong);
  if (s.exit.conditionsShort !== s.exit.conditionsLong) walk(s.exit.conditionsShort);
  return out;
}

/** One line per condition, for logs: "✓ ema_9 crosses_above ema_21 [H1] 1.08612 > 1.08598 (was 1.08590 ≤ 1.08601)". */
export function formatTrace(t: GroupTrace, indent = ''): string[] {
  const lines: string[] = [];
  for (const c of t.children) {
    if ('logic' in c) {
      lines.push(`${indent}${c.result ? '+' : '-'} ${c.logic} group`);
      lines.push(...formatTrace(c, indent + '  '));
    } else {
      const v = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : Number(x.toPrecision(8)).toString());
      const prev = c.leftPrev !== undefined ? ` (before: ${v(c.leftPrev)} vs ${v(c.rightPrev)})` : '';
      lines.push(`${indent}${c.result ? '+' : '-'} ${c.text}: ${v(c.left)}${c.right !== null ? ` vs ${v(c.right)}` : ''}${prev}`);
    }
  }
  return lines;
}

