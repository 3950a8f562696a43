/**
 * Safety: the pre-trade validator, the kill switch and the auto-pause rules. Pure functions and small state
 * machines over explicit inputs (the clock is passed in). Every refusal has a machine-readable code.
 */

export interface RiskLimits {
  /** Daily loss limit in account currency (from the broker day's starting balance). */
  maxDailyLossMoney?: number;
  maxDailyLossPercent?: number;
  /** Maximum drawdown from the equity peak, %. */
  maxDrawdownPercent?: number;
  maxLot?: number;
  maxPositionsAccount?: number;
  maxPositionsSymbol?: number;
  maxPositionsStrategy?: number;
  /** Maximum total lots on symbols correlated (|r| ≥ correlationThreshold) with the order's symbol, incl. the order. */
  maxCorrelatedLots?: number;
  correlationThreshold?: number;
}

/** Defaults by account type. Live figures from seed 003 (2 % daily loss, 6 % drawdown, 0.1 lot, 3 positions). */
export const DEFAULT_LIMITS: Readonly<Record<'live' | 'demo', RiskLimits>> = {
  live: { maxDailyLossPercent: 2, maxDrawdownPercent: 6, maxLot: 0.1, maxPositionsAccount: 3, maxPositionsSymbol: 2, maxPositionsStrategy: 1, maxCorrelatedLots: 0.2, correlationThreshold: 0.8 },
  demo: { maxDailyLossPercent: 5, maxDrawdownPercent: 20, maxLot: 1, maxPositionsAccount: 10, maxPositionsSymbol: 5, maxPositionsStrategy: 3, maxCorrelatedLots: 3, correlationThreshold: 0.8 },
};

/** ACCOUNT_TRADE_MODE 2 is a real account; anything else gets the demo limits. */
export function defaultLimits(tradeMode: number): RiskLimits {
  return { ...(tradeMode === 2 ? DEFAULT_LIMITS.live : DEFAULT_LIMITS.demo) };
}

export type SafetyCode =
  | 'KILL_SWITCH'
  | 'DAILY_LOSS'
  | 'DAILY_LOSS_PERCENT'
  | 'MAX_DRAWDOWN'
  | 'MAX_LOT'
  | 'MAX_POSITIONS_ACCOUNT'
  | 'MAX_POSITIONS_SYMBOL'
  | 'MAX_POSITIONS_STRATEGY'
  | 'CORRELATION_EXPOSURE'
  | 'FREE_MARGIN'
  | 'MARKET_CLOSED'
  | 'NEWS'
  | 'STRATEGY_DAILY_LOSS'
  | 'STRATEGY_PAUSED';

export interface SafetyFailure {
  code: SafetyCode;
  message: string;
}

/** An economic-calendar source: the event that blocks trading `symbol` at `serverTime`, if any. */
export type CalendarHook = (symbol: string, serverTime: number) => { title: string; impact: 'low' | 'medium' | 'high' } | undefined;

export interface PreTradeContext {
  now: number;
  account: { balance: number; equity: number; freeMargin: number };
  /** Balance at the start of the broker day (server midnight). */
  dayStartBalance: number;
  /** Highest equity seen. */
  equityPeak: number;
  positions: readonly { symbol: string; strategyId: string; volume: number }[];
  order: { symbol: string; strategyId: string; volume: number; marginRequired: number };
  /** Is the symbol's trade session open now (from the symbol spec)? */
  marketOpen: boolean;
  /** |correlation| of the order's symbol with each other symbol (closed-bar returns). */
  correlations?: Readonly<Record<string, number>>;
  calendar?: CalendarHook;
  killSwitchLocked?: boolean;
}

/**
 * Can the correlations change whether `order` passes the correlated-exposure limit? Not when every position's lots and
 * the order's, summed, stay within the limit: the lots the check counts are some of those positions (summed in the same
 * order — a sum of fewer nonnegative terms is never larger, rounding included) plus the order. Then the caller need not
 * work the correlations out (a few dozen pairs of returns per entry): `validatePreTrade` gives the same answer with
 * them or without. True (they may matter) for anything not plainly within: no limit set is false.
 */
export function correlationsMatter(positions: readonly { volume: number }[], orderVolume: number, l: RiskLimits): boolean {
  if (l.maxCorrelatedLots === undefined) return false;
  let all = 0;
  for (const p of positions) {
    if (!(p.volume >= 0)) return true;
    all += p.volume;
  }
  return !(orderVolume >= 0 && all + orderVolume <= l.maxCorrelatedLots + 1e-12);
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** Every check runs; all failures are returned (an empty list means the order may go). */
export function validatePreTrade(c: PreTradeContext, l: RiskLimits): SafetyFailure[] {
  const f: SafetyFailure[] = [];
  if (c.killSwitchLocked) f.push({ code: 'KILL_SWITCH', message: 'trading is locked by the kill switch' });
  const dayLoss = c.dayStartBalance - c.account.equity;
  if (l.maxDailyLossMoney !== undefined && dayLoss >= l.maxDailyLossMoney) {
    f.push({ code: 'DAILY_LOSS', message: `today's loss ${r2(dayLoss)} has reached the limit ${l.maxDailyLossMoney}` });
  }
  if (l.maxDailyLossPercent !== undefined && c.dayStartBalance > 0 && (dayLoss / c.dayStartBalance) * 100 >= l.maxDailyLossPercent) {
    f.push({ code: 'DAILY_LOSS_PERCENT', message: `today's loss ${r2((dayLoss / c.dayStartBalance) * 100)} % has reached the limit ${l.maxDailyLossPercent} %` });
  }
  if (l.maxDrawdownPercent !== undefined && c.equityPeak > 0) {
    const dd = ((c.equityPeak - c.account.equity) / c.equityPeak) * 100;
    if (dd >= l.maxDrawdownPercent) f.push({ code: 'MAX_DRAWDOWN', message: `drawdown ${r2(dd)} % from the equity peak ${r2(c.equityPeak)} has reached ${l.maxDrawdownPercent} %` });
  }
  if (l.maxLot !== undefined && c.order.volume > l.maxLot + 1e-12) f.push({ code: 'MAX_LOT', message: `volume ${c.order.volume} is above the limit ${l.maxLot} lots` });
  const n = c.positions.length;
  if (l.maxPositionsAccount !== undefined && n >= l.maxPositionsAccount) f.push({ code: 'MAX_POSITIONS_ACCOUNT', message: `${n} positions open, limit ${l.maxPositionsAccount}` });
  if (l.maxPositionsSymbol !== undefined) {
    let ns = 0;
    for (const p of c.positions) if (p.symbol === c.order.symbol) ns++;
    if (ns >= l.maxPositionsSymbol) f.push({ code: 'MAX_POSITIONS_SYMBOL', message: `${ns} positions on ${c.order.symbol}, limit ${l.maxPositionsSymbol}` });
  }
  if (l.maxPositionsStrategy !== undefined) {
    let nt = 0;
    for (const p of c.positions) if (p.strategyId === c.order.strategyId) nt++;
    if (nt >= l.maxPositionsStrategy) f.push({ code: 'MAX_POSITIONS_STRATEGY', message: `${nt} positions of strategy ${c.order.strategyId}, limit ${l.maxPositionsStrategy}` });
  }
  if (l.maxCorrelatedLots !== undefined && c.correlations) {
    const th = l.correlationThreshold ?? 0.8;
    const lots = c.positions.filter((p) => p.symbol === c.order.symbol || Math.abs(c.correlations![p.symbol] ?? 0) >= th).reduce((s, p) => s + p.volume, 0) + c.order.volume;
    if (lots > l.maxCorrelatedLots + 1e-12) f.push({ code: 'CORRELATION_EXPOSURE', message: `${r2(lots)} lots on ${c.order.symbol} and symbols correlated at |r| ≥ ${th}, limit ${l.maxCorrelatedLots}` });
  }
  if (c.order.marginRequired > c.account.freeMargin) f.push({ code: 'FREE_MARGIN', message: `margin ${r2(c.order.marginRequired)} needed, free margin ${r2(c.account.freeMargin)}` });
  if (!c.marketOpen) f.push({ code: 'MARKET_CLOSED', message: `${c.order.symbol} is outside its trading hours` });
  const ev = c.calendar?.(c.order.symbol, c.now);
  if (ev) f.push({ code: 'NEWS', message: `${ev.impact}-impact event: ${ev.title}` });
  return f;
}

/** The broker day (server-time date) of a server timestamp, s → days since 1970. */
export function brokerDay(serverSec: number): number {
  return Math.floor(serverSec / 86400);
}

export interface KillSwitchEvent {
  reason: string;
  at: number;
  lockedUntil: number;
  /** What the host must do now, in order. */
  actions: ['stop_all_strategies', 'close_all_positions_and_delete_orders', 'notify_platform'];
}

export interface AutoPauseRules {
  dailyLossPercent: number;
  consecutiveLosses: number;
  minProfitFactor: number;
  minWinRatePercent: number;
  maxDrawdownPercent: number;
  /** Profit factor and win rate are judged only after this many closed trades. */
  minTrades: number;
}

/** Seed 004's rules. */
export const DEFAULT_AUTO_PAUSE: AutoPauseRules = { dailyLossPercent: 5, consecutiveLosses: 5, minProfitFactor: 1, minWinRatePercent: 35, maxDrawdownPercent: 15, minTrades: 20 };

export interface StrategyStats {
  dailyLossPercent: number;
  /** Results of closed trades in order (account currency). */
  results: number[];
  drawdownPercent: number;
}

/** A strategy's closed-trade figures as the auto-pause rules read them (kept as sums by the risk gate). */
export interface RunningStats {
  /** Closed-trade results of the broker day, account currency. */
  dayRealized: number;
  trades: number;
  wins: number;
  grossProfit: number;
  /** ≥ 0 */
  grossLoss: number;
  lossStreak: number;
  cumulative: number;
  cumulativePeak: number;
}

/**
 * Seed 004's rules on a strategy's running figures: the day's loss and the drawdown of its closed-trade P&L in % of
 * the day-start balance, losses in a row, and — after `minTrades` — profit factor and win rate. Empty: keep running.
 */
export function autoPauseOf(st: RunningStats, dayStartBalance: number, r: AutoPauseRules = DEFAULT_AUTO_PAUSE): string[] {
  const out: string[] = [];
  const base = dayStartBalance > 0 ? dayStartBalance : 0;
  const dayLoss = base > 0 ? Math.max(0, (-st.dayRealized / base) * 100) : 0;
  if (dayLoss > r.dailyLossPercent) out.push(`daily loss ${dayLoss.toFixed(2)} % > ${r.dailyLossPercent} %`);
  if (st.lossStreak >= r.consecutiveLosses) out.push(`${st.lossStreak} losses in a row (limit ${r.consecutiveLosses})`);
  if (st.trades >= r.minTrades) {
    const pf = st.grossLoss === 0 ? Infinity : st.grossProfit / st.grossLoss;
    if (pf < r.minProfitFactor) out.push(`profit factor ${pf.toFixed(2)} < ${r.minProfitFactor}`);
    const wr = (st.wins / st.trades) * 100;
    if (wr < r.minWinRatePercent) out.push(`win rate ${wr.toFixed(1)} % < ${r.minWinRatePercent} %`);
  }
  const dd = base > 0 ? ((st.cumulativePeak - st.cumulative) / base) * 100 : 0;
  if (dd > r.maxDrawdownPercent) out.push(`drawdown ${dd.toFixed(2)} % > ${r.maxDrawdownPercent} %`);
  return out;
}

/** The same rules on a list of results (and the day's loss and drawdown given in %), for callers that keep a list. */
export function autoPauseReasons(s: StrategyStats, r: AutoPauseRules = DEFAULT_AUTO_PAUSE): string[] {
  let wins = 0, grossProfit = 0, grossLoss = 0, streak = 0;
  for (const x of s.results) {
    if (x > 0) {
      wins++;
      grossProfit += x;
      streak = 0;
    } else if (x < 0) {
      grossLoss -= x;
      streak++;
    }
  }
  // the day's loss and the drawdown are given in %: on a base of 100 they are their own money figures
  return autoPauseOf({ dayRealized: -s.dailyLossPercent, trades: s.results.length, wins, grossProfit, grossLoss, lossStreak: streak, cumulative: -s.drawdownPercent, cumulativePeak: 0 }, 100, r);
}
