/** The host's memory of closes for the correlation filter and the correlated-exposure limit. */
import { expect, it } from 'vitest';
import { closesCorrelation, pearson, returns } from '../../src/engine/filters.js';
import { NO_POLICY, RiskGate } from '../../src/engine/core/risk-gate.js';
import { MarketCloses } from '../../src/host/trading/market-closes.js';
import { seeded } from '../helpers.js';

it('keeps at least the newest 300 closes per symbol and timeframe, ignores a bar not newer than the last, and correlates by time', () => {
  const m = new MarketCloses();
  for (let i = 0; i < 700; i++) {
    const t = 1_700_000_000 + i * 3600;
    const eur = 1.1 + Math.sin(i / 7) * 0.01;
    m.note('EURUSD', 'H1', t, eur);
    m.note('GBPUSD', 'H1', t, eur * 1.2); // the same returns
    m.note('USDJPY', 'H1', t, 150 + (((i * 7919) % 13) - 6) * 0.1); // its own walk
  }
  m.note('EURUSD', 'H1', 1_700_000_000, 9); // older than the last: ignored
  const eur = m.of('H1').get('EURUSD')!;
  expect(eur.time.length).toBeGreaterThanOrEqual(300);
  expect(eur.time.length).toBeLessThanOrEqual(600);
  expect(eur.time.at(-1)).toBe(1_700_000_000 + 699 * 3600);
  expect(eur.close).not.toContain(9);
  const r = m.correlations('EURUSD', ['EURUSD', 'GBPUSD', 'USDJPY', 'AUDUSD'])!;
  expect(r.GBPUSD).toBeCloseTo(1, 6);
  expect(r.USDJPY).toBeLessThan(0.5);
  expect(Object.keys(r).sort()).toEqual(['GBPUSD', 'USDJPY']); // itself and unknown symbols left out
  expect(m.of('M5').size).toBe(0);
  expect(m.correlations('XAUUSD', ['EURUSD'])).toBeUndefined();
});

/** A fresh memory of the same closes: nothing kept from earlier questions. */
function fresh(m: MarketCloses, tf = 'H1'): MarketCloses {
  const f = new MarketCloses();
  for (const [sym, c] of m.of(tf)) for (let i = 0; i < c.time.length; i++) f.note(sym, tf, c.time[i]!, c.close[i]!);
  return f;
}

it('works a pair out again after a bar on either symbol: the correlated-exposure limit sees the new bar', () => {
  const m = new MarketCloses();
  const t0 = 1_700_000_000;
  for (let i = 0; i < 80; i++) {
    // two walks of their own: |r| low
    m.note('EURUSD', 'H1', t0 + i * 3600, 1.1 + (((i * 7919) % 13) - 6) * 0.0001);
    m.note('GBPUSD', 'H1', t0 + i * 3600, 1.3 + (((i * 104729) % 11) - 5) * 0.0001);
  }
  const before = m.correlations('EURUSD', ['GBPUSD'])!.GBPUSD!;
  expect(before).toBeLessThan(0.5);
  expect(m.correlations('EURUSD', ['GBPUSD'])!.GBPUSD).toBe(before); // asked again, nothing new: the same
  // one bar in which both jump 3 %: their newest 50 returns are now dominated by it
  m.note('EURUSD', 'H1', t0 + 80 * 3600, 1.1 * 1.03);
  const half = m.correlations('EURUSD', ['GBPUSD'])!.GBPUSD!; // GBPUSD has no bar at that time yet: unchanged pairs
  expect(half).toBe(fresh(m).correlations('EURUSD', ['GBPUSD'])!.GBPUSD);
  m.note('GBPUSD', 'H1', t0 + 80 * 3600, 1.3 * 1.03);
  const after = m.correlations('EURUSD', ['GBPUSD'])!.GBPUSD!;
  expect(after).toBeGreaterThan(0.9);
  expect(after).toBe(fresh(m).correlations('EURUSD', ['GBPUSD'])!.GBPUSD);
  expect(m.correlations('GBPUSD', ['EURUSD'])!.EURUSD).toBe(after);

  // the risk gate with a threshold between the two: an entry passes before the bar and is refused after it
  const gate = new RiskGate({ ...NO_POLICY, limits: { maxCorrelatedLots: 0.15, correlationThreshold: (before + after) / 2 } });
  const check = (correlations: Record<string, number>) => gate.check({
    now: t0 + 81 * 3600, account: { balance: 10_000, equity: 10_000, freeMargin: 10_000 }, positions: [{ symbol: 'GBPUSD', strategyId: 'g', volume: 0.1 }],
    order: { symbol: 'EURUSD', strategyId: 'e', volume: 0.1, marginRequired: 10 }, marketOpen: true, correlations,
  }).map((f) => f.code);
  expect(check({ GBPUSD: before })).toEqual([]);
  expect(check(m.correlations('EURUSD', ['GBPUSD'])!)).toEqual(['CORRELATION_EXPOSURE']);
});

/** The earlier closesCorrelation (a map of one series' times): the oracle of the two-pointer walk from the ends. */
function byMap(mine: { time: number[]; close: number[] }, theirs: { time: number[]; close: number[] }, window: number): number {
  const idx = new Map<number, number>();
  for (let i = 0; i < theirs.time.length; i++) idx.set(theirs.time[i]!, theirs.close[i]!);
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < mine.time.length; i++) {
    const c = idx.get(mine.time[i]!);
    if (c !== undefined) {
      a.push(mine.close[i]!);
      b.push(c);
    }
  }
  return pearson(returns(a.slice(-(window + 1))), returns(b.slice(-(window + 1))));
}

it('closesCorrelation: the same r from the newest common bars as from a map of all of them, with gaps on either side', () => {
  const rnd = seeded(7);
  for (let round = 0; round < 50; round++) {
    const a = { time: [] as number[], close: [] as number[] }, b = { time: [] as number[], close: [] as number[] };
    let pa = 1.1, pb = 1.3;
    const n = 20 + Math.floor(rnd() * 600);
    for (let i = 0; i < n; i++) {
      pa *= 1 + (rnd() - 0.5) * 0.01;
      pb = pb * (1 + (rnd() - 0.5) * 0.01) + (pa - 1.1) * 0.001 * round;
      if (rnd() > 0.1) { a.time.push(i * 60); a.close.push(pa); }
      if (rnd() > 0.15 + (round % 3) * 0.2) { b.time.push(i * 60); b.close.push(pb); }
    }
    for (const w of [5, 20, 50, 100, 300]) {
      const want = byMap(a, b, w);
      const got = closesCorrelation(a, b, w);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else expect(got).toBe(want);
    }
  }
});

it('correlationsWith: the same answer as correlations over the list\'s symbols, kept until a bar or a new list, frozen', () => {
  const rnd = seeded(11);
  const syms = ['S0', 'S1', 'S2', 'S3', 'S4'];
  const m = new MarketCloses();
  const oracle = new MarketCloses(); // asked by correlations() only, over the same bars
  const px = syms.map(() => 1.1);
  let t = 1_700_000_000;
  const bar = (k: number) => {
    px[k] = px[k]! * (1 + (rnd() - 0.5) * 0.01);
    m.note(syms[k]!, 'H1', t, px[k]!);
    oracle.note(syms[k]!, 'H1', t, px[k]!);
  };
  for (let i = 0; i < 80; i++, t += 3600) for (let k = 0; k < syms.length; k++) bar(k);
  let list = [{ symbol: 'S1' }, { symbol: 'S0' }, { symbol: 'S1' }, { symbol: 'S3' }, { symbol: 'XX' }];
  for (let round = 0; round < 200; round++) {
    const step = rnd();
    if (step < 0.3) bar(Math.floor(rnd() * syms.length)); // a bar on one symbol: the answers change
    else if (step < 0.5) list = Array.from({ length: Math.floor(rnd() * 8) }, () => ({ symbol: syms[Math.floor(rnd() * syms.length)]! })); // a new list
    else if (step < 0.55) t += 3600;
    const sym = syms[Math.floor(rnd() * syms.length)]!;
    const got = m.correlationsWith(sym, list);
    const want = oracle.correlations(sym, list.map((p) => p.symbol));
    expect(got).toEqual(want);
    expect(Object.keys(got ?? {})).toEqual(Object.keys(want ?? {})); // in the same order
    expect(m.correlationsWith(sym, list)).toBe(got); // asked again: the kept answer
    if (got) expect(Object.isFrozen(got)).toBe(true);
  }
  // a bar noted: worked out again (a copy of the list with the same symbols is another list: worked out again too)
  const a = m.correlationsWith('S0', list);
  t += 3600;
  bar(1);
  expect(m.correlationsWith('S0', list)).not.toBe(a);
  const b = m.correlationsWith('S0', list);
  expect(m.correlationsWith('S0', [...list])).not.toBe(b);
});
