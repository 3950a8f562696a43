/**
 * `mt5-executor strategy new <file>`: a starter strategy that validates (without a warning) and backtests as it is,
 * its notes in the top-level "//" key (the format's comment key, docs/strategy-format.md).
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { normalizeStrategy } from '../engine/strategy/normalize.js';
import { TF_ALIASES } from '../engine/strategy/operands.js';
import { TIMEFRAME_INPUTS } from '../engine/strategy/schema.js';
import { SYMBOLS, resolveSymbol } from '../sim/symbols.js';
import { usageFailure, writeFailure } from './kit.js';

export function starterStrategy(symbol = 'EURUSD', timeframe = 'H1'): Record<string, unknown> {
  return {
    '//': [
      'A starter strategy: edit it, then `mt5-executor validate <file>` and `mt5-executor backtest <file> --data <bars.csv> --report r.html`.',
      'strategyId: a short stable id (the magic number of its orders derives from it). symbol/timeframe: what it trades.',
      'rules.entry: BUY when every condition holds (logic AND), SELL on the mirror image (direction BOTH). Indicators: ema_9, sma_200, rsi_14, atr_14, macd …',
      'rules.exit: stop loss 2 × ATR(14) from the entry, take profit at twice the risk (2R); trailing and break-even are optional.',
      'rules.riskManagement: a fixed 0.01 lot (rounded down to the volume step), one position at a time, stop for the day after a 2 % loss.',
      'rules.filters: trade only in the London and New York sessions. Every field: `mt5-executor schema` and docs/strategy-format.md.',
    ],
    strategyId: 'my-ema-cross',
    strategyName: `EMA 9/21 cross with ATR stops — ${symbol} ${timeframe}`,
    symbol,
    timeframe,
    rules: {
      entry: {
        direction: 'BOTH',
        logic: 'AND',
        conditions: [
          { indicator: 'ema_9', condition: 'crosses_above', indicatorRef: 'ema_21' },
          { indicator: 'price', condition: 'greater_than', value: 'sma_200' },
        ],
      },
      exit: {
        stopLoss: { type: 'atr', multiplier: 2, atrPeriod: 14 },
        takeProfit: { type: 'rr_ratio', ratio: 2 },
      },
      riskManagement: { lotSize: 0.01, maxPositions: 1, maxDailyLossPercent: 2 },
      filters: { sessionFilter: { allowedSessions: ['London', 'NewYork'], action: 'SKIP' } },
    },
  };
}

export function newStrategyCommand(file: string | undefined, o: { symbol: string | undefined; timeframe: string | undefined; force: boolean }, out: (t: string) => void, err: (t: string) => void): number {
  if (!file) {
    return usageFailure(err, 'strategy new', 'give the file to write: mt5-executor strategy new my-strategy.json');
  }
  // a symbol the simulator has a specification for (backtest and paper need one), any case, with a broker's suffix
  const sym = o.symbol === undefined ? undefined : resolveSymbol(o.symbol);
  if (o.symbol !== undefined && !sym) {
    return usageFailure(err, 'strategy new', `--symbol ${o.symbol}: no symbol specification; known ${Object.keys(SYMBOLS).join(', ')} (with a broker's suffix too: EURUSD.m, EURUSDm)`);
  }
  // exactly the timeframes the strategy format accepts (its list), written as the format's own name (1h → H1)
  if (o.timeframe !== undefined && !(TIMEFRAME_INPUTS as readonly string[]).includes(o.timeframe)) {
    const tf = o.timeframe;
    const same = TIMEFRAME_INPUTS.find((t) => t.toLowerCase() === tf.toLowerCase());
    return usageFailure(err, 'strategy new', `--timeframe "${tf}" is not accepted: use one of ${TIMEFRAME_INPUTS.join(', ')}${same ? ` — did you mean '${same}'?` : ''}`);
  }
  if (/[\\/]$/.test(file) && !existsSync(file)) {
    err(`mt5-executor strategy new: ${file} names a folder (it ends with a separator); give a file name, e.g. ${file}my-strategy.json\n`);
    return 1;
  }
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) {
      err(`mt5-executor strategy new: ${file} is a directory; give a file name in it, e.g. ${file.replace(/\/$/, '')}/my-strategy.json\n`);
      return 1;
    }
    if (!o.force) {
      err(`mt5-executor strategy new: ${file} exists; --force overwrites it\n`);
      return 1;
    }
  }
  // a folder that does not exist is not made: a typo in it would leave the strategy where the trader does not look
  const folder = dirname(file);
  const folderSt = statSync(folder, { throwIfNoEntry: false });
  if (!folderSt || !folderSt.isDirectory()) {
    const why = folderSt ? `${folder} is a file, not a folder; give` : `the folder ${folder} does not exist; create it first, or give`;
    err(`mt5-executor strategy new: ${file}: ${why} a file in an existing folder (nothing was written)\n`);
    return 1;
  }
  // the preset's own name for a name that differs only in case (xauusd → XAUUSD); a broker's suffix is kept
  const symbol = sym && o.symbol!.trim().toUpperCase() === sym.preset ? sym.preset : o.symbol?.trim();
  const s = starterStrategy(symbol, o.timeframe === undefined ? undefined : TF_ALIASES[o.timeframe]);
  normalizeStrategy(s); // the starter must validate: a broken template would be a bug here, not the trader's
  try {
    writeFileSync(file, JSON.stringify(s, null, 2) + '\n');
  } catch (e) {
    err(`mt5-executor strategy new: ${file}: cannot write it: ${writeFailure(e)}\n`);
    return 1;
  }
  if (sym?.note && symbol !== sym.preset) out(`note: ${sym.note} in backtest and paper\n`);
  out(`wrote ${file}: ${s.strategyName as string}\nnext: mt5-executor validate ${file}\n      mt5-executor backtest ${file} --data <bars.csv> --report report.html\n`);
  return 0;
}
