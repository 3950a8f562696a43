/**
 * Every accepted setting is enforced or refused. The risk, sizing, filter and exit fields of the strategy format are
 * read from its zod schema (so a new field without a case here fails the first test), and each case shows in a
 * backtest on real bars — the venue that runs the one trading core — that changing the field changes what happens
 * (the decision log or the deals differ). The correlation filter needs a second symbol's positions, which a
 * one-symbol backtest cannot have: its cases run the runner with another symbol's closes instead.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { StrategyRunner } from '../../src/engine/runner.js';
import { dynamicRiskSchema, exitSchema, filtersSchema, riskSchema } from '../../src/engine/strategy/schema.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { BASE, CASES, CORRELATION, rules, type Rules } from './settings-cases.js';

const bars = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8')), 0, 4000);

/** The leaf fields of an object schema, as dotted paths (optional and lazy unwrapped; unions and arrays are leaves). */
function leaves(schema: z.ZodType, prefix: string): string[] {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType; getter?: () => z.ZodType }; shape?: Record<string, z.ZodType> };
  while (s.def.type === 'optional' || s.def.type === 'lazy' || s.def.type === 'default') s = (s.def.innerType ?? s.def.getter!()) as typeof s;
  if (s.def.type !== 'object' || !s.shape) return [prefix];
  return Object.entries(s.shape).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * What a strategy did on the bars, as one hash: its deals, and per decision only what it did — the signal, each
 * filter's pass and size multiplier, whether the runner refused, every intent sent, the risk gate's refusal codes
 * (no texts: a setting whose value only shows up in a message has not changed anything).
 */
function outcome(r: Rules, over: Partial<Parameters<typeof runBacktest>[0]> = {}): string {
  const strategy = normalizeStrategy({ strategyId: 'matrix', symbol: 'EURUSD', timeframe: 'H1', rules: r });
  const log: string[] = [];
  const did = (line: string) => {
    const x = JSON.parse(line) as { t: number; signal?: string; filters?: unknown[][]; refused?: string; sent?: unknown; blocked?: string[][] };
    return JSON.stringify([x.t, x.signal, x.filters?.map((f) => f.slice(0, 3)), !!x.refused, x.sent, x.blocked?.map((b) => b.slice(1).map((m) => m.split(':')[0]))]);
  };
  const bt = runBacktest({ strategy, bars, warmupBars: 300, closeAtEnd: false, onLog: (l) => log.push(did(l)), ...over });
  const deals = bt.deals.map((d) => [d.time, d.type, d.entry, d.volume, d.price, d.profit].join('|'));
  return createHash('sha256').update(log.join('\n') + '\n#\n' + deals.join('\n')).digest('hex');
}

describe('settings matrix: every risk, sizing, filter and exit field changes what happens', () => {
  const fields = [...leaves(riskSchema, 'riskManagement'), ...leaves(dynamicRiskSchema, 'dynamicRisk'), ...leaves(filtersSchema, 'filters'), ...leaves(exitSchema, 'exit')];

  it('has a case for every field of the schema (a new field without one fails here)', () => {
    expect(fields.length).toBeGreaterThan(50);
    const covered = new Set([...Object.keys(CASES), ...CORRELATION]);
    expect(fields.filter((f) => !covered.has(f))).toEqual([]);
    expect([...covered].filter((f) => !fields.some((x) => x === f || x.startsWith(`${f}.`)))).toEqual([]);
  });

  for (const [field, [a, b]] of Object.entries(CASES)) {
    it(`${field}: changing it changes the decisions or the deals`, () => {
      expect(outcome(rules(a)), field).not.toBe(outcome(rules(b)));
    });
  }

  it('correlationFilter: threshold, window, action, sizeMultiplier and enabled change the entry when another symbol moves with this one', () => {
    const sym = { digits: 5, point: 0.00001, tickSize: 0.00001, tickValue: 1, volumeMin: 0.01, volumeMax: 100, volumeStep: 0.01, stopsLevel: 0, freezeLevel: 0 };
    const h1 = sliceBars(bars, 0, 400);
    // an open GBPUSD position; GBPUSD moved with EURUSD over the last 60 bars (the same returns, scaled), and on a
    // walk of its own before: a window of 10 or 50 sees |r| ≈ 1, a window of 200 much less
    const n = h1.length;
    let walk = 1.3;
    const gbp = Float64Array.from(h1.close, (c, i) => (i >= n - 61 ? c * 1.2 : (walk += (((i * 7919) % 13) - 6) * 0.0004)));
    const closes = new Map([
      ['EURUSD', { time: h1.time, close: h1.close }],
      ['GBPUSD', { time: h1.time, close: gbp }],
    ]);
    const decide = (cf: Record<string, unknown> | undefined) => {
      const s = normalizeStrategy({ strategyId: 'corr', symbol: 'EURUSD', timeframe: 'H1', rules: { ...BASE, entry: { long: { conditions: [{ indicator: 'price', condition: 'greater_than', value: 0 }] } }, ...(cf ? { filters: { correlationFilter: cf } } : {}) } });
      const r = new StrategyRunner(s, sym);
      for (let i = 0; i < h1.length - 1; i++) r.warm({ time: h1.time[i]!, open: h1.open[i]!, high: h1.high[i]!, low: h1.low[i]!, close: h1.close[i]!, tickVolume: 1, realVolume: 0 });
      const i = h1.length - 1;
      const d = r.onBar({ time: h1.time[i]!, open: h1.open[i]!, high: h1.high[i]!, low: h1.low[i]!, close: h1.close[i]!, tickVolume: 1, realVolume: 0 }, { bid: h1.close[i]!, ask: h1.close[i]! + 0.0001, positions: [], correlation: { openSymbols: ['GBPUSD'], closes } });
      const open = d.intents.find((x) => x.type === 'OPEN') as { volume: number } | undefined;
      return [open?.volume ?? 0, d.filters.find((f) => f.filter === 'correlation')?.detail ?? ''] as const;
    };
    expect(decide(undefined)[0]).toBe(0.1);
    expect(decide({ threshold: 0.5 })[0]).toBe(0); // correlated: skipped
    expect(decide({ threshold: 0.5, enabled: false })[0]).toBe(0.1);
    expect(decide({ threshold: 1 })[0]).toBe(0.1); // |r| never above 1
    expect(decide({ threshold: 0.5, action: 'REDUCE_SIZE' })[0]).toBe(0.05);
    expect(decide({ threshold: 0.5, action: 'REDUCE_SIZE', sizeMultiplier: 0.2 })[0]).toBe(0.02);
    expect(decide({ threshold: 0.5, window: 10 })[0]).toBe(0);
    expect(decide({ threshold: 0.5, window: 200 })[0]).toBe(0.1);
  });
});
