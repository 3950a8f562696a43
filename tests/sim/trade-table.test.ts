/**
 * A backtest's trades on real data: the table its figures read (only what they need, from the deal store's columns)
 * and the trades as objects, built when first read, against the eager way — every trade built from the deals as
 * objects (tradesFromDeals) and the figures read from those objects.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBars } from '../../src/engine/bars.js';
import { computeMetrics } from '../../src/engine/metrics.js';
import { reportStats } from '../../src/engine/report-stats.js';
import { readStrategyJson } from '../../src/cli/strategy.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { exitNotes, tradesFromDeals } from '../../src/sim/trades.js';

const bars = parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8'));

describe("a backtest's trade table", () => {
  // on H1 EURUSD: a trend strategy, a reversion one, one that closes by exit signals often, and one with two positions
  it.each(['ema-cross-trend', 'rsi-bollinger-reversion', 'stoch-williams-fade', 'macd-h4-confirmation'])('%s: the trades and figures of the eager way', (name) => {
    const strategy = normalizeStrategy({ ...(readStrategyJson(`examples/${name}.json`) as Record<string, unknown>), symbol: 'EURUSD', timeframe: 'H1' });
    const r = runBacktest({ strategy, bars });
    const eager = tradesFromDeals(r.deals);
    expect(eager.length).toBeGreaterThan(100);
    // the objects, built when read, are the eager ones (and built once)
    expect(r.trades).toEqual(eager);
    expect(r.trades).toBe(r.trades);
    // the table keeps what the figures read, row by row
    const t = r.tradeTable;
    expect(t.details).toBe(false);
    expect(Array.from({ length: t.length }, (_, k) => [t.openTime[k], t.closeTime[k], t.profit[k], t.side[k] === 0 ? 'BUY' : 'SELL', t.exitReason(k)])).toEqual(eager.map((x) => [x.openTime, x.closeTime, x.profit, x.side, x.exitReason]));
    // the figures from the table are those from the objects
    expect(r.metrics).toEqual(computeMetrics(eager, r.equity, r.initialBalance));
    const input = { equity: r.equity, initialBalance: r.initialBalance, metrics: r.metrics, rejected: r.rejected, refusals: [], blocked: r.blocked };
    expect(reportStats({ ...input, trades: t })).toEqual(reportStats({ ...input, trades: eager }));
    // one exit note per trade (exitNotes is exitNotesOf of the deals' table: comparing the two would prove nothing)
    expect(exitNotes(r.deals)).toHaveLength(eager.length);
  });
});
