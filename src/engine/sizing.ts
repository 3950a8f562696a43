/**
 * Position sizing. Money per lot comes from the tick value and tick size, with the conversion into the
 * account currency explicit (`tickValueInAccount`). Volumes are rounded DOWN to the volume step and clamped to
 * the maximum; when even the minimum volume would risk more than the budget, the trade is refused with that
 * reason — never rounded up.
 */
import { floorVolume, roundTo } from './money.js';

export interface SizingSymbol {
  volumeMin: number;
  volumeMax: number;
  volumeStep: number;
  tickSize: number;
  /** Value of one tick for one lot, in the ACCOUNT currency (see tickValueInAccount). */
  tickValue: number;
}

/**
 * Tick value in the account currency: tickSize × contractSize is the value in the symbol's profit currency;
 * `profitToAccount` is the rate that converts one unit of the profit currency into the account currency
 * (1 when they are the same; 1/USDJPY for a JPY-quoted pair on a USD account; 1/EURUSD for a USD-quoted pair
 * on a EUR account).
 */
export function tickValueInAccount(tickSize: number, contractSize: number, profitToAccount: number): number {
  return tickSize * contractSize * profitToAccount;
}

/** Money (account currency) gained or lost by one lot over a price distance. */
export function moneyPerLot(sym: SizingSymbol, priceDistance: number): number {
  return (Math.abs(priceDistance) / sym.tickSize) * sym.tickValue;
}

export type SizeResult =
  | { ok: true; volume: number; riskMoney: number; detail: string }
  | { ok: false; code: 'NO_STOP' | 'BELOW_MIN_VOLUME' | 'BAD_INPUT'; reason: string };

function finish(sym: SizingSymbol, raw: number, multiplier: number, riskPerLot: number | undefined, budget: number | undefined, how: string): SizeResult {
  const wanted = raw * multiplier;
  let volume = floorVolume(wanted, sym.volumeStep);
  if (volume > sym.volumeMax) volume = floorVolume(sym.volumeMax, sym.volumeStep);
  if (volume < sym.volumeMin - 1e-12) {
    const minRisk = riskPerLot !== undefined ? roundTo(riskPerLot * sym.volumeMin, 2) : undefined;
    return {
      ok: false,
      code: 'BELOW_MIN_VOLUME',
      reason:
        minRisk !== undefined && budget !== undefined
          ? `the minimum volume ${sym.volumeMin} would risk ${minRisk} > the budget ${roundTo(budget, 2)} (${how}); not rounded up`
          : `${how} gives ${roundTo(wanted, 6)} lots, below the minimum ${sym.volumeMin}; not rounded up`,
    };
  }
  const riskMoney = riskPerLot !== undefined ? roundTo(riskPerLot * volume, 2) : NaN;
  return { ok: true, volume, riskMoney, detail: `${how}: ${roundTo(wanted, 6)} → ${volume} lots` };
}

/** A fixed volume (× the filters' multiplier), rounded down. */
export function fixedLot(sym: SizingSymbol, lots: number, multiplier = 1): SizeResult {
  // the answer is a function of these five numbers alone, and a strategy sizes its entries from a few of them (its lot
  // size × 1, or × a filter's reducing multiplier when the filter fails): the last few answers are given again, each
  // as a new object (its detail text, made of four numbers, was most of an entry's sizing; one remembered answer was
  // made again at every change of multiplier)
  for (let i = 0; i < recentFixed.length; i++) {
    const k = recentFixed[i]!;
    if (Object.is(k.lots, lots) && Object.is(k.multiplier, multiplier) && Object.is(k.step, sym.volumeStep) && Object.is(k.min, sym.volumeMin) && Object.is(k.max, sym.volumeMax)) {
      return { ...k.result };
    }
  }
  const result = fixedLotOf(sym, lots, multiplier);
  if (recentFixed.length === RECENT_FIXED) recentFixed.pop();
  recentFixed.unshift({ lots, multiplier, step: sym.volumeStep, min: sym.volumeMin, max: sym.volumeMax, result: { ...result } });
  return result;
}

/** fixedLot's remembered answers, newest first (their own copies: a caller may change what it was given). */
const RECENT_FIXED = 4;
const recentFixed: { lots: number; multiplier: number; step: number; min: number; max: number; result: SizeResult }[] = [];

/** fixedLot computed (no memory of the last answer). */
export function fixedLotOf(sym: SizingSymbol, lots: number, multiplier = 1): SizeResult {
  if (!(lots > 0)) return { ok: false, code: 'BAD_INPUT', reason: `lot size must be positive, got ${lots}` };
  return finish(sym, lots, multiplier, undefined, undefined, `fixed ${lots} lots × ${multiplier}`);
}

/** Risk `riskPercent` % of equity over the stop distance (price units). */
export function riskPercentSize(sym: SizingSymbol, equity: number, riskPercent: number, stopDistance: number, multiplier = 1): SizeResult {
  if (!(stopDistance > 0)) return { ok: false, code: 'NO_STOP', reason: 'risk-based sizing needs a stop distance > 0' };
  if (!(riskPercent > 0) || !(equity > 0)) return { ok: false, code: 'BAD_INPUT', reason: `equity ${equity} and risk ${riskPercent} % must be positive` };
  const budget = (equity * riskPercent) / 100;
  const perLot = moneyPerLot(sym, stopDistance);
  return finish(sym, budget / perLot, multiplier, perLot, budget * multiplier, `${riskPercent} % of ${roundTo(equity, 2)} over ${stopDistance} = ${roundTo(budget, 2)}, ${roundTo(perLot, 2)} per lot`);
}

/** ATR-based: the stop is `atrMultiplier` × ATR away; risk `riskPercent` % over it. */
export function atrSize(sym: SizingSymbol, equity: number, riskPercent: number, atr: number, atrMultiplier: number, multiplier = 1): SizeResult {
  if (!(atr > 0)) return { ok: false, code: 'NO_STOP', reason: 'ATR not available yet (warm-up)' };
  return riskPercentSize(sym, equity, riskPercent, atr * atrMultiplier, multiplier);
}

/**
 * Fractional Kelly: f* = W − (1 − W) / R for win rate W and payoff ratio R; risk fraction × f* of equity,
 * capped at `capPercent` %. No edge (f* ≤ 0) refuses the trade.
 */
export function kellySize(sym: SizingSymbol, equity: number, winRate: number, payoff: number, fraction: number, capPercent: number, stopDistance: number, multiplier = 1): SizeResult {
  const f = winRate - (1 - winRate) / payoff;
  if (!(f > 0)) return { ok: false, code: 'BAD_INPUT', reason: `no edge: Kelly fraction ${roundTo(f, 4)} ≤ 0 (win rate ${winRate}, payoff ${payoff})` };
  const pct = Math.min(capPercent, f * fraction * 100);
  return riskPercentSize(sym, equity, pct, stopDistance, multiplier);
}

/** Volatility-scaled: base lots × target ATR / current ATR, at most `maxScale` × base. */
export function volatilityScaledSize(sym: SizingSymbol, baseLots: number, targetAtr: number, currentAtr: number, maxScale = 2, multiplier = 1): SizeResult {
  if (!(currentAtr > 0)) return { ok: false, code: 'NO_STOP', reason: 'ATR not available yet (warm-up)' };
  const scale = Math.min(maxScale, targetAtr / currentAtr);
  return finish(sym, baseLots * scale, multiplier, undefined, undefined, `${baseLots} lots × ATR ${targetAtr}/${roundTo(currentAtr, 6)}`);
}
