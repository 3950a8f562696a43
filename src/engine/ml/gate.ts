/**
 * The ML signal gate, applied by the StrategyRunner to every new entry — in backtest, paper and live alike.
 *  off      no score, nothing changes
 *  observe  the score is computed and logged; the entry goes ahead
 *  enforce  an entry scoring below the threshold (default 0.6) is skipped, with the reason
 * The regime adjusts the size when the strategy's options say so (options.ml.regimeSize).
 */
import { featureHash } from './features.js';
import { predict, type SignalModel } from './model.js';
import { detectRegime, type Regime } from './regime.js';

export type GateMode = 'off' | 'observe' | 'enforce';

export interface GateConfig {
  mode: GateMode;
  threshold: number;
  /** size multiplier per regime (missing = 1) */
  regimeSize?: Partial<Record<Regime, number>>;
}

export interface GateDecision {
  mode: GateMode;
  allow: boolean;
  score: number | null;
  threshold: number;
  regime: Regime | null;
  sizeMultiplier: number;
  modelVersion: string | null;
  featureHash: string | null;
  reason: string;
}

export function gateDecision(cfg: GateConfig, model: SignalModel | undefined, features: Float64Array | null): GateDecision {
  const base: GateDecision = {
    mode: cfg.mode, allow: true, score: null, threshold: cfg.threshold, regime: null, sizeMultiplier: 1,
    modelVersion: model?.version ?? null, featureHash: null, reason: 'gate off',
  };
  if (cfg.mode === 'off') return base;
  if (!features) {
    return { ...base, allow: cfg.mode !== 'enforce', reason: 'features not ready (warm-up)' };
  }
  const regime = detectRegime(features);
  const sizeMultiplier = cfg.regimeSize?.[regime] ?? 1;
  const out: GateDecision = { ...base, regime, sizeMultiplier, featureHash: featureHash(features) };
  if (!model) return { ...out, allow: cfg.mode !== 'enforce', reason: 'no ML model loaded' };
  const score = Math.round(predict(model, features) * 1e4) / 1e4;
  const pass = score >= cfg.threshold;
  return {
    ...out, score,
    allow: cfg.mode === 'observe' || pass,
    reason: pass ? `score ${score} ≥ ${cfg.threshold}` : `score ${score} < ${cfg.threshold}${cfg.mode === 'observe' ? ' (observe: not enforced)' : ''}`,
  };
}
