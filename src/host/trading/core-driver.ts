/**
 * The trading core's driver on a live terminal: it feeds the core the terminal's facts — closed bars (and, for
 * intrabar strategies, the forming bar of the ticks), the account, positions, deals and the intents' results —,
 * carries out what the core returns (intents to send, refusals, alerts, breaches), and persists the core's state.
 * The data path: bridge (the terminal's events) → here → core → supervision → execution (terminal.sendIntent).
 */
import type { KillSwitchEvent } from '../../engine/safety.js';
import type { Decision, MarketView, StrategyRunner } from '../../engine/runner.js';
import type { BarIn } from '../../engine/indicators.js';
import type { CoreStep } from '../../engine/core/trading-core.js';
import { decisionLogLine, stepLogLine } from '../../engine/core/decision-log.js';
import { formatTrace } from '../../engine/strategy/evaluator.js';
import { DEAL_ENTRY, TRADE_TRANSACTION, isBalanceOperation } from '../../protocol/mt5.js';
import type { Account, IntentBody, IntentResult, Msg, Position } from '../../protocol/messages.js';
import type { Terminal } from '../bridge/server.js';
import type { Running, TradingContext } from './context.js';
import type { MarketFeed } from './market-feed.js';
import type { Supervision } from './supervision.js';
import { MissedDeals, type DealFacts } from './missed-deals.js';
import { KnownPositions } from './known-positions.js';

const NO_POSITIONS: readonly Position[] = Object.freeze([]);

/** How often an intrabar strategy is judged on its forming bar at most, ms (a tick burst makes one decision). */
export const DEFAULT_INTRABAR_MS = 1000;

/** A strategy's decision on a bar, and the entries the risk gate refused in it (logged after the bar's intents are out). */
type Decided = { id: string; runner: StrategyRunner; d: Decision; refused: CoreStep['refused'] };

export class CoreDriver {
  private persistScheduled = false;
  /** Deals made while the host was away, counted at a connection (missed-deals.ts). */
  readonly missed: MissedDeals;
  /** when each intrabar strategy was last judged on a forming bar, ms */
  private readonly lastIntrabar = new Map<string, number>();

  constructor(
    private readonly ctx: TradingContext,
    private readonly market: MarketFeed,
    private readonly supervision: Supervision,
    private readonly intrabarMs = DEFAULT_INTRABAR_MS,
    /** the strategies changed their runners: rebuild them (the broker's zone changed) */
    private readonly onZoneChanged: () => void = () => {},
  ) {
    this.missed = new MissedDeals(ctx, (t, d, magic, stillOpen) => this.countDeal(t, d, magic, stillOpen, 'history'), () => this.persistCore());
  }

  /** Listen to a terminal's facts (once: the Terminal object outlives reconnections). */
  listen(t: Terminal): void {
    t.on('ticks', (m: Msg<'TICKS'>) => this.onTicks(t, m));
    t.on('account', (a: Account) => {
      // the broker's clock against the host's (a real clock only: a replay's clock is the bars' own)
      if (!this.ctx.opts.now && this.market.noteServerTime(a.serverTime, this.ctx.now())) this.onZoneChanged();
      // the account's baselines (broker day, equity peak) and its breaches, in the core
      this.ctx.core.gate.policy.limits = this.ctx.limits();
      // connected and caught up: the live deals are all counted up to now
      if (this.missed.live) this.ctx.core.dealsRead(a.serverTime);
      const step = this.ctx.core.observeAccount(a.serverTime, a.balance, a.equity, () => t.positions);
      if (step) this.carryOut(step, a.serverTime);
      this.persistCore();
    });
    t.on('bar', (m: Msg<'BAR'>) => {
      this.market.onBar(m);
      this.onBar(t, m);
    });
    this.follow(t);
    // the broker's deals made while the host was away (the paper venue has none: it lives in this process)
    t.on('connected', () => void this.missed.connected(t));
    t.on('disconnected', () => this.missed.disconnected());
    if (t.connected) void this.missed.connected(t);
  }

  /** A venue's trades reach the core — the terminal's, and the paper venue's of `mode: paper` strategies: results, positions gone, deals' money. */
  follow(t: Terminal): void {
    /** Open positions by ticket as last reported (known-positions.ts). */
    const known = new KnownPositions();
    // every settled result — answers, late answers, and the reconciliation's after a reconnection — reaches the
    // core (an intent answered twice is settled once: the second finds nothing in flight)
    t.on('result', (r: IntentResult) => {
      if (!this.ctx.core.orders.tracks(r.intentId)) return;
      const after = this.ctx.core.onResult(r.intentId, r.class, r.retcode, r.comment);
      if (after) for (const a of after.alerts) this.ctx.alert(a);
      this.persistCore();
    });
    t.on('positions', (list: readonly Position[]) => known.update(list, (ticket) => this.ctx.core.positionGone(ticket)));
    t.on('tx', (tx: Msg<'TRADE_TX'>) => this.onDeal(t, tx, known));
  }

  // ------------------------------------------------------------------ persistence

  /**
   * Write the core's state when it changed (its own files, what changed since the last write — core-state.ts —, off the event loop's thread), once per turn
   * of the event loop at most: the changes of one bar, one account report or one burst of results make one write,
   * and those made while a write is under way one more. A failure is logged; trading goes on.
   */
  persistCore(): void {
    if (this.persistScheduled) return;
    this.persistScheduled = true;
    setImmediate(() => {
      this.persistScheduled = false;
      void this.persistCoreNow();
    });
  }

  /** Write the core's state now if it changed (resolves when it, or a newer one, is written; never rejects). */
  persistCoreNow(): Promise<void> {
    return this.ctx.store.writeCoreState((delta) => this.ctx.core.changedStateText(delta)).catch((e: Error) => {
      this.ctx.log.error({ err: e.message }, 'the trading core\'s state could not be written: a restart now would lose today\'s risk baselines');
    });
  }

  // ------------------------------------------------------------------ facts in

  /** A deal's money reaches the risk gate (live). */
  private onDeal(t: Terminal, tx: Msg<'TRADE_TX'>, known: KnownPositions): void {
    if (tx.txType !== TRADE_TRANSACTION.DEAL_ADD) return;
    const k = known.get(tx.position);
    const deal: DealFacts = {
      ticket: tx.deal, type: tx.dealType, entry: tx.dealEntry ?? DEAL_ENTRY.IN, positionId: tx.position, volume: tx.volume,
      profit: tx.profit ?? 0, swap: tx.swap ?? 0, commission: tx.commission ?? 0, time: Math.floor(tx.timeMsc / 1000),
    };
    // a manual close's deal carries magic 0: the position's magic says whose it was
    this.countDeal(t, deal, k?.magic ?? tx.magic, k !== undefined && k.volume - tx.volume > 1e-9, 'transaction');
  }

  /**
   * A deal's money reaches the risk gate, once per ticket: a balance operation moves the baselines; a closing
   * deal's profit, swap and commission count as a closed trade; an entry's commission as a cost. True if counted.
   */
  private countDeal(t: Terminal, d: DealFacts, magic: number | undefined, stillOpen: boolean, source: 'transaction' | 'history'): boolean {
    if (!this.ctx.core.noteDeal(`${t.key}#${d.ticket}`, d.time)) return false; // (a paper ticket may equal a broker's)
    if (isBalanceOperation(d.type)) {
      // a deposit or withdrawal: not a result of trading (the EA sends this before the account it changes)
      this.ctx.core.observeBalanceOperation(d.time, d.profit);
      this.ctx.log.info({ dealType: d.type, amount: d.profit, source }, 'balance operation: the risk baselines move with it');
      this.persistCore();
      return true;
    }
    if (magic === undefined) return false;
    const closing = d.entry === DEAL_ENTRY.OUT || d.entry === DEAL_ENTRY.INOUT || d.entry === DEAL_ENTRY.OUT_BY;
    if (!closing) {
      if (d.entry === DEAL_ENTRY.IN && d.commission) this.ctx.core.observeCost(magic, d.time, d.commission);
      this.persistCore();
      return true;
    }
    const step = this.ctx.core.observeClosed(magic, d.positionId, d.time, d.profit + d.swap + d.commission, stillOpen, () => t.positions);
    if (step) this.carryOut(step, d.time);
    this.persistCore();
    return true;
  }

  /** Ticks: the quote, the anomaly guard, the contract facts when due, and intrabar strategies on their forming bar. */
  private onTicks(t: Terminal, m: Msg<'TICKS'>): void {
    const now = this.ctx.now();
    if (this.market.onTicks(m, now)) {
      this.market.refreshSpec(t, m.symbol, now).catch((e: Error) => this.ctx.log.warn({ symbol: m.symbol, err: e.message }, 'the symbol\'s contract facts could not be refreshed: sizing keeps the last ones'));
    }
    for (const tk of m.ticks) this.supervision.onQuote(m.symbol, tk[1], tk[2]);
    const intrabar = this.intrabarOn(m.symbol);
    if (!intrabar.length) return;
    // every tick moves the forming bars (their high and low), whether or not a strategy is judged now
    const forming = new Map<string, BarIn | undefined>();
    for (const [, r] of intrabar) if (!forming.has(r.strategy.timeframe)) forming.set(r.strategy.timeframe, this.market.formingBar(m, r.strategy.timeframe));
    const ms = performance.now();
    const due = intrabar.filter(([id]) => ms - (this.lastIntrabar.get(id) ?? -Infinity) >= this.intrabarMs);
    if (!due.length) return;
    const decided: Decided[] = [];
    try {
      t.batch(() => {
        const venue = this.ctx.venueNow();
        for (const [id, r] of due) {
          const bar = forming.get(r.strategy.timeframe);
          if (!bar || !this.decides(id, r)) continue;
          this.lastIntrabar.set(id, ms);
          // a copy: the forming bar moves on with the next ticks, the decision keeps what it saw
          const seen = { ...bar };
          this.decideOne(t, id, r, (market) => this.ctx.core.onForming(id, seen, market, venue), seen.close, decided);
        }
      });
    } finally {
      this.reportRefused(decided);
    }
    this.afterDecisions(decided, true);
    this.persistCore();
  }

  /**
   * A closed bar: every strategy on its symbol and timeframe decides, and the intents go out first; the decision
   * traces, logs and events come after all of this bar's intents are sent (a trace costs as much as the decision,
   * and the fifth strategy's order should not wait for four traces and four log lines). The traces are built from
   * the same bars: nothing is pushed between the two passes.
   */
  private onBar(t: Terminal, m: Msg<'BAR'>): void {
    const decided: Decided[] = [];
    const [time, open, high, low, close, tickVolume, , realVolume] = m.bar;
    const bar: BarIn = { time, open, high, low, close, tickVolume, realVolume };
    // the bar's intents leave together: one ledger write, then one socket write (Terminal.batch)
    try {
      t.batch(() => {
        const venue = this.ctx.venueNow();
        for (const [id, r] of this.strategiesOn(m.symbol, m.timeframe)) {
          if (!this.decides(id, r)) continue;
          this.decideOne(t, id, r, (market) => this.ctx.core.onBar(id, bar, market, venue), close, decided);
        }
      });
    } finally {
      this.reportRefused(decided);
    }
    this.afterDecisions(decided, false);
    this.persistCore();
  }

  /** Does strategy `id` decide now? Running, or paused by the risk gate (it keeps managing its positions; the gate refuses its entries), as in the backtest. */
  private decides(id: string, r: Running): boolean {
    return !!r.runner && this.ctx.venueOf(r.strategy) !== undefined && (r.record.status === 'running' || (r.record.status === 'paused' && !!this.ctx.core.haltedReason(id)));
  }

  private decideOne(t: Terminal, id: string, r: Running, decide: (market: MarketView) => { decision: Decision; step: CoreStep }, close: number, decided: Decided[]): void {
    const s = r.strategy;
    const runner = r.runner!;
    const spec = this.market.specs.get(s.symbol);
    const venue = this.ctx.venueOf(s) ?? t; // paper trading: a paper strategy's positions and equity are the paper account's
    // one object, its optional facts added when there are some (no spread of a temporary object per fact: this runs
    // for every strategy on every bar)
    const market: MarketView = { bid: this.market.bid.get(s.symbol) ?? close, ask: this.market.ask.get(s.symbol) ?? close, positions: this.positionsWithMagic(venue.positions, runner.magic) };
    if (venue.account) market.equity = venue.account.equity;
    // the tick value the terminal reports now (refreshed while ticks come): JPY and cross pairs move with the rates
    if (spec) market.tickValue = spec.tickValue;
    if (s.filters.correlation) market.correlation = { openSymbols: [...new Set(venue.positions.map((p) => p.symbol))], closes: this.market.closes.of(s.timeframe) };
    const { decision: d, step } = decide(market);
    // the gate's refusals are logged and told once the bar's intents are out (reportRefused): a log line is a write
    // call, and the other strategies' orders should not wait for it
    decided.push({ id, runner, d, refused: step.refused });
    if (this.ctx.opts.decisionLog) {
      const line = decisionLogLine(id, d, step);
      if (line) this.ctx.opts.decisionLog(line);
    }
    for (const a of step.alerts) this.ctx.alert(a);
    for (const { intent } of step.send) {
      // what only a live host has: the anomaly guard and the platform's supervisor, after the core's gate
      if (intent.type === 'OPEN') this.supervision.entry(id, s, intent, d);
      else this.send(id, intent);
    }
  }

  /**
   * The entries the risk gate refused on a bar, once its intents are out (or its deciding failed): logged and told
   * ('blocked') in the order they were decided, before the bar's decisions are (a listener keeps a refusal for its
   * decision's line: cli/paper.ts).
   */
  private reportRefused(decided: Decided[]): void {
    for (const { id, refused } of decided) {
      for (const x of refused) {
        this.ctx.log.warn({ strategyId: id, intentId: x.intentId, failures: x.failures }, 'order blocked by the risk gate');
        this.ctx.emit('blocked', id, x.failures);
      }
    }
  }

  /** The second pass: traces for the log and the 'decision' event (an intrabar decision is logged only when it acted). */
  private afterDecisions(decided: Decided[], intrabar: boolean): void {
    for (const { id, runner, d } of decided) {
      if (intrabar && !d.intents.length) continue;
      if (d.evaluation.signal || d.intents.length) {
        if (!intrabar) d.evaluation = runner.evaluator.evaluate(d.time);
        const trace = d.evaluation.signal === 'BUY' ? d.evaluation.long : d.evaluation.signal === 'SELL' ? d.evaluation.short : d.evaluation.exit;
        this.ctx.log.info({ strategyId: id, ...(intrabar ? { intrabar: true } : {}), signal: d.evaluation.signal, trace: trace ? formatTrace(trace) : [], filters: d.filters, refused: d.refused, notes: d.notes, ...(d.ml ? { ml: d.ml } : {}) }, 'decision');
      }
      this.ctx.emit('decision', id, d);
    }
  }

  // ------------------------------------------------------------------ carrying out

  /** Do what a core step asks: log refusals and alerts, mirror pauses and stops, send intents. */
  carryOut(step: CoreStep, time?: number): void {
    if (this.ctx.opts.decisionLog && time !== undefined) {
      const line = stepLogLine(time, step);
      if (line) this.ctx.opts.decisionLog(line);
    }
    for (const r of step.refused) {
      this.ctx.log.warn({ strategyId: r.strategyId, intentId: r.intentId, failures: r.failures }, 'order blocked by the risk gate');
      this.ctx.emit('blocked', r.strategyId, r.failures);
    }
    for (const a of step.alerts) this.ctx.alert(a);
    // act first: the intents (a breach's closes, CLOSE_ALL) leave, then the records are written
    for (const item of step.send) this.send(item.strategyId, item.intent);
    for (const b of step.breaches) {
      this.ctx.log.warn({ action: b.action, strategyId: b.strategyId, reason: b.reason }, `risk breach: ${b.action}`);
      this.ctx.emit('breach', b);
      const ids = b.strategyId !== undefined ? [b.strategyId] : [...this.ctx.strategies.keys()];
      for (const id of ids) {
        const r = this.ctx.strategies.get(id);
        if (!r || r.record.status === 'stopped') continue;
        r.record = { ...r.record, status: b.action === 'emergency_stop' ? 'stopped' : 'paused', updatedAt: this.ctx.now() };
        if (b.action === 'emergency_stop') r.runner = undefined;
        this.ctx.store.putStrategy(r.record).catch((e: Error) => this.ctx.log.error({ strategyId: id, err: e.message }, 'a strategy stopped by a risk breach could not be recorded'));
      }
      try {
        this.ctx.store.audit(this.ctx.now(), 'risk breach', b);
        if (b.action === 'emergency_stop') {
          const k = this.ctx.core.gate.state.killSwitch;
          this.ctx.store.setSafety({ lockedUntil: k.lockedUntil, reason: k.reason });
        }
      } catch (e) {
        this.ctx.log.error({ err: (e as Error).message }, 'a risk breach could not be recorded');
      }
      if (b.action === 'emergency_stop') {
        const k = this.ctx.core.gate.state.killSwitch;
        this.ctx.emit('kill', { reason: b.reason, at: this.ctx.now(), lockedUntil: this.ctx.toUnix(k.lockedUntil), actions: ['stop_all_strategies', 'close_all_positions_and_delete_orders', 'notify_platform'] } satisfies KillSwitchEvent);
      }
    }
    if (step.breaches.length) this.changed();
  }

  /** Send a strategy's intent; its answer goes back to the core and to the anomaly guard. */
  send(id: string, intent: IntentBody): void {
    const r = this.ctx.strategies.get(id);
    const t = r ? this.ctx.venueOf(r.strategy) : this.ctx.terminal(); // paper trading: a paper strategy's intents go to its venue
    if (!t) {
      this.ctx.core.onResult(intent.intentId, 'final', 0, 'no paper account');
      return;
    }
    const t0 = performance.now();
    this.ctx.emit('sent', id, intent);
    t.sendIntent(intent).then(
      (res) => {
        const after = this.ctx.core.onResult(intent.intentId, res.class, res.retcode, res.comment);
        if (after) {
          for (const a of after.alerts) this.ctx.alert(a);
          if (after.outcome.kind === 'retry') this.ctx.log.warn({ strategyId: id, intentId: intent.intentId, retcode: res.retcode }, 'exit refused: it is sent again under a new id at the next decision');
          this.persistCore();
        }
        this.supervision.onAnswer(intent, res, performance.now() - t0);
        this.ctx.emit('intent', id, intent, res);
      },
      (e: Error) => {
        // no answer in time: the ledger's reconciliation settles it later ('result'); a full close is tried again
        // at the next decision (a closed position answers 10036), anything else waits for that reconciliation
        if (intent.type === 'CLOSE' && intent.volume === 0) this.ctx.core.onResult(intent.intentId, 'ambiguous', 0, e.message);
        this.ctx.log.error({ strategyId: id, intentId: intent.intentId, err: e.message }, 'intent failed');
        this.ctx.emit('intent', id, intent, e);
      },
    );
  }

  // ------------------------------------------------------------------ indexes

  /** The terminal's positions by magic number, for one positions list (read-only: shared by the strategies of a bar). */
  private byMagic: { of: readonly Position[]; map: Map<number, Position[]> } | null = null;
  /** Symbol → timeframe → the strategies on it, in start order (a bar visits only its own, not all of them). */
  private barIndex: Map<string, Map<string, [string, Running][]>> | null = null;
  /** Symbol → the intrabar strategies on it. */
  private intrabarIndex: Map<string, [string, Running][]> | null = null;

  /** A strategy came, went, or got new parameters or a new runner: the indexes are rebuilt when next needed. */
  changed(): void {
    this.barIndex = null;
    this.intrabarIndex = null;
  }

  positionsWithMagic(positions: readonly Position[], magic: number): readonly Position[] {
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

  private strategiesOn(symbol: string, timeframe: string): [string, Running][] {
    if (!this.barIndex) {
      this.barIndex = new Map();
      for (const e of this.ctx.strategies) {
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

  private intrabarOn(symbol: string): [string, Running][] {
    if (!this.intrabarIndex) {
      this.intrabarIndex = new Map();
      for (const e of this.ctx.strategies) {
        const s = e[1].strategy;
        if (s.options.evaluation !== 'intrabar') continue;
        const list = this.intrabarIndex.get(s.symbol);
        if (list) list.push(e);
        else this.intrabarIndex.set(s.symbol, [e]);
      }
    }
    return this.intrabarIndex.get(symbol) ?? [];
  }
}
