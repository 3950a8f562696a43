/**
 * The closes of the bars the host receives (history and live), by timeframe and symbol — the memory the correlation
 * filter (strategy format) and the correlated-exposure limit (risk gate) read. At least the newest 300 of each are
 * kept, or more when a strategy's correlation window needs more (`keepAtLeast`); at most twice that (the oldest half
 * is dropped in one go).
 *
 * The risk gate asks for the correlations of an entry's symbol with every symbol that has a position, for every
 * entry. A pair's |r| changes only when one of its two series gets a bar: it is kept per pair and worked out again
 * after such a bar (by then, from the newest matching bars only, not from a map of all 600). And the answer for one
 * symbol and one position list is kept whole until a bar or a new list comes (`correlationsWith`): the entries of a
 * bar — all on the bar's symbol, judged against the same list — ask once.
 */
import { closesCorrelation } from '../../engine/filters.js';

export type CloseSeries = { time: number[]; close: number[] };

/** The newest closed-bar returns the correlated-exposure limit compares. */
const WINDOW = 50;

export class MarketCloses {
  private readonly byTf = new Map<string, Map<string, CloseSeries>>();
  /** How many bars each series has been given: a pair's kept |r| holds while both counts are unchanged. */
  private readonly version = new WeakMap<CloseSeries, number>();
  /** |r| (NaN: too few bars in common) per pair of series, with the versions it was worked out from. */
  private readonly pairs = new WeakMap<CloseSeries, WeakMap<CloseSeries, { mine: number; theirs: number; r: number }>>();
  /** Bars noted so far (any series): a kept answer holds while it is unchanged. */
  private noted = 0;
  /** `correlationsWith`'s answers by symbol, with the list and the bar count they were worked out for. */
  private readonly answers = new Map<string, { list: readonly { symbol: string }[]; noted: number; r: Readonly<Record<string, number>> | undefined }>();
  /** The symbols of a list, each once, in the order they first come (the last list asked about). */
  private symbolsOf: { list: readonly { symbol: string }[]; symbols: string[] } | undefined;
  /** Closes kept at least per series (a correlation filter's window + 1 when above 300). */
  private keep = 300;

  /** Keep at least the newest `n` closes of every series from now on (it never shrinks). */
  keepAtLeast(n: number): void {
    if (n > this.keep) this.keep = n;
  }

  /** A closed bar's close (a bar not newer than the last one kept is ignored). */
  note(symbol: string, timeframe: string, time: number, close: number): void {
    let bySym = this.byTf.get(timeframe);
    if (!bySym) this.byTf.set(timeframe, (bySym = new Map()));
    let c = bySym.get(symbol);
    if (!c) bySym.set(symbol, (c = { time: [], close: [] }));
    if (c.time.length && time <= c.time[c.time.length - 1]!) return;
    c.time.push(time);
    c.close.push(close);
    this.version.set(c, (this.version.get(c) ?? 0) + 1);
    this.noted++;
    if (c.time.length > 2 * this.keep) {
      c.time.splice(0, c.time.length - this.keep);
      c.close.splice(0, c.close.length - this.keep);
    }
  }

  /** The closes of every symbol on one timeframe. */
  of(timeframe: string): ReadonlyMap<string, CloseSeries> {
    return this.byTf.get(timeframe) ?? EMPTY;
  }

  /**
   * `correlations(symbol, the symbols of list)`, kept until a bar is noted or another list is given: `list` is the
   * terminal's position list, a new array at every change and never changed in place. The answer is frozen (it is
   * shared by the callers until then).
   */
  correlationsWith(symbol: string, list: readonly { symbol: string }[]): Readonly<Record<string, number>> | undefined {
    const kept = this.answers.get(symbol);
    if (kept && kept.list === list && kept.noted === this.noted) return kept.r;
    let s = this.symbolsOf;
    if (s?.list !== list) {
      const seen = new Set<string>();
      for (const p of list) seen.add(p.symbol);
      this.symbolsOf = s = { list, symbols: [...seen] };
    }
    const r = this.correlations(symbol, s.symbols);
    if (r) Object.freeze(r);
    this.answers.set(symbol, { list, noted: this.noted, r });
    return r;
  }

  /** |r| of `symbol`'s closed-bar returns (the newest 50) with each of `others` (H1 when kept, else any timeframe). */
  correlations(symbol: string, others: Iterable<string>): Record<string, number> | undefined {
    const bySym = this.byTf.get('H1') ?? this.byTf.values().next().value;
    const mine = bySym?.get(symbol);
    if (!bySym || !mine) return undefined;
    let kept = this.pairs.get(mine);
    if (!kept) this.pairs.set(mine, (kept = new WeakMap()));
    const vm = this.version.get(mine) ?? 0;
    const out: Record<string, number> = {};
    for (const other of others) {
      if (other === symbol || out[other] !== undefined) continue;
      const theirs = bySym.get(other);
      if (!theirs) continue;
      const vt = this.version.get(theirs) ?? 0;
      let k = kept.get(theirs);
      if (!k || k.mine !== vm || k.theirs !== vt) kept.set(theirs, (k = { mine: vm, theirs: vt, r: closesCorrelation(mine, theirs, WINDOW) }));
      if (Number.isFinite(k.r)) out[other] = Math.abs(k.r);
    }
    return out;
  }
}

const EMPTY: ReadonlyMap<string, CloseSeries> = new Map();
