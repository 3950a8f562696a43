/**
 * A small placeholder strategy for the main job until the strategy engine lands: a moving-average cross on
 * closed bars (fast 10 / slow 30 simple averages of the close), always in the market, with a fixed stop and
 * target in points sent with each order. Pure: bars in, intents out; ids derived from the bar time, so the
 * same bar never yields two different orders.
 */
import type { IntentBody } from '../protocol/messages.js';
import { roundPrice } from './money.js';

export interface PlaceholderConfig {
  id: string;
  symbol: string;
  fast: number;
  slow: number;
  volume: number;
  slPoints: number;
  tpPoints: number;
  magic: number;
}

export interface PlaceholderView {
  /** Open position of this strategy, if any. */
  position: { ticket: bigint; type: 0 | 1 } | undefined;
  point: number;
  tickSize: number;
  digits: number;
  bid: number;
  ask: number;
}

export interface PlaceholderSignal {
  side: 'BUY' | 'SELL';
  fast: number;
  slow: number;
  intents: IntentBody[];
}

export class PlaceholderStrategy {
  private readonly closes: number[] = [];
  private prevDiff: number | undefined;

  constructor(readonly cfg: PlaceholderConfig) {}

  /** Feed one closed bar; returns the intents to send (empty when nothing to do). */
  onBar(time: number, close: number, view: PlaceholderView): PlaceholderSignal | undefined {
    const c = this.closes;
    c.push(close);
    if (c.length > this.cfg.slow) c.shift();
    if (c.length < this.cfg.slow) return undefined;
    const fast = avg(c, this.cfg.fast);
    const slow = avg(c, this.cfg.slow);
    const diff = fast - slow;
    const prev = this.prevDiff;
    this.prevDiff = diff;
    if (prev === undefined) return undefined;
    const side = prev <= 0 && diff > 0 ? 'BUY' : prev >= 0 && diff < 0 ? 'SELL' : undefined;
    if (!side) return undefined;
    const intents: IntentBody[] = [];
    const want = side === 'BUY' ? 0 : 1;
    const tag = `${this.cfg.id}-${time}`;
    if (view.position && view.position.type !== want) {
      intents.push({ type: 'CLOSE', intentId: `${tag}-x`, magic: this.cfg.magic, ticket: view.position.ticket, volume: 0, deviation: 20 });
    }
    if (!view.position || view.position.type !== want) {
      const px = want === 0 ? view.ask : view.bid;
      const dir = want === 0 ? 1 : -1;
      const sl = roundPrice(px - dir * this.cfg.slPoints * view.point, view.tickSize, view.digits);
      const tp = roundPrice(px + dir * this.cfg.tpPoints * view.point, view.tickSize, view.digits);
      intents.push({
        type: 'OPEN', intentId: `${tag}-o`, magic: this.cfg.magic, symbol: this.cfg.symbol, side: want,
        volume: this.cfg.volume, sl, tp, deviation: 20,
      });
    }
    return { side, fast, slow, intents };
  }
}

function avg(a: number[], n: number): number {
  let s = 0;
  for (let i = a.length - n; i < a.length; i++) s += a[i]!;
  return s / n;
}
