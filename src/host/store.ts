/**
 * The host's state on disk (lowdb): strategies, the intent ledger, command statuses, the positions mirror,
 * daily statistics and an audit trail. Writes are atomic (lowdb/steno: a temporary file renamed over the old
 * one). Periodic backups with retention. A corrupt file is never silently reset: it is moved aside and the newest
 * good backup is restored — with an error naming both — or, without one, the host refuses to start.
 * Tickets are bigint: stored as {"$bigint": "…"} so they survive exactly.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import type { IntentLedger, LedgerEntry } from './ledger.js';

export interface StrategyRecord {
  id: string;
  parameters: unknown;
  status: 'running' | 'paused' | 'stopped';
  updatedAt: number;
}

/** A command's last status. `error` and `code` for a failure; `params`: the parameters' fingerprint. */
export interface CommandRecord {
  status: 'received' | 'executing' | 'executed' | 'failed';
  at: number;
  result?: unknown;
  error?: string;
  code?: string;
  params?: string;
}

export interface StoreData {
  version: 1;
  strategies: Record<string, StrategyRecord>;
  intents: Record<string, LedgerEntry>;
  commands: Record<string, CommandRecord>;
  daily: Record<string, { startBalance: number; realized: number; trades: number }>;
  audit: { at: number; event: string; detail?: unknown }[];
  /** The kill switch lock and the risk limits in force: a restart must not unlock trading or loosen a limit. */
  safety?: { lockedUntil: number; reason: string; limits?: Record<string, unknown> };
  /** Command statuses not yet accepted by the platform, oldest first. */
  outbox: { commandId: string; status: string; at: string; result?: unknown; error?: string }[];
}

const empty = (): StoreData => ({ version: 1, strategies: {}, intents: {}, commands: {}, daily: {}, audit: [], outbox: [] });

const stringify = (d: StoreData) => JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v), 2);
const parse = (s: string) =>
  JSON.parse(s, (_k, v: unknown) => (v && typeof v === 'object' && '$bigint' in (v as object) && Object.keys(v as object).length === 1 ? BigInt((v as { $bigint: string }).$bigint) : v)) as StoreData;

export class JournalCorruptError extends Error {
  constructor(readonly file: string, readonly line: number, reason: string) {
    super(
      `${file}, line ${line}: not a complete journal entry (${reason}). The host will not start without it: it would not know ` +
        'whether that intent reached the terminal. Restore the line, or stop the EA, check its orders and positions by the ix: comments, and remove the line.',
    );
    this.name = 'JournalCorruptError';
  }
}

export class StoreCorruptError extends Error {
  constructor(readonly file: string, readonly reason: string, readonly restoredFrom?: string) {
    super(
      restoredFrom
        ? `${file} was corrupt (${reason}); it was moved aside and the state was restored from the backup ${restoredFrom}`
        : `${file} is corrupt (${reason}) and there is no good backup: the host will not start with an empty state. Inspect or remove the file (a copy was kept next to it).`,
    );
    this.name = 'StoreCorruptError';
  }
}

export class Store {
  readonly file: string;
  readonly backupDir: string;
  /** Ledger changes taken from the journal on open (the previous run's, not yet in state.json). */
  replayedJournal = 0;
  /** Set when the state was restored from a backup on open (the caller should log and report it). */
  recovered: StoreCorruptError | undefined;
  /** The intent journal: one line per ledger change, appended synchronously before an intent is sent. */
  readonly journalFile: string;
  private journalFd: number | undefined;

  private constructor(readonly dir: string, private readonly db: Low<StoreData>) {
    this.file = join(dir, 'state.json');
    this.backupDir = join(dir, 'backups');
    this.journalFile = join(dir, 'ledger.jsonl');
  }

  /**
   * Append one ledger change to the journal, synchronously (a few µs: no whole-state rewrite per intent). The
   * line is in the OS's hands when this returns, so it survives the process being killed; state.json takes
   * it in at the next start (replay, then a checkpoint), and meanwhile with every ordinary state write.
   */
  journal(op: JournalOp): void {
    const line = JSON.stringify(op, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v)) + '\n';
    if (this.held) {
      this.held.push(line);
      return;
    }
    this.journalFd ??= openSync(this.journalFile, 'a', 0o600);
    writeSync(this.journalFd, line);
  }

  private held: string[] | undefined;

  /** Keep journal lines in memory until `flushJournal()` (one write for a batch of intents). */
  holdJournal(): void {
    this.held ??= [];
  }

  /** Write the held lines in one write and stop holding. Throws if the write fails (the lines are dropped). */
  flushJournal(): void {
    const lines = this.held;
    this.held = undefined;
    if (!lines?.length) return;
    this.journalFd ??= openSync(this.journalFile, 'a', 0o600);
    writeSync(this.journalFd, lines.join(''));
  }

  close(): void {
    if (this.journalFd !== undefined) closeSync(this.journalFd);
    this.journalFd = undefined;
  }

  /** Apply the journal over the loaded state, write it (temp + rename, synced) and empty the journal. */
  private replayJournal(): number {
    if (!existsSync(this.journalFile)) return 0;
    const lines = readFileSync(this.journalFile, 'utf8').split('\n');
    let n = 0;
    for (const [i, line] of lines.entries()) {
      if (!line) continue;
      let op: JournalOp;
      try {
        op = parse(line) as unknown as JournalOp;
      } catch (e) {
        // a torn last line (no newline after it) is a write the process died in: its intent was never sent.
        // A damaged complete line is corruption: starting without it could send an order twice.
        if (i === lines.length - 1) break;
        throw new JournalCorruptError(this.journalFile, i + 1, (e as Error).message);
      }
      if (op.op === 'add') this.data.intents[op.entry.intentId] = op.entry;
      else if (op.op === 'update') {
        if (this.data.intents[op.intentId]) Object.assign(this.data.intents[op.intentId]!, op.patch);
      } else {
        if (op.op === 'strategy') this.data.strategies[op.record.id] = op.record;
        else delete this.data.strategies[op.id];
        if (op.audit) this.data.audit.push(op.audit);
      }
      n++;
    }
    const tmp = `${this.file}.replay-tmp`;
    writeFileSync(tmp, stringify(this.data), { mode: 0o600 });
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    writeFileSync(this.journalFile, '', { mode: 0o600 });
    return n;
  }

  static async open(dir: string): Promise<Store> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'state.json');
    let recovered: StoreCorruptError | undefined;
    if (existsSync(file)) {
      try {
        const d = parse(readFileSync(file, 'utf8'));
        if (d?.version !== 1 || typeof d.intents !== 'object') throw new Error('not a state file of this version');
      } catch (e) {
        const reason = (e as Error).message;
        const aside = `${file}.corrupt-${Date.now()}`;
        renameSync(file, aside);
        const good = Store.newestGoodBackup(join(dir, 'backups'));
        if (!good) throw new StoreCorruptError(file, reason);
        copyFileSync(good, file);
        recovered = new StoreCorruptError(file, reason, good);
      }
    }
    const db = new Low(new DataFile<StoreData>(file, { parse, stringify }), empty());
    await db.read();
    db.data ??= empty();
    db.data.outbox ??= [];
    const s = new Store(dir, db);
    s.recovered = recovered;
    s.replayedJournal = s.replayJournal();
    return s;
  }

  private static newestGoodBackup(dir: string): string | undefined {
    if (!existsSync(dir)) return undefined;
    for (const f of readdirSync(dir).filter((x) => x.startsWith('state-') && x.endsWith('.json')).sort().reverse()) {
      try {
        const d = parse(readFileSync(join(dir, f), 'utf8'));
        if (d?.version === 1) return join(dir, f);
      } catch {
        /* a bad backup: try the one before */
      }
    }
    return undefined;
  }

  get data(): StoreData {
    return this.db.data;
  }

  /** Atomic write of the whole state. */
  async write(): Promise<void> {
    await this.db.write();
  }

  /** Copy the state to backups/state-<time>.json and keep the newest `keep`. */
  backup(keep: number, now = Date.now()): string {
    mkdirSync(this.backupDir, { recursive: true, mode: 0o700 });
    const name = join(this.backupDir, `state-${new Date(now).toISOString().replace(/[:.]/g, '-')}.json`);
    // the state as this process holds it: state.json plus the journal's changes since the start
    writeFileSync(name, stringify(this.data), { mode: 0o600 });
    const all = readdirSync(this.backupDir).filter((x) => x.startsWith('state-') && x.endsWith('.json')).sort();
    for (const old of all.slice(0, Math.max(0, all.length - keep))) unlinkSync(join(this.backupDir, old));
    return name;
  }

  /** On disk when this returns: one journal line (not a whole-state rewrite: starting 1,000 strategies was 15–20 s). */
  async putStrategy(r: StrategyRecord): Promise<void> {
    const audit = { at: r.updatedAt, event: 'strategy', detail: { id: r.id, status: r.status } };
    this.journal({ op: 'strategy', record: r, audit });
    this.data.strategies[r.id] = r;
    this.audit(audit.at, audit.event, audit.detail);
  }

  /** A real delete (the old executor could only mark strategies stopped). */
  async deleteStrategy(id: string, at: number): Promise<boolean> {
    if (!this.data.strategies[id]) return false;
    const audit = { at, event: 'strategy deleted', detail: { id } };
    this.journal({ op: 'strategy-delete', id, audit });
    delete this.data.strategies[id];
    this.audit(audit.at, audit.event, audit.detail);
    return true;
  }

  audit(at: number, event: string, detail?: unknown): void {
    this.data.audit.push(detail === undefined ? { at, event } : { at, event, detail });
    if (this.data.audit.length > 10_000) this.data.audit.splice(0, this.data.audit.length - 10_000);
  }
}

/** The intent ledger on disk: `add` resolves once the intent is written, before it may be sent. */
export type JournalOp =
  | { op: 'add'; entry: LedgerEntry }
  | { op: 'update'; intentId: string; patch: Partial<LedgerEntry> }
  | { op: 'strategy'; record: StrategyRecord; audit?: StoreData['audit'][number] }
  | { op: 'strategy-delete'; id: string; audit?: StoreData['audit'][number] };

export class PersistentLedger implements IntentLedger {
  /**
   * Entries a previous process left unsettled may have reached the terminal, whatever state the file says
   * (the process can die between sending and recording 'sent'): they become 'unknown', so the resync looks for
   * them in the terminal's state before sending anything again.
   */
  constructor(private readonly store: Store) {
    for (const e of Object.values(store.data.intents)) {
      if (e.state === 'pending' || e.state === 'recording' || e.state === 'sent') e.state = 'unknown';
    }
  }
  get(intentId: string): LedgerEntry | undefined {
    return this.store.data.intents[intentId];
  }
  /** On disk (the journal) when this returns; a failed write is a rejected promise and nothing is sent. */
  add(entry: LedgerEntry): Promise<void> | undefined {
    if (this.store.data.intents[entry.intentId]) throw new Error(`intent ${entry.intentId} is already in the ledger`);
    try {
      this.store.journal({ op: 'add', entry });
    } catch (e) {
      return Promise.reject(e as Error);
    }
    this.store.data.intents[entry.intentId] = entry;
    this.heldAdds?.push(entry.intentId);
    return undefined;
  }
  update(intentId: string, patch: Partial<LedgerEntry>): Promise<void> | undefined {
    const e = this.store.data.intents[intentId];
    if (!e) throw new Error(`intent ${intentId} is not in the ledger`);
    Object.assign(e, patch);
    try {
      this.store.journal({ op: 'update', intentId, patch });
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return undefined;
  }
  open(terminal: string): LedgerEntry[] {
    return Object.values(this.store.data.intents).filter((e) => e.terminal === terminal && e.state !== 'settled');
  }
  private heldAdds: string[] | undefined;
  hold(): void {
    this.store.holdJournal();
    this.heldAdds ??= [];
  }
  flush(): void {
    const added = this.heldAdds ?? [];
    this.heldAdds = undefined;
    try {
      this.store.flushJournal();
    } catch (e) {
      for (const id of added) delete this.store.data.intents[id]; // not on disk: not recorded
      throw e;
    }
  }
}
