/**
 * `mt5-executor paper` on the command line: its options read and checked as backtest and demo read them
 * (run-options.ts; a wrong one exits 2 with the line pointing at `paper --help`, as every verb's usage error), the
 * data checked against the strategies as the backtest checks it (data-match.ts), the decision log's file opened
 * before the run with the backtest's writer (line-file.ts: a file that cannot be written, then or later, is one line
 * naming it, exit 1), then the run (paper.ts).
 */
import { formatServerTime, type BarSeries } from '../engine/bars.js';
import { StrategyError, normalizeStrategy, type NormalizedStrategy } from '../engine/strategy/normalize.js';
import { parseDateArg } from './backtest.js';
import { loadBarFile } from './bar-file.js';
import { checkDataMatch } from './data-match.js';
import { UsageError, usageFailure } from './kit.js';
import { LineFile } from './line-file.js';
import { readStrategyJson, runPaper } from './paper.js';
import { MAX_HISTORY_BARS } from '../protocol/messages.js';
import { balanceTooLarge, firstBarFrom, overrideStrategy, parseBrokerZone, parseLimits, parseOverrides } from './run-options.js';

/**
 * The data checked against the strategies (data-match.ts, as the backtest checks it): throws the mismatch,
 * returns the warnings.
 */
export function checkPaperData(dataFile: string, bars: BarSeries, strategy: NormalizedStrategy, over: { symbol?: string; timeframe?: string }): string[] {
  const m = checkDataMatch({ dataFile, bars, strategy, overrides: over });
  if (m.error) throw new Error(m.error);
  return m.warnings;
}

/**
 * `mt5-executor paper …` with its options parsed (the CLI's verb table declares them): returns the exit code.
 * `values`: data, from, warmup, speed, lockstep, limits, balance, log, symbol, timeframe, broker-zone.
 */
export async function paperCommand(positionals: string[], v: Record<string, string | boolean | string[] | undefined>, out: (t: string) => void, err: (t: string) => void, signal?: AbortSignal): Promise<number> {
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const data = s('data');
  if (!positionals.length || !data) {
    const missing = !positionals.length && !data ? 'give at least one strategy file and --data <bars.csv>' : !data ? '--data <bars.csv> is required' : 'give at least one strategy file (JSON) before the options';
    return usageFailure(err, 'paper', missing);
  }
  const int = (name: string, x: string | undefined, min: number): number | undefined => {
    if (x === undefined) return undefined;
    const n = Number(x);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}, got '${x}'`);
    return n;
  };
  let log: LineFile | undefined;
  try {
    const limits = parseLimits(s('limits'));
    const warmArg = int('warmup', s('warmup'), 1);
    // the manager asks the terminal for twice the warm-up's bars (weekends), and a history request is at most
    // MAX_HISTORY_BARS: more never warmed up ("strategies not ready")
    if (warmArg !== undefined && warmArg > MAX_HISTORY_BARS / 2) throw new UsageError(`--warmup must be a whole number from 1 to ${(MAX_HISTORY_BARS / 2).toLocaleString('en-US')} (the warm-up asks the terminal for twice its bars, and a history request is at most ${MAX_HISTORY_BARS.toLocaleString('en-US')}), got '${s('warmup')}'`);
    const warm = warmArg ?? 1000;
    const balance = s('balance') === undefined ? undefined : Number(s('balance'));
    if (balance !== undefined && !(balance > 0)) throw new UsageError(`--balance must be a positive amount, got '${s('balance')}'`);
    const tooLarge = balance === undefined ? undefined : balanceTooLarge(s('balance')!, balance);
    if (tooLarge) throw new UsageError(tooLarge);
    const speed = int('speed', s('speed'), 1);
    if (speed !== undefined && v.lockstep === true) throw new UsageError('--speed N and --lockstep are either-or: --lockstep replays as fast as the host decides, --speed N paces the replay at N bars a second');
    // --from: a bar's index in the file (0 = its first bar), or a date (YYYY-MM-DD[ HH:MM], server time) as the backtest's
    const fromArg = s('from');
    const fromDate = fromArg !== undefined && !/^\d+$/.test(fromArg.trim()) ? parseDateArg('from', fromArg) : undefined;
    if (typeof fromDate === 'string') throw new UsageError(`--from must be a bar index (a whole number) or a date YYYY-MM-DD[ HH:MM] (server time), got '${fromArg}'`);
    const over = parseOverrides(s('symbol'), s('timeframe'));
    const brokerZone = parseBrokerZone(s('broker-zone'));
    const strategies = positionals.map((f) => {
      const raw = overrideStrategy(readStrategyJson(f), over);
      try {
        return { raw, strategy: normalizeStrategy(raw) };
      } catch (e) {
        if (e instanceof StrategyError) throw new Error(`${f}: ${e.problems.length} problem(s):\n${e.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
        throw e;
      }
    });
    const bars = loadBarFile(data);
    for (const w of checkPaperData(data, bars, strategies[0]!.strategy, over)) err(`warning: ${w}\n`);
    let from: number;
    if (typeof fromDate === 'object') {
      from = firstBarFrom(bars.time, fromDate.sec);
      if (from >= bars.length) throw new Error(`--from ${fromArg}: ${data} ends at ${formatServerTime(bars.time[bars.length - 1]!)}`);
    } else from = int('from', fromArg, 0) ?? Math.min(warm, bars.length - 1);
    if (from >= bars.length) throw new Error(`--from ${from}: ${data} has ${bars.length} bars (0 to ${bars.length - 1})`);
    if (warmArg !== undefined && fromArg === undefined && warm >= bars.length) err(`warning: --warmup ${warm} is more than ${data}'s ${bars.length} bars: warming up on ${from} and replaying ${bars.length - from}\n`);
    const logFile = s('log');
    if (logFile !== undefined) {
      const opened = LineFile.open(logFile, 'log', err, 'paper');
      if (!opened) return 1;
      log = opened;
    }
    let r;
    try {
      r = await runPaper({
        strategies: strategies.map((x) => x.raw), bars, from, warmupBars: warm, dataName: data, out: (l) => out(l + '\n'),
        ...(speed ? { barsPerSecond: speed } : {}),
        ...(limits ? { limits } : {}),
        ...(balance !== undefined ? { balance } : {}), ...(log ? { onLog: (l: string) => log!.write(l) } : {}),
        ...(brokerZone ? { brokerZone } : {}),
        ...(signal ? { signal } : {}),
      });
    } finally {
      log?.close();
    }
    if (log?.failed) return 1;
    return r.aborted ? 130 : 0;
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(err, 'paper', e.message);
    err(`mt5-executor paper: ${(e as Error).message}\n`);
    return 1;
  }
}
