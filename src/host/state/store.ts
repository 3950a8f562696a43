/**
 * The host's state on disk: strategies, the intent ledger, command statuses, the platform outbox, the kill-switch
 * lock and risk limits, and an audit trail.
 *
 * Every change is one line appended to the journal `ledger.jsonl` (a write costs the change, not the state).
 * A compaction (every `compactEvery` lines) seals the journal as `ledger.<n>.jsonl`, moves settled history beyond
 * the retention to the archive (archive.ts), writes `state.json` in slices that leave the event loop free
 * (snapshot.ts), deletes the sealed segment and links a backup. The start replays state.json + the segments
 * not in it + the journal, and writes the result at once. A damaged state is never silently reset: the newest good
 * backup is restored with an error naming both, or the host refuses to start until `state recover`.
 *
 * Writing the journal is journal-writer.ts's, opening a folder (replay, recovery) opening.ts's; this file holds the
 * typed methods, the write modes and the compaction. Outside src/host/state/ nobody reads or writes the state's
 * data: the typed methods below are the way in.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Archive, DEFAULT_RETENTION, type Retention } from './archive.js';
import { backupName, linkBackup, listBackups, pruneBackups, recoverState } from './backups.js';
import { applyOp, toJson, type AuditEntry, type CommandRecord, type JournalOp, type OutboxEntry, type Safety, type StoreCorruptError, type StoreData, type StrategyRecord } from './format.js';
import type { LedgerEntry } from './ledger.js';
import { writeSnapshotSliced } from './snapshot.js';
import { CoreStateFile, type CoreStateText } from './core-state-file.js';
import { JournalWriter, dropSealed } from './journal-writer.js';
import { checkpointReplayed, readStateFolder } from './opening.js';
import { readBrokerClock, writeBrokerClock, type BrokerClockReading } from './broker-clock-file.js';

export * from './format.js';
export { DEFAULT_RETENTION, type Retention } from './archive.js';
export { PersistentLedger } from './persistent-ledger.js';

export interface StoreOptions {
  retention?: Partial<Retention>;
  /** Backups kept (default 48): one at the first start, one after every compaction, and explicit ones. */
  keepBackups?: number;
}

/** 'strict': on disk when this returns, or it throws and nothing changed. 'soft': in memory now, on disk with this or the next successful write. */
export type WriteMode = 'strict' | 'soft';

export class Store {
  readonly file: string;
  readonly backupDir: string;
  /** The open journal segment: one line per change, appended synchronously. */
  readonly journalFile: string;
  readonly archive: Archive;
  /** Journal lines taken in on open (the previous run's, not yet in state.json). */
  replayedJournal = 0;
  /** Set when the state was restored from a backup on open (the caller should log and report it). */
  recovered: StoreCorruptError | undefined;
  retention: Retention;
  keepBackups: number;
  /** Compactions finished by this process (for the benchmark and the log). */
  compactions = 0;
  /** What could not be written while writes were lenient or soft, newest last (at most 100). */
  readonly writeFailures: string[] = [];

  /** The open journal segment's writes: held lines, unwritten lines, fsyncs, the seal (journal-writer.ts). */
  private readonly journalWriter: JournalWriter;
  private compacting: Promise<void> | undefined;
  private outboxSeq: number;
  private auditSeq: number;
  private lenient = 0;
  private failureCount = 0;
  private readonly coreState: CoreStateFile;

  private constructor(readonly dir: string, private readonly d: StoreData, opts: StoreOptions) {
    this.file = join(dir, 'state.json');
    this.backupDir = join(dir, 'backups');
    this.journalFile = join(dir, 'ledger.jsonl');
    this.archive = new Archive(join(dir, 'archive'));
    this.coreState = new CoreStateFile(dir);
    this.retention = { ...DEFAULT_RETENTION, ...opts.retention };
    this.keepBackups = opts.keepBackups ?? 48;
    this.journalWriter = new JournalWriter(this.journalFile, d.segment ?? 0);
    this.outboxSeq = d.outbox.reduce((m, x) => Math.max(m, x.seq ?? 0), 0);
    this.auditSeq = d.audit.reduce((m, x) => Math.max(m, x.seq ?? 0), 0);
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────────────────────

  /** The whole state, read-only: for src/host/state/ and tests. Everyone else uses the methods below. */
  get data(): Readonly<StoreData> {
    return this.d;
  }

  get safety(): Readonly<Safety> | undefined {
    return this.d.safety;
  }

  strategies(): StrategyRecord[] {
    return Object.values(this.d.strategies);
  }

  /** A command's status while it is in the state (not archived). */
  command(id: string): CommandRecord | undefined {
    return this.d.commands[id];
  }

  /** How many commands in the state have each last status (one pass, no copy: /metrics asks on every scrape). */
  commandStatusCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    const all = this.d.commands;
    for (const id in all) {
      const st = all[id]!.status;
      out[st] = (out[st] ?? 0) + 1;
    }
    return out;
  }

  /** Statuses waiting for the platform, oldest first. */
  get outbox(): readonly OutboxEntry[] {
    return this.d.outbox;
  }

  /** A ledger entry in the state (not archived). */
  intent(id: string): LedgerEntry | undefined {
    return this.d.intents[id];
  }

  intents(): LedgerEntry[] {
    return Object.values(this.d.intents);
  }

  /** Whether a command id was archived (seen before: never executed again). Exact. */
  commandArchived(id: string): boolean {
    return this.archive.has('commands', id);
  }

  /** An archived row by id: `{ id, ...CommandRecord }` or a ledger entry. */
  findArchived(kind: 'commands' | 'intents', id: string): Record<string, unknown> | undefined {
    return this.archive.find(kind, id);
  }

  /** An archived intent's ledger entry (the ledger's `get` falls back to it: an archived id never executes again). */
  archivedIntent(intentId: string): LedgerEntry | undefined {
    return this.archive.find('intents', intentId) as unknown as LedgerEntry | undefined;
  }

  get archiveDir(): string {
    return this.archive.dir;
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────────────────────

  /** Append one change to the journal, synchronously (a few µs). On disk — in the OS's hands — when this returns; throws otherwise. */
  journal(op: JournalOp): void {
    const line = toJson(op) + '\n';
    if (!this.journalWriter.holdLine(line)) this.appendJournal(line);
  }

  /** A change applied in memory, then journaled: strict throws (and undoes nothing: call it before changing memory), soft keeps the line for the next write. */
  private change(op: JournalOp, mode: WriteMode): void {
    if (mode === 'strict') {
      this.journal(op);
      applyOp(this.d, op);
      return;
    }
    applyOp(this.d, op);
    const line = toJson(op) + '\n';
    if (this.journalWriter.holdLine(line)) return;
    try {
      this.appendJournal(line);
    } catch (e) {
      this.journalWriter.keepUnwritten(line);
      this.noteFailure(`journal ${this.journalFile}`, e as Error);
    }
  }

  /** Append to the journal (a compaction queued every `compactEvery`); a failure throws, or, while writes are lenient, is kept and noted. */
  private appendJournal(text: string): void {
    try {
      this.journalWriter.append(text);
      if (this.journalWriter.lines >= this.retention.compactEvery && !this.compacting) {
        this.compacting = new Promise((r) => setImmediate(r)).then(() => this.compactNow(Date.now())).catch((e: Error) => this.noteFailure('compaction', e)).finally(() => (this.compacting = undefined));
      }
    } catch (e) {
      if (!this.lenient) throw e;
      this.journalWriter.keepUnwritten(text);
      this.noteFailure(`journal ${this.journalFile}`, e as Error);
    }
  }

  /** Record a command's status: one journal line. */
  putCommand(id: string, record: CommandRecord, mode: WriteMode = 'strict'): void {
    this.change({ op: 'command', id, record }, mode);
  }

  /** A new ledger entry: one journal line (held with a batch), then in memory. Throws if the line cannot be written. */
  recordIntent(entry: LedgerEntry): void {
    this.change({ op: 'add', entry }, 'strict');
  }

  /** Take an intent out of memory (its batch could not be written: it was never recorded). */
  forgetIntent(id: string): void {
    delete this.d.intents[id];
  }

  /** Take a command out of memory (its 'received' could not be written: it was never recorded). */
  forgetCommand(id: string): void {
    delete this.d.commands[id];
  }

  /** Queue a status for the platform: one journal line. */
  pushOutbox(entry: OutboxEntry, mode: WriteMode = 'strict'): void {
    this.change({ op: 'outbox-push', entry: { ...entry, seq: ++this.outboxSeq } }, mode);
  }

  /** The first queued status was delivered (or refused for good): one journal line. */
  shiftOutbox(mode: WriteMode = 'strict'): void {
    const first = this.d.outbox[0];
    if (!first) return;
    if (first.seq === undefined) this.d.outbox.shift();
    else this.change({ op: 'outbox-shift', upTo: first.seq }, mode);
  }

  /** On disk when this resolves: one journal line for the record and one for its audit entry. */
  async putStrategy(r: StrategyRecord): Promise<void> {
    this.change({ op: 'strategy', record: r }, 'strict');
    this.audit(r.updatedAt, 'strategy', { id: r.id, status: r.status });
  }

  /** A real delete (the old executor could only mark strategies stopped). */
  async deleteStrategy(id: string, at: number): Promise<boolean> {
    if (!this.d.strategies[id]) return false;
    this.change({ op: 'strategy-delete', id }, 'strict');
    this.audit(at, 'strategy deleted', { id });
    return true;
  }

  /** Change the kill-switch lock or the limits in force (merged over what is there). Soft: `write()` says whether it reached the disk. */
  setSafety(patch: Partial<Safety>): void {
    const safety: Safety = { lockedUntil: 0, reason: '', ...this.d.safety, ...patch };
    this.change({ op: 'safety', safety }, 'soft');
  }

  /** Add an audit entry (soft: an audit line never stops what it records). Beyond the retention, entries go to the archive. */
  audit(at: number, event: string, detail?: unknown): void {
    const entry: AuditEntry = detail === undefined ? { at, event, seq: ++this.auditSeq } : { at, event, detail, seq: ++this.auditSeq };
    this.change({ op: 'audit', entry }, 'soft');
  }

  /** Archived audit entries between two times (ms), and those still in the state, oldest first. */
  auditBetween(from: number, to: number): AuditEntry[] {
    const ms = (t: number) => (t < 1e11 ? t * 1000 : t);
    return [...this.archive.audit(from, to), ...this.d.audit.filter((a) => ms(a.at) >= from && ms(a.at) <= to)];
  }

  private noteFailure(what: string, e: Error): void {
    this.failureCount++;
    this.writeFailures.push(`${what}: ${e.message}`);
    if (this.writeFailures.length > 100) this.writeFailures.shift();
  }

  /**
   * Run `fn` (EMERGENCY_STOP) with writes that cannot fail it: a read-only or full disk must not keep the kill
   * switch from acting. It acts first; what could not be recorded stays in memory (written before the next line)
   * and is returned, for the caller to report.
   */
  async lenientWrites<T>(fn: () => Promise<T>): Promise<{ value: T; failures: string[] }> {
    this.lenient++;
    const before = this.failureCount;
    try {
      const value = await fn();
      const n = Math.min(this.failureCount - before, this.writeFailures.length);
      return { value, failures: n > 0 ? this.writeFailures.slice(-n) : [] };
    } finally {
      this.lenient--;
    }
  }

  /** Keep journal lines in memory until `flushJournal()` (one write for a batch of intents). */
  holdJournal(): void {
    this.journalWriter.hold();
  }

  /** Write the held lines in one write and stop holding. Throws if the write fails (the lines are dropped). */
  flushJournal(): void {
    const text = this.journalWriter.release();
    if (text !== undefined) this.appendJournal(text);
  }

  /**
   * Everything changed so far on disk: lines a failed write left in memory are written, the journal synced
   * (off-thread), a running compaction finished. Throws if a line cannot be written (unless writes are lenient).
   */
  async write(): Promise<void> {
    await this.compacting?.catch(() => undefined);
    try {
      this.journalWriter.writeUnwritten();
      const segment = this.journalWriter.segment;
      if (this.journalWriter.isOpen) await this.journalWriter.sync();
      // a compaction sealed the journal meanwhile: those lines are in its state.json once it is synced
      if (this.journalWriter.segment !== segment) await this.compacting;
    } catch (e) {
      if (!this.lenient) throw e;
      this.noteFailure(`state ${this.journalFile}`, e as Error);
    }
  }

  /** The journal's fsyncs, shared by the writers that ask while one runs (group-sync.ts). */
  get syncStats(): JournalWriter['syncStats'] {
    return this.journalWriter.syncStats;
  }

  // ── compaction ─────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Compact now (one at a time; a call during a running compaction waits for it). `retain: false` folds the journal
   * into state.json without moving history to the archive (a clean stop).
   */
  async compact(now = Date.now(), opts: { retain?: boolean } = {}): Promise<void> {
    if (this.compacting) return this.compacting;
    this.compacting = this.compactNow(now, opts.retain ?? true).finally(() => (this.compacting = undefined));
    return this.compacting;
  }

  /**
   * 1. seal the journal (rename: the lines so far are in `ledger.<n>.jsonl`, new ones go to a new ledger.jsonl);
   * 2. settled history beyond the retention to the archive, synced (its rows stay findable meanwhile);
   * 3. state.json written in slices (fuzzy: the open journal is replayed over it at a start), synced, renamed;
   * 4. the sealed segment deleted; a backup linked. A failure leaves the sealed segment for the next start.
   */
  private async compactNow(now: number, retain = true): Promise<void> {
    const w = this.journalWriter;
    while (w.holding) await new Promise((r) => setImmediate(r));
    w.seal(this.dir);
    const batch = retain ? await this.archive.select(this.d, this.retention, now) : { commands: [], intents: [], audit: [] };
    try {
      await this.archive.write(batch, now);
    } catch (e) {
      this.archive.restore(batch, this.d);
      throw e;
    }
    await writeSnapshotSliced(this.file, this.d, w.segment, () => w.holding);
    dropSealed(this.dir, w.segment);
    this.compactions++;
    linkBackup(this.file, this.backupDir, this.keepBackups, now);
  }

  // ── opening ────────────────────────────────────────────────────────────────────────────────────────────

  static async open(dir: string, opts: StoreOptions = {}): Promise<Store> {
    return Store.openSync(dir, opts);
  }

  /** open(), synchronously: a new account's state is opened while its terminal says HELLO (src/host/trading/accounts.ts). */
  static openSync(dir: string, opts: StoreOptions = {}): Store {
    const opened = readStateFolder(dir);
    const s = new Store(dir, opened.d, opts);
    s.recovered = opened.recovered;
    s.replayedJournal = opened.replayed.lines;
    const segment = checkpointReplayed(dir, opened);
    if (segment !== undefined) s.journalWriter.segment = segment;
    // a first start has a backup at once: from now on a missing state.json is a loss, not a first start
    if (!existsSync(s.backupDir) || !readdirSync(s.backupDir).some((f) => f.startsWith('state-') && f.endsWith('.json'))) s.backup(s.keepBackups);
    return s;
  }

  /** `mt5-executor state recover`: the trader's explicit way out of a refused start (backups.ts). */
  static recover(dir: string, choice: { backup?: string; empty?: boolean; core?: boolean }, now = Date.now()): string {
    return recoverState(dir, choice, now);
  }

  static listBackups(dir: string): { file: string; good: boolean }[] {
    return listBackups(dir);
  }

  /** Write the state as this process holds it to backups/state-<time>.json now (synchronous) and keep the newest `keep`. */
  backup(keep: number = this.keepBackups, now = Date.now()): string {
    mkdirSync(this.backupDir, { recursive: true, mode: 0o700 });
    const name = backupName(this.backupDir, now);
    writeFileSync(name, toJson(this.d), { mode: 0o600 });
    pruneBackups(this.backupDir, keep);
    return name;
  }

  /** The trading core's state (core-state-file.ts): undefined when none was written yet; a damaged file is an error that names it. */
  readCoreState(): unknown {
    return this.coreState.read();
  }

  /**
   * Write the trading core's state off the event loop's thread (core-state-file.ts): `state(delta)`, JSON text — a
   * delta when allowed, else the whole state —, is read when the write starts (undefined: nothing to write).
   * Resolves when it, or a newer state, is renamed into place or appended.
   */
  writeCoreState(state: CoreStateText): Promise<void> {
    return this.coreState.write(state);
  }

  /** The broker's clock as read so far (broker-clock-file.ts): none when the file is missing or damaged. */
  readBrokerClock(): BrokerClockReading[] {
    return readBrokerClock(this.dir);
  }

  writeBrokerClock(readings: readonly BrokerClockReading[]): void {
    writeBrokerClock(this.dir, readings);
  }

  /** Resolves when no write of the core's state is under way. */
  coreStateWritten(): Promise<void> {
    return this.coreState.settled();
  }

  close(): void {
    this.coreState.close();
    this.journalWriter.close();
  }
}
