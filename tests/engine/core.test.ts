/**
 * The trading core (src/engine/core): the risk gate's limits and breach actions, the order manager's lifecycle and
 * exit retries, and its state across a restart — each shown on real bars through the backtest venue, which runs the
 * core and nothing else.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { OrderManager, retryId } from '../../src/engine/core/order-manager.js';
import { NO_POLICY, RiskGate, type RiskPolicy } from '../../src/engine/core/risk-gate.js';
import { TradingCore } from '../../src/engine/core/trading-core.js';
import { StrategyRunner } from '../../src/engine/runner.js';
import { brokerDay, DEFAULT_AUTO_PAUSE } from '../../src/engine/safety.js';
import { sessionOpenAt } from '../../src/engine/sessions.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { DEAL_ENTRY } from '../../src/protocol/mt5.js';
import type { Deal } from '../../src/protocol/messages.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { symbolSpec } from '../../src/sim/symbols.js';

const h1 = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));

/** An EMA-cross strategy that trades both ways, often; `rules` merged over its exit and risk. */
function strategy(over: { exit?: object; risk?: object; id?: string } = {}) {
  return normalizeStrategy({
    strategyId: over.id ?? 'core-test', symbol: 'EURUSD', timeframe: 'H1',
    rules: {
      entry: { direction: 'BOTH', conditions: [{ indicator: 'ema_5', condition: 'crosses_above', indicatorRef: 'ema_13' }] },
      exit: { stopLoss: { type: 'pips', value: 15 }, takeProfit: { type: 'pips', value: 20 }, ...over.exit },
      riskManagement: { lotSize: 0.1, ...over.risk },
    },
  });
}

/** The money of the deals made on `t`'s broker day before `t` (profit + swap + commission). */
function moneyToday(deals: Deal[], t: number): number {
  return deals.filter((d) => brokerDay(d.time) === brokerDay(t) && d.time < t).reduce((s, d) => s + d.profit + d.swap + d.commission, 0);
}

/** The open time of the first bar at or after `t` whose market is open (10:00–11:00 closed, weekends closed). */
function nextOpenBar(t: number, sessions: readonly (readonly [number, number, number])[]): number {
  for (let i = 0; i < h1.length; i++) if (h1.time[i]! >= t && sessionOpenAt(sessions, h1.time[i]!)) return h1.time[i]!;
  return Infinity;
}

describe('risk gate: the strategy\'s own limits', () => {
  it('riskManagement.maxDailyLoss stops entries for the rest of the broker day once closed + floating losses reach it', () => {
    const free = runBacktest({ strategy: strategy(), bars: h1 });
    const limited = runBacktest({ strategy: strategy({ risk: { maxDailyLoss: 1 } }), bars: h1 });
    expect(limited.trades.length).toBeLessThan(free.trades.length);
    expect(limited.blocked.STRATEGY_DAILY_LOSS).toBeGreaterThan(0);
    // no trade opens after the deals of that broker day (closes and entry commissions) lost 1 or more
    for (const t of limited.trades) expect(-moneyToday(limited.deals, t.openTime), `trade ${t.id} opened at ${t.openTime}`).toBeLessThan(1);
    // the day in the issue: 2019-03-07 took three losing trades with a 1 USD limit
    const day = brokerDay(Date.UTC(2019, 2, 7) / 1000);
    const free7 = free.trades.filter((t) => brokerDay(t.openTime) === day && t.profit < 0).length;
    const lim7 = limited.trades.filter((t) => brokerDay(t.openTime) === day && t.profit < 0).length;
    expect(free7).toBeGreaterThanOrEqual(2);
    expect(lim7).toBeLessThanOrEqual(1);
  });

  it('riskManagement.maxDailyLossPercent is measured on the broker day\'s starting balance', () => {
    const r = runBacktest({ strategy: strategy({ risk: { maxDailyLossPercent: 0.01 } }), bars: h1, balance: 10_000 });
    expect(r.blocked.STRATEGY_DAILY_LOSS).toBeGreaterThan(0);
    for (const t of r.trades) expect(-moneyToday(r.deals, t.openTime)).toBeLessThan(1); // 0.01 % of 10,000
  });
});

describe('risk gate: breaches act as configured', () => {
  const dd = (onDrawdown: RiskPolicy['onDrawdown']): RiskPolicy => ({ ...NO_POLICY, limits: { maxDrawdownPercent: 0.5 }, onDrawdown });

  it('block: entries are refused from the breach on; pause: the strategy halts; close: its positions close at the breach', () => {
    const block = runBacktest({ strategy: strategy(), bars: h1, risk: dd('block') });
    const pause = runBacktest({ strategy: strategy(), bars: h1, risk: dd('pause') });
    const close = runBacktest({ strategy: strategy({ exit: { stopLoss: { type: 'pips', value: 60 }, takeProfit: { type: 'pips', value: 90 } } }), bars: h1, risk: dd('close') });
    expect(block.blocked.MAX_DRAWDOWN).toBeGreaterThan(0);
    expect(block.core.halted).toEqual({});
    expect(pause.core.halted['core-test']?.status).toBe('paused');
    expect(pause.core.halted['core-test']?.reason).toMatch(/drawdown .* reached the limit 0.5 %/);
    expect(pause.blocked.STRATEGY_PAUSED).toBeGreaterThan(0);
    // after the pause nothing opens
    const at = pause.core.halted['core-test']!.at;
    expect(pause.trades.filter((t) => t.openTime > at)).toEqual([]);
    // close: the breach's own CLOSE deals, at the breach
    const atC = close.core.halted['core-test']!.at;
    const breachCloses = close.deals.filter((d) => d.entry === DEAL_ENTRY.OUT && d.time >= atC - 3600 && d.reason === 3 /* DEAL_REASON_EXPERT */);
    expect(close.trades.filter((t) => t.openTime > atC)).toEqual([]);
    expect(breachCloses.length + close.trades.filter((t) => t.closeTime <= atC).length).toBeGreaterThan(0);
    expect(close.deals.filter((d) => d.time > atC + 3600 && d.entry === DEAL_ENTRY.IN)).toEqual([]);
  });

  it('emergency_stop: CLOSE_ALL at the breach and the kill switch locks trading', () => {
    const r = runBacktest({ strategy: strategy(), bars: h1, risk: dd('emergency_stop') });
    expect(r.core.risk.killSwitch.lockedUntil).toBeGreaterThan(0);
    expect(r.core.risk.killSwitch.reason).toMatch(/drawdown/);
    expect(r.core.halted['core-test']?.status).toBe('stopped');
    const at = r.core.risk.killSwitch.lockedUntil - 3600;
    expect(r.deals.filter((d) => d.time > at && d.entry === DEAL_ENTRY.IN)).toEqual([]);
  });

  it('auto-pause: five losses in a row pause the strategy with the rule named', () => {
    const r = runBacktest({ strategy: strategy({ exit: { stopLoss: { type: 'pips', value: 5 }, takeProfit: { type: 'pips', value: 40 } } }), bars: h1, risk: { ...NO_POLICY, autoPause: DEFAULT_AUTO_PAUSE } });
    const h = r.core.halted['core-test'];
    expect(h?.status).toBe('paused');
    expect(h?.reason).toMatch(/auto-pause: .*(losses in a row|profit factor|win rate)/);
    expect(r.trades.filter((t) => t.openTime > h!.at)).toEqual([]);
    const off = runBacktest({ strategy: strategy({ exit: { stopLoss: { type: 'pips', value: 5 }, takeProfit: { type: 'pips', value: 40 } } }), bars: h1 });
    expect(off.trades.length).toBeGreaterThan(r.trades.length);
  });
});

describe('order manager: exits retried under fresh ids', () => {
  // trading closed 10:00–11:00 server time every weekday, quotes still come: an exit due then gets 10018
  const gappy = symbolSpec('EURUSD', { sessions: [1, 2, 3, 4, 5].flatMap((d) => [[d, 0, 600], [d, 660, 1440]] as [number, number, number][]) });

  it('a time exit refused with 10018 "market closed" is retried and closes on the next open bar', () => {
    const r = runBacktest({ strategy: strategy({ exit: { stopLoss: { type: 'pips', value: 80 }, takeProfit: { type: 'pips', value: 120 }, maxHoldingHours: 3 } }), bars: sliceBars(h1, 0, 3000), symbol: gappy });
    const refusedCloses = r.rejected.filter((x) => x.retcode === 10018 && x.type === 'CLOSE');
    expect(refusedCloses.length).toBeGreaterThan(3);
    // each position whose exit was refused closes on the next bar where the market is open, under a retry id
    for (const x of refusedCloses) {
      const t = r.trades.find((z) => z.id === x.ticket!.toString())!;
      const next = nextOpenBar(Math.floor(x.time / 3600) * 3600 + 1, gappy.sessions);
      if (t.exitReason === 'sl' || t.exitReason === 'tp') expect(t.closeTime).toBeLessThan(next + 3600);
      else {
        expect(t.closeTime, `position ${t.id}, refused at ${x.time}`).toBeGreaterThanOrEqual(next);
        expect(t.closeTime).toBeLessThan(next + 3600);
        // closed by a fresh id of the same strategy, not the refused one (which would only get its stored result back)
        const closing = r.deals.find((d) => d.positionId === x.ticket && d.entry === DEAL_ENTRY.OUT)!;
        expect(closing.comment).toMatch(new RegExp(`^ix:${x.intent.slice(0, 7)}-`));
        expect(closing.comment).not.toBe(`ix:${x.intent}`);
      }
    }
    expect(r.alerts).toEqual([]);
  });

  it('a partial exit refused is retried; a position that cannot be closed after every try raises an alert', () => {
    const partial = { stopLoss: { type: 'pips', value: 20 }, takeProfit: { type: 'partial', levels: [{ atRR: 0.5, percentage: 50 }, { atRR: 3, percentage: 50 }] } };
    const r = runBacktest({ strategy: strategy({ exit: partial }), bars: sliceBars(h1, 0, 4000), symbol: gappy });
    const partials = r.rejected.filter((x) => x.retcode === 10018 && x.type === 'CLOSE' && x.volume! > 0);
    expect(partials.length).toBeGreaterThan(0);
    for (const x of partials) {
      const next = nextOpenBar(Math.floor(x.time / 3600) * 3600 + 1, gappy.sessions);
      const out = r.deals.filter((d) => d.positionId === x.ticket && d.entry === DEAL_ENTRY.OUT);
      // the partial goes again on the next open bar under a fresh id — unless its SL or TP closed the whole
      // position before that bar (then every exit deal of it is earlier)
      const again = out.some((d) => d.time >= next && d.time < next + 3600 && d.comment.startsWith(`ix:${x.intent.slice(0, 7)}-`) && d.comment !== `ix:${x.intent}`);
      const closedBefore = out.length > 0 && Math.max(...out.map((d) => d.time)) < next;
      expect(again || closedBefore, x.intent).toBe(true);
    }
    // closed all day on Wednesdays, and one try only: the core gives up and says so
    const m = new OrderManager({ maxAttempts: 1, retryOn: [10018] });
    const close = { type: 'CLOSE' as const, intentId: 'abcdefg-aaaaaaaaaaaaaa', magic: 1, ticket: 5n, volume: 0, deviation: 20 };
    expect(m.admit('s', close, { purpose: 'close', ticket: 5n })).toEqual(close);
    expect(m.onResult(close.intentId, 'final', 10018)?.kind).toBe('gave_up');
    expect(m.admit('s', close, { purpose: 'close', ticket: 5n })).toBeNull();
  });

  it('admits a decision once while it is in flight, gives each retry a fresh deterministic id, and survives a state round trip', () => {
    const m = new OrderManager();
    const close = { type: 'CLOSE' as const, intentId: 'abcdefg-bbbbbbbbbbbbbb', magic: 1, ticket: 2n ** 63n + 5n, volume: 0, deviation: 20 };
    const tag = { purpose: 'close' as const, ticket: close.ticket };
    expect(m.admit('s', close, tag)?.intentId).toBe(close.intentId);
    expect(m.admit('s', close, tag)).toBeNull(); // in flight
    expect(m.admit('s', { ...close, intentId: 'abcdefg-cccccccccccccc' }, tag)).toBeNull(); // a second full close of the same position
    expect(m.onResult(close.intentId, 'retry', 10004)?.kind).toBe('retry');
    const copy = new OrderManager();
    copy.restore(JSON.parse(JSON.stringify(m.state())));
    for (const x of [m, copy]) {
      const again = x.retriesFor('s', () => true);
      expect(again.map((f) => f.intent.intentId)).toEqual([retryId(close.intentId, 1)]);
      expect(again[0]!.intent).toMatchObject({ ticket: close.ticket });
      expect(x.onResult(retryId(close.intentId, 1), 'done', 10009)?.kind).toBe('done');
      expect(x.pending).toBe(0);
    }
    expect(retryId(close.intentId, 1)).not.toBe(retryId(close.intentId, 2));
    expect(retryId(close.intentId, 1)).toMatch(/^abcdefg-[0-9a-z]{14}$/);
  });

  it('a refused break-even move is proposed again on the next bar under a fresh id (it counts as done only when it holds)', () => {
    const s = strategy({ exit: { stopLoss: { type: 'pips', value: 30 }, takeProfit: { type: 'pips', value: 90 }, breakEven: { atRR: 0.5 } } });
    const sym = { digits: 5, point: 0.00001, tickSize: 0.00001, tickValue: 1, volumeMin: 0.01, volumeMax: 100, volumeStep: 0.01, stopsLevel: 0, freezeLevel: 0 };
    const runner = new StrategyRunner(s, sym);
    const core = new TradingCore();
    core.add(s.id, runner);
    const t0 = Date.UTC(2024, 0, 8, 10) / 1000;
    const position = { ticket: 9n, type: 0, volume: 0.1, priceOpen: 1.1, sl: 1.097, tp: 1.109, time: t0 - 7200 };
    const venue = { now: t0, account: () => ({ balance: 1e4, equity: 1e4, freeMargin: 1e4 }), positions: () => [], marginFor: () => 0, marketOpen: () => true };
    const bar = (k: number) => ({ time: t0 + k * 3600, open: 1.102, high: 1.1022, low: 1.1018, close: 1.102, tickVolume: 1, realVolume: 0 });
    const step1 = core.onBar(s.id, bar(0), { bid: 1.102, ask: 1.10202, positions: [position] }, venue).step;
    const be = step1.send.filter((x) => x.intent.type === 'MODIFY');
    expect(be.map((x) => [x.tag.breakEven, (x.intent as { sl: number }).sl])).toEqual([[true, 1.1]]);
    // the broker refuses it (market closed): the stop stays where it was, and the next bar proposes break-even again
    expect(core.onResult(be[0]!.intent.intentId, 'final', 10018, 'market closed')?.outcome.kind).toBe('retry');
    const step2 = core.onBar(s.id, bar(1), { bid: 1.102, ask: 1.10202, positions: [position] }, venue).step;
    const again = step2.send.filter((x) => x.intent.type === 'MODIFY');
    expect(again.map((x) => [x.tag.breakEven, (x.intent as { sl: number }).sl])).toEqual([[true, 1.1]]);
    expect(again[0]!.intent.intentId).toBe(retryId(be[0]!.intent.intentId, 1));
    // filled: done, and not proposed a third time once the broker's stop is at break-even
    expect(core.onResult(again[0]!.intent.intentId, 'done', 10009)?.outcome.kind).toBe('done');
    const step3 = core.onBar(s.id, bar(2), { bid: 1.102, ask: 1.10202, positions: [{ ...position, sl: 1.1 }] }, venue).step;
    expect(step3.send).toEqual([]);
    // a decision with nothing to send and no retry due: one shared step, frozen (nothing can be added to it)
    const step4 = core.onBar(s.id, bar(3), { bid: 1.102, ask: 1.10202, positions: [{ ...position, sl: 1.1 }] }, venue).step;
    expect(step4).toBe(step3);
    expect(step3).toEqual({ send: [], refused: [], breaches: [], alerts: [] });
    expect(Object.isFrozen(step3)).toBe(true);
  });
});

describe('risk state survives a restart', () => {
  it('a daily-loss breach restored on the same broker day still blocks; on the next broker day it does not', () => {
    const policy: RiskPolicy = { ...NO_POLICY, limits: { maxDailyLossPercent: 5 } };
    const day = Date.UTC(2024, 0, 8, 0, 0, 0) / 1000;
    const gate = new RiskGate(policy);
    gate.observeAccount(day + 3600, 10_000, 10_000);
    gate.observeAccount(day + 7200, 9_399, 9_399); // −6.01 %
    const order = (now: number, equity: number) => ({ now, account: { balance: equity, equity, freeMargin: equity }, positions: [], order: { symbol: 'EURUSD', strategyId: 's', volume: 0.1, marginRequired: 100 }, marketOpen: true });
    expect(gate.check(order(day + 7300, 9_399)).map((f) => f.code)).toEqual(['DAILY_LOSS_PERCENT']);
    // the host dies; the state was written with the ledger; a new gate from it
    const restored = new RiskGate(policy, JSON.parse(JSON.stringify(gate.state)));
    restored.observeAccount(day + 7400, 9_399, 9_399);
    expect(restored.check(order(day + 7400, 9_399)).map((f) => f.code)).toEqual(['DAILY_LOSS_PERCENT']);
    // a gate without the state would have let it through (the bug: baselines in memory)
    const fresh = new RiskGate(policy);
    fresh.observeAccount(day + 7400, 9_399, 9_399);
    expect(fresh.check(order(day + 7400, 9_399))).toEqual([]);
    // the next broker day starts from its own balance
    restored.observeAccount(day + 86400 + 60, 9_399, 9_399);
    expect(restored.check(order(day + 86400 + 60, 9_399))).toEqual([]);
  });

  it('the kill-switch lock and the strategies\' pauses come back from the core\'s state', () => {
    const core = new TradingCore({ ...NO_POLICY, autoPause: { ...DEFAULT_AUTO_PAUSE, consecutiveLosses: 2 } });
    const runner = { magic: 7, strategy: strategy(), restoreManaged: () => undefined, managedPositions: () => [] } as never;
    core.add('core-test', runner);
    core.observeAccount(1_700_000_000, 10_000, 10_000);
    core.observeClosed(7, 1n, 1_700_000_100, -5, false);
    const step = core.observeClosed(7, 2n, 1_700_000_200, -5, false);
    expect(step?.breaches[0]).toMatchObject({ action: 'pause', strategyId: 'core-test' });
    const k = core.emergencyStop(1_700_000_300, 'test', 3600);
    const again = new TradingCore(NO_POLICY, undefined, JSON.parse(JSON.stringify(core.state(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))));
    expect(again.gate.locked(1_700_000_301)).toBe(true);
    expect(again.gate.state.killSwitch.lockedUntil).toBe(k.lockedUntil);
    expect(again.gate.pausedReason('core-test')).toMatch(/2 losses in a row/);
    expect(again.gate.locked(k.lockedUntil)).toBe(false);
  });
});

describe('exit conditions have a side', () => {
  const make = (exitConditions: object) => normalizeStrategy({
    strategyId: 'sides', symbol: 'EURUSD', timeframe: 'H1',
    rules: {
      entry: { long: { conditions: [{ indicator: 'price', condition: 'less_than', value: 0 }] }, short: { conditions: [{ indicator: 'price', condition: 'less_than', value: 0 }] } }, // never
      exit: { exitOnOppositeSignal: false, conditions: exitConditions },
      riskManagement: { lotSize: 0.1, maxPositions: 5 },
    },
  });
  const always = { conditions: [{ indicator: 'price', condition: 'greater_than', value: 0 }] };
  const never = { conditions: [{ indicator: 'price', condition: 'less_than', value: 0 }] };
  const sym = { digits: 5, point: 0.00001, tickSize: 0.00001, tickValue: 1, volumeMin: 0.01, volumeMax: 100, volumeStep: 0.01, stopsLevel: 0, freezeLevel: 0 };
  const t0 = Date.UTC(2024, 0, 8, 10) / 1000;
  const positions = [
    { ticket: 1n, type: 0, volume: 0.1, priceOpen: 1.1, sl: 0, tp: 0, time: t0 - 3600 },
    { ticket: 2n, type: 1, volume: 0.1, priceOpen: 1.1, sl: 0, tp: 0, time: t0 - 3600 },
  ];
  const closedBy = (s: ReturnType<typeof make>) => {
    const r = new StrategyRunner(s, sym);
    const d = r.onBar({ time: t0, open: 1.1, high: 1.1, low: 1.1, close: 1.1, tickVolume: 1, realVolume: 0 }, { bid: 1.1, ask: 1.1, positions });
    return d.intents.filter((i) => i.type === 'CLOSE').map((i) => (i as { ticket: bigint }).ticket);
  };

  it('{ long, short } close each side on its own conditions; a side-less rule set closes both, with a warning that says so', () => {
    const sided = make({ long: always, short: never });
    expect(sided.warnings).toEqual([]);
    expect(closedBy(sided)).toEqual([1n]);
    expect(closedBy(make({ long: never, short: always }))).toEqual([2n]);
    const sideless = make(always);
    expect(sideless.warnings.join('\n')).toMatch(/rules\.exit\.conditions has no side: it closes long AND short positions/);
    expect(closedBy(sideless)).toEqual([1n, 2n]);
  });
});

describe('the core after review', () => {
  const open = (id: string, volume = 0.1) => ({ type: 'OPEN' as const, intentId: id, magic: 1, symbol: 'EURUSD', side: 0, volume, sl: 0, tp: 0, deviation: 20 });
  const venue = { now: 1_700_000_000, account: () => ({ balance: 1e4, equity: 1e4, freeMargin: 1e4 }), positions: () => [], marginFor: () => 0, marketOpen: () => true };

  it('an entry sent and not yet answered counts against the position limits of the next one', () => {
    const core = new TradingCore({ ...NO_POLICY, limits: { maxPositionsSymbol: 1 } });
    expect(core.checkEntry('a', open('aaaaaaa-00000000000001'), venue)).toEqual([]);
    core.orders.admit('a', open('aaaaaaa-00000000000001'), { purpose: 'entry' });
    expect(core.checkEntry('b', open('bbbbbbb-00000000000002'), venue).map((f) => f.code)).toEqual(['MAX_POSITIONS_SYMBOL']);
    core.onResult('aaaaaaa-00000000000001', 'final', 10019);
    expect(core.checkEntry('b', open('bbbbbbb-00000000000002'), venue)).toEqual([]);
  });

  it('a strategy\'s own daily-loss limit counts the floating result of its own positions only', () => {
    const s = strategy({ risk: { maxDailyLoss: 10 } });
    const sym = { digits: 5, point: 0.00001, tickSize: 0.00001, tickValue: 1, volumeMin: 0.01, volumeMax: 100, volumeStep: 0.01, stopsLevel: 0, freezeLevel: 0 };
    const runner = new StrategyRunner(s, sym);
    const mine = runner.magic, other = mine + 1;
    const pos = (magic: number, profit: number) => ({ ticket: BigInt(magic * 10 + Math.abs(profit)), symbol: 'GBPUSD', magic, type: 0, volume: 0.1, profit });
    const codes = (list: ReturnType<typeof pos>[]) => {
      const core = new TradingCore();
      core.add(s.id, runner);
      return core.checkEntry(s.id, open('ccccccc-00000000000003'), { ...venue, positions: () => list }).map((f) => f.code);
    };
    expect(codes([pos(mine, -12)])).toEqual(['STRATEGY_DAILY_LOSS']);
    expect(codes([pos(mine, -6), pos(mine, -5)])).toEqual(['STRATEGY_DAILY_LOSS']);
    expect(codes([pos(mine, -6), pos(other, -50)])).toEqual([]);
    expect(codes([pos(mine, -9)])).toEqual([]);
  });

  it('a full close without an answer is tried again under a fresh id; a partial waits for the reconciliation', () => {
    const m = new OrderManager();
    const close = { type: 'CLOSE' as const, intentId: 'abcdefg-dddddddddddddd', magic: 1, ticket: 7n, volume: 0, deviation: 20 };
    m.admit('s', close, { purpose: 'close', ticket: 7n });
    expect(m.onResult(close.intentId, 'ambiguous', 10031)?.kind).toBe('retry');
    expect(m.retriesFor('s', () => true).map((f) => f.intent.intentId)).toEqual([retryId(close.intentId, 1)]);
    const part = { ...close, intentId: 'abcdefg-eeeeeeeeeeeeee', ticket: 8n, volume: 0.05 };
    m.admit('s', part, { purpose: 'partial', ticket: 8n, level: 1 });
    expect(m.onResult(part.intentId, 'ambiguous', 10031)?.kind).toBe('ambiguous');
    expect(m.tracks(part.intentId)).toBe(true);
    expect(m.onResult(part.intentId, 'done', 10009)?.kind).toBe('done');
  });

  it('gives its changed state as the JSON text of its state (no copy made first), once per change; only managing runners are asked for their positions', () => {
    const core = new TradingCore({ ...NO_POLICY, autoPause: { ...DEFAULT_AUTO_PAUSE, consecutiveLosses: 2 } });
    const kept = [{ ticket: 2n ** 63n + 1n, side: 1 as const, entry: 1.1, initialVolume: 0.2, volume: 0.1, sl: 1.11, tp: 1.08, risk: 0.01, openTime: 1_700_000_000, partialsDone: 1, breakEvenDone: true }];
    core.add('m', { magic: 5, strategy: strategy(), restoreManaged: () => undefined, managing: true, managedPositions: () => kept, onRejected: () => undefined } as never);
    core.add('idle', { magic: 6, strategy: strategy(), restoreManaged: () => undefined, managing: false, managedPositions: () => { throw new Error('asked'); } } as never);
    core.observeAccount(1_700_000_000, 10_000, 10_100);
    core.observeClosed(5, 1n, 1_700_000_100, -5, false);
    core.orders.admit('m', { type: 'CLOSE', intentId: 'mmmmmmm-00000000000001', magic: 5, ticket: 2n ** 63n + 1n, volume: 0, deviation: 20 }, { purpose: 'close', ticket: 2n ** 63n + 1n });
    const want = JSON.stringify(core.state());
    expect(JSON.parse(want).managed).toEqual({ m: [{ ...kept[0], ticket: (2n ** 63n + 1n).toString() }] });
    expect(core.changedStateJson()).toBe(want);
    expect(core.changedStateJson()).toBeUndefined(); // nothing changed since
    core.observeClosed(5, 2n, 1_700_000_200, -5, false); // the second loss in a row: paused
    const paused = core.changedStateJson()!;
    expect(paused).toBe(JSON.stringify(core.state()));
    expect(JSON.parse(paused).risk.strategies.m.paused.reason).toMatch(/2 losses in a row/);
  });

  it('a paused strategy\'s entries are refused on every path; an unlock is persisted; a finally refused close raises an alert', () => {
    const core = new TradingCore({ ...NO_POLICY, autoPause: { ...DEFAULT_AUTO_PAUSE, consecutiveLosses: 1 } });
    core.add('p', { magic: 3, strategy: strategy(), restoreManaged: () => undefined, managedPositions: () => [], onRejected: () => undefined } as never);
    core.observeClosed(3, 1n, venue.now, -5, false);
    expect(core.checkEntry('p', open('ppppppp-00000000000003'), venue).map((f) => f.code)).toEqual(['STRATEGY_PAUSED']);
    core.emergencyStop(venue.now, 'test', 3600);
    core.changedState();
    core.unlockKillSwitch();
    expect(core.changedState()?.risk.killSwitch.lockedUntil).toBe(0);
    const close = { type: 'CLOSE' as const, intentId: 'ppppppp-ffffffffffffff', magic: 3, ticket: 9n, volume: 0, deviation: 20 };
    core.orders.admit('p', close, { purpose: 'close', ticket: 9n });
    expect(core.onResult(close.intentId, 'final', 10014, 'invalid volume')?.alerts.join('')).toMatch(/refused to close position #9 \(10014 invalid volume\)/);
  });
});

describe('balance operations are not trading results', () => {
  const policy: RiskPolicy = { ...NO_POLICY, limits: { maxDailyLossPercent: 5, maxDrawdownPercent: 10 }, onDailyLoss: 'pause', onDrawdown: 'pause' };
  const t0 = Date.UTC(2024, 0, 8, 10) / 1000;

  it('a withdrawal moves the day\'s starting balance and the equity peak with it: no breach; the same drop by trading is one', () => {
    const withdrawn = new RiskGate(policy);
    withdrawn.observeAccount(t0, 10_000, 10_000);
    withdrawn.observeBalanceOperation(t0 + 60, -3_000); // the EA sends the deal before the account it changes
    expect(withdrawn.observeAccount(t0 + 61, 7_000, 7_000)).toBeNull();
    expect(withdrawn.usage(t0 + 61, 7_000)).toMatchObject({ dailyLoss: 0, drawdownPercent: 0, dayStartBalance: 7_000 });
    // a later trading loss is measured from the new baselines: 6 % of 7,000 breaches the 5 % daily limit
    expect(withdrawn.observeAccount(t0 + 120, 6_580, 6_580)?.map((b) => b.reason).join()).toMatch(/daily loss 420/);

    const lost = new RiskGate(policy);
    lost.observeAccount(t0, 10_000, 10_000);
    expect(lost.observeAccount(t0 + 61, 7_000, 7_000)?.length).toBe(2); // daily loss and drawdown
  });

  it('a deposit does not hide a loss: the baselines rise with it', () => {
    const g = new RiskGate(policy);
    g.observeAccount(t0, 10_000, 10_000);
    g.observeAccount(t0 + 30, 9_600, 9_600); // −4 %: under the limit
    g.observeBalanceOperation(t0 + 60, 5_000);
    expect(g.usage(t0 + 61, 14_600)).toMatchObject({ dayStartBalance: 15_000, dailyLoss: 400 });
    expect(g.observeAccount(t0 + 120, 14_200, 14_200)?.map((b) => b.reason).join()).toMatch(/daily loss 800/); // 5.3 % of 15,000
  });

  it('the core marks its state changed, so the new baselines persist', () => {
    const core = new TradingCore(policy);
    core.observeAccount(t0, 10_000, 10_000);
    core.changedState();
    core.observeBalanceOperation(t0 + 60, -1_000);
    expect(core.changedState()?.risk.dayStartBalance).toBe(9_000);
  });
});

describe('the gate\'s view of the positions is kept per position list', () => {
  it('the same list again reuses it; a strategy added or removed, or a new list, builds it again (the counts follow)', () => {
    const core = new TradingCore({ ...NO_POLICY, limits: { maxPositionsStrategy: 1 } });
    const fake = (id: string, magic: number) => ({ magic, strategy: strategy({ id }), restoreManaged: () => undefined, managing: false, managedPositions: () => [] }) as never;
    core.add('a', fake('a', 1));
    core.add('b', fake('b', 2));
    let list = [{ ticket: 10n, symbol: 'EURUSD', magic: 2, type: 0, volume: 0.1, profit: -5 }];
    const venue = {
      now: 1_700_000_000, account: () => ({ balance: 10_000, equity: 10_000, freeMargin: 9_000 }), positions: () => list,
      marginFor: () => 10, marketOpen: () => true,
    };
    const entry = { type: 'OPEN' as const, intentId: 'e-1', magic: 1, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 };
    const codes = (id: string) => core.checkEntry(id, { ...entry }, venue).map((f) => f.code);
    expect(codes('a')).toEqual([]); // the position is b's
    expect(codes('b')).toEqual(['MAX_POSITIONS_STRATEGY']);
    // the same array, and magic 2 is a's now: the position counts as a's
    core.remove('a');
    core.remove('b');
    core.add('a', fake('a', 2));
    expect(codes('a')).toEqual(['MAX_POSITIONS_STRATEGY']);
    // a new list without it
    list = [{ ticket: 11n, symbol: 'EURUSD', magic: 9, type: 0, volume: 0.1, profit: 0 }];
    expect(codes('a')).toEqual([]);
  });
});
