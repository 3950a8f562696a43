import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { Confirm, Outcome, PaperBadge, VirtualTable } from '../components.js';
import { money, serverTime, pnlClass } from '../format.js';
import { describeOutcome } from '../outcome.js';
import { useResource } from '../hooks.js';

interface Pos { ticket: string; symbol: string; type: number; volume: number; priceOpen: number; priceCurrent: number; sl: number; tp: number; time: number; magic: number; profit: number; swap: number; comment: string; paper?: boolean }
interface Ord { ticket: string; symbol: string; type: number; volume: number; priceOpen: number; sl: number; tp: number; timeSetup: number; magic: number; comment: string; paper?: boolean }
const ORDER_TYPES = ['BUY', 'SELL', 'BUY LIMIT', 'SELL LIMIT', 'BUY STOP', 'SELL STOP', 'BUY STOP LIMIT', 'SELL STOP LIMIT'];

export function PositionsPage() {
  const { data: positions, reload } = useResource<Pos[]>('/positions', ['positions', 'fill', 'changed']);
  const { data: orders } = useResource<{ orders: Ord[] }>('/orders', ['orders', 'fill', 'changed']);
  const [closing, setClosing] = useState<Pos | null>(null);
  const [editing, setEditing] = useState<{ ticket: string; sl: string; tp: string } | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const call = async (method: string, path: string, body: unknown) => {
    try {
      setOutcome(describeOutcome(await api(method, path, body)));
    } catch (e) {
      setOutcome(e instanceof ApiError && e.body && typeof e.body === 'object' ? { ...describeOutcome(e.body), ok: false } : { ok: false, text: (e as Error).message });
    }
    reload();
  };
  const modify = async () => {
    if (!editing) return;
    const sl = Number(editing.sl), tp = Number(editing.tp);
    if (!Number.isFinite(sl) || !Number.isFinite(tp) || sl < 0 || tp < 0) {
      setOutcome({ ok: false, text: 'SL and TP must be prices ≥ 0 (0 removes one)' });
      return;
    }
    const t = editing.ticket;
    setEditing(null);
    await call('PATCH', `/positions/${t}`, { sl, tp });
  };
  const list = positions ?? [];
  return (
    <div class="page positions">
      <h3>Open positions <span class="muted">{list.length}</span></h3>
      <VirtualTable testId="positions-table" rows={list} rowKey={(p) => p.ticket} height={320}
        columns={[
          { title: 'Ticket', width: '1.3fr', cell: (p) => <>{p.ticket}{p.paper && <PaperBadge testId={`paper-position-${p.ticket}`} />}</> },
          { title: 'Symbol', width: '90px', cell: (p) => p.symbol },
          { title: 'Side', width: '60px', cell: (p) => (p.type === 0 ? 'BUY' : 'SELL') },
          { title: 'Lots', width: '60px', cell: (p) => p.volume },
          { title: 'Open', width: '90px', cell: (p) => p.priceOpen },
          { title: 'Now', width: '90px', cell: (p) => p.priceCurrent },
          { title: 'SL', width: '90px', cell: (p) => p.sl || '–' },
          { title: 'TP', width: '90px', cell: (p) => p.tp || '–' },
          { title: 'Profit', width: '90px', cell: (p) => money(p.profit + p.swap), className: (p) => pnlClass(p.profit + p.swap) },
          { title: 'Opened', width: '140px', cell: (p) => serverTime(p.time) },
          { title: 'Magic', width: '100px', cell: (p) => p.magic },
          { title: '', width: '170px', cell: (p) => (
            <span class="buttons">
              <button onClick={() => setEditing({ ticket: p.ticket, sl: String(p.sl), tp: String(p.tp) })}>SL/TP</button>
              <button class="danger" data-testid={`close-${p.ticket}`} onClick={() => setClosing(p)}>Close</button>
            </span>
          ) },
        ]} />
      {editing && (
        <div class="card inline-form" data-testid="modify-form">
          <b>#{editing.ticket}</b>
          <label>SL <input value={editing.sl} onInput={(e) => setEditing({ ...editing, sl: (e.currentTarget as HTMLInputElement).value })} /></label>
          <label>TP <input value={editing.tp} onInput={(e) => setEditing({ ...editing, tp: (e.currentTarget as HTMLInputElement).value })} /></label>
          <button class="primary" onClick={modify}>Modify</button>
          <button onClick={() => setEditing(null)}>Cancel</button>
        </div>
      )}
      <Outcome value={outcome} />
      <h3>Pending orders <span class="muted">{orders?.orders.length ?? 0}</span></h3>
      <VirtualTable testId="orders-table" rows={orders?.orders ?? []} rowKey={(o) => o.ticket} height={200}
        columns={[
          { title: 'Ticket', width: '1.3fr', cell: (o) => <>{o.ticket}{o.paper && <PaperBadge />}</> },
          { title: 'Symbol', width: '90px', cell: (o) => o.symbol },
          { title: 'Type', width: '120px', cell: (o) => ORDER_TYPES[o.type] ?? o.type },
          { title: 'Lots', width: '60px', cell: (o) => o.volume },
          { title: 'Price', width: '90px', cell: (o) => o.priceOpen },
          { title: 'SL', width: '90px', cell: (o) => o.sl || '–' },
          { title: 'TP', width: '90px', cell: (o) => o.tp || '–' },
          { title: 'Placed', width: '140px', cell: (o) => serverTime(o.timeSetup) },
          { title: 'Magic', width: '100px', cell: (o) => o.magic },
        ]} />
      {closing && (
        <Confirm title={`Close #${closing.ticket}`} yes="Close at market" danger onNo={() => setClosing(null)}
          onYes={() => { const t = closing.ticket; setClosing(null); void call('POST', `/positions/${t}/close`, {}); }}>
          <p>{closing.type === 0 ? 'BUY' : 'SELL'} {closing.volume} {closing.symbol}, profit now {money(closing.profit + closing.swap)}.</p>
        </Confirm>
      )}
    </div>
  );
}
