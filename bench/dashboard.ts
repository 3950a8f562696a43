/**
 * The dashboard's tables under load, in Debian's Chromium: the history page with 10,000 closed trades and the
 * strategies page with 1,000 strategies (FIXTURE data served by page.route; the page, its code and the host
 * that serves it are real). Measures the time from the click to the filled table, and the frame times while
 * the table is scrolled from top to bottom (one scroll step per animation frame). A table, then one JSON line.
 *   npm run bench:dashboard
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost } from '../src/host/start.js';
import { openBrowser } from '../tests/dashboard/browser.js';
import { freePort } from '../tests/helpers.js';

const TRADES = 10_000, STRATEGIES = 1_000, STEPS = 300;

const trades = Array.from({ length: TRADES }, (_, i) => ({
  positionId: String(1e9 + i), strategyId: `s-${i % STRATEGIES}`, magic: i % STRATEGIES, symbol: 'EURUSD', side: i % 2 ? 'SELL' : 'BUY', volume: 0.1,
  openTime: 1.6e9 + i * 3600, openPrice: 1.1, closeTime: 1.6e9 + i * 3600 + 1800, closePrice: 1.1005, commission: -0.7, swap: 0, profit: 5, net: 4.3, exitReason: 'take profit',
}));
const strategies = Array.from({ length: STRATEGIES }, (_, i) => ({
  id: `s-${i}`, name: `strategy ${i}`, status: i % 3 ? 'running' : 'paused', symbol: 'EURUSD', timeframe: 'H1', magic: i, openPositions: i % 2, floating: i % 7 - 3,
  closedNet: i * 1.5, updatedAt: 0, lastDecision: null, lastSignal: null, parameters: {},
}));

const dir = mkdtempSync(join(tmpdir(), 'mt5x-bench-dash-'));
const host = await startHost({ env: { MT5X_DATA_DIR: dir, MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'silent', MT5X_PRIME_AT_START: 'false', MT5X_API_PORT: String(await freePort()), MT5X_BRIDGE_PORT: String(await freePort()) }, out: () => {} });
const browser = await openBrowser();
const rows: { table: string; rows: number; renderMs: number; frameP50Ms: number; frameP99Ms: number; frameMaxMs: number; framesOver50Ms: number; domRows: number }[] = [];
try {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.route('**/history/trades*', (r) => r.fulfill({ json: { trades, total: trades.length } }));
  await page.route('**/strategies-overview', (r) => r.fulfill({ json: { strategies } }));
  await page.goto(host.dashboard!.loginLink().url);
  await page.getByTestId('balance').or(page.getByText('No terminal connected yet.')).first().waitFor();
  for (const [nav, table, n] of [['history', 'history-table', TRADES], ['strategies', 'strategies-table', STRATEGIES], ['history', 'history-table', TRADES]] as const) {
    await page.click('[data-testid="nav-overview"]');
    const t0 = performance.now();
    await page.click(`[data-testid="nav-${nav}"]`);
    await page.locator(`[data-testid="${table}"][data-rows="${n}"]`).waitFor();
    const renderMs = performance.now() - t0;
    const frames = await page.locator(`[data-testid="${table}"] .vbody`).evaluate(async (el, steps) => {
      const out: number[] = [];
      const max = el.scrollHeight - el.clientHeight;
      let last = performance.now();
      for (let i = 1; i <= steps; i++) {
        el.scrollTop = (max * i) / steps;
        await new Promise((r) => (globalThis as unknown as { requestAnimationFrame(cb: () => void): void }).requestAnimationFrame(() => r(null)));
        const now = performance.now();
        out.push(now - last);
        last = now;
      }
      return out;
    }, STEPS);
    const domRows = await page.locator(`[data-testid="${table}"] .vrow`).count();
    frames.sort((a, b) => a - b);
    const q = (p: number) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))]!;
    rows.push({ table: nav, rows: n, renderMs: Math.round(renderMs), frameP50Ms: +q(0.5).toFixed(1), frameP99Ms: +q(0.99).toFixed(1), frameMaxMs: +frames[frames.length - 1]!.toFixed(1), framesOver50Ms: frames.filter((f) => f > 50).length, domRows });
  }
} finally {
  await browser.close();
  await host.stop();
}
console.log('table        rows   click→filled ms   frame p50 ms   p99 ms   max ms   frames>50ms   rows in DOM');
for (const r of rows) console.log(`${r.table.padEnd(11)} ${String(r.rows).padStart(6)} ${String(r.renderMs).padStart(16)} ${String(r.frameP50Ms).padStart(14)} ${String(r.frameP99Ms).padStart(8)} ${String(r.frameMaxMs).padStart(8)} ${String(r.framesOver50Ms).padStart(13)} ${String(r.domRows).padStart(13)}`);
console.log(JSON.stringify({ bench: 'dashboard', steps: STEPS, results: rows }));
