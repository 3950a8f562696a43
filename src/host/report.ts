/**
 * The backtest's self-contained HTML report: metrics, equity and drawdown curves with trade markers, and the
 * trade list. The chart library (uPlot, MIT) is inlined from node_modules — no CDN, works offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isoServerTime } from '../engine/bars.js';
import type { BacktestResult } from '../sim/backtest.js';

const require = createRequire(import.meta.url);

function asset(rel: string): string {
  return readFileSync(require.resolve(`uplot/dist/${rel}`), 'utf8');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function renderReport(title: string, r: BacktestResult): string {
  const c = r.equity;
  const eqT = Array.from(c.time.subarray(0, c.length));
  const eq = Array.from(c.equity.subarray(0, c.length));
  const bal = Array.from(c.balance.subarray(0, c.length));
  let peak = r.initialBalance;
  const dd = eq.map((e) => {
    peak = Math.max(peak, e);
    return peak > 0 ? -Math.round(((peak - e) / peak) * 10000) / 100 : 0;
  });
  // trade markers: entries and exits on the equity chart's time axis
  const markers = r.trades.map((t) => ({ o: t.openTime, c: t.closeTime, s: t.side, p: t.profit }));
  const m = r.metrics;
  const rows: [string, string][] = [
    ['Trades', `${m.trades} (${m.wins} won, ${m.losses} lost)`],
    ['Win rate', `${m.winRate.toFixed(2)} %`],
    ['Net profit', m.netProfit.toFixed(2)],
    ['Profit factor', m.profitFactor === null ? '∞' : m.profitFactor.toFixed(2)],
    ['Expectancy per trade', m.expectancy.toFixed(2)],
    ['Max drawdown', `${m.maxDrawdown.toFixed(2)} (${m.maxDrawdownPct.toFixed(2)} %)`],
    ['Sharpe / Sortino (daily, annualised)', `${m.sharpe ?? '—'} / ${m.sortino ?? '—'}`],
    ['Exposure', `${m.exposure.toFixed(2)} % of bars`],
    ['Average holding time', `${m.avgHoldingHours.toFixed(1)} h`],
    ['Longest losing streak', String(m.longestLosingStreak)],
    ['Final balance', `${m.finalBalance.toFixed(2)} (from ${r.initialBalance.toFixed(2)})`],
  ];
  const tradeRows = r.trades
    .slice(-1000)
    .map((t) => `<tr><td>${isoServerTime(t.openTime)}</td><td>${isoServerTime(t.closeTime)}</td><td>${t.side}</td><td>${t.volume}</td><td>${t.entryPrice}</td><td>${t.exitPrice}</td><td>${t.exitReason}</td><td class="${t.profit >= 0 ? 'w' : 'l'}">${t.profit.toFixed(2)}</td></tr>`)
    .join('\n');
  const data = JSON.stringify({ t: eqT, eq, bal, dd, markers });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${asset('uPlot.min.css')}
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}
td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}
.w{color:#1a7f37}.l{color:#c62828}.charts>div{margin:8px 0}</style></head>
<body><h1>${esc(title)}</h1>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
<div class="charts"><div id="equity"></div><div id="dd"></div></div>
<h2>Trades${r.trades.length > 1000 ? ' (last 1,000)' : ''}</h2>
<table><tr><th>open</th><th>close</th><th>side</th><th>lots</th><th>entry</th><th>exit</th><th>exit by</th><th>result</th></tr>
${tradeRows}</table>
<script>${asset('uPlot.iife.min.js')}</script>
<script>
const D = ${data};
const W = Math.min(1200, window.innerWidth - 48);
const idx = (t) => { let lo = 0, hi = D.t.length - 1; while (lo < hi) { const m = (lo + hi) >> 1; if (D.t[m] < t) lo = m + 1; else hi = m; } return lo; };
const marks = (u) => {
  const ctx = u.ctx;
  for (const k of D.markers) {
    for (const [t, open] of [[k.o, true], [k.c, false]]) {
      const i = idx(t); const x = u.valToPos(D.t[i], 'x', true); const y = u.valToPos(D.eq[i], 'y', true);
      ctx.fillStyle = open ? (k.s === 'BUY' ? '#1a7f37' : '#c62828') : (k.p >= 0 ? '#1a7f37' : '#c62828');
      ctx.beginPath(); open ? ctx.arc(x, y, 2.5, 0, 7) : ctx.rect(x - 2, y - 2, 4, 4); ctx.fill();
    }
  }
};
new uPlot({ title: 'Equity and balance (entries ●, exits ■)', width: W, height: 320, axes: [{}, { size: 80 }], series: [{}, { label: 'equity', stroke: '#1565c0' }, { label: 'balance', stroke: '#999' }], hooks: { draw: [marks] } }, [D.t, D.eq, D.bal], document.getElementById('equity'));
new uPlot({ title: 'Drawdown from the equity peak, %', width: W, height: 200, axes: [{}, { size: 80 }], series: [{}, { label: 'drawdown %', stroke: '#c62828', fill: 'rgba(198,40,40,.12)' }] }, [D.t, D.dd], document.getElementById('dd'));
</script></body></html>
`;
}

export function tradesCsv(r: BacktestResult): string {
  const head = 'id,symbol,side,volume,open_time,close_time,entry_price,exit_price,exit_reason,commission,swap,profit';
  return [head, ...r.trades.map((t) => [t.id, t.symbol, t.side, t.volume, isoServerTime(t.openTime), isoServerTime(t.closeTime), t.entryPrice, t.exitPrice, t.exitReason, t.commission, t.swap, t.profit].join(','))].join('\n') + '\n';
}
