import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars, type BarSeries } from '../../src/engine/bars.js';
import { barAt } from '../../src/engine/indicator-spec.js';
import { FEATURE_COUNT, FEATURE_WARMUP, FeatureState, featureHash } from '../../src/engine/ml/features.js';
import { gateDecision } from '../../src/engine/ml/gate.js';
import { auc, checkModel, classMetrics, fit, predict, walkForward, type Sample, type SignalModel } from '../../src/engine/ml/model.js';
import { AnomalyGuard, detectRegime } from '../../src/engine/ml/regime.js';
import type { Decision } from '../../src/engine/runner.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { mlCommand, mlEvaluate, mlTrain } from '../../src/cli/ml.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { featureRows, signalSamples, withGate } from '../../src/research/ml-dataset.js';

const BARS = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));
const EMA = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8')) as Record<string, unknown>;
const strategy = (ml?: object) => {
  const s = normalizeStrategy(EMA);
  return ml ? withGate(s, { mode: 'observe', threshold: 0.6, ...ml } as never) : s;
};
const dir = mkdtempSync(path.join(tmpdir(), 'mt5x-ml-'));

function perturbAfter(s: BarSeries, t: number): BarSeries {
  const c = sliceBars(s, 0);
  const copy = (a: Float64Array) => Float64Array.from(a);
  const out = { ...c, open: copy(c.open), high: copy(c.high), low: copy(c.low), close: copy(c.close), tickVolume: copy(c.tickVolume) };
  for (let i = t + 1; i < out.length; i++) {
    const k = 1 + ((i * 7919) % 97) / 1000;
    out.open[i]! *= k;
    out.close[i]! *= k * 1.001;
    out.high[i] = Math.max(out.open[i]!, out.close[i]!) * 1.002;
    out.low[i] = Math.min(out.open[i]!, out.close[i]!) * 0.998;
    out.tickVolume[i]! *= 3;
  }
  return out;
}

describe('features', () => {
  it('a feature at bar t does not change when every bar after t changes (no look-ahead)', () => {
    const a = featureRows(BARS);
    for (const t of [FEATURE_WARMUP + 5, 1000, 3000, BARS.length - 2]) {
      const b = featureRows(perturbAfter(BARS, t));
      expect(Array.from(b[t]!)).toEqual(Array.from(a[t]!));
      expect(Array.from(b[t + 1]!)).not.toEqual(Array.from(a[t + 1]!)); // the perturbation is real
    }
  });

  it('warm up for FEATURE_WARMUP bars, then give every feature a finite value', () => {
    const f = new FeatureState();
    let first = -1;
    for (let i = 0; i < 400; i++) {
      const v = f.push(barAt(BARS, i));
      if (v && first < 0) first = i;
      if (v) {
        expect(v.length).toBe(FEATURE_COUNT);
        expect(Array.from(v).every(Number.isFinite)).toBe(true);
      }
    }
    expect(first).toBe(FEATURE_WARMUP - 1);
  });

  it('the runner scores entries on exactly the vectors training uses (one feature function)', () => {
    const rows = featureRows(BARS);
    const seen: Decision[] = [];
    runBacktest({ strategy: strategy({ mode: 'observe' }), bars: BARS, warmupBars: 300, onDecision: (d) => d.ml && seen.push(d) });
    expect(seen.length).toBeGreaterThan(10);
    const byClose = new Map<number, number>();
    for (let i = 0; i < BARS.length; i++) byClose.set(BARS.time[i]! + 3600, i);
    for (const d of seen) {
      const i = byClose.get(d.time)!;
      expect(d.ml!.featureHash).toBe(featureHash(rows[i]!));
    }
  });
});

describe('model', () => {
  it('learns a separable problem and scores a noise problem near 0.5 AUC', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const X: Float64Array[] = [];
    const y: number[] = [];
    const noiseY: number[] = [];
    for (let i = 0; i < 400; i++) {
      const x = new Float64Array(FEATURE_COUNT).map(() => rnd() * 2 - 1);
      X.push(x);
      y.push(x[3]! + 0.5 * x[7]! > 0 ? 1 : 0);
      noiseY.push(rnd() > 0.6 ? 1 : 0);
    }
    const m = fit(X.slice(0, 300), y.slice(0, 300));
    const scores = X.slice(300).map((x) => predict(m, x));
    expect(classMetrics(scores, y.slice(300)).auc).toBeGreaterThan(0.95);
    const n = fit(X.slice(0, 300), noiseY.slice(0, 300));
    const ns = X.slice(300).map((x) => predict(n, x));
    expect(Math.abs(auc(ns, noiseY.slice(300)) - 0.5)).toBeLessThan(0.15);
  });

  it('metrics by hand: accuracy, precision, recall, F1, AUC with ties', () => {
    const m = classMetrics([0.9, 0.8, 0.4, 0.3, 0.7], [1, 0, 1, 0, 1], 0.5);
    expect(m).toMatchObject({ samples: 5, accuracy: 0.6, precision: 0.6667, recall: 0.6667, f1: 0.6667, baseRate: 0.6 });
    expect(auc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.1, 0.2], [1, 1])).toBe(0.5);
  });

  it('walk-forward tests every fold only on data after what it trained on', () => {
    const samples: Sample[] = Array.from({ length: 120 }, (_, i) => ({ time: 1000 + i, x: new Float64Array(FEATURE_COUNT).fill(i % 3), y: i % 2 }));
    const wf = walkForward([...samples].reverse(), 5);
    expect(wf.folds).toHaveLength(5);
    wf.folds.forEach((f, k) => {
      expect(f.trainSamples).toBe(20 * (k + 1));
      expect(f.testFrom).toBe(1000 + 20 * (k + 1));
    });
    expect(() => walkForward(samples.slice(0, 20), 5)).toThrow(/too few for 5 walk-forward folds/);
  });
});

describe('regime and anomaly guard', () => {
  it('detects trend, range and high volatility from the features', () => {
    const v = new Float64Array(FEATURE_COUNT);
    v[5] = 0.3; // adx 30
    v[11] = 1; // volRatio
    expect(detectRegime(v)).toBe('trend');
    v[5] = 0.15;
    expect(detectRegime(v)).toBe('range');
    v[11] = 1.8;
    expect(detectRegime(v)).toBe('high_volatility');
  });

  it('flags slippage, spread spikes, latency and reject rates by rule and by statistics; normal values pass', () => {
    const g = new AnomalyGuard();
    for (let i = 0; i < 30; i++) {
      expect(g.slippage(1 + (i % 3))).toBeNull();
      expect(g.spread(10 + (i % 2))).toBeNull();
      expect(g.latency(40 + (i % 5))).toBeNull();
      expect(g.result(false)).toBeNull();
    }
    expect(g.slippage(45)).toMatchObject({ kind: 'slippage', limit: 30 }); // the rule
    expect(g.slippage(25)).toMatchObject({ kind: 'slippage' }); // under the rule, far beyond the window's spread
    expect(g.spread(40)).toMatchObject({ kind: 'spread' });
    expect(g.latency(2500)).toMatchObject({ kind: 'latency', limit: 2000 });
    expect(g.latency(400)?.detail).toMatch(/robust σ/);
    let last = null;
    for (let i = 0; i < 20; i++) last = g.result(true); // 20 of the last 50 rejected: 40 %
    expect(last).toMatchObject({ kind: 'rejects' });
  });
});

describe('the gate in the runner: backtest applies it as live does', () => {
  const model = (over: Partial<SignalModel> = {}): SignalModel => {
    const samples = signalSamples({ strategy: strategy(), bars: BARS, warmupBars: 300 }).samples;
    const f = fit(samples.map((s) => s.x), samples.map((s) => s.y));
    return checkModel({
      format: 'mt5x-signal-model', formatVersion: 1, version: 'test', kind: 'logistic-regression', features: ['ret1', 'ret5', 'ret20', 'rsi14', 'stoch', 'adx14', 'di', 'emaGap', 'emaSlope', 'bbPos', 'bbWidth', 'volRatio', 'range', 'body', 'tickVol', 'hourSin', 'hourCos', 'weekday'],
      mean: f.mean, std: f.std, weights: f.weights, bias: f.bias, l2: 1, trainedOn: { strategy: 's', symbol: 'EURUSD', timeframe: 'H1', from: 0, to: 0, samples: samples.length, positives: 0 },
      walkForward: [], metrics: classMetrics([], []), createdAt: '', ...over,
    });
  };

  it('off and observe trade the same; observe logs the score with the model version and feature hash', () => {
    const m = model();
    const off = runBacktest({ strategy: strategy(), bars: BARS, warmupBars: 300 });
    const decisions: Decision[] = [];
    const obs = runBacktest({ strategy: strategy({ mode: 'observe' }), bars: BARS, warmupBars: 300, model: m, onDecision: (d) => d.ml && decisions.push(d) });
    expect(obs.trades).toEqual(off.trades);
    expect(decisions.every((d) => d.ml!.modelVersion === 'test' && /^[0-9a-f]{16}$/.test(d.ml!.featureHash!) && d.ml!.score !== null)).toBe(true);
  });

  it('enforce skips entries below the threshold, with the reason; a threshold of 0 skips none', () => {
    const m = model();
    const off = runBacktest({ strategy: strategy(), bars: BARS, warmupBars: 300 });
    const none = runBacktest({ strategy: strategy({ mode: 'enforce', threshold: 0 }), bars: BARS, warmupBars: 300, model: m });
    expect(none.trades).toEqual(off.trades);
    const refused: string[] = [];
    const all = runBacktest({ strategy: strategy({ mode: 'enforce', threshold: 1 }), bars: BARS, warmupBars: 300, model: m, onDecision: (d) => d.refused && refused.push(d.refused) });
    expect(all.trades).toEqual([]);
    expect(refused.find((r) => r.startsWith('ml gate'))).toMatch(/^ml gate: score 0\.\d+ < 1 \(model test\)$/);
    const noModel: string[] = [];
    runBacktest({ strategy: strategy({ mode: 'enforce' }), bars: BARS, warmupBars: 300, onDecision: (d) => d.refused && noModel.push(d.refused) });
    expect(noModel.find((r) => r.startsWith('ml gate'))).toBe('ml gate: no ML model loaded');
  });

  it('regime sizing: a multiplier of 0 in every regime refuses, 0.5 halves the volume', () => {
    const m = model();
    const zero = runBacktest({ strategy: strategy({ mode: 'observe', regimeSize: { trend: 0, range: 0, high_volatility: 0 } }), bars: BARS, warmupBars: 300, model: m });
    expect(zero.trades).toEqual([]);
    const half = runBacktest({ strategy: strategy({ mode: 'observe', regimeSize: { trend: 0.5, range: 0.5, high_volatility: 0.5 } }), bars: BARS, warmupBars: 300, model: m });
    const full = runBacktest({ strategy: strategy(), bars: BARS, warmupBars: 300 });
    expect(half.trades[0]!.volume).toBeCloseTo(full.trades[0]!.volume / 2, 10);
  });

  it('regime exits: SL and TP distances scaled by the regime\'s multipliers', () => {
    const m = model();
    const opens = (ml?: object) => {
      const out = new Map<number, { sl: number; tp: number; entry: number }>();
      runBacktest({ strategy: strategy(ml), bars: BARS, warmupBars: 300, model: m, onDecision: (d) => {
        for (const i of d.intents) if (i.type === 'OPEN') out.set(d.time, { sl: i.sl, tp: i.tp, entry: 0 });
      } });
      return out;
    };
    const plain = opens({ mode: 'observe' });
    const wide = opens({ mode: 'observe', regimeExit: { trend: { sl: 2, tp: 0.5 }, range: { sl: 2, tp: 0.5 }, high_volatility: { sl: 2, tp: 0.5 } } });
    expect(plain.size).toBeGreaterThan(3);
    let checked = 0;
    for (const [t, p] of plain) {
      const w = wide.get(t);
      if (!w || p.sl === 0 || p.tp === 0) continue;
      // SL twice as far: entry − sl_w = 2 (entry − sl_p), so entry = 2 sl_p − sl_w; then TP half as far
      const entry = 2 * p.sl - w.sl;
      expect(Math.abs(w.tp - entry - 0.5 * (p.tp - entry))).toBeLessThanOrEqual(0.00002);
      expect(Math.sign(entry - p.sl)).toBe(Math.sign(p.tp - entry)); // the entry lies between SL and TP
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('gateDecision without features (warm-up): observe allows, enforce refuses', () => {
    expect(gateDecision({ mode: 'observe', threshold: 0.6 }, undefined, null)).toMatchObject({ allow: true, reason: 'features not ready (warm-up)' });
    expect(gateDecision({ mode: 'enforce', threshold: 0.6 }, undefined, null)).toMatchObject({ allow: false });
    expect(gateDecision({ mode: 'off', threshold: 0.6 }, undefined, null)).toMatchObject({ allow: true, score: null });
  });

  it('the strategy format takes options.ml and refuses a bad mode with its path', () => {
    const s = normalizeStrategy({ ...EMA, rules: { ...(EMA.rules as object), options: { ml: { mode: 'enforce', regimeSize: { range: 0.5 } } } } });
    expect(s.options.ml).toEqual({ mode: 'enforce', threshold: 0.6, regimeSize: { range: 0.5 } });
    expect(() => normalizeStrategy({ ...EMA, rules: { ...(EMA.rules as object), options: { ml: { mode: 'always' } } } })).toThrow(/options\.ml\.mode/);
  });
});

describe('ml train / ml evaluate', () => {
  const data = path.join(dir, 'bars.csv');
  writeFileSync(data, readFileSync('data/EURUSD_H1_2015-2022.csv'));
  const stratFile = 'examples/ema-cross-trend.json';

  it('train writes a versioned model with walk-forward metrics; the same inputs give the same version', () => {
    const out: string[] = [];
    const a = mlTrain({ data, strategy: stratFile, out: path.join(dir, 'm1.json'), folds: '4' }, (t) => out.push(t));
    const b = mlTrain({ data, strategy: stratFile, out: path.join(dir, 'm2.json'), folds: '4', json: true }, () => undefined);
    expect(a.version).toBe(b.version);
    expect(a.walkForward).toHaveLength(4);
    const file = checkModel(JSON.parse(readFileSync(path.join(dir, 'm1.json'), 'utf8')));
    expect(file.trainedOn.samples).toBeGreaterThan(100);
    expect(out.join('')).toMatch(/pooled out-of-sample: accuracy .* AUC/);
  });

  it('evaluate reports metrics on data after training and the gate\'s effect on a backtest', () => {
    const out: string[] = [];
    const r = mlEvaluate({ data, strategy: stratFile, model: path.join(dir, 'm1.json') }, (t) => out.push(t));
    const model = checkModel(JSON.parse(readFileSync(path.join(dir, 'm1.json'), 'utf8')));
    expect(r.from).toBeGreaterThan(model.trainedOn.to);
    expect(r.without.trades).toBeGreaterThan(20);
    expect(r.with.trades + r.with.skipped).toBeGreaterThanOrEqual(r.without.trades);
    expect(out.join('')).toMatch(/without the gate[\s\S]*with the gate/);
  });

  it("evaluate warns when the model learnt another strategy's signals (and not when it is the strategy's own)", () => {
    const own: string[] = [];
    mlEvaluate({ data, strategy: stratFile, model: path.join(dir, 'm1.json') }, () => undefined, (t) => own.push(t));
    expect(own.join('')).not.toContain('was trained on'); // (bars.csv names no symbol: that warning only)
    expect(own.length).toBeGreaterThan(0);
    const other: string[] = [];
    const r = mlEvaluate({ data, strategy: 'examples/rsi-bollinger-reversion.json', model: path.join(dir, 'm1.json') }, () => undefined, (t) => other.push(t));
    expect(other.join('')).toContain(`warning: ${path.join(dir, 'm1.json')} was trained on the signals of strategy ema-cross-trend, not rsi-bb-reversion: its scores are for those; train one for examples/rsi-bollinger-reversion.json (mt5-executor ml train)\n`);
    expect(r.without.trades).toBeGreaterThan(0); // a warning, not a refusal
  });

  it('bad input: a clear error and a usage exit code', () => {
    const err: string[] = [];
    expect(mlCommand('train', { data }, () => undefined, (t) => err.push(t))).toBe(2);
    expect(err.join('')).toMatch(/--strategy <file.json> and --data <bars.csv> are required/);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'mt5x-signal-model', formatVersion: 1, features: ['x'] }));
    const e2: string[] = [];
    expect(mlCommand('evaluate', { data, strategy: stratFile, model: bad }, () => undefined, (t) => e2.push(t))).toBe(1);
    expect(e2.join('')).toMatch(/bad\.json: "features" must be exactly ret1, ret5/);
    expect(mlCommand('fly', {}, () => undefined, () => undefined)).toBe(2);
  });
});
