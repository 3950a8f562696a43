import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Outcome } from '../components.js';
import { clock } from '../format.js';
import { describeOutcome } from '../outcome.js';
import { useResource } from '../hooks.js';
import type { DecisionEntry } from '../../host/dashboard/schemas.js';

interface Pending { intentId: string; strategyId: string; symbol: string; side: string; volume: number; sl: number; tp: number; reason: string; risks: string[]; expiresAt: number }

export function DecisionsPage() {
  const [kind, setKind] = useState('');
  const [strategy, setStrategy] = useState('');
  const { data } = useResource<{ decisions: DecisionEntry[] }>(`/decisions?limit=500${strategy ? `&strategy=${encodeURIComponent(strategy)}` : ''}`, ['decision', 'confirmation']);
  const { data: pending, reload } = useResource<Pending[]>('/confirmations', ['confirmation', 'decision', 'changed']);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const answer = async (id: string, yes: boolean) => {
    try {
      setOutcome(describeOutcome(await api(yes ? 'POST' : 'DELETE', `/confirmations/${encodeURIComponent(id)}`)));
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    }
    reload();
  };
  const list = (data?.decisions ?? []).filter((d) => !kind || d.kind === kind);
  return (
    <div class="page decisions">
      <div class="card" data-testid="confirmations">
        <h3>Waiting for your confirmation <span class="muted">{pending?.length ?? 0}</span></h3>
        {(pending ?? []).length === 0 && <p class="muted">No entry waits for you.</p>}
        {(pending ?? []).map((p) => (
          <div class="pending">
            <b>{p.side} {p.volume} {p.symbol}</b> <span class="muted">{p.strategyId} · SL {p.sl || '–'} · TP {p.tp || '–'} · expires {new Date(p.expiresAt * 1000).toISOString().slice(11, 19)}</span>
            <p>{p.reason}{p.risks.length ? ` — risks: ${p.risks.join(', ')}` : ''}</p>
            <button class="primary" onClick={() => answer(p.intentId, true)}>Approve</button> <button class="danger" onClick={() => answer(p.intentId, false)}>Deny</button>
          </div>
        ))}
        <Outcome value={outcome} />
      </div>
      <div class="toolbar">
        <select value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value)} aria-label="kind">
          <option value="">every kind</option><option value="decision">signals</option><option value="ml">ML gate</option><option value="supervisor">supervisor</option><option value="blocked">blocked</option><option value="confirmation">confirmations</option>
        </select>
        <input placeholder="strategy id" value={strategy} onChange={(e) => setStrategy((e.currentTarget as HTMLInputElement).value)} />
        <span class="muted">{list.length} shown (newest first)</span>
      </div>
      <div class="decision-list" data-testid="decision-list">
        {list.map((d, i) => (
          <div class={`decision ${d.kind}`} onClick={() => setOpen(open === i ? null : i)}>
            <span class="muted">{clock(d.at)}</span> <span class="tag">{d.kind}</span> <b>{d.strategyId}</b> {d.summary}
            {open === i && (
              <>
                {d.trace.length > 0 && <pre class="trace">{d.trace.join('\n')}</pre>}
                <pre class="detail">{JSON.stringify(d.detail, null, 2)}</pre>
              </>
            )}
          </div>
        ))}
      </div>
    </div>
  );
}
