/**
 * Shared indicators (src/engine/indicator-hub.ts): strategies that compute the same indicators on the same bars
 * share one computation, and every decision is byte for byte the one each strategy takes computing its own —
 * on real EURUSD H1 bars, with strategies that start together, join a series already further on, or start later
 * on another warm-up window.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBars } from '../../src/engine/bars.js';
import { IndicatorHub } from '../../src/engine/indicator-hub.js';
import { barAt, parseIndicatorSpec } from '../../src/engine/indicator-spec.js';
import type { BarIn } from '../../src/engine/indicators.js';
import { StrategyRunner, type MarketView, type SymbolInfo } from '../../src/engine/runner.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';

const bars = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));
const EURUSD: SymbolInfo = { digits: 5, point: 0.00001, tickSize: 0.00001, tickValue: 1, volumeMin: 0.01, volumeMax: 100, volumeStep: 0.01, stopsLevel: 0, freezeLevel: 0 };

function example(name: string, id: string): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(`examples/${name}.json`, 'utf8')) as Record<string, unknown>;
  return { ...raw, strategyId: id, symbol: 'EURUSD', timeframe: 'H1' };
}

/** An EMA/SMA cross both ways with ATR stops: many strategies, few distinct indicators (they overlap). */
function cross(id: string, fast: string, slow: string, extra: Record<string, unknown>[] = []): Record<string, unknown> {
  return {
    strategyId: id, strategyName: id, symbol: 'EURUSD', timeframe: 'H1',
    rules: {
      entry: { direction: 'BOTH', logic: 'AND', conditions: [{ indicator: fast, condition: 'crosses_above', indicatorRef: slow }, ...extra] },
      exit: { stopLoss: { type: 'atr', multiplier: 2, atrPeriod: 14 }, takeProfit: { type: 'rr_ratio', ratio: 1.5 }, trailing: { enabled: true, atrMult: 1.5, activationRR: 1 } },
      riskManagement: { lotSize: 0.1, maxPositions: 1 },
    },
  };
}

/** The strategies: the examples (one multi-timeframe, one with shifted Ichimoku spans) and crosses that overlap. */
const RAW: Record<string, unknown>[] = [
  example('ema-cross-trend', 'ex-ema'),
  example('rsi-bollinger-reversion', 'ex-rsi'),
  example('macd-h4-confirmation', 'ex-macd'),
  example('stoch-williams-fade', 'ex-stoch'),
  example('vwap-volume-breakout', 'ex-vwap'),
  example('ichimoku-gold-breakout', 'ex-ichi'),
  cross('x-9-21', 'ema_9', 'ema_21'),
  cross('x-9-21-trend', 'ema_9', 'ema_21', [{ indicator: 'price', condition: 'greater_than', value: 'sma_200' }]),
  cross('x-9-50', 'ema_9', 'ema_50'),
  cross('x-21-50', 'ema_21', 'ema_50', [{ indicator: 'plus_di', condition: 'greater_than', indicatorRef: 'minus_di' }]),
  cross('x-sma-20-50', 'sma_20', 'sma_50'),
  cross('x-sma-20-50-h4', 'sma_20', 'sma_50', [{ indicator: 'ema_50', condition: 'greater_than', indicatorRef: 'ema_200', timeframe: 'H4' }]),
];

/** A strategy's start: warm-up on bars [from, live), then decisions on every bar from `live` on. */
interface Start {
  raw: Record<string, unknown>;
  from: number;
  live: number;
}

/** Runs the starts bar by bar (in start order on each bar, as the host does) and returns each decision as JSON. */
function run(starts: Start[], hub: IndicatorHub | undefined, end: number): string[][] {
  const runners = starts.map((s) => new StrategyRunner(normalizeStrategy(s.raw), EURUSD, undefined, { trace: true, ...(hub ? { hub } : {}) }));
  const out: string[][] = starts.map(() => []);
  // each strategy's own positions, filled at the next bar's open, stopped out on its range
  const open = starts.map(() => [] as { ticket: bigint; type: number; volume: number; priceOpen: number; sl: number; tp: number; time: number }[]);
  let ticket = 1n;
  const first = Math.min(...starts.map((s) => s.from));
  const bar: BarIn = { time: 0, open: 0, high: 0, low: 0, close: 0, tickVolume: 0, realVolume: 0 };
  for (let i = first; i < end; i++) {
    barAt(bars, i, bar);
    starts.forEach((s, k) => {
      if (i < s.from) return;
      const r = runners[k]!;
      if (i < s.live) return r.warm({ ...bar });
      const pos = open[k]!;
      for (let j = pos.length - 1; j >= 0; j--) {
        const p = pos[j]!;
        const hit = p.type === 0 ? (p.sl > 0 && bar.low <= p.sl) || (p.tp > 0 && bar.high >= p.tp) : (p.sl > 0 && bar.high >= p.sl) || (p.tp > 0 && bar.low <= p.tp);
        if (hit) pos.splice(j, 1);
      }
      const market: MarketView = { bid: bar.close, ask: bar.close + 0.00008, positions: pos.map((p) => ({ ...p })), equity: 10_000 };
      const d = r.onBar({ ...bar }, market);
      for (const x of d.intents) {
        if (x.type === 'OPEN') pos.push({ ticket: ticket++, type: x.side, volume: x.volume, priceOpen: x.side === 0 ? market.ask : market.bid, sl: x.sl, tp: x.tp, time: d.time });
        else if (x.type === 'CLOSE') {
          const j = pos.findIndex((p) => p.ticket === x.ticket);
          if (j >= 0 && (x.volume === 0 || x.volume >= pos[j]!.volume)) pos.splice(j, 1);
          else if (j >= 0) pos[j]!.volume = Math.round((pos[j]!.volume - x.volume) * 100) / 100;
        } else if (x.type === 'MODIFY') {
          const p = pos.find((q) => q.ticket === x.ticket);
          if (p) Object.assign(p, { sl: x.sl, tp: x.tp });
        }
      }
      // the whole decision with its trace (every indicator value the rules read), bigints as text
      out[k]!.push(JSON.stringify(d, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    });
  }
  return out;
}

/** Every strategy's decisions equal, one by one (a difference shows the first differing decision of both). */
function same(starts: Start[], shared: string[][], alone: string[][]): void {
  for (let k = 0; k < starts.length; k++) {
    const id = String(starts[k]!.raw.strategyId);
    expect(shared[k]!.length, id).toBe(alone[k]!.length);
    const i = shared[k]!.findIndex((d, j) => d !== alone[k]![j]);
    if (i >= 0) expect(shared[k]![i], `${id}, decision ${i}`).toBe(alone[k]![i]);
  }
}

describe('shared indicators', () => {
  const END = Math.min(bars.length, 4000);

  it('N strategies with overlapping indicators: every decision byte for byte as unshared, indicators computed once', () => {
    const starts: Start[] = RAW.map((raw) => ({ raw, from: 0, live: 1000 }));
    const hub = new IndicatorHub();
    const alone = run(starts, undefined, END);
    const shared = run(starts, hub, END);
    same(starts, shared, alone);
    // something was decided (the comparison is not of empty decisions)
    const acted = alone.flat().filter((j) => j.includes('"intents":[{')).length;
    expect(acted).toBeGreaterThan(100);
    // fewer series than indicator uses: ema:9 alone is used by three strategies, atr:14 by most
    const uses = starts.map((s) => normalizeStrategy(s.raw).indicators.length).reduce((a, b) => a + b, 0);
    expect(hub.size).toBeLessThan(uses);
    expect(hub.joined).toBeGreaterThan(0);
    // one computation per bar: the hub's ema:9 on this stream has seen each bar once, not once per strategy
    const ema9 = hub.get({ symbol: 'EURUSD', timeframe: 'H1', source: 'terminal', origin: bars.time[0]! }, 'ema:9', 3, () => parseIndicatorSpec('ema:9').make());
    expect(ema9.ind.count).toBe(END);
    expect(ema9.n).toBe(END);
  });

  it('strategies that start later: on the same first bar they join a series further on; on another, they get their own', () => {
    // three groups: from bar 0 (live at 1000), from bar 0 again but live only at 1700 (its warm-up finds the
    // series 700 bars further on), and from bar 900 (another window: another series)
    const starts: Start[] = [
      ...RAW.map((raw) => ({ raw, from: 0, live: 1000 })),
      ...RAW.slice(6).map((raw) => ({ raw: { ...raw, strategyId: `${String(raw.strategyId)}-same-origin` }, from: 0, live: 1700 })),
      ...RAW.map((raw) => ({ raw: { ...raw, strategyId: `${String(raw.strategyId)}-later` }, from: 900, live: 1900 })),
    ];
    const hub = new IndicatorHub();
    const alone = run(starts, undefined, END);
    const shared = run(starts, hub, END);
    same(starts, shared, alone);
    // the later window computes its own ema:9 from its own first bar
    const key = (origin: number) => ({ symbol: 'EURUSD', timeframe: 'H1', source: 'terminal', origin });
    const make = () => parseIndicatorSpec('ema:9').make();
    expect(hub.get(key(bars.time[0]!), 'ema:9', 3, make).ind.count).toBe(END);
    expect(hub.get(key(bars.time[900]!), 'ema:9', 3, make).ind.count).toBe(END - 900);
  });

  it('a series asked to keep more bars than it still has is not shared (the late strategy computes its own)', () => {
    const hub = new IndicatorHub();
    const key = { symbol: 'EURUSD', timeframe: 'H1', source: 'terminal', origin: 0 };
    const make = () => parseIndicatorSpec('sma:5').make();
    const a = hub.get(key, 'sma:5', 3, make);
    const b = hub.get(key, 'sma:5', 5, make); // nothing dropped yet: grows, shared
    expect(b).toBe(a);
    const bar: BarIn = { time: 0, open: 1, high: 1, low: 1, close: 1, tickVolume: 1, realVolume: 0 };
    for (let i = 0; i < 8; i++) a.push({ ...bar, time: i * 3600, close: 1 + i / 100 }, (i + 1) * 3600);
    expect(a.push({ ...bar, time: 7 * 3600 }, 8 * 3600)).toBe(false); // a bar it has: nothing computed
    expect(a.ind.count).toBe(8);
    expect(hub.get(key, 'sma:5', 5, make)).toBe(a);
    const c = hub.get(key, 'sma:5', 40, make); // 40 bars back: three were dropped already
    expect(c).not.toBe(a);
    expect(c.n).toBe(0);
  });
});

