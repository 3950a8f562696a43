/**
 * The platform down for a long time with a host restart inside: the real host (`dist/mt5-executor.js start`, its
 * default retry policy: 1 s doubling to a 30 s cap, with jitter) and the platform FIXTURE on a fixed port. The
 * platform hands out commands in a heartbeat and goes off the network at once (connections refused), so every
 * status of those commands is made during the outage; the host is killed (kill -9) halfway through and restarted
 * against the dead platform; the platform comes back on the same port. Real time, no scaling: 6 s in `npm test`,
 * 600 s (the 10 minutes) under `npm run fuzz`. Asserted: every status delivered, in order, within 30 s
 * of the platform's return (a retry waits at most the 30 s cap; the slack is the bootstrap and the sends).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { makeBroker, until } from '../helpers.js';
import { hostProcess, type HostProcess } from '../host-process.js';
import { FIXTURE_KEY, FIXTURE_SECRET, PlatformFixture } from './platform-fixture.js';
import { FULL, figure, runs } from './scale.js';

const OUTAGE_S = runs(6, 600);
const CAP_S = 30;

describe('platform outage with a host restart inside', () => {
  let host: HostProcess | undefined;
  const platform = new PlatformFixture();
  afterAll(async () => {
    host?.child()?.kill('SIGKILL');
    await platform.stop();
  });

  it(`${OUTAGE_S} s down, kill -9 and restart at ${OUTAGE_S / 2} s: every status delivered, in order, within ${CAP_S} s of the return`, async () => {
    await platform.start();
    const port = platform.port;
    const h = (host = await hostProcess({ primeAtStart: false, platform: { baseUrl: platform.url, heartbeatSeconds: 5 } }));
    const creds = await openCredentialStore(h.dir, { preferKeychain: false });
    creds.set('apiKey', FIXTURE_KEY);
    creds.set('apiSecret', FIXTURE_SECRET);
    const broker = makeBroker({}, [symbolSpec('EURUSD')]);
    broker.quote('EURUSD', 1.1, 1.1001, Date.UTC(2024, 0, 8, 10));
    await h.start();
    const sim = new SimTerminal({ url: `ws://127.0.0.1:${h.bridgePort}`, token: await h.bridgeToken(), broker, reconnectMinMs: 20, reconnectMaxMs: 100 });
    try {
      await sim.connect();
      await until(() => sim.connected && platform.heartbeats > 0, 20_000, 'terminal and platform connected');
      const ids = ['o-status', 'o-open', 'o-perf', 'o-close-all'];
      platform.commands.push(
        { id: ids[0]!, type: 'STATUS_REQUEST', parameters: {} },
        { id: ids[1]!, type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: 'BUY', volume: 0.01 } },
        { id: ids[2]!, type: 'PERFORMANCE_REQUEST', parameters: {} },
        { id: ids[3]!, type: 'CLOSE_ALL', parameters: { symbol: 'EURUSD' } },
      );
      platform.downAfterHeartbeat = true; // the next heartbeat (≤ 5 s) hands them out, then the platform is gone
      await until(() => platform.heartbeats > 1, 20_000, 'the heartbeat that hands the commands out');
      const down = performance.now();
      await until(() => broker.positionList().length > 0 || broker.deals().length > 0, 20_000, 'the order executed during the outage');
      expect(platform.statuses).toEqual([]);
      // halfway: kill -9, restart against the dead platform
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_S * 500 - (performance.now() - down))));
      await h.kill9();
      await h.start();
      await until(() => sim.connected, 20_000, 'terminal reconnected');
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_S * 1000 - (performance.now() - down))));
      expect(platform.statuses).toEqual([]); // nothing got through while it was down
      await platform.start(port);
      const back = performance.now();
      await until(() => ids.every((id) => platform.final(id)), (CAP_S + 30) * 1000, 'every final status');
      const deliveredAfterS = (Math.max(...ids.map((id) => platform.finalAt.get(id)!)) - back) / 1000;
      for (const id of ids) {
        const seen = platform.statuses.filter((s) => s.commandId === id).map((s) => s.status);
        expect(seen, id).toEqual(['received', 'executing', 'executed']);
      }
      figure('platform-outage', { outageSeconds: Math.round((back - down) / 1000), hostRestartAtSeconds: OUTAGE_S / 2, statuses: platform.statuses.length, lastStatusDeliveredSecondsAfterReturn: Math.round(deliveredAfterS * 10) / 10 });
      expect(deliveredAfterS).toBeLessThanOrEqual(CAP_S);
    } finally {
      await sim.close();
    }
  }, FULL ? 1_200_000 : 120_000);
});
