/**
 * The cases of the settings matrix: for each risk, sizing, filter and exit field of the strategy format, two rule
 * sets that differ in that field (and what it needs). tests/e2e/settings-matrix.test.ts shows each pair differing in
 * the backtest; tests/e2e/live-matrix.test.ts runs each through the live host against the backtest.
 */
export type Rules = Record<string, unknown>;
export const BASE: Rules = {
  entry: { direction: 'BOTH', conditions: [{ indicator: 'ema_5', condition: 'crosses_above', indicatorRef: 'ema_13' }] },
  exit: { stopLoss: { type: 'pips', value: 20 }, takeProfit: { type: 'pips', value: 40 } },
  riskManagement: { lotSize: 0.1, maxPositions: 1 },
};

/** BASE with `patch` merged in, a level deep per section (undefined removes a key). */
export function rules(patch: Record<string, Record<string, unknown>>): Rules {
  const out: Rules = structuredClone(BASE);
  for (const [section, fields] of Object.entries(patch)) {
    const merged = { ...((out[section] as Record<string, unknown>) ?? {}), ...fields };
    for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
    out[section] = merged;
  }
  return out;
}

const sess = (o: object) => ({ sessionFilter: { allowedSessions: ['London'], ...o } });
const spr = (o: object) => ({ spreadFilter: { maxSpread: 0.3, ...o } });
const vol = (o: object) => ({ volatilityFilter: { minAtr: 8, ...o } });
const noStop = { stopLoss: undefined, takeProfit: { type: 'pips', value: 40 } };

/** field → two strategies that differ in that field (and what it needs); their outcomes must differ. */
export const CASES: Record<string, [Record<string, Record<string, unknown>>, Record<string, Record<string, unknown>>]> = {
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
export const CORRELATION = ['filters.correlationFilter.enabled', 'filters.correlationFilter.threshold', 'filters.correlationFilter.window', 'filters.correlationFilter.action', 'filters.correlationFilter.sizeMultiplier'];

