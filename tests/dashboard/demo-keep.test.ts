/** `mt5-executor demo --keep`: after the replay the dashboard shows the demo's trades until Ctrl-C (the abort). */
import { expect, it } from 'vitest';
import { keepDashboard } from '../../src/host/dashboard/demo-keep.js';
import { runDemo } from '../../src/host/demo.js';

it('keeps the simulated terminal up after the replay with a dashboard of its trades; the abort ends it', async () => {
  const ac = new AbortController();
  const lines: string[] = [];
  let seen: { trades: unknown[] } | undefined;
  const out = (l: string) => {
    lines.push(l);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/dashboard\/login\?code=\S+)/.exec(l)?.[1];
    if (!link) return;
    void (async () => {
      const r = await fetch(link, { redirect: 'manual' });
      const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
      seen = (await (await fetch(new URL('/history/trades', link), { headers: { cookie } })).json()) as { trades: unknown[] };
      ac.abort();
    })();
  };
  const summary = await runDemo({ bars: 400, barsPerSecond: 5000, reportDir: null, out, signal: ac.signal, afterReplay: (t) => keepDashboard(t, { out, signal: ac.signal }) });
  expect(summary.aborted).toBe(false);
  expect(summary.closedTrades).toBeGreaterThan(0);
  expect(seen?.trades).toHaveLength(summary.closedTrades);
}, 60_000);
