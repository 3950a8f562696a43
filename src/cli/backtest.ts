import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { DataError, findGaps, formatServerTime, sliceBars, type BarSeries, type GapReport } from '../engine/bars.js';
import { loadBarFile } from './bar-file.js';
import type { Prefetched } from './bar-prefetch.js';
import { checkDataMatch, warmUpNeeded } from './data-match.js';
import { reportStats, type ReportStats } from '../engine/report-stats.js';
import { StrategyError, normalizeStrategy, type NormalizedStrategy } from '../engine/strategy/normalize.js';
import { runBacktest } from '../sim/backtest.js';
import type { Decision } from '../engine/runner.js';
import type { RiskLimits } from '../engine/safety.js';
import { SYMBOLS, resolveSymbol } from '../sim/symbols.js';
import type { SimSymbolSpec } from '../sim/broker.js';
import { JsonFileError, UsageError, outputProblem, readJsonFile, usageFailure, writeFailure } from './kit.js';
import { LineFile } from './line-file.js';
import { balanceTooLarge, firstBarFrom, parseBrokerZone, parseLimits, parseOverrides } from './run-options.js';
import { DEFAULT_BROKER_TZ, describeZone, type BrokerTimeZone } from '../engine/time/broker-time.js';
import { renderReport, tradesCsv, type ReportInput, type ReportSettings } from './report.js';
import { intentComment } from '../sim/ea-logic.js';

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
  /** Write the decision log here, a JSON line per decision: the lines `paper --log` writes for the same bars. */
  log?: string;
  progress?: boolean;
  limits?: string;
  /** First bar's day (or time), server time: YYYY-MM-DD[ HH:MM]. */
  from?: string;
  /** Last bar's day (inclusive, or a time: bars before it). */
  to?: string;
  /** false: no swaps (--no-swap). */
  swap?: boolean;
  symbol?: string;
  timeframe?: string;
  /** The broker's server clock the file's times are in (`--broker-zone`, parseZoneArg's forms); default us-dst:2. */
  brokerZone?: string;
  /** false: read the bar file without its cache and write none (--no-cache). */
  cache?: boolean;
  /** The bar file's cache as read ahead while the program loaded (bar-prefetch.ts; loadBarFile checks it is the file's). */
  prefetched?: Prefetched | undefined;
}

type Out = (t: string) => void;

export const BACKTEST_USAGE =
  'mt5-executor backtest <strategy.json> --data <bars.csv> [--from DATE] [--to DATE] [--symbol S] [--timeframe TF] [--balance X] [--spread N|data] [--slippage N] [--commission X] [--no-swap] [--no-cache] [--limits none|demo|live] [--broker-zone ZONE] [--report out.html] [--trades out.csv] [--log out.jsonl] [--json]';

function num(name: string, v: string | undefined, min: number): number | undefined | string {
  if (v === undefined) return undefined;
  const n = v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) && n >= min ? n : `--${name} must be a number ≥ ${min}, got '${v}'`;
}

/** The largest --spread and --slippage, in points (10,000 pips, 1.0 in price, on a 5-digit quote; 1,000 USD on gold): beyond any market's. */
const MAX_POINTS = 100_000;

/**
 * --spread N / --slippage N: whole points, as MT5 keeps spreads and deviations. A fraction did not do what it said:
 * the broker rounds every price to the tick, so --slippage 0.4 changed nothing and --spread 1.5 was 1 or 2 by the price.
 */
function points(name: string, v: string | undefined, alt = ''): number | undefined | string {
  if (v === undefined) return undefined;
  const n = v.trim() === '' ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 && n <= MAX_POINTS ? n : `--${name} must be ${alt}a whole number of points from 0 to ${MAX_POINTS.toLocaleString('en-US')}, got '${v}'`;
}

/** A --from/--to date as server-time seconds, with whether it named a whole day. */
export function parseDateArg(name: string, v: string): { sec: number; day: boolean } | string {
  const m = /^(\d{4})[-.](\d{2})[-.](\d{2})(?:[ T](\d{2}):(\d{2}))?$/.exec(v.trim());
  if (!m) return `--${name} must be a date YYYY-MM-DD (or YYYY-MM-DD HH:MM, server time), got '${v}'`;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0));
  if (Number.isNaN(ms) || +m[2]! < 1 || +m[2]! > 12 || new Date(ms).getUTCDate() !== +m[3]! || +(m[4] ?? 0) > 23 || +(m[5] ?? 0) > 59) return `--${name}: '${v}' is not a valid date`;
  return { sec: ms / 1000, day: m[4] === undefined };
}

export { symbolFromFileName, timeframeOf } from './data-match.js';

/** Read the strategy JSON and apply --symbol/--timeframe before normalising (its indicators follow the timeframe). */
function loadStrategy(file: string, symbol: string | undefined, timeframe: string | undefined): NormalizedStrategy {
  const raw = readJsonFile(file) as Record<string, unknown>;
  const input = (raw && typeof raw === 'object' && 'parameters' in raw && !('rules' in raw) ? raw.parameters : raw) as Record<string, unknown>;
  const over = { ...input, ...(symbol ? { symbol } : {}), ...(timeframe ? { timeframe } : {}) };
  return normalizeStrategy(over);
}

/** Write an output file; a failure names the option and the file, in words. */
function writeOutput(opt: string, file: string, text: string, err: Out): boolean {
  try {
    writeFileSync(file, text);
    return true;
  } catch (e) {
    err(`mt5-executor backtest: --${opt} ${file}: cannot write it: ${writeFailure(e)}\n`);
    return false;
  }
}

export type BacktestRun = ReportInput & { gaps?: GapReport | undefined };

/**
 * Why the bars before --from are too few for the strategy's indicators (data-match.ts warmUpNeeded), in words, or
 * undefined: a decision reads an indicator without a value as false, so no entry is taken until they all have one.
 */
export function warmUpWarning(strategy: NormalizedStrategy, bars: BarSeries, first: number, fromArg: string, dataFile: string): string | undefined {
  const need = warmUpNeeded(strategy, bars);
  if (!need || need.bars <= first) return undefined;
  const n = (x: number) => `${x.toLocaleString('en-US')} bar${x === 1 ? '' : 's'}`;
  const about = need.about ? 'about ' : '';
  const where = need.bars < bars.length
    ? `only from the file's ${about}${ordinal(need.bars + 1)} bar on (${need.indicator} needs the most: ${n(need.bars)} of history). A condition on an indicator without a value is false, so until ${formatServerTime(bars.time[need.bars]!)} (${about}${n(need.bars - first)} after --from) a rule that reads one does not fire`
    : `on none of its ${n(bars.length)} (${need.indicator} needs more). A condition on an indicator without a value is false, so a rule that reads it never fires`;
  return (
    `--from ${fromArg}: ${dataFile} has ${n(first)} before --from, but the strategy's indicators all have a value ${where}; ` +
    `and indicators that carry their whole history (EMA, ATR, ADX …) start from fewer bars than in a run given more, so the first decisions can differ from such a run. ` +
    `Give a file that starts earlier, or a later --from.`
  );
}

/** 1st, 2nd, 3rd, 200th. */
const ordinal = (k: number) => `${k.toLocaleString('en-US')}${k % 100 >= 11 && k % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th')}`;

/** `mt5-executor backtest`: returns the exit code. */
export function backtestCommand(a: BacktestArgs, out: Out, err: Out): number {
  if (!a.strategy || !a.data) {
    const missing = !a.strategy && !a.data ? 'give a strategy file and --data <bars.csv>' : !a.strategy ? 'give a strategy file (JSON) before the options' : '--data <bars.csv> is required';
    return usageFailure(err, 'backtest', missing, BACKTEST_USAGE);
  }
  // (an amount past the largest, Infinity too, is named as too large: run-options.ts MAX_BALANCE)
  const balanceN = a.balance === undefined ? NaN : Number(a.balance);
  const balance = a.balance === undefined ? undefined : balanceN >= 1 ? (balanceTooLarge(a.balance, balanceN) ?? balanceN) : `--balance must be a number ≥ 1, got '${a.balance}'`;
  const slippage = points('slippage', a.slippage), commission = num('commission', a.commission, 0);
  const spread = a.spread === undefined || a.spread === 'data' ? a.spread : points('spread', a.spread, "'data' (the file's spread column) or ");
  const from = a.from === undefined ? undefined : parseDateArg('from', a.from);
  const to = a.to === undefined ? undefined : parseDateArg('to', a.to);
  for (const v of [balance, slippage, commission, spread, from, to]) {
    if (typeof v === 'string' && v.startsWith('--')) return usageFailure(err, 'backtest', v);
  }
  if (typeof from === 'object' && typeof to === 'object' && from.sec >= (to.day ? to.sec + 86400 : to.sec)) {
    return usageFailure(err, 'backtest', `--from ${a.from} is ${from.sec === to.sec ? 'the time --to stops before' : 'after'} --to ${a.to}: give a --from before --to (--to a day takes that whole day; a time, the bars before it)`);
  }
  // --broker-zone, --limits, --symbol and --timeframe read as paper and demo read them (run-options.ts)
  let zone: BrokerTimeZone, limits: RiskLimits | undefined;
  try {
    zone = parseBrokerZone(a.brokerZone) ?? DEFAULT_BROKER_TZ;
    limits = parseLimits(a.limits);
    parseOverrides(a.symbol, a.timeframe);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(err, 'backtest', e.message);
    throw e;
  }
  let run: BacktestRun;
  try {
    for (const [opt, file] of [['report', a.report], ['trades', a.trades], ['log', a.log]] as const) {
      const wrong = file === undefined ? undefined : outputProblem(file, opt === 'report' ? 'report.html' : opt === 'trades' ? 'trades.csv' : 'decisions.jsonl');
      if (wrong) {
        err(`mt5-executor backtest: --${opt} ${file}: ${wrong}\n`);
        return 1;
      }
    }
    if (statSync(a.data, { throwIfNoEntry: false })?.isDirectory()) {
      err(`mt5-executor backtest: --data ${a.data} is a directory; give a bar file in it (CSV exported from MT5/MT4, docs/data-formats.md)\n`);
      return 1;
    }
    const loaded = loadStrategy(a.strategy, a.symbol, a.timeframe);
    const sym = resolveSymbol(loaded.symbol, zone); // its trading hours in the file's clock
    if (!sym) {
      err(`mt5-executor backtest: no symbol specification for ${loaded.symbol}: known ${Object.keys(SYMBOLS).join(', ')} (--symbol runs the strategy on one of them)\n`);
      return 1;
    }
    if (sym.note) err(`note: ${sym.note}\n`);
    const strategy = sym.note ? { ...loaded, symbol: sym.preset } : loaded;
    let bars = loadBarFile(a.data, a.cache === false ? { cache: false } : { prefetched: a.prefetched });
    // the data must be what the strategy trades: the timeframe from the bars, the symbol from the file (data-match.ts)
    const match = checkDataMatch({ dataFile: a.data, bars, strategy, overrides: { symbol: a.symbol, timeframe: a.timeframe } });
    if (match.error) {
      err(`mt5-executor backtest: ${match.error}\n`);
      return 1;
    }
    for (const w of match.warnings) err(`warning: ${w}\n`);
    // --from/--to: the bars before --from stay, to warm the indicators up (as MT5's tester does), and trading starts at
    // --from; the bars after --to go
    let first = 0, end = bars.length;
    if (from || to) {
      const t = bars.time;
      if (typeof from === 'object') first = firstBarFrom(t, from.sec, end);
      if (typeof to === 'object') {
        const stop = to.day ? to.sec + 86400 : to.sec;
        while (end > first && t[end - 1]! >= stop) end--;
      }
      if (end <= first) {
        err(`mt5-executor backtest: no bars between --from ${a.from ?? '(start)'} and --to ${a.to ?? '(end)'}: ${a.data} runs from ${formatServerTime(t[0]!)} to ${formatServerTime(t[bars.length - 1]!)}\n`);
        return 1;
      }
    }
    if (from) {
      const w = warmUpWarning(strategy, bars, first, a.from!, a.data);
      if (w) err(`warning: ${w}\n`);
    }
    // the gaps of the window traded, not of the whole file
    const gaps = first > 0 || end < bars.length ? findGaps(bars.time.subarray(first, end), end - first, bars.periodSec) : bars.gaps;
    if (end < bars.length) bars = sliceBars(bars, 0, end);
    const spec: SimSymbolSpec = { ...sym.spec };
    if (a.swap === false) [spec.swapLong, spec.swapShort] = [0, 0];
    const showProgress = a.progress ?? (process.stderr.isTTY && end - first >= 100_000);
    const refusals: BacktestRun['refusals'] = [];
    const levels = new Map<string, { sl: number; tp: number }>();
    // the refusal reasons are read from the decisions, which the report and --json show; reading them has the
    // runner decide bar by bar (the same deals, a slower run), so a plain run does not ask for them
    const wantReasons = Boolean(a.report || a.json);
    const wantLevels = Boolean(a.report);
    const log = a.log === undefined ? undefined : LineFile.open(a.log, 'log', err);
    if (log === null) return 1;
    let result;
    try {
      result = runBacktest({
        strategy, bars, symbol: spec, warmupBars: first, brokerZone: zone,
        ...(typeof balance === 'number' ? { balance } : {}),
        ...(typeof slippage === 'number' ? { slippagePoints: slippage } : {}),
        ...(typeof commission === 'number' ? { commissionPerLot: commission } : {}),
        ...(typeof spread === 'number' || spread === 'data' ? { spread } : {}),
        ...(limits ? { limits } : {}),
        ...(wantReasons
          ? {
              // (only decisions that did something: the column mode stays on — every decision ran it bar by bar)
              onAction: (d: Decision) => {
                if (d.refused) refusals.push({ time: d.time, reason: d.refused });
                // the SL/TP of each entry: only the report's chart draws them (--json has no use for them)
                if (wantLevels) for (const x of d.intents) if (x.type === 'OPEN') levels.set(intentComment(x.intentId), { sl: x.sl, tp: x.tp });
              },
            }
          : {}),
        ...(showProgress
          ? {
              onProgress: (done: number, total: number) => {
                const w = 30, f = Math.round((done / total) * w);
                err(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${Math.round((done / total) * 100)} % ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} bars`);
                if (done === total) err('\n');
              },
            }
          : {}),
        ...(log ? { onLog: (line: string) => log.write(line) } : {}),
      });
    } finally {
      log?.close();
    }
    if (log?.failed) return 1;
    const settings: ReportSettings = {
      dataFile: a.data, symbol: strategy.symbol, timeframe: strategy.timeframe, digits: spec.digits,
      from: formatServerTime(bars.time[first]!), to: formatServerTime(bars.time[bars.length - 1]!),
      balance: result.initialBalance, currency: 'USD', leverage: 100, accountMode: 'hedging',
      spread: typeof spread === 'number' ? `${spread} points` : `from the file (${spec.defaultSpread ?? 10} points where it records none)`,
      slippage: `${typeof slippage === 'number' ? slippage : 0} points`,
      commission: `${typeof commission === 'number' ? commission : spec.commissionPerLot ?? 0} per lot per side`,
      swap: a.swap === false ? 'off (--no-swap)' : `long ${spec.swapLong}, short ${spec.swapShort} points, triple on day ${spec.swapRollover3Days}`,
      limits: a.limits ?? 'none',
      overrides: [...(a.symbol ? [`--symbol ${a.symbol}`] : []), ...(a.timeframe ? [`--timeframe ${a.timeframe}`] : [])].join(' ') || 'none',
      timeZone: `broker server time, ${describeZone(zone)}${a.brokerZone === undefined ? ' (--broker-zone to change)' : ` (--broker-zone ${a.brokerZone})`}`,
    };
    const stats = reportStats({ trades: result.tradeTable, equity: result.equity, initialBalance: result.initialBalance, metrics: result.metrics, rejected: result.rejected, refusals, blocked: result.blocked });
    run = { strategy, strategyJson: readJsonFile(a.strategy), bars, firstBar: first, gaps, result, stats, settings, refusals, levels };
    if (a.trades && !writeOutput('trades', a.trades, tradesCsv(result, spec.digits), err)) return 1;
    if (a.report && !writeOutput('report', a.report, renderReport(run), err)) return 1;
  } catch (e) {
    if (e instanceof StrategyError) {
      err(`${a.strategy}: ${e.problems.length} problem(s):\n${e.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`);
      return 1;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') {
      err(`mt5-executor backtest: ${a.strategy} is a directory; give a strategy file (JSON) in it\n`);
      return 1;
    }
    if (e instanceof JsonFileError) {
      // a bar file given where the strategy goes (the first argument)
      const swapped = e.file === a.strategy && e.line !== undefined && /\.(csv|txt|tsv)$/i.test(e.file) ? ` — ${e.file} looks like a bar file: the strategy's JSON file comes first, the bars after --data` : '';
      err(`mt5-executor backtest: ${e.message}${swapped}\n`);
      return 1;
    }
    if (e instanceof DataError || code === 'ENOENT' || code === 'EACCES' || e instanceof SyntaxError) {
      err(`mt5-executor backtest: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
  const { result, stats, bars } = run;
  const m = result.metrics;
  if (a.json) {
    out(JSON.stringify(backtestJson(run)) + '\n');
    return 0;
  }
  const pf = m.profitFactor === null ? '∞' : m.profitFactor.toFixed(2);
  const g = run.gaps;
  // the strategy's own limits (riskManagement.maxDailyLoss …: STRATEGY_*) apart from the account's of --limits
  const ownBlocks = Object.entries(result.blocked).filter(([k]) => k.startsWith('STRATEGY_'));
  const limitBlocks = Object.entries(result.blocked).filter(([k]) => k !== 'FREE_MARGIN' && k !== 'MARKET_CLOSED' && !k.startsWith('STRATEGY_'));
  out(
    [
      `backtest ${run.strategy.id}: ${result.bars.toLocaleString('en-US')} bars, ${result.intents} intents (${result.rejected.length} rejected by the broker, ${result.refused} signals refused)`,
      `  data: ${run.settings.dataFile}, ${run.settings.symbol} ${run.settings.timeframe}, ${run.settings.from} to ${run.settings.to} (${bars.layout})` +
        (g && g.count ? `; ${g.count} gap${g.count === 1 ? '' : 's'} inside the week, ${g.missingBars} bar${g.missingBars === 1 ? '' : 's'} missing (largest ${formatServerTime(g.largest[0]!.from)} → ${formatServerTime(g.largest[0]!.to)})` : ''),
      `  times: ${run.settings.timeZone}`,
      // free margin is the broker's (every run checks it), the other codes the trader's limits (--limits)
      ...(result.blocked.FREE_MARGIN ? [`  not enough free margin: ${result.blocked.FREE_MARGIN} order${result.blocked.FREE_MARGIN === 1 ? '' : 's'} not sent (the margin needed exceeded the free margin)`] : []),
      ...(result.blocked.MARKET_CLOSED ? [`  market closed: ${result.blocked.MARKET_CLOSED} order${result.blocked.MARKET_CLOSED === 1 ? '' : 's'} not sent (outside the symbol's trading hours in ${describeZone(zone)})`] : []),
      ...(ownBlocks.length ? [`  blocked by the strategy's own limits (its riskManagement): ${ownBlocks.map(([k, v]) => `${k} ${v}`).join(', ')}`] : []),
      ...(limitBlocks.length ? [`  blocked by the pre-trade limits (--limits ${run.settings.limits}): ${limitBlocks.map(([k, v]) => `${k} ${v}`).join(', ')}`] : []),
      `  trades ${m.trades} (${m.wins} won, ${m.losses} lost), win rate ${m.winRate.toFixed(2)} %, profit factor ${pf}, expectancy ${m.expectancy.toFixed(2)}`,
      `  net profit ${m.netProfit.toFixed(2)}, final balance ${m.finalBalance.toFixed(2)}, max drawdown ${m.maxDrawdown.toFixed(2)} (${m.maxDrawdownPct.toFixed(2)} %)`,
      `  Sharpe ${m.sharpe ?? '—'}, Sortino ${m.sortino ?? '—'}, exposure ${m.exposure.toFixed(1)} %, average holding ${m.avgHoldingHours.toFixed(1)} h, longest losing streak ${m.longestLosingStreak}`,
      `  CAGR ${stats.cagr.toFixed(2)} %, recovery factor ${stats.recoveryFactor ?? '—'}, Calmar ${stats.calmar ?? '—'}`,
      ...(a.report ? [`  report: ${a.report}`] : []),
      ...(a.trades ? [`  trades: ${a.trades}`] : []),
      ...(a.log ? [`  decision log: ${a.log}`] : []),
    ].join('\n') + '\n',
  );
  return 0;
}

/** The `--json` object: the metrics as before, then the report's statistics, the data and the settings. */
export function backtestJson(run: BacktestRun): Record<string, unknown> {
  const { result, stats, bars } = run;
  return {
    strategyId: run.strategy.id, bars: result.bars, ...result.metrics,
    stats,
    refusals: { total: result.refused, byReason: stats.refusedByReason },
    rejections: { total: result.rejected.length, byReason: stats.rejectedByReason },
    blocked: { total: stats.blockedByReason.reduce((s, x) => s + x.count, 0), byReason: stats.blockedByReason },
    data: { file: run.settings.dataFile, layout: bars.layout, periodSec: bars.periodSec, from: run.settings.from, to: run.settings.to, gaps: run.gaps ?? null, format: bars.format ?? null },
    settings: run.settings,
  };
}
