/**
 * The strategy runner on its own: a closed bar in, a decision out — entries priced and sized on the symbol's
 * facts, the position limit, exits on the opposite signal — and intrabar decisions on the forming bar that carry
 * the ids the bar's close would give (so an entry is never sent twice for one bar).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBars } from '../../src/engine/bars.js';
import { StrategyRunner, type MarketView } from '../../src/engine/runner.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { symbolSpec } from '../../src/sim/symbols.js';

const bars = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));
const spec = { ...symbolSpec('EURUSD'), tickValue: 1 };
const example = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8'));
const barAt = (i: number) => ({ time: bars.time[i]!, open: bars.open[i]!, high: bars.high[i]!, low: bars.low[i]!, close: bars.close[i]!, tickVolume: bars.tickVolume[i]!, realVolume: 0 });
const flat = (close: number): MarketView => ({ bid: close, ask: close + 0.0001, positions: [], equity: 10_000 });

/** The runner after warming on bars [0, n), and the first bar ≥ n whose close gives an entry. */
function firstSignal(strategy: object, n = 400) {
  const s = normalizeStrategy({ ...strategy, rules: { ...(strategy as { rules: object }).rules, filters: {} } });
  const probe = new StrategyRunner(s, spec, undefined, { trace: false });
  for (let i = 0; i < n; i++) probe.warm(barAt(i));
  for (let i = n; i < bars.length; i++) {
    const d = probe.onBar(barAt(i), flat(bars.close[i]!));
    if (d.intents.some((x) => x.type === 'OPEN')) return { s, i, d };
  }
  throw new Error('no signal in the data');
}

describe('strategy runner', () => {
  it("an entry at a bar's close: id from the strategy and the decision's time, prices on the symbol's digits, volume on its step", () => {
    const { s, i, d } = firstSignal(example);
    const open = d.intents.find((x) => x.type === 'OPEN')!;
    if (open.type !== 'OPEN') throw new Error('not an open');
    const T = bars.time[i]! + 3600;
    expect(d.time).toBe(T);
    expect(open.intentId).toMatch(new RegExp(`-${T.toString(36)}-o$`));
    expect(open.volume).toBe(s.risk.lotSize);
    for (const p of [open.sl, open.tp]) expect(Math.round(p * 1e5) / 1e5).toBe(p); // 5 digits
    expect(open.side === 0 ? open.sl < open.tp : open.sl > open.tp).toBe(true);
  });

  it("a quiet decision's empty lists are read-only: the compiler refuses a push, and at run time one throws instead of reaching the next decision", () => {
    const { s, i } = firstSignal(example);
    const r = new StrategyRunner(s, spec, undefined, { trace: false });
    for (let k = 0; k < i - 1; k++) r.warm(barAt(k));
    const quiet = r.onBar(barAt(i - 1), flat(bars.close[i - 1]!));
    expect(quiet.intents).toEqual([]);
    expect(quiet.notes).toEqual([]);
    // @ts-expect-error a decision's lists are read-only to whoever receives it (empty ones are shared)
    expect(() => quiet.notes.push('annotated')).toThrow(TypeError);
    const next = r.onBar(barAt(i), flat(bars.close[i]!));
    expect(next.notes).toEqual([]);
    expect(next.intents.length).toBeGreaterThan(0);
  });

  it('refuses an entry while maxPositions of its own are open; closes on the opposite signal', () => {
    const { s, i } = firstSignal(example);
    const r = new StrategyRunner(s, spec, undefined, { trace: false });
    for (let k = 0; k < i; k++) r.warm(barAt(k));
    const d0 = r.onBar(barAt(i), flat(bars.close[i]!));
    const side = (d0.intents.find((x) => x.type === 'OPEN') as { side: 0 | 1 }).side;
    // the same bar again, with a position of the same side already open: no second entry
    const r2 = new StrategyRunner(s, spec, undefined, { trace: false });
    for (let k = 0; k < i; k++) r2.warm(barAt(k));
    const held = { ticket: 7n, type: side, volume: 0.1, priceOpen: bars.close[i]!, sl: 0, tp: 0, time: bars.time[i]! };
    const d1 = r2.onBar(barAt(i), { ...flat(bars.close[i]!), positions: [held] });
    expect(d1.intents.filter((x) => x.type === 'OPEN')).toEqual([]);
    expect(d1.refused).toMatch(/maxPositions 1/);
    // a position of the other side is closed by this signal (exitOnOppositeSignal), and the entry is taken
    const r3 = new StrategyRunner(s, spec, undefined, { trace: false });
    for (let k = 0; k < i; k++) r3.warm(barAt(k));
    const other = { ...held, type: (1 - side) as 0 | 1 };
    const d2 = r3.onBar(barAt(i), { ...flat(bars.close[i]!), positions: [other] });
    if (s.exit.exitOnOppositeSignal) expect(d2.intents.some((x) => x.type === 'CLOSE' && x.ticket === 7n && x.volume === 0)).toBe(true);
  });

  it('intrabar: the forming bar decides with the ids of its close, and the closed bar decides the same entry again under the same id', () => {
    const intrabar = { ...example, rules: { ...example.rules, options: { evaluation: 'intrabar' } } };
    const { s, i } = firstSignal(intrabar);
    const r = new StrategyRunner(s, spec, undefined, { trace: false });
    for (let k = 0; k < i; k++) r.warm(barAt(k));
    // the forming bar i, complete (the last tick of the bar): the same values the close will give
    const forming = r.onForming(barAt(i), flat(bars.close[i]!));
    const closed = r.onBar(barAt(i), flat(bars.close[i]!));
    const ids = (d: typeof forming) => d.intents.filter((x) => x.type === 'OPEN').map((x) => x.intentId);
    expect(ids(forming).length).toBe(1);
    expect(ids(forming)).toEqual(ids(closed));
    expect(forming.time).toBe(closed.time);
    // the forming bar is peeked, never committed: the runner's bars are those pushed by onBar only
    expect(r.evaluator.bars('H1')).toBe(i + 1);
  });
});
