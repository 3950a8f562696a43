/**
 * The market as the live host's strategies see it: the quotes of the symbols they trade, each symbol's contract
 * facts (refreshed from the terminal while ticks come, so sizing uses the tick value of now, not of the start),
 * the closes the correlation rules read, the forming bar of each (symbol, timeframe) for intrabar strategies, and
 * the broker's clock (its zone inferred from the offsets the terminal reports over time, or set in config).
 */
import type { StrategyRunner } from '../../engine/runner.js';
import type { BarIn } from '../../engine/indicators.js';
import { addReading, describeZone, inferBrokerZone, offsetFromClocks, type BrokerTimeZone, type OffsetObservation } from '../../engine/time/broker-time.js';
import type { NormalizedStrategy } from '../../engine/strategy/normalize.js';
import { TIMEFRAME_SECONDS, type Msg, type SymbolSpec, type Timeframe } from '../../protocol/messages.js';
import type { Terminal } from '../bridge/server.js';
import { MarketCloses } from './market-closes.js';

/** How old a symbol's contract facts (tick value first) may get while its ticks come before they are asked again, s. */
export const SPEC_REFRESH_SEC = 30;

export interface ZoneView {
  zone: BrokerTimeZone;
  description: string;
  source: 'config' | 'inferred' | 'default';
  readings: number;
}

export class MarketFeed {
  /** Contract facts by symbol; a refresh updates the object in place, so the runners holding it see it. */
  readonly specs = new Map<string, SymbolSpec>();
  readonly bid = new Map<string, number>();
  readonly ask = new Map<string, number>();
  /** The closes of the bars the host receives: the correlation filter and limit read them. */
  readonly closes = new MarketCloses();
  private readonly specAsked = new Map<string, number>();
  private readonly forming = new Map<string, BarIn>();
  /** the open time of the last closed bar of each (symbol, timeframe): a late tick of it forms nothing */
  private readonly lastClosed = new Map<string, number>();
  private readings: OffsetObservation[];
  private zoneNow: BrokerTimeZone;

  constructor(
    private readonly onZoneChange: (view: ZoneView, readings: OffsetObservation[]) => void,
    readings: OffsetObservation[] = [],
    private readonly configuredZone?: BrokerTimeZone,
  ) {
    this.readings = readings;
    this.zoneNow = configuredZone ?? inferBrokerZone(readings);
  }

  // ------------------------------------------------------------------ the broker's clock

  /** The broker's time zone the session filters use. */
  zone(): BrokerTimeZone {
    return this.zoneNow;
  }

  zoneView(): ZoneView {
    return { zone: this.zoneNow, description: describeZone(this.zoneNow), source: this.configuredZone ? 'config' : this.readings.length ? 'inferred' : 'default', readings: this.readings.length };
  }

  /**
   * A reading of the broker's clock: the offset the terminal reported in HELLO, or a server time against the host's
   * own clock (each account report). Returns true when the inferred zone changed (the runners are then rebuilt).
   */
  noteOffset(serverSec: number, offsetSec: number): boolean {
    // no reading from a clock that is not live (a replay's server time is years behind the host's): UTC±14 h at most
    if (!serverSec || Math.abs(offsetSec) > 14 * 3600) return false;
    const before = this.readings.length;
    const last = this.readings[this.readings.length - 1];
    this.readings = addReading(this.readings, { serverSec, offsetSec });
    if (this.configuredZone) return false;
    const z = inferBrokerZone(this.readings);
    const changed = JSON.stringify(z) !== JSON.stringify(this.zoneNow);
    this.zoneNow = z;
    if (changed || this.readings.length !== before || last?.offsetSec !== offsetSec) this.onZoneChange(this.zoneView(), this.readings);
    return changed;
  }

  /** A server time next to the host's clock (an account report): a reading of the offset. */
  noteServerTime(serverSec: number, unixSec: number): boolean {
    return this.noteOffset(serverSec, offsetFromClocks(serverSec, unixSec));
  }

  // ------------------------------------------------------------------ quotes and contract facts

  /** A batch of ticks: the last quote; true when the symbol's facts are due to be asked again. */
  onTicks(m: Msg<'TICKS'>, nowSec: number): boolean {
    const last = m.ticks[m.ticks.length - 1]!;
    this.bid.set(m.symbol, last[1]);
    this.ask.set(m.symbol, last[2]);
    return this.specs.has(m.symbol) && nowSec - (this.specAsked.get(m.symbol) ?? 0) >= SPEC_REFRESH_SEC;
  }

  /** Ask the terminal for a symbol's facts and keep them (in place: the runners built on them see the new ones). */
  async refreshSpec(t: Terminal, symbol: string, nowSec: number): Promise<SymbolSpec> {
    this.specAsked.set(symbol, nowSec);
    const fresh = await t.spec(symbol);
    const have = this.specs.get(symbol);
    if (have) return Object.assign(have, fresh);
    this.specs.set(symbol, fresh);
    return fresh;
  }

  // ------------------------------------------------------------------ bars

  /** A closed bar: its close is remembered; the forming bar of that series starts again. */
  onBar(m: Msg<'BAR'>): void {
    this.closes.note(m.symbol, m.timeframe, m.bar[0], m.bar[4]);
    const key = `${m.symbol}|${m.timeframe}`;
    this.forming.delete(key);
    if (m.bar[0] > (this.lastClosed.get(key) ?? -Infinity)) this.lastClosed.set(key, m.bar[0]);
  }

  /**
   * The forming bar of (symbol, timeframe) after these ticks (bid prices, as MT5 draws bars), or undefined for a
   * timeframe whose bars do not start at multiples of their length (W1, MN1: intrabar is refused there).
   */
  formingBar(m: Msg<'TICKS'>, timeframe: Timeframe): BarIn | undefined {
    if (timeframe === 'W1' || timeframe === 'MN1') return undefined;
    const period = TIMEFRAME_SECONDS[timeframe];
    const key = `${m.symbol}|${timeframe}`;
    let b = this.forming.get(key);
    const closed = this.lastClosed.get(key) ?? -Infinity;
    for (const [timeMsc, bid] of m.ticks) {
      const open = Math.floor(timeMsc / 1000 / period) * period;
      if (open <= closed) continue;
      if (!b || b.time !== open) {
        if (b && open < b.time) continue; // a late tick of a bar already gone
        const fresh: BarIn = { time: open, open: bid, high: bid, low: bid, close: bid, tickVolume: 0, realVolume: 0 };
        this.forming.set(key, (b = fresh));
      }
      if (bid > b.high) b.high = bid;
      if (bid < b.low) b.low = bid;
      b.close = bid;
      b.tickVolume = (b.tickVolume ?? 0) + 1;
    }
    return b;
  }

  // ------------------------------------------------------------------ subscriptions and warm-up

  /** Subscribe the terminal to the symbols and bars the strategies need. */
  subscribe(t: Terminal, strategies: Iterable<NormalizedStrategy>): void {
    const list = [...strategies];
    // (before any of them warms up: the other symbols' closes a correlation window reads are kept from their warm-up on)
    for (const s of list) if (s.filters.correlation) this.closes.keepAtLeast(s.filters.correlation.window + 1);
    const symbols = [...new Set(list.map((s) => s.symbol))];
    const bars = [...new Set(list.map((s) => `${s.symbol}|${s.timeframe}`))].map((k) => k.split('|') as [string, Timeframe]);
    t.subscribe(symbols, bars);
  }

  /** Warm a runner up on the terminal's last `n` bars of its series; returns how many it got. */
  async warmUp(t: Terminal, runner: StrategyRunner, s: NormalizedStrategy, n: number, nowSec: number): Promise<number> {
    // a correlation window longer than the warm-up: the window's closes fetched; every close warmed on is kept
    const window = s.filters.correlation?.window;
    if (window !== undefined) n = Math.max(n, window + 1);
    this.closes.keepAtLeast(n);
    const period = TIMEFRAME_SECONDS[s.timeframe];
    const h = await t.history(s.symbol, s.timeframe, nowSec - n * period * 2, n * 2);
    const hist = h.bars.slice(-n);
    for (let i = 0; i < hist.length; i++) {
      const [time, open, high, low, close, tickVolume, , realVolume] = hist[i]!;
      runner.warm({ time, open, high, low, close, tickVolume, realVolume });
      this.closes.note(s.symbol, s.timeframe, time, close);
      // the rules judged on the last bars too (the result dropped; judging changes nothing): the first live bar then
      // runs them compiled and warm instead of compiling them while its orders wait
      if (i >= hist.length - 20) runner.evaluator.evaluateFast(time + period);
    }
    return hist.length;
  }
}
