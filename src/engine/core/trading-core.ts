/**
 * The trading core: strategy runner → risk gate → order manager → (the venue port). One core per account; every
 * venue — the backtest's in-process broker, the paper run's simulated terminal over the bridge, the live EA —
 * drives this class and nothing else decides, checks or tracks an order.
 *
 * A driver gives the core facts (a closed bar with the venue's view of the market, the account, closed trades,
 * the broker's answers) and sends what the core returns (`CoreStep.send`). The core has no clock and does no I/O;
 * its whole state (risk baselines, equity peak, streaks, pause reasons, the kill-switch lock, intents in flight,
 * retry counters, the runners' managed positions) is `state()`, restored by `restore()`.
 */
import type { IntentBody } from '../../protocol/messages.js';
import type { BarIn } from '../indicators.js';
import { intentIdFor, shortHash } from '../ids.js';
import { StrategyRunner, type Decision, type MarketView } from '../runner.js';
import { correlationsMatter, type SafetyFailure } from '../safety.js';
import type { NormalizedStrategy } from '../strategy/normalize.js';
import { DEFAULT_RETRY, OrderManager, type IntentTag, type Outcome, type RetryPolicy } from './order-manager.js';
import { NO_POLICY, RiskGate, type BreachDecision, type OrderCheck, type RiskPolicy, type RiskState } from './risk-gate.js';
import { ChangeLog, type CoreState, type CoreStateDelta } from './core-state.js';

/** A position as the venue reports it (the account's, every strategy's and the trader's own). */
export interface PositionFact {
  ticket: bigint;
  symbol: string;
  magic: number;
  type: number;
  volume: number;
  /** Floating profit in account currency (with swap). */
  profit: number;
}

/** The venue's facts the risk gate reads, asked for only when an entry is judged. */
export interface VenueFacts {
  now: number;
  account(): { balance: number; equity: number; freeMargin: number };
  /** (The core keeps what it derives from a list while the same array comes back: a venue gives a new one when it changes.) */
  positions(): readonly PositionFact[];
  marginFor(symbol: string, volume: number, side: 0 | 1): number;
  marketOpen(symbol: string): boolean;
  /** |correlation| of `symbol`'s closed-bar returns with other symbols, when the venue knows them. */
  correlations?(symbol: string): Readonly<Record<string, number>> | undefined;
}

export interface SendItem {
  strategyId: string;
  intent: IntentBody;
  tag: IntentTag;
}

/** What one step of the core asks the driver to do, and why. Its lists are read-only to whoever receives it: an empty one is shared and frozen (below). */
export interface CoreStep {
  readonly send: readonly SendItem[];
  /** Entries the risk gate refused, with every reason. */
  readonly refused: readonly { strategyId: string; intentId: string; failures: SafetyFailure[] }[];
  /** Breaches acted on (pause, close, emergency stop): the driver mirrors pauses and stops in its records. */
  readonly breaches: readonly BreachDecision[];
  /** Things a trader must know now (an exit the core could not get filled after all its tries…). */
  readonly alerts: readonly string[];
}

export type { CoreState } from './core-state.js';

/** A step's empty lists, shared and frozen (nothing can add to one by mistake: sendIn / refuseIn put a new list in its place). */
const NONE_SENT: readonly SendItem[] = Object.freeze([]);
const NONE_REFUSED: CoreStep['refused'] = Object.freeze([]);
const NO_BREACHES: readonly BreachDecision[] = Object.freeze([]);
const NO_ALERTS: readonly string[] = Object.freeze([]);

/** The step of a decision that sends and refuses nothing: one shared and frozen. */
const QUIET_STEP: CoreStep = Object.freeze({ send: NONE_SENT, refused: NONE_REFUSED, breaches: NO_BREACHES, alerts: NO_ALERTS });

/** A step while the core builds it (its lists replaced, not pushed into, while they are the shared empty ones). */
type BuildingStep = { -readonly [K in keyof CoreStep]: CoreStep[K] };

function sendIn(step: BuildingStep, item: SendItem): void {
  if (step.send === NONE_SENT) step.send = [item];
  else (step.send as SendItem[]).push(item); // a list of its own (not the shared empty one)
}

function refuseIn(step: BuildingStep, r: CoreStep['refused'][number]): void {
  if (step.refused === NONE_REFUSED) step.refused = [r];
  else (step.refused as CoreStep['refused'][number][]).push(r);
}

interface Entry {
  id: string;
  runner: StrategyRunner;
  strategy: NormalizedStrategy;
  limits: { maxDailyLoss?: number; maxDailyLossPercent?: number } | undefined;
  /** Sizes by Kelly (the runner needs the strategy's closed-trade figures). */
  kelly: boolean;
}

export class TradingCore {
  readonly gate: RiskGate;
  readonly orders: OrderManager;
  private readonly entries = new Map<string, Entry>();
  private readonly byMagic = new Map<number, string>();
  private halted: CoreState['halted'] = {};
  /** Something persisted changed since the last `changedState()`. */
  private dirty = false;
  /** The equity peak as last persisted: a rise of less than 0.05 % of it does not make a write by itself. */
  private persistedPeak = 0;
  /**
   * Deals counted by ticket (a deal can come live and again from the terminal's history after a restart: it counts
   * once), and the server time up to which the history is known read — live while a terminal is connected.
   */
  private dealsSeen: Record<string, number> = {};
  private dealsReadTo = 0;
  /** No deal seen is older than this (server time): `dealsRead` walks the tickets only when one may be forgotten. */
  private dealsOldest = Infinity;
  /** What changed since the last text of the state (core-state.ts): a delta carries only that. */
  private readonly changes = new ChangeLog();

  constructor(policy: RiskPolicy = NO_POLICY, retry: RetryPolicy = DEFAULT_RETRY, state?: CoreState) {
    this.gate = new RiskGate(policy, state?.risk);
    this.orders = new OrderManager(retry);
    if (state) this.restore(state);
  }

  // ------------------------------------------------------------------ strategies

  /** Run a strategy (its runner built by the driver with the venue's symbol facts). Managed positions restored. */
  add(id: string, runner: StrategyRunner): void {
    const s = runner.strategy;
    const limits = s.risk.maxDailyLoss !== undefined || s.risk.maxDailyLossPercent !== undefined
      ? { ...(s.risk.maxDailyLoss !== undefined ? { maxDailyLoss: s.risk.maxDailyLoss } : {}), ...(s.risk.maxDailyLossPercent !== undefined ? { maxDailyLossPercent: s.risk.maxDailyLossPercent } : {}) }
      : undefined;
    this.entries.set(id, { id, runner, strategy: s, limits, kelly: s.dynamicRisk?.kelly !== undefined });
    this.lastId = undefined;
    this.byMagic.set(runner.magic, id);
    this.magicsChanged++;
    this.changes.managed.add(id);
    const kept = this.pendingManaged[id];
    if (kept) {
      runner.restoreManaged(kept.map((m) => ({ ...m, ticket: BigInt(m.ticket) })));
      delete this.pendingManaged[id];
    }
  }

  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.lastId = undefined;
    this.changes.managed.add(id);
    this.orders.strategyGone(id);
    if (this.byMagic.get(e.runner.magic) === id) this.byMagic.delete(e.runner.magic);
    this.magicsChanged++;
  }

  /** The last strategy asked for and its entry (a backtest asks for one strategy's every bar: a Map lookup by string each). */
  private lastId: string | undefined;
  private lastEntry: Entry | undefined;

  /** The entry of a running strategy (the caller knows it runs). */
  private entry(id: string): Entry {
    if (id !== this.lastId) {
      this.lastEntry = this.entries.get(id);
      this.lastId = id;
    }
    return this.lastEntry!;
  }

  runner(id: string): StrategyRunner | undefined {
    return this.entries.get(id)?.runner;
  }

  strategyOfMagic(magic: number): string | undefined {
    return this.byMagic.get(magic);
  }

  /** Paused or stopped by the core (a breach) — the driver's own pause is its business. */
  haltedReason(id: string): { status: 'paused' | 'stopped'; reason: string } | undefined {
    return this.halted[id];
  }

  /** The trader resumes a strategy: the gate's pause ends, its rules count afresh. */
  resume(id: string): void {
    this.dirty = true;
    delete this.halted[id];
    this.changes.halted.add(id);
    this.gate.resume(id);
    this.changes.risk.add(id);
  }

  // ------------------------------------------------------------------ facts in

  /** A closed bar of strategy `id`: the runner decides, the gate judges entries, the order manager admits. */
  onBar(id: string, bar: BarIn, market: MarketView, venue: VenueFacts): { decision: Decision; step: CoreStep } {
    const e = this.entry(id);
    if (e.kelly) this.withStats(id, market);
    const had = e.runner.managing;
    const decision = e.runner.onBar(bar, market);
    if (had || e.runner.managing) this.changes.managed.add(id);
    return { decision, step: this.judge(e, decision, venue) };
  }

  /** The forming bar of an intrabar strategy `id` (its runner's onForming), judged like a closed bar's decision. */
  onForming(id: string, forming: BarIn, market: MarketView, venue: VenueFacts): { decision: Decision; step: CoreStep } {
    const e = this.entry(id);
    if (e.kelly) this.withStats(id, market);
    const had = e.runner.managing;
    const decision = e.runner.onForming(forming, market);
    if (had || e.runner.managing) this.changes.managed.add(id);
    return { decision, step: this.judge(e, decision, venue) };
  }

  /** Column mode (backtests): the decision at the close of bar i of the runner's series. */
  onColumn(id: string, i: number, market: MarketView, venue: VenueFacts): { decision: Decision; step: CoreStep } {
    const e = this.entry(id);
    if (e.kelly) this.withStats(id, market);
    const had = e.runner.managing;
    const decision = e.runner.decideAt(i, market);
    if (had || e.runner.managing) this.changes.managed.add(id);
    return { decision, step: this.judge(e, decision, venue) };
  }

  /** Column mode: can strategy `id` do anything at the close of bar i (a signal, something to manage, a retry)? */
  acts(id: string, i: number, open: number): boolean {
    const e = this.entry(id);
    return e.runner.acts(i, open) || this.orders.hasRetries(id);
  }

  /**
   * The account now. Returns the breaches to act on (as configured: pause, close, emergency stop) with the
   * intents that carry them out, or null.
   */
  observeAccount(now: number, balance: number, equity: number, positions?: () => readonly PositionFact[]): CoreStep | null {
    const a = this.accountScratch;
    a[0] = now;
    a[1] = balance;
    a[2] = equity;
    return this.observeAccountAt(a, 0, positions);
  }

  /** observeAccount's three numbers, for its one body below. */
  private readonly accountScratch = new Float64Array(3);

  /** `observeAccount(a[i], a[i + 1], a[i + 2])` — now, balance, equity read from a Float64Array (a backtest's bar loop boxes no number); the one body of both. */
  observeAccountAt(a: Float64Array, i: number, positions?: () => readonly PositionFact[]): CoreStep | null {
    const s = this.gate.state;
    const day = s.day;
    const b = this.gate.observeAccountAt(a, i);
    if (b || s.day !== day || s.equityPeak > this.persistedPeak * 1.0005) this.dirty = true;
    return b ? this.act(b, a[i]!, positions) : null;
  }

  /** A balance operation (deposit, withdrawal, credit, charge, correction, bonus): the gate's baselines move with it. */
  observeBalanceOperation(now: number, amount: number): void {
    if (!amount) return;
    this.gate.observeBalanceOperation(now, amount);
    this.dirty = true;
  }

  /** A closed trade (or closed part) of the position `ticket` with `magic`: profit + swap + commission. */
  observeClosed(magic: number, ticket: bigint, now: number, result: number, stillOpen: boolean, positions?: () => readonly PositionFact[]): CoreStep | null {
    if (!stillOpen) this.orders.positionGone(ticket);
    const id = this.byMagic.get(magic);
    if (id === undefined) return null;
    this.dirty = true;
    this.changes.risk.add(id);
    const e = this.entries.get(id)!;
    const b = this.gate.observeClosedTrade(id, now, result, e.limits);
    return b ? this.act([b], now, positions) : null;
  }

  /** First sight of deal `key` (its venue and ticket) at server time `time`: true (count it), false when it was counted already. */
  noteDeal(k: string, time: number): boolean {
    if (this.dealsSeen[k] !== undefined) return false;
    this.dealsSeen[k] = time;
    if (time < this.dealsOldest) this.dealsOldest = time;
    this.changes.deal(k, time);
    this.dirty = true;
    return true;
  }

  /** Whether a running strategy has this magic number. */
  knowsMagic(magic: number): boolean {
    return this.byMagic.has(magic);
  }

  /** The server time up to which the deal history is known counted (0: never read; the host was not running). */
  get dealsKnownTo(): number {
    return this.dealsReadTo;
  }

  /** Deals up to server time `to` are counted (live, or read from the history). Tickets older than two days are forgotten. */
  dealsRead(to: number): void {
    if (!(to > this.dealsReadTo)) return;
    this.dealsReadTo = to;
    const keepFrom = to - 2 * 86_400;
    // called with every account report: the tickets are walked only when the oldest is to be forgotten
    if (!(this.dealsOldest < keepFrom)) return;
    let forgot = false;
    let oldest = Infinity;
    for (const k in this.dealsSeen) {
      const t = this.dealsSeen[k]!;
      if (t < keepFrom) {
        delete this.dealsSeen[k];
        forgot = true;
      } else if (t < oldest) oldest = t;
    }
    this.dealsOldest = oldest;
    if (forgot) this.changes.forgotDeals(keepFrom);
  }

  /** Money a strategy paid that closed nothing (an entry's commission): counts in its day's result, not as a trade. */
  observeCost(magic: number, now: number, amount: number): void {
    const id = this.byMagic.get(magic);
    if (id === undefined) return;
    this.gate.observeCost(id, now, amount);
    this.changes.risk.add(id);
    this.dirty = true;
  }

  /** The broker's answer to an intent the core sent. */
  onResult(intentId: string, cls: 'done' | 'retry' | 'final' | 'ambiguous', retcode: number, comment?: string): { outcome: Outcome; alerts: readonly string[] } | undefined {
    const o = this.orders.onResult(intentId, cls, retcode, comment);
    if (!o) return undefined;
    this.dirty = true;
    let alerts: readonly string[] = NO_ALERTS; // (a list made only for an alert: most results raise none)
    const f = o.flight;
    // (the runner looked up only for a refusal: most results are done)
    const runner = o.kind !== 'done' && o.kind !== 'ambiguous' ? this.entries.get(f.strategyId)?.runner : undefined;
    if (runner) {
      runner.onRejected(f.tag, o.kind === 'retry');
      this.changes.managed.add(f.strategyId);
    }
    if (o.kind === 'gave_up' && (f.tag.purpose === 'close' || f.tag.purpose === 'partial')) {
      alerts = [`strategy ${f.strategyId}: position #${f.tag.ticket} could not be ${f.tag.purpose === 'close' ? 'closed' : 'partly closed'} after ${f.attempt + 1} tries (last: ${o.reason}); it stays open with its server-side SL/TP — act on it by hand`];
    } else if (o.kind === 'rejected' && (f.tag.purpose === 'close' || f.tag.purpose === 'partial') && retcode !== 10036) {
      alerts = [`strategy ${f.strategyId}: the broker refused to ${f.tag.purpose === 'close' ? 'close' : 'partly close'} position #${f.tag.ticket} (${o.reason}) and the core does not try again for that reason; it stays open with its server-side SL/TP — act on it by hand`];
    }
    return { outcome: o, alerts };
  }

  /**
   * EMERGENCY_STOP: lock trading, halt every strategy, and the CLOSE_ALL that closes every position and deletes
   * every pending order (the driver sends it first and records after).
   */
  emergencyStop(now: number, reason: string, lockSec = this.gate.policy.killSwitchLockSec): { lockedUntil: number; send: SendItem } {
    const lockedUntil = this.gate.lock(now, reason, lockSec);
    this.dirty = true;
    for (const id of this.entries.keys()) {
      this.halted[id] = { status: 'stopped', reason: `emergency stop: ${reason}`, at: now };
      this.changes.halted.add(id);
    }
    const intentId = `kill-${now.toString(36)}`;
    return { lockedUntil, send: { strategyId: '', intent: { type: 'CLOSE_ALL', intentId, magic: 0, symbol: '', onlyMagic: false, deviation: 100 }, tag: { purpose: 'manual' } } };
  }

  /** End the kill switch's lock early (an operator's decision). */
  unlockKillSwitch(): void {
    this.gate.unlock();
    this.dirty = true;
  }

  /** A position has gone (closed, or no longer reported): nothing of it is retried any more. */
  positionGone(ticket: bigint): void {
    this.orders.positionGone(ticket);
  }

  /**
   * Every reason an entry may not go now, for strategy `strategyId` or for a manual order (an id the core does not
   * run): the same gate as the strategies' own entries.
   */
  checkEntry(strategyId: string, intent: Extract<IntentBody, { type: 'OPEN' }>, venue: VenueFacts): SafetyFailure[] {
    const halted = this.halted[strategyId];
    if (halted) return [{ code: 'STRATEGY_PAUSED', message: `strategy ${strategyId} is ${halted.status}: ${halted.reason}` }];
    const e = this.entries.get(strategyId);
    if (e) return this.check(e, intent, venue);
    const positions = [...venue.positions().map((p) => ({ symbol: p.symbol, strategyId: this.byMagic.get(p.magic) ?? `magic ${p.magic}`, volume: p.volume })), ...this.orders.pendingEntries()];
    const corr = correlationsMatter(positions, intent.volume, this.gate.policy.limits) ? venue.correlations?.(intent.symbol) : undefined;
    return this.gate.check({
      now: venue.now, account: venue.account(), positions,
      order: { symbol: intent.symbol, strategyId, volume: intent.volume, marginRequired: venue.marginFor(intent.symbol, intent.volume, intent.side === 0 ? 0 : 1) },
      marketOpen: venue.marketOpen(intent.symbol), ...(corr ? { correlations: corr } : {}),
    });
  }

  // ------------------------------------------------------------------ state

  /** The state when something worth persisting changed since the last call (else undefined). */
  changedState(): CoreState | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    this.persistedPeak = this.gate.state.equityPeak;
    this.changes.reset();
    return this.state();
  }

  /**
   * `changedState()` as JSON text, written without copying the gate's state first (the host persists the text; with
   * 1,000 strategies the copy was most of the cost of a write). The same text as `JSON.stringify(changedState())`.
   */
  changedStateJson(): string | undefined {
    return this.changedStateText(false)?.text;
  }

  /**
   * The state's text when something worth persisting changed since the last text (else undefined): with `delta`,
   * what changed since the last text (core-state.ts; `applyCoreStateDelta` on the state before gives this one) —
   * unless a delta cannot say it (the first text, after a restore) — else the whole state.
   */
  changedStateText(delta: boolean): { text: string; delta: boolean } | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    this.persistedPeak = this.gate.state.equityPeak;
    if (delta && !this.changes.wholeNeeded) {
      const text = JSON.stringify(this.delta());
      this.changes.reset();
      return { text, delta: true };
    }
    this.changes.reset();
    return { text: JSON.stringify(this.snapshot(this.gate.state)), delta: false };
  }

  state(): CoreState {
    return this.snapshot(structuredClone(this.gate.state));
  }

  private snapshot(risk: RiskState): CoreState {
    const managed: CoreState['managed'] = { ...this.pendingManaged };
    for (const [id, e] of this.entries) {
      if (!e.runner.managing) continue;
      const list = e.runner.managedPositions();
      if (list.length) managed[id] = list.map((m) => ({ ...m, ticket: m.ticket.toString() }));
    }
    return { v: 1, risk, orders: this.orders.state(), managed, halted: { ...this.halted }, deals: { seen: { ...this.dealsSeen }, readTo: this.dealsReadTo } };
  }

  private pendingManaged: CoreState['managed'] = {};

  /** What changed since the last text (the parts that are small whole, the rest by the keys touched). */
  private delta(): CoreStateDelta {
    const { strategies, ...risk } = this.gate.state;
    const rs: CoreStateDelta['rs'] = {};
    for (const id of this.changes.risk) rs[id] = strategies[id] ?? null;
    const halted: CoreStateDelta['halted'] = {};
    for (const id of this.changes.halted) halted[id] = this.halted[id] ?? null;
    const managed: CoreStateDelta['managed'] = {};
    for (const id of this.changes.managed) {
      const e = this.entries.get(id);
      const list = e?.runner.managing ? e.runner.managedPositions() : [];
      managed[id] = list.length ? list.map((m) => ({ ...m, ticket: m.ticket.toString() })) : (this.pendingManaged[id] ?? null);
    }
    return { risk, rs, orders: this.orders.state(), halted, managed, deals: this.changes.deals, readTo: this.dealsReadTo };
  }

  restore(s: CoreState): void {
    this.changes.wholeNeeded = true;
    this.gate.state = structuredClone(s.risk);
    this.persistedPeak = this.gate.state.equityPeak;
    this.orders.restore(s.orders);
    this.halted = { ...s.halted };
    this.dealsSeen = { ...(s.deals?.seen ?? {}) };
    this.dealsOldest = Infinity;
    for (const k in this.dealsSeen) if (this.dealsSeen[k]! < this.dealsOldest) this.dealsOldest = this.dealsSeen[k]!;
    this.dealsReadTo = s.deals?.readTo ?? 0;
    this.pendingManaged = { ...s.managed };
    for (const [id, e] of this.entries) {
      const kept = this.pendingManaged[id];
      if (kept) {
        e.runner.restoreManaged(kept.map((m) => ({ ...m, ticket: BigInt(m.ticket) })));
        delete this.pendingManaged[id];
      }
    }
  }

  // ------------------------------------------------------------------ internals

  /** Kelly sizing reads the strategy's own closed trades, which the gate counts. */
  private withStats(id: string, market: MarketView): void {
    const life = this.gate.lifeStats(id);
    if (life) market.stats = life;
    else delete market.stats;
  }

  private judge(e: Entry, d: Decision, venue: VenueFacts): CoreStep {
    // no intent and no retry: nothing can go in (most decisions of a managed position — a backtest judges one a bar)
    if (d.intents.length === 0 && !this.orders.hasRetries(e.id)) return QUIET_STEP;
    // a step's lists are made when something goes in (most decisions send one intent and refuse nothing)
    const step: BuildingStep = { send: NONE_SENT, refused: NONE_REFUSED, breaches: NO_BREACHES, alerts: NO_ALERTS };
    const halted = this.halted[e.id];
    // exits refused for a passing reason go again first, under fresh ids
    if (this.orders.hasRetries(e.id)) {
      const open = new Set(venue.positions().filter((p) => p.magic === e.runner.magic).map((p) => p.ticket));
      for (const f of this.orders.retriesFor(e.id, (t) => open.has(t))) sendIn(step, { strategyId: e.id, intent: f.intent, tag: f.tag });
    }
    for (let k = 0; k < d.intents.length; k++) {
      const intent = d.intents[k]!;
      const tag = d.tags[k]!;
      if (intent.type === 'OPEN') {
        if (halted) {
          refuseIn(step, { strategyId: e.id, intentId: intent.intentId, failures: [{ code: 'STRATEGY_PAUSED', message: `strategy ${e.id} is ${halted.status}: ${halted.reason}` }] });
          continue;
        }
        const failures = this.check(e, intent, venue);
        if (failures.length) {
          refuseIn(step, { strategyId: e.id, intentId: intent.intentId, failures });
          continue;
        }
      }
      const sent = this.orders.admit(e.id, intent, tag);
      if (sent) sendIn(step, { strategyId: e.id, intent: sent, tag });
    }
    if (step.send.length) this.dirty = true;
    return step;
  }

  private check(e: Entry, intent: Extract<IntentBody, { type: 'OPEN' }>, venue: VenueFacts): SafetyFailure[] {
    const all = venue.positions();
    let positions = this.gateView(all);
    // entries sent and not yet answered count as positions: the same bar's other entries must not slip past a limit
    if (this.orders.pending) {
      const pending = this.orders.pendingEntries();
      if (pending.length) positions = [...positions, ...pending];
    }
    // asked for only when they can change the answer (the correlated-exposure limit within reach)
    const corr = correlationsMatter(positions, intent.volume, this.gate.policy.limits) ? venue.correlations?.(intent.symbol) : undefined;
    const c: OrderCheck = {
      now: venue.now, account: venue.account(), positions,
      order: { symbol: intent.symbol, strategyId: e.id, volume: intent.volume, marginRequired: venue.marginFor(intent.symbol, intent.volume, intent.side === 0 ? 0 : 1) },
      marketOpen: venue.marketOpen(intent.symbol),
    };
    if (corr) c.correlations = corr;
    if (e.limits) {
      // the strategy's floating result, for its own daily-loss limit (summed only for a strategy that has one)
      let floating = 0;
      for (const p of all) if (p.magic === e.runner.magic) floating += p.profit;
      c.strategy = { ...e.limits, floating };
    }
    return this.gate.check(c);
  }

  /** The venue's positions as the gate counts them, for one position list. */
  private gateViewOf: { of: readonly PositionFact[]; magics: number; list: readonly { symbol: string; strategyId: string; volume: number }[] } | undefined;
  /** Counts the changes of `byMagic` (a kept view names the strategies of its time). */
  private magicsChanged = 0;

  /**
   * Built once per position list (the live terminal's is a new array at every change, never changed in place) and
   * strategy set, not for every entry: with hundreds of positions, a good part of an entry's check. The same list as
   * built per entry (read-only: the gate only counts it).
   */
  private gateView(all: readonly PositionFact[]): readonly { symbol: string; strategyId: string; volume: number }[] {
    const kept = this.gateViewOf;
    if (kept && kept.of === all && kept.magics === this.magicsChanged) return kept.list;
    const list = all.map((p) => ({ symbol: p.symbol, strategyId: this.byMagic.get(p.magic) ?? `magic ${p.magic}`, volume: p.volume }));
    this.gateViewOf = { of: all, magics: this.magicsChanged, list };
    return list;
  }

  /** Carry out breaches: pauses recorded, closes and the emergency stop as intents. */
  private act(breaches: BreachDecision[], now: number, positions?: () => readonly PositionFact[]): CoreStep {
    const send: SendItem[] = [];
    const step: BuildingStep = { send, refused: [], breaches, alerts: [] };
    this.dirty = true;
    for (const b of breaches) {
      const ids = b.strategyId !== undefined ? [b.strategyId] : [...this.entries.keys()];
      if (b.action === 'emergency_stop') {
        const k = this.emergencyStop(now, b.reason);
        send.push(k.send);
        continue;
      }
      for (const id of ids) {
        this.halted[id] = { status: 'paused', reason: b.reason, at: now };
        this.changes.halted.add(id);
      }
      if (b.action === 'close' && positions) {
        const magics = new Set(ids.map((id) => this.entries.get(id)?.runner.magic));
        for (const p of positions()) {
          if (!magics.has(p.magic)) continue;
          const id = this.byMagic.get(p.magic)!;
          const intent: IntentBody = { type: 'CLOSE', intentId: intentIdFor(shortHash(id), `${p.ticket}|breach|${now}`), magic: p.magic, ticket: p.ticket, volume: 0, deviation: 50 };
          const sent = this.orders.admit(id, intent, { purpose: 'close', ticket: p.ticket });
          if (sent) send.push({ strategyId: id, intent: sent, tag: { purpose: 'close', ticket: p.ticket } });
        }
      }
    }
    return step;
  }
}
