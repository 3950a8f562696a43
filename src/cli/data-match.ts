/**
 * Whether a bar file is what a strategy trades: its timeframe from the bars' spacing, its symbol from the file's
 * symbol column (<TICKER>, Symbol) or else its name. One check for every command that runs a strategy on a file
 * (backtest, paper, demo): a mismatch is an error naming the override that runs the strategy on these bars anyway
 * (a broker's suffix, EURUSD.m, is its preset's symbol: sim/symbols.ts); a file that names no symbol is taken as the
 * strategy's with a warning, unless its prices cannot be that symbol's (bar-prices.ts) — then an error naming the
 * presets they fit. And whether the bars before --from are enough history for the strategy's indicators (warmUpNeeded).
 */
import { basename } from 'node:path';
import type { BarSeries } from '../engine/bars.js';
import { barAt, parseIndicatorSpec } from '../engine/indicator-spec.js';
import { TIMEFRAME_INPUTS } from '../engine/strategy/schema.js';
import { TIMEFRAMES, TIMEFRAME_SECONDS, type Timeframe } from '../protocol/messages.js';
import { SYMBOLS, resolveSymbol } from '../sim/symbols.js';
import { pricesNotOf, symbolsFitting } from './bar-prices.js';

/** The symbol a file's name declares (EURUSD_H1.csv, xauusd-m15.csv, EURUSDm.csv), if any. */
export function symbolFromFileName(file: string): string | undefined {
  const name = basename(file).toUpperCase();
  const known = Object.keys(SYMBOLS).sort((a, b) => b.length - a.length);
  for (const s of known) if (new RegExp(`(^|[^A-Z])${s}([^A-Z]|M?[^A-Z]|$)`).test(name)) return s;
  return undefined;
}

/** The timeframe whose length is `sec`, if any (a month's bars are 28 to 31 days apart: MN1). */
export function timeframeOf(sec: number): Timeframe | undefined {
  return TIMEFRAMES.find((t) => TIMEFRAME_SECONDS[t] === sec) ?? (sec >= 28 * 86400 && sec <= 31 * 86400 ? 'MN1' : undefined);
}

/** The timeframes a strategy trades: the protocol's that the strategy format accepts (M1 … D1; not W1 or MN1). */
export const STRATEGY_TIMEFRAMES: readonly Timeframe[] = TIMEFRAMES.filter((t) => (TIMEFRAME_INPUTS as readonly string[]).includes(t));

/** Why `tf` cannot be given to --timeframe (a strategy's timeframe: STRATEGY_TIMEFRAMES), or undefined. */
export function timeframeOptionProblem(tf: string): string | undefined {
  if ((STRATEGY_TIMEFRAMES as readonly string[]).includes(tf)) return undefined;
  const known = STRATEGY_TIMEFRAMES.join(', ');
  if ((TIMEFRAMES as readonly string[]).includes(tf)) return `--timeframe ${tf}: a strategy cannot trade ${tf} bars (the strategy format's timeframes are ${known})`;
  const upper = tf.toUpperCase();
  const meant = (STRATEGY_TIMEFRAMES as readonly string[]).includes(upper) ? upper : undefined;
  return `--timeframe must be one of ${known}, got '${tf}'${meant ? ` — did you mean ${meant}?` : ''}`;
}

const humanSec = (s: number) => (s % 86400 === 0 ? `${s / 86400} d` : s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);

export interface DataMatchInput {
  /** The bar file as the trader named it. */
  dataFile: string;
  bars: BarSeries;
  /** The strategy as it runs (with the overrides applied). */
  strategy: { symbol: string; timeframe: Timeframe };
  /** The --symbol/--timeframe the trader gave, if any. */
  overrides?: { symbol?: string | undefined; timeframe?: string | undefined };
  /** How the trader runs the strategy on other bars; default the --symbol/--timeframe options. */
  override?: { symbol: (s: string) => string; timeframe: (tf: string) => string };
}

export interface DataMatch {
  /** Why these bars are not the strategy's (no command prefix, no newline). */
  error?: string;
  /** What the check had to assume (each a sentence, no newline). */
  warnings: string[];
}

const OPTIONS = { symbol: (s: string) => `--symbol ${s}`, timeframe: (tf: string) => `--timeframe ${tf}` };

/** The data against the strategy's symbol and timeframe. */
export function checkDataMatch(o: DataMatchInput): DataMatch {
  const { dataFile, bars, strategy } = o;
  const over = o.overrides ?? {};
  const how = o.override ?? OPTIONS;
  const fileTf = timeframeOf(bars.periodSec);
  if (bars.length > 1 && bars.periodSec !== TIMEFRAME_SECONDS[strategy.timeframe]) {
    const tfError =
      `${dataFile} holds ${fileTf ?? 'unknown-timeframe'} bars (the most common distance between its bars is ${humanSec(bars.periodSec)}) ` +
      `but the strategy ${over.timeframe ? 'is run on' : 'trades'} ${strategy.timeframe}: give a file of ${strategy.timeframe} bars` +
      (fileTf && STRATEGY_TIMEFRAMES.includes(fileTf) ? `, or run the strategy on these bars with ${how.timeframe(fileTf)}` : fileTf ? ` (a strategy cannot trade ${fileTf} bars: its timeframes are ${STRATEGY_TIMEFRAMES.join(', ')})` : '');
    // the symbol too, when it is also not the strategy's: both at once, not one a run
    const sym = symbolMatch(o);
    return { error: sym.error ? `${tfError}; and ${sym.error}` : tfError, warnings: [] };
  }
  const m = symbolMatch(o);
  // one bar has no distance to another: its timeframe is the strategy's by assumption, and said so
  if (bars.length === 1 && !m.error) m.warnings.unshift(`${dataFile} holds one bar: its timeframe cannot be told from the file (two bars at least), so it is taken as the strategy's ${strategy.timeframe}`);
  return m;
}

/** The data against the strategy's symbol (checkDataMatch's second half). */
function symbolMatch(o: DataMatchInput): DataMatch {
  const { dataFile, bars, strategy } = o;
  const over = o.overrides ?? {};
  const how = o.override ?? OPTIONS;
  // the symbol from the file's own symbol column (<TICKER>, Symbol) when it has one, else from its name
  const fileSym = bars.symbol ? (symbolFromFileName(bars.symbol) ?? bars.symbol.toUpperCase()) : symbolFromFileName(dataFile);
  // a broker's suffix on either side (EURUSD.m) is its preset's symbol
  const want = resolveSymbol(strategy.symbol)?.preset ?? strategy.symbol;
  if (fileSym && (resolveSymbol(fileSym)?.preset ?? fileSym) !== want) {
    const says = bars.symbol ? `holds ${fileSym} bars (its ${bars.format?.columns.find((c) => /ticker|symbol|instrument|pair/i.test(c)) ?? 'symbol'} column says ${bars.symbol})` : `is named for ${fileSym}`;
    return {
      error: `${dataFile} ${says} but the strategy ${over.symbol ? 'is run on' : 'trades'} ${strategy.symbol}: give ${strategy.symbol} bars, or run the strategy on these bars with ${how.symbol(resolveSymbol(fileSym) ? fileSym : '<its symbol>')}`,
      warnings: [],
    };
  }
  const warnings: string[] = [];
  if (!fileSym) {
    // a file that names no symbol: its bars are taken as the strategy's symbol, unless its prices cannot be that symbol's
    const digits = SYMBOLS[want]?.digits;
    const wrong = digits === undefined ? undefined : pricesNotOf(bars, want, digits);
    if (wrong) {
      const fits = symbolsFitting(bars, SYMBOLS).filter((x) => x !== want);
      return {
        error:
          `${dataFile} names no symbol (neither its name nor a symbol column), and its bars cannot be ${strategy.symbol}'s: ${wrong}. ` +
          `Give ${strategy.symbol} bars, or run the strategy on these bars with ${fits.length ? fits.map((x) => how.symbol(x)).join(' or ') : how.symbol('<their symbol>')} (a file named for its symbol, e.g. XAUUSD_M15.csv, is checked by its name)`,
        warnings: [],
      };
    }
    if (!over.symbol) warnings.push(`${dataFile} names no symbol (neither its name nor a symbol column): its bars are taken as ${strategy.symbol}'s, the strategy's symbol (--symbol to run it on another; name the file for its symbol, e.g. ${strategy.symbol}_${strategy.timeframe}.csv, to have it checked)`);
  }
  return { warnings };
}

/** How much history a strategy's indicators need: bars of the file before a decision reads a value of every one. */
export interface WarmUpNeed {
  /** Bars before the first bar whose decision sees every indicator with a value (Infinity: the file never gets there). */
  bars: number;
  /** The indicator that needs the most ('sma:200', or 'ema:200 on H4' for another timeframe). */
  indicator: string;
  /** An indicator on another timeframe: its bars counted as the file's bars they span, about. */
  about: boolean;
}

/**
 * The history the strategy's indicators need, found by running each over the file's first bars until every one of
 * its buffers has had a value (a condition on an indicator without a value is false: evaluator.ts). An indicator on a
 * higher timeframe needs that many of its own bars closed, counted as the file's bars they span (about: a week's end
 * makes a day fewer hours). Undefined for a strategy without indicators.
 */
export function warmUpNeeded(strategy: { timeframe: Timeframe; indicators: readonly { timeframe: Timeframe; spec: string }[] }, bars: BarSeries): WarmUpNeed | undefined {
  let worst: WarmUpNeed | undefined;
  const b = { time: 0, open: 0, high: 0, low: 0, close: 0, tickVolume: 0, realVolume: 0 };
  const base = bars.periodSec || TIMEFRAME_SECONDS[strategy.timeframe];
  for (const x of strategy.indicators) {
    const ind = parseIndicatorSpec(x.spec).make();
    const seen = new Uint8Array(ind.buffers.length);
    let left = seen.length, i = 0;
    for (; i < bars.length && left > 0; i++) {
      ind.push(barAt(bars, i, b));
      for (let j = 0; j < seen.length; j++) if (!seen[j] && Number.isFinite(ind.out[j]!)) (seen[j] = 1), left--;
    }
    const own = left > 0 ? Infinity : i - 1; // (the index of the bar at which the last buffer got a value)
    const other = x.timeframe !== strategy.timeframe;
    const need = other ? Math.ceil((own + 1) * (TIMEFRAME_SECONDS[x.timeframe] / base)) - 1 : own;
    if (!worst || need > worst.bars) worst = { bars: need, indicator: other ? `${x.spec} on ${x.timeframe}` : x.spec, about: other };
  }
  return worst;
}
