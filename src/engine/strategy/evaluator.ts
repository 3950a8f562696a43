/**
 * Rule evaluation. Closed bars of each timeframe are pushed in as they close; `evaluate(T)` judges the rules
 * at time T using, on every timeframe, only bars that had closed by T (a higher-timeframe bar that closes
 * after T is invisible, whatever order bars arrive in: no look-ahead). Crosses compare the last two closed
 * bars (MT5's bar 1 vs bar 2), so nothing repaints. In intrabar mode the strategy's own timeframe uses the
 * forming bar (peeked, never committed) against the last closed one.
 */
import type { Timeframe } from '../../protocol/messages.js';
import type { BarSeries } from '../bars.js';
import type { HigherSeries } from '../aggregate.js';
import type { IndicatorHub } from '../indicator-hub.js';
import { barAt } from '../indicator-spec.js';
import type { BarIn } from '../indicators.js';
import type { Condition, Group, NormalizedStrategy, SeriesRef } from './normalize.js';
import { COLUMN_BLOCK, TfStore, priceOf, seriesColumn } from './tf-store.js';
import type { ConditionTrace, Evaluation, GroupTrace } from './trace.js';

export { COLUMN_BLOCK } from './tf-store.js';
export { formatTrace, type ConditionTrace, type Evaluation, type GroupTrace } from './trace.js';

/** An exit rule set's result without its trace (evaluateFast, column mode): two shared and frozen, not one a decision. */
const EXIT_HOLDS: GroupTrace = Object.freeze({ path: '', logic: 'AND', result: true, children: Object.freeze([]) as unknown as GroupTrace['children'] });
const EXIT_FAILS: GroupTrace = Object.freeze({ path: '', logic: 'AND', result: false, children: Object.freeze([]) as unknown as GroupTrace['children'] });

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
   * Column mode for a backtest with closed-bar evaluation: the indicators of `tf` run over the series a block at a
   * time as the bars are read (same objects, same bars, same order: the same values as pushing bar by bar),
   * `pushBar` only moves the cursor and `seek(n)` jumps it (the bars before index n count as pushed). Bars are read
   * in order. `block`: bars per block (tests use small ones to cross many edges). `higher`: the strategy's other
   * timeframes, each built from this series (aggregate.ts: the bars a BarAggregator emits, and at which bar): their
   * indicators run over their whole series at once, and a condition on one reads, at bar i's close, the higher bars
   * completed by bar i — those pushed by then bar by bar.
   */
  useColumns(tf: Timeframe, series: BarSeries, block = COLUMN_BLOCK, higher: readonly HigherSeries[] = []): void {
    if (this.cache.size > 0) throw new Error('column mode must start before the first evaluation');
    if (this.strategy.options.evaluation === 'intrabar') throw new Error('column mode evaluates closed bars only');
    const st = this.stores.get(tf);
    if (!st || this.stores.size !== 1 + higher.length || higher.some((h) => h.timeframe === tf || !this.stores.has(h.timeframe))) {
      throw new Error('column mode needs the strategy\'s timeframe and each other one built from its bars');
    }
    const refs = collectRefs(this.strategy);
    // a cross reads the bar before, shifted: keep the largest shift + 1 bars before each block (one more to spare)
    const keep = Math.max(0, ...refs.map((r) => r.shift)) + 2;
    const fields = (t: Timeframe) => [...new Set(refs.filter((r) => r.spec === 'price' && r.timeframe === t).map((r) => r.buffer))];
    st.useColumns(series, keep, fields(tf), block);
    for (const h of higher) {
      const hs = this.stores.get(h.timeframe)!;
      // one block holds the whole higher series (a quarter of the bars for H4 over H1, less for others)
      hs.useColumns(h.series, keep, fields(h.timeframe), Math.max(1, h.series.length));
      this.higher.set(h.timeframe, { store: hs, emitAt: h.emitAt, seen: new Int32Array(block), next: 0 });
    }
    this.columnStore = this.stores.get(this.strategy.timeframe);
  }

  /**
   * Column mode, by higher timeframe: its store, at which bar each of its bars was completed, and for the current
   * block of the strategy's timeframe the newest higher bar completed by each bar (-1: none yet), found by `next`.
   */
  private readonly higher = new Map<Timeframe, { store: TfStore; emitAt: Int32Array; seen: Int32Array; next: number }>();

  /** Column mode: the store of the strategy's timeframe, which `bitsAt` reads every bar (not looked up each time). */
  private columnStore: TfStore | undefined;

  /** Column mode: count the bars before index `n` as pushed. */
  seek(tf: Timeframe, n: number): void {
    this.stores.get(tf)!.seek(n);
    if (tf !== this.strategy.timeframe) return;
    // the higher bars completed by then: those emitted at a bar before index n (a backtest seeks forward: from the last)
    for (const h of this.higher.values()) {
      const E = h.emitAt;
      let c = h.store.n;
      if (c > 0 && E[c - 1]! >= n) c = 0;
      while (c < E.length && E[c]! < n) c++;
      h.store.seek(c);
    }
  }

  /** Column mode: the rule bits of the current block, by bar of the block, and the block they are for. */
  private blockBits: Uint8Array | undefined;
  private bitsBase = -1;
  /** Column mode: a result window per condition and group (reused from block to block), and constant operands. */
  private readonly nodeBufs = new Map<object, Uint8Array>();
  private readonly constBufs = new Map<object, Float64Array>();
  /** Column mode: a condition on a higher timeframe, by bar of the strategy's block. */
  private readonly higherBufs = new Map<object, Uint8Array>();

  /**
   * Column mode: the rules at the close of bar i of the series as bits (1 long, 2 short, 4 exit long positions,
   * 8 exit short positions),
   * computed a condition at a time over the block that holds bar i. At bar i's close the newest closed bar is
   * i itself, so a value `back` bars back is the one at i − back (− the reference's shift): exactly what the
   * getters read there, and the same comparisons as the compiled conditions (NaN anywhere → false). Bars in
   * order: i may not go back before the current block.
   */
  bitsAt(i: number): number {
    const st = this.columnStore ?? this.stores.get(this.strategy.timeframe)!;
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
    for (const h of this.higher.values()) {
      // bar by bar, a higher bar is pushed when the bar that completes it is: at bar i the newest is the last emitted at ≤ i
      const E = h.emitAt, seen = h.seen;
      let j = h.next;
      for (let i = st.base; i < st.end; i++) {
        while (j < E.length && E[j]! <= i) j++;
        seen[i - st.base] = j - 1;
      }
      h.next = j;
    }
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
    if (c.left.timeframe !== st.tf) return this.higherColumn(c, st, from, to);
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

  /**
   * A condition on a higher timeframe over the block's bars: computed on the higher bars the block sees (the same
   * comparisons, on that timeframe's windows), then each bar takes the result of the newest higher bar completed by
   * it (none yet: false, as a getter's NaN).
   */
  private higherColumn(c: Condition, st: TfStore, from: number, to: number): Uint8Array {
    const h = this.higher.get(c.left.timeframe)!;
    // (the condition's own window, nodeBuf(c), is on its timeframe's positions)
    let out = this.higherBufs.get(c);
    if (!out) this.higherBufs.set(c, (out = new Uint8Array(st.keep + st.block)));
    const seen = h.seen, n = to - from;
    const lo = seen[0]!, hi = seen[n - 1]!;
    if (hi < 0) return out.fill(0, from, to);
    const hs = h.store;
    hs.ensure(hi);
    const r = this.condColumn(c, hs, hs.pos(Math.max(lo, 0)), hs.pos(hi) + 1);
    for (let p = 0; p < n; p++) {
      const j = seen[p]!;
      out[from + p] = j < 0 ? 0 : r[hs.pos(j)]!;
    }
    return out;
  }

  /** The Evaluation `evaluateFast(T)` gives, from the bits `bitsAt` gives for that bar. */
  evaluationOf(T: number, bits: number): Evaluation {
    const L = (bits & 1) !== 0, S = (bits & 2) !== 0;
    const out: Evaluation = { time: T, signal: L && !S ? 'BUY' : S && !L ? 'SELL' : null, conflict: L && S };
    const c = this.compile();
    if (c.exit) out.exit = (bits & 4) !== 0 ? EXIT_HOLDS : EXIT_FAILS;
    if (c.exitShort && c.exitShort !== c.exit) out.exitShort = (bits & 8) !== 0 ? EXIT_HOLDS : EXIT_FAILS;
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
    if (c.exit) out.exit = c.exit(T, forming) ? EXIT_HOLDS : EXIT_FAILS;
    if (c.exitShort && c.exitShort !== c.exit) out.exitShort = c.exitShort(T, forming) ? EXIT_HOLDS : EXIT_FAILS;
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

