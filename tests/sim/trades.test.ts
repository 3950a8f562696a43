/**
 * tradeTableFromStore (the backtest's trades read from the deal store's columns) against tradesFromDeals (the same
 * deals as objects): the same trades, in the same order, for any sequence of orders on a netting or a hedging account.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORDER_FILLING, ORDER_TYPE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import { exitNoteOf, exitNotes, tradeTableFromStore, tradesFromDeals } from '../../src/sim/trades.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { computeMetrics, newEquityCurve } from '../../src/engine/metrics.js';
import { reportStats } from '../../src/engine/report-stats.js';
import { MONDAY_10H, makeBroker } from '../helpers.js';

/** An order: buy or sell `lots` tenths, a move of the price first (points), SL/TP points away (0: none), or a close of the k-th open position. */
const op = fc.record({
  kind: fc.constantFrom('buy', 'sell', 'close', 'partial', 'end'),
  lots: fc.integer({ min: 1, max: 5 }),
  move: fc.integer({ min: -120, max: 120 }),
  stop: fc.constantFrom(0, 50, 150),
  k: fc.nat(),
});

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function run(netting: boolean, ticketStart: bigint | undefined, ops: Op[]) {
  const b = makeBroker(
    { account: { login: 1, server: 'T', currency: 'USD', leverage: 100, marginMode: netting ? 0 : 2, balance: 1_000_000 }, ...(ticketStart !== undefined ? { ticketStart } : {}) },
    [symbolSpec('EURUSD', { commissionPerLot: 3.5, swapLong: -7, swapShort: 2 })],
  );
  let bid = 1.1;
  let t = MONDAY_10H;
  b.quote('EURUSD', bid, bid + 0.00002, t);
  for (const o of ops) {
    bid = Math.round((bid + o.move * 1e-5) * 1e5) / 1e5;
    t += 3 * 3_600_000;
    // a continuous move: SL and TP crossed on the way fill (deals with reason SL / TP)
    b.quote('EURUSD', bid, Math.round((bid + 0.00002) * 1e5) / 1e5, t, true);
    if (t % 86_400_000 < 3 * 3_600_000) b.rollover(1);
    const open = b.positionList();
    if (o.kind === 'buy' || o.kind === 'sell') {
      const buy = o.kind === 'buy';
      const q = b.quoteOf('EURUSD')!;
      const px = buy ? q.ask : q.bid;
      const d = o.stop * 1e-5 * (buy ? 1 : -1);
      b.orderSend({
        action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: buy ? ORDER_TYPE.BUY : ORDER_TYPE.SELL, volume: o.lots / 10, typeFilling: ORDER_FILLING.FOK,
        sl: o.stop ? Math.round((px - d) * 1e5) / 1e5 : 0, tp: o.stop ? Math.round((px + 2 * d) * 1e5) / 1e5 : 0, comment: `ix:s-${o.k}`,
      });
    } else if (open.length) {
      const p = open[o.k % open.length]!;
      const volume = o.kind === 'partial' ? Math.min(p.volume, o.lots / 10) : p.volume;
      b.orderSend({
        action: TRADE_ACTION.DEAL, symbol: 'EURUSD', position: p.ticket, type: p.type === ORDER_TYPE.BUY ? ORDER_TYPE.SELL : ORDER_TYPE.BUY,
        volume, typeFilling: ORDER_FILLING.FOK, comment: o.kind === 'end' ? `ix:end-${o.k}` : `ix:c-${o.k}`,
      });
    }
  }
  return b;
}

describe('tradeTableFromStore', () => {
  it('gives the trades tradesFromDeals gives, netting and hedging, ids below and across 2^53; every kind of trade compared', () => {
    const seen = new Set<string>();
    let fromColumns = 0;
    fc.assert(
      // ticket numbers from 1000, or 40 below 2^53 (the store's ids cross it within a run: the Deal way from there)
      fc.property(fc.boolean(), fc.constantFrom(1000n, 1000n, 2n ** 53n - 40n), fc.array(op, { minLength: 10, maxLength: 60, size: 'max' }), (netting, start, ops) => {
        const b = run(netting, start, ops);
        const got = tradeTableFromStore(b.dealColumns(), () => b.dealRows(), true).trades();
        expect(got).toEqual(tradesFromDeals(b.deals()));
        // a table without the details (what a backtest's figures read) gives the figures of the trades themselves
        const lean = tradeTableFromStore(b.dealColumns(), () => b.dealRows(), false), curve = newEquityCurve(0);
        const figures = (trades: typeof lean | typeof got) => {
          const metrics = computeMetrics(trades, curve, 1000);
          return [metrics, reportStats({ trades, equity: curve, initialBalance: 1000, metrics, rejected: [], refusals: [], blocked: {} })];
        };
        expect(figures(lean)).toEqual(figures(got));
        // what the comparison covered, on runs read from the columns (ids under 2^53)
        if (b.deals().some((d) => d.positionId > BigInt(Number.MAX_SAFE_INTEGER))) return;
        fromColumns++;
        for (const t of got) {
          seen.add(t.exitReason);
          if (t.swap !== 0) seen.add('swap');
        }
        for (const d of b.deals()) if (d.entry === 2) seen.add('reversal');
        if (netting && b.deals().some((d, i, all) => d.entry === 0 && all.findIndex((e) => e.positionId === d.positionId) < i)) seen.add('addition');
      }),
      { numRuns: 300 },
    );
    expect(fromColumns).toBeGreaterThan(100);
    expect([...seen].sort()).toEqual(['addition', 'end', 'reversal', 'signal', 'sl', 'swap', 'tp']);
  });
});

describe('tradeTableFromStore with many positions open at once', () => {
  // 6 open: the open trades scanned (a close moves the last into its place); 20: past the ones it scans, through a Map
  it.each([
    [6, [3, 0, 5, 1, 4, 2]],
    [20, [13, 2, 19, 0, 7, 8, 1, 15, 4, 11, 18, 3, 6, 17, 9, 12, 5, 16, 10, 14]],
  ])('keeps each open trade to its own position (hedging, %i open, closed in a shuffled order)', (n, order) => {
    const b = makeBroker({ account: { login: 1, server: 'T', currency: 'USD', leverage: 100, marginMode: 2, balance: 1_000_000 } }, [symbolSpec('EURUSD', { commissionPerLot: 3.5 })]);
    let bid = 1.1, t = MONDAY_10H;
    const step = (move: number) => {
      bid = Math.round((bid + move * 1e-5) * 1e5) / 1e5;
      t += 60_000;
      b.quote('EURUSD', bid, Math.round((bid + 0.00002) * 1e5) / 1e5, t);
    };
    const ids: bigint[] = [];
    for (let k = 0; k < n; k++) {
      step(k % 3 === 0 ? 7 : -4);
      const r = b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: k % 2 ? ORDER_TYPE.SELL : ORDER_TYPE.BUY, volume: (k + 1) / 100, typeFilling: ORDER_FILLING.FOK, comment: `ix:o-${k}` });
      expect(r.retcode).toBe(10009);
      ids.push(b.dealPositionId(r.deal)!);
    }
    for (const k of order) {
      step(k % 2 ? 11 : -9);
      const p = b.position(ids[k]!)!;
      const r = b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', position: p.ticket, type: p.type === ORDER_TYPE.BUY ? ORDER_TYPE.SELL : ORDER_TYPE.BUY, volume: p.volume, typeFilling: ORDER_FILLING.FOK, comment: `ix:c-${k}` });
      expect(r.retcode).toBe(10009);
    }
    // each trade from its own position's two deals, worked out here without the builder
    const deals = b.deals();
    const want = order.map((k) => {
      const [din, dout] = deals.filter((d) => d.positionId === ids[k]);
      return {
        id: String(ids[k]), side: k % 2 ? 'SELL' : 'BUY', volume: (k + 1) / 100, openTime: din!.time, closeTime: dout!.time, entryPrice: din!.price, exitPrice: dout!.price,
        profit: Math.round((din!.commission + dout!.profit + dout!.swap + dout!.commission) * 100) / 100, commission: Math.round((din!.commission + dout!.commission) * 100) / 100,
      };
    });
    for (const got of [tradeTableFromStore(b.dealColumns(), () => b.dealRows(), true).trades(), tradesFromDeals(deals)]) {
      expect(got.map((x) => ({ id: x.id, side: x.side, volume: x.volume, openTime: x.openTime, closeTime: x.closeTime, entryPrice: x.entryPrice, exitPrice: x.exitPrice, profit: x.profit, commission: x.commission }))).toEqual(want);
    }
  });
});

describe('exitNotes', () => {
  /** A netting or hedging account on EURUSD with a market order a step: [side, lots, price move in points before it]. */
  function deals(netting: boolean, orders: [buy: boolean, lots: number][]) {
    const b = makeBroker({ account: { login: 1, server: 'T', currency: 'USD', leverage: 100, marginMode: netting ? 0 : 2, balance: 1_000_000 } });
    let bid = 1.1, t = MONDAY_10H;
    for (const [buy, lots] of orders) {
      bid = Math.round((bid + 0.0005) * 1e5) / 1e5;
      t += 3_600_000;
      b.quote('EURUSD', bid, Math.round((bid + 0.00002) * 1e5) / 1e5, t);
      const open = b.positionList();
      // hedging: a sell against an open buy closes it (by ticket), as the engine's CLOSE does
      const p = !netting && open.length && (open[0]!.type === ORDER_TYPE.BUY) !== buy ? open[0] : undefined;
      const r = b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: buy ? ORDER_TYPE.BUY : ORDER_TYPE.SELL, volume: lots, typeFilling: ORDER_FILLING.FOK, comment: 'x', ...(p ? { position: p.ticket } : {}) });
      expect(r.retcode).toBe(10009);
    }
    return b.deals();
  }

  it('names a netting reversal for what it is: "closed by a reversal", not "average of 2 partial exits"', () => {
    // buy 0.1, sell 0.3 (closes the 0.1 and opens 0.2 short: one INOUT deal), buy 0.2 (closes the short)
    const d = deals(true, [[true, 0.1], [false, 0.3], [true, 0.2]]);
    expect(d.filter((x) => x.entry === 2)).toHaveLength(1);
    const trades = tradesFromDeals(d);
    expect(trades.map((t) => [t.side, t.volume])).toEqual([['BUY', 0.1], ['SELL', 0.2]]);
    expect(trades[0]!.id).toBe(trades[1]!.id); // the same position id, as MT5 keeps it
    expect(exitNotes(d)).toEqual(['closed by a reversal', '']);
  });

  it('keeps partial exits as they are, and says when a reversal was the last of several', () => {
    // netting: buy 0.3, sell 0.1 (a partial close), sell 0.4 (closes the 0.2 left and opens 0.2 short), buy 0.2
    const d = deals(true, [[true, 0.3], [false, 0.1], [false, 0.4], [true, 0.2]]);
    expect(exitNotes(d)).toEqual(['average of 2 exits (the last a reversal)', '']);
    // hedging: buy 0.3, two closes of 0.1 and 0.2 by ticket
    const h = deals(false, [[true, 0.3], [false, 0.1], [false, 0.2], [true, 0.1], [false, 0.1]]);
    expect(tradesFromDeals(h).map((t) => t.volume)).toEqual([0.3, 0.1]);
    expect(exitNotes(h)).toEqual(['average of 2 partial exits', '']);
  });

  it('holds no comma, so a CSV cell needs no quoting', () => {
    for (const [n, r] of [[1, true], [2, true], [3, false]] as const) expect(exitNoteOf(n, r)).not.toContain(',');
  });
});
