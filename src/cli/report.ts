/**
 * The backtest's self-contained HTML report, laid out like MT5's Strategy Tester report: settings, statistics,
 * a price chart (candles with entries, exits, SL/TP levels and the strategy's indicators: TradingView
 * lightweight-charts, Apache-2.0), equity and drawdown (uPlot, MIT), monthly and yearly returns, exit reasons,
 * refused and rejected orders with their reasons, and every trade (paged). Both chart libraries are inlined from
 * node_modules — no CDN, works offline. Every figure also carries `data-k`/`data-v` (key and raw value) so a
 * test can hold it against `--json`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isoServerTime, type BarSeries } from '../engine/bars.js';
import { roundTo } from '../engine/money.js';
import { computeIndicators, parseIndicatorSpec } from '../engine/indicator-spec.js';
import type { ReportStats } from '../engine/report-stats.js';
import { rejectionKind, reportStats } from '../engine/report-stats.js';
import type { NormalizedStrategy } from '../engine/strategy/normalize.js';
import type { BacktestResult } from '../sim/backtest.js';
import { exitNotes } from '../sim/trades.js';

const require = createRequire(import.meta.url);
/** A file of an installed package (found by its package.json: lightweight-charts does not export its dist files). */
const asset = (pkg: string, rel: string) => readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), rel), 'utf8');

export interface ReportSettings {
  dataFile: string;
  symbol: string;
  timeframe: string;
  digits: number;
  from: string;
  to: string;
  balance: number;
  currency: string;
  leverage: number;
  accountMode: string;
  spread: string;
  slippage: string;
  commission: string;
  swap: string;
  limits: string;
  overrides: string;
  timeZone: string;
}

export interface ReportInput {
  strategy: NormalizedStrategy;
  strategyJson: unknown;
  bars: BarSeries;
  /** The first bar traded (--from); the bars before it only warmed the indicators up. Default 0. */
  firstBar?: number;
  result: BacktestResult;
  stats: ReportStats;
  settings: ReportSettings;
  refusals: { time: number; reason: string }[];
  /** SL and TP each entry was sent with, by the entry deal's comment. */
  levels?: Map<string, { sl: number; tp: number }>;
}

/** Candles shown at most (the last ones): a million bars would make a 60 MB page. */
export const MAX_CANDLES = 100_000;
/** Indicators drawn over the candles; the others go in a pane below. */
const OVERLAYS = new Set(['sma', 'ema', 'smma', 'lwma', 'bb', 'ichimoku', 'vwap', 'sar']);

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const money = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (x: number) => `${x.toFixed(2)} %`;
/** A figure: shown text, with its key and raw value for tests. */
const fig = (k: string, v: number | null, shown: string) => `<td data-k="${k}" data-v="${v === null ? 'null' : v}">${esc(shown)}</td>`;

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

/**
 * The report. The older form `renderReport(title, result)` (the demo) gives the same page without the price
 * chart and with the settings it cannot know left out.
 */
export function renderReport(input: ReportInput | string, legacy?: BacktestResult): string {
  const r = typeof input === 'string' ? titleOnly(input, legacy!) : input;
  const { result: res, stats: s, settings: st, bars } = r;
  const levels = levelsByPosition(r);
  const m = res.metrics;
  const d = st.digits;
  const title = typeof input === 'string' ? input : `${r.strategy.name} — ${st.symbol} ${st.timeframe}, ${st.from} to ${st.to}`;

  const settingsRows: [string, string][] = [
    ['Strategy', `${r.strategy.name} (${r.strategy.id})`], ['Data file', st.dataFile], ['Symbol', `${st.symbol} (${d} digits)`], ['Timeframe', st.timeframe],
    ['Period', `${st.from} – ${st.to} (${res.bars.toLocaleString('en-US')} bars)`], ['Times', st.timeZone], ['Initial deposit', `${money(st.balance)} ${st.currency}`],
    ['Leverage', `1:${st.leverage}`], ['Account mode', st.accountMode], ['Spread', st.spread], ['Slippage', st.slippage], ['Commission', st.commission],
    ['Swap', st.swap], ['Pre-trade limits', st.limits], ['Overrides', st.overrides],
  ];
  const settings = section('settings', 'Settings', `<table>${settingsRows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
<details><summary>Strategy JSON</summary><pre id="strategy-json">${esc(JSON.stringify(r.strategyJson, null, 2))}</pre></details>`);

  const statRows: [string, string][] = [
    ['Total net profit', fig('netProfit', m.netProfit, money(m.netProfit))], ['Gross profit', fig('grossProfit', s.grossProfit, money(s.grossProfit))],
    ['Gross loss', fig('grossLoss', s.grossLoss, money(-s.grossLoss))], ['Profit factor', fig('profitFactor', m.profitFactor, m.profitFactor === null ? '∞' : m.profitFactor.toFixed(2))],
    ['Expected payoff', fig('expectancy', m.expectancy, money(m.expectancy))], ['Recovery factor', fig('recoveryFactor', s.recoveryFactor, s.recoveryFactor === null ? '—' : s.recoveryFactor.toFixed(2))],
    ['Sharpe ratio (daily, annualised)', fig('sharpe', m.sharpe, m.sharpe === null ? '—' : m.sharpe.toFixed(2))], ['Sortino ratio', fig('sortino', m.sortino, m.sortino === null ? '—' : m.sortino.toFixed(2))],
    ['CAGR', fig('cagr', s.cagr, pct(s.cagr))], ['Calmar ratio', fig('calmar', s.calmar, s.calmar === null ? '—' : s.calmar.toFixed(2))],
    ['Maximal drawdown (equity)', fig('maxDrawdown', m.maxDrawdown, `${money(m.maxDrawdown)} (${pct(m.maxDrawdownPct)})`)], ['Final balance', fig('finalBalance', m.finalBalance, money(m.finalBalance))],
    ['Total trades', fig('trades', m.trades, String(m.trades))], ['Profit trades (% of total)', fig('wins', m.wins, `${m.wins} (${pct(m.winRate)})`)],
    ['Loss trades', fig('losses', m.losses, String(m.losses))],
    ['Long trades (won %)', fig('long.trades', s.long.trades, `${s.long.trades} (${pct(s.long.winRate)}), net ${money(s.long.netProfit)}`)],
    ['Short trades (won %)', fig('short.trades', s.short.trades, `${s.short.trades} (${pct(s.short.winRate)}), net ${money(s.short.netProfit)}`)],
    ['Largest profit trade', fig('largestWin', s.largestWin, money(s.largestWin))], ['Largest loss trade', fig('largestLoss', s.largestLoss, money(s.largestLoss))],
    ['Average profit trade', fig('averageWin', s.averageWin, money(s.averageWin))], ['Average loss trade', fig('averageLoss', s.averageLoss, money(s.averageLoss))],
    ['Maximum consecutive wins (profit)', fig('maxConsecutiveWins', s.maxConsecutiveWins, `${s.maxConsecutiveWins} (${money(s.maxConsecutiveWinsProfit)})`)],
    ['Maximum consecutive losses (loss)', fig('maxConsecutiveLosses', s.maxConsecutiveLosses, `${s.maxConsecutiveLosses} (${money(s.maxConsecutiveLossesLoss)})`)],
    ['Exposure (bars with a position)', fig('exposure', s.exposure, pct(s.exposure))], ['Average holding time', fig('avgHoldingHours', m.avgHoldingHours, `${m.avgHoldingHours.toFixed(1)} h`)],
  ];
  const statistics = section('statistics', 'Statistics', `<table class="stats">${statRows.map(([k, v]) => `<tr><td>${esc(k)}</td>${v}</tr>`).join('')}</table>`);

  const exits = section('exit-reasons', 'Exit reasons', `<table>${Object.entries(s.exitReasons).map(([k, v]) => `<tr><td>${esc(k)}</td>${fig(`exit.${k}`, v, String(v))}</tr>`).join('')}</table>`);

  const periodTable = (id: string, rows: ReportStats['monthly']) =>
    `<table id="${id}"><tr><th>period</th><th>return</th><th>profit</th></tr>${rows.map((p) => `<tr><td>${p.period}</td>${fig(`${id}.${p.period}`, p.returnPct, pct(p.returnPct)).replace('<td', `<td class="${p.returnPct >= 0 ? 'w' : 'l'}"`)}<td>${money(p.profit)}</td></tr>`).join('')}</table>`;
  const returns = section('returns', 'Monthly and yearly returns', `<div class="cols"><div><h3>Monthly</h3>${periodTable('monthly', s.monthly)}</div><div><h3>Yearly</h3>${periodTable('yearly', s.yearly)}</div></div>`);

  const reasonTable = (id: string, rows: { reason: string; count: number }[]) =>
    rows.length ? `<table id="${id}"><tr><th>reason</th><th>count</th></tr>${rows.map((x) => `<tr><td>${esc(x.reason)}</td>${fig(`${id}.count`, x.count, String(x.count))}</tr>`).join('')}</table>` : `<p id="${id}">none</p>`;
  const detailRows = [
    ...res.rejected.map((x) => ({ time: x.time, what: 'rejected', reason: `${rejectionKind(x.retcode)}${x.comment ? ` (${x.comment})` : ''}` })),
    ...r.refusals.map((x) => ({ time: x.time, what: 'refused', reason: x.reason })),
  ].sort((a, b) => a.time - b.time);
  const refusals = section('refusals', 'Refused and rejected orders', `
<p>Rejected by the broker: <b data-k="rejections.total" data-v="${res.rejected.length}">${res.rejected.length}</b>; refused by the strategy (a signal that did not become an order):
<b data-k="refusals.total" data-v="${res.refused}">${res.refused}</b>; not sent (not enough free margin, the market closed, the strategy's own limits — its riskManagement — or the pre-trade limits of --limits ${esc(st.limits)}): <b data-k="blocked.total" data-v="${s.blockedByReason.reduce((a, x) => a + x.count, 0)}">${s.blockedByReason.reduce((a, x) => a + x.count, 0)}</b>.</p>
<div class="cols"><div><h3>Rejected, by retcode</h3>${reasonTable('rejected-by-reason', s.rejectedByReason)}</div>
<div><h3>Refused, by reason</h3>${reasonTable('refused-by-reason', s.refusedByReason)}</div>
<div><h3>Not sent, by reason (FREE_MARGIN: the broker's margin)</h3>${reasonTable('blocked-by-reason', s.blockedByReason)}</div></div>
<table id="refusal-list" class="paged"><thead><tr><th>time</th><th>what</th><th>reason</th></tr></thead><tbody>${detailRows.map((x) => `<tr><td>${isoServerTime(x.time)}</td><td>${x.what}</td><td>${esc(x.reason)}</td></tr>`).join('')}</tbody></table>`);

  const notes = typeof input === 'string' ? [] : tradeExitNotes(res);
  const reversals = notes.some((x) => x.includes('reversal'))
    ? ' An exit marked (reversal) was an opposite order larger than the position (netting account): it closed the trade and opened the next one the other way, under the same position id.'
    : '';
  const trades = section('trades', `Trades (${res.trades.length})`, `<p>Prices at ${d} digits; times are ${esc(st.timeZone)}. An exit marked (avg) closed in parts: its price is the volume-weighted average of the partial exits.${reversals}</p>
<table id="trade-list" class="paged"><thead><tr><th>#</th><th>open</th><th>close</th><th>side</th><th>lots</th><th>entry</th><th>SL</th><th>TP</th><th>exit</th><th>exit by</th><th>commission</th><th>swap</th><th>result</th></tr></thead><tbody>
${res.trades.map((t, i) => {
    const lv = levels.get(t.id);
    const note = notes[i] ?? '';
    return `<tr><td>${i + 1}</td><td>${isoServerTime(t.openTime)}</td><td>${isoServerTime(t.closeTime)}</td><td>${t.side}</td><td>${t.volume}</td><td>${t.entryPrice.toFixed(d)}</td><td>${lv?.sl ? lv.sl.toFixed(d) : '—'}</td><td>${lv?.tp ? lv.tp.toFixed(d) : '—'}</td><td${note ? ` title="${note}"` : ''}>${t.exitPrice.toFixed(d)}${note ? (note.startsWith('average of') ? ' (avg)' : ' (reversal)') : ''}</td><td>${t.exitReason}</td><td>${money(t.commission)}</td><td>${money(t.swap)}</td><td class="${t.profit >= 0 ? 'w' : 'l'}">${money(t.profit)}</td></tr>`;
  }).join('\n')}</tbody></table>`);

  // chart data
  const from = r.firstBar ?? 0;
  const first = Math.max(from, bars.length - MAX_CANDLES);
  const candles: number[][] = [];
  for (let i = first; i < bars.length; i++) candles.push([bars.time[i]!, bars.open[i]!, bars.high[i]!, bars.low[i]!, bars.close[i]!]);
  const specs = r.strategy.indicators.filter((x) => x.timeframe === r.strategy.timeframe).map((x) => x.spec);
  const lines: { key: string; overlay: boolean; data: (number | null)[] }[] = [];
  if (specs.length) {
    const parsed = specs.map(parseIndicatorSpec);
    const { keys, columns } = computeIndicators(bars, parsed);
    keys.forEach((k, c) => {
      const col = columns[c]!;
      const data: (number | null)[] = [];
      for (let i = first; i < bars.length; i++) data.push(Number.isNaN(col[i]!) ? null : +col[i]!.toFixed(d + 2));
      lines.push({ key: k, overlay: OVERLAYS.has(k.split(':')[0]!), data });
    });
  }
  const t0 = bars.time[first] ?? 0;
  const shown = res.trades.filter((t) => t.closeTime >= t0);
  const tradeMarks = shown.map((t) => {
    const lv = levels.get(t.id);
    return [t.openTime, t.closeTime, t.side === 'BUY' ? 1 : 0, t.entryPrice, t.exitPrice, lv?.sl ?? 0, lv?.tp ?? 0, t.profit >= 0 ? 1 : 0, t.exitReason];
  });
  const eq = res.equity;
  let peak = res.initialBalance;
  const ddSeries: number[] = [];
  for (let i = 0; i < eq.length; i++) {
    peak = Math.max(peak, eq.equity[i]!);
    ddSeries.push(peak > 0 ? -Math.round(((peak - eq.equity[i]!) / peak) * 10000) / 100 : 0);
  }
  const data = {
    digits: d, candles, lines, trades: tradeMarks, candlesCut: first > 0 ? first : 0,
    t: Array.from(eq.time.subarray(0, eq.length)), eq: Array.from(eq.equity.subarray(0, eq.length)), bal: Array.from(eq.balance.subarray(0, eq.length)), dd: ddSeries,
  };
  const chart = section('chart', `Price chart — ${st.symbol} ${st.timeframe}`, `${first > from ? `<p>The last ${MAX_CANDLES.toLocaleString('en-US')} of ${(bars.length - from).toLocaleString('en-US')} bars.</p>` : ''}
<p class="legend">▲ buy entry, ▼ sell entry, ● exit (green a win, red a loss); dashed lines: each trade's SL (red) and TP (green); ${lines.map((l) => esc(l.key)).join(', ') || 'no indicators'}.</p><div id="price"></div>`);
  const equity = section('equity', 'Equity and drawdown', '<div id="equity-chart"></div><div id="dd-chart"></div>');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${asset('uplot', 'dist/uPlot.min.css')}
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1280px}h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}
.stats td:first-child{min-width:260px}.w{color:#1a7f37}.l{color:#c62828}.cols{display:flex;gap:32px;flex-wrap:wrap}#price{height:460px}
.pager{margin:6px 0}.pager button{margin-right:6px}pre{max-height:360px;overflow:auto;background:#f6f6f6;padding:8px}.legend{color:#555}</style></head>
<body><h1>${esc(title)}</h1>
${settings}
${statistics}
${chart}
${equity}
${returns}
${exits}
${refusals}
${trades}
<script>${asset('lightweight-charts', 'dist/lightweight-charts.standalone.production.js')}</script>
<script>${asset('uplot', 'dist/uPlot.iife.min.js')}</script>
<script>
const D = ${JSON.stringify(data).replace(/</g, '\\u003c')};
${CLIENT}
</script></body></html>
`;
}

function titleOnly(title: string, result: BacktestResult): ReportInput {
  const bars: BarSeries = { time: new Float64Array(0), open: new Float64Array(0), high: new Float64Array(0), low: new Float64Array(0), close: new Float64Array(0), tickVolume: new Float64Array(0), spread: new Float64Array(0), realVolume: new Float64Array(0), timeText: [], length: 0, periodSec: 0, layout: 'columns' };
  const symbol = result.trades[0]?.symbol ?? '—';
  const digits = Math.max(0, ...result.trades.map((t) => (String(t.entryPrice).split('.')[1] ?? '').length));
  const settings: ReportSettings = {
    dataFile: '—', symbol, timeframe: '', digits, from: '', to: '', balance: result.initialBalance, currency: 'USD', leverage: 100, accountMode: 'hedging',
    spread: '—', slippage: '—', commission: '—', swap: '—', limits: '—', overrides: 'none', timeZone: 'broker server time (no zone shift)',
  };
  const strategy = { id: title, name: title, indicators: [], timeframe: '' } as unknown as NormalizedStrategy;
  const stats = reportStats({ trades: result.trades, equity: result.equity, initialBalance: result.initialBalance, metrics: result.metrics, rejected: result.rejected, refusals: [], blocked: result.blocked });
  return { strategy, strategyJson: null, bars, result, stats, settings, refusals: [] };
}

/** The SL/TP each trade's entry was sent with, by position id (found by the opening deal's comment). */
function levelsByPosition(r: ReportInput): Map<string, { sl: number; tp: number }> {
  const out = new Map<string, { sl: number; tp: number }>();
  if (!r.levels?.size) return out;
  for (const x of r.result.deals) {
    if (x.entry !== 0) continue;
    const lv = r.levels.get(x.comment);
    if (lv && !out.has(x.positionId.toString())) out.set(x.positionId.toString(), lv);
  }
  return out;
}

/** The page's script: the price chart (lightweight-charts), equity and drawdown (uPlot), table paging. */
const CLIENT = String.raw`
const W = Math.min(1240, window.innerWidth - 48);
const LW = LightweightCharts;
const fmt = { type: 'price', precision: D.digits, minMove: Math.pow(10, -D.digits) };
if (D.candles.length) drawPrice();
function drawPrice() {
const chart = LW.createChart(document.getElementById('price'), { width: W, height: 460, timeScale: { timeVisible: true, secondsVisible: false }, localization: { timeFormatter: (t) => new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ') } });
const candles = chart.addSeries(LW.CandlestickSeries, { priceFormat: fmt, upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350' });
candles.setData(D.candles.map((c) => ({ time: c[0], open: c[1], high: c[2], low: c[3], close: c[4] })));
const COLORS = ['#1565c0', '#ef6c00', '#6a1b9a', '#2e7d32', '#ad1457', '#00838f', '#5d4037'];
D.lines.forEach((l, k) => {
  const s = chart.addSeries(LW.LineSeries, { color: COLORS[k % COLORS.length], lineWidth: 1, title: l.key, priceLineVisible: false, lastValueVisible: false, ...(l.overlay ? { priceFormat: fmt } : {}) }, l.overlay ? 0 : 1);
  s.setData(D.candles.map((c, i) => (l.data[i] === null ? { time: c[0] } : { time: c[0], value: l.data[i] })));
});
const marks = [], slPts = [], tpPts = [];
for (const [o, c, buy, entry, exit, sl, tp, win, why] of D.trades) {
  if (o >= D.candles[0][0]) marks.push({ time: snap(o), position: buy ? 'belowBar' : 'aboveBar', color: buy ? '#1a7f37' : '#c62828', shape: buy ? 'arrowUp' : 'arrowDown', text: (buy ? 'buy ' : 'sell ') + entry.toFixed(D.digits) });
  marks.push({ time: snap(c), position: 'inBar', color: win ? '#1a7f37' : '#c62828', shape: 'circle', text: why + ' ' + exit.toFixed(D.digits) });
  level(slPts, sl, o, c);
  level(tpPts, tp, o, c);
}
// each trade's SL and TP as a dashed segment from its entry bar to its exit bar: one series each, broken between trades
function level(pts, lv, o, c) {
  if (!lv) return;
  const a = snap(o), b = snap(c), last = pts.length ? pts[pts.length - 1].time : -Infinity;
  if (a <= last) return;
  pts.push({ time: a, value: lv });
  if (b > a) pts.push({ time: b, value: lv });
  const next = D.candles.findIndex((k) => k[0] > b);
  if (next >= 0) pts.push({ time: D.candles[next][0] });
}
for (const [pts, col, name] of [[slPts, '#c62828', 'SL'], [tpPts, '#1a7f37', 'TP']]) {
  if (!pts.length) continue;
  const s = chart.addSeries(LW.LineSeries, { color: col, lineWidth: 1, lineStyle: 2, title: name, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false, pointMarkersVisible: false, priceFormat: fmt });
  s.setData(pts);
}
marks.sort((a, b) => a.time - b.time);
LW.createSeriesMarkers(candles, marks);
// a deal's time snapped to the open of its bar (markers sit on bars)
function snap(t) { let lo = 0, hi = D.candles.length - 1; while (lo < hi) { const m = (lo + hi + 1) >> 1; if (D.candles[m][0] <= t) lo = m; else hi = m - 1; } return D.candles[lo][0]; }
if (D.candles.length > 500) chart.timeScale().setVisibleLogicalRange({ from: D.candles.length - 500, to: D.candles.length });
}
new uPlot({ title: 'Equity and balance', width: W, height: 300, axes: [{}, { size: 80 }], series: [{}, { label: 'equity', stroke: '#1565c0' }, { label: 'balance', stroke: '#999' }] }, [D.t, D.eq, D.bal], document.getElementById('equity-chart'));
new uPlot({ title: 'Drawdown from the equity peak, %', width: W, height: 180, axes: [{}, { size: 80 }], series: [{}, { label: 'drawdown %', stroke: '#c62828', fill: 'rgba(198,40,40,.12)' }] }, [D.t, D.dd], document.getElementById('dd-chart'));
// paging: 50 rows a page
for (const table of document.querySelectorAll('table.paged')) {
  const rows = [...table.tBodies[0].rows], size = 50, pages = Math.max(1, Math.ceil(rows.length / size));
  if (pages === 1) continue;
  const nav = document.createElement('div'); nav.className = 'pager';
  const label = document.createElement('span');
  const show = (p) => { rows.forEach((r, i) => (r.style.display = i >= p * size && i < (p + 1) * size ? '' : 'none')); label.textContent = 'page ' + (p + 1) + ' of ' + pages + ' (' + rows.length + ' rows) '; page = p; };
  let page = 0;
  for (const [txt, f] of [['« first', () => 0], ['‹ previous', () => Math.max(0, page - 1)], ['next ›', () => Math.min(pages - 1, page + 1)], ['last »', () => pages - 1]]) {
    const b = document.createElement('button'); b.textContent = txt; b.onclick = () => show(f()); nav.appendChild(b);
  }
  nav.prepend(label);
  table.before(nav);
  show(0);
}
`;

/**
 * Each trade's exit note, by its index in `r.trades` (sim/trades.ts exitNoteOf: "average of 2 partial exits",
 * "closed by a reversal"; '' for most). Notes of trades built from the same deals: none if the lists disagree.
 */
function tradeExitNotes(r: BacktestResult): string[] {
  const notes = exitNotes(r.deals);
  return notes.length === r.trades.length ? notes : [];
}

/**
 * The trades as CSV: prices at the symbol's `digits` (an exit in parts is the volume-weighted average of its exits,
 * rounded, and `exit_note` says so; a netting reversal's exit says "closed by a reversal"). Money as MT5 and the
 * dashboard's CSV give it: `profit` the price's (the closing deals' profit), `commission` and `swap` apart, and `net`
 * the three together — the trade's result, which the figures add up.
 */
export function tradesCsv(r: BacktestResult, digits: number): string {
  const head = 'id,symbol,side,volume,open_time,close_time,entry_price,exit_price,exit_reason,commission,swap,profit,net,exit_note';
  const notes = tradeExitNotes(r);
  return [head, ...r.trades.map((t, i) => [t.id, t.symbol, t.side, t.volume, isoServerTime(t.openTime), isoServerTime(t.closeTime), t.entryPrice.toFixed(digits), t.exitPrice.toFixed(digits), t.exitReason, t.commission, t.swap, roundTo(t.profit - t.commission - t.swap, 2), t.profit, notes[i] ?? ''].join(','))].join('\n') + '\n';
}

