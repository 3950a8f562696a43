/**
 * Venue parity: the six examples on the bundled data give byte-identical decision logs — every signal, intent,
 * refusal with its reason, breach and alert — and the same deals in the backtest (in-process broker) and in a
 * paper run (the host's strategy manager over the real bridge to the simulated terminal, lockstep). Both run the
 * one trading core; only the venue differs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BarAggregator } from '../../src/engine/aggregate.js';
import { parseBars, sliceBars, type BarSeries } from '../../src/engine/bars.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { readStrategyJson, runPaper } from '../../src/cli/paper.js';
import type { Deal } from '../../src/protocol/messages.js';
import { runBacktest } from '../../src/sim/backtest.js';

const eurusd = parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8'));

/** XAUUSD H1 bars built from the bundled M15 bars (as MT5 aligns them). */
function xauH1(): BarSeries {
  const m15 = parseBars(readFileSync('data/XAUUSD_M15_2024Q1.csv', 'utf8'));
  const agg = new BarAggregator('H1', 900);
  const rows: { time: number; open: number; high: number; low: number; close: number; tickVolume: number; realVolume: number; spread: number }[] = [];
  for (let i = 0; i < m15.length; i++) {
    for (const h of agg.push({ time: m15.time[i]!, open: m15.open[i]!, high: m15.high[i]!, low: m15.low[i]!, close: m15.close[i]!, tickVolume: m15.tickVolume[i]!, realVolume: m15.realVolume[i]! })) {
      rows.push({ ...h, spread: m15.spread[i]! });
    }
  }
  const col = (f: (r: (typeof rows)[number]) => number) => Float64Array.from(rows, f);
  return { time: col((r) => r.time), open: col((r) => r.open), high: col((r) => r.high), low: col((r) => r.low), close: col((r) => r.close), tickVolume: col((r) => r.tickVolume), spread: col((r) => r.spread), realVolume: col((r) => r.realVolume), timeText: [], length: rows.length, periodSec: 3600, layout: m15.layout };
}

function dealHash(deals: Deal[]): string {
  return createHash('sha256').update(deals.map((d) => [d.ticket, d.time, d.type, d.entry, d.volume, d.price, d.profit, d.swap, d.commission, d.reason, d.comment].join('|')).join('\n')).digest('hex');
}

/** The example as the platform sends it; the two on M15/M30 run on H1 here (the bundled EURUSD data is H1). */
function example(name: string): Record<string, unknown> {
  const raw = readStrategyJson(`examples/${name}.json`) as Record<string, unknown>;
  return raw.timeframe === 'M15' || raw.timeframe === 'M30' ? { ...raw, timeframe: 'H1' } : raw;
}

/** [example, bars, warm-up bars, bars in all, decisions with something at least] */
const CASES: [string, () => BarSeries, number, number, number][] = [
  ['ema-cross-trend', () => sliceBars(eurusd, 20_000, 23_000), 1000, 3000, 10],
  ['rsi-bollinger-reversion', () => sliceBars(eurusd, 20_000, 23_000), 1000, 3000, 10],
  ['macd-h4-confirmation', () => sliceBars(eurusd, 20_000, 23_000), 1000, 3000, 10],
  ['stoch-williams-fade', () => sliceBars(eurusd, 30_000, 33_000), 1000, 3000, 10],
  ['vwap-volume-breakout', () => sliceBars(eurusd, 30_000, 33_000), 1000, 3000, 10],
  ['ichimoku-gold-breakout', xauH1, 500, Infinity, 4], // one quarter of gold: few breakouts
];

describe('venue parity: backtest and paper run the same core', () => {
  for (const [name, data, warm, end, minLines] of CASES) {
    it(`${name}: the same decision log and the same deals`, async () => {
      const all = data();
      const bars = sliceBars(all, 0, Math.min(end, all.length));
      const raw = example(name);
      const back: string[] = [];
      const bt = runBacktest({ strategy: normalizeStrategy(raw), bars, warmupBars: warm, closeAtEnd: false, onLog: (l) => back.push(l) });
      const paper: string[] = [];
      const p = await runPaper({ strategies: [raw], bars, from: warm, warmupBars: warm, onLog: (l) => paper.push(l) });
      expect(back.length, 'decisions logged').toBeGreaterThanOrEqual(minLines);
      expect(back.some((l) => l.includes('"sent":[["OPEN"'))).toBe(true);
      expect(paper.join('\n')).toBe(back.join('\n'));
      expect(bt.trades.length).toBeGreaterThan(0);
      expect(dealHash(p.broker.deals())).toBe(dealHash(bt.deals));
      // both measure the drawdown on the equity at every bar's close (paper's summary says so)
      expect(p.maxDrawdown, 'max drawdown').toBe(bt.metrics.maxDrawdown);
    }, 60_000);
  }
});

describe('venue parity with a broker zone set', () => {
  it('ema-cross-trend on UTC bars (--broker-zone utc): the same decision log and deals, and other sessions than the default zone', async () => {
    const bars = sliceBars(eurusd, 20_000, 23_000);
    const raw = example('ema-cross-trend');
    const zone = { kind: 'fixed', offsetSec: 0 } as const;
    const back: string[] = [];
    const bt = runBacktest({ strategy: normalizeStrategy(raw), bars, warmupBars: 1000, closeAtEnd: false, brokerZone: zone, onLog: (l) => back.push(l) });
    const paper: string[] = [];
    const p = await runPaper({ strategies: [raw], bars, from: 1000, warmupBars: 1000, brokerZone: zone, onLog: (l) => paper.push(l) });
    expect(paper.join('\n')).toBe(back.join('\n'));
    expect(dealHash(p.broker.deals())).toBe(dealHash(bt.deals));
    // the zone reached both: the session filter reads the bars' times as UTC, not as GMT+2/+3
    const def: string[] = [];
    runBacktest({ strategy: normalizeStrategy(raw), bars, warmupBars: 1000, closeAtEnd: false, onLog: (l) => def.push(l) });
    expect(back.join('\n')).not.toBe(def.join('\n'));
    const first = JSON.parse(back.find((l) => l.includes('"session"'))!) as { t: number; filters: [string, boolean, number, string][] };
    const utc = new Date(first.t * 1000).toISOString().slice(0, 16).replace('T', ' ');
    expect(first.filters.find((f) => f[0] === 'session')![3]).toMatch(new RegExp(`^${utc} UTC`));
  }, 60_000);
});
