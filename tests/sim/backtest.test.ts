import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { StrategyRunner, type Decision } from '../../src/engine/runner.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { backtestCommand } from '../../src/cli/backtest.js';
import { readStrategyFile } from '../../src/cli/strategy.js';
import type { Deal, Msg } from '../../src/protocol/messages.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { tradesFromDeals } from '../../src/sim/trades.js';
import { ORDER_FILLING, ORDER_TYPE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import { replayBars } from '../../src/sim/replay.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { MONDAY_10H, makeBroker, startRig } from '../helpers.js';

const h1 = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));
const long = parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8'));

/** A deal list as a hash, without the ticket numbers (each broker numbers its own). */
function dealHash(deals: Deal[]): { hash: string; n: number } {
  const rows = deals.map((d) => [d.time, d.type, d.entry, d.volume, d.price, d.profit, d.swap, d.commission, d.reason, d.comment].join('|'));
  return { hash: createHash('sha256').update(rows.join('\n')).digest('hex'), n: rows.length };
}

describe('backtest', () => {
  it('trades from deals on a netting account: additions, a partial close and a reversal split into trades that add up to the cent', () => {
    const b = makeBroker({ account: { login: 1, server: 'N', currency: 'USD', leverage: 100, marginMode: 0, balance: 10_000 } }, [symbolSpec('EURUSD', { commissionPerLot: 3.5 })]);
    const order = (type: number, volume: number, bid: number, k: number) => {
      b.quote('EURUSD', bid, Math.round((bid + 0.00002) * 1e5) / 1e5, MONDAY_10H + k * 60_000);
      expect(b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type, volume, typeFilling: ORDER_FILLING.FOK }).retcode).toBe(10009);
    };
    order(ORDER_TYPE.BUY, 0.3, 1.1, 0);
    order(ORDER_TYPE.BUY, 0.1, 1.101, 1); // adds
    order(ORDER_TYPE.SELL, 0.1, 1.1023, 2); // partial close
    order(ORDER_TYPE.SELL, 0.5, 1.0991, 3); // closes 0.3, opens 0.2 short (one INOUT deal)
    order(ORDER_TYPE.BUY, 0.2, 1.0977, 4); // closes the short
    const deals = b.deals();
    const trades = tradesFromDeals(deals);
    expect(trades.map((t) => [t.side, t.volume, t.entryPrice, t.exitPrice])).toEqual([
      ['BUY', 0.4, (1.10002 * 0.3 + 1.10102 * 0.1) / 0.4, Math.round(((1.1023 * 0.1 + 1.0991 * 0.3) / 0.4) * 1e8) / 1e8],
      ['SELL', 0.2, 1.0991, 1.09772],
    ]);
    // every cent of the deals is in exactly one trade: commission of the reversal deal once, not twice
    const cents = (x: number) => Math.round(x * 100);
    const dealMoney = deals.reduce((a, d) => a + cents(d.profit) + cents(d.commission) + cents(d.swap), 0);
    expect(trades.reduce((a, t) => a + cents(t.profit), 0)).toBe(dealMoney);
    expect(trades.reduce((a, t) => a + cents(t.commission), 0)).toBe(deals.reduce((a, d) => a + cents(d.commission), 0));
    expect(cents(b.balance - 10_000)).toBe(dealMoney);
    expect(trades[1]!.commission).toBe(deals.at(-1)!.commission); // the short's own closing deal only
  });

  it('money reconciles to the cent: the trades add up to the balance change, for every example on EURUSD', () => {
    for (const f of ['examples/ema-cross-trend.json', 'examples/rsi-bollinger-reversion.json', 'examples/macd-h4-confirmation.json', 'examples/stoch-williams-fade.json']) {
      const r = runBacktest({ strategy: readStrategyFile(f), bars: sliceBars(long, 0, 8000) });
      const fromTrades = Math.round(r.trades.reduce((s, t) => s + t.profit, 0) * 100);
      expect(fromTrades, f).toBe(Math.round((r.metrics.finalBalance - r.initialBalance) * 100));
      expect(r.metrics.netProfit).toBe(fromTrades / 100);
      expect(r.trades.length, f).toBeGreaterThan(10);
      expect(r.rejected, f).toEqual([]);
    }
  });

  it('a rollover for every server day that ends, also the days a gap in the file skips (Christmas 2018 in this one)', async () => {
    const { SimBroker } = await import('../../src/sim/broker.js');
    const orig = SimBroker.prototype.rollover;
    const weekdays: number[] = [];
    SimBroker.prototype.rollover = function (this: InstanceType<typeof SimBroker>, weekday: number) {
      weekdays.push(weekday);
      return orig.call(this, weekday);
    };
    try {
      const s = normalizeStrategy({ strategyId: 'q', symbol: 'EURUSD', timeframe: 'H1', rules: { entry: { direction: 'BUY', conditions: [{ indicator: 'close', condition: '<', value: 0 }] }, riskManagement: { lotSize: 0.1 } } });
      runBacktest({ strategy: s, bars: long, warmupBars: 0, closeAtEnd: false });
    } finally {
      SimBroker.prototype.rollover = orig;
    }
    const first = Math.floor(long.time[0]! / 86400), last = Math.floor(long.time[long.length - 1]! / 86400);
    expect(weekdays.length).toBe(last - first);
    expect(weekdays).toEqual(Array.from({ length: last - first }, (_, k) => (first + k + 4) % 7));
  });

  it('walks the same intrabar path as path.ts (times and prices of every quote)', async () => {
    const { barPath } = await import('../../src/sim/path.js');
    const quotes: [number, number][] = [];
    const { SimBroker } = await import('../../src/sim/broker.js');
    const orig = SimBroker.prototype.quote, origAt = SimBroker.prototype.quoteAt, origPath = SimBroker.prototype.path;
    // the open arrives as a quote (a gap) read from an array (quoteAt), the rest of the bar's path in one path() call
    SimBroker.prototype.quote = function (this: InstanceType<typeof SimBroker>, sym, bid, ask, t, cont) {
      quotes.push([t, bid]);
      return orig.call(this, sym, bid, ask, t, cont);
    };
    // (nothing is open or pending here, so quoteAt never falls back to quote(): each open is recorded once)
    SimBroker.prototype.quoteAt = function (this: InstanceType<typeof SimBroker>, sym, pts, k) {
      quotes.push([pts[3 * k + 2]!, pts[3 * k]!]);
      return origAt.call(this, sym, pts, k);
    };
    // (this strategy never trades, so path() never falls back to quote(): each point is recorded once)
    SimBroker.prototype.path = function (this: InstanceType<typeof SimBroker>, sym, pts, n) {
      for (let k = 0; k < n; k++) quotes.push([pts[3 * k + 2]!, pts[3 * k]!]);
      return origPath.call(this, sym, pts, n);
    };
    try {
      const s = normalizeStrategy({ strategyId: 'q', symbol: 'EURUSD', timeframe: 'H1', rules: { entry: { direction: 'BUY', conditions: [{ indicator: 'close', condition: '<', value: 0 }] }, riskManagement: { lotSize: 0.1 } } });
      runBacktest({ strategy: s, bars: sliceBars(h1, 0, 50), closeAtEnd: false });
    } finally {
      SimBroker.prototype.quote = orig;
      SimBroker.prototype.quoteAt = origAt;
      SimBroker.prototype.path = origPath;
    }
    const want = Array.from({ length: 50 }, (_, i) => barPath(h1.time[i]!, 3600, h1.open[i]!, h1.high[i]!, h1.low[i]!, h1.close[i]!).map((p) => [p.timeMsc, p.price])).flat();
    expect(quotes.slice(1)).toEqual(want); // the first quote primes the spec before the run
  });

  it('deciding a column at a time gives the very deals of deciding bar by bar, for every example', () => {
    const gold = parseBars(readFileSync('data/XAUUSD_M15_2024Q1.csv', 'utf8'));
    let columnRuns = 0;
    // the examples, and one that closes on exit conditions (RSI beyond 65/35) besides
    const exitOnRsi = normalizeStrategy({
      strategyId: 'exit-on-rsi', symbol: 'EURUSD', timeframe: 'H1',
      rules: {
        entry: { direction: 'BOTH', conditions: [{ indicator: 'ema_9', condition: 'crosses_above', indicatorRef: 'ema_21' }] },
        exit: { stopLoss: { type: 'atr', multiplier: 3 }, exitOnOppositeSignal: false, conditions: { logic: 'OR', conditions: [{ indicator: 'rsi_14', condition: '>', value: 65 }, { indicator: 'rsi_14', condition: '<', value: 35 }] } },
        riskManagement: { lotSize: 0.1 },
      },
    });
    for (const f of [...readdirSync('examples'), exitOnRsi]) {
      const strategy = typeof f === 'string' ? readStrategyFile(`examples/${f}`) : f;
      const name = typeof f === 'string' ? f : f.id;
      const bars = strategy.symbol === 'XAUUSD' ? gold : sliceBars(long, 0, 12_000);
      for (const extra of [{}, { spread: 15, slippagePoints: 3, commissionPerLot: 3.5, balance: 2500 }]) {
        // the decisions that did something (the CLI's report reads them) keep the column mode, and are the same
        const acted: string[] = [], actedByBar: string[] = [];
        const key = (d: Decision) => `${d.time}|${d.refused ?? ''}|${d.intents.map((i) => `${i.type} ${i.intentId} ${'sl' in i ? i.sl : ''} ${'tp' in i ? i.tp : ''}`).join(',')}`;
        const cols = runBacktest({ strategy, bars, warmupBars: 200, ...extra, onAction: (d) => acted.push(key(d)) });
        const seen: number[] = [];
        const byBar = runBacktest({
          strategy, bars, warmupBars: 200, ...extra,
          onDecision: (d) => { // asks for every decision: bar by bar
            seen.push(d.time);
            if (d.refused !== undefined || d.intents.length) actedByBar.push(key(d));
          },
        });
        expect(acted, name).toEqual(actedByBar);
        expect(acted.length, name).toBeGreaterThan(5);
        expect(byBar.columns, name).toBe(false);
        expect(seen.length, name).toBe(byBar.bars);
        if (cols.columns) columnRuns++;
        expect(cols.trades.length, name).toBeGreaterThan(5);
        expect(dealHash(cols.deals), name).toEqual(dealHash(byBar.deals));
        expect(cols.metrics, name).toEqual(byBar.metrics);
        expect([cols.intents, cols.refused, cols.rejected], name).toEqual([byBar.intents, byBar.refused, byBar.rejected]);
      }
    }
    expect(columnRuns).toBe(14); // every one, macd-h4-confirmation (two timeframes) too
  });

  it('a signal on a bar close fills at the next bar open plus the spread', () => {
    const s = normalizeStrategy({ strategyId: 'fill', symbol: 'EURUSD', timeframe: 'H1', rules: { entry: { direction: 'BUY', conditions: [{ indicator: 'close', condition: '>', value: 0 }] }, riskManagement: { lotSize: 0.1 } } });
    const r = runBacktest({ strategy: s, bars: sliceBars(h1, 0, 5), spread: 15, closeAtEnd: false });
    expect(r.deals[0]).toMatchObject({ time: h1.time[1], price: Math.round((h1.open[1]! + 0.00015) * 1e5) / 1e5, entry: 0 });
  });

  it('when SL and TP are both inside one bar, the path decides: a bullish bar visits its low first', () => {
    // bar 1 (bullish): open 1.1000, low 1.0950, high 1.1050: a buy with SL 1.0960 and TP 1.1040 → stopped out first
    const text = ['time,open,high,low,close,tick_volume,spread,real_volume', '1704708000,1.1,1.1001,1.0999,1.1,10,0,0', '1704711600,1.1,1.105,1.095,1.102,10,0,0', '1704715200,1.102,1.103,1.101,1.102,10,0,0'].join('\n');
    const s = normalizeStrategy({ strategyId: 'both', symbol: 'EURUSD', timeframe: 'H1', rules: { entry: { direction: 'BUY', conditions: [{ indicator: 'close', condition: '>', value: 0 }] }, exit: { stopLoss: { type: 'fixed', price: 1.096 }, takeProfit: { type: 'fixed', price: 1.104 } }, riskManagement: { lotSize: 0.1, maxPositions: 1 } } });
    const r = runBacktest({ strategy: s, bars: parseBars(text), spread: 0, closeAtEnd: false });
    expect(r.trades[0]).toMatchObject({ exitReason: 'sl', exitPrice: 1.096 });
  });

  it('applies the pre-trade limits when asked: live defaults block what they should, and count it by code', () => {
    const s = normalizeStrategy({ strategyId: 'big', symbol: 'EURUSD', timeframe: 'H1', rules: { entry: { direction: 'BOTH', conditions: [{ indicator: 'ema_9', condition: 'crosses_above', indicatorRef: 'ema_21' }] }, exit: { stopLoss: { type: 'pips', value: 30 } }, riskManagement: { lotSize: 0.2, maxPositions: 3 } } });
    const free = runBacktest({ strategy: s, bars: sliceBars(h1, 0, 1000) });
    const live = runBacktest({ strategy: s, bars: sliceBars(h1, 0, 1000), limits: { maxLot: 0.1 } });
    expect(free.trades.length).toBeGreaterThan(10);
    expect(live.trades.length).toBe(0);
    expect(live.blocked.MAX_LOT).toBeGreaterThan(10);
    let err = '';
    expect(backtestCommand({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv', limits: 'paranoid' }, () => undefined, (t) => (err += t))).toBe(2);
    expect(err).toMatch(/--limits must be none, demo or live, got 'paranoid'/);
  });

  it('same inputs give byte-identical --json output', () => {
    const run = () => {
      let out = '';
      expect(backtestCommand({ strategy: 'examples/rsi-bollinger-reversion.json', data: 'data/EURUSD_H1_2019.csv', json: true }, (t) => (out += t), () => undefined)).toBe(0);
      return out;
    };
    const a = run();
    expect(run()).toBe(a);
    expect(Object.keys(JSON.parse(a))).toEqual(expect.arrayContaining(['trades', 'winRate', 'profitFactor', 'netProfit', 'maxDrawdown', 'maxDrawdownPct', 'sharpe', 'sortino']));
  });

  it('writes a self-contained HTML report (no CDN) and a trades CSV; explains bad arguments', () => {
    const dir = `/tmp/mt5x-bt-${process.pid}`;
    let out = '';
    expect(backtestCommand({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv', report: `${dir}.html`, trades: `${dir}.csv` }, (t) => (out += t), () => undefined)).toBe(0);
    const html = readFileSync(`${dir}.html`, 'utf8');
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    expect(readFileSync(`${dir}.csv`, 'utf8').split('\n')[0]).toBe('id,symbol,side,volume,open_time,close_time,entry_price,exit_price,exit_reason,commission,swap,profit,net,exit_note');
    let err = '';
    expect(backtestCommand({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv', balance: '-5' }, () => undefined, (t) => (err += t))).toBe(2);
    expect(err).toMatch(/--balance must be a number ≥ 1, got '-5'/);
    expect(backtestCommand({ strategy: 'examples/ema-cross-trend.json', data: 'nope.csv' }, () => undefined, (t) => (err += t))).toBe(1);
    expect(err).toMatch(/nope.csv/);
  });
});

describe('parity', () => {
  it('the same strategy on the same data gives the same trades in the backtest and in paper mode over the bridge', async () => {
    const file = 'examples/rsi-bollinger-reversion.json';
    const bars = sliceBars(h1, 0, 1500);
    const bt = runBacktest({ strategy: readStrategyFile(file), bars, closeAtEnd: false });

    const rig = await startRig();
    try {
      const broker = makeBroker({}, [symbolSpec('EURUSD')]);
      const { sim, terminal } = await rig.connect({ broker });
      const runner = new StrategyRunner(readStrategyFile(file), broker.spec('EURUSD')!);
      let bid = 0, ask = 0;
      terminal.on('ticks', (m: Msg<'TICKS'>) => ([, bid, ask] = m.ticks.at(-1)!));
      terminal.on('bar', (m: Msg<'BAR'>) => {
        const [time, open, high, low, close, tickVolume, , realVolume] = m.bar;
        const positions = terminal.positions.filter((p) => p.magic === runner.magic);
        const d = runner.onBar({ time, open, high, low, close, tickVolume, realVolume }, { bid, ask, positions, ...(terminal.account ? { equity: terminal.account.equity } : {}) });
        for (const i of d.intents) void terminal.sendIntent(i);
      });
      await replayBars(sim, { symbol: 'EURUSD', timeframe: 'H1', bars, defaultSpread: 10 });
      const paper = dealHash(broker.deals());
      const back = dealHash(bt.deals);
      expect(back.n).toBeGreaterThan(20);
      expect(paper).toEqual(back);
    } finally {
      await rig.close();
    }
  });
});
