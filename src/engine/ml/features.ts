/**
 * Features for the signal-quality model, from closed bars only. ONE function computes them — FeatureState.push
 * — in training (over a series), in backtests and live (bar by bar in the runner): what the model learned from
 * is exactly what it is asked about. No look-ahead: the vector after bar t depends on bars ≤ t only (tested by
 * changing every bar after t).
 */
import { createHash } from 'node:crypto';
import { parseIndicatorSpec } from '../indicator-spec.js';
import type { BarIn, Indicator } from '../indicators.js';

/** The features, in vector order. Prices enter only as ratios (scale-free across symbols). */
export const FEATURES = [
  { name: 'ret1', what: 'log return of the last bar, in ATR(14) units' },
  { name: 'ret5', what: 'log return over 5 bars, in ATR(14) units' },
  { name: 'ret20', what: 'log return over 20 bars, in ATR(14) units' },
  { name: 'rsi14', what: 'RSI(14) / 100' },
  { name: 'stoch', what: 'Stochastic(14,3,3) main / 100' },
  { name: 'adx14', what: 'ADX(14) / 100' },
  { name: 'di', what: '(+DI − −DI) / 100' },
  { name: 'emaGap', what: '(close − EMA(20)) / ATR(14)' },
  { name: 'emaSlope', what: '(EMA(20) − EMA(50)) / ATR(14)' },
  { name: 'bbPos', what: 'position in the Bollinger(20,2) band: 0 lower, 1 upper' },
  { name: 'bbWidth', what: 'Bollinger(20,2) width / ATR(14)' },
  { name: 'volRatio', what: 'ATR(14) / ATR(100): volatility against its own norm' },
  { name: 'range', what: '(high − low) of the last bar / ATR(14)' },
  { name: 'body', what: '(close − open) of the last bar / ATR(14)' },
  { name: 'tickVol', what: 'tick volume / its 20-bar average' },
  { name: 'hourSin', what: 'sin(2π · hour of day / 24), broker time' },
  { name: 'hourCos', what: 'cos(2π · hour of day / 24)' },
  { name: 'weekday', what: 'day of week / 6 (0 = Sunday)' },
] as const;
export const FEATURE_COUNT = FEATURES.length;
/** Bars a FeatureState needs before its vectors are complete (the longest lookback: ATR(100)). */
export const FEATURE_WARMUP = 101;

const SPECS = ['atr:14', 'atr:100', 'rsi:14', 'stoch:14,3,3', 'adx:14', 'ema:20', 'ema:50', 'bb:20,2', 'volume_ma:20'] as const;

/** Incremental feature computation; push closed bars in order. */
export class FeatureState {
  private readonly ind: Indicator[] = SPECS.map((s) => parseIndicatorSpec(s).make());
  private readonly closes: number[] = [];
  count = 0;

  /** Push a closed bar; returns its feature vector, or null while warming up / when a value is not finite. */
  push(b: BarIn): Float64Array | null {
    for (const i of this.ind) i.push(b);
    this.closes.push(b.close);
    if (this.closes.length > 21) this.closes.shift();
    this.count++;
    return this.vector(b);
  }

  private vector(b: BarIn): Float64Array | null {
    if (this.count < FEATURE_WARMUP) return null;
    const [atr14, atr100, rsi, stoch, adx, ema20, ema50, bb, vma] = this.ind as [Indicator, Indicator, Indicator, Indicator, Indicator, Indicator, Indicator, Indicator, Indicator];
    const a = atr14.out[0]!;
    const c = this.closes;
    const n = c.length;
    if (!(a > 0) || n < 21) return null;
    const lr = (k: number) => Math.log(c[n - 1]! / c[n - 1 - k]!) * c[n - 1]! / a;
    const hour = Math.floor((b.time % 86400) / 3600);
    const day = new Date(b.time * 1000).getUTCDay();
    const upper = bb.out[0]!, lower = bb.out[2]!;
    const v = new Float64Array([
      lr(1), lr(5), lr(20),
      rsi.out[0]! / 100,
      stoch.out[0]! / 100,
      adx.out[0]! / 100,
      (adx.out[1]! - adx.out[2]!) / 100,
      (b.close - ema20.out[0]!) / a,
      (ema20.out[0]! - ema50.out[0]!) / a,
      upper > lower ? (b.close - lower) / (upper - lower) : 0.5,
      (upper - lower) / a,
      atr100.out[0]! > 0 ? a / atr100.out[0]! : 1,
      (b.high - b.low) / a,
      (b.close - b.open) / a,
      vma.out[0]! > 0 ? b.tickVolume / vma.out[0]! : 1,
      Math.sin((2 * Math.PI * hour) / 24),
      Math.cos((2 * Math.PI * hour) / 24),
      day / 6,
    ]);
    for (let k = 0; k < v.length; k++) if (!Number.isFinite(v[k]!)) return null;
    return v;
  }
}

/** A short hash of a feature vector (logged with every gate decision; the same input gives the same hash). */
export function featureHash(v: Float64Array): string {
  return createHash('sha256').update(Buffer.from(v.buffer, v.byteOffset, v.byteLength)).digest('hex').slice(0, 16);
}
