/**
 * Backtest statistics from closed trades and the equity curve. Pure; numbers rounded at the end (money to
 * cents, ratios to 4 decimals) so the same inputs give byte-identical JSON. Definitions in docs/backtest.md.
 */

export interface Trade {
  /** Position id. */
  id: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  openTime: number;
  closeTime: number;
  volume: number;
  entryPrice: number;
  /** Volume-weighted price of the closing deals. */
  exitPrice: number;
  /** Net result in account currency: profit + swap + commission (entry and exits). */
  profit: number;
  commission: number;
  swap: number;
  /** sl, tp, so (stop-out), signal (closed by the strategy), end (still open at the end, closed at the last price). */
  exitReason: string;
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

export function computeMetrics(trades: Trade[], curve: EquityCurve, initialBalance: number): Metrics {
  // one pass over the trades, the sums in the trades' order (as the filter-and-reduce it replaces added them)
  let nWins = 0, nLosses = 0, grossProfit = 0, lossSum = 0, net = 0, hold = 0, streak = 0, longest = 0;
  for (const t of trades) {
    const p = t.profit;
    if (p > 0) {
      nWins++;
      grossProfit += p;
    } else if (p <= 0) {
      nLosses++;
      lossSum += p;
    }
    streak = p <= 0 ? streak + 1 : 0;
    if (streak > longest) longest = streak;
    net += p;
    hold += t.closeTime - t.openTime;
  }
  const grossLoss = -lossSum;
  const n = curve.length;
  const { maxDd, maxDdPct } = drawdownOf(curve, initialBalance);
  const daily = dailyReturns(curve, initialBalance);
  const mean = daily.length ? daily.reduce((s, x) => s + x, 0) / daily.length : 0;
  const sd = daily.length > 1 ? Math.sqrt(daily.reduce((s, x) => s + (x - mean) ** 2, 0) / (daily.length - 1)) : 0;
  const downside = daily.length > 1 ? Math.sqrt(daily.reduce((s, x) => s + Math.min(0, x) ** 2, 0) / (daily.length - 1)) : 0;
  const exposed = exposedBars(curve);
  return {
    trades: trades.length,
    wins: nWins,
    losses: nLosses,
    winRate: trades.length ? r4((nWins / trades.length) * 100) : 0,
    grossProfit: r2(grossProfit),
    grossLoss: r2(grossLoss),
    profitFactor: grossLoss > 0 ? r4(grossProfit / grossLoss) : grossProfit > 0 ? null : 0,
    expectancy: trades.length ? r2(net / trades.length) : 0,
    netProfit: r2(net),
    finalBalance: r2(n ? (curve.balanceAt ? curve.balanceAt(n - 1) : curve.balance[n - 1]!) : initialBalance),
    maxDrawdown: r2(maxDd),
    maxDrawdownPct: r4(maxDdPct * 100),
    sharpe: sd > 0 ? r4((mean / sd) * Math.sqrt(252)) : null,
    sortino: downside > 0 ? r4((mean / downside) * Math.sqrt(252)) : null,
    exposure: n ? r4((exposed / n) * 100) : 0,
    avgHoldingHours: trades.length ? r4(hold / trades.length / 3600) : 0,
    longestLosingStreak: longest,
  };
}

// Each pass over the curve is a function of its own: a function run once with several long loops is compiled on the
// stack (OSR) loop by loop, and deoptimised as each loop ends into code never run before — the loops then ran
// unoptimised for a while, a heap number per bar.

/** The largest fall of the equity from its peak (money, and as a share of the peak), at bar closes. */
function drawdownOf(curve: EquityCurve, initialBalance: number): { maxDd: number; maxDdPct: number } {
  const EQ = curve.equity, n = curve.length;
  let peak = initialBalance, maxDd = 0, maxDdPct = 0;
  for (let i = 0; i < n; i++) {
    const e = EQ[i]!;
    if (e > peak) peak = e;
    const dd = peak - e;
    if (dd > maxDd) maxDd = dd;
    if (peak > 0 && dd / peak > maxDdPct) maxDdPct = dd / peak;
  }
  return { maxDd, maxDdPct };
}

/**
 * Daily returns of the equity at the last bar of each server day (a bar closing at midnight belongs to the day it
 * ends); per bar only the day is compared, the equity read at a day's last bar.
 */
function dailyReturns(curve: EquityCurve, initialBalance: number): number[] {
  const EQ = curve.equity, n = curve.length;
  const { t: TIME, from, add } = closeTimesOf(curve);
  const daily: number[] = [];
  let prevEq = initialBalance, day = n ? Math.floor((TIME[from]! + add - 1) / 86400) : 0;
  for (let i = 0; i < n; i++) {
    const d = Math.floor((TIME[from + i]! + add - 1) / 86400);
    if (d !== day) {
      const lastEq = i > 0 ? EQ[i - 1]! : initialBalance;
      daily.push(lastEq / prevEq - 1);
      prevEq = lastEq;
      day = d;
    }
  }
  if (n) daily.push(EQ[n - 1]! / prevEq - 1);
  return daily;
}

/** Bars with a position open. */
function exposedBars(curve: EquityCurve): number {
  let exposed = 0;
  for (let i = 0; i < curve.length; i++) exposed += curve.exposed[i]!;
  return exposed;
}
