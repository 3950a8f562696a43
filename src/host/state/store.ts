/**
 * The host's state on disk (lowdb): strategies, the intent ledger, command statuses, the positions mirror,
 * daily statistics and an audit trail. Writes are atomic (lowdb/steno: a temporary file renamed over the old
 * one). Periodic backups with retention. A corrupt file is never silently reset: it is moved aside and the newest
 * good backup is restored — with an error naming both — or, without one, the host refuses to start.
 * Tickets are bigint: stored as {"$bigint": "…"} so they survive exactly.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
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
  /** Command statuses not yet accepted by the platform, oldest first. `seq` orders them (journal replay). */
  outbox: OutboxEntry[];
}

export interface OutboxEntry {
  commandId: string;
  status: string;
  at: string;
  result?: unknown;
  error?: string;
  seq?: number;
}

/** How much settled history stays in state.json; older entries go to archive/*.jsonl (still found by id). */
export interface Retention {
  /** Settled commands, intents and audit entries younger than this stay (default 7 days). */
  keepMs: number;
  /** …but at most this many of each (default 20,000). */
  keepCount: number;
  /** Journal lines between compactions (state.json rewritten, journal emptied; default 50,000). */
  compactEvery: number;
}

export const DEFAULT_RETENTION: Retention = { keepMs: 7 * 86_400_000, keepCount: 20_000, compactEvery: 50_000 };

const empty = (): StoreData => ({ version: 1, strategies: {}, intents: {}, commands: {}, daily: {}, audit: [], outbox: [] });

// compact: the pretty-printed state was twice the bytes to write on every change
const stringify = (d: StoreData) => JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v));
const parse = (s: string) =>
  JSON.parse(s, (_k, v: unknown) => (v && typeof v === 'object' && '$bigint' in (v as object) && Object.keys(v as object).length === 1 ? BigInt((v as { $bigint: string }).$bigint) : v)) as StoreData;

/** Write a file whole or not at all: a temporary file, fsync, rename. */
function writeDurably(file: string, text: string): void {
  const tmp = `${file}.replay-tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  // opened for writing: Windows flushes a file (FlushFileBuffers) only through a handle with write access — a
  // read-only one fails with EPERM, and the host would not start
  const fd = openSync(tmp, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}

export class JournalCorruptError extends Error {
  constructor(readonly file: string, readonly line: number, reason: string) {
    super(
      `${file}, line ${line}: not a complete journal entry (${reason}). The host will not start without it: it would not know ` +
        'whether that intent reached the terminal. Restore the line, or stop the EA, check its orders and positions by the ix: comments, and remove the line.',
    );
    this.name = 'JournalCorruptError';
  }
}

/** How the trader gets out of a refused start: an explicit choice, never an automatic empty state. */
export const RECOVER_HINT =
  "Run 'mt5-executor state recover --backup <file>' to start from a backup you choose, or 'mt5-executor state recover --empty' " +
  'to start with an EMPTY state (no kill-switch lock, default risk limits, no command history: check the terminal first). ' +
  "'mt5-executor state recover' lists the backups.";

export class StoreCorruptError extends Error {
  constructor(readonly file: string, readonly reason: string, readonly restoredFrom?: string) {
    super(
      restoredFrom
        ? `${file} was corrupt (${reason}); it was moved aside and the state was restored from the backup ${restoredFrom}`
        : `${file} is corrupt (${reason}) and there is no good backup: the host will not start with an empty state. ` +
            `It refuses on every start until you choose. ${RECOVER_HINT}`,
    );
    this.name = 'StoreCorruptError';
  }
}

/** state.json is gone but earlier runs left backups or a journal: starting empty would silently lose the state. */
export class StoreMissingError extends Error {
  constructor(readonly file: string, evidence: string) {
    super(`${file} is missing but this folder held a state before (${evidence}): the host will not start with an empty state. ${RECOVER_HINT}`);
    this.name = 'StoreMissingError';
  }
}

const INTENT_STATES = new Set(['recording', 'pending', 'sent', 'unknown', 'settled']);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What is wrong with the shape of a parsed state file (undefined: nothing). Names the field. */
export function stateShapeProblem(d: unknown): string | undefined {
  if (!isObj(d)) return `expected a JSON object, got ${Array.isArray(d) ? 'an array' : d === null ? 'null' : typeof d}`;
  if (d.version !== 1) return `"version" is ${JSON.stringify(d.version) ?? 'missing'}, expected 1 (not a state file of this version)`;
  for (const k of ['strategies', 'intents', 'commands', 'daily'] as const) if (!isObj(d[k])) return `"${k}" must be an object, got ${d[k] === null ? 'null' : Array.isArray(d[k]) ? 'an array' : typeof d[k]}`;
  for (const k of ['audit', 'outbox'] as const) if (d[k] !== undefined && !Array.isArray(d[k])) return `"${k}" must be an array`;
  for (const [id, e] of Object.entries(d.intents as object)) {
    if (!isObj(e) || e.intentId !== id || typeof e.terminal !== 'string' || !INTENT_STATES.has(e.state as string) || !isObj(e.intent)) {
      return `"intents.${id}" is not a ledger entry (needs intentId = "${id}", terminal, state ∈ ${[...INTENT_STATES].join('|')}, intent)`;
    }
  }
  for (const [id, r] of Object.entries(d.strategies as object)) {
    if (!isObj(r) || r.id !== id || !['running', 'paused', 'stopped'].includes(r.status as string)) return `"strategies.${id}" is not a strategy record (needs id = "${id}", status running|paused|stopped)`;
  }
  for (const [id, c] of Object.entries(d.commands as object)) {
    if (!isObj(c) || typeof c.status !== 'string') return `"commands.${id}" is not a command status`;
  }
  if (d.safety !== undefined && (!isObj(d.safety) || typeof d.safety.lockedUntil !== 'number')) return '"safety" must be { lockedUntil: number, reason, limits? }';
  return undefined;
}

/** What is wrong with a parsed journal line (undefined: nothing). */
function journalOpProblem(op: unknown): string | undefined {
  if (!isObj(op)) return `expected an object, got ${op === null ? 'null' : Array.isArray(op) ? 'an array' : typeof op}`;
  switch (op.op) {
    case 'add':
      return isObj(op.entry) && typeof op.entry.intentId === 'string' && isObj(op.entry.intent) ? undefined : '"add" needs entry { intentId, intent, … }';
    case 'update':
      return typeof op.intentId === 'string' && isObj(op.patch) ? undefined : '"update" needs intentId and patch';
    case 'strategy':
      return isObj(op.record) && typeof op.record.id === 'string' ? undefined : '"strategy" needs record { id, … }';
    case 'strategy-delete':
      return typeof op.id === 'string' ? undefined : '"strategy-delete" needs id';
    case 'command':
      return typeof op.id === 'string' && isObj(op.record) && typeof op.record.status === 'string' ? undefined : '"command" needs id and record { status, … }';
    case 'outbox-push':
      return isObj(op.entry) && typeof op.entry.seq === 'number' ? undefined : '"outbox-push" needs entry { seq, … }';
    case 'outbox-shift':
      return typeof op.upTo === 'number' ? undefined : '"outbox-shift" needs upTo';
    default:
      return `unknown op ${JSON.stringify(op.op) ?? 'missing'}`;
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
    this.appendJournal(line);
  }

  /** Append to the journal (lines an emergency could not write go first). Throws unless writes are lenient. */
  private appendJournal(text: string): void {
    try {
      this.journalFd ??= openSync(this.journalFile, 'a', 0o600);
      if (this.unwritten.length) {
        writeSync(this.journalFd, this.unwritten.join(''));
        this.unwritten = [];
      }
      writeSync(this.journalFd, text);
      this.journalLines++;
      if (this.journalLines >= this.retention.compactEvery && !this.compactQueued && !this.held) {
        this.compactQueued = true;
        setImmediate(() => this.compactSafely());
      }
    } catch (e) {
      if (!this.lenient) throw e;
      this.unwritten.push(text);
      this.noteFailure(`journal ${this.journalFile}`, e as Error);
    }
  }

  /** Journal lines since the last compaction. */
  private journalLines = 0;
  private compactQueued = false;
  retention: Retention = { ...DEFAULT_RETENTION };
  /** Ids of commands and intents moved to the archive: an id seen once is never taken as new. */
  private readonly archivedCommands = new Set<string>();
  private readonly archivedIntents = new Set<string>();
  /** Compactions done by this process (for the benchmark and the log). */
  compactions = 0;

  private compactSafely(): void {
    this.compactQueued = false;
    try {
      this.compact();
    } catch {
      /* the journal still holds everything; the next line tries again */
    }
  }

  /**
   * Compaction: settled history beyond the retention goes to archive/*.jsonl (appended, synced), then the whole
   * state is written (temp file, fsync, rename) and the journal emptied — all synchronously, so no journal line
   * can fall between the snapshot and the truncation. A backup follows when the last one is over an hour old.
   */
  compact(now = Date.now()): void {
    this.prune(now);
    writeDurably(this.file, stringify(this.data));
    if (this.journalFd !== undefined) closeSync(this.journalFd);
    this.journalFd = undefined;
    writeFileSync(this.journalFile, '', { mode: 0o600 });
    this.journalLines = 0;
    this.compactions++;
    if (now - this.lastBackupAt > 3_600_000) this.backup(48, now);
  }

  private lastBackupAt = 0;

  /** Move settled commands, intents and audit entries beyond the retention to the archive. */
  prune(now = Date.now()): { commands: number; intents: number; audit: number } {
    const { keepMs, keepCount } = this.retention;
    const oldEnough = (at: number, rank: number, total: number) => total - rank > keepCount || now - at > keepMs;
    const cmds = Object.entries(this.data.commands).filter(([, c]) => c.status === 'executed' || c.status === 'failed');
    cmds.sort((a, b) => a[1].at - b[1].at);
    const outCmds = cmds.filter(([, c], i) => oldEnough(c.at, i, cmds.length));
    const ints = Object.values(this.data.intents).filter((e) => e.state === 'settled');
    const at = (e: LedgerEntry) => (e.sentAt ?? e.createdAt) * (e.createdAt < 1e11 ? 1000 : 1);
    ints.sort((a, b) => at(a) - at(b));
    const outInts = ints.filter((e, i) => oldEnough(at(e), i, ints.length));
    const audit = this.data.audit;
    const auditOut = audit.filter((a, i) => oldEnough(a.at * (a.at < 1e11 ? 1000 : 1), i, audit.length));
    const month = new Date(now).toISOString().slice(0, 7);
    const archive = (kind: string, rows: unknown[]) => {
      if (!rows.length) return;
      mkdirSync(this.archiveDir, { recursive: true, mode: 0o700 });
      const f = join(this.archiveDir, `${kind}-${month}.jsonl`);
      const fd = openSync(f, 'a', 0o600);
      try {
        writeSync(fd, rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v))).join('\n') + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    };
    // on disk in the archive before they leave the state: never silently dropped
    archive('commands', outCmds.map(([id, c]) => ({ id, ...c })));
    archive('intents', outInts);
    archive('audit', auditOut);
    // and their ids in a plain index, read at the start (not the whole archive)
    const index = (name: string, ids: string[]) => {
      if (!ids.length) return;
      const fd = openSync(join(this.archiveDir, name), 'a', 0o600);
      try {
        writeSync(fd, ids.map((x) => JSON.stringify(x)).join('\n') + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    };
    index('command-ids.jsonl', outCmds.map(([id]) => id));
    index('intent-ids.jsonl', outInts.map((e) => e.intentId));
    for (const [id] of outCmds) {
      delete this.data.commands[id];
      this.archivedCommands.add(id);
    }
    for (const e of outInts) {
      delete this.data.intents[e.intentId];
      this.archivedIntents.add(e.intentId);
    }
    if (auditOut.length) {
      const gone = new Set(auditOut);
      this.data.audit = audit.filter((a) => !gone.has(a));
    }
    return { commands: outCmds.length, intents: outInts.length, audit: auditOut.length };
  }

  get archiveDir(): string {
    return join(this.dir, 'archive');
  }

  /** Whether a command id was archived (seen before: never executed again). */
  commandArchived(id: string): boolean {
    return this.archivedCommands.has(id);
  }

  /** An archived command's record, read from the archive (slow: for queries, not for the hot path). */
  findArchived(kind: 'commands' | 'intents', id: string): Record<string, unknown> | undefined {
    if (!existsSync(this.archiveDir)) return undefined;
    const key = kind === 'commands' ? 'id' : 'intentId';
    for (const f of readdirSync(this.archiveDir).filter((x) => x.startsWith(`${kind}-`)).sort().reverse()) {
      const lines = readFileSync(join(this.archiveDir, f), 'utf8').split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        if (!lines[i] || !lines[i]!.includes(JSON.stringify(id))) continue;
        const row = parse(lines[i]!) as unknown as Record<string, unknown>;
        if (row[key] === id) return row;
      }
    }
    return undefined;
  }

  /** An archived intent's ledger entry (the ledger's `get` falls back to it: an archived id never executes again). */
  archivedIntent(intentId: string): LedgerEntry | undefined {
    if (!this.archivedIntents.has(intentId)) return undefined;
    return this.findArchived('intents', intentId) as unknown as LedgerEntry | undefined;
  }

  /** Record a command's status: one journal line (on disk when this returns), not a whole-state rewrite. */
  putCommand(id: string, record: CommandRecord): void {
    this.journal({ op: 'command', id, record });
    this.data.commands[id] = record;
  }

  private outboxSeq = 0;

  /** Queue a status for the platform: one journal line. */
  pushOutbox(entry: OutboxEntry): void {
    const e = { ...entry, seq: ++this.outboxSeq };
    this.journal({ op: 'outbox-push', entry: e });
    this.data.outbox.push(e);
  }

  /** The first queued status was delivered (or refused for good): one journal line. */
  shiftOutbox(): void {
    const first = this.data.outbox[0];
    if (!first) return;
    if (first.seq !== undefined) this.journal({ op: 'outbox-shift', upTo: first.seq });
    this.data.outbox.shift();
  }

  /** Nesting of lenientWrites calls in progress. */
  private lenient = 0;
  /** Journal text an emergency could not write (written before the next line, in order). */
  private unwritten: string[] = [];
  /** What could not be written while writes were lenient, newest last (at most 100). */
  readonly writeFailures: string[] = [];

  private failureCount = 0;

  private noteFailure(what: string, e: Error): void {
    this.failureCount++;
    this.writeFailures.push(`${what}: ${e.message}`);
    if (this.writeFailures.length > 100) this.writeFailures.shift();
  }

  /**
   * Run `fn` (EMERGENCY_STOP) with writes that cannot fail it: a read-only or full disk must not keep the kill
   * switch from acting. It acts first; what could not be recorded stays in memory (journal lines are written
   * before the next line, the state with the next successful write) and is returned, for the caller to report.
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
    this.appendJournal(lines.join(''));
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
      const wrong = journalOpProblem(op);
      if (wrong) throw new JournalCorruptError(this.journalFile, i + 1, wrong);
      if (op.op === 'add') this.data.intents[op.entry.intentId] = op.entry;
      else if (op.op === 'command') this.data.commands[op.id] = op.record;
      else if (op.op === 'outbox-push') {
        // idempotent: the state may already hold it (a whole-state write after the line)
        if (!this.data.outbox.some((x) => x.seq === op.entry.seq)) this.data.outbox.push(op.entry);
      } else if (op.op === 'outbox-shift') {
        this.data.outbox = this.data.outbox.filter((x) => x.seq === undefined || x.seq > op.upTo);
      } else if (op.op === 'update') {
        if (this.data.intents[op.intentId]) Object.assign(this.data.intents[op.intentId]!, op.patch);
      } else {
        if (op.op === 'strategy') this.data.strategies[op.record.id] = op.record;
        else delete this.data.strategies[op.id];
        if (op.audit) this.data.audit.push(op.audit);
      }
      n++;
    }
    writeDurably(this.file, stringify(this.data));
    writeFileSync(this.journalFile, '', { mode: 0o600 });
    return n;
  }

  static async open(dir: string): Promise<Store> {
    return Store.openSync(dir);
  }

  /** open(), synchronously (reads with readFileSync): a new account's state is opened while its terminal says HELLO. */
  static openSync(dir: string): Store {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'state.json');
    let recovered: StoreCorruptError | undefined;
    let loaded: StoreData | undefined; // parsed once (a large state with tickets takes a while to revive)
    const firstStart = !existsSync(file);
    if (firstStart) {
      const evidence = Store.priorState(dir);
      if (evidence) throw new StoreMissingError(file, evidence);
    } else {
      let reason: string | undefined;
      try {
        loaded = parse(readFileSync(file, 'utf8'));
        reason = stateShapeProblem(loaded);
      } catch (e) {
        reason = (e as Error).message;
      }
      if (reason !== undefined) loaded = undefined;
      if (reason !== undefined) {
        const good = Store.newestGoodBackup(join(dir, 'backups'));
        // the damaged file stays where it is until the trader chooses (`state recover`): every start refuses
        if (!good) throw new StoreCorruptError(file, reason);
        renameSync(file, `${file}.corrupt-${Date.now()}`);
        copyFileSync(good, file);
        recovered = new StoreCorruptError(file, reason, good);
      }
    }
    const db = new Low(new DataFile<StoreData>(file, { parse, stringify }), empty());
    if (loaded) db.data = loaded;
    else if (!firstStart) db.data = parse(readFileSync(file, 'utf8')); // the backup just restored
    db.data ??= empty();
    db.data.outbox ??= [];
    db.data.audit ??= [];
    const s = new Store(dir, db);
    s.recovered = recovered;
    s.replayedJournal = s.replayJournal();
    s.outboxSeq = s.data.outbox.reduce((m, x) => Math.max(m, x.seq ?? 0), 0);
    s.loadArchivedIds();
    // a first start writes its state and a first backup at once: from now on a missing state.json is a loss, not a first start
    if (firstStart) s.checkpoint();
    if (!existsSync(s.backupDir) || !readdirSync(s.backupDir).some((f) => f.startsWith('state-') && f.endsWith('.json'))) s.backup(48);
    return s;
  }

  /** The ids in the archive (kept in memory: an archived command or intent id must never count as new). */
  private loadArchivedIds(): void {
    for (const [name, set] of [['command-ids.jsonl', this.archivedCommands], ['intent-ids.jsonl', this.archivedIntents]] as const) {
      const f = join(this.archiveDir, name);
      if (!existsSync(f)) continue;
      for (const line of readFileSync(f, 'utf8').split('\n')) if (line) set.add(JSON.parse(line) as string);
    }
  }

  /**
   * Why `dir` looks like it held a state before (backups, a state file set aside), or undefined. A journal alone
   * is not such a sign: an older version wrote no state.json before its first change, and the journal is replayed.
   */
  private static priorState(dir: string): string | undefined {
    const backups = join(dir, 'backups');
    if (existsSync(backups) && readdirSync(backups).some((f) => f.startsWith('state-') && f.endsWith('.json'))) return `backups in ${backups}`;
    const aside = readdirSync(dir).find((f) => f.startsWith('state.json.corrupt-') || f.startsWith('state.json.damaged-'));
    return aside ? `a state file set aside, ${join(dir, aside)}` : undefined;
  }

  /** Write the whole state now (temp file, fsync, rename): synchronous, for the start and for recovery. */
  private checkpoint(): void {
    writeDurably(this.file, stringify(this.data));
  }

  /**
   * `mt5-executor state recover`: the trader's explicit way out of a refused start. With `backup` (a path, or
   * 'latest'), that backup becomes the state; with `empty`, an empty state. The damaged file (if any) and the
   * journal are kept aside as state.json.damaged-<time> and ledger.jsonl.damaged-<time>. Returns what was done.
   */
  static recover(dir: string, choice: { backup?: string; empty?: boolean }, now = Date.now()): string {
    const file = join(dir, 'state.json');
    const backupDir = join(dir, 'backups');
    let source: string | undefined;
    if (choice.backup) {
      source = choice.backup === 'latest' ? Store.newestGoodBackup(backupDir) : choice.backup;
      if (!source) throw new Error(`no good backup in ${backupDir}`);
      let problem: string | undefined;
      try {
        problem = stateShapeProblem(parse(readFileSync(source, 'utf8')));
      } catch (e) {
        problem = (e as Error).message;
      }
      if (problem) throw new Error(`${source} is not a usable state (${problem}): choose another backup`);
    } else if (!choice.empty) {
      throw new Error('choose --backup <file|latest> or --empty');
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
    const kept: string[] = [];
    if (existsSync(file)) {
      renameSync(file, `${file}.damaged-${stamp}`);
      kept.push(`${file}.damaged-${stamp}`);
    }
    const journal = join(dir, 'ledger.jsonl');
    if (existsSync(journal) && statSync(journal).size > 0) {
      renameSync(journal, `${journal}.damaged-${stamp}`);
      kept.push(`${journal}.damaged-${stamp}`);
    }
    writeDurably(file, source ? readFileSync(source, 'utf8') : stringify(empty()));
    return `${file} now holds ${source ? `the backup ${source}` : 'an EMPTY state'}${kept.length ? `; kept aside: ${kept.join(', ')}` : ''}`;
  }

  /** The backups, newest first, each with whether it reads as a state. */
  static listBackups(dir: string): { file: string; good: boolean }[] {
    const backupDir = join(dir, 'backups');
    if (!existsSync(backupDir)) return [];
    return readdirSync(backupDir)
      .filter((x) => x.startsWith('state-') && x.endsWith('.json'))
      .sort()
      .reverse()
      .map((f) => {
        const p = join(backupDir, f);
        try {
          return { file: p, good: stateShapeProblem(parse(readFileSync(p, 'utf8'))) === undefined };
        } catch {
          return { file: p, good: false };
        }
      });
  }

  private static newestGoodBackup(dir: string): string | undefined {
    if (!existsSync(dir)) return undefined;
    for (const f of readdirSync(dir).filter((x) => x.startsWith('state-') && x.endsWith('.json')).sort().reverse()) {
      try {
        if (stateShapeProblem(parse(readFileSync(join(dir, f), 'utf8'))) === undefined) return join(dir, f);
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
    try {
      await this.db.write();
    } catch (e) {
      if (!this.lenient) throw e;
      this.noteFailure(`state ${this.file}`, e as Error);
    }
  }

  /** Copy the state to backups/state-<time>.json and keep the newest `keep`. */
  backup(keep: number, now = Date.now()): string {
    mkdirSync(this.backupDir, { recursive: true, mode: 0o700 });
    const name = join(this.backupDir, `state-${new Date(now).toISOString().replace(/[:.]/g, '-')}.json`);
    // the state as this process holds it: state.json plus the journal's changes since the start
    writeFileSync(name, stringify(this.data), { mode: 0o600 });
    this.lastBackupAt = now;
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

  /**
   * The trading core's state (risk baselines, equity peak, pauses, the kill-switch lock, retries): its own file,
   * written whole and atomically (temp, rename) whenever it changes, so a restart on the same broker day is still
   * blocked. Like the intent journal, a write is in the OS's hands when this returns (it survives the process being
   * killed; not synced to the disk on every change). Undefined when none was written yet; a damaged file is an
   * error that names it (never ignored).
   */
  readCoreState(): unknown {
    const file = join(this.dir, 'core-state.json');
    if (!existsSync(file)) return undefined;
    const text = readFileSync(file, 'utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new StoreCorruptError(file, (e as Error).message);
    }
  }

  writeCoreState(state: unknown): void {
    const file = join(this.dir, 'core-state.json');
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, file);
  }

  /**
   * The broker's clock as read so far (offset from UTC at a server time; a few readings a year): the broker's time
   * zone is inferred from them (src/engine/time/broker-time.ts). Derived data, read again from the terminal at every
   * connection: a missing or damaged file gives none.
   */
  readBrokerClock(): { serverSec: number; offsetSec: number }[] {
    const file = join(this.dir, 'broker-clock.json');
    if (!existsSync(file)) return [];
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (!Array.isArray(v)) return [];
      return v.filter((r): r is { serverSec: number; offsetSec: number } => !!r && Number.isSafeInteger((r as { serverSec?: unknown }).serverSec) && Number.isSafeInteger((r as { offsetSec?: unknown }).offsetSec) && Math.abs((r as { offsetSec: number }).offsetSec) <= 14 * 3600).slice(-64);
    } catch {
      return [];
    }
  }

  writeBrokerClock(readings: readonly { serverSec: number; offsetSec: number }[]): void {
    const file = join(this.dir, 'broker-clock.json');
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(readings), { mode: 0o600 });
    renameSync(tmp, file);
  }

  audit(at: number, event: string, detail?: unknown): void {
    this.data.audit.push(detail === undefined ? { at, event } : { at, event, detail });
    // beyond the retention, entries go to the archive at the next compaction (never silently dropped)
  }
}

/** The intent ledger on disk: `add` resolves once the intent is written, before it may be sent. */
export type JournalOp =
  | { op: 'command'; id: string; record: CommandRecord }
  | { op: 'outbox-push'; entry: OutboxEntry }
  | { op: 'outbox-shift'; upTo: number }
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
    return this.store.data.intents[intentId] ?? this.store.archivedIntent(intentId);
  }
  /** On disk (the journal) when this returns; a failed write is a rejected promise and nothing is sent. */
  add(entry: LedgerEntry): Promise<void> | undefined {
    if (this.get(entry.intentId)) throw new Error(`intent ${entry.intentId} is already in the ledger`);
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
