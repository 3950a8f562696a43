/**
 * The closes of the bars the host receives (history and live), by timeframe and symbol — the memory the correlation
 * filter (strategy format) and the correlated-exposure limit (risk gate) read. At least the newest 300 of each are
 * kept (at most 600: the oldest 300 are dropped in one go).
 */
import { closesCorrelation } from '../../engine/filters.js';

export type CloseSeries = { time: number[]; close: number[] };

export class MarketCloses {
  private readonly byTf = new Map<string, Map<string, CloseSeries>>();

  /** A closed bar's close (a bar not newer than the last one kept is ignored). */
  note(symbol: string, timeframe: string, time: number, close: number): void {
    let bySym = this.byTf.get(timeframe);
    if (!bySym) this.byTf.set(timeframe, (bySym = new Map()));
    let c = bySym.get(symbol);
    if (!c) bySym.set(symbol, (c = { time: [], close: [] }));
    if (c.time.length && time <= c.time[c.time.length - 1]!) return;
    c.time.push(time);
    c.close.push(close);
    if (c.time.length > 600) {
      c.time.splice(0, 300);
      c.close.splice(0, 300);
    }
  }

  /** The closes of every symbol on one timeframe. */
  of(timeframe: string): ReadonlyMap<string, CloseSeries> {
    return this.byTf.get(timeframe) ?? EMPTY;
  }

  /** |r| of `symbol`'s closed-bar returns (the newest 50) with each of `others` (H1 when kept, else any timeframe). */
  correlations(symbol: string, others: Iterable<string>): Record<string, number> | undefined {
    const bySym = this.byTf.get('H1') ?? this.byTf.values().next().value;
    const mine = bySym?.get(symbol);
    if (!bySym || !mine) return undefined;
    const out: Record<string, number> = {};
    for (const other of others) {
      if (other === symbol || out[other] !== undefined) continue;
      const theirs = bySym.get(other);
      if (!theirs) continue;
      const r = closesCorrelation(mine, theirs, 50);
      if (Number.isFinite(r)) out[other] = Math.abs(r);
    }
    return out;
  }
}

const EMPTY: ReadonlyMap<string, CloseSeries> = new Map();
