/**
 * The backtester: the same engine (StrategyRunner) against the same broker model (SimBroker) with the same
 * EA rules (SimEaLogic), in-process — no sockets. Fill conventions (docs/backtest.md) are those of the
 * lockstep replay: a decision taken on a bar's close executes at the next bar's open (plus spread for buys);
 * SL, TP and pending orders fill on the intrabar path (path.ts); swaps roll at server midnight.
 */
import type { BarSeries } from '../engine/bars.js';
import { barAt } from '../engine/indicator-spec.js';
import type { BarIn } from '../engine/indicators.js';
import { computeMetrics, type EquityCurve, type Metrics, type Trade } from '../engine/metrics.js';
import type { TradeTable } from '../engine/trade-table.js';
import { roundInPlace } from '../engine/money.js';
import type { SignalModel } from '../engine/ml/model.js';
import { StrategyRunner, type Decision, type MarketView } from '../engine/runner.js';
import type { RiskLimits, SafetyCode } from '../engine/safety.js';
import { NO_POLICY, type RiskPolicy } from '../engine/core/risk-gate.js';
import { TradingCore, type CoreState, type CoreStep, type VenueFacts } from '../engine/core/trading-core.js';
import { decisionLogLine, stepLogLine } from '../engine/core/decision-log.js';
import type { NormalizedStrategy } from '../engine/strategy/normalize.js';
import type { BrokerTimeZone } from '../engine/time/broker-time.js';
import { fastIntentBody } from '../protocol/fast-paths.js';
import { MsgType, TIMEFRAME_SECONDS, intentBodySchemas, type Deal, type IntentBody, type IntentMsg, type IntentResultBody } from '../protocol/messages.js';
import { SimBroker, type SimSymbolSpec } from './broker.js';
import type { PositionView } from './broker/positions.js';
import { SimEaLogic } from './ea-logic.js';
import { BacktestCurve } from './equity-curve.js';
import { barSpread } from './path.js';
import { symbolSpec } from './symbols.js';
import { tradeTableFromStore } from './trades.js';

/** A flat account's positions: one shared empty list. */
const NO_POSITIONS: readonly PositionView[] = Object.freeze([]);

export interface BacktestOptions {
  strategy: NormalizedStrategy;
  bars: BarSeries;
  /** Symbol spec; default the preset for the strategy's symbol. */
  symbol?: SimSymbolSpec;
  balance?: number;
  currency?: string;
  leverage?: number;
  /** Spread in points, or 'data' (the file's spread column; the symbol's default where it records 0). */
  spread?: number | 'data';
  slippagePoints?: number;
  /** Commission per lot per side, account currency (overrides the symbol's). */
  commissionPerLot?: number;
  /** Conversion rates the simulated quotes cannot give (e.g. { EURUSD: 1.1 } for a EUR account on gold). */
  fixedRates?: Record<string, number>;
  /** The broker's server clock, for the session filter (default GMT+2, GMT+3 with New York's DST). */
  brokerZone?: BrokerTimeZone;
  /** Bars used only to warm the indicators up before trading starts. */
  warmupBars?: number;
  /** Account limits applied to every new order, as the host applies them live (default none): shorthand for `risk`. */
  limits?: RiskLimits;
  /** The risk policy: account limits, what a breach does, auto-pause (default: none — the strategy's own limits only). */
  risk?: RiskPolicy;
  /** Close what is still open at the last price when the data ends (default true). */
  closeAtEnd?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** The signal-quality model for a strategy with options.ml. */
  model?: SignalModel;
  /** Every decision the runner takes (the ML gate's included). Asking for every one runs the strategy bar by bar. */
  onDecision?: (d: Decision) => void;
  /**
   * Every decision that did something — an intent, or an entry the runner refused (and why). Unlike onDecision it
   * keeps the column mode: the bars it skips are those where a decision can do nothing.
   */
  onAction?: (d: Decision) => void;
  /** The decision log, a JSON line at a time (decision-log.ts): the same lines a paper or live run writes. */
  onLog?: (line: string) => void;
}

export interface BacktestResult {
  metrics: Metrics;
  /** The closed trades as objects, in close order (built again from the broker's deal store, with every detail, when first read). */
  trades: Trade[];
  /** The closed trades as columns, in close order: what the figures read (no object per trade; no details). */
  tradeTable: TradeTable;
  equity: EquityCurve;
  /** The deals, oldest first (built from the broker's deal store when first read). */
  deals: Deal[];
  intents: number;
  /** Intents the broker refused: when, which (its type, and the position for CLOSE / MODIFY), the retcode and comment. */
  rejected: { time: number; intent: string; type: IntentBody['type']; ticket?: bigint; volume?: number; retcode: number; comment: string }[];
  refused: number;
  /** Orders the risk gate refused, by code (a refusal with two reasons counts under each). */
  blocked: Partial<Record<SafetyCode, number>>;
  /** What the core raised for the trader (an exit it could not get filled after all its tries…). */
  alerts: string[];
  /** The trading core's state at the end (risk baselines, pauses, retries). */
  core: CoreState;
  bars: number;
  initialBalance: number;
  /** Were the indicators and rules computed a column at a time (Runner.useColumns), or bar by bar? */
  columns: boolean;
}

export function runBacktest(o: BacktestOptions): BacktestResult {
  const st = o.strategy;
  const spec: SimSymbolSpec = { ...(o.symbol ?? symbolSpec(st.symbol, {}, o.brokerZone)) };
  if (o.commissionPerLot !== undefined) spec.commissionPerLot = o.commissionPerLot;
  const balance = o.balance ?? 10_000;
  const broker = new SimBroker({
    account: { login: 1, server: 'Backtest', currency: o.currency ?? 'USD', leverage: o.leverage ?? 100, marginMode: 2, balance },
    symbols: [spec],
    ...(o.slippagePoints !== undefined ? { slippagePoints: o.slippagePoints } : {}),
    ...(o.fixedRates ? { fixedRates: o.fixedRates } : {}),
  });
  const ea = new SimEaLogic(broker);
  const bars = o.bars;
  const period = bars.periodSec || TIMEFRAME_SECONDS[st.timeframe];
  const warm = Math.min(o.warmupBars ?? 0, bars.length);
  const b: BarIn = { time: 0, open: 0, high: 0, low: 0, close: 0, tickVolume: 0, realVolume: 0 };
  // the runner needs the live spec (tick value moves with conversion rates): quote once first
  broker.quote(spec.symbol, bars.open[warm] ?? 1, (bars.open[warm] ?? 1) + spec.point, (bars.time[warm] ?? 0) * 1000);
  // no traces: nobody reads them here, and building them costs more than the decision itself
  const runner = new StrategyRunner(st, broker.spec(spec.symbol)!, o.brokerZone, { trace: false, ...(o.model ? { model: o.model } : {}) });
  // the one trading core every venue runs: runner → risk gate → order manager; this loop is its venue
  const core = new TradingCore(o.risk ?? (o.limits ? { ...NO_POLICY, limits: o.limits } : NO_POLICY));
  const id = st.id;
  core.add(id, runner);
  // the indicators and rules a column at a time when the strategy allows it (one timeframe, closed bars, no ML)
  // and nobody asked to see every decision: the runner is then called only on bars where it can act
  const columns = !o.onDecision && runner.useColumns(bars);
  if (!columns) for (let i = 0; i < warm; i++) runner.warm(barAt(bars, i, b));

  const equity = new BacktestCurve(Math.max(0, bars.length - warm), bars.time, warm, period);
  const rejected: BacktestResult['rejected'] = [];
  let intents = 0, refused = 0, reqId = 0;
  const blocked: Partial<Record<SafetyCode, number>> = {};
  const alerts: string[] = [];
  // what the core reads of the account and the positions, without building the protocol's Account and Positions
  const positionFacts = () => broker.positionFacts();
  const venue: VenueFacts = {
    now: 0,
    account: () => broker.accountFigures(),
    positions: positionFacts,
    marginFor: (symbol, volume, side) => {
      const q = broker.quoteOf(symbol)!;
      return broker.marginFor(symbol, volume, side === 0 ? q.ask : q.bid);
    },
    marketOpen: (symbol) => broker.sessionOpen(symbol),
  };
  const send = (intent: IntentBody, time: number): IntentResultBody => {
    intents++;
    // validated as its protocol message, as the simulated terminal validates every frame in paper mode: the backtest
    // executes nothing paper mode would refuse. OPEN, CLOSE and MODIFY as the engine writes them pass a hand-written
    // check equal to the schema (fastIntentBody) and go to the EA logic as they are; anything else through zod,
    // whose copy gets the envelope (spreading the intent into a message first cost more than the check itself).
    let r: IntentResultBody;
    if (fastIntentBody(intent as unknown as Record<string, unknown>)) r = ea.handleIntent(intent, ++reqId);
    else {
      const msg = intentBodySchemas[intent.type].parse(intent) as Record<string, unknown>;
      msg.type = MsgType[intent.type];
      msg.seq = 1;
      msg.id = ++reqId;
      r = ea.handle(msg as unknown as IntentMsg);
    }
    if (r.class !== 'done') {
      rejected.push({
        time, intent: intent.intentId, type: intent.type,
        ...(intent.type === 'CLOSE' ? { ticket: BigInt(intent.ticket), volume: intent.volume } : intent.type === 'MODIFY' ? { ticket: BigInt(intent.ticket) } : {}),
        retcode: r.retcode, comment: r.comment ?? '',
      });
    }
    return r;
  };
  const carryOut = (step: CoreStep, time: number) => {
    // (indexed loops: an array's iterator made a result object per item where V8 kept it)
    for (let k = 0; k < step.refused.length; k++) for (const f of step.refused[k]!.failures) blocked[f.code] = (blocked[f.code] ?? 0) + 1;
    for (let k = 0; k < step.alerts.length; k++) alerts.push(step.alerts[k]!);
    for (let k = 0; k < step.send.length; k++) {
      const intent = step.send[k]!.intent;
      const r = send(intent, time);
      const after = core.onResult(intent.intentId, r.class, r.retcode, r.comment);
      if (after) for (let j = 0; j < after.alerts.length; j++) alerts.push(after.alerts[j]!);
    }
  };
  // closed trades reach the risk gate (the strategy's daily loss, auto-pause) as the deals are made
  let dealsSeen = 0;
  const moneyFacts = (magic: number, ticket: bigint, time: number, amount: number, closing: boolean, stillOpen: boolean) => {
    const step = closing ? core.observeClosed(magic, ticket, time, amount, stillOpen, positionFacts) : (core.observeCost(magic, time, amount), null);
    if (!step) return;
    if (o.onLog) {
      const line = stepLogLine(time, step);
      if (line) o.onLog(line);
    }
    carryOut(step, time);
  };
  const feedDeals = () => {
    const n = broker.dealCount;
    if (n === dealsSeen) return;
    const from = dealsSeen;
    dealsSeen = n;
    broker.forEachMoney(from, moneyFacts);
  };
  const view: MarketView = { bid: 0, ask: 0, positions: NO_POSITIONS }; // one object, refilled for every decision
  let lastMine: readonly PositionView[] | undefined;
  const riskSized = st.dynamicRisk?.riskPercentage !== undefined || st.dynamicRisk?.kelly !== undefined;
  const decide = (i: number) => {
    const q = broker.quoteOf(spec.symbol)!;
    // the list of the decision before when its positions are unchanged (a position trailed bar after bar)
    const mine = broker.openCount > 0 ? (lastMine = broker.positionsOfMagic(runner.magic, lastMine)) : NO_POSITIONS;
    view.bid = q.bid;
    view.ask = q.ask;
    view.positions = mine;
    if (riskSized) {
      view.equity = broker.equity;
      view.tickValue = broker.tickValue(spec.symbol)!; // moves with conversion rates; only risk sizing needs it
    }
    const time = q.timeMsc / 1000;
    venue.now = time;
    const { decision: d, step } = columns ? core.onColumn(id, i, view, venue) : core.onBar(id, barAt(bars, i, b), view, venue);
    if (d.refused) refused++;
    o.onDecision?.(d);
    if (o.onAction && (d.refused !== undefined || d.intents.length > 0)) o.onAction(d);
    if (o.onLog) {
      const line = decisionLogLine(id, d, step);
      if (line) o.onLog(line);
    }
    carryOut(step, time);
    feedDeals();
  };

  const fixedSpread = o.spread === undefined || o.spread === 'data' ? -1 : o.spread;
  const defSpread = spec.defaultSpread ?? 10;
  const sym = spec.symbol, digits = spec.digits;
  const TIME = bars.time, OPEN = bars.open, HIGH = bars.high, LOW = bars.low, CLOSE = bars.close;
  // the path of path.ts (barPath), without allocating it: open (a gap), then low/high or high/low, then close
  const pm = period * 1000;
  // a bar's prices as the broker sees them, in Float64Arrays so that the loop boxes no number crossing a call (four
  // heap numbers a bar were most of the garbage of a quiet bar): `open` the open quote (bid, ask, time), `pts` the three
  // continuous points of the bar's path for broker.path, `acc` the bar's close, balance and equity for the core
  const open = new Float64Array(3);
  const pts = new Float64Array(9);
  const acc = new Float64Array(3);
  const dt1 = Math.floor(pm / 4), dt2 = Math.floor(pm / 2), dt3 = Math.max(pm - 1000, Math.floor(pm / 2) + 1);
  let prevDay = warm < bars.length ? Math.floor(TIME[warm]! / 86400) : 0;
  for (let i = warm; i < bars.length; i++) {
    const t = TIME[i]!;
    const today = Math.floor(t / 86400);
    if (today !== prevDay) {
      // a rollover for every server day that ended, also those with no bar (a gap, a holiday): its weekday (1970-01-01
      // was a Thursday); the weekend's own charge nothing (broker/money.ts)
      for (let d = prevDay; d < today; d++) broker.rollover((d + 4) % 7);
      prevDay = today;
    }
    const spread = (fixedSpread >= 0 ? fixedSpread : barSpread(bars, i, defSpread)) * spec.point;
    const o1 = OPEN[i]!, h1 = HIGH[i]!, l1 = LOW[i]!, c1 = CLOSE[i]!;
    const t0 = t * 1000;
    const bull = c1 >= o1;
    open[0] = o1; open[1] = o1 + spread; open[2] = t0;
    roundInPlace(open, 1, digits);
    broker.quoteAt(sym, open, 0);
    if (i > warm && (!columns || core.acts(id, i - 1, broker.openCount))) decide(i - 1);
    const p1 = bull ? l1 : h1, p2 = bull ? h1 : l1;
    pts[0] = p1; pts[1] = p1 + spread; pts[2] = t0 + dt1;
    pts[3] = p2; pts[4] = p2 + spread; pts[5] = t0 + dt2;
    pts[6] = c1; pts[7] = c1 + spread; pts[8] = t0 + dt3;
    roundInPlace(pts, 1, digits);
    roundInPlace(pts, 4, digits);
    roundInPlace(pts, 7, digits);
    const openAtOpen = broker.openCount > 0;
    const exposed = broker.path(sym, pts, 3) || openAtOpen;
    if (broker.dealCount !== dealsSeen) feedDeals(); // SL, TP or stop-out on the path
    // the close, the balance and the equity (a flat account's equity is its balance: no need to build the account)
    acc[0] = t + period;
    broker.accountInto(acc, 1);
    const breach = core.observeAccountAt(acc, 0, positionFacts);
    if (breach) {
      if (o.onLog) {
        const line = stepLogLine(t + period, breach);
        if (line) o.onLog(line);
      }
      carryOut(breach, t + period);
    }
    equity.add(acc, 1, exposed); // its time is its bar's close, acc[0]
    if (o.onProgress && (i - warm) % 50_000 === 0) o.onProgress(i - warm, bars.length - warm);
  }
  if (bars.length > warm && (!columns || core.acts(id, bars.length - 1, broker.openCount))) decide(bars.length - 1);
  if (o.closeAtEnd ?? true) {
    // the end of the data is not a decision: the positions still open are closed to value the run
    const q = broker.quoteOf(spec.symbol)!;
    broker.positionList().forEach((p, k) => send({ type: 'CLOSE' as const, intentId: `end-${k}`, magic: p.magic, ticket: p.ticket, volume: 0, deviation: 1000 }, q.timeMsc / 1000));
    const a = broker.account();
    equity.setLast(a.equity, a.balance);
  }
  o.onProgress?.(bars.length - warm, bars.length - warm);
  // the trades straight from the broker's deal store's columns (no Deal object per row) into columns (no object per
  // trade), only what the figures read; the trades (built again, with their details) and the deals as objects only if
  // someone reads them
  const store = broker.dealColumns(), rows = () => broker.dealRows();
  const tradeTable = tradeTableFromStore(store, rows, false);
  let trades: Trade[] | undefined, deals: Deal[] | undefined;
  return {
    metrics: computeMetrics(tradeTable, equity, balance),
    get trades() { return (trades ??= tradeTableFromStore(store, rows, true).trades()); },
    tradeTable, equity,
    get deals() { return (deals ??= broker.deals()); },
    intents, rejected, refused, blocked, alerts, core: core.state(), bars: bars.length - warm, initialBalance: balance, columns,
  };
}
