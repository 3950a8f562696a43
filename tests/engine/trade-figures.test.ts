/**
 * The figures read from a trade table (summed as its rows are added, trade-figures.ts; the curve's in one pass,
 * metrics.ts) against their definitions written out here as the passes they replaced (filter and reduce over the
 * trade objects, a floor per bar for the day): the same numbers to the last bit, trades in any order (the table sorts
 * them by close), curves with times anywhere around a day's bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeMetrics, newEquityCurve, type EquityCurve, type Trade } from '../../src/engine/metrics.js';
import { reportStats } from '../../src/engine/report-stats.js';
import { TradeFigures } from '../../src/engine/trade-figures.js';
import { TradeTable, type TradeRow } from '../../src/engine/trade-table.js';

const r2 = (x: number) => Math.round(x * 100) / 100;
const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

/** The trade figures as the passes over trade objects defined them (metrics.ts and report-stats.ts before the table). */
function definedFigures(trades: Trade[]) {
  const wins = trades.filter((t) => t.profit > 0), losses = trades.filter((t) => t.profit <= 0);
  let streak = 0, longest = 0;
  for (const t of trades) {
    streak = t.profit <= 0 ? streak + 1 : 0;
    longest = Math.max(longest, streak);
  }
  // runs: the longest (the most profitable / the deepest of the longest)
  let runW = 0, runWP = 0, runL = 0, runLP = 0, maxW = 0, maxWP = 0, maxL = 0, maxLP = 0;
  for (const { profit: p } of trades) {
    if (p > 0) {
      [runW, runWP, runL, runLP] = [runW + 1, runWP + p, 0, 0];
      if (runW > maxW || (runW === maxW && runWP > maxWP)) [maxW, maxWP] = [runW, runWP];
    } else {
      [runL, runLP, runW, runWP] = [runL + 1, runLP + p, 0, 0];
      if (runL > maxL || (runL === maxL && runLP < maxLP)) [maxL, maxLP] = [runL, runLP];
    }
  }
  // (counted in a Map: an object's `exitReasons[name] ?? 0` read Object.prototype's `constructor` for that name)
  const counts = new Map<string, number>();
  for (const t of trades) counts.set(t.exitReason, (counts.get(t.exitReason) ?? 0) + 1);
  const exitReasons = Object.fromEntries(counts);
  const side = (s: string) => trades.filter((t) => t.side === s);
  return {
    count: trades.length, wins: wins.length, losses: losses.length,
    grossProfit: sum(wins.map((t) => t.profit)), lossSum: sum(losses.map((t) => t.profit)), net: sum(trades.map((t) => t.profit)),
    hold: sum(trades.map((t) => t.closeTime - t.openTime)), longestLosing: longest,
    maxWin: Math.max(0, ...wins.map((t) => t.profit)), minLoss: Math.min(0, ...losses.map((t) => t.profit)),
    longs: side('BUY').length, longWins: side('BUY').filter((t) => t.profit > 0).length, longSum: sum(side('BUY').map((t) => t.profit)),
    shorts: side('SELL').length, shortWins: side('SELL').filter((t) => t.profit > 0).length, shortSum: sum(side('SELL').map((t) => t.profit)),
    maxWinRun: maxW, maxWinRunProfit: maxWP, maxLossRun: maxL, maxLossRunLoss: maxLP, exitReasons: JSON.stringify(exitReasons),
  };
}

/** A table's figures in the definition's terms. */
function tableFigures(t: TradeTable) {
  const f = t.figures;
  const exitReasons: Record<string, number> = {};
  for (const r of f.reasonOrder) exitReasons[t.reasons[r]!] = f.byReason[r]!;
  const { count, wins, losses, grossProfit, lossSum, net, hold, longestLosing, maxWin, minLoss, longs, longWins, longSum, shorts, shortWins, shortSum, maxWinRun, maxWinRunProfit, maxLossRun, maxLossRunLoss } = f;
  return { count, wins, losses, grossProfit, lossSum, net, hold, longestLosing, maxWin, minLoss, longs, longWins, longSum, shorts, shortWins, shortSum, maxWinRun, maxWinRunProfit, maxLossRun, maxLossRunLoss, exitReasons: JSON.stringify(exitReasons) };
}

/** Trades with cents, zeros (also −0) and ties in their times; reasons named in any order. */
const trade = fc.record({
  profit: fc.oneof(fc.integer({ min: -50_000, max: 50_000 }).map((c) => c / 100), fc.constantFrom(0, -0, 0.1, 0.2, 0.3)),
  side: fc.constantFrom('BUY' as const, 'SELL' as const),
  open: fc.integer({ min: 0, max: 40 }),
  hold: fc.integer({ min: 0, max: 5 }),
  // (a fraction of a second: the holding times' sum then depends on the order of the additions)
  frac: fc.constantFrom(0, 0.1, 1 / 3, 0.7),
  exitReason: fc.constantFrom('signal', 'sl', 'tp', 'end', 'so', '1', 'constructor'),
});

type Row = { profit: number; side: 'BUY' | 'SELL'; open: number; hold: number; frac: number; exitReason: string };

function tradesOf(rows: Row[]): Trade[] {
  return rows.map((r, i) => ({ id: String(i), symbol: 'EURUSD', side: r.side, openTime: 1_700_000_000 + r.open * 3600 + r.frac, closeTime: 1_700_000_000 + (r.open + r.hold) * 3600 + r.frac * 2, volume: 0.1, entryPrice: 1.1, exitPrice: 1.2, profit: r.profit, commission: -0.7, swap: 0, exitReason: r.exitReason }));
}

/** `trades` in close order as the objects were sorted before the table (a stable sort). */
const byClose = (trades: Trade[]) => [...trades].sort((x, y) => x.closeTime - y.closeTime || x.openTime - y.openTime);

describe('the trade figures of a table', () => {
  it('are the passes they replaced, to the last bit (trades in close order)', () => {
    fc.assert(
      fc.property(fc.array(trade, { maxLength: 80 }), (rows) => {
        const trades = byClose(tradesOf(rows));
        const t = TradeTable.of(trades);
        expect(tableFigures(t)).toEqual(definedFigures(trades));
        // and the report's statistics and the metrics read them so
        const curve = newEquityCurve(0);
        const m = computeMetrics(trades, curve, 1000);
        expect([m.trades, m.wins, m.losses, m.netProfit, m.grossLoss, m.longestLosingStreak]).toEqual([trades.length, definedFigures(trades).wins, definedFigures(trades).losses, r2(definedFigures(trades).net), r2(-definedFigures(trades).lossSum), definedFigures(trades).longestLosing]);
        const s = reportStats({ trades, equity: curve, initialBalance: 1000, metrics: m, rejected: [], refusals: [], blocked: {} });
        expect(JSON.stringify(s.exitReasons)).toBe(definedFigures(trades).exitReasons);
        expect(s.long.netProfit).toBe(r2(definedFigures(trades).longSum));
      }),
      { numRuns: 400 },
    );
  });

  it('sorts rows added out of close order as the trade list was sorted (stable), and sums them again in that order', () => {
    let unsorted = 0;
    fc.assert(
      fc.property(fc.array(trade, { maxLength: 60 }), (rows) => {
        const trades = tradesOf(rows);
        const t = new TradeTable<string>(['signal', 'sl', 'tp', 'end', 'so', '1', 'constructor'], 4, true);
        const row: TradeRow<string> = { id: '', symbol: '', side: 0, openTime: 0, closeTime: 0, volume: 0, entryPrice: 0, exitPrice: 0, profit: 0, commission: 0, swap: 0, reason: 0, exits: 1, reversed: false };
        for (const x of trades) {
          Object.assign(row, x, { side: x.side === 'BUY' ? 0 : 1, reason: t.reasons.indexOf(x.exitReason) });
          t.push(row);
        }
        const sorted = byClose(trades);
        if (sorted.some((x, i) => x !== trades[i])) unsorted++;
        t.sortByClose();
        expect(t.trades()).toEqual(sorted);
        expect(tableFigures(t)).toEqual(definedFigures(sorted));
        // rows pushed in close order keep the sums made as each was added: equal to a pass over the table (rows the sort
        // moved have their sums made again by that pass, so for them this holds by construction)
        expect(t.figures).toEqual(TradeFigures.of(t));
      }),
      { numRuns: 300 },
    );
    expect(unsorted).toBeGreaterThan(100);
  });

  it('has a table without details say so when asked for the trades themselves', () => {
    const t = TradeTable.of(tradesOf([{ profit: 1, side: 'BUY', open: 0, hold: 1, frac: 0, exitReason: 'tp' }]));
    expect(() => t.trades()).toThrow(/details/);
  });
});

/** The curve's figures as the passes defined them: the drawdown, the exposure, the daily returns with a floor per bar. */
function definedCurve(c: EquityCurve, initial: number) {
  let peak = initial, maxDd = 0, maxDdPct = 0, exposed = 0;
  for (let i = 0; i < c.length; i++) {
    const e = c.equity[i]!;
    if (e > peak) peak = e;
    const dd = peak - e;
    if (dd > maxDd) maxDd = dd;
    if (peak > 0 && dd / peak > maxDdPct) maxDdPct = dd / peak;
    exposed += c.exposed[i]!;
  }
  const daily: number[] = [];
  let prevEq = initial, day = c.length ? Math.floor((c.time[0]! - 1) / 86400) : 0;
  for (let i = 0; i < c.length; i++) {
    const d = Math.floor((c.time[i]! - 1) / 86400);
    if (d !== day) {
      const lastEq = i > 0 ? c.equity[i - 1]! : initial;
      daily.push(lastEq / prevEq - 1);
      prevEq = lastEq;
      day = d;
    }
  }
  if (c.length) daily.push(c.equity[c.length - 1]! / prevEq - 1);
  const mean = daily.length ? sum(daily) / daily.length : 0;
  const sd = daily.length > 1 ? Math.sqrt(daily.reduce((s, x) => s + (x - mean) ** 2, 0) / (daily.length - 1)) : 0;
  const downside = daily.length > 1 ? Math.sqrt(daily.reduce((s, x) => s + Math.min(0, x) ** 2, 0) / (daily.length - 1)) : 0;
  return {
    maxDrawdown: r2(maxDd), maxDrawdownPct: r4(maxDdPct * 100), exposure: c.length ? r4((exposed / c.length) * 100) : 0,
    sharpe: sd > 0 ? r4((mean / sd) * Math.sqrt(252)) : null, sortino: downside > 0 ? r4((mean / downside) * Math.sqrt(252)) : null,
  };
}

describe("an equity curve's figures", () => {
  it('are the passes they replaced: times on, just inside and just outside a day (whole and fractional seconds), before 1970 and past 2038', () => {
    // steps between close times: an hour, a second, fractions of a second around midnight, a weekend; and back (a
    // curve's times need not grow for its figures)
    const step = fc.constantFrom(3600, 3600, 3600, 1, 0.25, 0.5, 0.864, 86_399, 86_400, 2 * 86_400 + 1, -0.5, -3600);
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1_700_000_000, 2 ** 31 - 5 * 3600, -86_400 * 3 - 1, 4_000_000_000 + 0.5),
        fc.array(fc.record({ step, eq: fc.double({ min: -10, max: 5000, noNaN: true }), exp: fc.boolean() }), { maxLength: 200 }),
        (start, points) => {
          const c = newEquityCurve(points.length);
          let t = start;
          for (const p of points) {
            t += p.step;
            const k = c.length++;
            c.time[k] = t;
            c.equity[k] = p.eq;
            c.exposed[k] = p.exp ? 1 : 0;
            c.balance[k] = 1000;
          }
          const m = computeMetrics([], c, 1000);
          expect({ maxDrawdown: m.maxDrawdown, maxDrawdownPct: m.maxDrawdownPct, exposure: m.exposure, sharpe: m.sharpe, sortino: m.sortino }).toEqual(definedCurve(c, 1000));
        },
      ),
      { numRuns: 500 },
    );
  });
});
