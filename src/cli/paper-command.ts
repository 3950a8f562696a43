/**
 * `mt5-executor paper` on the command line: its options read and checked (a wrong one exits 2), the data checked
 * against the strategies as the backtest checks it (data-match.ts), the decision log's file opened before the run
 * (a file that cannot be written is one line naming it), then the run (paper.ts).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { formatServerTime, type BarSeries } from '../engine/bars.js';
import { DEFAULT_LIMITS } from '../engine/safety.js';
import { StrategyError, normalizeStrategy, type NormalizedStrategy } from '../engine/strategy/normalize.js';
import { parseZoneArg, type BrokerTimeZone } from '../engine/time/broker-time.js';
import { SYMBOLS } from '../sim/symbols.js';
import { parseDateArg } from './backtest.js';
import { loadBarFile } from './bar-file.js';
import { checkDataMatch, timeframeOptionProblem } from './data-match.js';
import { UsageError } from './kit.js';
import { readStrategyJson, runPaper } from './paper.js';

/** The strategy as run on other bars: --symbol/--timeframe over its own (its indicators follow the timeframe). */
export function overrideStrategy(raw: unknown, over: { symbol?: string | undefined; timeframe?: string | undefined }): unknown {
  if (!over.symbol && !over.timeframe || !raw || typeof raw !== 'object') return raw;
  return { ...(raw as Record<string, unknown>), ...(over.symbol ? { symbol: over.symbol } : {}), ...(over.timeframe ? { timeframe: over.timeframe } : {}) };
}

/** --symbol/--timeframe as given, checked (UsageError names the one that is wrong and what is right). */
export function parseOverrides(symbol: string | undefined, timeframe: string | undefined): { symbol?: string; timeframe?: string } {
  if (symbol !== undefined && !SYMBOLS[symbol]) throw new UsageError(`--symbol ${symbol}: no symbol specification; known ${Object.keys(SYMBOLS).join(', ')}`);
  const tfProblem = timeframe === undefined ? undefined : timeframeOptionProblem(timeframe);
  if (tfProblem) throw new UsageError(tfProblem);
  return { ...(symbol ? { symbol } : {}), ...(timeframe ? { timeframe } : {}) };
}

/** --broker-zone as given (UsageError with the forms it takes otherwise). */
export function parseBrokerZone(text: string | undefined): BrokerTimeZone | undefined {
  if (text === undefined) return undefined;
  const z = parseZoneArg(text);
  if (typeof z === 'string') throw new UsageError(`--broker-zone ${z}`);
  return z;
}

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
  const data = s('data'), limits = s('limits');
  if (!positionals.length || !data) {
    err('mt5-executor paper: give at least one strategy file and --data <bars.csv> (mt5-executor paper --help)\n');
    return 2;
  }
  const int = (name: string, x: string | undefined, min: number): number | undefined => {
    if (x === undefined) return undefined;
    const n = Number(x);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}, got '${x}'`);
    return n;
  };
  let log: WriteStream | undefined;
  try {
    if (limits !== undefined && !['none', 'demo', 'live'].includes(limits)) throw new UsageError(`--limits must be none, demo or live, got '${limits}'`);
    const warmArg = int('warmup', s('warmup'), 1);
    const warm = warmArg ?? 1000;
    const balance = s('balance') === undefined ? undefined : Number(s('balance'));
    if (balance !== undefined && !(balance > 0)) throw new UsageError(`--balance must be a positive amount, got '${s('balance')}'`);
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
      from = 0;
      while (from < bars.length && bars.time[from]! < fromDate.sec) from++;
      if (from >= bars.length) throw new Error(`--from ${fromArg}: ${data} ends at ${formatServerTime(bars.time[bars.length - 1]!)}`);
    } else from = int('from', fromArg, 0) ?? Math.min(warm, bars.length - 1);
    if (from >= bars.length) throw new Error(`--from ${from}: ${data} has ${bars.length} bars (0 to ${bars.length - 1})`);
    if (warmArg !== undefined && fromArg === undefined && warm >= bars.length) err(`warning: --warmup ${warm} is more than ${data}'s ${bars.length} bars: warming up on ${from} and replaying ${bars.length - from}\n`);
    const logFile = s('log');
    if (logFile) log = await openLog(logFile);
    const r = await runPaper({
      strategies: strategies.map((x) => x.raw), bars, from, warmupBars: warm, dataName: data, out: (l) => out(l + '\n'),
      ...(speed ? { barsPerSecond: speed } : {}),
      ...(limits && limits !== 'none' ? { limits: DEFAULT_LIMITS[limits as 'demo' | 'live'] } : {}),
      ...(balance !== undefined ? { balance } : {}), ...(log ? { onLog: (l: string) => void log!.write(l + '\n') } : {}),
      ...(brokerZone ? { brokerZone } : {}),
      ...(signal ? { signal } : {}),
    });
    if (log) await closeLog(log, logFile!);
    return r.aborted ? 130 : 0;
  } catch (e) {
    log?.destroy();
    err(`mt5-executor paper: ${(e as Error).message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/** The decision log's file, open for writing; an Error naming it when it cannot be (a folder, no such folder, no permission). */
async function openLog(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file);
  await new Promise<void>((res, rej) => {
    stream.once('open', () => res());
    stream.once('error', (e: NodeJS.ErrnoException) => rej(logError(file, e)));
  });
  // a write that fails later (disk full) ends the run's log with an error, not the process
  stream.on('error', () => undefined);
  return stream;
}

async function closeLog(stream: WriteStream, file: string): Promise<void> {
  await new Promise<void>((res, rej) => {
    stream.once('error', (e: NodeJS.ErrnoException) => rej(logError(file, e)));
    stream.end(() => res());
  });
}

function logError(file: string, e: NodeJS.ErrnoException): Error {
  const why = e.code === 'EISDIR' ? 'is a directory; give a file name (e.g. paper.jsonl)' : e.code === 'ENOENT' ? 'its folder does not exist' : e.code === 'EACCES' || e.code === 'EPERM' ? 'no permission to write it' : e.message;
  return new Error(`--log ${file}: cannot write the decision log: ${why}`);
}
