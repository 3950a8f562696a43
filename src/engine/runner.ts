/**
 * Runs one normalised strategy: closed bars in, decisions out (pure; the host sends the intents).
 * On each close of the strategy's bar: evaluate the rules (with a trace), apply the filters, and emit
 * intents — close on the opposite signal or on exit conditions, open with SL/TP computed from the exit rules
 * and sent with the order, so they live on the broker's server.
 * Not here yet (Engine II): risk-based sizing, trailing, break-even, partial and time exits.
 */
import type { IntentBody, Timeframe } from '../protocol/messages.js';
import { TIMEFRAME_SECONDS } from '../protocol/messages.js';
import { BarAggregator } from './aggregate.js';
import { DEFAULT_BROKER_TZ, pipSize, sessionFilter, spreadFilter, volatilityFilter, type BrokerTimeZone, type FilterResult } from './filters.js';
import type { BarIn } from './indicators.js';
import { floorVolume, roundPrice } from './money.js';
import { StrategyEvaluator, type Evaluation } from './strategy/evaluator.js';
import type { NormalizedStrategy } from './strategy/normalize.js';

export interface SymbolInfo {
  digits: number;
  point: number;
  tickSize: number;
  volumeMin: number;
  volumeMax: number;
  volumeStep: number;
}

export interface MarketView {
  bid: number;
  ask: number;
  /** Open positions of this strategy (by magic). */
  positions: { ticket: bigint; type: number; volume: number }[];
}

export interface Decision {
  time: number;
  evaluation: Evaluation;
  filters: FilterResult[];
  intents: IntentBody[];
  /** Why a signal did not become an order, if it did not. */
  refused?: string;
}

/** A short, stable id for intent ids (they must fit the order comment: 24 characters). */
function shortHash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36).padStart(7, '0').slice(0, 7);
}

export class StrategyRunner {
  readonly evaluator: StrategyEvaluator;
  readonly magic: number;
  private readonly aggs: BarAggregator[];
  private readonly idBase: string;
  private readonly pip: number;

  constructor(readonly strategy: NormalizedStrategy, readonly symbol: SymbolInfo, readonly tz: BrokerTimeZone = DEFAULT_BROKER_TZ) {
    this.evaluator = new StrategyEvaluator(strategy);
    this.magic = strategy.options.magic ?? parseInt(shortHash(strategy.id).slice(0, 6), 36) % 2_000_000_000;
    // higher timeframes are built from the strategy's own bars
    this.aggs = strategy.timeframes
      .filter((tf) => tf !== strategy.timeframe && TIMEFRAME_SECONDS[tf] > TIMEFRAME_SECONDS[strategy.timeframe])
      .map((tf) => new BarAggregator(tf, TIMEFRAME_SECONDS[strategy.timeframe]));
    this.idBase = shortHash(strategy.id);
    this.pip = pipSize(symbol.digits, symbol.point);
  }

  /** A closed bar of history: indicators warm up, nothing is decided. */
  warm(bar: BarIn): void {
    this.evaluator.pushBar(this.strategy.timeframe, bar);
    for (const a of this.aggs) for (const h of a.push(bar)) this.evaluator.pushBar(a.timeframe as Timeframe, h);
  }

  /** A closed bar of the strategy's timeframe; returns the decision taken at its close. */
  onBar(bar: BarIn, market: MarketView): Decision {
    const s = this.strategy;
    this.warm(bar);
    const T = bar.time + TIMEFRAME_SECONDS[s.timeframe];
    const evaluation = this.evaluator.evaluate(T);
    const d: Decision = { time: T, evaluation, filters: [], intents: [] };
    const tag = `${this.idBase}-${T.toString(36)}`;
    const mine = market.positions;

    // exits first: opposite signal, exit conditions
    const exitAll = evaluation.exit?.result === true;
    for (const p of mine) {
      const opposite = s.exit.exitOnOppositeSignal && ((p.type === 0 && evaluation.signal === 'SELL') || (p.type === 1 && evaluation.signal === 'BUY'));
      if (opposite || exitAll) {
        d.intents.push({ type: 'CLOSE', intentId: `${tag}-x${d.intents.length}`, magic: this.magic, ticket: p.ticket, volume: 0, deviation: 20 });
      }
    }
    if (!evaluation.signal) return d;
    const side = evaluation.signal === 'BUY' ? 0 : 1;
    const staying = mine.filter((p) => !d.intents.some((i) => i.type === 'CLOSE' && i.ticket === p.ticket));
    if (staying.length >= s.risk.maxPositions) {
      d.refused = `maxPositions ${s.risk.maxPositions} reached`;
      return d;
    }

    // filters
    let mult = 1;
    const f = s.filters;
    if (f.session) d.filters.push(sessionFilter(f.session, T, this.tz));
    if (f.spread) d.filters.push(spreadFilter(f.spread, (market.ask - market.bid) / this.pip));
    if (f.volatility) d.filters.push(volatilityFilter(f.volatility, this.evaluator.value(s.timeframe, `atr:${f.volatility.atrPeriod}`) / this.pip));
    for (const r of d.filters) mult *= r.sizeMultiplier;
    if (mult === 0) {
      d.refused = `filtered: ${d.filters.filter((r) => r.sizeMultiplier === 0).map((r) => `${r.filter} (${r.detail})`).join('; ')}`;
      return d;
    }

    // SL/TP from the exit rules, priced off the side's entry price
    const entry = side === 0 ? market.ask : market.bid;
    const dir = side === 0 ? 1 : -1;
    const atr = (period: number) => this.evaluator.value(s.timeframe, `atr:${period}`);
    let sl = 0;
    const x = s.exit;
    if (x.stopLoss) {
      const st = x.stopLoss;
      sl = st.type === 'pips' ? entry - dir * st.pips * this.pip
        : st.type === 'percentage' ? entry * (1 - (dir * st.percent) / 100)
        : st.type === 'atr' ? entry - dir * st.multiplier * atr(st.atrPeriod)
        : st.price;
      if (!Number.isFinite(sl)) {
        d.refused = 'stop loss not computable yet (ATR warm-up)';
        return d;
      }
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
        : t.type === 'atr' ? entry + dir * t.multiplier * atr(t.atrPeriod)
        : t.type === 'rr_ratio' ? entry + dir * t.ratio * risk
        : t.type === 'partial' ? entry + dir * t.levels[t.levels.length - 1]!.atRR * risk // the rest rides to the last level
        : t.price;
      if (!Number.isFinite(tp) || (tp - entry) * dir <= 0) {
        d.refused = `take profit ${tp} is not beyond the entry ${entry}`;
        return d;
      }
    }
    const lots = s.risk.lotSize ?? this.symbol.volumeMin;
    const volume = Math.min(floorVolume(lots * mult, this.symbol.volumeStep), this.symbol.volumeMax);
    if (volume < this.symbol.volumeMin) {
      d.refused = `volume ${lots * mult} is below the minimum ${this.symbol.volumeMin} after filters (never rounded up)`;
      return d;
    }
    const px = (p: number) => (p > 0 ? roundPrice(p, this.symbol.tickSize, this.symbol.digits) : 0);
    d.intents.push({
      type: 'OPEN', intentId: `${tag}-o`, magic: this.magic, symbol: s.symbol, side, volume, sl: px(sl), tp: px(tp), deviation: 20,
    });
    return d;
  }
}
