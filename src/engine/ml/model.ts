/**
 * The signal-quality classifier: L2-regularised logistic regression on standardised features, trained by
 * deterministic full-batch gradient descent. Small on purpose: a few hundred labelled signals per strategy and
 * symbol cannot support more capacity (seed 004's random forest on 69 features fit noise and answered HOLD to
 * everything); it is exact to reproduce, serialises to a few hundred bytes of JSON, and needs no native code.
 * Metrics (accuracy, precision, recall, F1, ROC AUC) and the walk-forward split live here too.
 */
import { FEATURES, FEATURE_COUNT } from './features.js';

export const MODEL_FORMAT = 'mt5x-signal-model';
export const MODEL_FORMAT_VERSION = 1;

export interface SignalModel {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  /** content version: a hash of the weights, so a decision log names the exact model */
  version: string;
  kind: 'logistic-regression';
  features: string[];
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
  l2: number;
  trainedOn: { strategy: string; symbol: string; timeframe: string; from: number; to: number; samples: number; positives: number };
  walkForward: FoldMetrics[];
  metrics: ClassMetrics;
  createdAt: string;
}

export interface ClassMetrics {
  samples: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  auc: number;
  /** share of positives in the data: the accuracy of always answering "no" is 1 − this */
  baseRate: number;
}

export interface FoldMetrics extends ClassMetrics {
  fold: number;
  trainSamples: number;
  testFrom: number;
  testTo: number;
}

export interface TrainOptions {
  l2?: number;
  epochs?: number;
  learningRate?: number;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export interface Fitted {
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
  l2: number;
}

export function fit(X: Float64Array[], y: number[], o: TrainOptions = {}): Fitted {
  const n = X.length;
  const d = FEATURE_COUNT;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (const x of X) for (let k = 0; k < d; k++) mean[k]! += x[k]! / n;
  for (const x of X) for (let k = 0; k < d; k++) std[k]! += (x[k]! - mean[k]!) ** 2 / n;
  for (let k = 0; k < d; k++) std[k] = Math.sqrt(std[k]!) || 1;
  const Z = X.map((x) => x.map((v, k) => (v - mean[k]!) / std[k]!));
  const l2 = o.l2 ?? 1.0;
  const lr = o.learningRate ?? 0.1;
  const epochs = o.epochs ?? 500;
  const w = new Array<number>(d).fill(0);
  let b = 0;
  const pos = y.reduce((s, v) => s + v, 0);
  if (pos > 0 && pos < n) b = Math.log(pos / (n - pos)); // start at the base rate
  for (let e = 0; e < epochs; e++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const z = Z[i]!;
      let s = b;
      for (let k = 0; k < d; k++) s += w[k]! * z[k]!;
      const err = sigmoid(s) - y[i]!;
      for (let k = 0; k < d; k++) gw[k]! += err * z[k]!;
      gb += err;
    }
    for (let k = 0; k < d; k++) w[k]! -= lr * (gw[k]! / n + (l2 * w[k]!) / n);
    b -= lr * (gb / n);
  }
  return { mean, std, weights: w, bias: b, l2 };
}

export function predict(m: Fitted, x: Float64Array): number {
  let s = m.bias;
  for (let k = 0; k < m.weights.length; k++) s += m.weights[k]! * ((x[k]! - m.mean[k]!) / m.std[k]!);
  return sigmoid(s);
}

/** Classification metrics at a threshold, and the threshold-free ROC AUC. */
export function classMetrics(scores: number[], y: number[], threshold = 0.5): ClassMetrics {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < y.length; i++) {
    const p = scores[i]! >= threshold ? 1 : 0;
    if (p === 1 && y[i] === 1) tp++;
    else if (p === 1) fp++;
    else if (y[i] === 1) fn++;
    else tn++;
  }
  const n = y.length;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    samples: n,
    accuracy: r4(n ? (tp + tn) / n : 0),
    precision: r4(precision),
    recall: r4(recall),
    f1: r4(precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0),
    auc: r4(auc(scores, y)),
    baseRate: r4(n ? (tp + fn) / n : 0),
  };
}

/** ROC AUC by the rank statistic (ties count half); 0.5 when one class is missing. */
export function auc(scores: number[], y: number[]): number {
  const idx = scores.map((s, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = r;
    i = j + 1;
  }
  let pos = 0, sum = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) {
    pos++;
    sum += ranks[i]!;
  }
  const neg = y.length - pos;
  if (pos === 0 || neg === 0) return 0.5;
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface Sample {
  /** signal time (bar close), s */
  time: number;
  x: Float64Array;
  /** 1 = the trade this signal opened made money */
  y: number;
}

/**
 * Walk-forward: samples in time order cut into `folds + 1` blocks; fold k trains on blocks 0..k and tests on
 * block k+1 — never on anything earlier than what it learned from.
 */
export function walkForward(samples: Sample[], folds: number, o: TrainOptions = {}, threshold = 0.5): { folds: FoldMetrics[]; pooled: ClassMetrics; scores: number[]; labels: number[] } {
  const s = [...samples].sort((a, b) => a.time - b.time);
  const block = Math.floor(s.length / (folds + 1));
  if (block < 5) throw new Error(`${s.length} samples are too few for ${folds} walk-forward folds (need at least ${5 * (folds + 1)})`);
  const out: FoldMetrics[] = [];
  const allScores: number[] = [];
  const allLabels: number[] = [];
  for (let k = 0; k < folds; k++) {
    const train = s.slice(0, block * (k + 1));
    const test = s.slice(block * (k + 1), k === folds - 1 ? s.length : block * (k + 2));
    const m = fit(train.map((t) => t.x), train.map((t) => t.y), o);
    const scores = test.map((t) => predict(m, t.x));
    const labels = test.map((t) => t.y);
    allScores.push(...scores);
    allLabels.push(...labels);
    out.push({ fold: k + 1, trainSamples: train.length, testFrom: test[0]!.time, testTo: test[test.length - 1]!.time, ...classMetrics(scores, labels, threshold) });
  }
  return { folds: out, pooled: classMetrics(allScores, allLabels, threshold), scores: allScores, labels: allLabels };
}

export function featureNames(): string[] {
  return FEATURES.map((f) => f.name);
}

/** Check a parsed model file; throws naming the field that is wrong. */
export function checkModel(m: unknown, file = 'model'): SignalModel {
  const o = m as Partial<SignalModel>;
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  if (!o || typeof o !== 'object') fail('not a JSON object');
  if (o.format !== MODEL_FORMAT) fail(`"format" must be "${MODEL_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.formatVersion !== MODEL_FORMAT_VERSION) fail(`"formatVersion" ${o.formatVersion} is not supported (this executor reads ${MODEL_FORMAT_VERSION})`);
  const names = featureNames();
  if (!Array.isArray(o.features) || o.features.join(',') !== names.join(',')) fail(`"features" must be exactly ${names.join(', ')} (the model was trained on other features)`);
  for (const k of ['mean', 'std', 'weights'] as const) {
    const a = o[k];
    if (!Array.isArray(a) || a.length !== FEATURE_COUNT || a.some((v) => typeof v !== 'number' || !Number.isFinite(v))) fail(`"${k}" must be ${FEATURE_COUNT} finite numbers`);
  }
  if (typeof o.bias !== 'number' || !Number.isFinite(o.bias)) fail('"bias" must be a finite number');
  if (typeof o.version !== 'string' || !o.version) fail('"version" is missing');
  return o as SignalModel;
}
