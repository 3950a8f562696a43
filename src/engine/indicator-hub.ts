/**
 * Indicators shared between strategies. Strategies that ask for the same indicator (spec with its parameters)
 * on the same bars — same symbol, same timeframe, built the same way, from the same first bar — share one
 * computation: the first strategy to push a bar computes it, the others find it done and read the same values.
 *
 * Sharing never changes a value. An indicator's value depends on every bar since its first one (an EMA is
 * seeded with its first input, a running SMA carries its sums), so a series is shared only by strategies that
 * fed it the same stream from the same first bar (the `origin` in its key). A strategy that starts later with
 * a warm-up window that begins elsewhere gets a series of its own (shared in turn by those that start with
 * the same window), never one that started on other bars: its decisions are the ones it would take alone,
 * whatever else runs on the host. A strategy that starts from the same first bar while the series is already
 * further on (it was started by another strategy in the same bar) joins it: its warm-up pushes find those bars
 * done. The assumption, true inside one host: the bars of a symbol and timeframe with the same open time are
 * the same bars, whoever pushes them.
 *
 * A series lives while a strategy's evaluator holds it: the hub holds it weakly, so stopped strategies need no
 * unsubscribe.
 */
import type { BarIn, Indicator } from './indicators.js';

/**
 * In a ring of `cap` close times holding the last of `n` bars (bar j at slot j % cap): the slot of the newest bar
 * closed by T, `back` bars further back; -1 if none (or no longer kept).
 */
export function ringSlot(closes: Float64Array, n: number, cap: number, T: number, back: number): number {
  const m = n < cap ? n : cap;
  let k = 0;
  while (k < m && closes[(n - 1 - k) % cap]! > T) k++;
  if (k === m) return -1;
  k += back;
  return k < m ? (n - 1 - k) % cap : -1;
}

/**
 * One indicator over one bar stream: the outputs of its last `cap` bars, each with the time its bar closed.
 * `push` of a bar the series already has (by open time) does nothing.
 */
export class IndicatorSeries {
  /** Close time of each slot (Infinity while empty). */
  closes: Float64Array;
  /** Outputs of each slot, one per buffer. */
  hist: Float64Array[];
  /** Bars pushed. */
  n = 0;
  /** Open time of the last bar pushed. */
  lastTime = -Infinity;
  constructor(readonly ind: Indicator, public cap: number) {
    this.closes = new Float64Array(cap).fill(Infinity);
    this.hist = Array.from({ length: cap }, () => new Float64Array(ind.buffers.length).fill(NaN));
  }

  /** Commit a closed bar (closing at `closeTime`); false if the series already had it. */
  push(bar: BarIn, closeTime: number): boolean {
    if (bar.time <= this.lastTime) return false;
    const ind = this.ind;
    ind.push(bar);
    const slot = this.n % this.cap;
    this.closes[slot] = closeTime;
    const out = ind.out, h = this.hist[slot]!;
    if (out.length === 1) h[0] = out[0]!;
    else h.set(out);
    this.lastTime = bar.time;
    this.n++;
    return true;
  }

  /** Slot of the newest bar closed by T, `back` bars further back; -1 if none (or no longer kept). */
  slot(T: number, back: number): number {
    return ringSlot(this.closes, this.n, this.cap, T, back);
  }

  /**
   * Keep `cap` bars instead (larger), if nothing has been dropped yet; false otherwise. The slots move to where
   * a series of that capacity would have them.
   */
  grow(cap: number): boolean {
    if (cap <= this.cap) return true;
    if (this.n > this.cap) return false;
    const closes = new Float64Array(cap).fill(Infinity);
    const hist = Array.from({ length: cap }, (_, i) => (i < this.n ? this.hist[i]! : new Float64Array(this.ind.buffers.length).fill(NaN)));
    closes.set(this.closes.subarray(0, this.n));
    this.closes = closes;
    this.hist = hist;
    this.cap = cap;
    return true;
  }
}

/** The identity of a bar stream: where its bars come from and the open time of its first bar. */
export interface StreamKey {
  symbol: string;
  /** The timeframe of the bars. */
  timeframe: string;
  /** How the bars are made: 'terminal' (closed bars as the terminal gives them) or 'from:<tf>' (aggregated from that timeframe). */
  source: string;
  /** Open time of the first bar of the stream the bars come from (the base timeframe's, for aggregated bars). */
  origin: number;
}

export class IndicatorHub {
  private readonly series = new Map<string, WeakRef<IndicatorSeries>>();
  private readonly gone = new FinalizationRegistry<string>((key) => {
    if (this.series.get(key)?.deref() === undefined) this.series.delete(key);
  });
  /** Series handed out that were already there (a strategy joined another's computation). */
  joined = 0;

  /**
   * The series of indicator `spec` (made by `make` if new) on the stream `key`, keeping at least `cap` bars.
   * A series that cannot keep `cap` bars any more (it has dropped older ones) is not shared: the caller gets a
   * fresh one of its own, unregistered.
   */
  get(key: StreamKey, spec: string, cap: number, make: () => Indicator): IndicatorSeries {
    const k = `${key.symbol}|${key.timeframe}|${key.source}|${key.origin}|${spec}`;
    const have = this.series.get(k)?.deref();
    if (have && have.grow(cap)) {
      this.joined++;
      return have;
    }
    const s = new IndicatorSeries(make(), cap);
    if (!have) {
      this.series.set(k, new WeakRef(s));
      this.gone.register(s, k);
    }
    return s;
  }

  /** Series alive in the hub now. */
  get size(): number {
    let n = 0;
    for (const r of this.series.values()) if (r.deref()) n++;
    return n;
  }
}
