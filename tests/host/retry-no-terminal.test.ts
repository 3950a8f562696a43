/**
 * A command refused because no terminal was connected ran nothing: the trader's retry under the same
 * Idempotency-Key (the local API) executes once a terminal is there; the platform's repeated delivery of it does
 * not (an order the trader saw fail must not execute later by itself).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intentIdFor } from '../../src/engine/ids.js';
import { CommandProcessor } from '../../src/host/platform/commands.js';
import { silentLogger } from '../../src/host/logger.js';
import { StrategyManager } from '../../src/host/trading/manager.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { makeBroker, startRig, until } from '../helpers.js';

/** A fresh store with its persistent ledger, a rig for terminals over it, and a broker quoting EURUSD. */
async function world(prefix: string) {
  const store = await Store.open(mkdtempSync(join(tmpdir(), prefix)));
  const rig = await startRig({ ledger: new PersistentLedger(store) });
  const broker = makeBroker();
  broker.quote('EURUSD', 1.1, 1.1001, Date.UTC(2024, 0, 8, 10));
  return { store, rig, broker };
}

/** The host's manager over `store`, on the broker's clock. */
const managerOf = (store: Store, broker: ReturnType<typeof makeBroker>) => new StrategyManager(store, silentLogger, { now: () => Math.floor(broker.time / 1000) });

describe('a command that failed for want of a terminal', () => {
  it("is executed by the trader's retry under the same key once the terminal is connected, never by the platform's re-delivery", async () => {
    const { store, rig, broker } = await world('mt5x-retry-');
    const mgr = managerOf(store, broker);
    const proc = new CommandProcessor(mgr, store, () => {}, silentLogger, undefined, { terminalWaitMs: 300 });
    const open = (id: string) => ({ id, type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: 'BUY', volume: 0.1, sl: 0, tp: 0 } });
    try {
      expect(await proc.handle(open('key-1'), 'api')).toMatchObject({ status: 'failed', code: 'NO_TERMINAL' });
      // the platform's order waits for a terminal (terminalWaitMs), then fails
      const t0 = Date.now();
      expect(await proc.handle(open('key-2'), 'heartbeat')).toMatchObject({ status: 'failed', code: 'NO_TERMINAL' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      const { terminal } = await rig.connect({ broker });
      mgr.attach(terminal);
      await until(() => terminal.connected, 5000, 'connected');
      // the platform's re-delivery: the failure again, nothing sent
      expect(await proc.handle(open('key-2'), 'heartbeat')).toMatchObject({ status: 'failed', code: 'NO_TERMINAL', replayed: true });
      expect(broker.positionList().length).toBe(0);
      // the trader's retry: executed, once
      expect(await proc.handle(open('key-1'), 'api')).toMatchObject({ status: 'executed' });
      expect(await proc.handle(open('key-1'), 'api')).toMatchObject({ status: 'executed', replayed: true });
      expect(broker.positionList().length).toBe(1);
    } finally {
      await rig.close();
    }
  });

  it("a platform's order delivered before the terminal is back (a host restart) waits for it and executes once; so does one a previous run left unfinished", async () => {
    const { store, rig, broker } = await world('mt5x-wait-');
    const mgr = managerOf(store, broker);
    const statuses: string[] = [];
    const proc = new CommandProcessor(mgr, store, (u) => statuses.push(`${u.commandId}:${u.status}`), silentLogger, undefined, { terminalWaitMs: 10_000 });
    const open = (id: string) => ({ id, type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: 'BUY', volume: 0.1, sl: 0, tp: 0 } });
    try {
      // one a previous run left 'executing' (it died before the order went out)
      store.putCommand('left-1', { status: 'executing', at: Date.now() });
      const delivered = proc.handle(open('plat-1'), 'heartbeat');
      const finished = proc.handle(open('left-1'), 'api');
      // a second delivery meanwhile runs nothing
      expect(await proc.handle(open('plat-1'), 'heartbeat')).toMatchObject({ replayed: true });
      await new Promise((r) => setTimeout(r, 400));
      expect(statuses).not.toContain('plat-1:failed');
      expect(broker.positionList().length).toBe(0);
      const { terminal } = await rig.connect({ broker });
      mgr.attach(terminal);
      expect(await delivered).toMatchObject({ status: 'executed' });
      expect(await finished).toMatchObject({ status: 'executed' });
      expect(broker.positionList().length).toBe(2);
      expect(statuses.filter((s) => s.startsWith('plat-1:'))).toEqual(['plat-1:received', 'plat-1:executing', 'plat-1:executed']);
    } finally {
      await rig.close();
    }
  });

  it("a waiting OPEN released by the connection is checked against that session's positions (a restarted host knows none yet)", async () => {
    const { rig, broker } = await world('mt5x-wait-limits-');
    // the position a previous run opened: at the broker, not (yet) in this fresh host's mirror
    const first = await rig.connect({ broker });
    expect((await first.terminal.sendIntent({ type: 'OPEN', intentId: 'ix-before', magic: 0, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 })).class).toBe('done');
    await rig.close();
    const store2 = await Store.open(mkdtempSync(join(tmpdir(), 'mt5x-wait-limits-')));
    const rig2 = await startRig({ ledger: new PersistentLedger(store2) });
    const mgr = managerOf(store2, broker);
    mgr.setLimits({ maxPositionsAccount: 1 });
    const proc = new CommandProcessor(mgr, store2, () => {}, silentLogger, undefined, { terminalWaitMs: 10_000 });
    try {
      const delivered = proc.handle({ id: 'plat-lim', type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: 'BUY', volume: 0.1 } }, 'heartbeat');
      await new Promise((r) => setTimeout(r, 100));
      const { terminal } = await rig2.connect({ broker });
      mgr.attach(terminal);
      const out = await delivered;
      expect(out).toMatchObject({ status: 'failed', code: 'LOCKED' });
      expect(out.error).toMatch(/MAX_POSITIONS_ACCOUNT/);
      expect(broker.positionList().length).toBe(1);
    } finally {
      await rig2.close();
    }
  });

  it('an order a previous run left unsent is not sent minutes later; a host that stops while an order waits leaves it executing', async () => {
    const { store, rig, broker } = await world('mt5x-stale-');
    const mgr = managerOf(store, broker);
    const reports: string[] = [];
    const proc = new CommandProcessor(mgr, store, (u) => reports.push(`${u.commandId}:${u.status}`), silentLogger, undefined, { terminalWaitMs: 10_000 });
    const open = (id: string) => ({ id, type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: 'BUY', volume: 0.1 } });
    try {
      // the host stops while a platform order waits for the terminal: nothing sent, nothing failed, still executing
      const waiting = proc.handle(open('plat-stop'), 'heartbeat');
      await new Promise((r) => setTimeout(r, 100));
      mgr.stopWaiting();
      expect(await waiting).toMatchObject({ status: 'executing' });
      expect(store.command('plat-stop')?.status).toBe('executing');
      expect(reports).not.toContain('plat-stop:failed');
      // left three minutes ago (before it was sent): stale, refused, nothing sent
      store.putCommand('left-old', { status: 'executing', at: Date.now() - 180_000 });
      const { terminal } = await rig.connect({ broker });
      mgr.attach(terminal);
      const stale = await proc.handle(open('left-old'), 'heartbeat');
      expect(stale).toMatchObject({ status: 'failed', code: 'STATE' });
      expect(stale.error).toMatch(/^not executed: the host stopped before this order was sent, 1[89]\d s ago/);
      // the one left a moment ago runs
      expect(await proc.handle(open('plat-stop'), 'heartbeat')).toMatchObject({ status: 'executed' });
      expect(broker.positionList().length).toBe(1);
    } finally {
      await rig.close();
    }
  });

  it("an OPEN whose session's positions cannot be read is not sent (NO_TERMINAL, never a TIMEOUT read as the intent's); one lost snapshot is asked again", async () => {
    const { store, rig, broker } = await world('mt5x-state-lost-');
    const mgr = managerOf(store, broker);
    const proc = new CommandProcessor(mgr, store, () => {}, silentLogger);
    const open = (id: string) => ({ id, type: 'OPEN_POSITION', parameters: { symbol: 'EURUSD', side: 'BUY', volume: 0.1 } });
    // every SNAPSHOT of this session lost from the start (the host's own at the connection among them): the host
    // has no position list of this session
    const sim = new SimTerminal({ url: rig.url, token: rig.token, broker, reconnect: false });
    sim.ignoreSnapshots = 3;
    try {
      await sim.connect();
      const terminal = rig.server.terminal('1001@Sim-Test');
      await until(() => terminal.connected, 5000, 'connected');
      mgr.attach(terminal);
      // both of the order's asks lost: refused, nothing sent
      await until(() => sim.ignoreSnapshots === 2, 5000, "the connection's own snapshot asked (and lost)");
      const out = await proc.handle(open('lost-2'), 'api');
      expect(out).toMatchObject({ status: 'failed', code: 'NO_TERMINAL' });
      expect(out.error).toMatch(/^the terminal's open positions could not be read since it connected \(.*\): the order was not sent/);
      expect(broker.positionList().length).toBe(0);
      expect(store.intent(intentIdFor('cmd', 'lost-2'))).toBeUndefined();
      // one ask lost: the second brings the list, and the order goes
      sim.ignoreSnapshots = 1;
      expect(await proc.handle(open('lost-1'), 'api')).toMatchObject({ status: 'executed' });
      expect(broker.positionList().length).toBe(1);
    } finally {
      await sim.close();
      await rig.close();
    }
  }, 30_000);
});
