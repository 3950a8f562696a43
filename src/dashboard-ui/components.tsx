/** Small parts shared by the pages: a virtualised table, a confirmation dialog, a chart, a result line. */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { AreaSeries, HistogramSeries, LineSeries, createChart, type IChartApi, type UTCTimestamp } from 'lightweight-charts';

export interface Column<T> {
  title: string;
  width?: string;
  cell: (row: T) => ComponentChildren;
  className?: (row: T) => string;
}

const ROW = 28;

/** The mark of the paper account: a trade, position, strategy or account on the host's simulated broker, never at the broker. */
export function PaperBadge({ testId }: { testId?: string }) {
  return <span class="badge paper" data-testid={testId} title="paper: the host's simulated broker on live prices; nothing reaches the broker">PAPER</span>;
}

/** Only the rows in view are in the page: 10,000 trades scroll as smoothly as 10. */
export function VirtualTable<T>({ rows, columns, rowKey, height = 480, onSelect, selected, testId }: {
  rows: readonly T[]; columns: Column<T>[]; rowKey: (r: T) => string; height?: number; onSelect?: (r: T) => void; selected?: string | null; testId?: string;
}) {
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / ROW) - 5);
  const count = Math.ceil(height / ROW) + 10;
  const visible = rows.slice(first, first + count);
  const grid = columns.map((c) => c.width ?? '1fr').join(' ');
  return (
    <div class="vtable" data-testid={testId} data-rows={rows.length}>
      <div class="vhead" style={{ gridTemplateColumns: grid }}>{columns.map((c) => <div>{c.title}</div>)}</div>
      <div class="vbody" style={{ height: `${Math.min(height, Math.max(ROW, rows.length * ROW))}px` }} onScroll={(e) => setTop((e.currentTarget as HTMLElement).scrollTop)}>
        <div style={{ height: `${rows.length * ROW}px`, position: 'relative' }}>
          {visible.map((r, i) => {
            const key = rowKey(r);
            return (
              <div key={key} data-key={key} class={`vrow${selected === key ? ' selected' : ''}${onSelect ? ' clickable' : ''}`}
                style={{ top: `${(first + i) * ROW}px`, gridTemplateColumns: grid }} onClick={onSelect ? () => onSelect(r) : undefined}>
                {columns.map((c) => <div class={c.className?.(r) ?? ''}>{c.cell(r)}</div>)}
              </div>
            );
          })}
        </div>
        {rows.length === 0 && <div class="empty">nothing yet</div>}
      </div>
    </div>
  );
}

/** A modal question; `onYes` runs only on the explicit button. */
export function Confirm({ title, children, yes, danger, onYes, onNo }: { title: string; children?: ComponentChildren; yes: string; danger?: boolean; onYes: () => void; onNo: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => { ref.current?.showModal(); }, []);
  return (
    <dialog ref={ref} class="confirm" onCancel={onNo} aria-label={title}>
      <h3>{title}</h3>
      <div>{children}</div>
      <div class="buttons">
        <button onClick={onNo}>Cancel</button>
        <button class={danger ? 'danger' : 'primary'} onClick={onYes}>{yes}</button>
      </div>
    </dialog>
  );
}

/** What the host (and the broker) answered to the last action. */
export function Outcome({ value }: { value: { ok: boolean; text: string } | null }) {
  if (!value) return null;
  return <pre class={`outcome ${value.ok ? 'ok' : 'bad'}`} data-testid="outcome">{value.text}</pre>;
}

export interface SeriesSpec {
  kind: 'line' | 'area' | 'histogram';
  color: string;
  points: { time: number; value: number }[];
}

/**
 * A lightweight-charts time chart (times are broker server seconds; points with equal times are merged). Its
 * logo brings an inline <style> the CSP refuses: the attribution its licence asks for is a link on the
 * performance page instead.
 */
export function Chart({ series, height = 260, testId }: { series: SeriesSpec[]; height?: number; testId?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  useLayoutEffect(() => {
    const c = createChart(el.current!, { height, autoSize: true, layout: { background: { color: '#10151c' }, textColor: '#c8d0da', attributionLogo: false }, grid: { vertLines: { color: '#1e2630' }, horzLines: { color: '#1e2630' } }, timeScale: { timeVisible: true } });
    chart.current = c;
    return () => { c.remove(); chart.current = null; };
  }, [height]);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    const added = series.map((s) => {
      const def = s.kind === 'area' ? AreaSeries : s.kind === 'histogram' ? HistogramSeries : LineSeries;
      const opts = s.kind === 'area' ? { lineColor: s.color, topColor: s.color + '66', bottomColor: s.color + '05' } : { color: s.color };
      const api = c.addSeries(def, opts);
      const data: { time: UTCTimestamp; value: number }[] = [];
      for (const p of s.points) {
        const last = data[data.length - 1];
        if (last && last.time >= p.time) last.value = p.value;
        else data.push({ time: p.time as UTCTimestamp, value: p.value });
      }
      api.setData(data);
      return api;
    });
    c.timeScale().fitContent();
    // on unmount the chart itself is gone already (its layout effect cleans up first)
    return () => { if (chart.current === c) for (const a of added) c.removeSeries(a); };
  }, [series]);
  return <div class="chart" ref={el} data-testid={testId} />;
}
