/**
 * The dashboard's server side against the real host and the simulated terminal: sign-in by a one-time link,
 * the session cookie, CSRF and origin checks, the CSP, the new API routes (trades, performance, risk, unlock,
 * validation at JSON paths) and the OpenAPI document made from their zod schemas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardCommand } from '../../src/host/dashboard/command.js';
import { examplesStrategy } from './strategies.js';
import { HISTORY_BARS, startDashboardRig, type DashboardRig } from './rig.js';

let rig: DashboardRig;
let cookie = '';
let csrf = '';

const call = async (method: string, path: string, o: { body?: unknown; headers?: Record<string, string>; auth?: 'cookie' | 'bearer' | 'none' } = {}) => {
  const headers: Record<string, string> = { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers };
  if ((o.auth ?? 'cookie') === 'cookie') headers.cookie = cookie;
  if (o.auth === 'bearer') headers.authorization = `Bearer ${rig.apiToken}`;
  const r = await fetch(rig.base + path, { method, headers, redirect: 'manual', ...(o.body !== undefined ? { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) } : {}) });
  const text = await r.text();
  let body: any = text;
  try { body = JSON.parse(text); } catch { /* text */ }
  return { status: r.status, headers: r.headers, body };
};

beforeAll(async () => {
  rig = await startDashboardRig();
}, 60_000);
afterAll(async () => rig?.close());

describe('dashboard sign-in', () => {
  it('serves the page without a session, under a strict CSP, and nothing else', async () => {
    const page = await call('GET', '/dashboard/', { auth: 'none' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="app.js">');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect((await call('GET', '/dashboard/app.js', { auth: 'none' })).headers.get('content-type')).toMatch(/javascript/);
    for (const p of ['/overview', '/history/trades', '/performance', '/risk', '/events', '/logs/stream', '/dashboard/session', '/openapi.json']) {
      expect((await call('GET', p, { auth: 'none' })).status, p).toBe(401);
    }
  });

  it('exchanges the one-time link printed at start for an HttpOnly, SameSite=Strict, expiring cookie; the link is then spent', async () => {
    const url = new URL(rig.startLink);
    expect(url.origin).toBe(rig.base);
    const r = await call('GET', url.pathname + url.search, { auth: 'none' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/dashboard/');
    const set = r.headers.get('set-cookie')!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Max-Age=43200/);
    cookie = set.split(';')[0]!;
    expect((await call('GET', url.pathname + url.search, { auth: 'none' })).status).toBe(401);
    expect((await call('GET', '/dashboard/login?code=guess', { auth: 'none' })).status).toBe(401);
    const s = await call('GET', '/dashboard/session');
    expect(s.status).toBe(200);
    csrf = s.body.csrfToken;
    expect(csrf).toMatch(/^[\w-]{20,}$/);
  });

  it('mints new links only with the API token (what `mt5-executor dashboard` does)', async () => {
    expect((await call('POST', '/dashboard/login-links', { auth: 'none' })).status).toBe(401);
    expect((await call('POST', '/dashboard/login-links', { headers: { 'x-csrf-token': csrf } })).status).toBe(403);
    const l = await call('POST', '/dashboard/login-links', { auth: 'bearer' });
    expect(l.status).toBe(200);
    expect(l.body.url).toMatch(new RegExp(`^${rig.base}/dashboard/login\\?code=`));
  });

  it('`mt5-executor dashboard --print` gets a working link from the running host with the API token', async () => {
    const lines: string[] = [];
    const env = { MT5X_DATA_DIR: rig.host.config.dataDir, MT5X_API_PORT: String(rig.host.api!.port()), MT5X_NO_KEYCHAIN: '1' };
    expect(await dashboardCommand({ env, print: true, out: (l) => lines.push(l) })).toBe(0);
    const link = /(http:\S+)/.exec(lines.join('\n'))![1]!;
    const r = await call('GET', new URL(link).pathname + new URL(link).search, { auth: 'none' });
    expect(r.status).toBe(303);
    expect(r.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    const down = await dashboardCommand({ env: { ...env, MT5X_API_PORT: '1' }, print: true, out: (l) => lines.push(l) });
    expect(down).toBe(1);
    expect(lines.at(-1)).toMatch(/no host answers on http:\/\/127\.0\.0\.1:1: start it first/);
  });

  it('refuses a change without the CSRF token, from another origin, or from another site — and changes nothing', async () => {
    const body = { reason: 'csrf test' };
    expect((await call('POST', '/emergency-stop', { body })).status).toBe(403);
    expect((await call('POST', '/emergency-stop', { body, headers: { 'x-csrf-token': 'wrong' } })).status).toBe(403);
    const evil = await call('POST', '/emergency-stop', { body, headers: { 'x-csrf-token': csrf, origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.body.error).toMatch(/evil\.example/);
    expect((await call('POST', '/emergency-stop', { body, headers: { 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect(rig.host.manager.killSwitch.lockedUntil).toBe(0);
    expect(rig.logLines.some((l) => l.includes('dashboard request refused (CSRF)'))).toBe(true);
  });
});

describe('dashboard API', () => {
  it('gives the overview with the terminal\'s account and the risk limits in use', async () => {
    const o = await call('GET', '/overview');
    expect(o.status).toBe(200);
    expect(o.body.account).toMatchObject({ login: 1001, server: 'Sim-Test', currency: 'USD', balance: 10_000 });
    expect(o.body.connection).toEqual({ ea: true, platform: null, outboxDepth: 0 });
    expect(o.body.risk.use.map((u: { limit: string }) => u.limit)).toContain('maxDailyLossPercent');
    expect(o.body.risk.killSwitch).toMatchObject({ locked: false, lockedUntil: null });
  });

  it('validates a strategy with every problem at its JSON path, as `validate` gives it', async () => {
    const bad = { ...examplesStrategy(), timeframe: 'H7', risk: { ...examplesStrategy().risk, riskPercent: -1 } };
    const v = await call('POST', '/strategies/validate', { body: bad, headers: { 'x-csrf-token': csrf } });
    expect(v.status).toBe(200);
    expect(v.body.ok).toBe(false);
    expect(v.body.problems.map((p: { path: string }) => p.path)).toEqual(expect.arrayContaining(['timeframe']));
    const good = await call('POST', '/strategies/validate', { body: examplesStrategy(), headers: { 'x-csrf-token': csrf } });
    expect(good.body).toMatchObject({ ok: true, problems: [], id: 'ema-cross-trend' });
  });

  it('trades a started strategy; its closed trades come back with exit reasons, filtered, as CSV, in the performance figures', async () => {
    const started = await call('POST', '/strategies', { body: examplesStrategy(), headers: { 'x-csrf-token': csrf } });
    expect(started.status).toBe(200);
    await rig.replay(HISTORY_BARS, HISTORY_BARS + 700);
    const t = await call('GET', '/history/trades');
    expect(t.status).toBe(200);
    const deals = rig.broker.deals(0).filter((d) => d.entry === 1);
    expect(t.body.trades.length).toBe(deals.length);
    expect(t.body.trades.length).toBeGreaterThan(0);
    for (const x of t.body.trades) {
      expect(x.strategyId).toBe('ema-cross-trend');
      expect(['stop loss', 'take profit', 'strategy']).toContain(x.exitReason);
      expect(x.paper).toBeUndefined(); // a live host's trades are not paper
    }
    const netSum = t.body.trades.reduce((s: number, x: { net: number }) => s + x.net, 0);
    // every closed position's deals, counted by the broker (an open position's entry commission is not a trade's yet)
    const open = new Set(rig.broker.positionList().map((p) => p.ticket));
    const closedNet = rig.broker.deals(0).filter((d) => !open.has(d.positionId)).reduce((s, d) => s + d.profit + d.commission + d.swap, 0);
    expect(netSum).toBeCloseTo(closedNet, 1);
    expect((await call('GET', '/history/trades?strategy=nope')).body.trades).toEqual([]);
    expect((await call('GET', '/history/trades?from=2030-01-01')).body.trades).toEqual([]);
    expect((await call('GET', '/history/trades?from=1-1-2020')).status).toBe(400);
    const csv = await call('GET', '/history/trades?format=csv');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="trades.csv"/);
    const lines = (csv.body as string).trim().split('\r\n');
    expect(lines[0]).toBe('positionId,strategyId,magic,symbol,side,volume,openTime,openPrice,closeTime,closePrice,commission,swap,profit,net,exitReason,paper');
    for (const l of lines.slice(1)) expect(l.endsWith(',false')).toBe(true); // live trades: not paper
    expect(lines.length).toBe(t.body.trades.length + 1);
    const p = await call('GET', '/performance');
    expect(p.status).toBe(200);
    expect(p.body.totals.trades).toBe(t.body.trades.length);
    expect(p.body.totals.net).toBeCloseTo(netSum, 1);
    expect(p.body.startBalance).toBeCloseTo(rig.broker.account().balance - netSum, 1);
    expect(p.body.strategies[0]).toMatchObject({ strategyId: 'ema-cross-trend', trades: t.body.trades.length });
    expect(p.body.monthly.reduce((s: number, m: { net: number }) => s + m.net, 0)).toBeCloseTo(netSum, 1);
    expect(p.body.equity.length).toBeGreaterThan(10);
    const rows = await call('GET', '/strategies-overview');
    expect(rows.body.strategies[0]).toMatchObject({ id: 'ema-cross-trend', status: 'running', symbol: 'EURUSD', timeframe: 'H1' });
    expect(rows.body.strategies[0].closedNet).toBeCloseTo(netSum, 1);
    expect(rows.body.strategies[0].lastDecision).toMatchObject({ strategyId: 'ema-cross-trend', kind: 'decision' });
    expect(rows.body.strategies[0].lastSignal).toMatchObject({ strategyId: 'ema-cross-trend', signal: expect.stringMatching(/BUY|SELL/) });
    expect(rows.body.strategies[0].lastSignal.trace.length).toBeGreaterThan(0);
    const d = await call('GET', '/decisions?limit=50');
    expect(d.body.decisions.length).toBeGreaterThan(0);
    expect(d.body.decisions.find((x: { signal: string | null }) => x.signal)?.trace.length).toBeGreaterThan(0);
  }, 120_000);

  it('lists the terminal\'s deals with tickets as strings (uint64 kept exact)', async () => {
    const d = await call('GET', '/history/deals', { auth: 'bearer' });
    expect(d.status).toBe(200);
    expect(d.body.deals.length).toBe(rig.broker.deals(0).length);
    expect(d.body.deals[0].ticket).toBe(rig.broker.deals(0)[0]!.ticket.toString());
  });

  it('unlocks the kill switch only after a lock, only when told UNLOCK', async () => {
    expect((await call('POST', '/kill-switch/unlock', { body: { confirm: 'UNLOCK' }, headers: { 'x-csrf-token': csrf } })).status).toBe(409);
    const stop = await call('POST', '/emergency-stop', { body: { reason: 'test' }, headers: { 'x-csrf-token': csrf, origin: rig.base } });
    expect(stop.status).toBe(200);
    expect(rig.broker.positionList()).toEqual([]);
    expect((await call('GET', '/risk')).body.killSwitch).toMatchObject({ locked: true, reason: 'test' });
    const no = await call('POST', '/kill-switch/unlock', { body: { confirm: 'yes' }, headers: { 'x-csrf-token': csrf } });
    expect(no.status).toBe(400);
    expect(no.body.error).toMatch(/^body\.confirm: send \{"confirm": "UNLOCK"\}/);
    const yes = await call('POST', '/kill-switch/unlock', { body: { confirm: 'UNLOCK' }, headers: { 'x-csrf-token': csrf } });
    expect(yes.status).toBe(200);
    expect(yes.body.killSwitch).toMatchObject({ locked: false, lockedUntil: null });
    expect(rig.host.store.data.safety?.lockedUntil).toBe(0);
  });

  it('publishes an OpenAPI document made from the zod schemas', async () => {
    const doc = await call('GET', '/openapi.json', { auth: 'bearer' });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const trades = doc.body.paths['/history/trades'].get;
    expect(trades.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['strategy', 'symbol', 'from', 'to', 'format']));
    expect(JSON.stringify(trades.responses['200'])).toContain('exitReason');
    for (const p of ['/performance', '/risk', '/kill-switch/unlock', '/overview', '/decisions', '/strategies/validate', '/orders']) expect(doc.body.paths[p], p).toBeDefined();
    expect(doc.body.paths['/dashboard/login']).toBeUndefined();
  });
});
