/**
 * Symbol specifications for the simulator, with values typical of a retail MT5 ECN account
 * (5-digit FX, 2-digit gold, 3-digit JPY pairs). Override any field per test or per run.
 */
import { DEFAULT_BROKER_TZ, type BrokerTimeZone } from '../engine/time/broker-time.js';
import { SYMBOL_CALC_MODE, SYMBOL_FILLING, SYMBOL_SWAP_MODE, SYMBOL_TRADE_EXECUTION, SYMBOL_TRADE_MODE } from '../protocol/mt5.js';
import type { SimSymbolSpec } from './broker.js';
import { FX_WEEK_NY, GOLD_WEEK_NY, weekSessions, type NewYorkHours } from './fx-week.js';

/**
 * Monday 00:00 to Friday 23:55 server time, as most FX brokers: the FX week (Sunday 17:00 → Friday 16:55 New York)
 * in the default zone (GMT+2, GMT+3 with New York's DST); weekSessions gives it in another.
 */
export const FX_SESSIONS: [number, number, number][] = [1, 2, 3, 4, 5].map((d) => [d, 0, d === 5 ? 1435 : 1440]);

function fx(symbol: string, base: string, quote: string, digits: number, over: Partial<SimSymbolSpec> = {}): SimSymbolSpec {
  const point = 10 ** -digits;
  return {
    symbol, description: `${base} vs ${quote}`, digits, point, tickSize: point, contractSize: 100_000,
    volumeMin: 0.01, volumeMax: 100, volumeStep: 0.01, stopsLevel: 0, freezeLevel: 0,
    fillingMode: SYMBOL_FILLING.FOK | SYMBOL_FILLING.IOC, executionMode: SYMBOL_TRADE_EXECUTION.MARKET,
    tradeMode: SYMBOL_TRADE_MODE.FULL, calcMode: SYMBOL_CALC_MODE.FOREX,
    currencyBase: base, currencyProfit: quote, currencyMargin: base,
    swapLong: -7, swapShort: 2, swapMode: SYMBOL_SWAP_MODE.POINTS, swapRollover3Days: 3, sessions: FX_SESSIONS,
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

/** A symbol as a broker names it, matched to a preset. */
export interface SymbolMatch {
  /** The preset's name: EURUSD for EURUSD.m. */
  preset: string;
  /** The preset's specification, under the preset's name. */
  spec: SimSymbolSpec;
  /** Which preset stands in, when the name is not the preset's own; none for an exact name. */
  note?: string;
}

const PRESETS_LONGEST_FIRST = Object.keys(SYMBOLS).sort((a, b) => b.length - a.length);

/** The separators a broker puts between a symbol and its suffix (EURUSD.m, EURUSD#, EURUSD!, EURUSD+): one list for both checks of resolveSymbol. */
const SUFFIX_SEP = '[._\\-#!+]';
const SUFFIX = new RegExp(`^${SUFFIX_SEP}[A-Za-z0-9]{0,8}$`);
const OTHER_CONTRACT = new RegExp(`^${SUFFIX_SEP}?(micro|mini|cent|c)$`, 'i');

/**
 * The preset for a symbol as a broker names it: the preset of that name, or of its base when the name differs
 * by case or by a broker suffix — after a separator (EURUSD.m, EURUSD.pro, EURUSD-ECN, EURUSD_i, EURUSD#) or in
 * lower case after the preset's capitals (EURUSDm, EURUSDpro), or the name in lower case (eurusd, xauusd). An upper-case
 * tail without a separator (EURUSDT), a lower-case one after a lower-case name (eurusdt), and a micro, mini or cent
 * account's suffix (EURUSDmicro, EURUSD.mini, EURUSDc: another contract size) are not taken. Undefined when no preset
 * matches. A simulator runs such a symbol under the preset's name: the
 * simulated broker converts currencies through the pairs so named (EUR→USD through EURUSD).
 */
export function resolveSymbol(name: string, zone?: BrokerTimeZone): SymbolMatch | undefined {
  const n = name.trim();
  const exact = SYMBOLS[n];
  if (exact) return { preset: n, spec: inZone(n, exact, zone) };
  const up = n.toUpperCase();
  for (const p of PRESETS_LONGEST_FIRST) {
    if (!up.startsWith(p)) continue;
    const rest = n.slice(p.length);
    if (rest !== '' && !SUFFIX.test(rest) && !(/^[a-z][a-z0-9]{0,7}$/.test(rest) && n.startsWith(p))) continue;
    // a micro, mini or cent account's symbol has another contract size: not the preset's (its sizes and money would be
    // 10–100× off)
    if (OTHER_CONTRACT.test(rest)) return undefined;
    const spec = inZone(p, SYMBOLS[p]!, zone);
    return { preset: p, spec, note: `${n} is simulated as ${p}, with the simulator's ${p} specification (${spec.digits} digits, contract size ${spec.contractSize}, volume step ${spec.volumeStep})` };
  }
  return undefined;
}

/** A preset's spec, with `over` on it; its sessions in broker zone `zone` (default: the default zone's). */
export function symbolSpec(name: string, over: Partial<SimSymbolSpec> = {}, zone?: BrokerTimeZone): SimSymbolSpec {
  const base = SYMBOLS[name];
  if (!base) throw new Error(`no preset for ${name}: known presets are ${Object.keys(SYMBOLS).join(', ')}`);
  return { ...inZone(name, base, zone), ...over };
}

/** A preset's market hours in New York time (the presets' `sessions` are them in the default zone). */
const HOURS_NY: Record<string, NewYorkHours[]> = { XAUUSD: GOLD_WEEK_NY };

/**
 * A preset with its trading sessions where its market opens and closes in the broker's clock (the bars' zone, as
 * --broker-zone declares it); the preset itself for the default zone, whose hours the presets are written in.
 */
function inZone(name: string, spec: SimSymbolSpec, zone: BrokerTimeZone | undefined): SimSymbolSpec {
  if (!zone || JSON.stringify(zone) === JSON.stringify(DEFAULT_BROKER_TZ)) return spec;
  return { ...spec, sessions: weekSessions(zone, HOURS_NY[name] ?? FX_WEEK_NY) };
}
