/**
 * Paper trading in the dashboard, in a real browser (Debian's Chromium via playwright-core) against the real host and
 * the simulated MT5 terminal over the real bridge socket: under `start --paper` the account, the strategy, its
 * positions and its closed trades carry a PAPER badge; in a live host only a `mode: paper` strategy and its
 * positions do, and the live account does not.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers.js';
import { openBrowser } from './browser.js';
import { HISTORY_BARS, startDashboardRig, type DashboardRig } from './rig.js';

/** Buys on every bar, holds at most two hours, 15-pip take profit: a position open most of the time, trades closing often. */
const always = (id: string, mode?: 'paper') => ({
  strategyId: id, symbol: 'EURUSD', timeframe: 'H1', ...(mode ? { mode } : {}),
  rules: {
    entry: { long: { conditions: [{ indicator: 'close', condition: 'greater_than', value: 0 }] } },
    exit: { maxHoldingHours: 2, takeProfit: { type: 'pips', value: 15 } },
    riskManagement: { lotSize: 0.1, maxPositions: 1 },
  },
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function open(opts: { paper?: boolean }): Promise<{ rig: DashboardRig; page: Page; context: BrowserContext; problems: string[] }> {
  const rig = await startDashboardRig(opts);
  closers.push(() => rig.close());
  const browser = await openBrowser();
  closers.push(() => browser.close());
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(rig.startLink);
  return { rig, page, context: browser.context, problems };
}

const bearer = async (rig: DashboardRig, method: string, path: string, body?: unknown) => {
  const r = await fetch(rig.base + path, { method, headers: { authorization: `Bearer ${rig.apiToken}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return (await r.json()) as any;
};

const go = async (page: Page, p: string) => {
  await page.click(`[data-testid="nav-${p}"]`);
  await page.waitForSelector(`main[data-page="${p}"]`);
};

describe('paper trading in the dashboard (Chromium)', () => {
  it('start --paper: the account, the strategy, its positions and its closed trades say PAPER', async () => {
    const { rig, page, problems } = await open({ paper: true });
    await expect.poll(() => page.getByTestId('account').textContent()).toContain('(paper)');
    await page.getByTestId('paper-account').waitFor();
    expect(await page.getByTestId('paper-account').textContent()).toBe('PAPER');
    await bearer(rig, 'POST', '/strategies', always('dash-paper'));
    await until(() => rig.host.manager.get('dash-paper')?.runner !== undefined, 10_000, 'strategy ready');
    const venue = rig.host.paperVenue()!;
    let bar = HISTORY_BARS;
    while (venue.positions.length === 0 && bar < HISTORY_BARS + 60) {
      await rig.replay(bar, bar + 2);
      bar += 2;
    }
    expect(venue.positions.length).toBe(1);
    // a paper position, on the positions page, marked
    await go(page, 'positions');
    const ticket = venue.positions[0]!.ticket.toString();
    await page.getByTestId(`paper-position-${ticket}`).waitFor({ timeout: 5000 });
    // the strategy row, marked
    await go(page, 'strategies');
    await page.getByTestId('paper-strategy-dash-paper').waitFor();
    // closed paper trades on the history page, each marked
    await rig.replay(bar, bar + 20);
    const closed = (await venue.snapshot()).deals.filter((d) => d.entry === 1).length;
    expect(closed).toBeGreaterThan(1);
    await go(page, 'history');
    await expect.poll(() => page.getByTestId('history-table').getAttribute('data-rows')).toBe(String(closed));
    expect(await page.locator('[data-testid="history-table"] [data-testid="paper-trade"]').count()).toBe(Math.min(closed, await page.locator('[data-testid="history-table"] .vrow').count()));
    // the strategy's figures on the performance page, marked
    await go(page, 'performance');
    await page.getByTestId('paper-figures').waitFor({ timeout: 5000 });
    // nothing reached the terminal
    expect(rig.sim.broker.deals()).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('a live host: a mode-paper strategy and its positions say PAPER, the live account and a live strategy do not', async () => {
    const { rig, page, problems } = await open({});
    await expect.poll(() => page.getByTestId('account').textContent()).toContain('Account 1001 · Sim-Test');
    await bearer(rig, 'POST', '/strategies', always('dash-live'));
    await bearer(rig, 'POST', '/strategies', always('dash-paper', 'paper'));
    await until(() => rig.host.manager.get('dash-paper')?.runner !== undefined && rig.host.manager.get('dash-live')?.runner !== undefined, 10_000, 'strategies ready');
    let bar = HISTORY_BARS;
    const venue = () => rig.host.paperVenue();
    while ((!venue()?.positions.length || !rig.broker.positionList().length) && bar < HISTORY_BARS + 60) {
      await rig.replay(bar, bar + 2);
      bar += 2;
    }
    const paperTicket = venue()!.positions[0]!.ticket.toString(), liveTicket = rig.broker.positionList()[0]!.ticket.toString();
    await go(page, 'strategies');
    await page.getByTestId('paper-strategy-dash-paper').waitFor();
    await page.locator('[data-testid="strategies-table"] [data-key="dash-live"]').waitFor();
    expect(await page.getByTestId('paper-strategy-dash-live').count()).toBe(0);
    await go(page, 'positions');
    await page.getByTestId(`paper-position-${paperTicket}`).waitFor({ timeout: 5000 });
    await page.locator(`[data-testid="positions-table"] [data-key="${liveTicket}"]`).waitFor();
    expect(await page.getByTestId(`paper-position-${liveTicket}`).count()).toBe(0);
    await go(page, 'overview');
    await page.getByTestId('balance').waitFor();
    expect(await page.getByTestId('paper-account').count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
