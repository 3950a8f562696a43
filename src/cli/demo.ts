/**
 * The main job for a newcomer (`npm start`): a paper run (src/cli/paper.ts) of two example strategies on bundled
 * real EURUSD H1 bars — the host's own strategy manager on the trading core, over the real bridge, against the
 * simulated MT5 terminal — with a readable live log and a summary, then a backtest of the same strategies on the
 * same bars (the same core, in-process) with HTML reports. Ends by itself; Ctrl-C ends it early and cleanly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatServerTime, sliceBars, type BarSeries } from '../engine/bars.js';
import { loadBarFile } from './bar-file.js';
import { runPaper, type PaperSummary } from './paper.js';
import { checkPaperData } from './paper-command.js';
import { onPreset, overrideStrategy } from './run-options.js';
import { normalizeStrategy } from '../engine/strategy/normalize.js';
import type { BrokerTimeZone } from '../engine/time/broker-time.js';
import { runBacktest } from '../sim/backtest.js';
import type { Logger } from '../host/logger.js';
import { findDataFile, findRepoFile } from '../host/paths.js';
import { renderReport } from './report.js';
import { readStrategyJson } from './strategy.js';

export interface DemoOptions {
  /** Bars to replay (the most recent ones of the file). */
  bars?: number;
  /** Strategy files (the platform's JSON format); default two of examples/. */
  strategies?: string[];
  barsPerSecond?: number;
  dataFile?: string;
  out?: (line: string) => void;
  signal?: AbortSignal;
  /** Where the backtest reports go (default ./reports); null = no backtest. */
  reportDir?: string | null;
  logger?: Logger;
  /** Serve the dashboard of the run (its link printed at the start); `keep`: keep it up after the replay until `signal` aborts. */
  dashboard?: boolean;
  keep?: boolean;
  /** Run the strategies on another symbol or timeframe (--symbol/--timeframe, as paper and backtest). */
  symbol?: string;
  timeframe?: string;
  /** The bars' broker time zone (--broker-zone); default GMT+2, GMT+3 with New York's DST. */
  brokerZone?: BrokerTimeZone;
  /** Warnings about the data (default: stderr). */
  warn?: (line: string) => void;
}

export type DemoSummary = PaperSummary;

const money = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export async function runDemo(o: DemoOptions = {}): Promise<DemoSummary> {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const file = o.dataFile ?? findDataFile('EURUSD_H1_2015-2022.csv');
  const all: BarSeries = loadBarFile(file);
  // the replay starts after 50 bars of history at least (the terminal's, for the indicators)
  if (all.length <= 50) throw new Error(`${o.dataFile ?? file} has ${all.length} bar${all.length === 1 ? '' : 's'}: the demo replays the bars after 50 of history, so it needs 51 at least`);
  const want = Math.min(o.bars ?? 3000, all.length - 50);
  const from = all.length - want;
  const files = o.strategies ?? ['examples/ema-cross-trend.json', 'examples/rsi-bollinger-reversion.json'].map(findRepoFile);
  const over = { ...(o.symbol ? { symbol: o.symbol } : {}), ...(o.timeframe ? { timeframe: o.timeframe } : {}) };
  const raws = files.map((f) => overrideStrategy(readStrategyJson(f), over));
  // the data checked as paper and backtest check it: the strategies' symbol and timeframe
  const warn = o.warn ?? ((l: string) => process.stderr.write(l + '\n'));
  for (const w of checkPaperData(o.dataFile ?? file, all, normalizeStrategy(raws[0]), over)) warn(`warning: ${w}`);
  const summary = await runPaper({
    strategies: raws, bars: all, from, dataName: file.split(/[\\/]/).pop()!, ...(o.brokerZone ? { brokerZone: o.brokerZone } : {}),
    barsPerSecond: o.barsPerSecond ?? 250, out, ...(o.signal ? { signal: o.signal } : {}), ...(o.logger ? { logger: o.logger } : {}),
    afterReplay: async () => reports(),
    ...(o.dashboard || o.keep ? { dashboard: o.keep && o.signal ? { keepUntil: o.signal } : {} } : {}),
  });
  function reports(): void {
    if (o.reportDir === null) return;
    // the same strategies on the same bars, in-process: the backtest differs from the paper run only in its venue
    const dir = o.reportDir ?? 'reports';
    mkdirSync(dir, { recursive: true });
    out('');
    out(`backtest of the same strategies on the same ${want} bars (the same trading core and broker model, no sockets):`);
    const bars = sliceBars(all, Math.max(0, from - 1000));
    for (const raw of raws) {
      const strategy = normalizeStrategy(onPreset(raw).raw); // (EURUSD.m on the EURUSD preset, as the paper run: its note said so)
      const bt = runBacktest({ strategy, bars, warmupBars: Math.min(1000, from), closeAtEnd: false, ...(o.brokerZone ? { brokerZone: o.brokerZone } : {}) });
      const m = bt.metrics;
      const report = join(dir, `demo-${strategy.id}.html`);
      writeFileSync(report, renderReport(`${strategy.name} — backtest, ${strategy.symbol} ${strategy.timeframe}, ${formatServerTime(all.time[from]!)} to ${formatServerTime(all.time[all.length - 1]!)}`, bt));
      out(`  ${strategy.id}: ${m.trades} trades, win rate ${m.winRate.toFixed(1)} %, profit factor ${m.profitFactor === null ? '∞' : m.profitFactor.toFixed(2)}, net ${money(m.netProfit)}, max drawdown ${money(m.maxDrawdown)} (${m.maxDrawdownPct.toFixed(2)} %) — report ${report}`);
    }
  }
  const { broker: _broker, ...s } = summary;
  return s;
}
