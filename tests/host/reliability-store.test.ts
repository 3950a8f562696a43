/**
 * The state keeps a bounded history: settled commands, intents and audit entries beyond the retention move to
 * archive/*.jsonl at a compaction (on disk before they leave the state), stay findable by id, and an archived id
 * never counts as new (no second execution). Command statuses and the outbox are journal lines, not rewrites.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The folder as a killed process would leave it. The compaction's last step (the temp file renamed over state.json)
 * runs on libuv's threads and can land while the folder is being copied (a file listed, gone when it is read): then
 * the copy is made again — a kill happens between two file operations, never inside the copy of a folder.
 */
function crashCopy(dir: string, copy: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      cpSync(dir, copy, { recursive: true });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 5) throw e;
      rmSync(copy, { recursive: true, force: true });
    }
  }
}

describe('compaction while the host runs', () => {
  it('yields to the event loop, loses nothing written meanwhile, and a crash at any turn of it comes back whole', async () => {
    const dir = tmp();
    const store = await Store.open(dir);
    store.retention = { keepMs: 365 * 86_400_000, keepCount: 100, compactEvery: 1_000_000 };
    const ledger = new PersistentLedger(store);
    const now = Date.now();
    const settle = (id: string) => {
      void ledger.add({ intentId: id, terminal: 't', intent: { type: 'CANCEL', intentId: id, magic: 1, ticket: 7n }, state: 'pending', createdAt: Math.floor(now / 1000), attempts: 0 });
      void ledger.update(id, { state: 'settled' });
    };
    for (let i = 0; i < 1500; i++) {
      store.putCommand(`c${i}`, { status: 'executed', at: now - 5000 + i, result: { n: i } });
      settle(`i${i}`);
    }
    // a crash at each turn of the event loop during the compaction: the folder as it is on disk is copied (what a
    // killed process leaves), and a change is made that the next copy must hold
    const copies: string[] = [];
    let done = false;
    const compaction = store.compact(now).then(() => (done = true));
    for (let k = 0; !done; k++) {
      const copy = join(dir, '..', `${dir.split(/[\\/]/).pop()}-crash-${k}`);
      crashCopy(dir, copy);
      copies.push(copy);
      store.putCommand(`during-${k}`, { status: 'executed', at: now });
      settle(`during-i-${k}`);
      store.audit(now, 'during', { k });
      store.setSafety({ lockedUntil: k + 1, reason: `turn ${k}` });
      await new Promise((r) => setImmediate(r));
    }
    await compaction;
    expect(copies.length).toBeGreaterThan(3); // it did not hold the loop for the whole compaction
    store.close();
    const check = async (d: string, turns: number) => {
      const s = await Store.open(d);
      const l = new PersistentLedger(s);
      for (let i = 0; i < 1500; i += 7) {
        expect(s.command(`c${i}`) ?? s.findArchived('commands', `c${i}`), `${d}: c${i}`).toMatchObject({ status: 'executed' });
        expect(l.get(`i${i}`)?.state, `${d}: i${i}`).toBe('settled');
      }
      for (let k = 0; k < turns; k++) {
        expect(s.command(`during-${k}`) ?? s.findArchived('commands', `during-${k}`), `${d}: during-${k}`).toBeDefined();
        expect(l.get(`during-i-${k}`)?.state, `${d}: during-i-${k}`).toBe('settled');
      }
      expect(s.safety?.lockedUntil ?? 0).toBe(turns);
      const audit = s.auditBetween(0, now + 1).filter((a) => a.event === 'during');
      expect(audit.map((a) => (a.detail as { k: number }).k)).toEqual([...Array(turns).keys()]); // each once, in order
      s.close();
    };
    for (const [k, copy] of copies.entries()) await check(copy, k);
    await check(dir, copies.length);
  }, 120_000);
});

describe('archived ids: exact, from disk', () => {
  it('every archived id is found after a restart and no new id is taken for archived, with a torn index line in between', async () => {
    const dir = tmp();
    const store = await Store.open(dir);
    store.retention = { keepMs: 365 * 86_400_000, keepCount: 0, compactEvery: 1_000_000 };
    const ledger = new PersistentLedger(store);
    const add = (id: string) => {
      void ledger.add({ intentId: id, terminal: 't', intent: { type: 'CANCEL', intentId: id, magic: 1, ticket: 9n }, state: 'pending', createdAt: 1, attempts: 0 });
      void ledger.update(id, { state: 'settled' });
    };
    for (let i = 0; i < 4000; i++) add(`a${i}`);
    await store.compact();
    store.close();
    // the process died appending to an index bucket: a torn last line
    const bucket = readdirSync(join(dir, 'archive', 'index')).find((f) => f.startsWith('intents-'))!;
    appendFileSync(join(dir, 'archive', 'index', bucket), '"torn-id"\tintents-20');
    const again = await Store.open(dir);
    again.retention = store.retention;
    const l2 = new PersistentLedger(again);
    for (let i = 0; i < 4000; i++) expect(l2.get(`a${i}`)?.intentId, `a${i}`).toBe(`a${i}`);
    expect(l2.get('torn-id')).toBeUndefined();
    for (let i = 0; i < 4000; i++) expect(again.archive.has('intents', `never-${i}`)).toBe(false);
    // a second batch after the torn line: found too (its lines were not glued to the torn one)
    for (let i = 0; i < 500; i++) {
      void l2.add({ intentId: `b${i}`, terminal: 't', intent: { type: 'CANCEL', intentId: `b${i}`, magic: 1, ticket: 9n }, state: 'pending', createdAt: 1, attempts: 0 });
      void l2.update(`b${i}`, { state: 'settled' });
    }
    await again.compact();
    again.close();
    const third = await Store.open(dir);
    const l3 = new PersistentLedger(third);
    for (let i = 0; i < 500; i++) expect(l3.get(`b${i}`)?.state, `b${i}`).toBe('settled');
    expect(() => l3.add({ intentId: 'a17', terminal: 't', intent: { type: 'CANCEL', intentId: 'a17', magic: 1, ticket: 1n }, state: 'pending', createdAt: 0, attempts: 0 })).toThrow(/already in the ledger/);
    expect(Object.keys(third.data.intents)).toEqual([]);
    expect(third.archive.indexed).toBe(4500); // from the index on disk, not from a list kept in memory
  });

  it('ids archived by the previous version (a plain id list) are migrated into the index and still never new', async () => {
    const dir = tmp();
    (await Store.open(dir)).close();
    mkdirSync(join(dir, 'archive'), { recursive: true });
    writeFileSync(join(dir, 'archive', 'command-ids.jsonl'), '"old-1"\n"old-2"\n');
    writeFileSync(join(dir, 'archive', 'commands-2026-01.jsonl'), JSON.stringify({ id: 'old-1', status: 'failed', at: 5, error: 'x' }) + '\n');
    const s = await Store.open(dir);
    expect(s.commandArchived('old-1')).toBe(true);
    expect(s.commandArchived('old-3')).toBe(false);
    expect(s.findArchived('commands', 'old-1')).toMatchObject({ status: 'failed', error: 'x' });
    expect(s.findArchived('commands', 'old-2')).toMatchObject({ status: 'executed' }); // row lost: still seen
    expect(existsSync(join(dir, 'archive', 'command-ids.jsonl'))).toBe(false);
  });
});

describe('group commit', () => {
  it('concurrent writes share fsyncs; each resolves with its line on disk, and sequential writes still sync each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-group-'));
    const store = await Store.open(dir);
    try {
      const before = store.syncStats.syncs;
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          store.putCommand(`g${i}`, { status: 'executed', at: i });
          return store.write();
        }),
      );
      const concurrent = store.syncStats.syncs - before;
      expect(concurrent).toBeGreaterThanOrEqual(1);
      expect(concurrent).toBeLessThanOrEqual(3); // one under way, one queued behind it for the rest
      expect(store.syncStats.shared).toBeGreaterThanOrEqual(40);
      const journal = readFileSync(join(dir, 'ledger.jsonl'), 'utf8');
      for (let i = 0; i < 50; i++) expect(journal).toContain(`"id":"g${i}"`);
      // one at a time: one fsync each (nothing to share)
      const s0 = store.syncStats.syncs;
      for (let i = 0; i < 5; i++) {
        store.putCommand(`s${i}`, { status: 'executed', at: i });
        await store.write();
      }
      expect(store.syncStats.syncs - s0).toBe(5);
      store.close();
      const again = await Store.open(dir);
      expect(Object.keys(again.data.commands)).toHaveLength(55);
      again.close();
    } finally {
      store.close();
    }
  });
});
