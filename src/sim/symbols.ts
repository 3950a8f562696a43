/**
 * Symbol specifications for the simulator, with values typical of a retail MT5 ECN account
 * (5-digit FX, 2-digit gold, 3-digit JPY pairs). Override any field per test or per run.
 */
import { SYMBOL_CALC_MODE, SYMBOL_FILLING, SYMBOL_TRADE_EXECUTION, SYMBOL_TRADE_MODE } from '../protocol/mt5.js';
import type { SimSymbolSpec } from './broker.js';

/** Monday 00:00 to Friday 23:55 server time, as most FX brokers. */
export const FX_SESSIONS: [number, number, number][] = [1, 2, 3, 4, 5].map((d) => [d, 0, d === 5 ? 1435 : 1440]);

function fx(symbol: string, base: string, quote: string, digits: number, over: Partial<SimSymbolSpec> = {}): SimSymbolSpec {
  const point = 10 ** -digits;
  return {
    symbol, description: `${base} vs ${quote}`, digits, point, tickSize: point, contractSize: 100_000,
    volumeMin: 0.01, volumeMax: 100, volumeStep: 0.01, stopsLevel: 0, freezeLevel: 0,
    fillingMode: SYMBOL_FILLING.FOK | SYMBOL_FILLING.IOC, executionMode: SYMBOL_TRADE_EXECUTION.MARKET,
    tradeMode: SYMBOL_TRADE_MODE.FULL, calcMode: SYMBOL_CALC_MODE.FOREX,
    currencyBase: base, currencyProfit: quote, currencyMargin: base,
    swapLong: -7, swapShort: 2, swapRollover3Days: 3, sessions: FX_SESSIONS,
    commissionPerLot: 3.5, defaultSpread: digits === 3 ? 12 : 10,
    ...over,
  };
}

export const SYMBOLS: Record<string, SimSymbolSpec> = {
  EURUSD: fx('EURUSD', 'EUR', 'USD', 5),
  GBPUSD: fx('GBPUSD', 'GBP', 'USD', 5),
  USDJPY: fx('USDJPY', 'USD', 'JPY', 3, { swapLong: 10, swapShort: -25 }),
  EURGBP: fx('EURGBP', 'EUR', 'GBP', 5),
  XAUUSD: {
    ...fx('XAUUSD', 'XAU', 'USD', 2),
    description: 'Gold vs US Dollar', contractSize: 100, calcMode: SYMBOL_CALC_MODE.CFDLEVERAGE,
    currencyMargin: 'USD', swapLong: -30, swapShort: 15, defaultSpread: 20,
    sessions: [1, 2, 3, 4, 5].map((d) => [d, 60, d === 5 ? 1435 : 1440] as [number, number, number]),
  },
};

export function symbolSpec(name: string, over: Partial<SimSymbolSpec> = {}): SimSymbolSpec {
  const base = SYMBOLS[name];
  if (!base) throw new Error(`no preset for ${name}: known presets are ${Object.keys(SYMBOLS).join(', ')}`);
  return { ...base, ...over };
}
