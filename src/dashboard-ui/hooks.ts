import { useEffect, useRef, useState } from 'preact/hooks';
import { api, onEvent } from './api.js';

/**
 * A GET resource, loaded now and again (at most every 250 ms) when one of `on` arrives on the event stream —
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
  useEffect(() => onEvent((type) => {
    if (!on.includes(type) || timer.current) return;
    timer.current = setTimeout(() => { timer.current = undefined; setTick((x) => x + 1); }, 250);
  }), [key]);
  useEffect(() => () => clearTimeout(timer.current), []);
  return { data, error, reload: () => setTick((x) => x + 1) };
}
