/**
 * State that never resets silently: a damaged or missing state with no good backup refuses every start until
 * the trader runs `state recover`; wrong shapes give a clear error; a first start has a backup at once; a disk
 * that takes no writes keeps EMERGENCY_STOP working (it acts first and says what it could not record).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { startHost } from '../../src/host/start.js';
import { stateCommand } from '../../src/cli/state.js';
import { JournalCorruptError, Store, StoreCorruptError, StoreMissingError } from '../../src/host/state/store.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { freePort, makeBroker, until } from '../helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mt5x-rel-state-'));

describe('a damaged state never becomes an empty start', () => {
  for (const [what, text] of [['truncated', '{"version":1,"strategies":{'], ['garbage', 'garbage'], ['empty', ''], ['[]', '[]']] as const) {
    it(`${what}, no backup: refused on the first AND the second start, until 'state recover'`, async () => {
      const dir = tmp();
      writeFileSync(join(dir, 'state.json'), text);
      for (let start = 1; start <= 3; start++) {
        const e = await Store.open(dir).catch((x: unknown) => x);
        expect(e, `start ${start}`).toBeInstanceOf(StoreCorruptError);
        expect((e as Error).message).toMatch(/will not start with an empty state.*state recover/);
      }
      expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(text); // untouched, for inspection
      // the explicit choice: an empty state, the damaged file kept aside
      const s = Store.recover(dir, { empty: true });
      expect(s).toMatch(/EMPTY state; kept aside: .*state\.json\.damaged-/);
      const opened = await Store.open(dir);
      expect(Object.keys(opened.data.intents)).toEqual([]);
    });
  }

  it('state.json deleted while backups exist: refused (never an empty start); recover --backup <file> restores', async () => {
    const data = tmp();
    const dir = join(data, 'state');
    const s = await Store.open(dir);
    await s.putStrategy({ id: 'kept', parameters: {}, status: 'running', updatedAt: 1 });
    s.setSafety({ lockedUntil: 2_000_000_000, reason: 'kill switch' });
    await s.write();
    const chosen = s.backup(5, Date.UTC(2024, 0, 1));
    s.close();
    rmSync(join(dir, 'state.json'));
    writeFileSync(join(dir, 'ledger.jsonl'), '');
    for (let i = 0; i < 2; i++) await expect(Store.open(dir)).rejects.toBeInstanceOf(StoreMissingError);
    const lines: string[] = [];
    expect(stateCommand('recover', { dataDir: data }, (t) => lines.push(t), (t) => lines.push(t))).toBe(1);
    expect(lines.join('')).toMatch(/good\s+.*state-2024-01-01/);
    expect(stateCommand('recover', { dataDir: data, backup: chosen }, (t) => lines.push(t), (t) => lines.push(t))).toBe(0);
    const back = await Store.open(dir);
    expect(back.data.safety?.lockedUntil).toBe(2_000_000_000); // the kill-switch lock came back
    expect(Object.keys(back.data.strategies)).toEqual(['kept']);
  });

  it('a first start writes its state and a backup at once', async () => {
    const dir = tmp();
    const s = await Store.open(dir);
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
    expect(readdirSync(s.backupDir).filter((f) => f.startsWith('state-'))).toHaveLength(1);
  });
});

describe('wrong shapes give a clear error, never a bare TypeError', () => {
  const shapes: [string, unknown, RegExp][] = [
    ['strategies as an array', { version: 1, strategies: [], intents: {}, commands: {}, daily: {}, audit: [], outbox: [] }, /"strategies" must be an object, got an array/],
    ['an intent that is null', { version: 1, strategies: {}, intents: { x: null }, commands: {}, daily: {}, audit: [], outbox: [] }, /"intents\.x" is not a ledger entry/],
    ['commands missing', { version: 1, strategies: {}, intents: {}, daily: {}, audit: [], outbox: [] }, /"commands" must be an object/],
    ['audit an object', { version: 1, strategies: {}, intents: {}, commands: {}, daily: {}, audit: {}, outbox: [] }, /"audit" must be an array/],
    ['version 2', { version: 2 }, /"version" is 2, expected 1/],
  ];
  for (const [what, value, re] of shapes) {
    it(what, async () => {
      const dir = tmp();
      writeFileSync(join(dir, 'state.json'), JSON.stringify(value));
      const e = await Store.open(dir).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StoreCorruptError);
      expect((e as Error).message).toMatch(re);
    });
  }

  it('a null journal line is a JournalCorruptError naming the line', async () => {
    const dir = tmp();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ledger.jsonl'), 'null\n');
    const e = await Store.open(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(JournalCorruptError);
    expect((e as Error).message).toMatch(/ledger\.jsonl, line 1: .*expected an object, got null/);
    writeFileSync(join(dir, 'ledger.jsonl'), '{"op":"update","intentId":"a"}\n');
    await expect(Store.open(dir)).rejects.toThrow(/line 1: .*"update" needs intentId and patch/);
  });
});

describe('a disk that takes no writes', () => {
  it('EMERGENCY_STOP still acts (locks, stops, closes) and says what it could not record; an order is refused with a 507, not run', async () => {
    const data = tmp();
    const broker = makeBroker({}, [symbolSpec('EURUSD')]);
    const [bridgePort, apiPort] = [await freePort(), await freePort()];
    const host = await startHost({
      env: { MT5X_DATA_DIR: data, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_PORT: String(apiPort), MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'silent' },
      out: () => {},
      now: () => Math.floor(broker.time / 1000),
    });
    const c = await openCredentialStore(data, { preferKeychain: false });
    const sim = new SimTerminal({ url: `ws://127.0.0.1:${bridgePort}`, token: c.get('bridgeToken')!, broker });
    try {
      const bars = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 1500);
      sim.setHistory('EURUSD', 'H1', bars, 1200);
      broker.quote('EURUSD', bars.open[1200]!, bars.open[1200]! + 0.0001, bars.time[1200]! * 1000);
      await sim.connect();
      await until(() => host.manager.status().terminalConnected === true, 5000, 'terminal');
      const api = async (method: string, path: string, body: unknown) => {
        const r = await fetch(`http://127.0.0.1:${apiPort}${path}`, { method, headers: { authorization: `Bearer ${c.get('apiToken')}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: r.status, body: (await r.json()) as Record<string, unknown> };
      };
      expect((await api('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.01 })).status).toBe(200);
      await until(() => broker.positionList().length === 1, 5000, 'position');
      // the disk stops taking writes (simulated: the tests run as root, so a read-only folder would not stop them —
      // the state's temporary file and the journal are made directories, so every write fails with EISDIR)
      const dir = join(data, 'state');
      host.store.close();
      mkdirSync(join(dir, '.state.json.tmp'));
      rmSync(join(dir, 'ledger.jsonl'));
      mkdirSync(join(dir, 'ledger.jsonl'));
      const order = await api('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.01 });
      expect(order.status).toBe(507);
      expect(order.body.error).toMatch(/state could not be written .*not executed/);
      expect(broker.positionList()).toHaveLength(1);
      const stop = await api('POST', '/emergency-stop', { reason: 'disk test' });
      expect(stop.status).toBe(200);
      expect(stop.body.status).toBe('executed');
      expect((stop.body.notRecorded as string[]).join('\n')).toMatch(/EISDIR/);
      expect(host.manager.status().killSwitch).toMatchObject({ locked: true });
      await until(() => broker.positionList().length === 0, 5000, 'positions closed by the kill switch');
      // the disk takes writes again: the lock is recorded with the next write and survives a restart
      rmSync(join(dir, '.state.json.tmp'), { recursive: true });
      rmSync(join(dir, 'ledger.jsonl'), { recursive: true });
      await sim.close();
      await host.stop();
      const after = await Store.open(dir);
      expect(after.data.safety?.lockedUntil).toBeGreaterThan(Math.floor(broker.time / 1000));
      expect(after.data.safety?.reason).toBe('disk test');
    } finally {
      await sim.close();
      await host.stop();
    }
  }, 30_000);
});
