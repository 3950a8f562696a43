/**
 * Labelled signals for the signal-quality model: the strategy's own entries in a backtest (ML gate off),
 * each with the features of the last closed bar at decision time and whether that trade made money.
 */
import type { BarSeries } from '../engine/bars.js';
import { barAt } from '../engine/indicator-spec.js';
import { FeatureState } from '../engine/ml/features.js';
import type { Sample } from '../engine/ml/model.js';
import type { NormalizedStrategy } from '../engine/strategy/normalize.js';
import { runBacktest, type BacktestOptions, type BacktestResult } from '../sim/backtest.js';

export function withGate(s: NormalizedStrategy, ml: NormalizedStrategy['options']['ml']): NormalizedStrategy {
  const options = { ...s.options };
  if (ml) options.ml = ml;
  else delete options.ml;
  return { ...s, options };
}

/** Feature vectors of every bar of a series (null while warming up), by the one feature function. */
export function featureRows(bars: BarSeries): (Float64Array | null)[] {
  const fs = new FeatureState();
  const out: (Float64Array | null)[] = new Array(bars.length);
  for (let i = 0; i < bars.length; i++) out[i] = fs.push(barAt(bars, i));
  return out;
}

export interface SignalSet {
  samples: Sample[];
  backtest: BacktestResult;
  /** trades without features (inside the warm-up) or still open at the end: not labelled */
  skipped: number;
}

/** Run the strategy without the gate and label each entry: 1 when its trade closed with a profit. */
export function signalSamples(o: Omit<BacktestOptions, 'model'>): SignalSet {
  const backtest = runBacktest({ ...o, strategy: withGate(o.strategy, undefined) });
  const rows = featureRows(o.bars);
  const index = new Map<number, number>();
  for (let i = 0; i < o.bars.length; i++) index.set(o.bars.time[i]!, i);
  const samples: Sample[] = [];
  let skipped = 0;
  for (const t of backtest.trades) {
    // a signal at the close of bar i-1 fills at the open of bar i
    const i = index.get(t.openTime);
    const x = i !== undefined && i > 0 ? rows[i - 1] : null;
    if (!x || t.exitReason === 'end') {
      skipped++;
      continue;
    }
    samples.push({ time: o.bars.time[i!]!, x, y: t.profit > 0 ? 1 : 0 });
  }
  return { samples, backtest, skipped };
}
