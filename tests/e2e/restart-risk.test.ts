/**
 * The trading core's risk state across a kill -9: the real CLI bundle as the host (built by global-setup), the
 * simulated terminal in this process (it survives the host's death and reconnects, as MT5 does).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimTerminal } from '../../src/sim/terminal.js';
import { makeBroker, until } from '../helpers.js';
import { hostProcess, type HostProcess } from '../host-process.js';

describe('risk state survives a restart', () => {
  let host: HostProcess | undefined;
  afterAll(() => void host?.child()?.kill('SIGKILL'));

  it('daily loss breached, kill -9, restart on the same broker day: still blocked; the next broker day: allowed; the kill-switch lock survives', async () => {
    const h = (host = await hostProcess({ primeAtStart: false }));
    const { call, kill9 } = h;
    const spawnHost = () => h.start();
    const health = () => h.health();
    const dir = h.dir;
    await spawnHost();
    const broker = makeBroker();
    const monday = Date.UTC(2024, 0, 8, 10);
    broker.quote('EURUSD', 1.1, 1.1001, monday);
    const bridgeToken = await h.bridgeToken();
    const sim = new SimTerminal({ url: `ws://127.0.0.1:${h.bridgePort}`, token: bridgeToken, broker, reconnectMinMs: 20, reconnectMaxMs: 100 });
    await sim.connect();
    const terminalUp = async () => {
      await until(() => sim.connected, 15_000, 'terminal connected');
      const end = Date.now() + 15_000;
      while (!(await health()).terminalConnected) {
        if (Date.now() > end) throw new Error('the host never saw the terminal');
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      await terminalUp();
      expect((await call('PUT', '/risk-limits', { maxDailyLossPercent: 1, maxLot: 10, maxPositionsAccount: 100, maxPositionsSymbol: 100, maxPositionsStrategy: 100 })).status).toBe(200);
      // the day's first account report: the baseline 10,000
      sim.quote('EURUSD', 1.1, 1.1001, monday + 60_000);
      sim.barClosed('EURUSD', 'H1', [monday / 1000 - 3600, 1.1, 1.1, 1.1, 1.1, 1, 10, 0]);
      // a 1-lot buy, the price falls 30 pips, closed: −300 and more, 3 % of the day's start
      const open = await call('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 1 });
      expect(open.status, JSON.stringify(open.body)).toBe(200);
      sim.quote('EURUSD', 1.097, 1.0971, monday + 120_000);
      const closed = await call('POST', `/positions/${open.body.result!.ticket}/close`, {});
      expect(closed.status, JSON.stringify(closed.body)).toBe(200);
      expect(broker.balance).toBeLessThan(9_710);
      const refused = await call('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.1 });
      expect(refused.status).toBe(423);
      expect(refused.body.error).toMatch(/DAILY_LOSS_PERCENT: today's loss 3\.\d+ % has reached the limit 1 %/);
      expect(existsSync(join(dir, 'state', 'core-state.json'))).toBe(true);
      // written by change: the loss's changes are deltas after the whole state (core-state-file.ts)
      const lines = join(dir, 'state', 'core-state.jsonl');
      await until(() => existsSync(lines) && readFileSync(lines, 'utf8').includes('"dayStartBalance"'), 5_000, 'deltas written');

      // kill -9 and restart on the same broker day: the baseline comes back, the order is still refused
      await kill9();
      await spawnHost();
      await terminalUp();
      sim.quote('EURUSD', 1.097, 1.0971, monday + 180_000);
      const again = await call('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.1 });
      expect(again.status, JSON.stringify(again.body)).toBe(423);
      expect(again.body.error).toMatch(/DAILY_LOSS_PERCENT/);

      // the next broker day starts from its own balance
      const tuesday = monday + 86_400_000;
      sim.quote('EURUSD', 1.097, 1.0971, tuesday);
      sim.barClosed('EURUSD', 'H1', [tuesday / 1000 - 3600, 1.097, 1.097, 1.097, 1.097, 1, 10, 0]);
      await until(() => true);
      await new Promise((r) => setTimeout(r, 100));
      const allowed = await call('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.1 });
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);

      // the kill switch's lock survives a kill -9 too
      expect((await call('POST', '/emergency-stop', { reason: 'test', lockMinutes: 60 })).status).toBe(200);
      await kill9();
      await spawnHost();
      await terminalUp();
      const locked = await call('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.1 });
      expect(locked.status).toBe(423);
      expect(locked.body.error).toMatch(/KILL_SWITCH/);
    } finally {
      await sim.close();
    }
  }, 90_000);
});
