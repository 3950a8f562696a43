/**
 * The statistics of MT5's Strategy Tester report, from a backtest's trades, equity curve and refusals. Pure;
 * money rounded to cents, ratios to 4 decimals (the same inputs give the same JSON). Definitions in
 * docs/backtest.md.
 */
import { retcodeText } from '../protocol/retcodes.js';
import { closeTimesOf, tradeTableOf, type EquityCurve, type Metrics, type Trade } from './metrics.js';
import type { TradeTable } from './trade-table.js';

export interface SideStats {
  trades: number;
  wins: number;
  /** % of the side's trades. */
  winRate: number;
  netProfit: number;
}

export interface PeriodReturn {
  /** "2019-03" or "2019". */
  period: string;
  /** Equity change over the period, % of the equity at its start. */
  returnPct: number;
  profit: number;
}

export interface ReasonCount {
  reason: string;
  count: number;
}

export interface ReportStats {
  grossProfit: number;
  grossLoss: number;
  largestWin: number;
  largestLoss: number;
  averageWin: number;
  averageLoss: number;
  long: SideStats;
  short: SideStats;
  maxConsecutiveWins: number;
  maxConsecutiveWinsProfit: number;
  maxConsecutiveLosses: number;
  maxConsecutiveLossesLoss: number;
  /** Net profit / maximum drawdown (money); null without a drawdown. */
  recoveryFactor: number | null;
  /** Compound annual growth of the equity, %. */
  cagr: number;
  /** CAGR / maximum drawdown %; null without a drawdown. */
  calmar: number | null;
  /** % of bars with a position open. */
  exposure: number;
  years: number;
  exitReasons: Record<string, number>;
  monthly: PeriodReturn[];
  yearly: PeriodReturn[];
  /** Orders the broker rejected, by retcode and its meaning. */
  rejectedByReason: ReasonCount[];
  /** Signals the strategy refused to turn into orders, by reason (numbers in the reason replaced by #). */
  refusedByReason: ReasonCount[];
  /** Orders the pre-trade limits blocked, by code. */
  blockedByReason: ReasonCount[];
}

export interface ReportStatsInput {
  /** In close order. */
  trades: readonly Trade[] | TradeTable;
  equity: EquityCurve;
  initialBalance: number;
  metrics: Metrics;
  rejected: { time: number; retcode: number; comment: string }[];
  refusals: { time: number; reason: string }[];
  blocked: Partial<Record<string, number>>;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * A refusal's reason as a kind, so that refusals of one kind count together: what was measured (a time, a spread,
 * a score) left out, the strategy's own settings (the sessions allowed, a maximum) kept — "filtered: session outside
 * London+NewYork", "maxPositions 1 reached". A reason of no known form keeps its words, its numbers shown as "…".
 */
export function refusalKind(reason: string): string {
  if (reason.startsWith('filtered: ')) {
    const parts: string[] = [];
    const session = /session \([^()]*allowed ([^()]*)\)/.exec(reason);
    if (session) parts.push(`session outside ${session[1]}`);
    const spread = /spread \(spread [\d.]+ pips, max ([\d.]+)\)/.exec(reason);
    if (spread) parts.push(`spread above ${spread[1]} pips`);
    if (/volatility \(ATR not available/.test(reason)) parts.push('volatility: ATR not available yet (warm-up)');
    else if (/volatility \(/.test(reason)) parts.push('volatility: ATR outside its range');
    if (/correlation \(/.test(reason)) parts.push('correlation: a correlated position is open');
    if (parts.length) return `filtered: ${parts.join('; ')}`;
  }
  const known: [RegExp, string][] = [
    [/^stop loss \S+ is on the wrong side of the entry/, 'stop loss on the wrong side of the entry'],
    [/^take profit \S+ is not beyond the entry/, 'take profit not beyond the entry'],
    [/^ml gate: score \S+ < (\S+)( \(observe[^)]*\))?/, 'ml gate: score below $1$2'],
  ];
  for (const [re, kind] of known) if (re.test(reason)) return reason.replace(new RegExp(`${re.source}.*$`, 's'), kind);
  if (/^maxPositions \d+ reached$|^SL\/TP closer than the stops level \(\d+ points\)$/.test(reason)) return reason;
  return reason.replace(/-?\d+(\.\d+)?(e-?\d+)?/g, '…');
}

/** "10019 no money" style: the retcode and its meaning. */
export function rejectionKind(retcode: number): string {
  return retcodeText(retcode);
}

function counted(keys: Iterable<string>): ReasonCount[] {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
}

/** One side's figures from its count, winners and the sum of its results (added in the trades' order). */
function side(trades: number, wins: number, sum: number): SideStats {
  return { trades, wins, winRate: trades ? r4((wins / trades) * 100) : 0, netProfit: r2(sum) };
}

/**
 * Returns per calendar month or year (server time) of the equity at bar closes. The period's key is worked out once
 * per period (its end kept as a time): per bar, one comparison (a Date per bar was 1.5 s of a 1 M-bar run).
 */
function periodReturns(c: EquityCurve, initial: number, unit: 'month' | 'year'): PeriodReturn[] {
  const out: PeriodReturn[] = [];
  const EQ = c.equity, n = c.length;
  const { t: TIME, from, add } = closeTimesOf(c);
  let cur = '', start = initial;
  // from a bar at or past the end of the period last worked out to the next such bar (skipBefore): the loop over the
  // bars is a small function of its own, optimised as a whole (a long loop in a function run once ran unoptimised
  // until compiled on the stack, a heap number per bar)
  for (let i = 0; i < n; ) {
    // a bar closing at midnight belongs to the period it ends
    const t = TIME[from + i]! + add - 1;
    const d = new Date(t * 1000);
    const y = d.getUTCFullYear(), m = d.getUTCMonth();
    const k = unit === 'year' ? String(y) : `${y}-${String(m + 1).padStart(2, '0')}`;
    const end = (unit === 'year' ? Date.UTC(y + 1, 0, 1) : Date.UTC(y, m + 1, 1)) / 1000;
    if (k !== cur) {
      // the equity at the bar before (the period's last), read here rather than kept bar by bar
      const last = i > 0 ? EQ[i - 1]! : initial;
      if (cur) out.push({ period: cur, returnPct: start > 0 ? r4(((last - start) / start) * 100) : 0, profit: r2(last - start) });
      cur = k;
      start = last;
    }
    i = skipBefore(TIME, from, add, i + 1, n, end);
  }
  const last = n ? EQ[n - 1]! : initial;
  if (cur) out.push({ period: cur, returnPct: start > 0 ? r4(((last - start) / start) * 100) : 0, profit: r2(last - start) });
  return out;
}

/** The first index from `i` (below `n`) of a bar whose close (`time[from + i] + add`) − 1 s is at or past `end`, or `n`. */
function skipBefore(time: Float64Array, from: number, add: number, i: number, n: number, end: number): number {
  while (i < n && !(time[from + i]! + add - 1 >= end)) i++;
  return i;
}

export function reportStats(i: ReportStatsInput): ReportStats {
  const m = i.metrics;
  // the trades' sums, made as they were added to the table (trade-figures.ts)
  const tt = tradeTableOf(i.trades), f = tt.figures;
  const exitReasons: Record<string, number> = {};
  for (const r of f.reasonOrder) exitReasons[tt.reasons[r]!] = f.byReason[r]!;
  const c = i.equity;
  const ct = closeTimesOf(c), timeAt = (k: number) => ct.t[ct.from + k]! + ct.add;
  const span = c.length ? timeAt(c.length - 1) - (timeAt(0) - (c.length > 1 ? timeAt(1) - timeAt(0) : 0)) : 0;
  const years = span / (365.25 * 86400);
  const final = c.length ? c.equity[c.length - 1]! : i.initialBalance;
  const cagr = years > 0 && i.initialBalance > 0 && final > 0 ? ((final / i.initialBalance) ** (1 / years) - 1) * 100 : 0;
  return {
    grossProfit: m.grossProfit,
    grossLoss: m.grossLoss,
    largestWin: r2(f.maxWin),
    largestLoss: r2(f.minLoss),
    averageWin: f.wins ? r2(f.grossProfit / f.wins) : 0,
    averageLoss: f.losses ? r2(f.lossSum / f.losses) : 0,
    long: side(f.longs, f.longWins, f.longSum),
    short: side(f.shorts, f.shortWins, f.shortSum),
    maxConsecutiveWins: f.maxWinRun,
    maxConsecutiveWinsProfit: r2(f.maxWinRunProfit),
    maxConsecutiveLosses: f.maxLossRun,
    maxConsecutiveLossesLoss: r2(f.maxLossRunLoss),
    recoveryFactor: m.maxDrawdown > 0 ? r4(m.netProfit / m.maxDrawdown) : null,
    cagr: r4(cagr),
    calmar: m.maxDrawdownPct > 0 ? r4(cagr / m.maxDrawdownPct) : null,
    exposure: m.exposure,
    years: r4(years),
    exitReasons,
    monthly: periodReturns(c, i.initialBalance, 'month'),
    yearly: periodReturns(c, i.initialBalance, 'year'),
    rejectedByReason: counted(i.rejected.map((r) => rejectionKind(r.retcode))),
    refusedByReason: counted(i.refusals.map((r) => refusalKind(r.reason))),
    blockedByReason: Object.entries(i.blocked).map(([reason, count]) => ({ reason, count: count ?? 0 })).sort((a, b) => b.count - a.count),
  };
}
