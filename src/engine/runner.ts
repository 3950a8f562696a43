/**
 * Runs one normalised strategy: closed bars in, decisions out (pure; the host or the backtester sends the
 * intents). On each close of the strategy's bar:
 *  1. manage open positions: time exit, partial exits, break-even, trailing (exits.ts);
 *  2. evaluate the rules (with a trace): close on the opposite signal or on the exit conditions;
 *  3. on an entry signal: filters, size (fixed lot or % risk over the stop), SL/TP from the exit rules — sent
 *     with the order, so they live on the broker's server.
 * The same runner drives live, paper and backtest; only the venue differs.
 */
import type { IntentBody, Timeframe } from '../protocol/messages.js';
import { TIMEFRAME_SECONDS } from '../protocol/messages.js';
import { BarAggregator, aggregateSeries, type HigherSeries } from './aggregate.js';
import type { BarSeries } from './bars.js';
import { FeatureState } from './ml/features.js';
import { gateDecision, type GateDecision } from './ml/gate.js';
import type { SignalModel } from './ml/model.js';
import type { IndicatorHub } from './indicator-hub.js';
import { manageExits, managesPositions, type ExitMarket, type ManagedPosition } from './exits.js';
import type { IntentTag } from './core/order-manager.js';
import { base36, shortHash } from './ids.js';
import { correlationFilter, pipSize, sessionFilter, spreadFilter, volatilityFilter, type FilterResult } from './filters.js';
import { DEFAULT_BROKER_TZ, type BrokerTimeZone } from './time/broker-time.js';
import type { BarIn } from './indicators.js';
import { roundPrice } from './money.js';
import { atrSize, fixedLot, kellySize, riskPercentSize, volatilityScaledSize, type SizeResult } from './sizing.js';
import { COLUMN_BLOCK, StrategyEvaluator, type Evaluation } from './strategy/evaluator.js';
import type { NormalizedStrategy } from './strategy/normalize.js';

export interface SymbolInfo {
  digits: number;
  point: number;
  tickSize: number;
  /** Value of one tick for one lot in the account currency, now (SYMBOL_TRADE_TICK_VALUE). */
  tickValue: number;
  volumeMin: number;
  volumeMax: number;
  volumeStep: number;
  stopsLevel: number;
  freezeLevel: number;
}

export interface MarketView {
  bid: number;
  ask: number;
  /** Open positions of this strategy (by magic). */
  positions: readonly { ticket: bigint; type: number; volume: number; priceOpen: number; sl: number; tp: number; time: number }[];
  /** For % risk sizing; fixed-lot strategies may omit it. */
  equity?: number;
  /** The symbol's tick value in account currency now, if it moves with a conversion rate (USDJPY on USD…). */
  tickValue?: number;
  /**
   * For the correlation filter: the symbols with open positions on the account, and the closed bars (time, close)
   * of the strategy's timeframe the venue has for each symbol. A venue that trades one symbol gives none.
   */
  correlation?: { openSymbols: readonly string[]; closes: ReadonlyMap<string, { time: ArrayLike<number>; close: ArrayLike<number> }> };
  /** The strategy's own closed trades so far (for Kelly sizing): count, winners, gross profit and gross loss (≥ 0). */
  stats?: { trades: number; wins: number; grossProfit: number; grossLoss: number };
}

const NO_CLOSES: ReadonlyMap<string, { time: ArrayLike<number>; close: ArrayLike<number> }> = new Map();

/** A decision's lists are read-only to whoever receives it: an empty one is shared and frozen (below). */
export interface Decision {
  time: number;
  evaluation: Evaluation;
  filters: readonly FilterResult[];
  intents: readonly IntentBody[];
  /** Why each intent was proposed (parallel to `intents`). */
  tags: readonly IntentTag[];
  /** What the position management did (break-even, trailing, partials, time exit). */
  notes: readonly string[];
  sizing?: SizeResult;
  /** Why a signal did not become an order, if it did not. */
  refused?: string;
  /** The ML gate's decision on this entry (strategies with options.ml, mode observe or enforce). */
  ml?: GateDecision;
}

/** The magic number a strategy's orders carry: options.magic, else derived from the strategy id. */
export function strategyMagic(s: NormalizedStrategy): number {
  return s.options.magic ?? parseInt(shortHash(s.id).slice(0, 6), 36) % 2_000_000_000;
}

const ENTRY_TAG: IntentTag = Object.freeze({ purpose: 'entry' }) as IntentTag;
/**
 * The lists of a decision that has none of that kind (most decisions have no filter and no note; a quiet one has no
 * intent either): shared and frozen, so nothing can add to one by mistake — `push` below puts a new list in its place.
 */
const NO_FILTERS: readonly FilterResult[] = Object.freeze([]);
const NO_NOTES: readonly string[] = Object.freeze([]);
const NO_INTENTS: readonly IntentBody[] = Object.freeze([]);
const NO_TAGS: readonly IntentTag[] = Object.freeze([]);

/** Add an intent and its tag to a decision (its own lists made at the first: a list of one, not a grown empty one). */
function addIntent(d: Decision, intent: IntentBody, tag: IntentTag): void {
  if (d.intents === NO_INTENTS) {
    d.intents = [intent];
    d.tags = [tag];
  } else {
    (d.intents as IntentBody[]).push(intent); // a list of its own (not the shared empty one): this decision's
    (d.tags as IntentTag[]).push(tag);
  }
}

function addNote(d: Decision, note: string): void {
  if (d.notes === NO_NOTES) d.notes = [note];
  else (d.notes as string[]).push(note);
}

function addFilter(d: Decision, f: FilterResult): void {
  if (d.filters === NO_FILTERS) d.filters = [f];
  else (d.filters as FilterResult[]).push(f);
}

export class StrategyRunner {
  readonly evaluator: StrategyEvaluator;
  readonly magic: number;
  private readonly aggs: BarAggregator[];
  private readonly idBase: string;
  private readonly pip: number;
  private readonly managed = new Map<bigint, ManagedPosition>();
  private readonly exitSymbol: SymbolInfo & { pip: number };
  private readonly trace: boolean;
  /** Do the exit rules manage open positions (time exit, partials, break-even, trailing)? */
  private readonly manages: boolean;
  private readonly features: FeatureState | undefined;
  private lastFeatures: Float64Array | null = null;
  readonly model: SignalModel | undefined;
  /** Column mode (backtests): the series (the rules' bits come from the evaluator, a block at a time). */
  private series: BarSeries | undefined;
  /** Indicators shared through a hub (bar by bar only: column mode is a backtest's own). */
  private readonly shared: boolean;

  /**
   * `trace: false` skips building evaluation traces (backtests); live and paper keep them for the log.
   * `model`: the signal-quality model for a strategy with options.ml (without one, enforce refuses entries).
   * `hub`: the host's shared indicators (indicator-hub.ts): the same indicators on the same bars computed once
   * for all the strategies that use them, with the same values as each computing its own.
   */
  constructor(readonly strategy: NormalizedStrategy, readonly symbol: SymbolInfo, public tz: BrokerTimeZone = DEFAULT_BROKER_TZ, opts: { trace?: boolean; model?: SignalModel; hub?: IndicatorHub } = {}) {
    this.evaluator = new StrategyEvaluator(strategy, opts.hub ? { hub: opts.hub } : {});
    this.shared = opts.hub !== undefined;
    this.trace = opts.trace ?? true;
    this.model = opts.model;
    if (strategy.options.ml && strategy.options.ml.mode !== 'off') this.features = new FeatureState();
    this.magic = strategyMagic(strategy);
    // higher timeframes are built from the strategy's own bars
    this.aggs = strategy.timeframes
      .filter((tf) => tf !== strategy.timeframe && TIMEFRAME_SECONDS[tf] > TIMEFRAME_SECONDS[strategy.timeframe])
      .map((tf) => new BarAggregator(tf, TIMEFRAME_SECONDS[strategy.timeframe]));
    this.idBase = shortHash(strategy.id);
    this.pip = pipSize(symbol.digits, symbol.point);
    this.exitSymbol = { ...symbol, pip: this.pip };
    this.manages = managesPositions(strategy.exit);
  }

  /** A closed bar of history: indicators warm up, nothing is decided. */
  warm(bar: BarIn): void {
    this.evaluator.pushBar(this.strategy.timeframe, bar);
    if (this.features) this.lastFeatures = this.features.push(bar);
    for (const a of this.aggs) for (const h of a.push(bar)) this.evaluator.pushBar(a.timeframe as Timeframe, h);
  }

  /** A closed bar of the strategy's timeframe; returns the decision taken at its close. */
  onBar(bar: BarIn, market: MarketView): Decision {
    this.warm(bar);
    const T = bar.time + TIMEFRAME_SECONDS[this.strategy.timeframe];
    return this.decide(T, this.trace ? this.evaluator.evaluate(T) : this.evaluator.evaluateFast(T), market);
  }

  /**
   * Intrabar evaluation (options.evaluation "intrabar"): the forming bar of the strategy's timeframe, peeked and
   * never committed, decides now. Its decision time is the bar's close, as onBar's for the same bar: the intents
   * carry the same ids, so what a forming bar sent is not sent again when the bar closes.
   */
  onForming(forming: BarIn, market: MarketView): Decision {
    const T = forming.time + TIMEFRAME_SECONDS[this.strategy.timeframe];
    return this.decide(T, this.trace ? this.evaluator.evaluate(T, forming) : this.evaluator.evaluateFast(T, forming), market);
  }

  /**
   * Column mode, for a backtest over a whole series: the indicators and the rules are computed a block of bars
   * at a time, a column at a time, by the same indicator objects and the same comparisons (so the same values and
   * signals as bar by bar); then `decideAt(i)` takes bar i's decision and `acts(i)` says whether it can do
   * anything, bars in order. Only for a strategy with closed-bar evaluation and no ML features whose other
   * timeframes are higher ones built from its own bars (their bars built from the series at once, aggregate.ts:
   * the bars and the moments warm() gives them), on a series in time order (false otherwise, and nothing changes);
   * before any bar is pushed.
   */
  useColumns(series: BarSeries): boolean {
    const s = this.strategy;
    if (this.trace || this.shared || this.features || s.timeframes.length !== 1 + this.aggs.length || s.options.evaluation === 'intrabar') return false;
    const higher: HigherSeries[] = [];
    for (const a of this.aggs) {
      const h = aggregateSeries(series, a.timeframe, a.lowerPeriodSec);
      if (!h) return false;
      higher.push(h);
    }
    this.evaluator.useColumns(s.timeframe, series, COLUMN_BLOCK, higher);
    this.series = series;
    return true;
  }

  /**
   * Column mode: can the decision at the close of bar i emit an intent or a refusal, with `open` positions of
   * this strategy? No when there is no signal and nothing open, or when what is open is managed by nothing
   * (no trailing, break-even, partials or time exit) and no exit condition holds — then `decideAt(i)` would
   * return an empty decision, and skipping it changes nothing.
   */
  acts(i: number, open: number): boolean {
    const b = this.evaluator.bitsAt(i);
    return (b & 3) === 1 || (b & 3) === 2 || (open > 0 && (this.manages || (b & 12) !== 0));
  }

  /** Column mode: the decision at the close of bar i of the series (`onBar` of that bar, all before it pushed). */
  decideAt(i: number, market: MarketView): Decision {
    const tf = this.strategy.timeframe;
    this.evaluator.seek(tf, i + 1);
    const T = this.series!.time[i]! + TIMEFRAME_SECONDS[tf];
    return this.decide(T, this.evaluator.evaluationOf(T, this.evaluator.bitsAt(i)), market);
  }

  private decide(T: number, evaluation: Evaluation, market: MarketView): Decision {
    const s = this.strategy;
    const d: Decision = { time: T, evaluation, filters: NO_FILTERS, intents: NO_INTENTS, tags: NO_TAGS, notes: NO_NOTES };
    if (market.positions.length === 0 && !evaluation.signal) {
      if (this.managed.size) this.managed.clear(); // nothing open, nothing to do (clear() reallocates even when empty)
      return d;
    }
    let tagText = ''; // `${idBase}-${T in base 36}`, built only for an intent (tagOf)

    // 1. manage what is open (positions of this strategy only), if the exit rules manage anything
    let closing: bigint[] | undefined; // full closes proposed (made at the first)
    if (this.manages) {
      // the market as the exit rules read it: one object, refilled for every decision (manageExits keeps none)
      const em = this.exitMarket;
      em.bid = market.bid;
      em.ask = market.ask;
      em.time = T;
      em.atr = this.evaluator.value(s.timeframe, 'atr:14');
      // (indexed loops here: this function's array iterators were a third of a managed backtest's garbage)
      const positions = market.positions;
      for (let j = 0; j < positions.length; j++) {
        const p = positions[j]!;
        let m = this.managed.get(p.ticket);
        if (!m) {
          m = {
            ticket: p.ticket, side: p.type === 0 ? 0 : 1, entry: p.priceOpen, initialVolume: p.volume, volume: p.volume,
            sl: p.sl, tp: p.tp, risk: p.sl > 0 ? Math.abs(p.priceOpen - p.sl) : 0, openTime: p.time, partialsDone: 0, breakEvenDone: false,
          };
          this.managed.set(p.ticket, m);
        }
        m.volume = p.volume;
        m.sl = p.sl;
        m.tp = p.tp;
        const e = manageExits(m, em, s.exit, this.exitSymbol, this.magic, this.idBase);
        for (let k = 0; k < e.intents.length; k++) {
          const i = e.intents[k]!;
          addIntent(d, i, e.tags[k]!);
          if (i.type === 'CLOSE' && i.volume === 0) (closing ??= []).push(p.ticket);
        }
        for (let k = 0; k < e.notes.length; k++) addNote(d, `#${p.ticket}: ${e.notes[k]!}`);
      }
      // every open position is in the map now: anything more is a position that has gone
      if (this.managed.size > market.positions.length) {
        // (deleting the entry being visited is safe in a Map's iteration: the others are all still visited)
        for (const t of this.managed.keys()) if (!market.positions.some((p) => p.ticket === t)) this.managed.delete(t);
      }
    }

    // 2. close on the opposite signal or the exit conditions
    // exit conditions by the position's side (a side-less rule set is both sides' own)
    const exitLong = evaluation.exit?.result === true;
    const exitShort = s.exit.conditionsShort === s.exit.conditionsLong ? exitLong : evaluation.exitShort?.result === true;
    for (let j = 0; j < market.positions.length; j++) {
      const p = market.positions[j]!;
      if (closing?.includes(p.ticket)) continue;
      const opposite = s.exit.exitOnOppositeSignal && ((p.type === 0 && evaluation.signal === 'SELL') || (p.type === 1 && evaluation.signal === 'BUY'));
      if (opposite || (p.type === 0 ? exitLong : exitShort)) {
        tagText ||= this.tagOf(T);
        addIntent(d, { type: 'CLOSE', intentId: `${tagText}-x${d.intents.length}`, magic: this.magic, ticket: p.ticket, volume: 0, deviation: 20 }, { purpose: 'close', ticket: p.ticket });
        (closing ??= []).push(p.ticket);
      }
    }
    if (!evaluation.signal) return d;

    // 3. a new entry
    const side = evaluation.signal === 'BUY' ? 0 : 1;
    let staying = 0;
    for (let j = 0; j < market.positions.length; j++) if (!closing?.includes(market.positions[j]!.ticket)) staying++;
    if (staying >= s.risk.maxPositions) {
      d.refused = `maxPositions ${s.risk.maxPositions} reached`;
      return d;
    }
    let mult = 1;
    const f = s.filters;
    if (f.session) addFilter(d, sessionFilter(f.session, T, this.tz));
    if (f.spread) addFilter(d, spreadFilter(f.spread, (market.ask - market.bid) / this.pip));
    if (f.volatility) addFilter(d, volatilityFilter(f.volatility, this.atr(f.volatility.atrPeriod) / this.pip));
    if (f.correlation) addFilter(d, correlationFilter(f.correlation, s.symbol, market.correlation?.openSymbols ?? [], market.correlation?.closes ?? NO_CLOSES));
    for (let k = 0; k < d.filters.length; k++) mult *= d.filters[k]!.sizeMultiplier;
    if (mult === 0) {
      d.refused = `filtered: ${d.filters.filter((r) => r.sizeMultiplier === 0).map((r) => `${r.filter} (${r.detail})`).join('; ')}`;
      return d;
    }
    // the ML gate: same rule in backtest, paper and live
    if (s.options.ml && s.options.ml.mode !== 'off') {
      const g = gateDecision(s.options.ml, this.model, this.lastFeatures);
      d.ml = g;
      if (!g.allow) {
        d.refused = `ml gate: ${g.reason}${g.modelVersion ? ` (model ${g.modelVersion})` : ''}`;
        return d;
      }
      mult *= g.sizeMultiplier;
      if (mult === 0) {
        d.refused = `ml gate: regime ${g.regime} sizes entries to 0`;
        return d;
      }
    }

    // SL/TP from the exit rules, priced off the side's entry price
    const entry = side === 0 ? market.ask : market.bid;
    const dir = side === 0 ? 1 : -1;
    let sl = 0;
    const x = s.exit;
    if (x.stopLoss) {
      const st = x.stopLoss;
      sl = st.type === 'pips' ? entry - dir * st.pips * this.pip
        : st.type === 'percentage' ? entry * (1 - (dir * st.percent) / 100)
        : st.type === 'atr' ? entry - dir * st.multiplier * this.atr(st.atrPeriod)
        : st.price;
      if (!Number.isFinite(sl)) {
        d.refused = 'stop loss not computable yet (ATR warm-up)';
        return d;
      }
      sl = roundPrice(sl, this.symbol.tickSize, this.symbol.digits);
      if ((sl - entry) * dir >= 0) {
        d.refused = `stop loss ${sl} is on the wrong side of the entry ${entry}`;
        return d;
      }
    }
    let tp = 0;
    if (x.takeProfit) {
      const t = x.takeProfit;
      const risk = Math.abs(entry - sl);
      tp = t.type === 'pips' ? entry + dir * t.pips * this.pip
        : t.type === 'percentage' ? entry * (1 + (dir * t.percent) / 100)
        : t.type === 'atr' ? entry + dir * t.multiplier * this.atr(t.atrPeriod)
        : t.type === 'rr_ratio' ? entry + dir * t.ratio * risk
        : t.type === 'partial' ? entry + dir * t.levels[t.levels.length - 1]!.atRR * risk // the rest rides to the last level
        : t.price;
      tp = Number.isFinite(tp) ? roundPrice(tp, this.symbol.tickSize, this.symbol.digits) : tp;
      if (!Number.isFinite(tp) || (tp - entry) * dir <= 0) {
        d.refused = `take profit ${tp} is not beyond the entry ${entry}`;
        return d;
      }
    }
    // the regime may widen or tighten the exits, as the strategy's options.ml.regimeExit says
    const rx = d.ml?.regime ? s.options.ml?.regimeExit?.[d.ml.regime] : undefined;
    if (rx) {
      if (rx.sl !== undefined && sl > 0) sl = roundPrice(entry - dir * Math.abs(entry - sl) * rx.sl, this.symbol.tickSize, this.symbol.digits);
      if (rx.tp !== undefined && tp > 0) tp = roundPrice(entry + dir * Math.abs(tp - entry) * rx.tp, this.symbol.tickSize, this.symbol.digits);
      addNote(d, `regime ${d.ml!.regime}: SL × ${rx.sl ?? 1}, TP × ${rx.tp ?? 1}`);
    }
    // stops level: a server-side SL/TP too close to the price would be refused (10016): refuse it here, with the reason
    const minDist = this.symbol.stopsLevel * this.symbol.point;
    if (minDist > 0 && ((sl > 0 && Math.abs(entry - sl) < minDist) || (tp > 0 && Math.abs(tp - entry) < minDist))) {
      d.refused = `SL/TP closer than the stops level (${this.symbol.stopsLevel} points)`;
      return d;
    }

    // size
    const dyn = s.dynamicRisk;
    const sym = market.tickValue !== undefined ? { ...this.symbol, tickValue: market.tickValue } : this.symbol;
    let size: SizeResult;
    const kelly = dyn?.kelly, st = market.stats;
    if (kelly && st && st.trades >= kelly.minTrades) {
      // fractional Kelly from the strategy's own closed trades: win rate W, payoff R = average win / average loss
      const losses = st.trades - st.wins;
      const payoff = st.wins === 0 ? 0 : losses === 0 || st.grossLoss === 0 ? Infinity : st.grossProfit / st.wins / (st.grossLoss / losses);
      size = kellySize(sym, market.equity ?? NaN, st.wins / st.trades, payoff, kelly.fraction, kelly.capPercent, Math.abs(entry - sl), mult);
    } else if (dyn?.riskPercentage !== undefined) {
      const equity = market.equity ?? NaN;
      if (dyn.useATRSizing && !x.stopLoss) size = atrSize(sym, equity, dyn.riskPercentage, this.atr(14), dyn.atrMultiplier, mult);
      else size = riskPercentSize(sym, equity, dyn.riskPercentage, Math.abs(entry - sl), mult);
    } else if (dyn?.volatilityScaling) {
      const v = dyn.volatilityScaling;
      size = volatilityScaledSize(sym, s.risk.lotSize ?? sym.volumeMin, v.targetAtrPips * this.pip, this.atr(v.atrPeriod), v.maxScale, mult);
    } else {
      size = fixedLot(sym, s.risk.lotSize ?? sym.volumeMin, mult);
    }
    if (size.ok && dyn?.reduceInHighVolatility && dyn.volatilityThreshold !== undefined && this.atr(14) / this.pip > dyn.volatilityThreshold) {
      size = fixedLot(sym, size.volume, 0.5);
    }
    d.sizing = size;
    if (!size.ok) {
      d.refused = `size: ${size.reason}`;
      return d;
    }
    tagText ||= this.tagOf(T);
    addIntent(d, { type: 'OPEN', intentId: `${tagText}-o`, magic: this.magic, symbol: s.symbol, side, volume: size.volume, sl, tp, deviation: 20 }, ENTRY_TAG);
    return d;
  }

  /** The start of the ids of a decision's intents at time T. */
  private tagOf(T: number): string {
    return `${this.idBase}-${base36(T)}`;
  }

  /** ATR(period) of the strategy's timeframe now (its key made once a period: a string built per entry was garbage). */
  private atr(period: number): number {
    let key = this.atrKeys[period];
    if (key === undefined) this.atrKeys[period] = key = `atr:${period}`;
    return this.evaluator.value(this.strategy.timeframe, key);
  }

  private readonly atrKeys: string[] = [];
  private readonly exitMarket: ExitMarket = { bid: 0, ask: 0, time: 0, atr: NaN };

  /**
   * The broker refused an intent of this runner (`retrying`: the order manager sends it again). A refused
   * break-even move counts as not done: the runner proposes it again on a later bar.
   */
  onRejected(tag: IntentTag, _retrying: boolean): void {
    if (tag.purpose === 'stop' && tag.breakEven && tag.ticket !== undefined) {
      const m = this.managed.get(tag.ticket);
      if (m) m.breakEvenDone = false;
    }
  }

  /** Is any position managed (partials taken, break-even, trailing…)? */
  get managing(): boolean {
    return this.managed.size > 0;
  }

  /** The positions this runner manages, with what it has done to them (persisted by the core's state). */
  managedPositions(): ManagedPosition[] {
    return [...this.managed.values()].map((m) => ({ ...m }));
  }

  /** After a restart: the managed positions as they were (partials taken, break-even done…). */
  restoreManaged(list: readonly ManagedPosition[]): void {
    for (const m of list) this.managed.set(m.ticket, { ...m });
  }
}
