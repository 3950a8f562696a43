/**
 * Regime detector and anomaly guard: rules a trader can read, plus statistical thresholds. Pure; callers pass
 * every timestamp (the engine has no clock).
 */
import { FEATURES } from './features.js';

export type Regime = 'trend' | 'range' | 'high_volatility';

const at = (name: string): number => FEATURES.findIndex((f) => f.name === name);
const ADX = at('adx14');
const VOL = at('volRatio');

/** High volatility when ATR(14) is ≥ 1.5× its 100-bar norm; else trend when ADX(14) ≥ 25; else range. */
export function detectRegime(features: Float64Array, o: { volRatio?: number; adx?: number } = {}): Regime {
  if (features[VOL]! >= (o.volRatio ?? 1.5)) return 'high_volatility';
  if (features[ADX]! * 100 >= (o.adx ?? 25)) return 'trend';
  return 'range';
}

export type AnomalyKind = 'slippage' | 'spread' | 'latency' | 'rejects';

export interface Anomaly {
  kind: AnomalyKind;
  value: number;
  limit: number;
  detail: string;
}

export interface AnomalyLimits {
  /** absolute rule: slippage above this many points is an anomaly */
  maxSlippagePoints: number;
  /** a spread above this multiple of the recent median spread */
  spreadSpikeFactor: number;
  /** an order round trip above this many ms */
  maxLatencyMs: number;
  /** share of rejected orders among the last `window` */
  maxRejectRate: number;
  /** statistical rule: also flag values beyond median + k × MAD of the recent window */
  madK: number;
  window: number;
}

export const DEFAULT_ANOMALY_LIMITS: AnomalyLimits = {
  maxSlippagePoints: 30, spreadSpikeFactor: 3, maxLatencyMs: 2000, maxRejectRate: 0.3, madK: 6, window: 50,
};

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Rolling observations per kind; each new observation is judged against the rule and the window's median/MAD. */
export class AnomalyGuard {
  private readonly hist: Record<'slippage' | 'spread' | 'latency', number[]> = { slippage: [], spread: [], latency: [] };
  private readonly results: number[] = [];

  constructor(readonly limits: AnomalyLimits = DEFAULT_ANOMALY_LIMITS) {}

  private push(kind: 'slippage' | 'spread' | 'latency', v: number): number[] {
    const h = this.hist[kind];
    const before = [...h];
    h.push(v);
    if (h.length > this.limits.window) h.shift();
    return before;
  }

  private statistical(kind: AnomalyKind, v: number, before: number[], unit: string): Anomaly | null {
    if (before.length < 20) return null;
    const med = median(before);
    const mad = median(before.map((x) => Math.abs(x - med))) || 1e-9;
    const limit = med + this.limits.madK * mad * 1.4826;
    return v > limit ? { kind, value: v, limit, detail: `${kind} ${v}${unit} is beyond median ${med}${unit} + ${this.limits.madK} robust σ (${limit.toFixed(2)}${unit})` } : null;
  }

  /** Slippage of a fill in points (adverse positive). */
  slippage(points: number): Anomaly | null {
    const before = this.push('slippage', points);
    if (points > this.limits.maxSlippagePoints) return { kind: 'slippage', value: points, limit: this.limits.maxSlippagePoints, detail: `slippage ${points} points above the limit ${this.limits.maxSlippagePoints}` };
    return this.statistical('slippage', points, before, ' pt');
  }

  private spreadMedian = 0;
  private spreadSeen = 0;

  /** The current spread in points (called on every tick: the median is refreshed every 25 ticks, not sorted each time). */
  spread(points: number): Anomaly | null {
    const h = this.hist.spread;
    let out: Anomaly | null = null;
    if (h.length >= 10) {
      if (this.spreadMedian === 0 || this.spreadSeen % 25 === 0) this.spreadMedian = median(h);
      const med = this.spreadMedian;
      const limit = med * this.limits.spreadSpikeFactor;
      if (med > 0 && points > limit) out = { kind: 'spread', value: points, limit, detail: `spread ${points} points is ${(points / med).toFixed(1)}× the recent median ${med}` };
    }
    h.push(points);
    if (h.length > this.limits.window) h.shift();
    this.spreadSeen++;
    return out;
  }

  /** An order's round trip in ms. */
  latency(ms: number): Anomaly | null {
    const before = this.push('latency', ms);
    if (ms > this.limits.maxLatencyMs) return { kind: 'latency', value: ms, limit: this.limits.maxLatencyMs, detail: `order round trip ${ms} ms above ${this.limits.maxLatencyMs} ms` };
    return this.statistical('latency', ms, before, ' ms');
  }

  /** An order's outcome: rejected or not. */
  result(rejected: boolean): Anomaly | null {
    this.results.push(rejected ? 1 : 0);
    if (this.results.length > this.limits.window) this.results.shift();
    if (this.results.length < 10) return null;
    const rate = this.results.reduce((s, v) => s + v, 0) / this.results.length;
    return rate > this.limits.maxRejectRate ? { kind: 'rejects', value: rate, limit: this.limits.maxRejectRate, detail: `${Math.round(rate * 100)} % of the last ${this.results.length} orders were rejected` } : null;
  }
}
