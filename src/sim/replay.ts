/**
 * Replays bars (or ticks) into a simulated terminal at real, accelerated or maximum speed.
 *
 * For each bar: the open arrives as a gap; then the previous bar is reported closed (BAR), and in lockstep
 * mode the replay waits until the host has handled it (so an intent sent on that bar fills at this open,
 * deterministically); then the rest of the bar's path (see path.ts). Swaps roll over at server midnight.
 */
import type { BarSeries } from '../engine/bars.js';
import { roundTo } from '../engine/money.js';
import { TIMEFRAME_SECONDS, type Timeframe } from '../protocol/messages.js';
import { barPath, barSpread } from './path.js';
import { barTupleAt, type SimTerminal } from './terminal.js';

export interface ReplayOptions {
  symbol: string;
  timeframe: Timeframe;
  bars: BarSeries;
  /** Spread in points where the data has none. */
  defaultSpread: number;
  /** First bar to replay; bars before it are served as history. Default 0. */
  from?: number;
  to?: number;
  /** Pace: bars per second of wall time. Omit for as fast as possible. */
  barsPerSecond?: number;
  /** Wait for the host after each closed bar (deterministic fills). Default true. */
  lockstep?: boolean;
  signal?: AbortSignal;
  onBar?: (index: number) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function replayBars(term: SimTerminal, o: ReplayOptions): Promise<{ bars: number; aborted: boolean }> {
  const { bars, symbol, timeframe } = o;
  const spec = term.broker.spec(symbol);
  if (!spec) throw new Error(`symbol ${symbol} is not configured in the simulated broker`);
  const from = o.from ?? 0;
  const to = Math.min(o.to ?? bars.length, bars.length);
  const period = bars.periodSec || TIMEFRAME_SECONDS[timeframe];
  const lockstep = o.lockstep ?? true;
  term.setHistory(symbol, timeframe, bars, from);
  const started = performance.now();
  let done = 0;
  for (let i = from; i < to; i++) {
    if (o.signal?.aborted) return { bars: done, aborted: true };
    const t = bars.time[i]!;
    if (i > from) {
      // a rollover for every server day that ended (as the backtest: sim/backtest.ts)
      for (let d = Math.floor(bars.time[i - 1]! / 86400); d < Math.floor(t / 86400); d++) term.broker.rollover((d + 4) % 7);
    }
    const spread = barSpread(bars, i, o.defaultSpread) * spec.point;
    const path = barPath(t, period, bars.open[i]!, bars.high[i]!, bars.low[i]!, bars.close[i]!);
    const first = path[0]!;
    term.quote(symbol, first.price, roundTo(first.price + spread, spec.digits), first.timeMsc, false);
    if (i > from) {
      term.barClosed(symbol, timeframe, barTupleAt(bars, i - 1));
      if (lockstep) await term.sync();
    }
    for (let k = 1; k < path.length; k++) {
      const p = path[k]!;
      term.quote(symbol, p.price, roundTo(p.price + spread, spec.digits), p.timeMsc, true);
    }
    done++;
    o.onBar?.(i);
    if (o.barsPerSecond) {
      const due = started + (done / o.barsPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
    } else if (!lockstep && done % 256 === 0) {
      await new Promise<void>((r) => setImmediate(r)); // let the socket breathe
    }
  }
  if (to > from) {
    term.barClosed(symbol, timeframe, barTupleAt(bars, to - 1));
    if (lockstep) await term.sync();
  }
  return { bars: done, aborted: false };
}


/** Replay real ticks (no bars are derived): each tick is a separate quote, with gap semantics. */
export async function replayTicks(
  term: SimTerminal,
  symbol: string,
  ticks: { timeMsc: number; bid: number; ask: number }[],
  opts: { signal?: AbortSignal; speed?: number } = {},
): Promise<number> {
  const t0 = ticks[0]?.timeMsc ?? 0;
  const wall0 = performance.now();
  let n = 0;
  for (const tk of ticks) {
    if (opts.signal?.aborted) break;
    if (opts.speed) {
      const due = wall0 + (tk.timeMsc - t0) / opts.speed;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
    }
    term.quote(symbol, tk.bid, tk.ask, tk.timeMsc, false);
    n++;
  }
  return n;
}
