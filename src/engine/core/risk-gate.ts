/**
 * The risk gate of the trading core: every limit a trader can set, judged on one serialisable state.
 *
 *  - account limits (RiskLimits: daily loss in money and %, drawdown from the equity peak, positions per
 *    account / symbol / strategy, lot cap, correlated exposure), free margin, trading hours, the economic-
 *    calendar hook, the kill switch and its lock — the pre-trade check of safety.ts on the gate's baselines;
 *  - the strategy's own limits from its format (riskManagement.maxDailyLoss / maxDailyLossPercent: its closed
 *    trades of the broker day plus its floating P&L);
 *  - the auto-pause rules (seed 004) on each strategy's closed trades;
 *  - what a breach does, as configuration: block new entries, pause the strategies, close their positions, or
 *    trigger the emergency stop.
 *
 * Pure: no clock (times are passed in, broker server time in seconds), no I/O. The baselines (the broker day and
 * its starting balance, the equity peak), the streaks, pause reasons and the kill-switch lock live in `RiskState`,
 * which the host persists with its ledger so that a restart on the same broker day is still blocked.
 */
import { autoPauseOf, brokerDay, validatePreTrade, type PreTradeContext, type RunningStats, type AutoPauseRules, type CalendarHook, type RiskLimits, type SafetyFailure } from '../safety.js';

/** What happens when a limit is breached. `block` refuses new entries only; the others act at once. */
export const BREACH_ACTIONS = ['block', 'pause', 'close', 'emergency_stop'] as const;
export type BreachAction = (typeof BREACH_ACTIONS)[number];

export interface RiskPolicy {
  /** Account-wide limits (none: undefined fields). */
  limits: RiskLimits;
  /** On the account's daily loss limit (money or %): default block. */
  onDailyLoss: BreachAction;
  /** On the account's drawdown limit: default block. */
  onDrawdown: BreachAction;
  /** On a strategy's own daily loss (riskManagement.maxDailyLoss…): block (default) or pause that strategy. */
  onStrategyDailyLoss: 'block' | 'pause';
  /** Auto-pause rules judged on each strategy's closed trades; null = off. */
  autoPause: AutoPauseRules | null;
  /** Lock after an emergency stop triggered by a breach, s. */
  killSwitchLockSec: number;
  /** The economic-calendar hook: an event that blocks entries on a symbol now. */
  calendar?: CalendarHook;
}

/** No account limits, no auto-pause: only the strategies' own limits. */
export const NO_POLICY: RiskPolicy = Object.freeze({ limits: {}, onDailyLoss: 'block', onDrawdown: 'block', onStrategyDailyLoss: 'block', autoPause: null, killSwitchLockSec: 3600 }) as RiskPolicy;

/** A strategy's figures: the running sums the auto-pause rules read (safety.RunningStats, since the start or the last
 * resume; its day's result), and what the gate adds. */
export interface StrategyRiskState extends RunningStats {
  /** Broker day of `dayRealized`. */
  day: number;
  /** Every closed trade since the strategy first ran (Kelly sizing reads it; a resume does not clear it). */
  life?: { trades: number; wins: number; grossProfit: number; grossLoss: number };
  /** Set when the gate paused the strategy; cleared by resume(). */
  paused?: { reason: string; at: number };
}

export interface RiskState {
  v: 1;
  /** Broker day of the baseline (-1: none yet). */
  day: number;
  dayStartBalance: number;
  equityPeak: number;
  killSwitch: { lockedUntil: number; reason: string };
  /** Account breaches already acted on: `daily:<day>` or `drawdown:<peak>` → time (one action per breach). */
  acted: Record<string, number>;
  strategies: Record<string, StrategyRiskState>;
}

export function newRiskState(): RiskState {
  return { v: 1, day: -1, dayStartBalance: 0, equityPeak: 0, killSwitch: { lockedUntil: 0, reason: '' }, acted: {}, strategies: {} };
}

/** A breach the gate acts on: what to do, to whom (undefined strategyId: every strategy), and why. */
export interface BreachDecision {
  action: Exclude<BreachAction, 'block'>;
  strategyId?: string;
  reason: string;
}

export interface StrategyLimits {
  maxDailyLoss?: number;
  maxDailyLossPercent?: number;
}

export interface OrderCheck {
  now: number;
  account: { balance: number; equity: number; freeMargin: number };
  positions: readonly { symbol: string; strategyId: string; volume: number }[];
  order: { symbol: string; strategyId: string; volume: number; marginRequired: number };
  marketOpen: boolean;
  correlations?: Readonly<Record<string, number>>;
  /** The strategy's own limits and its floating P&L now. */
  strategy?: StrategyLimits & { floating: number };
}

export class RiskGate {
  state: RiskState;

  constructor(public policy: RiskPolicy = NO_POLICY, state?: RiskState) {
    this.state = state ?? newRiskState();
  }

  // ------------------------------------------------------------------ facts in

  /**
   * Money in or out that no trade made (a deposit, a withdrawal, a credit, a charge, a correction, a bonus: the
   * broker's balance deals): the day's starting balance and the equity peak move with it, so a withdrawal is not a
   * loss and a deposit does not hide one.
   */
  observeBalanceOperation(now: number, amount: number): void {
    const s = this.state;
    if (s.day === brokerDay(now)) s.dayStartBalance = r2(s.dayStartBalance + amount);
    if (s.equityPeak > 0) s.equityPeak = Math.max(0, r2(s.equityPeak + amount));
  }

  /**
   * The account now (every bar in a backtest, every ACCOUNT message live). Rolls the broker day (its starting
   * balance is the balance at the first sight of the day), raises the equity peak, and returns the breaches to
   * act on (each once: a daily-loss breach once a day, a drawdown breach once per peak).
   */
  observeAccount(now: number, balance: number, equity: number): BreachDecision[] | null {
    const a = this.accountScratch;
    a[0] = now;
    a[1] = balance;
    a[2] = equity;
    return this.observeAccountAt(a, 0);
  }

  /** observeAccount's three numbers, for its one body below. */
  private readonly accountScratch = new Float64Array(3);

  /**
   * `observeAccount(a[i], a[i + 1], a[i + 2])`: now, balance and equity read from a Float64Array — the one body of
   * both (a backtest calls this every bar, and three numbers passed to a call V8 does not inline are three heap
   * numbers a bar, ~48 MB of garbage a million bars).
   */
  observeAccountAt(a: Float64Array, i: number): BreachDecision[] | null {
    const s = this.state;
    const d = brokerDay(a[i]!);
    if (d !== s.day) {
      s.day = d;
      s.dayStartBalance = a[i + 1]!;
    }
    if (a[i + 2]! > s.equityPeak) s.equityPeak = a[i + 2]!;
    const p = this.policy;
    if (p.onDailyLoss === 'block' && p.onDrawdown === 'block') return null;
    return this.breaches(a[i]!, a[i + 2]!);
  }

  /** The account breaches to act on at `now` with `equity` (the day and the peak already rolled). */
  private breaches(now: number, equity: number): BreachDecision[] | null {
    const s = this.state;
    const p = this.policy;
    let out: BreachDecision[] | null = null;
    const l = p.limits;
    if (p.onDailyLoss !== 'block' && (l.maxDailyLossMoney !== undefined || l.maxDailyLossPercent !== undefined)) {
      const loss = s.dayStartBalance - equity;
      const pct = s.dayStartBalance > 0 ? (loss / s.dayStartBalance) * 100 : 0;
      const hit = (l.maxDailyLossMoney !== undefined && loss >= l.maxDailyLossMoney) || (l.maxDailyLossPercent !== undefined && pct >= l.maxDailyLossPercent);
      const key = `daily:${s.day}`;
      if (hit && s.acted[key] === undefined) {
        s.acted[key] = now;
        (out ??= []).push({ action: p.onDailyLoss, reason: `daily loss ${r2(loss)} (${r2(pct)} %) reached the limit ${describeDaily(l)}` });
      }
    }
    if (p.onDrawdown !== 'block' && l.maxDrawdownPercent !== undefined && s.equityPeak > 0) {
      const dd = ((s.equityPeak - equity) / s.equityPeak) * 100;
      const key = `drawdown:${s.equityPeak}`;
      if (dd >= l.maxDrawdownPercent && s.acted[key] === undefined) {
        s.acted[key] = now;
        (out ??= []).push({ action: p.onDrawdown, reason: `drawdown ${r2(dd)} % from the equity peak ${r2(s.equityPeak)} reached the limit ${l.maxDrawdownPercent} %` });
      }
    }
    if (out) for (const b of out) if (b.action === 'emergency_stop') this.lock(now, b.reason, p.killSwitchLockSec);
    if (out) this.pruneActed(now);
    return out;
  }

  /**
   * A closed trade (or the closed part of a position) of a strategy: its result in account currency (profit +
   * swap + commission). Returns the auto-pause decision when a rule now holds.
   */
  observeClosedTrade(strategyId: string, now: number, result: number, limits?: StrategyLimits): BreachDecision | null {
    const st = this.strategy(strategyId, now);
    st.dayRealized = r2(st.dayRealized + result);
    const life = (st.life ??= { trades: 0, wins: 0, grossProfit: 0, grossLoss: 0 });
    life.trades++;
    if (result > 0) {
      life.wins++;
      life.grossProfit = r2(life.grossProfit + result);
    } else if (result < 0) life.grossLoss = r2(life.grossLoss - result);
    st.trades++;
    if (result > 0) {
      st.wins++;
      st.grossProfit = r2(st.grossProfit + result);
      st.lossStreak = 0;
    } else if (result < 0) {
      st.grossLoss = r2(st.grossLoss - result);
      st.lossStreak++;
    }
    st.cumulative = r2(st.cumulative + result);
    if (st.cumulative > st.cumulativePeak) st.cumulativePeak = st.cumulative;
    if (st.paused) return null;
    const p = this.policy;
    if (p.onStrategyDailyLoss === 'pause' && limits) {
      const why = this.strategyDailyLossReason(strategyId, now, limits, 0);
      if (why) return this.pause(strategyId, now, why);
    }
    if (!p.autoPause) return null;
    const reasons = autoPauseOf(st, this.state.dayStartBalance, p.autoPause);
    return reasons.length ? this.pause(strategyId, now, `auto-pause: ${reasons.join('; ')}`) : null;
  }

  /** Money a strategy paid that closed nothing (an entry's commission): its day's result and its cumulative one. */
  observeCost(strategyId: string, now: number, amount: number): void {
    const st = this.strategy(strategyId, now);
    st.dayRealized = r2(st.dayRealized + amount);
    st.cumulative = r2(st.cumulative + amount);
  }

  // ------------------------------------------------------------------ decisions

  /** Every reason a new order may not go now (empty: it may). */
  check(c: OrderCheck): SafetyFailure[] {
    const s = this.state;
    // the baseline of the broker day of `now`; a day not yet seen starts from the balance now
    const ctx: PreTradeContext = {
      now: c.now, account: c.account, dayStartBalance: s.day === brokerDay(c.now) ? s.dayStartBalance : c.account.balance,
      equityPeak: Math.max(s.equityPeak, c.account.equity), positions: c.positions, order: c.order, marketOpen: c.marketOpen,
      killSwitchLocked: this.locked(c.now),
    };
    // (set, not spread in: a spread of a conditional object is two objects and a copy per entry)
    if (c.correlations) ctx.correlations = c.correlations;
    if (this.policy.calendar) ctx.calendar = this.policy.calendar;
    const f = validatePreTrade(ctx, this.policy.limits);
    const st = s.strategies[c.order.strategyId];
    if (st?.paused) f.push({ code: 'STRATEGY_PAUSED', message: `strategy ${c.order.strategyId} is paused: ${st.paused.reason}` });
    if (c.strategy) {
      const why = this.strategyDailyLossReason(c.order.strategyId, c.now, c.strategy, c.strategy.floating);
      if (why) f.push({ code: 'STRATEGY_DAILY_LOSS', message: why });
    }
    return f;
  }

  /** A strategy's closed result on the broker day of `now` (profit, swap and commission; 0 before its first deal of the day). */
  dayRealized(strategyId: string, now: number): number {
    const st = this.state.strategies[strategyId];
    return st && st.day === brokerDay(now) ? st.dayRealized : 0;
  }

  /** Why a strategy's own daily loss limit holds now (closed today + `floating`), or ''. */
  strategyDailyLossReason(strategyId: string, now: number, l: StrategyLimits, floating: number): string {
    if (l.maxDailyLoss === undefined && l.maxDailyLossPercent === undefined) return '';
    const loss = -(this.dayRealized(strategyId, now) + floating);
    if (l.maxDailyLoss !== undefined && loss >= l.maxDailyLoss) return `strategy ${strategyId}: today's loss ${r2(loss)} has reached its limit ${l.maxDailyLoss} (riskManagement.maxDailyLoss)`;
    const base = this.state.dayStartBalance;
    if (l.maxDailyLossPercent !== undefined && base > 0 && (loss / base) * 100 >= l.maxDailyLossPercent) {
      return `strategy ${strategyId}: today's loss ${r2(loss)} = ${r2((loss / base) * 100)} % of the day-start balance ${r2(base)} has reached its limit ${l.maxDailyLossPercent} % (riskManagement.maxDailyLossPercent)`;
    }
    return '';
  }

  locked(now: number): boolean {
    return now < this.state.killSwitch.lockedUntil;
  }

  /** Lock trading until now + lockSec (a second trigger while locked extends the lock). */
  lock(now: number, reason: string, lockSec: number): number {
    const k = this.state.killSwitch;
    k.lockedUntil = Math.max(k.lockedUntil, now + lockSec);
    k.reason = reason;
    return k.lockedUntil;
  }

  /** End the lock early (an operator's decision). */
  unlock(): void {
    this.state.killSwitch.lockedUntil = 0;
  }

  pause(strategyId: string, now: number, reason: string): BreachDecision {
    this.strategy(strategyId, now).paused = { reason, at: now };
    return { action: 'pause', strategyId, reason };
  }

  /** The trader resumes a strategy the gate paused. */
  resume(strategyId: string): void {
    const st = this.state.strategies[strategyId];
    if (!st) return;
    delete st.paused;
    // the rules count again from the resume: the streak, the sample for profit factor and win rate, the drawdown
    st.trades = st.wins = st.lossStreak = 0;
    st.grossProfit = st.grossLoss = 0;
    st.cumulativePeak = st.cumulative;
  }

  /** A strategy's closed trades since it first ran (for Kelly sizing). */
  lifeStats(strategyId: string): { trades: number; wins: number; grossProfit: number; grossLoss: number } | undefined {
    return this.state.strategies[strategyId]?.life;
  }

  pausedReason(strategyId: string): string | undefined {
    return this.state.strategies[strategyId]?.paused?.reason;
  }

  /** The daily-loss, drawdown and per-strategy figures now, for status and the dashboard. */
  usage(now: number, equity: number): { dayStartBalance: number; dailyLoss: number; dailyLossPercent: number; equityPeak: number; drawdownPercent: number; locked: boolean; lockedUntil: number } {
    const s = this.state;
    const base = s.day === brokerDay(now) ? s.dayStartBalance : equity;
    const loss = base - equity;
    const peak = Math.max(s.equityPeak, equity);
    return {
      dayStartBalance: r2(base), dailyLoss: r2(loss), dailyLossPercent: base > 0 ? r2((loss / base) * 100) : 0,
      equityPeak: r2(peak), drawdownPercent: peak > 0 ? r2(((peak - equity) / peak) * 100) : 0,
      locked: this.locked(now), lockedUntil: s.killSwitch.lockedUntil,
    };
  }

  private strategy(id: string, now: number): StrategyRiskState {
    let st = this.state.strategies[id];
    if (!st) this.state.strategies[id] = st = { day: brokerDay(now), dayRealized: 0, trades: 0, wins: 0, grossProfit: 0, grossLoss: 0, lossStreak: 0, cumulative: 0, cumulativePeak: 0 };
    const d = brokerDay(now);
    if (st.day !== d) {
      st.day = d;
      st.dayRealized = 0;
    }
    return st;
  }

  /** Keep the acted-on marks of the last few days only. */
  private pruneActed(now: number): void {
    const keys = Object.keys(this.state.acted);
    if (keys.length < 64) return;
    for (const k of keys) if (this.state.acted[k]! < now - 7 * 86400) delete this.state.acted[k];
  }
}

function describeDaily(l: RiskLimits): string {
  return [l.maxDailyLossMoney !== undefined ? `${l.maxDailyLossMoney}` : '', l.maxDailyLossPercent !== undefined ? `${l.maxDailyLossPercent} %` : ''].filter(Boolean).join(' / ');
}

function r2(x: number): number {
  return Math.round(x * 100) / 100;
}
