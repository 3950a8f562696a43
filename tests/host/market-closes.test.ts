/** The host's memory of closes for the correlation filter and the correlated-exposure limit. */
import { expect, it } from 'vitest';
import { MarketCloses } from '../../src/host/trading/market-closes.js';

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
