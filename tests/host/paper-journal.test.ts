/**
 * The paper journal's compaction off the event loop (src/host/paper/journal.ts): the lines appended while it is
 * under way follow its snapshot in the new file; a compaction that cannot be written leaves the journal as it was.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EncodedDeals, PaperJournal, type JournalLine, type SnapshotLine } from '../../src/host/paper/journal.js';
import { ORDER_TYPE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { makeBroker } from '../helpers.js';

const account = { login: 1001, server: 'Sim-Test (paper)', currency: 'USD', leverage: 100, marginMode: 2 as const, balance: 10_000 };
const snapshot = (): SnapshotLine => ({ k: 'snapshot', v: 1, account, specs: [], broker: makeBroker().state(), day: 1, requestId: 7, intents: [] });
const onDisk = (dir: string): JournalLine[] => readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalLine);
const quote = (i: number): JournalLine => ({ k: 'quote', quotes: [['EURUSD', 1.1 + i / 1e5, 1.1001 + i / 1e5, 1_600_300_000_000 + i]] });

describe('paper journal compaction in the background', () => {
  it('lines appended while it is under way follow the snapshot; the journal is whole before and after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-pj-'));
    const j = new PaperJournal(dir);
    j.append({ k: 'seed', v: 1, account, at: 1 }, true);
    for (let i = 0; i < 5; i++) j.append(quote(i));
    const done = j.compactInBackground(snapshot());
    // the event loop is free: lines keep coming, each in the old journal at once
    for (let i = 5; i < 9; i++) {
      j.append(quote(i), true);
      await new Promise((r) => setImmediate(r));
      expect(onDisk(dir).at(-1)).toEqual(quote(i)); // (read as a start would, but leaving the temporary file alone)
    }
    await expect(j.compactInBackground(snapshot())).rejects.toThrow(/already under way/);
    await done;
    j.append(quote(9), true);
    const lines = onDisk(dir);
    expect(lines[0]!.k).toBe('snapshot');
    expect(lines.slice(1)).toEqual([5, 6, 7, 8, 9].map(quote));
    expect(readdirSync(dir)).toEqual(['journal.jsonl']);
    j.close();
  });

  it('a compaction that cannot be written rejects and leaves the journal as it was, still written to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-pj-'));
    const j = new PaperJournal(dir);
    j.append({ k: 'seed', v: 1, account, at: 1 }, true);
    j.append(quote(0));
    mkdirSync(join(dir, 'journal.jsonl.tmp')); // the temporary file cannot be opened
    const before = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    await expect(j.compactInBackground(snapshot())).rejects.toThrow(/EISDIR|illegal operation on a directory/);
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toBe(before);
    j.append(quote(1), true);
    expect(onDisk(dir).map((l) => l.k)).toEqual(['seed', 'quote', 'quote']);
    await j.idle();
    // the failure left nothing behind: once the temporary path is free, the next compaction runs
    rmSync(join(dir, 'journal.jsonl.tmp'), { recursive: true });
    const next = j.compactInBackground(snapshot());
    j.append(quote(2), true);
    await next;
    j.append(quote(3), true);
    expect(onDisk(dir).map((l) => l.k)).toEqual(['snapshot', 'quote', 'quote']);
    expect(onDisk(dir).slice(1)).toEqual([quote(2), quote(3)]);
    j.close();
  });

  it('a snapshot with the deals encoded between compactions is the snapshot encoded whole (read back equal)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-pj-'));
    const j = new PaperJournal(dir);
    j.append({ k: 'seed', v: 1, account, at: 1 }, true);
    const b = makeBroker({}, [symbolSpec('EURUSD', { commissionPerLot: 7 })]);
    b.quote('EURUSD', 1.1, 1.1001, 1_600_300_000_000);
    const trade = (n: number) => {
      for (let i = 0; i < n; i++) {
        const o = b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', volume: 0.1, type: ORDER_TYPE.BUY, price: 1.1001, deviation: 50, magic: 7, comment: `open "${i}" \\ é` });
        b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', volume: 0.1, type: ORDER_TYPE.SELL, position: b.deal(o.deal)!.positionId, price: 1.1, deviation: 50, magic: 7, comment: '' });
      }
    };
    const enc = new EncodedDeals();
    const line = (): SnapshotLine => ({ ...snapshot(), broker: b.state() });
    for (const n of [3, 0, 5]) {
      trade(n);
      const l = line();
      enc.add(l.broker.deals.slice(enc.count));
      await j.compactInBackground(l, enc);
      const back = new PaperJournal(dir).read();
      expect(back).toHaveLength(1);
      expect(back[0]).toEqual(l);
      expect((back[0] as SnapshotLine).broker.deals).toHaveLength(b.dealCount);
    }
    expect(enc.count).toBe(16);
    j.close();
  });
});
