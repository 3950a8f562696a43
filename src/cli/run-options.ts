/**
 * The options the offline runs share — backtest, paper and demo: --symbol (a preset, or a broker's name for one:
 * EURUSD.m), --timeframe, --limits, --broker-zone, --from as a date, and the strategy run on the overrides. One
 * reading of each, so the three commands take the same names and refuse the same ones with the same words.
 */
import { DEFAULT_LIMITS, type RiskLimits } from '../engine/safety.js';
import { parseZoneArg, type BrokerTimeZone } from '../engine/time/broker-time.js';
import { timeframeOptionProblem } from './data-match.js';
import { SYMBOLS, resolveSymbol } from '../sim/symbols.js';
import { UsageError } from './kit.js';

/** Why `symbol` cannot be given to --symbol (no preset has it, nor its base: sim/symbols.ts resolveSymbol), or undefined. */
export function symbolOptionProblem(symbol: string): string | undefined {
  return resolveSymbol(symbol) ? undefined : `--symbol ${symbol}: no symbol specification; known ${Object.keys(SYMBOLS).join(', ')}`;
}

/** --symbol/--timeframe as given, checked (UsageError names the one that is wrong and what is right). */
export function parseOverrides(symbol: string | undefined, timeframe: string | undefined): { symbol?: string; timeframe?: string } {
  const wrong = symbol === undefined ? undefined : symbolOptionProblem(symbol);
  if (wrong) throw new UsageError(wrong);
  const tfProblem = timeframe === undefined ? undefined : timeframeOptionProblem(timeframe);
  if (tfProblem) throw new UsageError(tfProblem);
  return { ...(symbol ? { symbol } : {}), ...(timeframe ? { timeframe } : {}) };
}

/** The strategy as run on other bars: --symbol/--timeframe over its own (its indicators follow the timeframe). */
export function overrideStrategy(raw: unknown, over: { symbol?: string | undefined; timeframe?: string | undefined }): unknown {
  if (!over.symbol && !over.timeframe || !raw || typeof raw !== 'object') return raw;
  return { ...(raw as Record<string, unknown>), ...(over.symbol ? { symbol: over.symbol } : {}), ...(over.timeframe ? { timeframe: over.timeframe } : {}) };
}

/**
 * A strategy (raw JSON) on a broker's name for a preset (EURUSD.m) as the simulator runs it: on the preset's name (the
 * simulated broker converts currencies through pairs so named), with the note that says so; as it is otherwise.
 */
export function onPreset(raw: unknown): { raw: unknown; note?: string } {
  const m = resolveSymbol(String((raw as { symbol?: unknown } | null)?.symbol ?? ''));
  return m?.note ? { raw: { ...(raw as object), symbol: m.preset }, note: m.note } : { raw };
}

/** Why `limits` cannot be given to --limits, or undefined. */
export function limitsOptionProblem(limits: string): string | undefined {
  return ['none', 'demo', 'live'].includes(limits) ? undefined : `--limits must be none, demo or live, got '${limits}'`;
}

/** --limits as given: the account type's limits, undefined for none or no option (UsageError when wrong). */
export function parseLimits(limits: string | undefined): RiskLimits | undefined {
  if (limits === undefined) return undefined;
  const wrong = limitsOptionProblem(limits);
  if (wrong) throw new UsageError(wrong);
  return limits === 'none' ? undefined : DEFAULT_LIMITS[limits as 'demo' | 'live'];
}

/** --broker-zone as given (UsageError with the forms it takes otherwise). */
export function parseBrokerZone(text: string | undefined): BrokerTimeZone | undefined {
  if (text === undefined) return undefined;
  const z = parseZoneArg(text);
  if (typeof z === 'string') throw new UsageError(`--broker-zone ${z}`);
  return z;
}

/**
 * The largest --balance (backtest, paper). Money is kept in cents in doubles, exact up to 2^53 cents (about 9 × 10^13):
 * a deposit beyond that made the figures wrong (1e15: a final balance 1.33 off the net profit; 1e30: no drawdown at all).
 */
export const MAX_BALANCE = 1e12;

/** Why a --balance of `n` (read from `text`) is too large, or undefined. */
export function balanceTooLarge(text: string, n: number): string | undefined {
  return n > MAX_BALANCE ? `--balance must be at most ${MAX_BALANCE.toLocaleString('en-US')} (money is exact to the cent up to there), got '${text}'` : undefined;
}

/** The first bar at or after `sec` (a --from date, server time) among the bars before `end`; `end` when none is. */
export function firstBarFrom(time: ArrayLike<number>, sec: number, end = time.length): number {
  let i = 0;
  while (i < end && time[i]! < sec) i++;
  return i;
}
