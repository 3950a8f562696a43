/**
 * Several accounts on one host: the real host (`startHost`) with two simulated terminals of two accounts connected
 * over the real bridge socket, driven through the real local API.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { startHost, type RunningHost } from '../../src/host/start.js';
import { silentLogger } from '../../src/host/logger.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import { AccountRegistry, accountFolder } from '../../src/host/trading/accounts.js';
import { StrategyManager } from '../../src/host/trading/manager.js';
import type { IntentBody, IntentResult } from '../../src/protocol/messages.js';
import { replayBars } from '../../src/sim/replay.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { apiCaller, freePort, makeBroker, until } from '../helpers.js';

const strategy = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8'));
const data = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 2200);
const A = '1001@Sim-Test';
const B = '2002@Sim Other/2'; // a server name that is not a safe folder name as it is
const brokerOf = (login: number, server: string) =>
  makeBroker({ account: { login, server, currency: 'USD', leverage: 100, marginMode: 2, balance: 10_000 } }, [symbolSpec('EURUSD')]);

describe('several accounts on one host', () => {
  let dir: string;
  let host: RunningHost;
  let base: string;
  let apiToken: string;
  let bridgeToken: string;
  let bridgePort: number;
  let apiPort: number;
  const brokerA = brokerOf(1001, 'Sim-Test');
  const brokerB = brokerOf(2002, 'Sim Other/2');
  const sims: SimTerminal[] = [];
  const opened: Record<string, { id: string; ok: boolean; error?: string }[]> = { [A]: [], [B]: [] };
  const api = apiCaller(() => base, () => apiToken);
  const q = (key: string) => `?account=${encodeURIComponent(key)}`;

  const start = async () => {
    host = await startHost({
      env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_PORT: String(apiPort), MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'silent', MT5X_PRIME_AT_START: 'false' },
      out: () => {},
      now: () => Math.floor(brokerA.time / 1000),
    });
  };
  const connect = async (broker: ReturnType<typeof brokerOf>, from: number) => {
    const sim = new SimTerminal({ url: `ws://127.0.0.1:${bridgePort}`, token: bridgeToken, broker, reconnectMinMs: 30, reconnectMaxMs: 200 });
    sim.setHistory('EURUSD', 'H1', data, from);
    broker.quote('EURUSD', data.open[from]!, data.open[from]! + 0.0001, data.time[from]! * 1000);
    sims.push(sim);
    await sim.connect();
    const a = broker.account();
    await until(() => host.accounts.get(`${a.login}@${a.server}`)?.terminal?.connected === true, 5000, `account ${a.login} attached`);
    const key = `${a.login}@${a.server}`;
    host.accounts.get(key)!.manager.on('intent', (_s: string, i: IntentBody, r: IntentResult | Error) => {
      if (i.type === 'OPEN') opened[key]!.push({ id: i.intentId, ok: !(r instanceof Error) && r.class === 'done', ...(r instanceof Error ? { error: r.message } : {}) });
    });
    return sim;
  };
  const replay = (sim: SimTerminal, from: number, to: number) => replayBars(sim, { symbol: 'EURUSD', timeframe: 'H1', bars: data, from, to, defaultSpread: 10 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mt5x-accounts-'));
    [bridgePort, apiPort] = [await freePort(), await freePort()];
    await start();
    const c = await openCredentialStore(dir, { preferKeychain: false });
    apiToken = c.get('apiToken')!;
    bridgeToken = c.get('bridgeToken')!;
    base = `http://127.0.0.1:${apiPort}`;
    await connect(brokerA, 600); // the first ever: the primary
    await connect(brokerB, 600);
  }, 60_000);

  afterAll(async () => {
    for (const s of sims) await s.close();
    await host?.stop();
  });

  it('the first account to connect is the primary (<data>/state, remembered); the other has a folder of its own', async () => {
    expect(host.accounts.primary.key).toBe(A);
    expect(host.manager).toBe(host.accounts.get(A)!.manager);
    expect(JSON.parse(readFileSync(join(dir, 'accounts.json'), 'utf8'))).toEqual({ primary: A });
    expect(host.accounts.get(A)!.dir).toBe(join(dir, 'state'));
    const folder = accountFolder(B);
    expect(folder).toMatch(/^2002@Sim_Other_2-[0-9a-f]{8}$/);
    expect(host.accounts.get(B)!.dir).toBe(join(dir, 'accounts', folder, 'state'));
    expect(JSON.parse(readFileSync(join(dir, 'accounts', folder, 'account.json'), 'utf8'))).toEqual({ key: B });
    const list = await api('GET', '/accounts');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject([
      { key: A, primary: true, platform: true, connected: true, balance: 10_000, strategies: 0, killSwitch: { locked: false } },
      { key: B, primary: false, platform: false, connected: true, balance: 10_000, strategies: 0, killSwitch: { locked: false } },
    ]);
    expect((await api('GET', '/health')).body.accounts).toHaveLength(2);
    const unknown = await api('GET', `/strategies${q('9@Nowhere')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no account 9@Nowhere .*GET \/accounts/);
  });

  it('the same strategy on both accounts trades on each terminal independently: the same intent ids, no duplicate refusal', async () => {
    expect((await api('POST', '/strategies', strategy)).body).toMatchObject({ status: 'executed' });
    expect((await api('POST', `/strategies${q(B)}`, strategy)).body).toMatchObject({ status: 'executed' });
    expect((await api('GET', `/strategies${q(B)}`)).body).toMatchObject([{ id: 'ema-cross-trend', status: 'running' }]);
    await Promise.all([replay(sims[0]!, 600, 1400), replay(sims[1]!, 600, 1400)]);
    for (const k of [A, B]) {
      expect(opened[k]!.length).toBeGreaterThan(3);
      expect(opened[k]!.filter((o) => !o.ok)).toEqual([]);
    }
    // the same bars, the same strategy: the same intent ids, each executed on its own account
    expect(opened[B]!.map((o) => o.id)).toEqual(opened[A]!.map((o) => o.id));
    const dealsIn = (b: ReturnType<typeof brokerOf>) => b.deals().filter((d) => d.entry === 0 && d.comment.startsWith('ix:')).length;
    expect(dealsIn(brokerA)).toBe(opened[A]!.length);
    expect(dealsIn(brokerB)).toBe(opened[B]!.length);
    // each account's ledger holds its own intents only
    for (const [k, other] of [[A, B], [B, A]] as const) {
      const intents = Object.values(host.accounts.get(k)!.store.data.intents);
      expect(intents.length).toBeGreaterThan(3);
      expect(intents.filter((e) => e.terminal !== k)).toEqual([]);
      expect(intents.some((e) => e.terminal === other)).toBe(false);
    }
  }, 120_000);

  it('risk limits set on one account do not change the other', async () => {
    const before = host.accounts.get(A)!.manager.limits();
    const r = await api('PUT', `/risk-limits${q(B)}`, { maxLot: 7.5, maxPositionsAccount: 42 });
    expect(r.body).toMatchObject({ status: 'executed', result: { limits: { maxLot: 7.5, maxPositionsAccount: 42 } } });
    expect(host.accounts.get(B)!.manager.limits()).toMatchObject({ maxLot: 7.5, maxPositionsAccount: 42 });
    expect(host.accounts.get(A)!.manager.limits()).toEqual(before);
    expect(before.maxLot).not.toBe(7.5);
  });

  it('an emergency stop on one account leaves the other trading', async () => {
    // open positions on both, by hand, so the stop has something to close
    for (const k of [A, B]) expect((await api('POST', `/orders${q(k)}`, { symbol: 'EURUSD', side: 'BUY', volume: 0.01 })).body).toMatchObject({ status: 'executed' });
    const bOpen = brokerB.positionList().length;
    expect(brokerA.positionList().length).toBeGreaterThan(0);
    const stop = await api('POST', '/emergency-stop', { reason: 'accounts test', lockMinutes: 7 * 24 * 60 });
    expect(stop.body).toMatchObject({ status: 'executed' });
    expect(brokerA.positionList()).toEqual([]);
    expect(brokerB.positionList().length).toBe(bOpen);
    const list = (await api('GET', '/accounts')).body as { key: string; killSwitch: { locked: boolean }; running: number }[];
    expect(list.map((a) => [a.key, a.killSwitch.locked, a.running])).toEqual([[A, true, 0], [B, false, 1]]);
    expect((await api('POST', '/strategies', strategy)).status).toBe(423);
    // the dashboard's overview lists both
    const overview = (await api('GET', '/overview')).body as { accounts: { key: string; primary: boolean; killSwitch: { locked: boolean }; positions: number }[] };
    expect(overview.accounts.map((a) => [a.key, a.primary, a.killSwitch.locked, a.positions])).toEqual([[A, true, true, 0], [B, false, false, bOpen]]);
    // the metrics carry each account, labelled
    const metrics = (await api('GET', '/metrics')).body as string;
    expect(metrics).toContain(`mt5x_kill_switch_locked{account="${A}"} 1`);
    expect(metrics).toContain(`mt5x_kill_switch_locked{account="${B}"} 0`);
    expect(metrics).toContain(`mt5x_positions_open{account="${B}"} ${bOpen}`);
    expect(metrics).toContain(`mt5x_account_balance{account="${B}"} ${brokerB.account().balance}`);
    expect(metrics).toContain(`mt5x_strategies{account="${A}",status="stopped"} 1`);
    expect(metrics).toContain(`mt5x_strategies{account="${B}",status="running"} 1`);
    // B goes on deciding and trading (A's replay stays within its 7-day lock, in A's server time)
    const [a0, b0] = [opened[A]!.length, opened[B]!.length];
    await Promise.all([replay(sims[0]!, 1400, 1500), replay(sims[1]!, 1400, 2100)]);
    expect(opened[A]!.length).toBe(a0);
    expect(opened[B]!.length).toBeGreaterThan(b0);
    expect(opened[B]!.filter((o) => !o.ok)).toEqual([]);
  }, 120_000);

  it("the dashboard's pages read the account of ?account= (default the primary); an unknown one is a 404 naming GET /accounts", async () => {
    const closedOn = (b: ReturnType<typeof brokerOf>) => new Set(b.deals(0).filter((d) => d.entry === 1).map((d) => d.positionId.toString()));
    expect(closedOn(brokerB).size).toBeGreaterThan(0);
    for (const [key, broker, query] of [[A, brokerA, ''], [B, brokerB, q(B)]] as const) {
      const o = (await api('GET', `/overview${query}`)).body as { account: { login: number; currency: string }; positions: number; risk: { killSwitch: { locked: boolean } } };
      expect([o.account.login, o.positions, o.risk.killSwitch.locked]).toEqual([broker.account().login, broker.positionList().length, key === A]);
      const t = (await api('GET', `/history/trades${query}`)).body as { trades: { positionId: string }[] };
      expect(new Set(t.trades.map((x) => x.positionId))).toEqual(closedOn(broker));
      const d = (await api('GET', `/history/deals${query}${query ? '&' : '?'}from=0`)).body as { deals: { deal: string }[] };
      expect(d.deals.length).toBe(broker.deals(0).length);
      const rows = (await api('GET', `/strategies-overview${query}`)).body as { strategies: { id: string; status: string }[] };
      expect(rows.strategies.map((r) => r.status)).toEqual([key === A ? 'stopped' : 'running']);
      const risk = (await api('GET', `/risk${query}`)).body as { killSwitch: { locked: boolean } };
      expect(risk.killSwitch.locked).toBe(key === A);
      const perf = (await api('GET', `/performance${query}`)).body as { currency: string | null };
      expect(perf.currency).toBe(broker.account().currency);
    }
    // the same strategy id on both: told apart by their bars (B went on trading to a later bar after A's stop)
    const lastBar = async (query: string) => Math.max(...((await api('GET', `/decisions${query}`)).body as { decisions: { detail: { barTime?: number } }[] }).decisions.map((x) => x.detail.barTime ?? 0));
    const [lastA, lastB] = [await lastBar(''), await lastBar(q(B))];
    expect(lastA).toBeGreaterThan(0);
    expect(lastB).toBeGreaterThan(lastA);
    const unknown = await api('GET', `/history/trades${q('9@Nowhere')}`);
    expect(unknown.status).toBe(404);
    expect((unknown.body as { error: string }).error).toMatch(/no account 9@Nowhere on this host: GET \/accounts/);
  });

  it('each account keeps its own state across a restart', async () => {
    const bLimits = host.accounts.get(B)!.manager.limits();
    for (const s of sims.splice(0)) await s.close();
    await host.stop();
    await start();
    expect(host.accounts.primary.key).toBe(A);
    expect(host.accounts.list().map((a) => a.key)).toEqual([A, B]);
    const a = host.accounts.get(A)!, b = host.accounts.get(B)!;
    expect(a.manager.list()).toMatchObject([{ id: 'ema-cross-trend', status: 'stopped' }]);
    expect(b.manager.list()).toMatchObject([{ id: 'ema-cross-trend', status: 'running' }]);
    expect(a.manager.killSwitch.locked(0)).toBe(true);
    expect(b.manager.killSwitch.locked(0)).toBe(false);
    expect(b.manager.limits()).toEqual(bLimits);
    expect(a.manager.limits().maxLot).not.toBe(7.5);
    // the terminals come back to their own accounts
    await connect(brokerB, 2100);
    await connect(brokerA, 2100);
    expect(host.accounts.primary.key).toBe(A);
    expect(((await api('GET', '/accounts')).body as { key: string; connected: boolean }[]).map((x) => [x.key, x.connected])).toEqual([[A, true], [B, true]]);
    expect((await api('GET', `/account${q(B)}`)).body).toMatchObject({ login: 2002 });
    expect((await api('GET', '/account')).body).toMatchObject({ login: 1001 });
  }, 60_000);
});

describe('accounts configuration', () => {
  it('refuses a primary that contradicts the one remembered, and a key that is not login@server, naming the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-accounts-cfg-'));
    const env = { MT5X_DATA_DIR: dir, MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'silent', MT5X_PRIME_AT_START: 'false' };
    writeFileSync(join(dir, 'accounts.json'), JSON.stringify({ primary: '1001@Sim-Test' }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ api: { enabled: false }, bridge: { port: await freePort() }, accounts: { primary: '7@Other' } }));
    await expect(startHost({ env, out: () => {} })).rejects.toThrow(/accounts.primary is 7@Other, but .*state holds the state of 1001@Sim-Test .*set accounts.platform instead/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ accounts: { platform: 'nope' } }));
    await expect(startHost({ env, out: () => {} })).rejects.toThrow(/accounts.platform: expected login@server/);
    // the platform's account, when configured, is opened at start with its own folder
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ api: { enabled: false }, bridge: { port: await freePort() }, accounts: { platform: '7@Other' } }));
    const host = await startHost({ env, out: () => {} });
    try {
      expect(host.accounts.platform().key).toBe('7@Other');
      expect(host.accounts.primary.key).toBe('1001@Sim-Test');
      expect(existsSync(join(dir, 'accounts', '7@Other', 'state', 'state.json'))).toBe(true);
    } finally {
      await host.stop();
    }
  });
});

describe('a state from before several accounts', () => {
  it('keeps <data>/state for the account its intents were sent to, even when another terminal connects first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-accounts-old-'));
    const old = await Store.open(join(dir, 'state'));
    const entry = (intentId: string, terminal: string, createdAt: number, adopted = false) => ({
      intentId, terminal, state: 'settled' as const, createdAt, attempts: 1, ...(adopted ? { adopted } : {}),
      intent: { type: 'OPEN' as const, intentId, magic: 7, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 },
    });
    const ledger = new PersistentLedger(old); // through the journal, as a host writes them
    await ledger.add(entry('i1', A, 100));
    await ledger.add(entry('i2', B, 200, true)); // adopted by an older host from a terminal it did not drive
    await old.write();
    old.close();
    const reg = AccountRegistry.open({ dataDir: dir, configured: {}, log: silentLogger, manager: (st) => new StrategyManager(st, silentLogger) });
    try {
      expect(reg.primary.key).toBe(A);
      const b = reg.account(B); // connects first
      expect(b.primary).toBe(false);
      expect(b.dir).toBe(join(dir, 'accounts', accountFolder(B), 'state'));
      expect(reg.account(A)).toBe(reg.primary);
      expect(JSON.parse(readFileSync(join(dir, 'accounts.json'), 'utf8'))).toEqual({ primary: A });
    } finally {
      await reg.close();
    }
  });
});

describe('the platform drives one account', () => {
  it('accounts.platform: its commands act on that account only, and the heartbeat shows every account', async () => {
    // FIXTURE standing in for the web platform's REST contract (docs/platform.md); commands go by heartbeat
    const API = { key: 'exec-key-acc', secret: 'sk_live_Acc0unts9xQ2wE5tY8uI1oP4' };
    const pending: unknown[] = [];
    const beats: { status: { accountKey: string | null; accounts: { key: string; connected: boolean }[]; strategies: unknown[] } }[] = [];
    const statuses: { commandId: string; status: string; error?: string }[] = [];
    const deadPort = await freePort();
    const fixture = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const json = (code: number, v: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(v));
        if (req.headers['x-api-key'] !== API.key || req.headers['x-api-secret'] !== API.secret) return json(401, {});
        if (req.url === '/api/executor/config') return json(200, { executorId: 'ex1', pusher: { key: 'k', cluster: 'mt1', wsHost: '127.0.0.1', wsPort: deadPort, forceTLS: false }, heartbeatSeconds: 600 });
        if (req.url === '/api/executor/ex1/heartbeat') {
          beats.push(JSON.parse(body));
          return json(200, { pendingCommands: pending.splice(0) });
        }
        if (req.url === '/api/executor/ex1/command') {
          statuses.push(JSON.parse(body));
          return json(200, {});
        }
        if (req.url === '/api/executor/ex1/active-strategies') return json(200, []);
        json(404, {});
      });
    });
    await new Promise<void>((r) => fixture.listen(0, '127.0.0.1', () => r()));
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-accounts-platform-'));
    const creds = await openCredentialStore(dir, { preferKeychain: false });
    creds.set('apiKey', API.key);
    creds.set('apiSecret', API.secret);
    const bridgePort = await freePort();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ accounts: { primary: A, platform: B } }));
    const env = {
      MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_ENABLED: 'false', MT5X_NO_KEYCHAIN: '1', MT5X_PRIME_AT_START: 'false',
      MT5X_LOG_LEVEL: 'silent', MT5X_PLATFORM_URL: `http://127.0.0.1:${(fixture.address() as { port: number }).port}`,
    };
    const brokerA = brokerOf(1001, 'Sim-Test'), brokerB = brokerOf(2002, 'Sim Other/2');
    const host = await startHost({ env, out: () => {}, now: () => Math.floor(brokerA.time / 1000) });
    const token = (await openCredentialStore(dir, { preferKeychain: false })).get('bridgeToken')!;
    const sims: SimTerminal[] = [];
    try {
      for (const b of [brokerA, brokerB]) {
        const sim = new SimTerminal({ url: `ws://127.0.0.1:${bridgePort}`, token, broker: b });
        sim.setHistory('EURUSD', 'H1', data, 600);
        b.quote('EURUSD', data.open[600]!, data.open[600]! + 0.0001, data.time[600]! * 1000);
        sims.push(sim);
        await sim.connect();
      }
      await until(() => host.accounts.list().every((a) => a.terminal?.connected), 5000, 'both accounts');
      await until(() => host.platform!.config !== undefined, 5000, 'platform config');
      const run = async (id: string, type: string, parameters: object) => {
        pending.push({ id, type, parameters });
        await host.platform!.heartbeat();
        await until(() => statuses.some((s) => s.commandId === id && (s.status === 'executed' || s.status === 'failed')), 10_000, id);
        return statuses.filter((s) => s.commandId === id).at(-1)!;
      };
      expect(await run('c1', 'START_STRATEGY', strategy)).toMatchObject({ status: 'executed' });
      expect(host.accounts.get(B)!.manager.list()).toMatchObject([{ id: 'ema-cross-trend', status: 'running' }]);
      expect(host.accounts.get(A)!.manager.list()).toEqual([]);
      expect(await run('c2', 'EMERGENCY_STOP', { reason: 'platform test' })).toMatchObject({ status: 'executed' });
      expect(host.accounts.get(B)!.manager.killSwitch.locked(0)).toBe(true);
      expect(host.accounts.get(A)!.manager.killSwitch.locked(0)).toBe(false);
      // its records are in the platform account's state, not the primary's
      expect(host.accounts.get(B)!.store.data.commands.c1).toMatchObject({ status: 'executed' });
      expect(host.accounts.get(A)!.store.data.commands.c1).toBeUndefined();
      const beat = beats.at(-1)!;
      expect(beat.status.accountKey).toBe(B);
      expect(beat.status.accounts.map((a) => [a.key, a.connected])).toEqual([[A, true], [B, true]]);
    } finally {
      for (const s of sims) await s.close();
      await host.stop();
      fixture.closeAllConnections();
      await new Promise((r) => fixture.close(r));
    }
  }, 60_000);
});
