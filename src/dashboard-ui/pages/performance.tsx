import { useMemo } from 'preact/hooks';
import { Chart, PaperBadge, VirtualTable, type SeriesSpec } from '../components.js';
import { money, num, pnlClass } from '../format.js';
import { useResource } from '../hooks.js';
import type { Performance } from '../../host/dashboard/schemas.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function PerformancePage() {
  const { data: p, error } = useResource<Performance>('/performance', ['fill']);
  const curves = useMemo<SeriesSpec[]>(() => (p ? [
    { kind: 'area', color: '#3b82f6', points: p.balance.map((b) => ({ time: b.time, value: b.balance })) },
    ...(p.equity.length ? [{ kind: 'line' as const, color: '#f59e0b', points: p.equity.map((e) => ({ time: e.time, value: e.equity })) }] : []),
  ] : []), [p]);
  const dd = useMemo<SeriesSpec[]>(() => (p ? [{ kind: 'area', color: '#ef4444', points: p.balance.map((b) => ({ time: b.time, value: -b.drawdownPct })) }] : []), [p]);
  if (error) return <p class="error">{error}</p>;
  if (!p) return <p>loading…</p>;
  const years = [...new Set(p.monthly.map((m) => m.month.slice(0, 4)))];
  return (
    <div class="page performance">
      <div class="cards">
        <div class="card"><h3>Closed trades</h3><p class="big" data-testid="total-trades">{p.totals.trades}</p></div>
        <div class="card"><h3>Net</h3><p class={`big ${pnlClass(p.totals.net)}`}>{money(p.totals.net, p.currency ?? '')}</p></div>
        <div class="card"><h3>Max drawdown</h3><p class="big neg">{num(p.totals.maxDrawdownPct)} %</p></div>
        <div class="card"><h3>Start balance</h3><p class="big">{money(p.startBalance)}</p></div>
      </div>
      <div class="card"><h3>Balance after each closed trade <span class="legend blue">balance</span>{p.equity.length > 0 && <span class="legend amber">equity (sampled)</span>}</h3><Chart series={curves} testId="equity-chart" /></div>
      <div class="card"><h3>Drawdown from the balance peak, %</h3><Chart series={dd} height={160} testId="drawdown-chart" /></div>
      <div class="card">
        <h3>Per strategy</h3>
        <VirtualTable testId="per-strategy" rows={p.strategies} rowKey={(s) => `${s.strategyId}${s.paper ? ' paper' : ''}`} height={240}
          columns={[
            { title: 'Strategy', width: '2fr', cell: (s) => <>{s.strategyId}{s.paper && <PaperBadge testId="paper-figures" />}</> },
            { title: 'Trades', width: '70px', cell: (s) => s.trades },
            { title: 'Win %', width: '70px', cell: (s) => num(s.winRatePct, 1) },
            { title: 'Net', width: '100px', cell: (s) => money(s.net), className: (s) => pnlClass(s.net) },
            { title: 'PF', width: '60px', cell: (s) => (s.profitFactor === null ? '∞' : num(s.profitFactor)) },
            { title: 'Avg trade', width: '90px', cell: (s) => money(s.averageTrade) },
            { title: 'Max DD', width: '90px', cell: (s) => money(s.maxDrawdown) },
          ]} />
      </div>
      <div class="card">
        <h3>Monthly returns, % of the month's starting balance</h3>
        <table class="monthly" data-testid="monthly">
          <thead><tr><th />{MONTHS.map((m) => <th>{m}</th>)}</tr></thead>
          <tbody>
            {years.map((y) => (
              <tr><th>{y}</th>{MONTHS.map((_, i) => {
                const m = p.monthly.find((x) => x.month === `${y}-${String(i + 1).padStart(2, '0')}`);
                return <td class={m ? pnlClass(m.returnPct) : ''} title={m ? money(m.net) : ''}>{m ? num(m.returnPct) : ''}</td>;
              })}</tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">Charts: TradingView Lightweight Charts™ — <a href="https://www.tradingview.com/" rel="noopener noreferrer" target="_blank">tradingview.com</a></p>
    </div>
  );
}
