/**
 * npm run bench:engine — per-bar cost of every indicator and of a five-condition strategy, and, side by side
 * in the same run, `technicalindicators` (batch `calculate`, its fastest form) and `trading-signals`
 * (streaming `update`, its API) on the same 1,000,000-bar series (real EURUSD H1 bars repeated).
 * Ours is measured streaming (`push` per bar), as the host runs it. Prints a table and a final JSON line.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as TI from 'technicalindicators';
import * as TS from 'trading-signals';
import { parseBars } from '../src/engine/bars.js';
import { parseIndicatorSpec } from '../src/engine/indicator-spec.js';
import { MaCore, type BarIn, type MaMethod } from '../src/engine/indicators.js';
import { StrategyEvaluator } from '../src/engine/strategy/evaluator.js';
import { normalizeStrategy } from '../src/engine/strategy/normalize.js';
import { findRepoFile } from '../src/host/paths.js';

const N = Number(process.env.BENCH_BARS ?? 1_000_000);
const src = parseBars(readFileSync(findRepoFile('data/EURUSD_H1_2015-2022.csv'), 'utf8'));
type Candle = BarIn & { volume: number };
const candles: Candle[] = new Array(N);
const high = new Array<number>(N), low = new Array<number>(N), close = new Array<number>(N), volume = new Array<number>(N);
for (let i = 0; i < N; i++) {
  const k = i % src.length;
  const c: Candle = {
    time: src.time[0]! + i * 3600, open: src.open[k]!, high: src.high[k]!, low: src.low[k]!, close: src.close[k]!,
    tickVolume: src.tickVolume[k]!, realVolume: 0, volume: src.tickVolume[k]!,
  };
  candles[i] = c;
  high[i] = c.high;
  low[i] = c.low;
  close[i] = c.close;
  volume[i] = c.volume;
}

function time(fn: () => void, reps = 1): number {
  fn(); // warm-up run (JIT), not measured
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return (best * 1e6) / N; // ns per bar
}

// Each row gets its own copy of the loop (a new function has its own type feedback), so a call site never
// sees more than one indicator class: no library pays for another's polymorphism.
type Loop = (ind: unknown, xs: unknown[], n: number) => void;
const pushLoop = (): Loop => new Function('ind', 'xs', 'n', 'for (let i = 0; i < n; i++) ind.push(xs[i]);') as Loop;
const updateLoop = (): Loop => new Function('ind', 'xs', 'n', 'for (let i = 0; i < n; i++) ind.update(xs[i], false);') as Loop;
const ours = (spec: string) => {
  const loop = pushLoop();
  return () => loop(parseIndicatorSpec(spec).make(), candles, N);
};
/** Moving averages take a number, like the peers' price indicators: the same packed input for all three. */
const oursMa = (method: MaMethod, period: number) => {
  const loop = new Function('ma', 'xs', 'n', 'for (let i = 0; i < n; i++) ma.next(xs[i], true);') as Loop;
  return () => loop(new MaCore(method, period), close, N);
};
const ts = (make: () => unknown, input: 'close' | 'candle') => {
  const loop = updateLoop();
  return () => loop(make(), input === 'close' ? close : candles, N);
};
const ti = (fn: () => unknown) => () => void fn();

interface Row { name: string; ours: string; run?: () => void; ts?: () => void; ti?: () => void }
const rows: Row[] = [
  { name: 'SMA(20)†', ours: 'sma:20', run: oursMa('sma', 20), ts: ts(() => new TS.SMA(20), 'close'), ti: ti(() => TI.SMA.calculate({ period: 20, values: close })) },
  { name: 'EMA(20)†', ours: 'ema:20', run: oursMa('ema', 20), ts: ts(() => new TS.EMA(20), 'close'), ti: ti(() => TI.EMA.calculate({ period: 20, values: close })) },
  { name: 'SMMA(20)†', ours: 'smma:20', run: oursMa('smma', 20), ts: ts(() => new TS.WSMA(20), 'close'), ti: ti(() => TI.WEMA.calculate({ period: 20, values: close })) },
  { name: 'LWMA(20)†', ours: 'lwma:20', run: oursMa('lwma', 20), ts: ts(() => new TS.WMA(20), 'close'), ti: ti(() => TI.WMA.calculate({ period: 20, values: close })) },
  { name: 'RSI(14)', ours: 'rsi:14', ts: ts(() => new TS.RSI(14), 'close'), ti: ti(() => TI.RSI.calculate({ period: 14, values: close })) },
  { name: 'MACD(12,26,9)', ours: 'macd:12,26,9', ts: ts(() => new TS.MACD(new TS.EMA(12), new TS.EMA(26), new TS.EMA(9)), 'close'), ti: ti(() => TI.MACD.calculate({ values: close, fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: true })) },
  { name: 'Bollinger(20,2)', ours: 'bb:20,2', ts: ts(() => new TS.BollingerBands(20, 2), 'close'), ti: ti(() => TI.BollingerBands.calculate({ period: 20, stdDev: 2, values: close })) },
  { name: 'Stochastic(5,3,3)', ours: 'stoch:5,3,3', ts: ts(() => new TS.StochasticOscillator({ kPeriod: 5, dPeriod: 3, kSlowingPeriod: 3 }), 'candle'), ti: ti(() => TI.Stochastic.calculate({ high, low, close, period: 5, signalPeriod: 3 })) },
  { name: 'ATR(14)', ours: 'atr:14', ts: ts(() => new TS.ATR(14), 'candle'), ti: ti(() => TI.ATR.calculate({ high, low, close, period: 14 })) },
  { name: 'ADX(14)', ours: 'adx:14', ts: ts(() => new TS.ADX(14), 'candle'), ti: ti(() => TI.ADX.calculate({ high, low, close, period: 14 })) },
  { name: 'ADX Wilder(14)', ours: 'adxw:14' },
  { name: 'CCI(14)', ours: 'cci:14', ts: ts(() => new TS.CCI(14), 'candle'), ti: ti(() => TI.CCI.calculate({ high, low, close, period: 14 })) },
  { name: "Williams' %R(14)", ours: 'wpr:14', ts: ts(() => new TS.WilliamsR(14), 'candle'), ti: ti(() => TI.WilliamsR.calculate({ high, low, close, period: 14 })) },
  { name: 'Ichimoku(9,26,52)', ours: 'ichimoku', ts: ts(() => new TS.IchimokuCloud({ conversionInterval: 9, baseInterval: 26, spanBInterval: 52 }), 'candle'), ti: ti(() => TI.IchimokuCloud.calculate({ high, low, conversionPeriod: 9, basePeriod: 26, spanPeriod: 52, displacement: 26 })) },
  { name: 'OBV', ours: 'obv', ts: ts(() => new TS.OBV(2), 'candle'), ti: ti(() => TI.OBV.calculate({ close, volume })) },
  { name: 'Momentum(14)', ours: 'momentum:14', ts: ts(() => new TS.MOM(14), 'close') },
  { name: 'ROC(12)', ours: 'roc:12', ts: ts(() => new TS.ROC(12), 'close'), ti: ti(() => TI.ROC.calculate({ period: 12, values: close })) },
  { name: 'Parabolic SAR', ours: 'sar', ts: ts(() => new TS.PSAR({ accelerationStep: 0.02, accelerationMax: 0.2 }), 'candle'), ti: ti(() => TI.PSAR.calculate({ high, low, step: 0.02, max: 0.2 })) },
  { name: 'DeMarker(14)', ours: 'demarker:14', ts: ts(() => new TS.DeMarker({ interval: 14 }), 'candle') },
  { name: 'VWAP', ours: 'vwap:none', ts: ts(() => new TS.VWAP(), 'candle'), ti: ti(() => TI.VWAP.calculate({ high, low, close, volume })) },
  { name: 'Volume MA(20)', ours: 'volume_ma:20' },
];

const results: Record<string, number | string> = {};
const lines: string[] = [];
let worstRatio = Infinity;
for (const r of rows) {
  const o = time(r.run ?? ours(r.ours), 3);
  const s = r.ts ? time(r.ts, 3) : NaN;
  const t = r.ti ? time(r.ti, 3) : NaN;
  const fastest = Math.min(...[s, t].filter((x) => !Number.isNaN(x)));
  const ratio = Number.isFinite(fastest) ? fastest / o : NaN;
  if (Number.isFinite(ratio)) worstRatio = Math.min(worstRatio, ratio);
  const key = r.ours.replace(/[^a-z0-9]+/g, '_');
  results[`${key}_ns`] = Math.round(o * 10) / 10;
  if (!Number.isNaN(s)) results[`${key}_tradingSignals_ns`] = Math.round(s * 10) / 10;
  if (!Number.isNaN(t)) results[`${key}_technicalindicators_ns`] = Math.round(t * 10) / 10;
  if (Number.isFinite(ratio)) results[`${key}_ratio`] = Math.round(ratio * 100) / 100;
  const f = (x: number) => (Number.isNaN(x) ? '—'.padStart(9) : x.toFixed(1).padStart(9));
  lines.push(`${r.name.padEnd(20)} ${f(o)} ${f(s)} ${f(t)}   ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : '—'}`);
}

// a five-condition strategy, pushed and evaluated bar by bar
const strat = normalizeStrategy({
  strategyId: 'bench', symbol: 'EURUSD', timeframe: 'H1',
  rules: {
    entry: {
      direction: 'BUY',
      conditions: [
        { indicator: 'ema_9', condition: 'crosses_above', indicatorRef: 'ema_21' },
        { indicator: 'price', condition: 'greater_than', value: 'sma_200' },
        { indicator: 'rsi', condition: 'in_range', value: [40, 70] },
        { indicator: 'macd', condition: 'greater_than', indicatorRef: 'macd_signal' },
        { indicator: 'adx', condition: 'greater_than', value: 20 },
      ],
    },
    riskManagement: { lotSize: 0.1 },
  },
});
let signals = 0;
const stratNs = time(() => {
  const ev = new StrategyEvaluator(strat);
  signals = 0;
  for (let i = 0; i < N; i++) {
    ev.pushBar('H1', candles[i]!);
    if (ev.evaluate(candles[i]!.time + 3600).signal) signals++;
  }
}, 2);
results.strategy5_ns = Math.round(stratNs);
results.strategy5_signals = signals;
results.worstRatioVsFastestPeer = Math.round(worstRatio * 100) / 100;

console.log(`\nbench:engine — ${N.toLocaleString('en-US')} bars, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log('ns per bar (lower is better); ratio = fastest peer ÷ ours\n');
console.log(`${'indicator'.padEnd(20)} ${'ours'.padStart(9)} ${'tr-signals'.padStart(9)} ${'tech-ind'.padStart(9)}   ratio`);
for (const l of lines) console.log(l);
console.log('† moving averages measured through MaCore.next(price), the streaming core the indicators use, on the same packed closes the peers read');
console.log(`\nfive-condition strategy (push 5 indicators + evaluate with trace): ${stratNs.toFixed(0)} ns/bar, ${signals} signals`);
results.bars = N;
results.node = process.version;
results.date = new Date().toISOString().slice(0, 10);
console.log(JSON.stringify({ bench: 'engine', ...results }));
