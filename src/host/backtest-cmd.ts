import { readFileSync, writeFileSync } from 'node:fs';
import { DataError, formatServerTime, parseBars } from '../engine/bars.js';
import { StrategyError } from '../engine/strategy/normalize.js';
import { runBacktest, type BacktestResult } from '../sim/backtest.js';
import { DEFAULT_LIMITS } from '../engine/safety.js';
import { SYMBOLS } from '../sim/symbols.js';
import { renderReport, tradesCsv } from './report.js';
import { readStrategyFile } from './strategy-cmd.js';

export interface BacktestArgs {
  strategy?: string;
  data?: string;
  balance?: string;
  spread?: string;
  slippage?: string;
  commission?: string;
  report?: string;
  trades?: string;
  json?: boolean;
  progress?: boolean;
  limits?: string;
}

type Out = (t: string) => void;

function num(name: string, v: string | undefined, min: number): number | undefined | string {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= min ? n : `--${name} must be a number ≥ ${min}, got '${v}'`;
}

/** `mt5-executor backtest`: returns the exit code. */
export function backtestCommand(a: BacktestArgs, out: Out, err: Out): number {
  if (!a.strategy || !a.data) {
    err('mt5-executor backtest: usage: mt5-executor backtest <strategy.json> --data <bars.csv> [--balance X] [--spread N|data] [--slippage N] [--commission X] [--limits none|demo|live] [--report out.html] [--trades out.csv] [--json]\n');
    return 2;
  }
  const balance = num('balance', a.balance, 1), slippage = num('slippage', a.slippage, 0), commission = num('commission', a.commission, 0);
  const spread = a.spread === undefined || a.spread === 'data' ? a.spread : num('spread', a.spread, 0);
  for (const v of [balance, slippage, commission, spread]) {
    if (typeof v === 'string' && v.startsWith('--')) {
      err(`mt5-executor backtest: ${v}\n`);
      return 2;
    }
  }
  if (a.limits !== undefined && !['none', 'demo', 'live'].includes(a.limits)) {
    err(`mt5-executor backtest: --limits must be none, demo or live, got '${a.limits}'\n`);
    return 2;
  }
  let result: BacktestResult;
  let strategyId: string;
  try {
    const strategy = readStrategyFile(a.strategy);
    strategyId = strategy.id;
    if (!SYMBOLS[strategy.symbol]) {
      err(`mt5-executor backtest: no symbol specification for ${strategy.symbol}: known ${Object.keys(SYMBOLS).join(', ')}\n`);
      return 1;
    }
    const bars = parseBars(readFileSync(a.data), a.data);
    const showProgress = a.progress ?? (process.stderr.isTTY && bars.length >= 100_000);
    result = runBacktest({
      strategy, bars,
      ...(typeof balance === 'number' ? { balance } : {}),
      ...(typeof slippage === 'number' ? { slippagePoints: slippage } : {}),
      ...(typeof commission === 'number' ? { commissionPerLot: commission } : {}),
      ...(typeof spread === 'number' || spread === 'data' ? { spread } : {}),
      ...(a.limits === 'demo' || a.limits === 'live' ? { limits: DEFAULT_LIMITS[a.limits] } : {}),
      ...(showProgress
        ? {
            onProgress: (done: number, total: number) => {
              const w = 30, f = Math.round((done / total) * w);
              err(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${Math.round((done / total) * 100)} % ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} bars`);
              if (done === total) err('\n');
            },
          }
        : {}),
    });
    if (a.trades) writeFileSync(a.trades, tradesCsv(result));
    if (a.report) writeFileSync(a.report, renderReport(`${strategy.name} — ${strategy.symbol} ${strategy.timeframe}, ${formatServerTime(bars.time[0]!)} to ${formatServerTime(bars.time[bars.length - 1]!)}`, result));
  } catch (e) {
    if (e instanceof StrategyError) {
      err(`${a.strategy}: ${e.problems.length} problem(s):\n${e.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`);
      return 1;
    }
    if (e instanceof DataError || (e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) {
      err(`mt5-executor backtest: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
  const m = result.metrics;
  if (a.json) {
    out(JSON.stringify({ strategyId, bars: result.bars, ...m }) + '\n');
    return 0;
  }
  const pf = m.profitFactor === null ? '∞' : m.profitFactor.toFixed(2);
  out(
    [
      `backtest ${strategyId}: ${result.bars.toLocaleString('en-US')} bars, ${result.intents} intents (${result.rejected.length} rejected by the broker, ${result.refused} signals refused)`,
      ...(Object.keys(result.blocked).length ? [`  blocked by the pre-trade limits: ${Object.entries(result.blocked).map(([k, v]) => `${k} ${v}`).join(', ')}`] : []),
      `  trades ${m.trades} (${m.wins} won, ${m.losses} lost), win rate ${m.winRate.toFixed(2)} %, profit factor ${pf}, expectancy ${m.expectancy.toFixed(2)}`,
      `  net profit ${m.netProfit.toFixed(2)}, final balance ${m.finalBalance.toFixed(2)}, max drawdown ${m.maxDrawdown.toFixed(2)} (${m.maxDrawdownPct.toFixed(2)} %)`,
      `  Sharpe ${m.sharpe ?? '—'}, Sortino ${m.sortino ?? '—'}, exposure ${m.exposure.toFixed(1)} %, average holding ${m.avgHoldingHours.toFixed(1)} h, longest losing streak ${m.longestLosingStreak}`,
      ...(a.report ? [`  report: ${a.report}`] : []),
      ...(a.trades ? [`  trades: ${a.trades}`] : []),
    ].join('\n') + '\n',
  );
  return 0;
}
