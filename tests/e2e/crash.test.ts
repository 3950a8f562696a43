/**
 * The host killed with SIGKILL in the middle of a burst of orders, then restarted: no order executes twice,
 * none is lost, and the ledger agrees with the terminal. The host is the real CLI bundle in a child process
 * (built by tests/global-setup.ts); the simulated MT5 terminal lives in this process, so it (like a real
 * terminal) survives the host's death and reconnects to the new one.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandProcessor } from '../../src/host/platform/commands.js';
import { silentLogger } from '../../src/host/logger.js';
import { StrategyManager } from '../../src/host/trading/manager.js';
import type { CommandStatusUpdate } from '../../src/host/platform/contract.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import { intentComment } from '../../src/sim/ea-logic.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { makeBroker, startRig, until } from '../helpers.js';
import { hostProcess, type HostProcess } from '../host-process.js';

const ORDERS_PER_ROUND = 24;
/** The moments of the kill: when the terminal receives this intent of the round (0: 3 ms into the burst). */
const KILL_AFTER = [0, 7, 16];

describe('crash during a burst of intents', () => {
  let host: HostProcess | undefined;
  afterAll(() => void host?.child()?.kill('SIGKILL'));

  it('SIGKILL at three moments of a burst, restart, client retries: every order exactly once, ledger == terminal', async () => {
    const h = (host = await hostProcess());
    const { dir } = h;
    const spawnHost = () => h.start();
    const call = (method: string, path: string, body: unknown, key?: string) => h.call(method, path, body, key);
    const terminalUp = async () => {
      await until(() => sim.connected, 15_000, 'terminal reconnect');
      const end = Date.now() + 15_000;
      while (Date.now() < end) {
        if ((await h.health()).terminalConnected) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('the host never saw the terminal');
    };

    await spawnHost();
    const broker = makeBroker({}, [symbolSpec('EURUSD')]);
    broker.quote('EURUSD', 1.1, 1.1001, Date.UTC(2024, 0, 8, 10));
    const bridgeToken = await h.bridgeToken();
    const sim = new SimTerminal({ url: `ws://127.0.0.1:${h.bridgePort}`, token: bridgeToken, broker, reconnectMinMs: 20, reconnectMaxMs: 100 });
    await sim.connect();
    await terminalUp();
    const limits = await call('PUT', '/risk-limits', { maxPositionsAccount: 1000, maxPositionsSymbol: 1000, maxPositionsStrategy: 1000, maxCorrelatedLots: 1000, maxLot: 1 });
    expect(limits.status).toBe(200);

    const keys: string[] = [];
    const killedMidway: number[] = [];
    try {
      for (const [round, killAfter] of KILL_AFTER.entries()) {
        const roundKeys = Array.from({ length: ORDERS_PER_ROUND }, (_, i) => `crash-${round}-${i}`);
        keys.push(...roundKeys);
        let received = 0;
        const victim = h.child()!;
        const exited = new Promise<void>((res) => victim.once('exit', () => res()));
        const kill = () => victim.kill('SIGKILL');
        const onIntent = () => {
          if (++received === killAfter) kill(); // the terminal executes this one; its result goes to a dead host
        };
        sim.on('intent', onIntent);
        if (killAfter === 0) setTimeout(kill, 3);
        const burst = roundKeys.map((k, i) =>
          call('POST', '/orders', { symbol: 'EURUSD', side: i % 2 ? 'SELL' : 'BUY', volume: 0.01 }, k).catch(() => undefined), // undefined: the host died under it
        );
        const first = await Promise.all(burst);
        await exited;
        sim.off('intent', onIntent);
        killedMidway.push(first.filter((r) => r === undefined).length);
        // restart; the terminal reconnects by itself; the client retries every order with its key
        await spawnHost();
        await terminalUp();
        const retry = await Promise.all(roundKeys.map((k, i) => call('POST', '/orders', { symbol: 'EURUSD', side: i % 2 ? 'SELL' : 'BUY', volume: 0.01 }, k)));
        for (const [i, r] of retry.entries()) {
          expect(r.status, `${roundKeys[i]}: ${JSON.stringify(r.body)}`).toBe(200);
          expect(r.body.status).toBe('executed');
          // the answer is the same as the first run's where that one arrived
          const before = first[i];
          if (before?.status === 200) expect(r.body.result?.ticket).toBe(before.body.result?.ticket);
        }
      }
      // the kill landed mid-burst every time: some requests died with the host
      expect(killedMidway.every((n) => n > 0), `requests that died with the host per round: ${killedMidway.join(', ')}`).toBe(true);

      // exactly once: one position per order key, no order twice
      const positions = broker.positionList();
      expect(positions.length).toBe(keys.length);
      const comments = positions.map((p) => p.comment);
      expect(new Set(comments).size).toBe(comments.length);
      expect(broker.deals().filter((d) => d.entry === 0 && d.symbol === 'EURUSD').length).toBe(keys.length);

      // ledger == terminal
      h.child()!.kill('SIGTERM');
      await new Promise((r) => h.child()!.once('exit', r));
      const state = JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8')) as {
        intents: Record<string, { state: string; intent: { type: string }; result?: { position?: { $bigint: string } } }>;
      };
      const opens = Object.entries(state.intents).filter(([, e]) => e.intent.type === 'OPEN');
      expect(opens.length).toBe(keys.length);
      expect(opens.every(([, e]) => e.state === 'settled')).toBe(true);
      const ledgerTickets = new Set(opens.map(([, e]) => e.result?.position?.$bigint));
      expect(ledgerTickets).toEqual(new Set(positions.map((p) => p.ticket.toString())));
      expect(new Set(opens.map(([id]) => intentComment(id)))).toEqual(new Set(comments));
    } finally {
      await sim.close();
    }
  }, 90_000);
});

describe('an intent whose result does not come in time', () => {
  it('keeps the command executing (never "failed") and finishes it when the reconciliation settles the intent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-timeout-'));
    const store = await Store.open(dir);
    const rig = await startRig({ ledger: new PersistentLedger(store), symbols: [], bars: [], intentTimeoutMs: 150 });
    const broker = makeBroker({}, [symbolSpec('EURUSD')]);
    broker.quote('EURUSD', 1.1, 1.1001, Date.UTC(2024, 0, 8, 10));
    const { sim, terminal } = await rig.connect({ broker, reconnectMinMs: 600, reconnectMaxMs: 600 });
    try {
      const mgr = new StrategyManager(store, silentLogger, { now: () => Math.floor(broker.time / 1000) });
      mgr.attach(terminal);
      const reports: CommandStatusUpdate[] = [];
      const proc = new CommandProcessor(mgr, store, (u) => reports.push(u), silentLogger);
      sim.loseResults = 1; // executed at the broker; the connection drops before the result is sent
      const t0 = Date.now();
      const out = await proc.handle({ id: 'slow-1', type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: 'BUY', volume: 0.03 } }, 'api');
      expect(Date.now() - t0).toBeGreaterThan(500); // it outlived the 150 ms wait and the 600 ms reconnection
      expect(out).toMatchObject({ status: 'executed', result: { class: 'done', volume: 0.03 } });
      expect(reports.map((r) => r.status)).toEqual(['received', 'executing', 'executed']);
      expect(broker.positionList().length).toBe(1);
      expect((out.result as { ticket: string }).ticket).toBe(broker.positionList()[0]!.ticket.toString());
    } finally {
      await rig.close();
    }
  });
});
