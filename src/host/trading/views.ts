/**
 * What the manager shows without changing anything: STATUS_REQUEST, PERFORMANCE_REQUEST and the risk view of the
 * dashboard — read from the terminal's last reports, the paper account, the strategies and the trading core.
 */
import { strategyMagic } from '../../engine/runner.js';
import type { RiskLimits } from '../../engine/safety.js';
import type { NormalizedStrategy } from '../../engine/strategy/normalize.js';
import type { TradingContext } from './context.js';
import type { MarketFeed } from './market-feed.js';

/** The manager as its views read it. */
export interface ViewSource extends TradingContext {
  readonly market: MarketFeed;
  isPaper(s?: NormalizedStrategy): boolean;
}

const cents = (x: number) => Math.round(x * 100) / 100;

/** STATUS_REQUEST. */
export function statusView(m: ViewSource): Record<string, unknown> {
  const t = m.terminal(), paper = m.paperAccount();
  const a = t?.account;
  const gate = m.core.gate;
  return {
    terminalConnected: t?.connected ?? false,
    paper: m.isPaper(),
    account: a ? { login: a.login, currency: a.currency, balance: a.balance, equity: a.equity, freeMargin: a.freeMargin, tradeMode: a.tradeMode } : null,
    strategies: [...m.strategies.values()].map((r) => ({ id: r.record.id, status: r.record.status, mode: m.isPaper(r.strategy) ? 'paper' : 'live' })),
    positions: t?.positions.length ?? 0,
    ...(paper ? { paperPositions: paper.positions.length } : {}), // paper trading: mode-paper strategies' positions
    killSwitch: { locked: gate.locked(m.serverNow()), lockedUntil: m.toUnix(gate.state.killSwitch.lockedUntil) || null },
    brokerTime: (({ description, source }) => ({ zone: description, source }))(m.market.zoneView()),
    ...(a ? { risk: { limits: m.limits(), ...gate.usage(t?.serverTime || m.now(), a.equity) } } : {}),
  };
}

/** PERFORMANCE_REQUEST: account figures and each strategy's open positions, floating profit and today's closed result. */
export function performanceView(m: ViewSource): Record<string, unknown> {
  const a = m.terminal()?.account;
  const gate = m.core.gate;
  const per = [...m.strategies.values()].map((r) => {
    const magic = strategyMagic(r.strategy);
    const mine = m.venueOf(r.strategy)?.positions.filter((p) => p.magic === magic) ?? [];
    // today's closed result as the risk gate counts it (the strategy's own daily-loss limit reads this)
    const todayRealized = gate.dayRealized(r.record.id, m.serverNow());
    return { id: r.record.id, status: r.record.status, ...(m.isPaper(r.strategy) ? { mode: 'paper' } : {}), openPositions: mine.length, floatingProfit: cents(mine.reduce((x, p) => x + p.profit + p.swap, 0)), todayRealized };
  });
  return {
    account: a ? { balance: a.balance, equity: a.equity, profit: a.profit, margin: a.margin, marginLevel: a.marginLevel } : null,
    dayStartBalance: gate.state.day >= 0 ? gate.state.dayStartBalance : null,
    strategies: per,
  };
}

/** The risk limits in force and the figures the pre-trade checks judge them on (the dashboard). */
export function riskView(m: ViewSource): { limits: RiskLimits; dayStartBalance: number | null; equityPeak: number; dailyLossPct: number } {
  const a = m.terminal()?.account;
  const gate = m.core.gate, g = gate.state;
  return {
    limits: { ...m.limits() },
    dayStartBalance: g.day >= 0 ? g.dayStartBalance : null,
    equityPeak: Math.max(g.equityPeak, a?.equity ?? 0),
    dailyLossPct: a ? Math.max(0, gate.usage(m.serverNow(), a.equity).dailyLossPercent) : 0,
  };
}
