/**
 * The state keeps a bounded history: settled commands, intents and audit entries beyond the retention move to
 * archive/*.jsonl at a compaction (on disk before they leave the state), stay findable by id, and an archived id
 * never counts as new (no second execution). Command statuses and the outbox are journal lines, not rewrites.
 */
import { existsSync, readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PersistentLedger, Store } from '../../src/host/state/store.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mt5x-rel-store-'));

describe('retention and compaction', () => {
  it('2,000 settled commands and intents with a retention of 100: the state keeps 100 of each, the rest is archived and still found', async () => {
    const dir = tmp();
    const store = await Store.open(dir);
    store.retention = { keepMs: 365 * 86_400_000, keepCount: 100, compactEvery: 1_000_000 };
    const ledger = new PersistentLedger(store);
    const now = Date.now();
    for (let i = 0; i < 2000; i++) {
      store.putCommand(`c${i}`, { status: 'executed', at: now - 2000 + i, result: { n: i } });
      const id = `i${i}`;
      void ledger.add({ intentId: id, terminal: 't', intent: { type: 'CLOSE', intentId: id, magic: 1, ticket: 2n ** 64n - 1n - BigInt(i), volume: 0, deviation: 0 }, state: 'pending', createdAt: Math.floor(now / 1000) - 2000 + i, attempts: 0 });
      void ledger.update(id, { state: 'settled' });
      store.audit(now - 2000 + i, 'event', { i });
    }
    void ledger.add({ intentId: 'open-1', terminal: 't', intent: { type: 'CANCEL', intentId: 'open-1', magic: 1, ticket: 5n }, state: 'pending', createdAt: 0, attempts: 0 });
    await store.compact(now);
    expect(Object.keys(store.data.commands)).toHaveLength(100);
    expect(Object.keys(store.data.intents)).toHaveLength(101); // an unsettled intent is never archived
    expect(store.data.intents['open-1']).toBeDefined();
    expect(store.data.audit.length).toBeLessThanOrEqual(200); // audit: the 100 kept plus a few from the backup
    expect(readdirSync(store.archiveDir).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^commands-/), expect.stringMatching(/^intents-/), expect.stringMatching(/^audit-/)]));
    expect(store.findArchived('commands', 'c5')).toMatchObject({ id: 'c5', status: 'executed', result: { n: 5 } });
    // compact JSON, journal emptied
    expect(readFileSync(store.file, 'utf8')).not.toMatch(/\n {2}"/);
    expect(existsSync(store.journalFile) ? readFileSync(store.journalFile, 'utf8') : '').toBe('');
    expect(readdirSync(dir).filter((f) => f.startsWith('ledger'))).toEqual([]); // the sealed segment is in state.json: deleted
    store.close();
    // a new process: the archived ids are known, an archived intent answers from the archive (never sent again)
    const again = await Store.open(dir);
    expect(again.commandArchived('c5')).toBe(true);
    expect(again.commandArchived('c1999')).toBe(false); // still in the state
    const l2 = new PersistentLedger(again);
    const old = l2.get('i3');
    expect(old).toMatchObject({ intentId: 'i3', state: 'settled' });
    expect(old!.intent.type === 'CLOSE' && old!.intent.ticket).toBe(2n ** 64n - 1n - 3n);
    expect(() => l2.add({ intentId: 'i3', terminal: 't', intent: { type: 'CANCEL', intentId: 'i3', magic: 1, ticket: 1n }, state: 'pending', createdAt: 0, attempts: 0 })).toThrow(/already in the ledger/);
  });

  it('a command status and a queued platform status are one journal line each, and survive a restart without a state write', async () => {
    const dir = tmp();
    const store = await Store.open(dir);
    const before = readFileSync(store.file, 'utf8');
    store.putCommand('k1', { status: 'received', at: 1 });
    store.pushOutbox({ commandId: 'k1', status: 'received', at: 'x' });
    store.pushOutbox({ commandId: 'k1', status: 'executing', at: 'y' });
    store.shiftOutbox();
    expect(readFileSync(store.file, 'utf8')).toBe(before); // no whole-state rewrite
    expect(readFileSync(store.journalFile, 'utf8').trim().split('\n')).toHaveLength(4);
    store.close();
    const again = await Store.open(dir);
    expect(again.data.commands.k1).toMatchObject({ status: 'received' });
    expect(again.data.outbox.map((o) => o.status)).toEqual(['executing']);
    // replaying over a state that already holds them changes nothing (a whole-state write may follow a line)
    again.pushOutbox({ commandId: 'k1', status: 'executed', at: 'z' });
    await again.write();
    again.close();
    const third = await Store.open(dir);
    expect(third.data.outbox.map((o) => o.status)).toEqual(['executing', 'executed']);
  });
});
