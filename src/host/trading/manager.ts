/**
 * The strategy manager: runs the platform's strategies on one terminal (one MT5 account). Strategies are persisted
 * (start, stop, pause, resume, update, a real delete) and running ones are restored when the host restarts. On a
 * terminal connection it subscribes the symbols and timeframes the running strategies need and warms their
 * indicators up on history; then the trading core decides on every closed bar (src/engine/core, as in the
 * backtest and the paper run). Its parts, in src/host/trading/:
 *  - market-feed.ts: quotes, contract facts, closes, forming bars, the broker's clock;
 *  - core-driver.ts: the core's driver — the terminal's facts in, the core's intents out, its state persisted;
 *  - supervision.ts: the anomaly guard, the platform's LLM supervisor and the trader's confirmations.
 *  - emergency-stop.ts: the kill switch's EMERGENCY_STOP; views.ts: STATUS_REQUEST, PERFORMANCE_REQUEST, the risk view.
 * This file is the strategies' registry and lifecycle, manual orders, and the context its parts share.
 */
import { EventEmitter } from 'node:events';
import { DEFAULT_AUTO_PAUSE, DEFAULT_LIMITS, type KillSwitchEvent, type RiskLimits } from '../../engine/safety.js';
import { StrategyRunner, strategyMagic } from '../../engine/runner.js';
import { IndicatorHub } from '../../engine/indicator-hub.js';
import { NO_POLICY, type RiskPolicy } from '../../engine/core/risk-gate.js';
import { TradingCore, type CoreState, type VenueFacts } from '../../engine/core/trading-core.js';
import type { Anomaly } from '../../engine/ml/regime.js';
import type { BrokerTimeZone, OffsetObservation } from '../../engine/time/broker-time.js';
import { normalizeStrategy, type NormalizedStrategy } from '../../engine/strategy/normalize.js';
import type { Account, IntentBody, IntentResult, Position } from '../../protocol/messages.js';
import type { Terminal } from '../bridge/server.js';
import type { Logger } from '../logger.js';
import type { Store, StrategyRecord } from '../state/store.js';
import { ManagerError, type ManagerOptions, type Running, type TradingContext } from './context.js';
import { ConnectionWaits, type ConnectionWait } from './connection-waits.js';
import { CoreDriver } from './core-driver.js';
import { MarketFeed, type ZoneView } from './market-feed.js';
import { Supervision, type AnomalyPolicy, type PendingConfirmation } from './supervision.js';
import { loadStrategyModel } from './strategy-model.js';
import { liveVenueFacts } from './venue-facts.js';
import { emergencyStop } from './emergency-stop.js';
import { performanceView, riskView, statusView } from './views.js';

export { ManagerError, type ManagerOptions } from './context.js';
export { CONFIRMATION_TTL_SEC, type PendingConfirmation } from './supervision.js';

/** What the live host adds to the manager's options: the broker's zone, intrabar pacing, the anomaly guard's actions. */
export interface LiveOptions {
  /** The broker's time zone as configured (config `broker.timeZone`); inferred from the terminal when absent. */
  brokerZone?: BrokerTimeZone;
  /** How often an intrabar strategy is judged on its forming bar at most, ms (default 1,000). */
  intrabarMs?: number;
  /** What each kind of anomaly does (default: log only; the live host's config defaults to skipping entries). */
  anomaly?: AnomalyPolicy;
}

/** How long one ask for the terminal's current state waits before an order (currentStateOf). */
const CURRENT_STATE_WAIT_MS = 3000;

/**
 * Events: 'decision' (strategyId, Decision), 'sent' (strategyId, IntentBody: an intent of a strategy leaves),
 * 'intent' (strategyId, IntentBody, IntentResult | Error), 'blocked' (strategyId, failures), 'kill' (KillSwitchEvent),
 * 'breach' (BreachDecision), 'alert' (message), 'anomaly' (symbol, Anomaly), 'supervisor', 'confirmation',
 * 'zone' (ZoneView: the broker's zone as inferred now), 'prepared' ({id}: a strategy's runner is warm and deciding),
 * 'prepareFailed' ({id, reason}: it could not be prepared).
 */
export class StrategyManager extends EventEmitter implements TradingContext {
  readonly strategies = new Map<string, Running>();
  private term: Terminal | undefined;
  /** The paper venue of `mode: paper` strategies (ManagerOptions.paperVenue), once a terminal is attached. */
  private paper: Terminal | undefined;
  /** The trading core: the strategies' runners, the risk gate, the order manager — and their state. */
  readonly core: TradingCore;
  readonly opts: ManagerOptions & LiveOptions;
  readonly market: MarketFeed;
  private readonly supervision: Supervision;
  private readonly driver: CoreDriver;
  private readonly clock: () => number;
  /** Indicators shared by the strategies that ask for the same one on the same bars (engine/indicator-hub.ts). */
  private readonly indicators = new IndicatorHub();
  /** The venue as the risk gate reads it (the terminal's account, positions, margin and hours). */
  private readonly venue: VenueFacts;

  constructor(readonly store: Store, readonly log: Logger, opts: ManagerOptions & LiveOptions = {}) {
    super();
    this.opts = { ...opts };
    this.clock = opts.now ?? (() => Math.floor(Date.now() / 1000));
    const policy: RiskPolicy = { ...NO_POLICY, autoPause: DEFAULT_AUTO_PAUSE, ...opts.risk, limits: {} };
    this.core = new TradingCore(policy, undefined, store.readCoreState() as CoreState | undefined);
    const safety = store.safety;
    if (safety) {
      // the lock and limits of a host before the core kept them (and the limits set since, which live here)
      if (safety.lockedUntil > this.core.gate.state.killSwitch.lockedUntil) this.core.gate.lock(0, safety.reason, safety.lockedUntil);
      if (safety.limits && !opts.limits) this.opts.limits = safety.limits as unknown as RiskLimits;
    }
    this.market = new MarketFeed((view, readings) => this.onZone(view, readings), store.readBrokerClock() as OffsetObservation[], opts.brokerZone);
    this.supervision = new Supervision(this, this.market, opts.anomaly);
    this.driver = new CoreDriver(this, this.market, this.supervision, opts.intrabarMs, () => this.zoneChanged());
    this.venue = liveVenueFacts(() => this.term, this.market);
    // restore: every persisted strategy comes back in the state it was left in
    for (const r of store.strategies()) {
      try {
        this.strategies.set(r.id, { record: r, strategy: normalizeStrategy(r.parameters), runner: undefined });
      } catch (e) {
        this.log.error({ strategyId: r.id, err: (e as Error).message }, 'a stored strategy no longer validates: not restored');
      }
    }
  }

  // ------------------------------------------------------------------ the context its parts share

  terminal(): Terminal | undefined {
    return this.term;
  }

  venueOf(s: NormalizedStrategy): Terminal | undefined {
    return s.mode !== 'paper' || this.isPaper() ? this.term : this.paper;
  }

  /** Paper trading: the whole host trades on paper (`start --paper`), or this strategy does (`mode: paper`). */
  isPaper(s?: NormalizedStrategy): boolean {
    return this.opts.paper === true || (this.term as { paper?: boolean } | undefined)?.paper === true || (s?.mode === 'paper' && this.paper !== undefined);
  }

  now(): number {
    return this.clock();
  }

  /** The account limits in force: set by the trader (UPDATE_RISK_LIMITS, config), else by the account type. */
  limits(): RiskLimits {
    return this.opts.limits ?? DEFAULT_LIMITS[this.term?.account?.tradeMode === 2 ? 'live' : 'demo'];
  }

  /**
   * The risk gate's clock: the broker's server time (its day is the broker day), from the terminal; now() when none
   * is connected. The kill-switch lock is kept in it; what the host reports is converted to Unix time.
   */
  serverNow(): number {
    return this.term?.serverTime || this.now();
  }

  toUnix(serverSec: number): number {
    return serverSec ? serverSec - (this.serverNow() - this.now()) : 0;
  }

  venueNow(): VenueFacts {
    this.venue.now = this.term?.serverTime || this.now();
    this.core.gate.policy.limits = this.limits(); // by the account type until the trader sets them
    return this.venue;
  }

  alert(message: string): void {
    this.log.error({ alert: message }, 'ALERT');
    this.store.audit(this.now(), 'alert', { message });
    this.emit('alert', message);
  }

  send(strategyId: string, intent: IntentBody): void {
    this.driver.send(strategyId, intent);
  }

  persistCore(): void {
    this.driver.persistCore();
  }

  changed(): void {
    this.driver.changed();
  }

  /** The kill switch as the core holds it. */
  get killSwitch(): { lockedUntil: number; lastReason: string; locked(now: number): boolean } {
    const k = this.core.gate.state.killSwitch;
    return { lockedUntil: this.toUnix(k.lockedUntil), lastReason: k.reason, locked: () => this.core.gate.locked(this.serverNow()) };
  }

  /** recent anomalies, newest last: symbol '' = account-wide (latency, rejects) */
  get anomalies(): { at: number; symbol: string; anomaly: Anomaly }[] {
    return this.supervision.anomalies;
  }

  // ------------------------------------------------------------------ the terminal

  /** Drive strategies on this terminal (call once; the Terminal object outlives reconnections). */
  attach(t: Terminal): void {
    this.term = t;
    t.on('connected', () => void this.onConnected());
    this.driver.listen(t);
    // ---- paper trading: strategies in mode paper trade on a venue of their own; its trades reach the core too
    const paper = this.opts.paperVenue?.(t);
    if (paper) this.driver.follow((this.paper = paper));
    // ---- end paper trading
    if (t.connected) void this.onConnected();
  }

  /**
   * Resolves 'connected' once this manager's terminal is connected (at once if it is), 'timeout' after `ms` without
   * one, 'stopping' when the host stops meanwhile (stopWaiting) — connection-waits.ts.
   */
  untilConnected(ms: number): Promise<ConnectionWait> {
    return this.term?.connected ? Promise.resolve('connected') : this.connectionWaits.wait(ms);
  }

  /** The host stops: whoever waits for a terminal is told so (the order is left for the next run, never failed). */
  stopWaiting(): void {
    this.connectionWaits.wake('stopping');
  }

  private readonly connectionWaits = new ConnectionWaits();

  private async onConnected(): Promise<void> {
    const t = this.term!;
    this.connectionWaits.wake('connected');
    if (t.hello && this.market.noteOffset(t.serverTime, t.hello.serverTimeOffset)) this.zoneChanged();
    this.resubscribe();
    for (const [id, r] of this.strategies) if (r.record.status !== 'stopped') await this.prepare(id, true);
  }

  /** The broker's zone changed (a DST switch told it apart, or a first reading): the session filters use it from now on. */
  private zoneChanged(): void {
    const z = this.market.zone();
    for (const r of this.strategies.values()) if (r.runner) r.runner.tz = z;
  }

  private onZone(view: ZoneView, readings: OffsetObservation[]): void {
    try {
      this.store.writeBrokerClock(readings);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'the broker\'s clock readings could not be written');
    }
    this.log.info({ zone: view.description, source: view.source, readings: view.readings }, 'broker time zone');
    this.emit('zone', view);
  }

  /** The broker's time zone the session filters use, and where it comes from. */
  brokerZone(): ZoneView {
    return this.market.zoneView();
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
    this.driver.persistCore();
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

  /** EMERGENCY_STOP (emergency-stop.ts). */
  emergencyStop(reason: string, lockSec?: number): Promise<{ event: KillSwitchEvent; result: IntentResult | Error | undefined }> {
    return emergencyStop(this, () => this.driver.persistCoreNow(), reason, lockSec);
  }

  /** Manual orders (OPEN_POSITION …) pass the same validator and lock as the strategies' own. */
  async manualIntent(intent: IntentBody): Promise<IntentResult> {
    // paper trading: the trader's close or change of a paper position or order goes to the paper account
    const p = this.paper, ticket = 'ticket' in intent ? intent.ticket : undefined;
    const onPaper = p && ticket !== undefined && (p.positions.some((x) => x.ticket === ticket) || p.orders.some((x) => x.ticket === ticket));
    const t = onPaper ? p : this.term;
    if (!t?.connected) throw new ManagerError('NO_TERMINAL', 'no terminal is connected');
    // an intent already in the ledger was checked when it was first sent (a command finished after a restart)
    if (intent.type === 'OPEN' && !t.intentEntry(intent.intentId)) {
      await this.currentStateOf(t); // the limits count the open positions: this session's list, not none or the last one's
      const failures = this.core.checkEntry('manual', intent, this.venueNow());
      if (failures.length) throw new ManagerError('LOCKED', failures.map((f) => `${f.code}: ${f.message}`).join('; '));
    }
    return t.sendIntent(intent);
  }

  /**
   * The terminal's account, positions and orders of this session (Terminal.currentState), asked twice at most (a
   * snapshot's frame can be lost); else the order is not sent — NO_TERMINAL, never a TIMEOUT that would read as the
   * intent's own.
   */
  private async currentStateOf(t: Terminal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await t.currentState(CURRENT_STATE_WAIT_MS);
      } catch (e) {
        if (attempt >= 2) throw new ManagerError('NO_TERMINAL', `the terminal's open positions could not be read since it connected (${(e as Error).message}): the order was not sent, as the limits count them; send it again`);
      }
    }
  }

  /** The result of a manual intent that outlived its wait (see Terminal.whenSettled). */
  settledResult(intentId: string): Promise<IntentResult> {
    const t = this.paper?.intentEntry(intentId) ? this.paper : this.term; // (paper trading: a paper intent's)
    if (!t) return Promise.reject(new ManagerError('NO_TERMINAL', 'no terminal is connected'));
    return t.whenSettled(intentId);
  }

  /** UPDATE_RISK_LIMITS: merge over the current limits (by default the account type's); returns the limits now in force. */
  setLimits(patch: { [K in keyof RiskLimits]?: RiskLimits[K] | undefined }): RiskLimits {
    const next: RiskLimits = { ...this.limits() };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    this.opts.limits = next;
    this.store.audit(this.now(), 'risk limits', next);
    this.store.setSafety({ limits: { ...next } });
    return next;
  }

  /** The attached terminal's account, as last reported by the EA. */
  account(): Account | undefined {
    return this.term?.account;
  }

  /** The attached terminal's open positions, as last reported by the EA. */
  positions(): readonly Position[] {
    const live = this.term?.positions ?? [];
    return this.paper?.positions.length ? [...live, ...this.paper.positions] : live;
  }

  /** STATUS_REQUEST (views.ts). */
  status(): Record<string, unknown> {
    return statusView(this);
  }

  /** PERFORMANCE_REQUEST (views.ts). */
  performance(): Record<string, unknown> {
    return performanceView(this);
  }

  // ------------------------------------------------------------------ internals

  private must(id: string): Running {
    const r = this.strategies.get(id);
    if (!r) throw new ManagerError('NOT_FOUND', `no strategy ${id}`);
    return r;
  }

  private resubscribe(): void {
    const t = this.term;
    if (!t) return;
    this.market.subscribe(t, [...this.strategies.values()].filter((r) => r.record.status !== 'stopped').map((r) => r.strategy));
  }

  /** Build the runner and warm it up on the terminal's history. */
  private async prepare(id: string, force = false): Promise<void> {
    const r = this.strategies.get(id);
    const t = this.term;
    if (!r || !t?.connected || (r.runner && !force)) {
      this.resubscribe();
      return;
    }
    this.resubscribe();
    const s = r.strategy;
    try {
      const venue = this.venueOf(s);
      if (!venue) throw new Error('mode paper: this host has no paper account (see the error about it at the terminal\'s connection)');
      const spec = await this.market.refreshSpec(venue, s.symbol, this.now()); // (a paper venue learns the symbol from it)
      const model = loadStrategyModel(s, this.opts.loadModel, this.log);
      // no traces while deciding: the driver builds them after the bar's intents are out
      const runner = new StrategyRunner(s, spec, this.market.zone(), { trace: false, hub: this.indicators, ...(model ? { model } : {}) });
      const warm = await this.market.warmUp(t, runner, s, this.opts.warmupBars ?? 1000, t.serverTime || this.now());
      if (this.strategies.get(id) !== r) return; // deleted while its history came
      r.runner = runner;
      this.core.add(id, runner);
      this.driver.missed.strategyReady(); // deals it made while the host was away, held until now
      this.changed();
      this.log.info({ strategyId: id, warmBars: warm, magic: runner.magic }, 'strategy ready');
      this.emit('prepared', { id });
    } catch (e) {
      this.log.error({ strategyId: id, err: (e as Error).message }, 'strategy could not be prepared; it will retry on the next connection');
      this.emit('prepareFailed', { id, reason: (e as Error).message });
    }
  }

  /** Entries waiting for the trader's confirmation (expired ones are dropped here). */
  pendingConfirmations(): PendingConfirmation[] {
    return this.supervision.pendingConfirmations();
  }

  /** The trader answers a confirmation (supervision.ts). */
  answerConfirmation(intentId: string, confirm: boolean): Promise<{ intentId: string; answer: 'confirmed' | 'rejected'; result?: IntentResult }> {
    return this.supervision.answer(intentId, confirm);
  }

  /** Anomalies of the last few minutes that concern entries on `symbol`. */
  activeAnomalies(symbol: string): Anomaly[] {
    return this.supervision.activeAnomalies(symbol);
  }

  private async closePositionsOf(r: Running): Promise<IntentResult[]> {
    const t = this.venueOf(r.strategy);
    if (!t?.connected) return [];
    const magic = strategyMagic(r.strategy);
    const mine = t.positions.filter((p) => p.magic === magic);
    const out: IntentResult[] = [];
    for (const p of mine) {
      out.push(await t.sendIntent({ type: 'CLOSE', intentId: `stop-${p.ticket.toString(36)}`, magic, ticket: p.ticket, volume: 0, deviation: 50 }));
    }
    return out;
  }

  // ------------------------------------------------------------------ read-only views (the dashboard)

  /** The terminal this manager drives, once one has connected. */
  attachedTerminal(): Terminal | undefined {
    return this.term;
  }

  /** The paper account of `mode: paper` strategies in a live host (undefined without one). */
  paperAccount(): Terminal | undefined {
    return this.paper;
  }

  /** The risk limits in force and the figures the pre-trade checks judge them on (views.ts). */
  riskView(): ReturnType<typeof riskView> {
    return riskView(this);
  }

  /** End the kill switch's lock early (an operator's decision; stopped strategies stay stopped). */
  releaseKillSwitch(): void {
    this.core.unlockKillSwitch();
    this.store.setSafety({ lockedUntil: 0 });
    void this.driver.persistCoreNow();
  }
}
