/**
 * The strategy manager: runs the platform's strategies on one terminal (one MT5 account; several terminals →
 * several managers). Strategies are persisted (start, stop, pause, resume, update, a real delete) and running
 * ones are restored when the host restarts. On a terminal connection: subscribe the symbols and timeframes the
 * running strategies need, warm their indicators up on history, then run each strategy's StrategyRunner on every
 * closed bar. The decisions, the risk gate and the orders' lifecycle are the trading core's (src/engine/core), as
 * in the backtest and the paper run: this class is its driver on a live terminal — it feeds the core the
 * terminal's facts (bars, quotes, account, positions, deals, intent results), sends what the core returns,
 * mirrors the core's pauses and stops in the strategy records, persists the core's state, and adds what only a
 * live host has (anomaly guard, the platform's LLM supervisor, the trader's confirmations). Every decision is
 * logged with its trace.
 */
import { EventEmitter } from 'node:events';
import { DEFAULT_AUTO_PAUSE, DEFAULT_LIMITS, type KillSwitchEvent, type RiskLimits, type SafetyFailure } from '../../engine/safety.js';
import { StrategyRunner, strategyMagic, type Decision } from '../../engine/runner.js';
import { IndicatorHub } from '../../engine/indicator-hub.js'; // shared-indicators
import { NO_POLICY, type RiskPolicy } from '../../engine/core/risk-gate.js';
import { TradingCore, type CoreState, type CoreStep, type VenueFacts } from '../../engine/core/trading-core.js';
import { decisionLogLine, stepLogLine } from '../../engine/core/decision-log.js';
import { DEAL_ENTRY, TRADE_TRANSACTION } from '../../protocol/mt5.js';
import type { SignalModel } from '../../engine/ml/model.js';
import { AnomalyGuard, type Anomaly } from '../../engine/ml/regime.js';
import { pipSize } from '../../engine/filters.js';
import { MarketCloses } from './market-closes.js';
import { roundPrice } from '../../engine/money.js';
import { supervisorTriggers, type SupervisorDecision } from './supervisor.js';
import { marginEstimate, sessionOpenAt } from '../../engine/sessions.js';
import { formatTrace } from '../../engine/strategy/evaluator.js';
import { normalizeStrategy, type NormalizedStrategy } from '../../engine/strategy/normalize.js';
import { TIMEFRAME_SECONDS, type Account, type IntentBody, type IntentResult, type Msg, type Position, type SymbolSpec, type Timeframe } from '../../protocol/messages.js';
import type { Terminal } from '../bridge/server.js';
import type { Logger } from '../logger.js';
import type { Store, StrategyRecord } from '../state/store.js';

export class ManagerError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'INVALID' | 'LOCKED' | 'STATE' | 'NO_TERMINAL', message: string) {
    super(message);
    this.name = 'ManagerError';
  }
}

interface Running {
  record: StrategyRecord;
  strategy: NormalizedStrategy;
  runner: StrategyRunner | undefined;
}

export interface ManagerOptions {
  /** Limits override; default by account type (ACCOUNT_TRADE_MODE real → live limits, else demo). */
  limits?: RiskLimits;
  /** What a breach does, auto-pause and the kill-switch lock (default: block, seed 004's auto-pause, 1 h). */
  risk?: Partial<Omit<RiskPolicy, 'limits'>>;
  /** History bars used to warm the indicators up (default 1,000). */
  warmupBars?: number;
  now?: () => number;
  /** Loads a strategy's signal-quality model by the name in options.ml.model (throws with the reason). */
  loadModel?: (name: string) => SignalModel;
  /** The decision log, a JSON line at a time (engine/core/decision-log.ts): the lines a backtest writes for the same bars. */
  decisionLog?: (line: string) => void;
  /** The platform's LLM supervisor, asked about entries that hit a trigger (docs/ML.md). */
  supervisor?: { evaluate(context: Record<string, unknown>): Promise<SupervisorDecision> };
}

/** How long an anomaly keeps counting for triggers and for enforce-mode entries, s. */
const ANOMALY_HOLD_SEC = 300;
/** How long an entry the supervisor wants confirmed waits for the trader, s. */
export const CONFIRMATION_TTL_SEC = 120;

export interface PendingConfirmation {
  intentId: string;
  strategyId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  volume: number;
  sl: number;
  tp: number;
  reason: string;
  risks: string[];
  askedAt: number;
  expiresAt: number;
  /** the entry price (ask for a buy, bid for a sell) when it was decided: SL/TP keep their distance from it */
  decidedPrice?: number;
}

const NO_POSITIONS: readonly Position[] = Object.freeze([]);

/**
 * Events: 'decision' (strategyId, Decision), 'sent' (strategyId, IntentBody: an intent of a strategy leaves),
 * 'intent' (strategyId, IntentBody, IntentResult | Error), 'blocked' (strategyId, failures), 'kill' (KillSwitchEvent),
 * 'breach' (BreachDecision), 'alert' (message).
 */
export class StrategyManager extends EventEmitter {
  private readonly strategies = new Map<string, Running>();
  private terminal: Terminal | undefined;
  /** The trading core: the strategies' runners, the risk gate, the order manager — and their state. */
  readonly core: TradingCore;
  private readonly now: () => number;
  private readonly specs = new Map<string, SymbolSpec>();
  private bid = new Map<string, number>();
  private ask = new Map<string, number>();
  /** Open positions by ticket as last reported (magic and volume: a deal names only its position). */
  private known = new Map<bigint, { magic: number; volume: number }>();
  /** The venue as the risk gate reads it (the terminal's account, positions, margin and hours). */
  private readonly venue: VenueFacts;
  /** The closes of the bars the host receives: the correlation filter and limit read them. */
  private readonly closes = new MarketCloses();
  private readonly spreadGuards = new Map<string, AnomalyGuard>();
  private readonly orderGuard = new AnomalyGuard();
  private readonly confirmations = new Map<string, { p: PendingConfirmation; intent: Extract<IntentBody, { type: 'OPEN' }> }>();
  private readonly confirmed = new Map<string, 'confirmed' | 'rejected'>();
  /** recent anomalies, newest last: symbol '' = account-wide (latency, rejects) */
  readonly anomalies: { at: number; symbol: string; anomaly: Anomaly }[] = [];

  constructor(private readonly store: Store, private readonly log: Logger, private opts: ManagerOptions = {}) {
    super();
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    const policy: RiskPolicy = { ...NO_POLICY, autoPause: DEFAULT_AUTO_PAUSE, ...opts.risk, limits: {} };
    this.core = new TradingCore(policy, undefined, store.readCoreState() as CoreState | undefined);
    const safety = store.data.safety;
    if (safety) {
      // the lock and limits of a host before the core kept them (and the limits set since, which live here)
      if (safety.lockedUntil > this.core.gate.state.killSwitch.lockedUntil) this.core.gate.lock(0, safety.reason, safety.lockedUntil);
      if (safety.limits && !opts.limits) this.opts = { ...opts, limits: safety.limits as unknown as RiskLimits };
    }
    this.venue = {
      now: 0,
      account: () => {
        const a = this.terminal?.account;
        return a ? { balance: a.balance, equity: a.equity, freeMargin: a.freeMargin } : { balance: 0, equity: 0, freeMargin: 0 };
      },
      positions: () => this.terminal?.positions ?? NO_POSITIONS,
      marginFor: (symbol, volume, side) => {
        const spec = this.specs.get(symbol), a = this.terminal?.account;
        const price = (side === 0 ? this.ask.get(symbol) : this.bid.get(symbol)) ?? 0;
        // estimated from the spec where the currencies make it exact; otherwise the broker's 10019 decides
        return spec && a ? (marginEstimate(spec, a, volume, price) ?? 0) : 0;
      },
      marketOpen: (symbol) => {
        const spec = this.specs.get(symbol);
        return spec ? sessionOpenAt(spec.sessions, this.terminal?.serverTime ?? 0) : true;
      },
      correlations: (symbol) => this.closes.correlations(symbol, (this.terminal?.positions ?? []).map((p) => p.symbol)),
    };
    // restore: every persisted strategy comes back in the state it was left in
    for (const r of Object.values(store.data.strategies)) {
      try {
        this.strategies.set(r.id, { record: r, strategy: normalizeStrategy(r.parameters), runner: undefined });
      } catch (e) {
        this.log.error({ strategyId: r.id, err: (e as Error).message }, 'a stored strategy no longer validates: not restored');
      }
    }
  }

  /** The account limits in force: set by the trader (UPDATE_RISK_LIMITS, config), else by the account type. */
  limits(): RiskLimits {
    return this.opts.limits ?? DEFAULT_LIMITS[this.terminal?.account?.tradeMode === 2 ? 'live' : 'demo'];
  }

  /** The kill switch as the core holds it. */
  get killSwitch(): { lockedUntil: number; lastReason: string; locked(now: number): boolean } {
    const k = this.core.gate.state.killSwitch;
    return { lockedUntil: this.toUnix(k.lockedUntil), lastReason: k.reason, locked: () => this.core.gate.locked(this.serverNow()) };
  }

  /**
   * The risk gate's clock: the broker's server time (its day is the broker day), from the terminal; this.now()
   * when none is connected. The kill-switch lock is kept in it; what the host reports is converted to Unix time.
   */
  private serverNow(): number {
    return this.terminal?.serverTime || this.now();
  }

  /** A server time as Unix time (0 stays 0). */
  private toUnix(serverSec: number): number {
    return serverSec ? serverSec - (this.serverNow() - this.now()) : 0;
  }

  /** The venue's facts at this moment (the clock of the terminal). */
  private venueNow(): VenueFacts {
    this.venue.now = this.terminal?.serverTime || this.now();
    this.core.gate.policy.limits = this.limits(); // by the account type until the trader sets them
    return this.venue;
  }

  private persistScheduled = false;

  /**
   * Write the core's state when it changed (its own file, atomically), once per turn of the event loop: the changes
   * of one bar, one account report or one burst of results make one write. A failure is logged; trading goes on.
   */
  private persistCore(): void {
    if (this.persistScheduled) return;
    this.persistScheduled = true;
    setImmediate(() => {
      this.persistScheduled = false;
      this.persistCoreNow();
    });
  }

  private persistCoreNow(): void {
    const st = this.core.changedState();
    if (!st) return;
    try {
      this.store.writeCoreState(st);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'the trading core\'s state could not be written: a restart now would lose today\'s risk baselines');
    }
  }

  /** Do what a core step asks: log refusals and alerts, mirror pauses and stops, send intents. */
  private carryOut(step: CoreStep, time?: number): void {
    if (this.opts.decisionLog && time !== undefined) {
      const line = stepLogLine(time, step);
      if (line) this.opts.decisionLog(line);
    }
    for (const r of step.refused) {
      this.log.warn({ strategyId: r.strategyId, intentId: r.intentId, failures: r.failures }, 'order blocked by the risk gate');
      this.emit('blocked', r.strategyId, r.failures);
    }
    for (const a of step.alerts) this.alert(a);
    // act first: the intents (a breach's closes, CLOSE_ALL) leave, then the records are written
    for (const item of step.send) this.send(item.strategyId, item.intent);
    for (const b of step.breaches) {
      this.log.warn({ action: b.action, strategyId: b.strategyId, reason: b.reason }, `risk breach: ${b.action}`);
      this.emit('breach', b);
      const ids = b.strategyId !== undefined ? [b.strategyId] : [...this.strategies.keys()];
      for (const id of ids) {
        const r = this.strategies.get(id);
        if (!r || r.record.status === 'stopped') continue;
        r.record = { ...r.record, status: b.action === 'emergency_stop' ? 'stopped' : 'paused', updatedAt: this.now() };
        if (b.action === 'emergency_stop') r.runner = undefined;
        this.store.putStrategy(r.record).catch((e: Error) => this.log.error({ strategyId: id, err: e.message }, 'a strategy stopped by a risk breach could not be recorded'));
      }
      try {
        this.store.audit(this.now(), 'risk breach', b);
        if (b.action === 'emergency_stop') {
          const k = this.core.gate.state.killSwitch;
          this.store.data.safety = { ...this.store.data.safety, lockedUntil: k.lockedUntil, reason: k.reason };
        }
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'a risk breach could not be recorded');
      }
      if (b.action === 'emergency_stop') {
        const k = this.core.gate.state.killSwitch;
        this.emit('kill', { reason: b.reason, at: this.now(), lockedUntil: this.toUnix(k.lockedUntil), actions: ['stop_all_strategies', 'close_all_positions_and_delete_orders', 'notify_platform'] } satisfies KillSwitchEvent);
      }
    }
    if (step.breaches.length) this.changed();
  }

  private alert(message: string): void {
    this.log.error({ alert: message }, 'ALERT');
    this.store.audit(this.now(), 'alert', { message });
    this.emit('alert', message);
  }

  /** Drive strategies on this terminal (call once; the Terminal object outlives reconnections). */
  attach(t: Terminal): void {
    this.terminal = t;
    t.on('connected', () => void this.onConnected());
    t.on('ticks', (m: Msg<'TICKS'>) => {
      const last = m.ticks[m.ticks.length - 1]!;
      this.bid.set(m.symbol, last[1]);
      this.ask.set(m.symbol, last[2]);
      const spec = this.specs.get(m.symbol);
      if (spec) {
        let g = this.spreadGuards.get(m.symbol);
        if (!g) this.spreadGuards.set(m.symbol, (g = new AnomalyGuard()));
        this.noteAnomaly(m.symbol, g.spread(Math.round((last[2] - last[1]) / spec.point)));
      }
    });
    t.on('account', (a: Account) => {
      // the account's baselines (broker day, equity peak) and its breaches, in the core
      this.core.gate.policy.limits = this.limits();
      const step = this.core.observeAccount(a.serverTime, a.balance, a.equity, () => t.positions);
      if (step) this.carryOut(step, a.serverTime);
      this.persistCore();
    });
    // every settled result — answers, late answers, and the reconciliation's after a reconnection — reaches the
    // core (an intent answered twice is settled once: the second finds nothing in flight)
    t.on('result', (r: IntentResult) => {
      if (!this.core.orders.tracks(r.intentId)) return;
      const after = this.core.onResult(r.intentId, r.class, r.retcode, r.comment);
      if (after) for (const a of after.alerts) this.alert(a);
      this.persistCore();
    });
    t.on('positions', (list: readonly Position[]) => {
      const now = new Map<bigint, { magic: number; volume: number }>();
      for (const p of list) now.set(p.ticket, { magic: p.magic, volume: p.volume });
      for (const k of this.known.keys()) if (!now.has(k)) this.core.positionGone(k);
      this.known = now;
    });
    t.on('tx', (tx: Msg<'TRADE_TX'>) => {
      // a deal's money reaches the risk gate (the strategy's daily loss, auto-pause): a closing deal's profit, swap
      // and commission as a closed trade, an entry's commission as a cost
      if (tx.txType !== TRADE_TRANSACTION.DEAL_ADD) return;
      const closing = tx.dealEntry === DEAL_ENTRY.OUT || tx.dealEntry === DEAL_ENTRY.INOUT || tx.dealEntry === DEAL_ENTRY.OUT_BY;
      const k = this.known.get(tx.position);
      const magic = k?.magic ?? tx.magic; // a manual close's deal carries magic 0: the position's magic says whose it was
      if (magic === undefined) return;
      const time = Math.floor(tx.timeMsc / 1000);
      if (!closing) {
        if (tx.dealEntry === DEAL_ENTRY.IN && tx.commission) this.core.observeCost(magic, time, tx.commission);
        this.persistCore();
        return;
      }
      const stillOpen = k !== undefined && k.volume - tx.volume > 1e-9;
      const step = this.core.observeClosed(magic, tx.position, time, (tx.profit ?? 0) + (tx.swap ?? 0) + (tx.commission ?? 0), stillOpen, () => t.positions);
      if (step) this.carryOut(step, time);
      this.persistCore();
    });
    t.on('bar', (m: Msg<'BAR'>) => {
      this.closes.note(m.symbol, m.timeframe, m.bar[0], m.bar[4]);
      this.onBar(m);
    });
    if (t.connected) void this.onConnected();
  }

  list(): StrategyRecord[] {
    return [...this.strategies.values()].map((r) => r.record);
  }

  get(id: string): Running | undefined {
    return this.strategies.get(id);
  }

  /** START_STRATEGY. The same id again restarts it with the new parameters (never two copies). */
  async start(parameters: unknown): Promise<StrategyRecord> {
    if (this.core.gate.locked(this.serverNow())) throw new ManagerError('LOCKED', `trading is locked by the kill switch until ${new Date(this.toUnix(this.core.gate.state.killSwitch.lockedUntil) * 1000).toISOString()}`);
    const strategy = normalizeStrategy(parameters); // throws StrategyError with every problem
    const record: StrategyRecord = { id: strategy.id, parameters, status: 'running', updatedAt: this.now() };
    this.core.resume(strategy.id); // a start is the trader's decision: a pause or stop by the risk gate ends here
    this.strategies.set(strategy.id, { record, strategy, runner: undefined });
    this.changed();
    await this.store.putStrategy(record);
    this.log.info({ strategyId: strategy.id, symbol: strategy.symbol, timeframe: strategy.timeframe }, 'strategy started');
    await this.prepare(strategy.id);
    return record;
  }

  /** STOP_STRATEGY, closing its positions when asked. */
  async stop(id: string, closePositions: boolean): Promise<IntentResult[]> {
    const r = this.must(id);
    r.record = { ...r.record, status: 'stopped', updatedAt: this.now() };
    r.runner = undefined;
    this.core.remove(id);
    this.changed();
    await this.store.putStrategy(r.record);
    const closed = closePositions ? await this.closePositionsOf(r) : [];
    this.log.info({ strategyId: id, closePositions, closed: closed.length }, 'strategy stopped');
    this.resubscribe();
    return closed;
  }

  async pause(id: string): Promise<void> {
    const r = this.must(id);
    if (r.record.status !== 'running') throw new ManagerError('STATE', `strategy ${id} is ${r.record.status}, not running`);
    r.record = { ...r.record, status: 'paused', updatedAt: this.now() };
    await this.store.putStrategy(r.record);
  }

  async resume(id: string): Promise<void> {
    const r = this.must(id);
    if (r.record.status !== 'paused') throw new ManagerError('STATE', `strategy ${id} is ${r.record.status}, not paused`);
    if (this.core.gate.locked(this.serverNow())) throw new ManagerError('LOCKED', 'trading is locked by the kill switch');
    r.record = { ...r.record, status: 'running', updatedAt: this.now() };
    this.core.resume(id); // a pause by the risk gate (auto-pause, a breach) ends with the trader's resume
    this.persistCore();
    await this.store.putStrategy(r.record);
    if (!r.runner) await this.prepare(id);
  }

  /** UPDATE_STRATEGY: new parameters for the same id; positions stay (same magic), indicators warm up again. */
  async update(id: string, parameters: unknown): Promise<void> {
    const r = this.must(id);
    const strategy = normalizeStrategy(parameters);
    if (strategy.id !== id) throw new ManagerError('INVALID', `the parameters are for strategy ${strategy.id}, not ${id}`);
    r.strategy = strategy;
    r.record = { ...r.record, parameters, updatedAt: this.now() };
    r.runner = undefined;
    this.changed();
    await this.store.putStrategy(r.record);
    if (r.record.status !== 'stopped') await this.prepare(id);
  }

  /** A real delete (the old executor could only mark strategies stopped). A running strategy is stopped first. */
  async delete(id: string, closePositions = false): Promise<void> {
    const r = this.must(id);
    if (r.record.status !== 'stopped') await this.stop(id, closePositions);
    this.strategies.delete(id);
    this.changed();
    await this.store.deleteStrategy(id, this.now());
  }

  /**
   * EMERGENCY_STOP: stop every strategy, close every position and delete pending orders (CLOSE_ALL), lock
   * trading for the lock period, and tell the platform (the 'kill' event).
   */
  async emergencyStop(reason: string, lockSec?: number): Promise<{ event: KillSwitchEvent; result: IntentResult | Error | undefined }> {
    const at = this.now();
    const k = this.core.emergencyStop(this.serverNow(), reason, lockSec);
    const event: KillSwitchEvent = { reason, at, lockedUntil: this.toUnix(k.lockedUntil), actions: ['stop_all_strategies', 'close_all_positions_and_delete_orders', 'notify_platform'] };
    this.log.warn({ reason, lockedUntil: event.lockedUntil }, 'KILL SWITCH: stopping every strategy, closing everything');
    // act first: the strategies stop deciding and CLOSE_ALL leaves; the records and the state are written after
    for (const r of this.strategies.values()) if (r.record.status !== 'stopped') r.runner = undefined;
    let sent: Promise<IntentResult> | undefined;
    if (this.terminal) sent = this.terminal.sendIntent({ ...k.send.intent, intentId: `kill-${at.toString(36)}` } as IntentBody);
    const failures: string[] = [];
    for (const r of this.strategies.values()) {
      if (r.record.status === 'stopped') continue;
      r.record = { ...r.record, status: 'stopped', updatedAt: this.now() };
      try {
        await this.store.putStrategy(r.record);
      } catch (e) {
        failures.push(`strategy ${r.record.id}: ${(e as Error).message}`);
      }
    }
    this.changed();
    try {
      this.store.audit(at, 'kill switch', { reason, lockedUntil: event.lockedUntil });
      this.store.data.safety = { ...this.store.data.safety, lockedUntil: event.lockedUntil, reason };
      this.persistCoreNow();
      await this.store.write();
    } catch (e) {
      failures.push(`state: ${(e as Error).message}`);
    }
    if (failures.length) this.log.error({ failures }, 'the emergency stop acted, but recording it failed');
    let result: IntentResult | Error | undefined;
    if (sent) {
      try {
        result = await sent;
      } catch (e) {
        result = e as Error;
      }
    }
    this.emit('kill', event);
    return { event, result };
  }

  /** Manual orders (OPEN_POSITION …) pass the same validator and lock as the strategies' own. */
  async manualIntent(intent: IntentBody): Promise<IntentResult> {
    const t = this.terminal;
    if (!t?.connected) throw new ManagerError('NO_TERMINAL', 'no terminal is connected');
    // an intent already in the ledger was checked when it was first sent (a command finished after a restart)
    if (intent.type === 'OPEN' && !t.intentEntry(intent.intentId)) {
      const failures = this.core.checkEntry('manual', intent, this.venueNow());
      if (failures.length) throw new ManagerError('LOCKED', failures.map((f) => `${f.code}: ${f.message}`).join('; '));
    }
    return t.sendIntent(intent);
  }

  /** The result of a manual intent that outlived its wait (see Terminal.whenSettled). */
  settledResult(intentId: string): Promise<IntentResult> {
    const t = this.terminal;
    if (!t) return Promise.reject(new ManagerError('NO_TERMINAL', 'no terminal is connected'));
    return t.whenSettled(intentId);
  }

  /** UPDATE_RISK_LIMITS: merge over the current limits (by default the account type's); returns the limits now in force. */
  setLimits(patch: { [K in keyof RiskLimits]?: RiskLimits[K] | undefined }): RiskLimits {
    const next: RiskLimits = { ...this.limits() };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    this.opts.limits = next;
    this.store.audit(this.now(), 'risk limits', next);
    this.store.data.safety = { lockedUntil: this.store.data.safety?.lockedUntil ?? 0, reason: this.store.data.safety?.reason ?? '', limits: { ...next } };
    return next;
  }

  /** The attached terminal's account, as last reported by the EA. */
  account(): Account | undefined {
    return this.terminal?.account;
  }

  /** The attached terminal's open positions, as last reported by the EA. */
  positions(): readonly Position[] {
    return this.terminal?.positions ?? [];
  }

  /** STATUS_REQUEST. */
  status(): Record<string, unknown> {
    const t = this.terminal;
    const a = t?.account;
    return {
      terminalConnected: t?.connected ?? false,
      account: a ? { login: a.login, currency: a.currency, balance: a.balance, equity: a.equity, freeMargin: a.freeMargin, tradeMode: a.tradeMode } : null,
      strategies: this.list().map((r) => ({ id: r.id, status: r.status })),
      positions: t?.positions.length ?? 0,
      killSwitch: { locked: this.core.gate.locked(this.serverNow()), lockedUntil: this.toUnix(this.core.gate.state.killSwitch.lockedUntil) || null },
      ...(a ? { risk: { limits: this.limits(), ...this.core.gate.usage(t?.serverTime || this.now(), a.equity) } } : {}),
    };
  }

  /** PERFORMANCE_REQUEST: account figures and each strategy's open positions and floating profit. */
  performance(): Record<string, unknown> {
    const t = this.terminal;
    const a = t?.account;
    const per = [...this.strategies.values()].map((r) => {
      const magic = strategyMagic(r.strategy);
      const mine = t?.positions.filter((p) => p.magic === magic) ?? [];
      return { id: r.record.id, status: r.record.status, openPositions: mine.length, floatingProfit: Math.round(mine.reduce((x, p) => x + p.profit + p.swap, 0) * 100) / 100 };
    });
    return {
      account: a ? { balance: a.balance, equity: a.equity, profit: a.profit, margin: a.margin, marginLevel: a.marginLevel } : null,
      dayStartBalance: this.core.gate.state.day >= 0 ? this.core.gate.state.dayStartBalance : null,
      strategies: per,
    };
  }

  // ------------------------------------------------------------------------------------------ internals

  private must(id: string): Running {
    const r = this.strategies.get(id);
    if (!r) throw new ManagerError('NOT_FOUND', `no strategy ${id}`);
    return r;
  }

  private resubscribe(): void {
    const t = this.terminal;
    if (!t) return;
    const active = [...this.strategies.values()].filter((r) => r.record.status !== 'stopped');
    const symbols = [...new Set(active.map((r) => r.strategy.symbol))];
    const bars = [...new Set(active.map((r) => `${r.strategy.symbol}|${r.strategy.timeframe}`))].map((k) => k.split('|') as [string, Timeframe]);
    t.subscribe(symbols, bars);
  }

  private async onConnected(): Promise<void> {
    this.resubscribe();
    for (const [id, r] of this.strategies) if (r.record.status !== 'stopped') await this.prepare(id, true);
  }

  /** Build the runner and warm it up on the terminal's history. */
  private async prepare(id: string, force = false): Promise<void> {
    const r = this.strategies.get(id);
    const t = this.terminal;
    if (!r || !t?.connected || (r.runner && !force)) {
      this.resubscribe();
      return;
    }
    this.resubscribe();
    const s = r.strategy;
    try {
      const spec = await t.spec(s.symbol);
      this.specs.set(s.symbol, spec);
      let model: SignalModel | undefined;
      const ml = s.options.ml;
      if (ml && ml.mode !== 'off' && ml.model) {
        try {
          if (!this.opts.loadModel) throw new Error('this host has no model folder configured');
          model = this.opts.loadModel(ml.model);
          this.log.info({ strategyId: id, model: ml.model, modelVersion: model.version, mode: ml.mode }, 'ML model loaded');
        } catch (e) {
          this.log.error({ strategyId: id, model: ml.model, mode: ml.mode, err: (e as Error).message }, ml.mode === 'enforce' ? 'ML model not loaded: enforce mode refuses this strategy\'s entries until it is' : 'ML model not loaded: observe mode logs no scores');
        }
      }
      // no traces while deciding: onBar builds them after the bar's intents are out (see onBar)
      const runner = new StrategyRunner(s, spec, undefined, { trace: false, hub: this.indicators, ...(model ? { model } : {}) }); // shared-indicators: hub
      const n = this.opts.warmupBars ?? 1000;
      const now = t.serverTime || this.now();
      const period = TIMEFRAME_SECONDS[s.timeframe];
      const h = await t.history(s.symbol, s.timeframe, now - n * period * 2, n * 2);
      const hist = h.bars.slice(-n);
      for (let i = 0; i < hist.length; i++) {
        const [time, open, high, low, close, tickVolume, , realVolume] = hist[i]!;
        runner.warm({ time, open, high, low, close, tickVolume, realVolume });
        this.closes.note(s.symbol, s.timeframe, time, close);
        // the rules judged on the last bars too (the result dropped; judging changes nothing): the first live
        // bar then runs them compiled and warm instead of compiling them while its orders wait
        if (i >= hist.length - 20) runner.evaluator.evaluateFast(time + period);
      }
      r.runner = runner;
      this.core.add(id, runner);
      this.changed();
      this.log.info({ strategyId: id, warmBars: Math.min(n, h.bars.length), magic: runner.magic }, 'strategy ready');
    } catch (e) {
      this.log.error({ strategyId: id, err: (e as Error).message }, 'strategy could not be prepared; it will retry on the next connection');
    }
  }

  /** shared-indicators: one hub for the host — strategies computing the same indicators on the same bars share them (engine/indicator-hub.ts). */
  private readonly indicators = new IndicatorHub();
  /** Magic number → strategy id of the prepared strategies (rebuilt after a runner comes or goes). */
  private magicIndex: Map<number, string> | null = null;
  /** The terminal's positions as the pre-trade checks read them, for one positions list (the terminal replaces it on every change). */
  private checkedPositions: { of: readonly Position[]; list: { symbol: string; strategyId: string; volume: number }[] } | null = null;

  /** The terminal's positions by magic number, for one positions list (read-only: shared by the strategies of a bar). */
  private byMagic: { of: readonly Position[]; map: Map<number, Position[]> } | null = null;

  private positionsWithMagic(positions: readonly Position[], magic: number): readonly Position[] {
    let c = this.byMagic;
    if (c?.of !== positions) {
      const map = new Map<number, Position[]>();
      for (const p of positions) {
        const l = map.get(p.magic);
        if (l) l.push(p);
        else map.set(p.magic, [p]);
      }
      this.byMagic = c = { of: positions, map };
    }
    return c.map.get(magic) ?? NO_POSITIONS;
  }

  private positionsByStrategy(positions: readonly Position[]): { symbol: string; strategyId: string; volume: number }[] {
    if (this.checkedPositions?.of === positions && this.magicIndex) return this.checkedPositions.list;
    const magicOf = (this.magicIndex ??= new Map([...this.strategies.values()].flatMap((x) => (x.runner ? [[x.runner.magic, x.record.id] as const] : []))));
    const list = positions.map((p) => ({ symbol: p.symbol, strategyId: magicOf.get(p.magic) ?? `magic ${p.magic}`, volume: p.volume }));
    this.checkedPositions = { of: positions, list };
    return list;
  }
  /** Symbol → timeframe → the strategies on it, in start order (a bar visits only its own, not all of them). */
  private barIndex: Map<string, Map<string, [string, Running][]>> | null = null;

  /** A strategy came, went, or got new parameters or a new runner: the indexes are rebuilt when next needed. */
  private changed(): void {
    this.magicIndex = null;
    this.barIndex = null;
  }

  private strategiesOn(symbol: string, timeframe: string): [string, Running][] {
    if (!this.barIndex) {
      this.barIndex = new Map();
      for (const e of this.strategies) {
        const s = e[1].strategy;
        let bySym = this.barIndex.get(s.symbol);
        if (!bySym) this.barIndex.set(s.symbol, (bySym = new Map()));
        const list = bySym.get(s.timeframe);
        if (list) list.push(e);
        else bySym.set(s.timeframe, [e]);
      }
    }
    return this.barIndex.get(symbol)?.get(timeframe) ?? [];
  }

  /**
   * A closed bar: every strategy on its symbol and timeframe decides, and the intents go out first; the
   * decision traces, logs and events come after all of this bar's intents are sent (a trace costs as much as
   * the decision, and the fifth strategy's order should not wait for four traces and four log lines). The
   * traces are built from the same bars: nothing is pushed between the two passes.
   */
  private onBar(m: Msg<'BAR'>): void {
    const t = this.terminal!;
    const decided: { id: string; runner: StrategyRunner; d: Decision }[] = [];
    // the bar's intents leave together: one ledger write, then one socket write (Terminal.batch)
    t.batch(() => this.decideBar(m, decided));
    // second pass: the traces (same bars, same results as the decision) for the log and the 'decision' event
    for (const { id, runner, d } of decided) {
      if (d.evaluation.signal || d.intents.length) {
        d.evaluation = runner.evaluator.evaluate(d.time);
        const trace = d.evaluation.signal === 'BUY' ? d.evaluation.long : d.evaluation.signal === 'SELL' ? d.evaluation.short : d.evaluation.exit;
        this.log.info({ strategyId: id, signal: d.evaluation.signal, trace: trace ? formatTrace(trace) : [], filters: d.filters, refused: d.refused, notes: d.notes, ...(d.ml ? { ml: d.ml } : {}) }, 'decision');
      }
      this.emit('decision', id, d);
    }
  }

  private decideBar(m: Msg<'BAR'>, decided: { id: string; runner: StrategyRunner; d: Decision }[]): void {
    const [time, open, high, low, close, tickVolume, , realVolume] = m.bar;
    const t = this.terminal!;
    const venue = this.venueNow();
    for (const [id, r] of this.strategiesOn(m.symbol, m.timeframe)) {
      // a strategy the risk gate paused keeps managing its positions (the gate refuses its entries), as in the backtest
      if (!r.runner || (r.record.status !== 'running' && !(r.record.status === 'paused' && this.core.haltedReason(id)))) continue;
      const s = r.strategy;
      const runner = r.runner;
      const positions = this.positionsWithMagic(t.positions, runner.magic);
      const { decision: d, step } = this.core.onBar(id, { time, open, high, low, close, tickVolume, realVolume }, {
        bid: this.bid.get(s.symbol) ?? close, ask: this.ask.get(s.symbol) ?? close, positions,
        ...(t.account ? { equity: t.account.equity } : {}),
        ...(s.filters.correlation ? { correlation: { openSymbols: [...new Set(t.positions.map((p) => p.symbol))], closes: this.closes.of(s.timeframe) } } : {}),
      }, venue);
      decided.push({ id, runner, d });
      if (this.opts.decisionLog) {
        const line = decisionLogLine(id, d, step);
        if (line) this.opts.decisionLog(line);
      }
      for (const x of step.refused) {
        this.log.warn({ strategyId: id, intentId: x.intentId, failures: x.failures }, 'order blocked by the risk gate');
        this.emit('blocked', id, x.failures);
      }
      for (const a of step.alerts) this.alert(a);
      for (const { intent } of step.send) {
        if (intent.type === 'OPEN') {
          // what only a live host has: the anomaly guard and the platform's supervisor, after the core's gate
          const active = this.activeAnomalies(intent.symbol);
          if (active.length && s.options.ml?.mode === 'enforce') {
            this.log.warn({ strategyId: id, intentId: intent.intentId, anomalies: active.map((a) => a.detail) }, 'entry skipped: anomaly');
            this.emit('blocked', id, active.map((a) => ({ code: 'ANOMALY', message: a.detail })));
            this.core.onResult(intent.intentId, 'final', 0, 'skipped: anomaly');
            continue;
          }
          const triggers = this.supervisorTriggersFor(s, intent, d, active);
          if (triggers.length && this.opts.supervisor) {
            void this.supervise(id, s, intent, d, triggers, active);
            continue;
          }
        }
        this.send(id, intent);
      }
    }
    this.persistCore();
  }

  private send(id: string, intent: IntentBody): void {
    const t = this.terminal!;
    const t0 = performance.now();
    this.emit('sent', id, intent);
    t.sendIntent(intent).then(
      (res) => {
        const after = this.core.onResult(intent.intentId, res.class, res.retcode, res.comment);
        if (after) {
          for (const a of after.alerts) this.alert(a);
          if (after.outcome.kind === 'retry') this.log.warn({ strategyId: id, intentId: intent.intentId, retcode: res.retcode }, 'exit refused: it is sent again under a new id at the next decision');
          this.persistCore();
        }
        this.noteAnomaly('', this.orderGuard.latency(Math.round(performance.now() - t0)));
        this.noteAnomaly('', this.orderGuard.result(res.class !== 'done'));
        if (intent.type === 'OPEN' && intent.price === undefined && res.price !== undefined && res.class === 'done') {
          // slippage against the quote the decision saw, in points (adverse positive)
          const spec = this.specs.get(intent.symbol);
          const ref = intent.side === 0 ? res.ask : res.bid;
          if (spec && ref) this.noteAnomaly(intent.symbol, this.orderGuard.slippage(Math.round(((res.price - ref) * (intent.side === 0 ? 1 : -1)) / spec.point)));
        }
        this.emit('intent', id, intent, res);
      },
      (e: Error) => {
        // no answer in time: the ledger's reconciliation settles it later ('result'); a full close is tried again
        // at the next decision (a closed position answers 10036), anything else waits for that reconciliation
        if (intent.type === 'CLOSE' && intent.volume === 0) this.core.onResult(intent.intentId, 'ambiguous', 0, e.message);
        this.log.error({ strategyId: id, intentId: intent.intentId, err: e.message }, 'intent failed');
        this.emit('intent', id, intent, e);
      },
    );
  }

  private noteAnomaly(symbol: string, a: Anomaly | null): void {
    if (!a) return;
    this.anomalies.push({ at: this.now(), symbol, anomaly: a });
    if (this.anomalies.length > 200) this.anomalies.shift();
    this.log.warn({ symbol: symbol || undefined, anomaly: a.kind, value: a.value, limit: a.limit }, `anomaly: ${a.detail}`);
    this.emit('anomaly', symbol, a);
  }

  /** Anomalies of the last few minutes that concern entries on `symbol` (its spread, and account-wide ones). */
  activeAnomalies(symbol: string): Anomaly[] {
    const since = this.now() - ANOMALY_HOLD_SEC;
    return this.anomalies.filter((x) => x.at >= since && (x.symbol === symbol || x.symbol === '')).map((x) => x.anomaly);
  }

  private dailyLossPct(): number {
    const a = this.terminal?.account;
    return a ? Math.max(0, this.core.gate.usage(this.terminal?.serverTime || this.now(), a.equity).dailyLossPercent) : 0;
  }

  private supervisorTriggersFor(s: NormalizedStrategy, intent: Extract<IntentBody, { type: 'OPEN' }>, d: Decision, active: Anomaly[]): string[] {
    const limits = this.limits();
    const spec = this.specs.get(intent.symbol);
    const pip = spec ? pipSize(spec.digits, spec.point) : 0;
    const bid = this.bid.get(intent.symbol), ask = this.ask.get(intent.symbol);
    return supervisorTriggers({
      ...(pip && bid !== undefined && ask !== undefined && s.filters.spread ? { spreadPips: (ask - bid) / pip, maxSpreadPips: s.filters.spread.maxSpreadPips } : {}),
      ...(d.ml?.score !== null && d.ml?.score !== undefined ? { mlScore: d.ml.score } : {}),
      dailyLossPct: this.dailyLossPct(), dailyLossLimitPct: limits.maxDailyLossPercent ?? 0,
      anomalies: active.map((x) => x.kind),
    });
  }

  private async supervise(id: string, s: NormalizedStrategy, intent: Extract<IntentBody, { type: 'OPEN' }>, d: Decision, triggers: string[], active: Anomaly[]): Promise<void> {
    const limits = this.limits();
    const spec = this.specs.get(intent.symbol);
    const pip = spec ? pipSize(spec.digits, spec.point) : 1;
    const entry = intent.side === 0 ? this.ask.get(intent.symbol) : this.bid.get(intent.symbol);
    const exposure: Record<string, number> = {};
    for (const p of this.terminal?.positions ?? []) exposure[p.symbol] = Math.round(((exposure[p.symbol] ?? 0) + p.volume) * 100) / 100;
    // whitelisted again by the client (minimalContext): no tickets, account numbers or credentials
    const decision = await this.opts.supervisor!.evaluate({
      symbol: intent.symbol, timeframe: s.timeframe,
      proposedAction: {
        side: intent.side === 0 ? 'BUY' : 'SELL', volume: intent.volume,
        ...(entry !== undefined && intent.sl > 0 ? { slPips: Math.abs(entry - intent.sl) / pip } : {}),
        ...(entry !== undefined && intent.tp > 0 ? { tpPips: Math.abs(intent.tp - entry) / pip } : {}),
      },
      risk: { dailyLossPct: this.dailyLossPct(), dailyLossLimitPct: limits.maxDailyLossPercent ?? 0 },
      filters: Object.fromEntries(d.filters.map((f) => [f.filter, f.detail])),
      ml: { ...(d.ml?.score !== null && d.ml?.score !== undefined ? { score: d.ml.score } : {}), ...(d.ml?.regime ? { regime: d.ml.regime } : {}), anomalies: active.map((x) => x.kind) },
      positions: { count: this.terminal?.positions.length ?? 0, exposureBySymbol: exposure },
      triggers,
    });
    this.log.info({ strategyId: id, intentId: intent.intentId, triggers, action: decision.action, proceed: decision.proceed, mode: decision.mode, source: decision.source, policyVersion: decision.policyVersion, reason: decision.reason }, 'supervisor decision');
    this.emit('supervisor', id, intent, decision);
    if (decision.proceed) {
      // the world may have changed during the question (a stop, a pause, the kill switch, other entries): judge it again
      const r = this.strategies.get(id);
      const failures: SafetyFailure[] = r?.record.status !== 'running' || !r.runner
        ? [{ code: 'STRATEGY_PAUSED', message: `strategy ${id} is ${r?.record.status ?? 'gone'}` }]
        : this.core.checkEntry(id, intent, this.venueNow());
      if (failures.length) {
        this.core.onResult(intent.intentId, 'final', 0, 'refused after the supervisor\'s answer');
        this.log.warn({ strategyId: id, intentId: intent.intentId, failures }, 'entry allowed by the supervisor, refused by the risk gate now');
        this.emit('blocked', id, failures);
        return;
      }
      this.send(id, intent);
      return;
    }
    // not sent now: the core stops waiting for it (a confirmed entry is sent later as the trader's own order)
    this.core.onResult(intent.intentId, 'final', 0, decision.needsConfirmation ? 'waits for confirmation' : 'denied by the supervisor');
    if (decision.needsConfirmation) {
      const now = this.now();
      const p: PendingConfirmation = {
        intentId: intent.intentId, strategyId: id, symbol: intent.symbol, side: intent.side === 0 ? 'BUY' : 'SELL', volume: intent.volume,
        sl: intent.sl, tp: intent.tp, reason: decision.reason, risks: decision.risks, askedAt: now, expiresAt: now + CONFIRMATION_TTL_SEC,
        ...(entry !== undefined ? { decidedPrice: entry } : {}),
      };
      this.confirmations.set(intent.intentId, { p, intent });
      this.log.warn({ strategyId: id, intentId: intent.intentId, reason: decision.reason, expiresAt: p.expiresAt }, 'entry waits for the trader\'s confirmation (POST /confirmations/:intentId)');
      this.emit('confirmation', p);
    }
    this.emit('blocked', id, [{ code: decision.needsConfirmation ? 'SUPERVISOR_CONFIRM' : 'SUPERVISOR_DENY', message: decision.reason }]);
  }

  /** Entries waiting for the trader's confirmation (expired ones are dropped here). */
  pendingConfirmations(): PendingConfirmation[] {
    const now = this.now();
    for (const [k, v] of this.confirmations) if (v.p.expiresAt < now) this.confirmations.delete(k);
    return [...this.confirmations.values()].map((v) => v.p);
  }

  /**
   * The trader answers a confirmation: `true` sends the entry (after the pre-trade checks again: limits and
   * prices may have moved), `false` drops it. A repeated answer returns the first one.
   */
  async answerConfirmation(intentId: string, confirm: boolean): Promise<{ intentId: string; answer: 'confirmed' | 'rejected'; result?: IntentResult }> {
    const done = this.confirmed.get(intentId);
    if (done) return { intentId, answer: done };
    const waiting = this.confirmations.get(intentId);
    if (!waiting || waiting.p.expiresAt < this.now()) {
      this.confirmations.delete(intentId);
      throw new ManagerError('NOT_FOUND', `no entry ${intentId} waits for confirmation (they expire after ${CONFIRMATION_TTL_SEC} s)`);
    }
    this.confirmations.delete(intentId);
    if (!confirm) {
      this.confirmed.set(intentId, 'rejected');
      this.log.info({ strategyId: waiting.p.strategyId, intentId }, 'entry rejected by the trader');
      return { intentId, answer: 'rejected' };
    }
    if (!this.terminal?.connected) {
      this.confirmations.set(intentId, waiting);
      throw new ManagerError('NO_TERMINAL', 'no terminal connected: the entry keeps waiting');
    }
    const rec = this.strategies.get(waiting.p.strategyId)?.record;
    const failures: SafetyFailure[] = rec && rec.status !== 'running'
      ? [{ code: 'STRATEGY_PAUSED', message: `strategy ${rec.id} is ${rec.status}` }]
      : this.core.checkEntry(waiting.p.strategyId, waiting.intent, this.venueNow());
    if (failures.length) {
      this.confirmed.set(intentId, 'rejected');
      throw new ManagerError('STATE', `the pre-trade checks refuse it now: ${failures.map((f) => f.message).join('; ')}`);
    }
    // the price has moved since the decision: SL and TP keep their distances from the entry
    let intent = waiting.intent;
    const spec = this.specs.get(intent.symbol);
    const nowPrice = intent.side === 0 ? this.ask.get(intent.symbol) : this.bid.get(intent.symbol);
    if (spec && nowPrice !== undefined && waiting.p.decidedPrice !== undefined && nowPrice !== waiting.p.decidedPrice) {
      const shift = nowPrice - waiting.p.decidedPrice;
      const move = (x: number) => (x > 0 ? roundPrice(x + shift, spec.tickSize, spec.digits) : 0);
      intent = { ...intent, sl: move(intent.sl), tp: move(intent.tp) };
      this.log.info({ intentId, decidedPrice: waiting.p.decidedPrice, price: nowPrice, sl: intent.sl, tp: intent.tp }, 'SL/TP moved with the price since the decision');
    }
    this.confirmed.set(intentId, 'confirmed');
    this.log.info({ strategyId: waiting.p.strategyId, intentId }, 'entry confirmed by the trader: sent');
    const result = await this.terminal.sendIntent(intent);
    this.emit('intent', waiting.p.strategyId, waiting.intent, result);
    return { intentId, answer: 'confirmed', result };
  }

  private async closePositionsOf(r: Running): Promise<IntentResult[]> {
    const t = this.terminal;
    if (!t?.connected) return [];
    const magic = strategyMagic(r.strategy);
    const mine = t.positions.filter((p) => p.magic === magic);
    const out: IntentResult[] = [];
    for (const p of mine) {
      out.push(await t.sendIntent({ type: 'CLOSE', intentId: `stop-${p.ticket.toString(36)}`, magic, ticket: p.ticket, volume: 0, deviation: 50 }));
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------ read-only views (the dashboard)

  /** The terminal this manager drives, once one has connected. */
  attachedTerminal(): Terminal | undefined {
    return this.terminal;
  }

  /** The risk limits in force and the figures the pre-trade checks judge them on. */
  riskView(): { limits: RiskLimits; dayStartBalance: number | null; equityPeak: number; dailyLossPct: number } {
    const a = this.terminal?.account;
    const g = this.core.gate.state;
    return {
      limits: { ...this.limits() },
      dayStartBalance: g.day >= 0 ? g.dayStartBalance : null,
      equityPeak: Math.max(g.equityPeak, a?.equity ?? 0),
      dailyLossPct: this.dailyLossPct(),
    };
  }

  /** End the kill switch's lock early (an operator's decision; stopped strategies stay stopped). */
  releaseKillSwitch(): void {
    this.core.unlockKillSwitch();
    this.store.data.safety = { ...this.store.data.safety, lockedUntil: 0, reason: this.store.data.safety?.reason ?? '' };
    this.persistCoreNow();
  }
}
