/**
 * Backtest statistics from closed trades and the equity curve. Pure; numbers rounded at the end (money to
 * cents, ratios to 4 decimals) so the same inputs give byte-identical JSON. Definitions in docs/backtest.md.
 */

import { TradeTable, type Trade } from './trade-table.js';

export type { Trade } from './trade-table.js';

/** The trades as the figures read them: a backtest's table as it is, trade objects read into one. */
export function tradeTableOf(trades: readonly Trade[] | TradeTable): TradeTable {
  return trades instanceof TradeTable ? trades : TradeTable.of(trades);
}

/**
 * Equity at every bar close, as columns (a million bars are four typed arrays, not a million objects). A curve may
 * build `time` and `balance` when they are first read (a backtest's: sim/equity-curve.ts — each is 8 MB of fresh
 * memory a million bars, and the figures need neither whole); the figures here read them through `closeTimesOf` and
 * `balanceAt`, which build nothing.
 */
export interface EquityCurve {
  /** bar close time, server time, s */
  time: Float64Array;
  equity: Float64Array;
  balance: Float64Array;
  /** 1 when a position was open during the bar */
  exposed: Uint8Array;
  length: number;
  /** The close times without building `time`: time[i] is `t[from + i] + add`. */
  closeTimes?(): CloseTimes;
  /** balance[i] without building `balance`. */
  balanceAt?(i: number): number;
}

/** A curve's close times as another column read from `from` on, plus `add` seconds (see EquityCurve.closeTimes). */
export interface CloseTimes {
  t: Float64Array;
  from: number;
  add: number;
}

/** The close times of a curve (`t[from + i] + add`: for a curve with a `time` column, that column plus 0 — the same numbers). */
export function closeTimesOf(c: EquityCurve): CloseTimes {
  return c.closeTimes ? c.closeTimes() : { t: c.time, from: 0, add: 0 };
}

export function newEquityCurve(capacity: number): EquityCurve {
  return { time: new Float64Array(capacity), equity: new Float64Array(capacity), balance: new Float64Array(capacity), exposed: new Uint8Array(capacity), length: 0 };
}

export interface Metrics {
  trades: number;
  wins: number;
  losses: number;
  winRate: number;
  grossProfit: number;
  grossLoss: number;
  profitFactor: number | null;
  expectancy: number;
  netProfit: number;
  finalBalance: number;
  maxDrawdown: number;
  maxDrawdownPct: number;
  sharpe: number | null;
  sortino: number | null;
  exposure: number;
  avgHoldingHours: number;
  longestLosingStreak: number;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** The run's figures from its closed trades (in close order) and its equity curve. */
export function computeMetrics(trades: readonly Trade[] | TradeTable, curve: EquityCurve, initialBalance: number): Metrics {
  // the trades' sums, made as they were added to the table (trade-figures.ts)
  const f = tradeTableOf(trades).figures, count = f.count, nWins = f.wins, grossProfit = f.grossProfit, net = f.net;
  const grossLoss = -f.lossSum;
  const n = curve.length;
  const { maxDd, maxDdPct, exposed, daily } = curveFigures(curve, initialBalance);
  const { mean, sd, downside } = dailyFigures(daily);
  return {
    trades: count,
    wins: nWins,
    losses: f.losses,
    winRate: count ? r4((nWins / count) * 100) : 0,
    grossProfit: r2(grossProfit),
    grossLoss: r2(grossLoss),
    profitFactor: grossLoss > 0 ? r4(grossProfit / grossLoss) : grossProfit > 0 ? null : 0,
    expectancy: count ? r2(net / count) : 0,
    netProfit: r2(net),
    finalBalance: r2(n ? (curve.balanceAt ? curve.balanceAt(n - 1) : curve.balance[n - 1]!) : initialBalance),
    maxDrawdown: r2(maxDd),
    maxDrawdownPct: r4(maxDdPct * 100),
    sharpe: sd > 0 ? r4((mean / sd) * Math.sqrt(252)) : null,
    sortino: downside > 0 ? r4((mean / downside) * Math.sqrt(252)) : null,
    exposure: n ? r4((exposed / n) * 100) : 0,
    avgHoldingHours: count ? r4(f.hold / count / 3600) : 0,
    longestLosingStreak: f.longestLosing,
  };
}

/**
 * The mean of the daily returns, their standard deviation and their downside deviation (of the returns below 0):
 * each sum over the days in their order, as the reduce each replaced added them.
 */
function dailyFigures(daily: number[]): { mean: number; sd: number; downside: number } {
  const days = daily.length;
  let sum = 0;
  for (let k = 0; k < days; k++) sum += daily[k]!;
  const mean = days ? sum / days : 0;
  if (days < 2) return { mean, sd: 0, downside: 0 };
  let sq = 0, down = 0;
  for (let k = 0; k < days; k++) {
    const x = daily[k]!;
    sq += (x - mean) ** 2;
    down += Math.min(0, x) ** 2;
  }
  return { mean, sd: Math.sqrt(sq / (days - 1)), downside: Math.sqrt(down / (days - 1)) };
}

/** What the figures read of the equity curve: its drawdown, the bars with a position open, the daily returns. */
interface CurveFigures {
  /** The largest fall of the equity from its peak, money and as a share of the peak, at bar closes. */
  maxDd: number;
  maxDdPct: number;
  /** Bars with a position open. */
  exposed: number;
  /**
   * The equity's return of each server day, at the last bar of the day (a bar closing at midnight belongs to the day
   * it ends).
   */
  daily: number[];
}

/**
 * One pass over the curve for all its figures (three passes were three loops to compile on the stack — OSR — each
 * first run unoptimised for a while, a heap number per bar). A function of its own, so that the loop is all it
 * compiles. Per bar the day is compared, not worked out: a close time (less 1 s) inside the day's bounds drawn in by
 * 1e-5 day (0.864 s) at each end is of that day whatever the rounding (its floor(t / 86400) is the day's number); a
 * time outside them is worked out as before. (The bounds are fractions of a day times 86,400: a product of two
 * integers, compiled as one, is thrown away when it passes 2^31 — the bench's times do in 2038.)
 */
function curveFigures(curve: EquityCurve, initialBalance: number): CurveFigures {
  const EQ = curve.equity, X = curve.exposed, n = curve.length;
  const { t: TIME, from, add } = closeTimesOf(curve);
  const daily: number[] = [];
  let peak = initialBalance, maxDd = 0, maxDdPct = 0, exposed = 0;
  let prevEq = initialBalance, day = n ? Math.floor((TIME[from]! + add - 1) / 86400) : 0;
  let dayStart = (day + 1e-5) * 86400, dayEnd = (day + 0.99999) * 86400;
  for (let i = 0; i < n; i++) {
    const e = EQ[i]!;
    if (e > peak) peak = e;
    const dd = peak - e;
    if (dd > maxDd) maxDd = dd;
    if (peak > 0 && dd / peak > maxDdPct) maxDdPct = dd / peak;
    exposed += X[i]!;
    const t = TIME[from + i]! + add - 1;
    if (t >= dayStart && t < dayEnd) continue;
    const d = Math.floor(t / 86400);
    if (d !== day) {
      const lastEq = i > 0 ? EQ[i - 1]! : initialBalance;
      daily.push(lastEq / prevEq - 1);
      prevEq = lastEq;
      day = d;
    }
    dayStart = (d + 1e-5) * 86400;
    dayEnd = (d + 0.99999) * 86400;
  }
  if (n) daily.push(EQ[n - 1]! / prevEq - 1);
  return { maxDd, maxDdPct, exposed, daily };
}
