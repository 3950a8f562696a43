/**
 * The paper account on disk: `<data folder>/paper/journal.jsonl`, one JSON line per thing that changed the
 * simulated broker — the account it was seeded with (the first line), each symbol spec it learned, each intent it
 * executed and each quote that filled something (an SL, a TP, a pending order, a stop-out), with the quotes of the
 * other symbols at that moment, and each daily swap rollover. The broker is deterministic, so replaying the lines
 * into a new one rebuilds the same balance, positions, orders, deals and tickets after a restart. Quotes that
 * filled nothing change nothing and are not written. An intent's line is written (and synced) before it executes;
 * a torn last line (the process died writing it) is ignored, damage anywhere else stops the start with its line.
 *
 * Compaction (every `paperCompactEvery` lines, journal-lines.ts): the whole account at that moment — the seed, the
 * specs learned, the broker's state (balance, positions, orders, every deal, the next ticket, the last quotes) and
 * the latest intents' results — becomes one `snapshot` line, written to `journal.jsonl.tmp`, synced, and renamed over
 * the journal (then the folder synced): a crash leaves either the old journal or the new one, never both halves.
 * New lines follow it; a start restores the snapshot and replays them.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { IntentBody, IntentResult } from '../../protocol/messages.js';
import type { BrokerConfig, BrokerState, SimSymbolSpec } from '../../sim/broker.js';

/** A quote as the journal keeps it: symbol, bid, ask, time (ms). */
export type JournalQuote = [string, number, number, number];

export type JournalLine =
  | { k: 'seed'; v: 1; account: BrokerConfig['account']; at: number }
  | { k: 'spec'; spec: SimSymbolSpec; convert?: boolean }
  | { k: 'intent'; quotes: JournalQuote[]; intent: IntentBody }
  | { k: 'quote'; quotes: JournalQuote[] }
  /** The swap at the end of server day `weekday`; `day`: the day begun; `swap`: what each position was charged (rollover.ts; absent in older lines). */
  | { k: 'rollover'; weekday: number; day: number; swap?: [bigint, number][] }
  | SnapshotLine;

/** The paper account at a compaction: the first line of the journal after it. */
export interface SnapshotLine {
  k: 'snapshot';
  v: 1;
  account: BrokerConfig['account'];
  specs: { spec: SimSymbolSpec; convert?: boolean }[];
  broker: BrokerState;
  /** The broker day (server time) of the last tick, for the daily swap rollover. */
  day: number;
  requestId: number;
  /** The latest intents with their results (a repeated id is answered from them). */
  intents: { intent: IntentBody; result: IntentResult }[];
}

export class PaperJournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaperJournalError';
  }
}

/** Tickets are bigint: written as `{ "$n": "…" }` (lines of older journals: a string under the key `ticket`). */
function replacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? { $n: v.toString() } : v;
}
function reviver(k: string, v: unknown): unknown {
  if (v && typeof v === 'object' && typeof (v as { $n?: unknown }).$n === 'string' && Object.keys(v).length === 1 && /^\d+$/.test((v as { $n: string }).$n)) return BigInt((v as { $n: string }).$n);
  return k === 'ticket' && typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : v;
}

const KINDS = new Set(['seed', 'spec', 'intent', 'quote', 'rollover', 'snapshot']);

export class PaperJournal {
  readonly file: string;
  private fd: number | undefined;
  /** A compaction under way (compactInBackground): the lines appended meanwhile, to follow its snapshot. */
  private compacting: { pending: string[] } | undefined;
  private compactionDone: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {
    this.file = join(dir, 'journal.jsonl');
  }

  /** Every line written so far (an empty list for a new paper account). */
  read(): JournalLine[] {
    rmSync(`${this.file}.tmp`, { force: true }); // a compaction that died before its rename: the journal is whole
    if (!existsSync(this.file)) return [];
    const text = readFileSync(this.file, 'utf8');
    const rows = text.split('\n');
    const out: JournalLine[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (!row.trim()) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(row, reviver) as JournalLine;
        if (!line || typeof line !== 'object' || !KINDS.has((line as { k?: string }).k ?? '')) throw new Error(`not a journal line (k: ${JSON.stringify((line as { k?: unknown })?.k)})`);
        if (out.length === 0 && line.k !== 'seed' && line.k !== 'snapshot') throw new Error("the first line must be the account's seed or snapshot");
        if (out.length > 0 && line.k === 'snapshot') throw new Error('a snapshot is only ever the first line');
      } catch (e) {
        // the last line may be torn by a crash while it was written: that change never happened
        if (i === rows.length - 1 && !text.endsWith('\n')) {
          truncateSync(this.file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1))); // the next line starts clean
          break;
        }
        throw new PaperJournalError(`${this.file}, line ${i + 1}: ${(e as Error).message}. The paper account cannot be rebuilt; move the paper folder aside to start a new paper account.`);
      }
      out.push(line);
    }
    return out;
  }

  /** Append one line; `sync` makes it durable before the caller goes on (intents: written before they execute). */
  append(line: JournalLine, sync = false): void {
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    const text = JSON.stringify(line, replacer) + '\n';
    writeSync(this.fd, text);
    if (sync) fsyncSync(this.fd);
    this.compacting?.pending.push(text);
  }

  /**
   * Replace the journal by one snapshot line, crash-safe, without holding the event loop for the file's write and
   * syncs: the snapshot is encoded now (it is the account at this moment), written to the temporary file and synced on libuv's threads; lines appended meanwhile go
   * to the journal as always (durable there) and are copied after the snapshot; when the temporary file holds
   * everything and is synced, it is renamed over the journal in the same turn (no line can come between). A crash
   * before the rename leaves the old journal, whole; after it, the new one, whole. Rejects (the journal unchanged,
   * the temporary file removed) when it cannot; one at a time.
   */
  compactInBackground(snapshot: SnapshotLine, deals?: EncodedDeals): Promise<void> {
    if (this.compacting) return Promise.reject(new Error('a compaction of the paper journal is already under way'));
    let text: string;
    try {
      text = encodeSnapshot(snapshot, deals) + '\n';
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const c = { pending: [] as string[] };
    this.compacting = c;
    const tmp = `${this.file}.tmp`;
    const run = async (): Promise<void> => {
      let fh: FileHandle | undefined;
      try {
        await mkdir(this.dir, { recursive: true });
        fh = await open(tmp, 'w');
        await fh.writeFile(text);
        await fh.sync();
        // the lines of the meantime: copied off the thread while they come in a trickle; a busy account's stream would
        // keep the copy chasing it, so after two rounds the rest is copied and synced here, in the turn of the rename
        for (let round = 0; c.pending.length && round < 2; round++) {
          await fh.writeFile(c.pending.splice(0).join(''));
          await fh.sync();
        }
        if (c.pending.length) {
          writeAll(fh.fd, c.pending.splice(0).join(''));
          fsyncSync(fh.fd);
        }
        // synchronous from here to the rename: every line appended so far is in the synced temporary file
        this.close(); // the next line goes to the new file
        renameSync(tmp, this.file);
        this.compacting = undefined;
        syncDirNow(this.dir); // the rename durable before any line is written to the new file
      } catch (e) {
        if (this.compacting === c) this.compacting = undefined; // (a failure of any step: the next compaction may run)
        await fh?.close().catch(() => {});
        await Promise.resolve().then(() => rm(tmp, { force: true })).catch(() => {}); // (what is there may not be a file)
        throw e;
      }
      await fh.close();
    };
    const p = run();
    this.compactionDone = p.catch(() => {});
    return p;
  }

  /** Resolves when no compaction is under way (the host's stop waits for it before the folder is used again). */
  idle(): Promise<void> {
    return this.compactionDone;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * The deals of a paper account as JSON, kept between compactions: a deal never changes once made, so each
 * compaction encodes only the deals made since the last (on the host's thread: ~0.1 s for 20,000 of them at once).
 */
export class EncodedDeals {
  /** Deals encoded so far (the broker's rows 0 … count-1). */
  count = 0;
  private readonly parts: string[] = [];

  /** Add the deals of rows `count` … on (`BrokerState.deals.slice(count)`). */
  add(deals: readonly unknown[]): void {
    if (deals.length) this.parts.push(deals.map((d) => JSON.stringify(d, replacer)).join(','));
    this.count += deals.length;
  }

  json(): string {
    return `[${this.parts.join(',')}]`;
  }
}

/** A snapshot line's JSON; with `deals`, its broker's deals are those (the line's own `broker.deals` left out). */
function encodeSnapshot(snapshot: SnapshotLine, deals: EncodedDeals | undefined): string {
  if (!deals) return JSON.stringify(snapshot, replacer);
  const mark = '\u0000deals\u0000', encoded = JSON.stringify(mark); // (no string of an account holds a NUL)
  const text = JSON.stringify({ ...snapshot, broker: { ...snapshot.broker, deals: mark } }, replacer);
  const at = text.indexOf(encoded);
  return text.slice(0, at) + deals.json() + text.slice(at + encoded.length);
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Sync a folder after a rename in it (a folder cannot be opened or synced on Windows: NTFS journals the rename there). */
function syncDirNow(dir: string): void {
  try {
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // Windows
  }
}
