import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Confirm, Outcome, PaperBadge, VirtualTable } from '../components.js';
import { clock, money, pnlClass } from '../format.js';
import { useResource } from '../hooks.js';
import type { StrategyRow, ValidateResult } from '../../host/dashboard/schemas.js';

type Action = { id: string; label: string; method: string; path: string; body?: unknown; danger?: boolean };

function Editor({ existing, onDone }: { existing: StrategyRow | null; onDone: () => void }) {
  const [text, setText] = useState(existing ? JSON.stringify(existing.parameters, null, 2) : '');
  const [problems, setProblems] = useState<ValidateResult['problems'] | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async () => {
    setOutcome(null);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      setProblems([{ path: '(JSON)', message: (e as Error).message }]);
      return;
    }
    try {
      const v = await api<ValidateResult>('POST', '/strategies/validate', body);
      setProblems(v.problems);
      if (!v.ok || !v.id) return;
      const params = body && typeof body === 'object' && 'parameters' in body && !('rules' in body) ? (body as { parameters: unknown }).parameters : body;
      const r = existing && existing.id === v.id ? await api('PUT', `/strategies/${encodeURIComponent(v.id)}`, params) : await api('POST', '/strategies', params);
      setOutcome({ ok: true, text: JSON.stringify(r, null, 2) });
      onDone();
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    }
  };
  const upload = async (f: File | undefined) => { if (f) setText(await f.text()); };
  return (
    <div class="card editor" data-testid="editor">
      <h3>{existing ? `Update ${existing.id}` : 'Add a strategy'} — paste or upload its JSON</h3>
      <textarea data-testid="strategy-json" spellcheck={false} value={text} onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} rows={16} placeholder='{ "id": "…", "symbol": "EURUSD", "timeframe": "H1", … }' />
      <div class="buttons">
        <label class="file">Upload… <input type="file" accept=".json,application/json" onChange={(e) => upload((e.currentTarget as HTMLInputElement).files?.[0])} /></label>
        <button class="primary" data-testid="submit-strategy" onClick={submit}>{existing ? 'Validate and update' : 'Validate and start'}</button>
        <button onClick={onDone}>Close</button>
      </div>
      {problems && problems.length > 0 && (
        <table class="problems" data-testid="problems">
          <thead><tr><th>Path</th><th>Problem</th></tr></thead>
          <tbody>{problems.map((p) => <tr><td><code>{p.path}</code></td><td>{p.message}</td></tr>)}</tbody>
        </table>
      )}
      <Outcome value={outcome} />
    </div>
  );
}

export function StrategiesPage() {
  const { data, error, reload } = useResource<{ strategies: StrategyRow[] }>('/strategies-overview', ['decision', 'fill', 'positions', 'changed', 'kill']);
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<StrategyRow | 'new' | null>(null);
  const [ask, setAsk] = useState<Action | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [filter, setFilter] = useState('');
  if (error) return <p class="error">{error}</p>;
  const rows = (data?.strategies ?? []).filter((s) => !filter || `${s.id} ${s.name} ${s.symbol} ${s.status}`.toLowerCase().includes(filter.toLowerCase()));
  const sel = data?.strategies.find((s) => s.id === selected) ?? null;
  const run = async (a: Action) => {
    setAsk(null);
    try {
      setOutcome({ ok: true, text: JSON.stringify(await api(a.method, a.path, a.body), null, 2) });
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    }
    reload();
  };
  const actions = (s: StrategyRow): Action[] => {
    const p = `/strategies/${encodeURIComponent(s.id)}`;
    return [
      ...(s.status === 'running' ? [{ id: 'pause', label: 'Pause', method: 'POST', path: `${p}/pause` }] : []),
      ...(s.status === 'paused' ? [{ id: 'resume', label: 'Resume', method: 'POST', path: `${p}/resume` }] : []),
      ...(s.status !== 'stopped' ? [
        { id: 'stop', label: 'Stop (keep positions)', method: 'POST', path: `${p}/stop`, body: { closePositions: false } },
        { id: 'stop-close', label: 'Stop and close positions', method: 'POST', path: `${p}/stop`, body: { closePositions: true }, danger: true },
      ] : [{ id: 'start', label: 'Start', method: 'POST', path: '/strategies', body: s.parameters }]),
      { id: 'delete', label: 'Delete', method: 'DELETE', path: `${p}?closePositions=false`, danger: true },
    ];
  };
  return (
    <div class="page strategies">
      <div class="toolbar">
        <input placeholder="filter" value={filter} onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} />
        <span class="muted">{data ? `${rows.length} of ${data.strategies.length}` : 'loading…'}</span>
        <button class="primary" data-testid="add-strategy" onClick={() => setEditing('new')}>Add strategy</button>
      </div>
      {editing && <Editor existing={editing === 'new' ? null : editing} onDone={() => { setEditing(null); reload(); }} />}
      <VirtualTable testId="strategies-table" rows={rows} rowKey={(s) => s.id} selected={selected} onSelect={(s) => setSelected(s.id)} height={360}
        columns={[
          { title: 'Strategy', width: '2fr', cell: (s) => <><b>{s.id}</b>{s.mode === 'paper' && <PaperBadge testId={`paper-strategy-${s.id}`} />} <span class="muted">{s.name}</span></> },
          { title: 'State', width: '90px', cell: (s) => <span class={`state ${s.status}`}>{s.status}</span> },
          { title: 'Market', width: '110px', cell: (s) => `${s.symbol} ${s.timeframe}` },
          { title: 'Open', width: '60px', cell: (s) => s.openPositions },
          { title: 'Floating', width: '100px', cell: (s) => money(s.floating), className: (s) => pnlClass(s.floating) },
          { title: 'Closed P&L', width: '100px', cell: (s) => money(s.closedNet), className: (s) => pnlClass(s.closedNet) },
          { title: 'Last decision', width: '2fr', cell: (s) => (s.lastDecision ? `${clock(s.lastDecision.at)} ${s.lastDecision.summary}` : '–') },
        ]} />
      {sel && (
        <div class="card detail" data-testid="strategy-detail">
          <h3>{sel.id}{sel.mode === 'paper' && <PaperBadge />} <span class={`state ${sel.status}`}>{sel.status}</span> <span class="muted">magic {sel.magic}</span></h3>
          <div class="buttons">
            {actions(sel).map((a) => <button class={a.danger ? 'danger' : ''} onClick={() => (a.danger ? setAsk(a) : run(a))}>{a.label}</button>)}
            <button onClick={() => setEditing(sel)}>Edit JSON…</button>
          </div>
          <h4>Last decision</h4>
          <p>{sel.lastDecision ? `${clock(sel.lastDecision.at)} — ${sel.lastDecision.summary}` : 'none yet'}</p>
          <h4>Last signal</h4>
          {sel.lastSignal ? (
            <>
              <p>{clock(sel.lastSignal.at)} — {sel.lastSignal.summary}</p>
              {sel.lastSignal.trace.length > 0 && <pre class="trace" data-testid="last-signal-trace">{sel.lastSignal.trace.join('\n')}</pre>}
            </>
          ) : <p class="muted">none yet</p>}
        </div>
      )}
      <Outcome value={outcome} />
      {ask && (
        <Confirm title={ask.label} yes={ask.label} danger onYes={() => run(ask)} onNo={() => setAsk(null)}>
          <p>{ask.id === 'delete' ? 'Delete this strategy (its positions stay open).' : 'Stop this strategy and close its positions at market.'}</p>
        </Confirm>
      )}
    </div>
  );
}
