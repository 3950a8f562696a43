/** `mt5-executor demo --keep`: after the replay the dashboard shows the demo's trades until Ctrl-C (the abort). */
import { expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';

it('keeps the simulated terminal up after the replay with a dashboard of its trades; the abort ends it', async () => {
  const ac = new AbortController();
  const lines: string[] = [];
  let seen: { trades: unknown[] } | undefined;
  const out = (l: string) => {
    lines.push(l);
    // the link is printed at the start; after the replay the line that says the dashboard stays up repeats it
    const link = /stays up.*(http:\/\/127\.0\.0\.1:\d+\/dashboard\/login\?code=\S+)/.exec(l)?.[1];
    if (!link) return;
    void (async () => {
      const r = await fetch(link, { redirect: 'manual' });
      const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
      seen = (await (await fetch(new URL('/history/trades', link), { headers: { cookie } })).json()) as { trades: unknown[] };
      ac.abort();
    })();
  };
  const summary = await runDemo({ bars: 400, barsPerSecond: 5000, reportDir: null, out, signal: ac.signal, keep: true });
  expect(summary.aborted).toBe(false);
  expect(summary.closedTrades).toBeGreaterThan(0);
  expect(seen?.trades).toHaveLength(summary.closedTrades);
  expect(lines.findIndex((l) => /^Dashboard of this run/.test(l))).toBeLessThan(lines.findIndex((l) => /^replay finished/.test(l)));
}, 60_000);
