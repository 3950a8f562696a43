/**
 * Every accepted setting is enforced or refused. The risk, sizing, filter and exit fields of the strategy format are
 * read from its zod schema (so a new field without a case here fails the first test), and each case shows in a
 * backtest on real bars — the venue that runs the one trading core — that changing the field changes what happens
 * (the decision log or the deals differ). The correlation filter needs a second symbol's positions, which a
 * one-symbol backtest cannot have: its cases run the runner with another symbol's closes instead.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { StrategyRunner } from '../../src/engine/runner.js';
import { dynamicRiskSchema, exitSchema, filtersSchema, riskSchema } from '../../src/engine/strategy/schema.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { runBacktest } from '../../src/sim/backtest.js';

const bars = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8')), 0, 4000);

/** The leaf fields of an object schema, as dotted paths (optional and lazy unwrapped; unions and arrays are leaves). */
function leaves(schema: z.ZodType, prefix: string): string[] {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType; getter?: () => z.ZodType }; shape?: Record<string, z.ZodType> };
  while (s.def.type === 'optional' || s.def.type === 'lazy' || s.def.type === 'default') s = (s.def.innerType ?? s.def.getter!()) as typeof s;
  if (s.def.type !== 'object' || !s.shape) return [prefix];
  return Object.entries(s.shape).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

type Rules = Record<string, unknown>;
const BASE: Rules = {
  entry: { direction: 'BOTH', conditions: [{ indicator: 'ema_5', condition: 'crosses_above', indicatorRef: 'ema_13' }] },
  exit: { stopLoss: { type: 'pips', value: 20 }, takeProfit: { type: 'pips', value: 40 } },
  riskManagement: { lotSize: 0.1, maxPositions: 1 },
};

/** BASE with `patch` merged in, a level deep per section (undefined removes a key). */
function rules(patch: Record<string, Record<string, unknown>>): Rules {
  const out: Rules = structuredClone(BASE);
  for (const [section, fields] of Object.entries(patch)) {
    const merged = { ...((out[section] as Record<string, unknown>) ?? {}), ...fields };
    for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
    out[section] = merged;
  }
  return out;
}

/**
 * What a strategy did on the bars, as one hash: its deals, and per decision only what it did — the signal, each
 * filter's pass and size multiplier, whether the runner refused, every intent sent, the risk gate's refusal codes
 * (no texts: a setting whose value only shows up in a message has not changed anything).
 */
function outcome(r: Rules, over: Partial<Parameters<typeof runBacktest>[0]> = {}): string {
  const strategy = normalizeStrategy({ strategyId: 'matrix', symbol: 'EURUSD', timeframe: 'H1', rules: r });
  const log: string[] = [];
  const did = (line: string) => {
    const x = JSON.parse(line) as { t: number; signal?: string; filters?: unknown[][]; refused?: string; sent?: unknown; blocked?: string[][] };
    return JSON.stringify([x.t, x.signal, x.filters?.map((f) => f.slice(0, 3)), !!x.refused, x.sent, x.blocked?.map((b) => b.slice(1).map((m) => m.split(':')[0]))]);
  };
  const bt = runBacktest({ strategy, bars, warmupBars: 300, closeAtEnd: false, onLog: (l) => log.push(did(l)), ...over });
  const deals = bt.deals.map((d) => [d.time, d.type, d.entry, d.volume, d.price, d.profit].join('|'));
  return createHash('sha256').update(log.join('\n') + '\n#\n' + deals.join('\n')).digest('hex');
}

const sess = (o: object) => ({ sessionFilter: { allowedSessions: ['London'], ...o } });
const spr = (o: object) => ({ spreadFilter: { maxSpread: 0.3, ...o } });
const vol = (o: object) => ({ volatilityFilter: { minAtr: 8, ...o } });
const noStop = { stopLoss: undefined, takeProfit: { type: 'pips', value: 40 } };

/** field → two strategies that differ in that field (and what it needs); their outcomes must differ. */
const CASES: Record<string, [Record<string, Record<string, unknown>>, Record<string, Record<string, unknown>>]> = {
  'riskManagement.lotSize': [{ riskManagement: { lotSize: 0.1 } }, { riskManagement: { lotSize: 0.3 } }],
  'riskManagement.maxPositions': [{ riskManagement: { maxPositions: 1 }, exit: { exitOnOppositeSignal: false, stopLoss: { type: 'pips', value: 80 }, takeProfit: { type: 'pips', value: 160 } } }, { riskManagement: { maxPositions: 3 }, exit: { exitOnOppositeSignal: false, stopLoss: { type: 'pips', value: 80 }, takeProfit: { type: 'pips', value: 160 } } }],
  'riskManagement.maxDailyLoss': [{}, { riskManagement: { maxDailyLoss: 1 } }],
  'riskManagement.maxDailyLossPercent': [{}, { riskManagement: { maxDailyLossPercent: 0.01 } }],
  'dynamicRisk.riskPercentage': [{ dynamicRisk: { riskPercentage: 0.5 } }, { dynamicRisk: { riskPercentage: 2 } }],
  'dynamicRisk.useATRSizing': [{ dynamicRisk: { riskPercentage: 1 } }, { dynamicRisk: { riskPercentage: 1, useATRSizing: true }, exit: noStop }],
  'dynamicRisk.atrMultiplier': [{ dynamicRisk: { riskPercentage: 1, useATRSizing: true, atrMultiplier: 1 }, exit: noStop }, { dynamicRisk: { riskPercentage: 1, useATRSizing: true, atrMultiplier: 3 }, exit: noStop }],
  'dynamicRisk.volatilityThreshold': [{ dynamicRisk: { reduceInHighVolatility: true, volatilityThreshold: 5 } }, { dynamicRisk: { reduceInHighVolatility: true, volatilityThreshold: 500 } }],
  'dynamicRisk.reduceInHighVolatility': [{}, { dynamicRisk: { reduceInHighVolatility: true, volatilityThreshold: 5 } }],
  'dynamicRisk.kelly': [{ dynamicRisk: { riskPercentage: 1 } }, { dynamicRisk: { riskPercentage: 1, kelly: { minTrades: 10 } } }],
  'dynamicRisk.kelly.fraction': [{ dynamicRisk: { riskPercentage: 1, kelly: { minTrades: 10, fraction: 0.1 } } }, { dynamicRisk: { riskPercentage: 1, kelly: { minTrades: 10, fraction: 0.5, capPercent: 10 } } }],
  'dynamicRisk.kelly.capPercent': [{ dynamicRisk: { riskPercentage: 1, kelly: { minTrades: 10, fraction: 1, capPercent: 0.1 } } }, { dynamicRisk: { riskPercentage: 1, kelly: { minTrades: 10, fraction: 1, capPercent: 10 } } }],
  'dynamicRisk.kelly.minTrades': [{ dynamicRisk: { riskPercentage: 1, kelly: { minTrades: 10 } } }, { dynamicRisk: { riskPercentage: 1, kelly: { minTrades: 60 } } }],
  'dynamicRisk.volatilityScaling': [{}, { dynamicRisk: { volatilityScaling: { targetAtrPips: 10 } } }],
  'dynamicRisk.volatilityScaling.targetAtrPips': [{ dynamicRisk: { volatilityScaling: { targetAtrPips: 10 } } }, { dynamicRisk: { volatilityScaling: { targetAtrPips: 20 } } }],
  'dynamicRisk.volatilityScaling.maxScale': [{ dynamicRisk: { volatilityScaling: { targetAtrPips: 100, maxScale: 1 } } }, { dynamicRisk: { volatilityScaling: { targetAtrPips: 100, maxScale: 3 } } }],
  'dynamicRisk.volatilityScaling.atrPeriod': [{ dynamicRisk: { volatilityScaling: { targetAtrPips: 10, atrPeriod: 5 } } }, { dynamicRisk: { volatilityScaling: { targetAtrPips: 10, atrPeriod: 100 } } }],
  'filters.sessionFilter.enabled': [{ filters: sess({ enabled: true }) }, { filters: sess({ enabled: false }) }],
  'filters.sessionFilter.allowedSessions': [{ filters: sess({ allowedSessions: ['London'] }) }, { filters: sess({ allowedSessions: ['Tokyo'] }) }],
  'filters.sessionFilter.action': [{ filters: sess({ action: 'SKIP' }) }, { filters: sess({ action: 'REDUCE_SIZE' }) }],
  'filters.sessionFilter.sizeMultiplier': [{ filters: sess({ action: 'REDUCE_SIZE', sizeMultiplier: 0.5 }) }, { filters: sess({ action: 'REDUCE_SIZE', sizeMultiplier: 0.2 }) }],
  'filters.spreadFilter.enabled': [{ filters: spr({ enabled: true }) }, { filters: spr({ enabled: false }) }],
  'filters.spreadFilter.maxSpread': [{ filters: spr({ maxSpread: 0.3 }) }, { filters: spr({ maxSpread: 5 }) }],
  'filters.spreadFilter.action': [{ filters: spr({ action: 'SKIP' }) }, { filters: spr({ action: 'REDUCE_SIZE' }) }],
  'filters.spreadFilter.sizeMultiplier': [{ filters: spr({ action: 'REDUCE_SIZE', sizeMultiplier: 0.5 }) }, { filters: spr({ action: 'REDUCE_SIZE', sizeMultiplier: 0.2 }) }],
  'filters.volatilityFilter.enabled': [{ filters: vol({ enabled: true }) }, { filters: vol({ enabled: false }) }],
  'filters.volatilityFilter.atrPeriod': [{ filters: vol({ atrPeriod: 5 }) }, { filters: vol({ atrPeriod: 100 }) }],
  'filters.volatilityFilter.minAtr': [{ filters: vol({ minAtr: 5 }) }, { filters: vol({ minAtr: 12 }) }],
  'filters.volatilityFilter.maxAtr': [{ filters: vol({ minAtr: 0, maxAtr: 10 }) }, { filters: vol({ minAtr: 0, maxAtr: 100 }) }],
  'filters.volatilityFilter.optimalAtr': [{ filters: vol({ minAtr: 0 }) }, { filters: vol({ minAtr: 0, optimalAtr: 5 }) }],
  'filters.volatilityFilter.action': [{ filters: vol({ action: 'SKIP' }) }, { filters: vol({ action: 'REDUCE_SIZE' }) }],
  'filters.volatilityFilter.sizeMultiplier': [{ filters: vol({ action: 'REDUCE_SIZE', sizeMultiplier: 0.5 }) }, { filters: vol({ action: 'REDUCE_SIZE', sizeMultiplier: 0.2 }) }],
  'exit.stopLoss.type': [{ exit: { stopLoss: { type: 'pips', value: 20 } } }, { exit: { stopLoss: { type: 'percentage', value: 0.2 } } }],
  'exit.stopLoss.value': [{ exit: { stopLoss: { type: 'pips', value: 20 } } }, { exit: { stopLoss: { type: 'pips', value: 35 } } }],
  'exit.stopLoss.multiplier': [{ exit: { stopLoss: { type: 'atr', multiplier: 1 } } }, { exit: { stopLoss: { type: 'atr', multiplier: 2 } } }],
  'exit.stopLoss.atrPeriod': [{ exit: { stopLoss: { type: 'atr', multiplier: 1, atrPeriod: 5 } } }, { exit: { stopLoss: { type: 'atr', multiplier: 1, atrPeriod: 50 } } }],
  'exit.stopLoss.price': [{ exit: { stopLoss: { type: 'fixed', price: 1.05 } } }, { exit: { stopLoss: { type: 'fixed', price: 1.11 } } }],
  'exit.takeProfit.type': [{ exit: { takeProfit: { type: 'pips', value: 40 } } }, { exit: { takeProfit: { type: 'rr_ratio', ratio: 3 } } }],
  'exit.takeProfit.value': [{ exit: { takeProfit: { type: 'pips', value: 40 } } }, { exit: { takeProfit: { type: 'pips', value: 25 } } }],
  'exit.takeProfit.ratio': [{ exit: { takeProfit: { type: 'rr_ratio', ratio: 1 } } }, { exit: { takeProfit: { type: 'rr_ratio', ratio: 2 } } }],
  'exit.takeProfit.multiplier': [{ exit: { takeProfit: { type: 'atr', multiplier: 1 } } }, { exit: { takeProfit: { type: 'atr', multiplier: 3 } } }],
  'exit.takeProfit.price': [{ exit: { stopLoss: undefined, takeProfit: { type: 'fixed', price: 1.2 } } }, { exit: { stopLoss: undefined, takeProfit: { type: 'fixed', price: 1.13 } } }],
  'exit.takeProfit.levels': [{ exit: { takeProfit: { type: 'partial', levels: [{ atRR: 1, percentage: 50 }, { atRR: 2, percentage: 50 }] } } }, { exit: { takeProfit: { type: 'partial', levels: [{ atRR: 0.5, percentage: 50 }, { atRR: 2, percentage: 50 }] } } }],
  'exit.trailing.enabled': [{ exit: { trailing: { enabled: true, distance: 10 } } }, { exit: { trailing: { enabled: false, distance: 10 } } }],
  'exit.trailing.distance': [{ exit: { trailing: { distance: 10 } } }, { exit: { trailing: { distance: 15 } } }],
  'exit.trailing.atrMult': [{ exit: { trailing: { atrMult: 1 } } }, { exit: { trailing: { atrMult: 2 } } }],
  'exit.trailing.activation': [{ exit: { trailing: { distance: 10 } } }, { exit: { trailing: { distance: 10, activation: 15 } } }],
  'exit.trailing.activationRR': [{ exit: { trailing: { distance: 10 } } }, { exit: { trailing: { distance: 10, activationRR: 1 } } }],
  'exit.breakEven.enabled': [{ exit: { breakEven: { enabled: true, atRR: 0.5 } } }, { exit: { breakEven: { enabled: false, atRR: 0.5 } } }],
  'exit.breakEven.atRR': [{ exit: { breakEven: { atRR: 0.5 } } }, { exit: { breakEven: { atRR: 1 } } }],
  'exit.breakEven.offsetPips': [{ exit: { breakEven: { atRR: 0.5 } } }, { exit: { breakEven: { atRR: 0.5, offsetPips: 3 } } }],
  'exit.smartExit.type': [{ exit: { takeProfit: undefined, smartExit: { type: 'rr', rrRatio: 2 } } }, { exit: { takeProfit: undefined, smartExit: { type: 'atr', atrMultiplier: 1 } } }],
  'exit.smartExit.maxHoldingHours': [{}, { exit: { smartExit: { maxHoldingHours: 3 } } }],
  'exit.smartExit.atrMultiplier': [{ exit: { smartExit: { type: 'atr', atrMultiplier: 1 } } }, { exit: { smartExit: { type: 'atr', atrMultiplier: 2 } } }],
  'exit.smartExit.rrRatio': [{ exit: { takeProfit: undefined, smartExit: { type: 'rr', rrRatio: 1 } } }, { exit: { takeProfit: undefined, smartExit: { type: 'rr', rrRatio: 2 } } }],
  'exit.maxHoldingHours': [{}, { exit: { maxHoldingHours: 3 } }],
  'exit.exitOnOppositeSignal': [{ exit: { exitOnOppositeSignal: true, stopLoss: { type: 'pips', value: 80 }, takeProfit: { type: 'pips', value: 160 } } }, { exit: { exitOnOppositeSignal: false, stopLoss: { type: 'pips', value: 80 }, takeProfit: { type: 'pips', value: 160 } } }],
  'exit.conditions': [{}, { exit: { conditions: { long: { conditions: [{ indicator: 'rsi', condition: 'greater_than', value: 60 }] }, short: { conditions: [{ indicator: 'rsi', condition: 'less_than', value: 40 }] } } } }],
};

/** Fields a one-symbol backtest cannot show; each is shown below on the runner with a second symbol's closes. */
const CORRELATION = ['filters.correlationFilter.enabled', 'filters.correlationFilter.threshold', 'filters.correlationFilter.window', 'filters.correlationFilter.action', 'filters.correlationFilter.sizeMultiplier'];

describe('settings matrix: every risk, sizing, filter and exit field changes what happens', () => {
  const fields = [...leaves(riskSchema, 'riskManagement'), ...leaves(dynamicRiskSchema, 'dynamicRisk'), ...leaves(filtersSchema, 'filters'), ...leaves(exitSchema, 'exit')];

  it('has a case for every field of the schema (a new field without one fails here)', () => {
    expect(fields.length).toBeGreaterThan(50);
    const covered = new Set([...Object.keys(CASES), ...CORRELATION]);
    expect(fields.filter((f) => !covered.has(f))).toEqual([]);
    expect([...covered].filter((f) => !fields.some((x) => x === f || x.startsWith(`${f}.`)))).toEqual([]);
  });

  for (const [field, [a, b]] of Object.entries(CASES)) {
    it(`${field}: changing it changes the decisions or the deals`, () => {
      expect(outcome(rules(a)), field).not.toBe(outcome(rules(b)));
    });
  }

  it('correlationFilter: threshold, window, action, sizeMultiplier and enabled change the entry when another symbol moves with this one', () => {
    const sym = { digits: 5, point: 0.00001, tickSize: 0.00001, tickValue: 1, volumeMin: 0.01, volumeMax: 100, volumeStep: 0.01, stopsLevel: 0, freezeLevel: 0 };
    const h1 = sliceBars(bars, 0, 400);
    // an open GBPUSD position; GBPUSD moved with EURUSD over the last 60 bars (the same returns, scaled), and on a
    // walk of its own before: a window of 10 or 50 sees |r| ≈ 1, a window of 200 much less
    const n = h1.length;
    let walk = 1.3;
    const gbp = Float64Array.from(h1.close, (c, i) => (i >= n - 61 ? c * 1.2 : (walk += (((i * 7919) % 13) - 6) * 0.0004)));
    const closes = new Map([
      ['EURUSD', { time: h1.time, close: h1.close }],
      ['GBPUSD', { time: h1.time, close: gbp }],
    ]);
    const decide = (cf: Record<string, unknown> | undefined) => {
      const s = normalizeStrategy({ strategyId: 'corr', symbol: 'EURUSD', timeframe: 'H1', rules: { ...BASE, entry: { long: { conditions: [{ indicator: 'price', condition: 'greater_than', value: 0 }] } }, ...(cf ? { filters: { correlationFilter: cf } } : {}) } });
      const r = new StrategyRunner(s, sym);
      for (let i = 0; i < h1.length - 1; i++) r.warm({ time: h1.time[i]!, open: h1.open[i]!, high: h1.high[i]!, low: h1.low[i]!, close: h1.close[i]!, tickVolume: 1, realVolume: 0 });
      const i = h1.length - 1;
      const d = r.onBar({ time: h1.time[i]!, open: h1.open[i]!, high: h1.high[i]!, low: h1.low[i]!, close: h1.close[i]!, tickVolume: 1, realVolume: 0 }, { bid: h1.close[i]!, ask: h1.close[i]! + 0.0001, positions: [], correlation: { openSymbols: ['GBPUSD'], closes } });
      const open = d.intents.find((x) => x.type === 'OPEN') as { volume: number } | undefined;
      return [open?.volume ?? 0, d.filters.find((f) => f.filter === 'correlation')?.detail ?? ''] as const;
    };
    expect(decide(undefined)[0]).toBe(0.1);
    expect(decide({ threshold: 0.5 })[0]).toBe(0); // correlated: skipped
    expect(decide({ threshold: 0.5, enabled: false })[0]).toBe(0.1);
    expect(decide({ threshold: 1 })[0]).toBe(0.1); // |r| never above 1
    expect(decide({ threshold: 0.5, action: 'REDUCE_SIZE' })[0]).toBe(0.05);
    expect(decide({ threshold: 0.5, action: 'REDUCE_SIZE', sizeMultiplier: 0.2 })[0]).toBe(0.02);
    expect(decide({ threshold: 0.5, window: 10 })[0]).toBe(0);
    expect(decide({ threshold: 0.5, window: 200 })[0]).toBe(0.1);
  });
});
