import { useState } from 'preact/hooks';
import { forAccount } from '../api.js';
import { PaperBadge, VirtualTable } from '../components.js';
import { money, serverTime, pnlClass } from '../format.js';
import { useResource } from '../hooks.js';
import type { StrategyRow, Trade } from '../../host/dashboard/schemas.js';

export function HistoryPage() {
  const [f, setF] = useState({ strategy: '', symbol: '', from: '', to: '' });
  const q = new URLSearchParams(Object.entries(f).filter(([, v]) => v) as [string, string][]).toString();
  const { data, error } = useResource<{ trades: Trade[]; total: number }>(`/history/trades${q ? '?' + q : ''}`, ['fill']);
  const { data: strategies } = useResource<{ strategies: StrategyRow[] }>('/strategies-overview', ['changed']);
  const trades = [...(data?.trades ?? [])].reverse();
  const net = trades.reduce((s, t) => s + t.net, 0);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const symbols = [...new Set((data?.trades ?? []).map((t) => t.symbol))];
  return (
    <div class="page history">
      <div class="toolbar" data-testid="history-filters">
        <select value={f.strategy} onChange={set('strategy')} aria-label="strategy">
          <option value="">all strategies</option>
          {(strategies?.strategies ?? []).map((s) => <option value={s.id}>{s.id}</option>)}
        </select>
        <input placeholder="symbol" value={f.symbol} onChange={set('symbol')} list="symbols" aria-label="symbol" />
        <datalist id="symbols">{symbols.map((s) => <option value={s} />)}</datalist>
        <label>from <input type="date" value={f.from} onChange={set('from')} /></label>
        <label>to <input type="date" value={f.to} onChange={set('to')} /></label>
        <a class="button" data-testid="csv" href={forAccount(`/history/trades?${q ? q + '&' : ''}format=csv`)} download>Export CSV</a>
        <span class="muted">{trades.length} trade(s) of {data?.total ?? 0} · net <b class={pnlClass(net)}>{money(net)}</b></span>
      </div>
      {error && <p class="error">{error}</p>}
      <VirtualTable testId="history-table" rows={trades} rowKey={(t) => `${t.positionId}-${t.closeTime}-${t.volume}`} height={560}
        columns={[
          { title: 'Closed', width: '140px', cell: (t) => serverTime(t.closeTime) },
          { title: 'Strategy', width: '1.5fr', cell: (t) => <>{t.strategyId ?? <span class="muted">manual</span>}{t.paper && <PaperBadge testId="paper-trade" />}</> },
          { title: 'Symbol', width: '80px', cell: (t) => t.symbol },
          { title: 'Side', width: '50px', cell: (t) => t.side },
          { title: 'Lots', width: '55px', cell: (t) => t.volume },
          { title: 'Open', width: '140px', cell: (t) => `${serverTime(t.openTime).slice(5)} @ ${t.openPrice}` },
          { title: 'Close', width: '85px', cell: (t) => t.closePrice },
          { title: 'Exit', width: '95px', cell: (t) => t.exitReason },
          { title: 'Net', width: '90px', cell: (t) => money(t.net), className: (t) => pnlClass(t.net) },
          { title: 'Position', width: '1fr', cell: (t) => t.positionId },
        ]} />
    </div>
  );
}
