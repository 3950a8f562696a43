/**
 * The dashboard in a real browser (Debian's Chromium via playwright-core) against the real host and the
 * simulated MT5 terminal over the real bridge socket. Screenshots of each page go to docs/ (the README shows
 * them). Runs in order: one host, one signed-in browser, the story of a trading session.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBroker, until } from '../helpers.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { openBrowser } from './browser.js';
import { HISTORY_BARS, startDashboardRig, type DashboardRig } from './rig.js';
import { examplesStrategy } from './strategies.js';

let rig: DashboardRig;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;
const problems: string[] = [];
const foreign: string[] = [];
let bar = HISTORY_BARS;

// `npm run screenshots` writes them into docs/ (the README shows them); otherwise they go to a temporary folder
const SHOTS = process.env.MT5X_SCREENSHOTS === 'docs' ? 'docs' : mkdtempSync(join(tmpdir(), 'mt5x-shots-'));
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`) });
const go = async (p: string) => {
  await page.click(`[data-testid="nav-${p}"]`);
  await page.waitForSelector(`main[data-page="${p}"]`);
};
const bearer = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(rig.base + path, { method, headers: { authorization: `Bearer ${rig.apiToken}`, 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return (await r.json()) as any;
};
const closedDeals = () => rig.broker.deals(0).filter((d) => d.entry === 1).length;

beforeAll(async () => {
  rig = await startDashboardRig();
  browser = await openBrowser();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('console', (m) => { if (m.type() === 'error' || /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message} ${e.stack ?? ''}`));
  page.on('request', (r) => { if (!r.url().startsWith(rig.base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
});

afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

describe('the dashboard in Chromium', () => {
  it('the login link opens the overview with the terminal\'s account', async () => {
    await page.goto(rig.startLink);
    expect(page.url()).toBe(`${rig.base}/dashboard/`);
    await expect.poll(() => page.getByTestId('account').textContent()).toContain('Account 1001 · Sim-Test');
    expect(await page.getByTestId('balance').textContent()).toBe('10,000.00 USD');
    expect(await page.getByTestId('connection').textContent()).toContain('connected');
    await page.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    const cookies = await browser.context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]!.expires).toBeGreaterThan(Date.now() / 1000);
  });

  it('without a session the API answers 401 and the page asks for a sign-in link', async () => {
    const other = await openBrowser();
    try {
      const p = other.context.pages()[0] ?? (await other.context.newPage());
      await p.goto(`${rig.base}/dashboard/`);
      await p.getByTestId('signed-out').waitFor();
      expect(await p.evaluate(async () => (await fetch('/overview')).status)).toBe(401);
      expect(await p.evaluate(async () => (await fetch('/logs/stream')).status)).toBe(401);
      // the link `start` printed is spent: it signs nobody else in
      const r = await p.goto(rig.startLink);
      expect(r?.status()).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('a cross-origin POST is refused (another local site, the session cookie sent along)', async () => {
    // a page of another origin on this computer (FIXTURE: a hostile local web page)
    const evil: Server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>evil</title>'); });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    try {
      const p = await browser.context.newPage();
      await p.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      // a "simple" request: no preflight, and the cookie goes along (same site: only the port differs)
      const sent = await p.evaluate(async (url) => {
        try {
          await fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{"reason":"evil"}' });
          return 'sent';
        } catch (e) {
          return String(e);
        }
      }, `${rig.base}/emergency-stop`);
      // the request left (the browser may then block the answer: Cross-Origin-Resource-Policy); the host refused it
      expect(sent).toMatch(/^sent$|Failed to fetch/);
      await until(() => rig.logLines.some((l) => l.includes('dashboard request refused (CSRF)') && l.includes('"origin":"http://127.0.0.1:')), 5000, 'the refusal');
      expect(rig.host.manager.killSwitch.lockedUntil).toBe(0);
      await p.close();
    } finally {
      evil.close();
    }
  });

  it('a pasted strategy with a typo shows the error at its JSON path; fixed, it starts and its trades reach positions and history', async () => {
    await go('strategies');
    await page.getByTestId('add-strategy').click();
    const good = JSON.stringify(examplesStrategy(), null, 2);
    await page.getByTestId('strategy-json').fill(good.replace('"crosses_above"', '"crosses_abvoe"'));
    await page.getByTestId('submit-strategy').click();
    const table = page.getByTestId('problems');
    await table.waitFor();
    expect(await table.locator('tbody tr td').first().textContent()).toBe('rules.entry.conditions[0].condition');
    expect(await table.textContent()).toContain("did you mean 'crosses_above'");
    expect(rig.host.manager.list()).toEqual([]);
    // the fixed file uploaded replaces the pasted text
    await page.getByTestId('editor').locator('input[type=file]').setInputFiles({ name: 'ema.json', mimeType: 'application/json', buffer: Buffer.from(good) });
    await expect.poll(() => page.getByTestId('strategy-json').inputValue()).toBe(good);
    await page.getByTestId('submit-strategy').click();
    const row = page.locator('[data-testid="strategies-table"] [data-key="ema-cross-trend"]');
    await row.filter({ hasText: 'running' }).waitFor();
    expect(rig.host.manager.list().map((r) => r.status)).toEqual(['running']);
    // pause and resume from the strategy's panel
    await row.click();
    await page.getByTestId('strategy-detail').getByRole('button', { name: 'Pause' }).click();
    await row.filter({ hasText: 'paused' }).waitFor();
    expect(rig.host.manager.list().map((r) => r.status)).toEqual(['paused']);
    await page.getByTestId('strategy-detail').getByRole('button', { name: 'Resume' }).click();
    await row.filter({ hasText: 'running' }).waitFor();
    expect(rig.host.manager.list().map((r) => r.status)).toEqual(['running']);

    // the market moves until the strategy holds a position: it shows on the positions page
    await go('positions');
    while (rig.broker.positionList().length === 0 && bar < HISTORY_BARS + 1500) {
      await rig.replay(bar, bar + 10);
      bar += 10;
    }
    const ticket = rig.broker.positionList()[0]!.ticket.toString();
    await page.locator(`[data-testid="positions-table"] [data-key="${ticket}"]`).waitFor({ timeout: 2000 });

    // more bars: closed trades on the history page, one row per closing deal the broker made
    await rig.replay(bar, bar + 600);
    bar += 600;
    await go('history');
    expect(closedDeals()).toBeGreaterThan(1);
    await expect.poll(() => page.getByTestId('history-table').getAttribute('data-rows')).toBe(String(closedDeals()));
    expect(await page.locator('[data-testid="history-table"] .vrow').first().textContent()).toContain('ema-cross-trend');
    await shot('history');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(csv[0]).toMatch(/^positionId,strategyId,/);
    expect(csv.length).toBe(closedDeals() + 1);

    await go('strategies');
    await page.locator('[data-testid="strategies-table"] [data-key="ema-cross-trend"]').click();
    await page.getByTestId('strategy-detail').filter({ hasText: 'Last decision' }).waitFor();
    expect(await page.getByTestId('last-signal-trace').textContent()).toMatch(/ema/);
    await shot('strategies');
  });

  it('performance: equity and drawdown charts, per-strategy figures, monthly returns', async () => {
    await go('performance');
    await expect.poll(() => page.getByTestId('total-trades').textContent()).toBe(String(closedDeals()));
    expect(await page.locator('[data-testid="equity-chart"] canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="drawdown-chart"] canvas').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('per-strategy').textContent()).toContain('ema-cross-trend');
    expect(await page.locator('[data-testid="monthly"] tbody tr').count()).toBeGreaterThan(0);
    await shot('performance');
  });

  it('decisions: the signals with their traces', async () => {
    await go('decisions');
    await page.locator('[data-testid="decision-list"] .decision').first().waitFor();
    await page.locator('[data-testid="decision-list"] .decision.decision').filter({ hasText: 'signal' }).first().click();
    await page.locator('[data-testid="decision-list"] pre.trace').first().waitFor();
    expect(await page.getByTestId('confirmations').textContent()).toContain('No entry waits for you');
    await shot('decisions');
  });

  it('positions: a fill shows within a second; SL/TP modified and the position closed from the page, with the broker\'s answer', async () => {
    await go('positions');
    const r = await bearer('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.05 });
    const filled = Date.now();
    expect(r).toMatchObject({ status: 'executed', result: { class: 'done' } });
    const row = page.locator(`[data-testid="positions-table"] [data-key="${r.result.ticket}"]`);
    await row.waitFor({ timeout: 1000 });
    const shownAfterMs = Date.now() - filled;
    console.log(`fill → its row on the positions page: ${shownAfterMs} ms`);
    expect(shownAfterMs).toBeLessThan(1000);
    await row.getByText('SL/TP').click();
    const sl = Math.round((r.result.price - 0.01) * 1e5) / 1e5;
    await page.getByTestId('modify-form').getByLabel('SL').fill(String(sl));
    await page.getByTestId('modify-form').getByRole('button', { name: 'Modify' }).click();
    await expect.poll(() => page.getByTestId('outcome').textContent()).toMatch(/^executed — broker: 10009/);
    expect(rig.broker.positionList().find((p) => p.ticket.toString() === r.result.ticket)!.sl).toBe(sl);
    await shot('positions');
    await row.getByTestId(`close-${r.result.ticket}`).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Close at market' }).click();
    await expect.poll(() => page.getByTestId('outcome').textContent()).toMatch(/^executed — broker: 10009 .* 0\.05 lots/);
    await row.waitFor({ state: 'detached' });
    expect(rig.broker.positionList().some((p) => p.ticket.toString() === r.result.ticket)).toBe(false);
  });

  it('the live log streams and filters by command id', async () => {
    await go('logs');
    await page.getByTestId('log-state').filter({ hasText: 'streaming' }).waitFor();
    await bearer('POST', '/orders', { symbol: 'EURUSD', side: 'SELL', volume: 0.01 }, { 'idempotency-key': 'ui-log-1' });
    await page.locator('[data-testid="log-lines"] .line').filter({ hasText: 'api-ui-log-1' }).first().waitFor();
    await page.getByTestId('log-filter').fill('api-ui-log-1');
    await expect.poll(async () => {
      const lines = await page.locator('[data-testid="log-lines"] .line').allTextContents();
      return lines.length > 0 && lines.every((l) => l.includes('api-ui-log-1'));
    }).toBe(true);
    await page.getByTestId('log-filter').fill('');
    await shot('logs');
  });

  it('EMERGENCY STOP, confirmed, closes everything; the page shows the lock', async () => {
    await bearer('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.02 });
    expect(rig.broker.positionList().length).toBeGreaterThan(0);
    await go('overview');
    await page.getByTestId('balance').waitFor();
    await shot('overview');
    await page.getByTestId('emergency-stop').click();
    const dialog = page.getByRole('dialog');
    await dialog.filter({ hasText: 'close every position' }).waitFor();
    expect(rig.broker.positionList().length).toBeGreaterThan(0); // nothing before the confirmation
    await dialog.getByRole('button', { name: 'Stop everything' }).click();
    await page.getByTestId('lock').waitFor();
    expect(await page.getByTestId('lock').textContent()).toMatch(/^LOCKED until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(rig.broker.positionList()).toEqual([]);
    expect(rig.host.manager.list().map((r) => r.status)).toEqual(['stopped']);
    await shot('kill-switch');
    // the lock ends early only by an explicit, confirmed unlock
    await page.getByRole('button', { name: 'Unlock trading…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Unlock' }).click();
    await page.getByTestId('kill-switch').filter({ hasText: 'Trading allowed' }).waitFor();
    expect(rig.host.manager.killSwitch.lockedUntil).toBe(0);
  });

  it('a second terminal connects: the overview lists both accounts; the picker shows and acts on the other account on every page', async () => {
    const otherBroker = makeBroker({ account: { login: 2002, server: 'Sim-Other', currency: 'EUR', leverage: 100, marginMode: 2, balance: 5_000 } }, [symbolSpec('EURUSD')]);
    otherBroker.quote('EURUSD', 1.1, 1.1002, rig.broker.time);
    const other = new SimTerminal({ url: rig.sim.opts.url, token: rig.sim.opts.token, broker: otherBroker });
    await other.connect();
    try {
      await until(() => rig.host.accounts.get('2002@Sim-Other')?.terminal?.connected === true, 5000, 'second account attached');
      await go('decisions');
      await go('overview');
      const rows = page.locator('[data-testid="accounts"] tbody tr');
      await expect.poll(() => rows.count()).toBe(2);
      expect(await page.locator('[data-testid="accounts"] [data-key="1001@Sim-Test"]').textContent()).toMatch(new RegExp(`^1001@Sim-Test · primary.*connected.*${rig.host.manager.killSwitch.locked(0) ? 'LOCKED' : 'off'}$`));
      expect(await page.locator('[data-testid="accounts"] [data-key="2002@Sim-Other"]').textContent()).toMatch(/2002@Sim-Other.*connected.*5,000\.00 EUR.*off$/);
      await shot('accounts');
      // one position on each account; the other account also has a closed trade
      const acct = `?account=${encodeURIComponent('2002@Sim-Other')}`;
      const mine = await bearer('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.03 });
      expect(mine).toMatchObject({ status: 'executed' });
      const closedThere = await bearer('POST', `/orders${acct}`, { symbol: 'EURUSD', side: 'SELL', volume: 0.04 });
      expect(closedThere).toMatchObject({ status: 'executed' });
      expect(await bearer('POST', `/positions/${closedThere.result.ticket}/close${acct}`, {})).toMatchObject({ status: 'executed' });
      const there = await bearer('POST', `/orders${acct}`, { symbol: 'EURUSD', side: 'BUY', volume: 0.07 });
      expect(there).toMatchObject({ status: 'executed' });
      expect(otherBroker.positionList().map((p) => p.ticket.toString())).toEqual([there.result.ticket]);
      // the picker: the overview, positions and history of 2002@Sim-Other
      await page.getByTestId('account-select').selectOption('2002@Sim-Other');
      await page.waitForSelector('main[data-page="overview"][data-account="2002@Sim-Other"]');
      await expect.poll(() => page.getByTestId('balance').textContent()).toMatch(/EUR/);
      await go('positions');
      expect(await page.locator('main').getAttribute('data-account')).toBe('2002@Sim-Other');
      const rowThere = page.locator(`[data-testid="positions-table"] [data-key="${there.result.ticket}"]`);
      await rowThere.waitFor({ timeout: 2000 });
      expect(await page.locator(`[data-testid="positions-table"] [data-key="${mine.result.ticket}"]`).count()).toBe(0);
      await shot('accounts-positions');
      await go('history');
      await expect.poll(() => page.locator('.page.history').textContent()).toMatch(/1 trade\(s\) of 1/);
      // an action from the page goes to the account shown: close the other account's position
      await go('positions');
      await rowThere.getByTestId(`close-${there.result.ticket}`).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Close at market' }).click();
      await expect.poll(() => page.getByTestId('outcome').textContent()).toMatch(/^executed — broker: 10009 .* 0\.07 lots/);
      expect(otherBroker.positionList()).toEqual([]);
      expect(rig.broker.positionList().some((p) => p.ticket.toString() === mine.result.ticket)).toBe(true);
      // back to the primary: its own position
      await page.getByTestId('account-select').selectOption('1001@Sim-Test');
      await page.waitForSelector('main[data-page="positions"][data-account=""]');
      await page.locator(`[data-testid="positions-table"] [data-key="${mine.result.ticket}"]`).waitFor({ timeout: 2000 });
      // an account the host does not have: the page's reads answer 404 with the way out
      const r = await fetch(`${rig.base}/overview?account=9@Nowhere`, { headers: { authorization: `Bearer ${rig.apiToken}` } });
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error: string }).error).toMatch(/no account 9@Nowhere on this host: GET \/accounts/);
    } finally {
      await other.close();
    }
  });

  it('loaded nothing from elsewhere and broke no CSP rule', () => {
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('tables render only the rows in view: 10,000 trades and 1,000 strategies (FIXTURE data from page.route)', async () => {
    const trades = Array.from({ length: 10_000 }, (_, i) => ({
      positionId: String(1e9 + i), strategyId: `s-${i % 1000}`, magic: i % 1000, symbol: 'EURUSD', side: i % 2 ? 'SELL' : 'BUY', volume: 0.1,
      openTime: 1.6e9 + i * 3600, openPrice: 1.1, closeTime: 1.6e9 + i * 3600 + 1800, closePrice: 1.1005, commission: -0.7, swap: 0, profit: 5, net: 4.3, exitReason: 'take profit',
    }));
    await page.route('**/history/trades?*', (r) => r.fulfill({ json: { trades, total: trades.length } }));
    await page.route('**/history/trades', (r) => r.fulfill({ json: { trades, total: trades.length } }));
    await go('history');
    await expect.poll(() => page.getByTestId('history-table').getAttribute('data-rows')).toBe('10000');
    expect(await page.locator('[data-testid="history-table"] .vrow').count()).toBeLessThan(60);
    await page.locator('[data-testid="history-table"] .vbody').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await page.locator('[data-testid="history-table"] [data-key^="1000000000-"]').waitFor();
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: `s-${i}`, name: `strategy ${i}`, status: 'running', symbol: 'EURUSD', timeframe: 'H1', magic: i, openPositions: 0, floating: 0, closedNet: 0, updatedAt: 0, lastDecision: null, parameters: {},
    }));
    await page.route('**/strategies-overview', (r) => r.fulfill({ json: { strategies: rows } }));
    await go('strategies');
    await expect.poll(() => page.getByTestId('strategies-table').getAttribute('data-rows')).toBe('1000');
    expect(await page.locator('[data-testid="strategies-table"] .vrow').count()).toBeLessThan(60);
    await page.unrouteAll();
  });
});
