/**
 * kill -9 at random moments (seeded) while the real host (`dist/mt5-executor.js start`) executes three kinds of
 * orders at once: API orders (a burst, retried by the client with their Idempotency-Key after the restart), a
 * strategy's intents (one per closed bar) and platform commands (handed out by heartbeat by the platform FIXTURE,
 * again until a final status arrives). The simulated terminal lives in this process and survives every kill, as
 * MT5 does. At the end: no order executed twice, none lost, every order answered, ledger = terminal, and the
 * risk limits set before the first kill still in force. Small in `npm test`, ≥ 100 kills under `npm run fuzz`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { intentComment } from '../../src/sim/ea-logic.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { makeBroker, until } from '../helpers.js';
import { hostProcess, type HostProcess } from '../host-process.js';
import { FIXTURE_KEY, FIXTURE_SECRET, PlatformFixture } from './platform-fixture.js';
import { FULL, figure, rng, runs } from './scale.js';

const KILLS = runs(3, 100);
const API_PER_ROUND = 6;
const PLATFORM_PER_ROUND = 2;
const BARS_PER_ROUND = 3;
/** The kill lands this long after the round's burst starts, at random: 0–KILL_WINDOW_MS. */
const KILL_WINDOW_MS = 1200;

/** Opens a 0.01-lot BUY on every closed bar (price > 0), up to 10,000 open at once. */
const everyBar = {
  strategyId: 'every-bar', symbol: 'EURUSD', timeframe: 'H1',
  rules: { entry: { direction: 'BUY', logic: 'AND', conditions: [{ indicator: 'price', condition: 'greater_than', value: 0 }] }, riskManagement: { lotSize: 0.01, maxPositions: 10_000 } },
};

describe('kill -9 at random moments across API orders, strategy intents and platform commands', () => {
  let host: HostProcess | undefined;
  const platform = new PlatformFixture();
  afterAll(async () => {
    host?.child()?.kill('SIGKILL');
    await platform.stop();
  });

  it(`${KILLS} kills: 0 duplicates, 0 lost, every order answered, ledger = terminal, risk limits intact`, async () => {
    const random = rng();
    await platform.start();
    const h = (host = await hostProcess({ primeAtStart: false, platform: { baseUrl: platform.url, heartbeatSeconds: 5 } }));
    const creds = await openCredentialStore(h.dir, { preferKeychain: false });
    creds.set('apiKey', FIXTURE_KEY);
    creds.set('apiSecret', FIXTURE_SECRET);

    const data = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 4000);
    const broker = makeBroker({ account: { login: 1001, server: 'Sim-Test', currency: 'USD', leverage: 500, marginMode: 2, balance: 10_000_000 } }, [symbolSpec('EURUSD')]);
    let bar = 1100;
    const quoteAt = (i: number) => broker.quote('EURUSD', data.close[i]!, data.close[i]! + 0.0001, (data.time[i]! + 3600) * 1000);
    quoteAt(bar - 1);
    const platformIds: string[] = [];
    const queuePlatform = (round: number) => {
      for (let i = 0; i < PLATFORM_PER_ROUND; i++) {
        const id = `plat-${round}-${i}`;
        platformIds.push(id);
        platform.commands.push({ id, type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: i % 2 ? 'SELL' : 'BUY', volume: 0.01 } });
      }
    };

    await h.start();
    const sim = new SimTerminal({ url: `ws://127.0.0.1:${h.bridgePort}`, token: await h.bridgeToken(), broker, reconnectMinMs: 20, reconnectMaxMs: 100 });
    sim.setHistory('EURUSD', 'H1', data, bar);
    const terminalUp = async () => {
      await until(() => sim.connected, 20_000, 'terminal reconnect');
      const end = Date.now() + 20_000;
      while (!(await h.health()).terminalConnected) {
        if (Date.now() > end) throw new Error('the host never saw the terminal');
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      await sim.connect();
      await terminalUp();
      // the limits the kills must not lose (maxLot 0.5: an order of 0.6 is refused at the end)
      const limits = { maxLot: 0.5, maxPositionsAccount: 10_000, maxPositionsSymbol: 10_000, maxPositionsStrategy: 10_000, maxCorrelatedLots: 1e6, maxDailyLossPercent: 100, maxDrawdownPercent: 100 };
      expect((await h.call('PUT', '/risk-limits', limits)).status).toBe(200);
      const started = await h.call('POST', '/strategies', everyBar);
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      await until(() => true);

      const apiKeys: string[] = [];
      const diedWithHost: number[] = [];
      const moments: number[] = [];
      for (let round = 0; round < KILLS; round++) {
        const keys = Array.from({ length: API_PER_ROUND }, (_, i) => `k-${round}-${i}`);
        apiKeys.push(...keys);
        const order = (k: string, i: number) => h.call('POST', '/orders', { symbol: 'EURUSD', side: i % 2 ? 'SELL' : 'BUY', volume: 0.01 }, k);
        const victim = h.child()!;
        const exited = new Promise<void>((res) => victim.once('exit', () => res()));
        const at = Math.floor(random() * KILL_WINDOW_MS);
        moments.push(at);
        const killer = setTimeout(() => victim.kill('SIGKILL'), at);
        // the burst: API orders, and closed bars (each one a strategy intent) in between
        const burst = keys.map((k, i) => order(k, i).catch(() => undefined)); // undefined: the host died under it
        for (let b = 0; b < BARS_PER_ROUND; b++) {
          // not a bar whose close falls while the market is closed (Friday 23:00 → Saturday): an order then is
          // refused MARKET_CLOSED, rightly — the 100-kill run met one at its 67th round
          quoteAt(bar);
          while (!broker.sessionOpen('EURUSD')) quoteAt(++bar);
          sim.setHistory('EURUSD', 'H1', data, bar + 1);
          sim.barClosed('EURUSD', 'H1', [data.time[bar]!, data.open[bar]!, data.high[bar]!, data.low[bar]!, data.close[bar]!, data.tickVolume[bar]!, 10, 0]);
          bar++;
          await new Promise((r) => setTimeout(r, random() * 300));
        }
        const first = await Promise.all(burst);
        await exited;
        clearTimeout(killer);
        diedWithHost.push(first.filter((r) => r === undefined).length);
        // the next round's platform commands wait at the platform; the restart's first heartbeat takes them
        // (with any of this round's the host had not finished)
        queuePlatform(round);
        await h.start();
        await terminalUp();
        const retry = await Promise.all(keys.map((k, i) => order(k, i)));
        for (const [i, r] of retry.entries()) {
          expect(r.status, `${keys[i]}: ${JSON.stringify(r.body)}`).toBe(200);
          expect(r.body.status).toBe('executed');
          if (first[i]?.status === 200) expect(r.body.result?.ticket).toBe(first[i]!.body.result?.ticket);
        }
        if (round % 10 === 9) figure('kill-9-progress', { kills: round + 1, positions: broker.positionList().length, duplicates: broker.positionList().length - new Set(broker.positionList().map((p) => p.comment)).size });
      }
      // every platform command answered (handed out again until it is)
      await until(() => platformIds.every((id) => platform.final(id)), 60_000, 'a final status for every platform command');
      const platformFailed = platformIds.filter((id) => platform.final(id)!.status !== 'executed').map((id) => `${id}: ${platform.final(id)!.error}`);
      expect(platformFailed).toEqual([]);
      // no strategy intent left pending: the host settles every one (reconciled after each restart)
      const stateFile = join(h.dir, 'state', 'state.json');
      // the risk limits survived every kill
      const over = await h.call('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.6 });
      expect(over.status).toBe(423);
      expect(over.body.error).toMatch(/MAX_LOT/);
      await h.stop(); // a clean stop writes state.json whole, with the journal applied
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
        intents: Record<string, { state: string; intent: { type: string }; result?: { position?: { $bigint: string } } }>;
      };
      const opens = Object.entries(state.intents).filter(([, e]) => e.intent.type === 'OPEN');
      const unsettled = opens.filter(([, e]) => e.state !== 'settled').map(([id, e]) => `${id}: ${e.state}`);
      expect(unsettled).toEqual([]);
      const strategyIntents = opens.filter(([id]) => !id.startsWith('cmd-')).length;

      // exactly once, ledger = terminal
      const positions = broker.positionList();
      const comments = positions.map((p) => p.comment);
      const duplicates = comments.length - new Set(comments).size;
      const filled = opens.filter(([, e]) => e.result?.position);
      expect(duplicates).toBe(0);
      expect(new Set(filled.map(([, e]) => e.result!.position!.$bigint))).toEqual(new Set(positions.map((p) => p.ticket.toString())));
      expect(new Set(filled.map(([id]) => intentComment(id)))).toEqual(new Set(comments));
      expect(broker.deals().filter((d) => d.entry === 0).length).toBe(positions.length);
      // every API order and platform command has its one position; the strategy traded in between
      const apiAndPlatform = apiKeys.length + platformIds.length;
      expect(positions.length).toBeGreaterThanOrEqual(apiAndPlatform);
      expect(positions.length - apiAndPlatform).toBeGreaterThan(0);
      expect(diedWithHost.some((n) => n > 0), 'some requests died with the host').toBe(true);
      figure('kill-9', {
        kills: KILLS, killMomentsMs: FULL ? `${Math.min(...moments)}–${Math.max(...moments)}` : moments.join(','), apiOrders: apiKeys.length, platformCommands: platformIds.length,
        strategyIntents, positions: positions.length, requestsThatDiedWithTheHost: diedWithHost.reduce((a, b) => a + b, 0), duplicates, lost: unsettled.length + platformFailed.length,
      });
    } finally {
      await sim.close();
    }
  }, FULL ? 3_600_000 : 120_000);
});
