/**
 * The one internal form of a strategy (NormalizedStrategy) and its parts — conditions, groups, the series they
 * read — and the error that lists every problem of an input with its JSON path.
 */
import type { Timeframe } from '../../protocol/messages.js';

export const OPERATORS = ['crosses_above', 'crosses_below', 'greater_than', 'less_than', 'equal', 'in_range', 'outside_range'] as const;
export type Operator = (typeof OPERATORS)[number];

export type SessionName = 'Sydney' | 'Tokyo' | 'London' | 'NewYork';

/** Where a value comes from: an indicator buffer or a price field, on a timeframe. */
export interface SeriesRef {
  kind: 'series';
  /** Indicator spec for the engine ('ema:9', 'bb:20,2', …) or 'price'. */
  spec: string;
  /** Buffer name, or the price field for 'price'. */
  buffer: string;
  timeframe: Timeframe;
  /** Bars back the displayed value sits (Ichimoku spans: the cloud at bar i is the span computed at i − kijun). */
  shift: number;
  /** As written, for traces. */
  label: string;
}

export interface Condition {
  kind: 'condition';
  path: string;
  left: SeriesRef;
  op: Operator;
  right?: SeriesRef | { kind: 'number'; value: number };
  range?: [number, number];
  tolerance?: number;
  /** false: evaluated and traced, but does not decide (optional confirmations). */
  required: boolean;
}

export interface Group {
  kind: 'group';
  path: string;
  logic: 'AND' | 'OR';
  children: (Group | Condition)[];
}

export interface NormalizedStrategy {
  id: string;
  name: string;
  symbol: string;
  timeframe: Timeframe;
  /** Where its orders go: the terminal's broker, or the host's simulated broker on live prices (docs/host.md). */
  mode: 'live' | 'paper';
  entry: { long?: Group; short?: Group };
  exit: {
    stopLoss?: { type: 'pips'; pips: number } | { type: 'percentage'; percent: number } | { type: 'atr'; multiplier: number; atrPeriod: number } | { type: 'fixed'; price: number };
    takeProfit?:
      | { type: 'pips'; pips: number }
      | { type: 'percentage'; percent: number }
      | { type: 'rr_ratio'; ratio: number }
      | { type: 'atr'; multiplier: number; atrPeriod: number }
      | { type: 'fixed'; price: number }
      | { type: 'partial'; levels: { atRR: number; percentage: number }[] };
    trailing?: { distancePips?: number; atrMult?: number; atrPeriod: number; activationPips: number; activationRR?: number };
    breakEven?: { atRR: number; offsetPips: number };
    maxHoldingHours?: number;
    exitOnOppositeSignal: boolean;
    /** Exit conditions for long positions, and for short ones (the same group for the side-less form). */
    conditionsLong?: Group;
    conditionsShort?: Group;
  };
  risk: { lotSize?: number; maxPositions: number; maxDailyLoss?: number; maxDailyLossPercent?: number };
  dynamicRisk?: {
    riskPercentage?: number; useATRSizing: boolean; atrMultiplier: number; volatilityThreshold?: number; reduceInHighVolatility: boolean;
    kelly?: { fraction: number; capPercent: number; minTrades: number };
    volatilityScaling?: { targetAtrPips: number; maxScale: number; atrPeriod: number };
  };
  filters: {
    session?: { sessions: SessionName[]; action: 'SKIP' | 'REDUCE_SIZE'; sizeMultiplier: number };
    spread?: { maxSpreadPips: number; action: 'SKIP' | 'REDUCE_SIZE'; sizeMultiplier: number };
    volatility?: { atrPeriod: number; minAtrPips?: number; maxAtrPips?: number; optimalAtrPips?: number; action: 'SKIP' | 'REDUCE_SIZE' | 'NORMAL'; sizeMultiplier: number };
    correlation?: { threshold: number; window: number; action: 'SKIP' | 'REDUCE_SIZE'; sizeMultiplier: number };
  };
  options: {
    evaluation: 'bar_close' | 'intrabar';
    magic?: number;
    ml?: {
      mode: 'off' | 'observe' | 'enforce';
      threshold: number;
      model?: string;
      regimeSize?: Partial<Record<'trend' | 'range' | 'high_volatility', number>>;
      regimeExit?: Partial<Record<'trend' | 'range' | 'high_volatility', { sl?: number; tp?: number }>>;
    };
  };
  /** Every timeframe the rules read, the strategy's first. */
  timeframes: Timeframe[];
  /** Every indicator the rules read, per timeframe. */
  indicators: { timeframe: Timeframe; spec: string }[];
  /** Unknown top-level fields kept as metadata. */
  warnings: string[];
}

export interface StrategyProblem {
  path: string;
  message: string;
}

export class StrategyError extends Error {
  constructor(readonly problems: StrategyProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    this.name = 'StrategyError';
  }
}
