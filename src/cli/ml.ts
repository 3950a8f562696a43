/**
 * `mt5-executor ml train` and `mt5-executor ml evaluate`: the signal-quality model of one strategy on one
 * symbol's bars. Training uses the first part of the data (walk-forward inside it) and leaves the rest for
 * `evaluate`, which is therefore out of sample by construction.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { formatServerTime, sliceBars, type BarSeries } from '../engine/bars.js';
import { loadBarFile } from './bar-file.js';
import { UsageError, outputProblem, readJsonFile, usageFailure, writeFailure } from './kit.js';
import { FEATURE_WARMUP } from '../engine/ml/features.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, checkModel, classMetrics, featureNames, fit, predict, walkForward, type SignalModel } from '../engine/ml/model.js';
import type { NormalizedStrategy } from '../engine/strategy/normalize.js';
import { runBacktest } from '../sim/backtest.js';
import { signalSamples, withGate } from '../research/ml-dataset.js';
import { SYMBOLS, resolveSymbol } from '../sim/symbols.js';
import { checkDataMatch } from './data-match.js';
import { readStrategyFile } from './strategy.js';

type Out = (t: string) => void;

export interface MlArgs {
  data?: string;
  strategy?: string;
  model?: string;
  out?: string;
  folds?: string;
  holdout?: string;
  threshold?: string;
  json?: boolean;
}

/** Bars before the evaluated period that only warm indicators and features up. */
const WARMUP = 300;

/**
 * The strategy and the bars, checked as backtest checks them: a broker's suffixed symbol (EURUSD.m, EURUSDm) runs on
 * its preset with the same note (sim/symbols.ts resolveSymbol), and bars of another symbol or timeframe are an error
 * (data-match.ts; ml has no --symbol/--timeframe: the strategy file says what it trades). `symbol` is the strategy's own.
 */
function load(a: MlArgs, err: Out): { strategy: NormalizedStrategy; symbol: string; bars: BarSeries } {
  if (!a.strategy || !a.data) throw new UsageError(REQUIRED);
  const loaded = readStrategyFile(a.strategy);
  const sym = resolveSymbol(loaded.symbol);
  if (!sym) throw new Error(`no symbol specification for ${loaded.symbol}: known ${Object.keys(SYMBOLS).join(', ')}`);
  if (sym.note) err(`note: ${sym.note}\n`);
  const strategy = sym.note ? { ...loaded, symbol: sym.preset } : loaded;
  const bars = loadBarFile(a.data);
  const inFile = (k: string) => (v: string) => `"${k}": "${v}" in ${a.strategy} (ml has no --${k})`;
  const match = checkDataMatch({ dataFile: a.data, bars, strategy, override: { symbol: inFile('symbol'), timeframe: inFile('timeframe') } });
  if (match.error) throw new Error(match.error);
  for (const w of match.warnings) err(`warning: ${w}\n`);
  return { strategy, symbol: loaded.symbol, bars };
}

const REQUIRED = '--strategy <file.json> and --data <bars.csv> are required';

function numArg(name: string, v: string | undefined, def: number, min: number, max: number, whole = false): number {
  if (v === undefined) return def;
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (whole && !Number.isInteger(n))) throw new UsageError(`--${name} must be a ${whole ? 'whole ' : ''}number from ${min} to ${max}, got '${v}'`);
  return n;
}

export function modelVersion(m: Pick<SignalModel, 'mean' | 'std' | 'weights' | 'bias' | 'features'>): string {
  return createHash('sha256').update(JSON.stringify([m.features, m.mean, m.std, m.weights, m.bias])).digest('hex').slice(0, 12);
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

export function mlTrain(a: MlArgs, out: Out, err: Out = () => undefined): SignalModel {
  // the options before the files (a usage error is one), and a model file that cannot be written before the
  // training, which takes a while
  if (!a.strategy || !a.data) throw new UsageError(REQUIRED);
  // (whole: --folds 2.5 ran 3 folds and said 2.5)
  const folds = numArg('folds', a.folds, 5, 2, 20, true);
  const holdout = numArg('holdout', a.holdout, 0.25, 0.05, 0.8);
  const wrong = a.out === undefined ? undefined : outputProblem(a.out, 'model.json');
  if (wrong) throw new Error(`--out ${a.out}: ${wrong}`);
  const { strategy, symbol, bars } = load(a, err);
  const cut = Math.floor(bars.length * (1 - holdout));
  const train = sliceBars(bars, 0, cut);
  const set = signalSamples({ strategy, bars: train, warmupBars: WARMUP });
  const { samples } = set;
  // each fold's block needs 5 signals at least (walkForward): say what would do
  const most = Math.floor(samples.length / 5) - 1;
  if (most < folds) {
    throw new Error(
      `${a.data}: ${samples.length} signals of the strategy in the training part (${formatServerTime(train.time[0]!)} to ${formatServerTime(train.time[train.length - 1]!)}) are too few for ${folds} walk-forward folds (5 a block: ${5 * (folds + 1)} needed): ` +
        (most >= 2 ? `give --folds ${most} or fewer, or a longer file` : `give a longer file (${5 * 3} signals at least, for --folds 2)`),
    );
  }
  const wf = walkForward(samples, folds);
  const f = fit(samples.map((s) => s.x), samples.map((s) => s.y));
  const base = { features: featureNames(), mean: f.mean, std: f.std, weights: f.weights, bias: f.bias };
  const model: SignalModel = {
    format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, version: modelVersion(base), kind: 'logistic-regression',
    ...base, l2: f.l2,
    trainedOn: {
      strategy: strategy.id, symbol, timeframe: strategy.timeframe, from: train.time[0]!, to: train.time[train.length - 1]!,
      samples: samples.length, positives: samples.filter((s) => s.y === 1).length,
    },
    walkForward: wf.folds, metrics: wf.pooled, createdAt: new Date().toISOString(),
  };
  const file = a.out ?? `model-${strategy.id}-${model.version}.json`;
  try {
    writeFileSync(file, `${JSON.stringify(model, null, 2)}\n`);
  } catch (e) {
    throw new Error(`${a.out === undefined ? 'the model file ' : '--out '}${file}: cannot write it: ${writeFailure(e)}`);
  }
  if (a.json) {
    out(`${JSON.stringify({ file, version: model.version, samples: samples.length, walkForward: wf.folds, pooled: wf.pooled })}\n`);
    return model;
  }
  out(`${strategy.name} on ${symbol} ${strategy.timeframe}: ${samples.length} labelled signals (${model.trainedOn.positives} winners) from ${formatServerTime(train.time[0]!)} to ${formatServerTime(train.time[train.length - 1]!)}; ${set.skipped} trades unlabelled (warm-up or open at the end)\n`);
  out(`walk-forward, ${folds} folds (train on everything before, test on the next block), threshold 0.5:\n`);
  out('fold  train  test  accuracy  precision  recall  F1      AUC     base rate\n');
  for (const x of wf.folds) {
    out(`${String(x.fold).padEnd(6)}${String(x.trainSamples).padEnd(7)}${String(x.samples).padEnd(6)}${pct(x.accuracy).padEnd(10)}${pct(x.precision).padEnd(11)}${pct(x.recall).padEnd(8)}${x.f1.toFixed(3).padEnd(8)}${x.auc.toFixed(3).padEnd(8)}${pct(x.baseRate)}\n`);
  }
  const p = wf.pooled;
  out(`pooled out-of-sample: accuracy ${pct(p.accuracy)} (always "loser": ${pct(1 - p.baseRate)}), precision ${pct(p.precision)}, recall ${pct(p.recall)}, F1 ${p.f1.toFixed(3)}, AUC ${p.auc.toFixed(3)}\n`);
  out(`model ${model.version} written to ${file}; the last ${Math.round(holdout * 100)} % of the data (from ${formatServerTime(bars.time[cut]!)}) is left for \`ml evaluate\`\n`);
  return model;
}

export interface EvaluateResult {
  model: string;
  from: number;
  to: number;
  threshold: number;
  classification: ReturnType<typeof classMetrics>;
  without: { trades: number; profitFactor: number | null; maxDrawdownPct: number; netProfit: number; winRate: number };
  with: { trades: number; profitFactor: number | null; maxDrawdownPct: number; netProfit: number; winRate: number; skipped: number };
}

export function mlEvaluate(a: MlArgs, out: Out, err: Out = () => undefined): EvaluateResult {
  if (!a.model) throw new UsageError('--model <model.json> is required');
  if (!a.strategy || !a.data) throw new UsageError(REQUIRED);
  const threshold = numArg('threshold', a.threshold, 0.6, 0, 1);
  const model = checkModel(readJsonFile(a.model), a.model);
  const { strategy, symbol, bars } = load(a, err);
  // a model learns one strategy's signals on one symbol and timeframe: another's scores mean little (not an error: a
  // trader may try one on purpose)
  const t = model.trainedOn;
  const other = [
    ...(t.strategy !== strategy.id ? [`strategy ${t.strategy}, not ${strategy.id}`] : []),
    ...(t.symbol !== symbol || t.timeframe !== strategy.timeframe ? [`${t.symbol} ${t.timeframe}, not ${symbol} ${strategy.timeframe}`] : []),
  ];
  if (other.length) err(`warning: ${a.model} was trained on the signals of ${other.join(', on ')}: its scores are for those; train one for ${a.strategy} (mt5-executor ml train)\n`);
  let first = 0;
  while (first < bars.length && bars.time[first]! <= model.trainedOn.to) first++;
  if (bars.length - first < 100) throw new Error(`${a.data} has ${bars.length - first} bars after the model's training period (which ends ${formatServerTime(model.trainedOn.to)}): give it later data`);
  const from = Math.max(0, first - Math.max(WARMUP, FEATURE_WARMUP));
  const test = sliceBars(bars, from);
  const warmupBars = first - from;
  const set = signalSamples({ strategy, bars: test, warmupBars });
  const scores = set.samples.map((s) => predict(model, s.x));
  const classification = classMetrics(scores, set.samples.map((s) => s.y), threshold);
  const plain = set.backtest.metrics;
  let skipped = 0;
  const gated = runBacktest({
    strategy: withGate(strategy, { mode: 'enforce', threshold }), bars: test, warmupBars, model,
    onDecision: (d) => {
      if (d.ml && !d.ml.allow) skipped++;
    },
  });
  const g = gated.metrics;
  const pick = (m: typeof plain) => ({ trades: m.trades, profitFactor: m.profitFactor, maxDrawdownPct: m.maxDrawdownPct, netProfit: m.netProfit, winRate: m.winRate });
  const r: EvaluateResult = {
    model: model.version, from: bars.time[first]!, to: bars.time[bars.length - 1]!, threshold, classification,
    without: pick(plain), with: { ...pick(g), skipped },
  };
  if (a.json) {
    out(`${JSON.stringify(r)}\n`);
    return r;
  }
  const c = classification;
  out(`model ${model.version} (${model.trainedOn.samples} training signals to ${formatServerTime(model.trainedOn.to)}) on ${symbol} ${strategy.timeframe} from ${formatServerTime(r.from)} to ${formatServerTime(r.to)} — out of sample\n`);
  out(`signals: ${c.samples}; at threshold ${threshold}: accuracy ${pct(c.accuracy)} (always "loser": ${pct(1 - c.baseRate)}), precision ${pct(c.precision)}, recall ${pct(c.recall)}, F1 ${c.f1.toFixed(3)}, AUC ${c.auc.toFixed(3)}\n`);
  out('backtest         trades  win rate  profit factor  max drawdown  net profit\n');
  for (const [name, m] of [['without the gate', r.without], ['with the gate', r.with]] as const) {
    out(`${name.padEnd(17)}${String(m.trades).padEnd(8)}${`${m.winRate.toFixed(1)} %`.padEnd(10)}${(m.profitFactor === null ? 'no losses' : m.profitFactor.toFixed(2)).padEnd(15)}${`${m.maxDrawdownPct.toFixed(2)} %`.padEnd(14)}${m.netProfit.toFixed(2)}\n`);
  }
  out(`the gate skipped ${skipped} entries\n`);
  return r;
}

/** `mt5-executor ml <train|evaluate> …`: returns the exit code. */
export function mlCommand(sub: string | undefined, a: MlArgs, out: Out, err: Out): number {
  const train = 'mt5-executor ml train --data <bars.csv> --strategy <s.json> [--out model.json] [--folds 5] [--holdout 0.25] [--json]';
  const evaluate = 'mt5-executor ml evaluate --data <bars.csv> --strategy <s.json> --model <model.json> [--threshold 0.6] [--json]';
  if (sub !== 'train' && sub !== 'evaluate') return usageFailure(err, 'ml', `give train or evaluate, got '${sub ?? ''}'`, `${train}\n       ${evaluate}`);
  try {
    if (sub === 'train') mlTrain(a, out, err);
    else mlEvaluate(a, out, err);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(err, `ml ${sub}`, e.message, sub === 'train' ? train : evaluate);
    err(`mt5-executor ml ${sub}: ${(e as Error).message}\n`);
    return 1;
  }
}
