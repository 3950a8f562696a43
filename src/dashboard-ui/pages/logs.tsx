import { useEffect, useRef, useState } from 'preact/hooks';

interface Line { n: number; level: number; time: number; msg: string; raw: string; fields: Record<string, unknown> }
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const KEEP = 2000;

/** The host's log stream (GET /logs/stream over EventSource, the session cookie authenticates it). */
export function LogsPage() {
  const [lines, setLines] = useState<Line[]>([]);
  const [filter, setFilter] = useState('');
  const [level, setLevel] = useState(0);
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState('connecting');
  const buf = useRef<Line[]>([]);
  const n = useRef(0);
  const pausedRef = useRef(false);
  pausedRef.current = paused;
  useEffect(() => {
    const es = new EventSource('/logs/stream');
    es.onopen = () => setState('streaming');
    es.onerror = () => setState('reconnecting');
    let timer: ReturnType<typeof setTimeout> | undefined;
    es.onmessage = (e: MessageEvent<string>) => {
      let f: Record<string, unknown> = {};
      try { f = JSON.parse(e.data) as Record<string, unknown>; } catch { /* a plain line */ }
      buf.current.push({ n: n.current++, level: Number(f.level ?? 30), time: Number(f.time ?? Date.now()), msg: String(f.msg ?? e.data), raw: e.data, fields: f });
      if (buf.current.length > KEEP) buf.current.splice(0, buf.current.length - KEEP);
      timer ??= setTimeout(() => { timer = undefined; if (!pausedRef.current) setLines([...buf.current]); }, 100);
    };
    return () => { es.close(); clearTimeout(timer); };
  }, []);
  const words = filter.trim().toLowerCase();
  const shown = lines.filter((l) => l.level >= level && (!words || l.raw.toLowerCase().includes(words))).slice(-500).reverse();
  return (
    <div class="page logs">
      <div class="toolbar">
        <input data-testid="log-filter" placeholder="filter: strategy, command or intent id, any text" value={filter} onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} />
        <select value={level} onChange={(e) => setLevel(Number((e.currentTarget as HTMLSelectElement).value))} aria-label="level">
          <option value={0}>all levels</option><option value={30}>info+</option><option value={40}>warn+</option><option value={50}>error+</option>
        </select>
        <button onClick={() => { setPaused(!paused); if (paused) setLines([...buf.current]); }}>{paused ? 'Resume' : 'Pause'}</button>
        <span class="muted" data-testid="log-state">{state} · {lines.length} line(s)</span>
      </div>
      <div class="log" data-testid="log-lines">
        {shown.map((l) => {
          const { level: _l, time: _t, msg: _m, app: _a, pid: _p, hostname: _h, ...rest } = l.fields;
          return (
            <div class={`line ${LEVELS[l.level] ?? ''}`} key={l.n}>
              <span class="muted">{new Date(l.time).toISOString().slice(11, 23)}</span> <span class="lvl">{LEVELS[l.level] ?? l.level}</span> {l.msg} <span class="muted">{Object.keys(rest).length ? JSON.stringify(rest) : ''}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
