/**
 * The host's state on disk (lowdb): strategies, the intent ledger, command statuses, the positions mirror,
 * daily statistics and an audit trail. Writes are atomic (lowdb/steno: a temporary file renamed over the old
 * one). Periodic backups with retention. A corrupt file is never silently reset: it is moved aside and the newest
 * good backup is restored — with an error naming both — or, without one, the host refuses to start.
 * Tickets are bigint: stored as {"$bigint": "…"} so they survive exactly.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
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

export interface StoreData {
  version: 1;
  strategies: Record<string, StrategyRecord>;
  intents: Record<string, LedgerEntry>;
  commands: Record<string, { status: 'received' | 'executing' | 'executed' | 'failed'; at: number; result?: unknown }>;
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
  /** Set when the state was restored from a backup on open (the caller should log and report it). */
  recovered: StoreCorruptError | undefined;
  private constructor(readonly dir: string, private readonly db: Low<StoreData>) {
    this.file = join(dir, 'state.json');
    this.backupDir = join(dir, 'backups');
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
    if (existsSync(this.file)) copyFileSync(this.file, name);
    const all = readdirSync(this.backupDir).filter((x) => x.startsWith('state-') && x.endsWith('.json')).sort();
    for (const old of all.slice(0, Math.max(0, all.length - keep))) unlinkSync(join(this.backupDir, old));
    return name;
  }

  async putStrategy(r: StrategyRecord): Promise<void> {
    this.data.strategies[r.id] = r;
    this.audit(r.updatedAt, 'strategy', { id: r.id, status: r.status });
    await this.write();
  }

  /** A real delete (the old executor could only mark strategies stopped). */
  async deleteStrategy(id: string, at: number): Promise<boolean> {
    if (!this.data.strategies[id]) return false;
    delete this.data.strategies[id];
    this.audit(at, 'strategy deleted', { id });
    await this.write();
    return true;
  }

  audit(at: number, event: string, detail?: unknown): void {
    this.data.audit.push(detail === undefined ? { at, event } : { at, event, detail });
    if (this.data.audit.length > 10_000) this.data.audit.splice(0, this.data.audit.length - 10_000);
  }
}

/** The intent ledger on disk: `add` resolves once the intent is written, before it may be sent. */
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
  add(entry: LedgerEntry): Promise<void> {
    if (this.store.data.intents[entry.intentId]) throw new Error(`intent ${entry.intentId} is already in the ledger`);
    this.store.data.intents[entry.intentId] = entry;
    return this.store.write();
  }
  update(intentId: string, patch: Partial<LedgerEntry>): Promise<void> {
    const e = this.store.data.intents[intentId];
    if (!e) throw new Error(`intent ${intentId} is not in the ledger`);
    Object.assign(e, patch);
    return this.store.write();
  }
  open(terminal: string): LedgerEntry[] {
    return Object.values(this.store.data.intents).filter((e) => e.terminal === terminal && e.state !== 'settled');
  }
}
