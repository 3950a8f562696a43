import { useEffect, useRef, useState } from 'preact/hooks';
import { api, onEvent } from './api.js';

/**
 * A GET resource, loaded now and again (at most twice a second) when one of `on` arrives on the event stream —
 * so a fill shows within a second without polling.
 */
export function useResource<T>(path: string | null, on: string[]): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (!path) return;
    let live = true;
    api<T>('GET', path).then((d) => { if (live) { setData(d); setError(undefined); } }, (e: Error) => { if (live) setError(e.message); });
    return () => { live = false; };
  }, [path, tick]);
  const key = on.join(',');
  const last = useRef(0);
  useEffect(() => onEvent((type) => {
    if (!on.includes(type) || timer.current) return;
    // the first event reloads at once; more within half a second make one reload at its end
    const wait = Math.max(0, last.current + 500 - Date.now());
    timer.current = setTimeout(() => { timer.current = undefined; last.current = Date.now(); setTick((x) => x + 1); }, wait);
  }), [key]);
  useEffect(() => () => clearTimeout(timer.current), []);
  return { data, error, reload: () => setTick((x) => x + 1) };
}
