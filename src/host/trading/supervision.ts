/**
 * What only a live host adds after the trading core's gate: the anomaly guard (slippage, spread spikes, latency,
 * reject rate — each skips entries, reduces or closes as configured), the platform's LLM supervisor at its triggers
 * (a filter at the edge of its limit — spread or ATR —, a low ML score, the daily loss near its limit, correlated
 * exposure near its limit, an anomaly), and the trader's confirmations of the entries the supervisor holds.
 */
import type { Decision } from '../../engine/runner.js';
import type { SafetyFailure } from '../../engine/safety.js';
import { AnomalyGuard, type Anomaly, type AnomalyKind } from '../../engine/ml/regime.js';
import { pipSize } from '../../engine/filters.js';
import { floorVolume, roundPrice } from '../../engine/money.js';
import type { NormalizedStrategy } from '../../engine/strategy/normalize.js';
import type { IntentBody, IntentResult, Position, SymbolSpec } from '../../protocol/messages.js';
import { ManagerError, type TradingContext } from './context.js';
import type { MarketFeed } from './market-feed.js';
import { supervisorTriggers } from './supervisor.js';

/** How long an anomaly keeps counting for triggers and for skipped entries, s. */
export const ANOMALY_HOLD_SEC = 300;
/** How long an entry the supervisor wants confirmed waits for the trader, s. */
export const CONFIRMATION_TTL_SEC = 120;

/** What an anomaly does: only log it, skip entries while it holds, halve the positions it concerns, or close them. */
export type AnomalyAction = 'log' | 'block' | 'reduce' | 'close';
export type AnomalyPolicy = Record<AnomalyKind, AnomalyAction>;
/** Without configuration (a paper run, a test): log only, so the paper run decides as the backtest does. */
export const LOG_ONLY_ANOMALIES: AnomalyPolicy = { spread: 'log', slippage: 'log', latency: 'log', rejects: 'log' };

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

type Open = Extract<IntentBody, { type: 'OPEN' }>;

const NO_ANOMALIES: readonly Anomaly[] = Object.freeze([]);
const ANOMALY_KINDS: readonly AnomalyKind[] = ['spread', 'slippage', 'latency', 'rejects'];

export class Supervision {
  private readonly spreadGuards = new Map<string, AnomalyGuard>();
  private readonly orderGuard = new AnomalyGuard();
  private readonly confirmations = new Map<string, { p: PendingConfirmation; intent: Open }>();
  private readonly confirmed = new Map<string, 'confirmed' | 'rejected'>();
  /** positions already reduced or closed for an anomaly, with when (once per hold period) */
  private readonly actedOn = new Map<bigint, number>();
  /** recent anomalies, newest last: symbol '' = account-wide (latency, rejects) */
  readonly anomalies: { at: number; symbol: string; anomaly: Anomaly }[] = [];

  /** Whether the policy does more than log some kind of anomaly (then an anomaly can skip an entry). */
  private readonly policyActs: boolean;

  constructor(private readonly ctx: TradingContext, private readonly market: MarketFeed, private readonly policy: AnomalyPolicy = LOG_ONLY_ANOMALIES) {
    this.policyActs = ANOMALY_KINDS.some((k) => policy[k] !== 'log'); // as `entry` reads it: a kind not set acts
  }

  // ------------------------------------------------------------------ the anomaly guard

  /** A quote: its spread judged against the symbol's recent ones. */
  onQuote(symbol: string, bid: number, ask: number): void {
    const spec = this.market.specs.get(symbol);
    if (!spec) return;
    let g = this.spreadGuards.get(symbol);
    if (!g) this.spreadGuards.set(symbol, (g = new AnomalyGuard()));
    this.note(symbol, g.spread(Math.round((ask - bid) / spec.point)));
  }

  /** An intent's answer: latency, the reject rate, and an entry's slippage against the quote it was decided on. */
  onAnswer(intent: IntentBody, res: IntentResult, latencyMs: number): void {
    this.note('', this.orderGuard.latency(Math.round(latencyMs)));
    this.note('', this.orderGuard.result(res.class !== 'done'));
    if (intent.type === 'OPEN' && intent.price === undefined && res.price !== undefined && res.class === 'done') {
      const spec = this.market.specs.get(intent.symbol);
      const ref = intent.side === 0 ? res.ask : res.bid;
      if (spec && ref) this.note(intent.symbol, this.orderGuard.slippage(Math.round(((res.price - ref) * (intent.side === 0 ? 1 : -1)) / spec.point)));
    }
  }

  private note(symbol: string, a: Anomaly | null): void {
    if (!a) return;
    const now = this.ctx.now();
    this.anomalies.push({ at: now, symbol, anomaly: a });
    if (this.anomalies.length > 200) this.anomalies.shift();
    const action = this.policy[a.kind];
    this.ctx.log.warn({ symbol: symbol || undefined, anomaly: a.kind, value: a.value, limit: a.limit, action }, `anomaly: ${a.detail}`);
    this.ctx.emit('anomaly', symbol, a);
    if (action === 'reduce' || action === 'close') this.protect(symbol, a, action, now);
  }

  /** Reduce (by half, rounded down to the volume step) or close the strategies' positions an anomaly concerns. */
  private protect(symbol: string, a: Anomaly, action: 'reduce' | 'close', now: number): void {
    const t = this.ctx.terminal();
    if (!t?.connected) return;
    const magics = new Set<number>();
    for (const r of this.ctx.strategies.values()) if (r.runner) magics.add(r.runner.magic);
    for (const [k, at] of this.actedOn) if (now - at > ANOMALY_HOLD_SEC) this.actedOn.delete(k);
    const concerned = t.positions.filter((p) => magics.has(p.magic) && (symbol === '' || p.symbol === symbol) && !this.actedOn.has(p.ticket));
    for (const p of concerned) {
      const volume = action === 'close' ? 0 : this.half(p, this.market.specs.get(p.symbol));
      if (volume === undefined) continue;
      this.actedOn.set(p.ticket, now);
      const intent: IntentBody = { type: 'CLOSE', intentId: `anom-${p.ticket.toString(36)}-${now.toString(36)}`, magic: p.magic, ticket: p.ticket, volume, deviation: 50 };
      this.ctx.log.warn({ ticket: String(p.ticket), symbol: p.symbol, action, volume: volume || p.volume, anomaly: a.kind }, `anomaly guard: ${action === 'close' ? 'closing' : 'reducing'} a position`);
      this.ctx.store.audit(now, 'anomaly guard', { action, anomaly: a.kind, detail: a.detail, symbol: p.symbol, volume: volume || p.volume });
      t.sendIntent(intent).then(
        (res) => this.ctx.emit('intent', 'anomaly-guard', intent, res),
        (e: Error) => this.ctx.log.error({ ticket: String(p.ticket), err: e.message }, 'anomaly guard: the close got no answer'),
      );
    }
  }

  /** Half a position's volume rounded down to the step, or undefined when that is below the minimum (nothing to reduce). */
  private half(p: Position, spec: SymbolSpec | undefined): number | undefined {
    if (!spec) return undefined;
    const v = floorVolume(p.volume / 2, spec.volumeStep);
    return v >= spec.volumeMin && v < p.volume ? v : undefined;
  }

  /** Anomalies of the last few minutes that concern entries on `symbol` (its spread, and account-wide ones). */
  activeAnomalies(symbol: string): Anomaly[] {
    const since = this.ctx.now() - ANOMALY_HOLD_SEC;
    return this.anomalies.filter((x) => x.at >= since && (x.symbol === symbol || x.symbol === '')).map((x) => x.anomaly);
  }

  // ------------------------------------------------------------------ entries after the core's gate

  /**
   * An entry the core let through: skipped while an anomaly holds (when configured to block, and always for an ML
   * strategy in enforce mode), asked about when a trigger fires, else sent. Returns true when it was sent.
   */
  entry(id: string, s: NormalizedStrategy, intent: Open, d: Decision): boolean {
    // the anomalies that hold, only when something reads them: a policy that acts on one, an ML strategy in enforce
    // mode, or the supervisor (with every kind logged only and neither, none could block or trigger anything)
    const active = this.policyActs || s.options.ml?.mode === 'enforce' || this.ctx.opts.supervisor ? this.activeAnomalies(intent.symbol) : NO_ANOMALIES;
    const blocking = active.filter((a) => this.policy[a.kind] !== 'log' || s.options.ml?.mode === 'enforce');
    if (blocking.length) {
      this.ctx.log.warn({ strategyId: id, intentId: intent.intentId, anomalies: blocking.map((a) => a.detail) }, 'entry skipped: anomaly');
      this.ctx.emit('blocked', id, blocking.map((a) => ({ code: 'ANOMALY', message: a.detail })));
      this.ctx.core.onResult(intent.intentId, 'final', 0, 'skipped: anomaly');
      return false;
    }
    if (!this.ctx.opts.supervisor) {
      // no supervisor to ask: its triggers and context (correlations among them) are not computed at all
      this.ctx.send(id, intent);
      return true;
    }
    const facts = this.facts(id, s, intent);
    const triggers = supervisorTriggers({ ...facts.trigger, anomalies: active.map((x) => x.kind), ...(d.ml?.score !== null && d.ml?.score !== undefined ? { mlScore: d.ml.score } : {}) });
    if (triggers.length) {
      void this.supervise(id, s, intent, d, triggers, active, facts.context);
      return false;
    }
    this.ctx.send(id, intent);
    return true;
  }

  private dailyLoss(): { pct: number; drawdownPct: number } {
    const t = this.ctx.terminal();
    const a = t?.account;
    if (!a) return { pct: 0, drawdownPct: 0 };
    const u = this.ctx.core.gate.usage(this.ctx.serverNow(), a.equity);
    return { pct: Math.max(0, u.dailyLossPercent), drawdownPct: Math.max(0, u.drawdownPercent) };
  }

  /** The numbers the triggers and the supervisor's context are made of: no tickets, logins or credentials. */
  private facts(id: string, s: NormalizedStrategy, intent: Open): { trigger: Parameters<typeof supervisorTriggers>[0]; context: { filters: Record<string, number | string>; risk: Record<string, number> } } {
    const limits = this.ctx.limits();
    const spec = this.market.specs.get(intent.symbol);
    const pip = spec ? pipSize(spec.digits, spec.point) : 0;
    const bid = this.market.bid.get(intent.symbol), ask = this.market.ask.get(intent.symbol);
    const filters: Record<string, number | string> = {};
    if (pip && bid !== undefined && ask !== undefined) filters.spreadPips = (ask - bid) / pip;
    if (s.filters.spread) filters.maxSpreadPips = s.filters.spread.maxSpreadPips;
    const vol = s.filters.volatility;
    const runner = this.ctx.strategies.get(id)?.runner;
    if (vol && runner && pip) {
      const atr = runner.evaluator.value(s.timeframe, `atr:${vol.atrPeriod}`);
      if (Number.isFinite(atr)) filters.atrPips = atr / pip;
      if (vol.minAtrPips !== undefined) filters.minAtrPips = vol.minAtrPips;
      if (vol.maxAtrPips !== undefined) filters.maxAtrPips = vol.maxAtrPips;
    }
    const positions = this.ctx.terminal()?.positions ?? [];
    const loss = this.dailyLoss();
    const risk: Record<string, number> = { dailyLossPct: loss.pct, dailyLossLimitPct: limits.maxDailyLossPercent ?? 0, drawdownPct: loss.drawdownPct, positions: positions.length };
    if (limits.maxDrawdownPercent !== undefined) risk.drawdownLimitPct = limits.maxDrawdownPercent;
    if (limits.maxPositionsAccount !== undefined) risk.maxPositions = limits.maxPositionsAccount;
    let correlated: number | undefined;
    if (limits.maxCorrelatedLots !== undefined) {
      const th = limits.correlationThreshold ?? 0.8;
      const r = this.ctx.venueNow().correlations?.(intent.symbol) ?? {};
      correlated = positions.filter((p) => p.symbol === intent.symbol || Math.abs(r[p.symbol] ?? 0) >= th).reduce((x, p) => x + p.volume, 0) + intent.volume;
      risk.correlatedLots = Math.round(correlated * 100) / 100;
      risk.maxCorrelatedLots = limits.maxCorrelatedLots;
    }
    const num = (k: string) => (typeof filters[k] === 'number' ? (filters[k] as number) : undefined);
    const trigger: Parameters<typeof supervisorTriggers>[0] = {
      dailyLossPct: loss.pct, dailyLossLimitPct: limits.maxDailyLossPercent ?? 0,
      ...(num('spreadPips') !== undefined && num('maxSpreadPips') !== undefined ? { spreadPips: num('spreadPips')!, maxSpreadPips: num('maxSpreadPips')! } : {}),
      ...(num('atrPips') !== undefined ? { atrPips: num('atrPips')! } : {}),
      ...(num('minAtrPips') !== undefined ? { minAtrPips: num('minAtrPips')! } : {}),
      ...(num('maxAtrPips') !== undefined ? { maxAtrPips: num('maxAtrPips')! } : {}),
      ...(correlated !== undefined && limits.maxCorrelatedLots !== undefined ? { correlatedExposure: correlated, correlatedExposureLimit: limits.maxCorrelatedLots } : {}),
    };
    return { trigger, context: { filters, risk } };
  }

  private async supervise(id: string, s: NormalizedStrategy, intent: Open, d: Decision, triggers: string[], active: readonly Anomaly[], facts: { filters: Record<string, number | string>; risk: Record<string, number> }): Promise<void> {
    const spec = this.market.specs.get(intent.symbol);
    const pip = spec ? pipSize(spec.digits, spec.point) : 1;
    const entry = intent.side === 0 ? this.market.ask.get(intent.symbol) : this.market.bid.get(intent.symbol);
    const exposure: Record<string, number> = {};
    for (const p of this.ctx.terminal()?.positions ?? []) exposure[p.symbol] = Math.round(((exposure[p.symbol] ?? 0) + p.volume) * 100) / 100;
    const session = d.filters.find((f) => f.filter === 'session');
    // whitelisted again by the client (minimalContext): no tickets, account numbers or credentials
    const decision = await this.ctx.opts.supervisor!.evaluate({
      symbol: intent.symbol, timeframe: s.timeframe,
      proposedAction: {
        side: intent.side === 0 ? 'BUY' : 'SELL', volume: intent.volume,
        ...(entry !== undefined && intent.sl > 0 ? { slPips: Math.abs(entry - intent.sl) / pip } : {}),
        ...(entry !== undefined && intent.tp > 0 ? { tpPips: Math.abs(intent.tp - entry) / pip } : {}),
      },
      risk: facts.risk,
      filters: { ...facts.filters, ...(session ? { session: session.detail } : {}) },
      ml: { ...(d.ml?.score !== null && d.ml?.score !== undefined ? { score: d.ml.score } : {}), ...(d.ml?.regime ? { regime: d.ml.regime } : {}), anomalies: active.map((x) => x.kind) },
      positions: { count: this.ctx.terminal()?.positions.length ?? 0, exposureBySymbol: exposure },
      triggers,
    });
    this.ctx.log.info({ strategyId: id, intentId: intent.intentId, triggers, action: decision.action, proceed: decision.proceed, mode: decision.mode, source: decision.source, policyVersion: decision.policyVersion, reason: decision.reason }, 'supervisor decision');
    this.ctx.emit('supervisor', id, intent, decision);
    if (decision.proceed) {
      // the world may have changed during the question (a stop, a pause, the kill switch, other entries): judge it again
      const r = this.ctx.strategies.get(id);
      const failures: SafetyFailure[] = r?.record.status !== 'running' || !r.runner
        ? [{ code: 'STRATEGY_PAUSED', message: `strategy ${id} is ${r?.record.status ?? 'gone'}` }]
        : this.ctx.core.checkEntry(id, intent, this.ctx.venueNow());
      if (failures.length) {
        this.ctx.core.onResult(intent.intentId, 'final', 0, 'refused after the supervisor\'s answer');
        this.ctx.log.warn({ strategyId: id, intentId: intent.intentId, failures }, 'entry allowed by the supervisor, refused by the risk gate now');
        this.ctx.emit('blocked', id, failures);
        return;
      }
      this.ctx.send(id, intent);
      return;
    }
    // not sent now: the core stops waiting for it (a confirmed entry is sent later as the trader's own order)
    this.ctx.core.onResult(intent.intentId, 'final', 0, decision.needsConfirmation ? 'waits for confirmation' : 'denied by the supervisor');
    if (decision.needsConfirmation) {
      const now = this.ctx.now();
      const p: PendingConfirmation = {
        intentId: intent.intentId, strategyId: id, symbol: intent.symbol, side: intent.side === 0 ? 'BUY' : 'SELL', volume: intent.volume,
        sl: intent.sl, tp: intent.tp, reason: decision.reason, risks: decision.risks, askedAt: now, expiresAt: now + CONFIRMATION_TTL_SEC,
        ...(entry !== undefined ? { decidedPrice: entry } : {}),
      };
      this.confirmations.set(intent.intentId, { p, intent });
      this.ctx.log.warn({ strategyId: id, intentId: intent.intentId, reason: decision.reason, expiresAt: p.expiresAt }, 'entry waits for the trader\'s confirmation (POST /confirmations/:intentId)');
      this.ctx.emit('confirmation', p);
    }
    this.ctx.emit('blocked', id, [{ code: decision.needsConfirmation ? 'SUPERVISOR_CONFIRM' : 'SUPERVISOR_DENY', message: decision.reason }]);
  }

  // ------------------------------------------------------------------ the trader's confirmations

  /** Entries waiting for the trader's confirmation (expired ones are dropped here). */
  pendingConfirmations(): PendingConfirmation[] {
    const now = this.ctx.now();
    for (const [k, v] of this.confirmations) if (v.p.expiresAt < now) this.confirmations.delete(k);
    return [...this.confirmations.values()].map((v) => v.p);
  }

  /**
   * The trader answers a confirmation: `true` sends the entry (after the pre-trade checks again: limits and
   * prices may have moved), `false` drops it. A repeated answer returns the first one.
   */
  async answer(intentId: string, confirm: boolean): Promise<{ intentId: string; answer: 'confirmed' | 'rejected'; result?: IntentResult }> {
    const done = this.confirmed.get(intentId);
    if (done) return { intentId, answer: done };
    const waiting = this.confirmations.get(intentId);
    if (!waiting || waiting.p.expiresAt < this.ctx.now()) {
      this.confirmations.delete(intentId);
      throw new ManagerError('NOT_FOUND', `no entry ${intentId} waits for confirmation (they expire after ${CONFIRMATION_TTL_SEC} s)`);
    }
    this.confirmations.delete(intentId);
    if (!confirm) {
      this.confirmed.set(intentId, 'rejected');
      this.ctx.log.info({ strategyId: waiting.p.strategyId, intentId }, 'entry rejected by the trader');
      return { intentId, answer: 'rejected' };
    }
    const t = this.ctx.terminal();
    if (!t?.connected) {
      this.confirmations.set(intentId, waiting);
      throw new ManagerError('NO_TERMINAL', 'no terminal connected: the entry keeps waiting');
    }
    const rec = this.ctx.strategies.get(waiting.p.strategyId)?.record;
    const failures: SafetyFailure[] = rec && rec.status !== 'running'
      ? [{ code: 'STRATEGY_PAUSED', message: `strategy ${rec.id} is ${rec.status}` }]
      : this.ctx.core.checkEntry(waiting.p.strategyId, waiting.intent, this.ctx.venueNow());
    if (failures.length) {
      this.confirmed.set(intentId, 'rejected');
      throw new ManagerError('STATE', `the pre-trade checks refuse it now: ${failures.map((f) => f.message).join('; ')}`);
    }
    // the price has moved since the decision: SL and TP keep their distances from the entry
    let intent = waiting.intent;
    const spec = this.market.specs.get(intent.symbol);
    const nowPrice = intent.side === 0 ? this.market.ask.get(intent.symbol) : this.market.bid.get(intent.symbol);
    if (spec && nowPrice !== undefined && waiting.p.decidedPrice !== undefined && nowPrice !== waiting.p.decidedPrice) {
      const shift = nowPrice - waiting.p.decidedPrice;
      const move = (x: number) => (x > 0 ? roundPrice(x + shift, spec.tickSize, spec.digits) : 0);
      intent = { ...intent, sl: move(intent.sl), tp: move(intent.tp) };
      this.ctx.log.info({ intentId, decidedPrice: waiting.p.decidedPrice, price: nowPrice, sl: intent.sl, tp: intent.tp }, 'SL/TP moved with the price since the decision');
    }
    this.confirmed.set(intentId, 'confirmed');
    this.ctx.log.info({ strategyId: waiting.p.strategyId, intentId }, 'entry confirmed by the trader: sent');
    const result = await t.sendIntent(intent);
    this.ctx.emit('intent', waiting.p.strategyId, waiting.intent, result);
    return { intentId, answer: 'confirmed', result };
  }
}
