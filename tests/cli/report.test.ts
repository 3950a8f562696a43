/**
 * The backtest report and options: the HTML parsed section by section against `--json`, the tester statistics
 * on trades made by hand, and --from/--to, --no-swap, --symbol/--timeframe and the contradiction checks.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMetrics, newEquityCurve, type Trade } from '../../src/engine/metrics.js';
import type { NormalizedStrategy } from '../../src/engine/strategy/normalize.js';
import { loadBarFile } from '../../src/cli/bar-file.js';
import { renderReport, tradesCsv } from '../../src/cli/report.js';
import { ORDER_FILLING, ORDER_TYPE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import type { BacktestResult } from '../../src/sim/backtest.js';
import { tradesFromDeals } from '../../src/sim/trades.js';
import { MONDAY_10H, makeBroker } from '../helpers.js';
import { refusalKind, reportStats } from '../../src/engine/report-stats.js';
import { backtestCommand, symbolFromFileName, type BacktestArgs } from '../../src/cli/backtest.js';

const dir = mkdtempSync(join(tmpdir(), 'report-test-'));

function run(a: BacktestArgs): { code: number; out: string; err: string } {
  let out = '', err = '';
  const code = backtestCommand(a, (t) => (out += t), (t) => (err += t));
  return { code, out, err };
}

/** data-k → data-v of every figure in the page (the last one when a key repeats). */
function figures(html: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const x of html.matchAll(/data-k="([^"]+)" data-v="([^"]*)"/g)) m.set(x[1]!, x[2]!);
  return m;
}

describe('backtest report', () => {
  const base = { strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv' };
  const html = (() => {
    expect(run({ ...base, report: join(dir, 'r.html') }).code).toBe(0);
    return readFileSync(join(dir, 'r.html'), 'utf8');
  })();
  const json = JSON.parse(run({ ...base, json: true }).out);

  it('has every section, both chart libraries inlined and nothing from the network', () => {
    for (const id of ['settings', 'statistics', 'chart', 'equity', 'returns', 'exit-reasons', 'refusals', 'trades']) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('TradingView Lightweight Charts');
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    expect(html).toContain('broker server time');
  });

  it('shows the figures --json carries', () => {
    const f = figures(html);
    const s = json.stats;
    for (const k of ['netProfit', 'profitFactor', 'expectancy', 'sharpe', 'sortino', 'maxDrawdown', 'finalBalance', 'trades', 'wins', 'losses', 'avgHoldingHours']) expect(f.get(k), k).toBe(String(json[k]));
    for (const k of ['grossProfit', 'grossLoss', 'recoveryFactor', 'cagr', 'calmar', 'largestWin', 'largestLoss', 'averageWin', 'averageLoss', 'maxConsecutiveWins', 'maxConsecutiveLosses', 'exposure']) expect(f.get(k), k).toBe(String(s[k]));
    expect(f.get('long.trades')).toBe(String(s.long.trades));
    expect(f.get('short.trades')).toBe(String(s.short.trades));
    for (const [k, v] of Object.entries(s.exitReasons)) expect(f.get(`exit.${k}`)).toBe(String(v));
    for (const p of s.monthly) expect(f.get(`monthly.${p.period}`)).toBe(String(p.returnPct));
    for (const p of s.yearly) expect(f.get(`yearly.${p.period}`)).toBe(String(p.returnPct));
    expect(f.get('refusals.total')).toBe(String(json.refusals.total));
    expect(f.get('rejections.total')).toBe(String(json.rejections.total));
    // the refusals by reason: the table's rows in order
    const table = /<table id="refused-by-reason">(.*?)<\/table>/s.exec(html)![1]!;
    const rows = [...table.matchAll(/<tr><td>([^<]*)<\/td><td data-k="[^"]+" data-v="(\d+)"/g)].map((x) => ({ reason: x[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'), count: Number(x[2]) }));
    expect(rows).toEqual(json.refusals.byReason);
    expect(json.refusals.byReason.reduce((a: number, x: { count: number }) => a + x.count, 0)).toBe(json.refusals.total);
  });

  it('lists every trade with prices at the symbol digits, and the refusals one by one', () => {
    const body = /<table id="trade-list"[^>]*>.*?<tbody>(.*?)<\/tbody>/s.exec(html)![1]!;
    const rows = [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((x) => [...x[1]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]!));
    expect(rows.length).toBe(json.trades);
    for (const r of rows) {
      expect(r[5]).toMatch(/^\d+\.\d{5}$/); // entry, EURUSD 5 digits
      expect(r[8]).toMatch(/^\d+\.\d{5}$/);
      expect(r[6]).toMatch(/^(\d+\.\d{5}|—)$/);
    }
    expect(rows.filter((r) => r[6] !== '—').length).toBeGreaterThan(0); // SL levels found for entries
    const list = /<table id="refusal-list"[^>]*>.*?<tbody>(.*?)<\/tbody>/s.exec(html)![1]!;
    expect([...list.matchAll(/<tr>/g)].length).toBe(json.refusals.total + json.rejections.total);
  });

  it('carries the settings and the candles with the strategy indicators', () => {
    const settings = /<section id="settings">(.*?)<\/section>/s.exec(html)![1]!;
    for (const s of ['data/EURUSD_H1_2019.csv', 'EURUSD (5 digits)', 'H1', '10,000.00 USD', '1:100', 'hedging', '3.5 per lot per side', 'long -7']) expect(settings).toContain(s);
    const data = JSON.parse(/const D = (.*);\n/.exec(html)![1]!);
    expect(data.candles.length).toBe(json.bars);
    expect(data.lines.map((l: { key: string }) => l.key)).toEqual(expect.arrayContaining(['ema:9', 'ema:21']));
    expect(data.trades.length).toBe(json.trades);
    expect(json.settings.digits).toBe(5);
  });
});

describe('report statistics', () => {
  const t = (profit: number, side: 'BUY' | 'SELL', exitReason = 'sl'): Trade => ({ id: '1', symbol: 'EURUSD', side, openTime: 0, closeTime: 3600, volume: 0.1, entryPrice: 1, exitPrice: 1, profit, commission: 0, swap: 0, exitReason });
  it('computes the MT5 tester figures', () => {
    const trades = [t(10, 'BUY', 'tp'), t(20, 'BUY', 'tp'), t(-5, 'SELL'), t(-7, 'SELL'), t(-1, 'BUY', 'signal'), t(30, 'SELL', 'tp')];
    const eq = newEquityCurve(3);
    // 2019-01-31 23:00 → 2019-02-01 … one year apart
    const y = 365.25 * 86400;
    eq.time.set([1548979200, 1548979200 + y / 2, 1548979200 + y]);
    eq.equity.set([10000, 9900, 10047]);
    eq.balance.set([10000, 9900, 10047]);
    eq.length = 3;
    const s = reportStats({
      trades, equity: eq, initialBalance: 10000,
      metrics: { trades: 6, wins: 3, losses: 3, winRate: 50, grossProfit: 60, grossLoss: 13, profitFactor: 4.6154, expectancy: 7.83, netProfit: 47, finalBalance: 10047, maxDrawdown: 100, maxDrawdownPct: 1, sharpe: null, sortino: null, exposure: 12.5, avgHoldingHours: 1, longestLosingStreak: 3 },
      rejected: [{ time: 1, retcode: 10019, comment: '' }, { time: 2, retcode: 10019, comment: '' }],
      refusals: [{ time: 1, reason: 'maxPositions 1 reached' }, { time: 2, reason: 'maxPositions 1 reached' }, { time: 3, reason: 'stop loss 1.2 is on the wrong side of the entry 1.1' }],
      blocked: { MAX_LOT: 4 },
    });
    expect([s.largestWin, s.largestLoss, s.averageWin, s.averageLoss]).toEqual([30, -7, 20, -4.33]);
    expect(s.long).toEqual({ trades: 3, wins: 2, winRate: 66.6667, netProfit: 29 });
    expect(s.short).toEqual({ trades: 3, wins: 1, winRate: 33.3333, netProfit: 18 });
    expect([s.maxConsecutiveWins, s.maxConsecutiveWinsProfit, s.maxConsecutiveLosses, s.maxConsecutiveLossesLoss]).toEqual([2, 30, 3, -13]);
    expect(s.recoveryFactor).toBe(0.47);
    expect(s.exitReasons).toEqual({ tp: 3, sl: 2, signal: 1 });
    expect(s.rejectedByReason).toEqual([{ reason: expect.stringMatching(/^10019 /), count: 2 }]);
    expect(s.refusedByReason).toEqual([{ reason: 'maxPositions 1 reached', count: 2 }, { reason: 'stop loss on the wrong side of the entry', count: 1 }]);
    expect(s.blockedByReason).toEqual([{ reason: 'MAX_LOT', count: 4 }]);
    expect(s.monthly.map((p) => p.period)).toEqual(['2019-01', '2019-08', '2020-02']);
    expect(s.yearly.map((p) => [p.period, p.profit])).toEqual([['2019', -100], ['2020', 147]]);
    expect(refusalKind('ATR 12.5 pips')).toBe('ATR … pips');
    // grouped by what the strategy set, not what was measured; no masks
    expect(refusalKind('filtered: session (2019-03-04 01:00 UTC: open Sydney+Tokyo; allowed London+NewYork)')).toBe('filtered: session outside London+NewYork');
    expect(refusalKind('filtered: session (2019-03-04 23:00 UTC: open Sydney; allowed London+NewYork); spread (spread 2.5 pips, max 2)')).toBe('filtered: session outside London+NewYork; spread above 2 pips');
    expect(refusalKind('filtered: volatility (ATR 3.1 pips (min 5, max -, optimal -))')).toBe('filtered: volatility: ATR outside its range');
    expect(refusalKind('ml gate: score 0.41 < 0.6 (model v3)')).toBe('ml gate: score below 0.6');
    expect(refusalKind('take profit 1.2 is not beyond the entry 1.21')).toBe('take profit not beyond the entry');
  });
});

describe('backtest options', () => {
  it('--from/--to cut the bars (the --to day inclusive)', () => {
    const j = JSON.parse(run({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv', from: '2019-03-01', to: '2019-03-31', json: true }).out);
    expect(j.data.from).toBe('2019.03.01 00:00');
    expect(j.data.to).toBe('2019.03.31 23:05'); // the last bar of March 31 (this broker's Sunday open)
    expect(run({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv', from: '2019-13-01' }).err).toMatch(/--from: '2019-13-01' is not a valid date/);
    expect(run({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv', from: '2030-01-01' }).err).toMatch(/no bars between --from 2030-01-01 .* runs from 2019.02.15 14:00 to 2019.09.20 20:00/);
  });

  it('--no-swap: no swap on any trade', () => {
    const a = 'examples/ema-cross-trend.json', d = 'data/EURUSD_H1_2019.csv';
    expect(run({ strategy: a, data: d, trades: join(dir, 'sw.csv') }).code).toBe(0);
    expect(run({ strategy: a, data: d, swap: false, trades: join(dir, 'nosw.csv') }).code).toBe(0);
    const swaps = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[10]));
    expect(swaps('sw.csv').some((x) => x !== 0)).toBe(true);
    expect(swaps('nosw.csv').every((x) => x === 0)).toBe(true);
  });

  it('a file whose timeframe or symbol contradicts the strategy is an error naming the override', () => {
    const tf = run({ strategy: 'examples/stoch-williams-fade.json', data: 'data/EURUSD_H1_2019.csv' });
    expect(tf.code).toBe(1);
    expect(tf.err).toContain('data/EURUSD_H1_2019.csv holds H1 bars (the most common distance between its bars is 1 h) but the strategy trades M15: give a file of M15 bars, or run the strategy on these bars with --timeframe H1');
    const ok = JSON.parse(run({ strategy: 'examples/stoch-williams-fade.json', data: 'data/EURUSD_H1_2019.csv', timeframe: 'H1', json: true }).out);
    expect(ok.settings.timeframe).toBe('H1');
    expect(ok.settings.overrides).toBe('--timeframe H1');
    const sym = run({ strategy: 'examples/ema-cross-trend.json', data: 'data/XAUUSD_M15_2024Q1.csv', timeframe: 'M15' });
    expect(sym.err).toContain('data/XAUUSD_M15_2024Q1.csv is named for XAUUSD but the strategy trades EURUSD: give EURUSD bars, or run the strategy on these bars with --symbol XAUUSD');
    const gold = JSON.parse(run({ strategy: 'examples/ema-cross-trend.json', data: 'data/XAUUSD_M15_2024Q1.csv', timeframe: 'M15', symbol: 'XAUUSD', json: true }).out);
    expect([gold.settings.symbol, gold.settings.digits]).toEqual(['XAUUSD', 2]);
    expect(run({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv', timeframe: 'H2' }).err).toMatch(/--timeframe must be one of M1, M5/);
    expect(run({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv', symbol: 'BTCUSD' }).err).toMatch(/--symbol BTCUSD: no symbol specification/);
    expect([symbolFromFileName('x/eurusd-m15.csv'), symbolFromFileName('EURUSDm_H1.csv'), symbolFromFileName('bars.csv')]).toEqual(['EURUSD', 'EURUSD', undefined]);
  });

  it('the symbol a file names in its own column (<TICKER>) is checked against the strategy, whatever the file is called', () => {
    // EURUSD H1 bars of the bundled file, relabelled as an export with a ticker column, in a file named neutrally
    const rows = readFileSync('data/EURUSD_H1_2019.csv', 'utf8').trim().split(/\r?\n/).slice(1);
    const asTicker = (sym: string) => ['<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>', ...rows.map((r) => `${sym},60,${r}`)].join('\n');
    const gold = join(dir, 'export.csv');
    writeFileSync(gold, asTicker('XAUUSD'));
    const bad = run({ strategy: 'examples/ema-cross-trend.json', data: gold });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${gold} holds XAUUSD bars (its <TICKER> column says XAUUSD) but the strategy trades EURUSD: give EURUSD bars, or run the strategy on these bars with --symbol XAUUSD`);
    const eur = join(dir, 'XAUUSD-named.csv');
    writeFileSync(eur, asTicker('EURUSD.m'));
    // the column wins over the file's name
    const ok = run({ strategy: 'examples/ema-cross-trend.json', data: eur, json: true });
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).settings.symbol).toBe('EURUSD');
  });

  it('a directory given as the data file is explained', () => {
    const r = run({ strategy: 'examples/ema-cross-trend.json', data: 'data' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('--data data is a directory; give a bar file in it');
  });
});

describe('trade lists of a netting account that reverses', () => {
  it('label the reversal "closed by a reversal" in the trades CSV and the report, not "average of 2 partial exits"', () => {
    // the simulated broker on a netting account: buy 0.1, sell 0.3 (one INOUT deal: closes the buy, opens 0.2 short), buy 0.2
    const b = makeBroker({ account: { login: 1, server: 'T', currency: 'USD', leverage: 100, marginMode: 0, balance: 10_000 } });
    let bid = 1.1, t = MONDAY_10H;
    for (const [buy, lots] of [[true, 0.1], [false, 0.3], [true, 0.2]] as const) {
      bid += 0.0005;
      t += 3_600_000;
      b.quote('EURUSD', +bid.toFixed(5), +(bid + 0.00002).toFixed(5), t);
      expect(b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: buy ? ORDER_TYPE.BUY : ORDER_TYPE.SELL, volume: lots, typeFilling: ORDER_FILLING.FOK, comment: 'ix:e' }).retcode).toBe(10009);
    }
    const deals = b.deals();
    const trades = tradesFromDeals(deals);
    const eq = newEquityCurve(1);
    const result = { trades, deals, metrics: computeMetrics(trades, eq, 10_000), equity: eq, rejected: [], refused: 0, blocked: {}, bars: 0, initialBalance: 10_000 } as unknown as BacktestResult;
    const csv = tradesCsv(result, 5).trim().split('\n').map((l) => l.split(','));
    expect(csv.map((r) => r.length)).toEqual([14, 14, 14]);
    expect(csv.slice(1).map((r) => [r[2], r[3], r[13]])).toEqual([['BUY', '0.1', 'closed by a reversal'], ['SELL', '0.2', '']]);
    const stats = reportStats({ trades, equity: eq, initialBalance: 10_000, metrics: result.metrics, rejected: [], refusals: [], blocked: {} });
    const strategy = { id: 's', name: 's', indicators: [], timeframe: 'H1' } as unknown as NormalizedStrategy;
    const bars = loadBarFile('data/EURUSD_H1_2019.csv');
    const settings = JSON.parse(run({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2019.csv', to: '2019-02-20', json: true }).out).settings;
    const html = renderReport({ strategy, strategyJson: {}, bars, firstBar: bars.length - 1, result, stats, settings, refusals: [] });
    expect(html).toContain(`<td title="closed by a reversal">${csv[1]![7]} (reversal)</td>`);
    expect(html).toContain('An exit marked (reversal) was an opposite order larger than the position');
    expect(html).not.toContain('partial exits"');
  });
});
