/**
 * Retention and the archive: settled commands, intents and audit entries beyond the retention leave the state
 * for `archive/{commands,intents,audit}-YYYY-MM.jsonl` (appended and synced BEFORE a state without them is
 * written: never silently dropped). Every archived command and intent id goes into an on-disk index,
 * `archive/index/{commands,intents}-NN.tsv` (128 buckets by hash: `"id"<TAB>file<TAB>offset<TAB>length`),
 * so a row is found with one small read, and into an in-memory Bloom filter (~2 bytes an id, not the ids):
 * "not archived" is answered from memory, "maybe" from the index on disk. The answer is exact: an archived id is
 * never taken as new.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { IdFilter } from './id-filter.js';
import { fromJson, toJson, type AuditEntry, type CommandRecord, type StoreData } from './format.js';
import type { LedgerEntry } from './ledger.js';

/** How much settled history stays in state.json; older entries go to the archive (still found by id). */
export interface Retention {
  /** Settled commands, intents and audit entries younger than this stay (default 7 days). */
  keepMs: number;
  /** …but at most this many of each (default 20,000). */
  keepCount: number;
  /** Journal lines between compactions (state.json rewritten, journal emptied; default 50,000). */
  compactEvery: number;
}

export const DEFAULT_RETENTION: Retention = { keepMs: 7 * 86_400_000, keepCount: 20_000, compactEvery: 50_000 };

type Kind = 'commands' | 'intents';
const KINDS: Kind[] = ['commands', 'intents'];
const BUCKETS = 128;

function bucketOf(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return (h >>> 0) % BUCKETS;
}

/** What one compaction takes out of the state. */
export interface ArchiveBatch {
  commands: [string, CommandRecord][];
  intents: LedgerEntry[];
  audit: AuditEntry[];
}

/** Give the event loop a turn when this slice of work has run for `ms`. */
export function slicer(ms = 8): () => Promise<void> {
  let start = performance.now();
  return async () => {
    if (performance.now() - start < ms) return;
    await new Promise((r) => setImmediate(r));
    start = performance.now();
  };
}

const msOf = (t: number) => (t < 1e11 ? t * 1000 : t); // seconds or milliseconds

export class Archive {
  private readonly indexDir: string;
  private readonly filters: Record<Kind, IdFilter>;
  /** Rows taken out of the state whose archive write is not finished: still found here. */
  private readonly pending: Record<Kind, Map<string, Record<string, unknown>>> = { commands: new Map(), intents: new Map() };
  /** Ids in the index read from disk (for the benchmark and the log). */
  indexed = 0;

  constructor(readonly dir: string) {
    this.indexDir = join(dir, 'index');
    const bytes = KINDS.map((k) => this.bucketFiles(k).reduce((n, f) => n + statSync(f).size, 0));
    this.filters = { commands: new IdFilter(Math.max(1 << 16, bytes[0]! / 20)), intents: new IdFilter(Math.max(1 << 16, bytes[1]! / 20)) };
    this.migrateLegacyIds();
    for (const kind of KINDS) {
      for (const f of this.bucketFiles(kind)) {
        let text = readFileSync(f, 'utf8');
        if (text.length && !text.endsWith('\n')) {
          // a torn last line (the process died appending it): its batch never finished and its rows are still in
          // the state; cut it, or the next line appended would be glued to it
          text = text.slice(0, text.lastIndexOf('\n') + 1);
          truncateSync(f, Buffer.byteLength(text));
        }
        let at = 0;
        while (at < text.length) {
          const nl = text.indexOf('\n', at);
          if (nl < 0) break; // a torn last line: its batch was never finished, its rows are still in the state
          const tab = text.indexOf('\t', at);
          if (tab > at && tab < nl) {
            this.filters[kind].add(text.slice(at, tab));
            this.indexed++;
          }
          at = nl + 1;
        }
      }
    }
  }

  private bucketFile(kind: Kind, b: number): string {
    return join(this.indexDir, `${kind}-${String(b).padStart(3, '0')}.tsv`);
  }

  private bucketFiles(kind: Kind): string[] {
    if (!existsSync(this.indexDir)) return [];
    return readdirSync(this.indexDir).filter((f) => f.startsWith(`${kind}-`) && f.endsWith('.tsv')).map((f) => join(this.indexDir, f));
  }

  /** Bytes of memory the filters take (the ids themselves stay on disk). */
  get filterBytes(): number {
    return this.filters.commands.bytes + this.filters.intents.bytes;
  }

  /** Whether `id` was archived. Exact: the filter's "maybe" is checked in the index. */
  has(kind: Kind, id: string): boolean {
    if (this.pending[kind].has(id)) return true;
    const key = JSON.stringify(id);
    return this.filters[kind].mightHave(key) && this.locate(kind, key) !== undefined;
  }

  /** An archived row by id (the command's record with its `id`, or the ledger entry), or undefined. */
  find(kind: Kind, id: string): Record<string, unknown> | undefined {
    const p = this.pending[kind].get(id);
    if (p) return p;
    const key = JSON.stringify(id);
    if (!this.filters[kind].mightHave(key)) return undefined;
    const at = this.locate(kind, key);
    if (!at) return undefined;
    if (!at.file) return this.scanMonths(kind, id); // an id from the older index (no position kept)
    const buf = Buffer.alloc(at.length);
    const fd = openSync(join(this.dir, at.file), 'r');
    try {
      readSync(fd, buf, 0, at.length, at.offset);
    } finally {
      closeSync(fd);
    }
    return fromJson<Record<string, unknown>>(buf.toString('utf8'));
  }

  /** The newest index line of `key` ("id" as JSON) in its bucket. */
  private locate(kind: Kind, key: string): { file: string; offset: number; length: number } | undefined {
    const f = this.bucketFile(kind, bucketOf(key));
    if (!existsSync(f)) return undefined;
    const text = readFileSync(f, 'utf8');
    let at = text.lastIndexOf(`\n${key}\t`);
    if (at >= 0) at++;
    else if (text.startsWith(`${key}\t`)) at = 0;
    else return undefined;
    const nl = text.indexOf('\n', at);
    if (nl < 0) return undefined; // torn: that batch did not finish
    const [, file, offset, length] = text.slice(at, nl).split('\t');
    return { file: file ?? '', offset: Number(offset), length: Number(length) };
  }

  /** Archived audit entries recorded between `from` and `to` (ms), oldest first. */
  audit(from: number, to: number): AuditEntry[] {
    if (!existsSync(this.dir)) return [];
    const out: AuditEntry[] = [];
    const first = new Date(from).toISOString().slice(0, 7);
    for (const f of readdirSync(this.dir).filter((x) => /^audit-\d{4}-\d{2}\.jsonl$/.test(x) && x.slice(6, 13) >= first).sort()) {
      for (const line of readFileSync(join(this.dir, f), 'utf8').split('\n')) {
        let a: AuditEntry;
        try {
          a = fromJson<AuditEntry>(line);
        } catch {
          continue; // empty, or a row torn by a crash (its batch was archived again after)
        }
        if (msOf(a.at) >= from && msOf(a.at) <= to) out.push(a);
      }
    }
    return out;
  }

  /**
   * Take the settled history beyond the retention out of `d` (oldest first, in the order recorded; no sort), in
   * slices that leave the event loop free. Each row stays findable here until `write` has it on disk.
   */
  async select(d: StoreData, r: Retention, now: number): Promise<ArchiveBatch> {
    const turn = slicer();
    const old = (t: number) => now - msOf(t) > r.keepMs;
    const batch: ArchiveBatch = { commands: [], intents: [], audit: [] };
    const settled = (c: CommandRecord | undefined) => c !== undefined && (c.status === 'executed' || c.status === 'failed');
    const cmdIds = Object.keys(d.commands).filter((id) => settled(d.commands[id]));
    let excess = cmdIds.length - r.keepCount;
    for (const [i, id] of cmdIds.entries()) {
      const c = d.commands[id];
      if (!settled(c)) continue; // changed meanwhile
      if (excess-- > 0 || old(c!.at)) {
        batch.commands.push([id, c!]);
        delete d.commands[id];
        this.pending.commands.set(id, { id, ...c });
      }
      if (i % 256 === 0) await turn();
    }
    const intentIds = Object.keys(d.intents).filter((id) => d.intents[id]!.state === 'settled');
    excess = intentIds.length - r.keepCount;
    for (const [i, id] of intentIds.entries()) {
      const e = d.intents[id];
      if (e?.state !== 'settled') continue;
      if (excess-- > 0 || old(e.sentAt ?? e.createdAt)) {
        batch.intents.push(e);
        delete d.intents[id];
        this.pending.intents.set(id, e as unknown as Record<string, unknown>);
      }
      if (i % 256 === 0) await turn();
    }
    excess = d.audit.length - r.keepCount;
    let n = 0;
    while (n < d.audit.length && (excess-- > 0 || old(d.audit[n]!.at))) n++;
    batch.audit = d.audit.slice(0, n);
    if (n) d.audit = d.audit.slice(n);
    return batch;
  }

  /** A batch that could not be written goes back into the state (what changed meanwhile is kept as it is). */
  restore(batch: ArchiveBatch, d: StoreData): void {
    for (const [id, c] of batch.commands) {
      d.commands[id] ??= c;
      this.pending.commands.delete(id);
    }
    for (const e of batch.intents) {
      d.intents[e.intentId] ??= e;
      this.pending.intents.delete(e.intentId);
    }
    d.audit = [...batch.audit, ...d.audit];
  }

  /**
   * Append a batch to this month's files and the index, each synced, in slices that leave the event loop free.
   * Only then do its ids count as archived on disk (the caller writes the state without them after this).
   */
  async write(batch: ArchiveBatch, now: number): Promise<void> {
    const month = new Date(now).toISOString().slice(0, 7);
    const turn = slicer();
    mkdirSync(this.indexDir, { recursive: true, mode: 0o700 });
    const index: Record<Kind, string[][]> = { commands: Array.from({ length: BUCKETS }, () => []), intents: Array.from({ length: BUCKETS }, () => []) };
    const append = async (name: string, rows: { id?: string; row: unknown }[], kind?: Kind) => {
      if (!rows.length) return;
      const fh = await open(join(this.dir, name), 'a+', 0o600);
      try {
        let offset = (await fh.stat()).size;
        if (offset > 0) {
          // a row torn by a crash stays on its own line, out of every row's way
          const last = Buffer.alloc(1);
          await fh.read(last, 0, 1, offset - 1);
          if (last[0] !== 0x0a) offset += (await fh.write('\n')).bytesWritten;
        }
        let chunk: string[] = [];
        for (const { id, row } of rows) {
          const text = toJson(row) + '\n';
          const length = Buffer.byteLength(text) - 1;
          if (kind) {
            const key = JSON.stringify(id);
            index[kind][bucketOf(key)]!.push(`${key}\t${name}\t${offset}\t${length}\n`);
          }
          offset += length + 1;
          chunk.push(text);
          if (chunk.length >= 500) {
            await fh.write(chunk.join(''));
            chunk = [];
            await turn();
          }
        }
        if (chunk.length) await fh.write(chunk.join(''));
        await fh.sync();
      } finally {
        await fh.close();
      }
    };
    await append(`commands-${month}.jsonl`, batch.commands.map(([id, c]) => ({ id, row: { id, ...c } })), 'commands');
    await append(`intents-${month}.jsonl`, batch.intents.map((e) => ({ id: e.intentId, row: e })), 'intents');
    await append(`audit-${month}.jsonl`, batch.audit.map((a) => ({ row: a })));
    const writes: Promise<void>[] = [];
    for (const kind of KINDS) {
      index[kind].forEach((lines, b) => {
        if (lines.length) writes.push(this.appendSynced(this.bucketFile(kind, b), lines.join('')));
      });
    }
    await Promise.all(writes);
    for (const [id] of batch.commands) this.archived('commands', id);
    for (const e of batch.intents) this.archived('intents', e.intentId);
  }

  private archived(kind: Kind, id: string): void {
    this.filters[kind].add(JSON.stringify(id));
    this.pending[kind].delete(id);
  }

  private async appendSynced(file: string, text: string): Promise<void> {
    const fh = await open(file, 'a', 0o600);
    try {
      await fh.write(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** The previous version kept every archived id in `command-ids.jsonl` / `intent-ids.jsonl` (read whole at each start). */
  private migrateLegacyIds(): void {
    for (const [name, kind] of [['command-ids.jsonl', 'commands'], ['intent-ids.jsonl', 'intents']] as const) {
      const f = join(this.dir, name);
      if (!existsSync(f)) continue;
      mkdirSync(this.indexDir, { recursive: true, mode: 0o700 });
      const lines: string[][] = Array.from({ length: BUCKETS }, () => []);
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        if (!line) continue;
        const key = JSON.stringify(JSON.parse(line) as string);
        lines[bucketOf(key)]!.push(`${key}\t\t0\t0\n`);
      }
      lines.forEach((l, b) => {
        if (!l.length) return;
        const fd = openSync(this.bucketFile(kind, b), 'a', 0o600);
        try {
          // synced before the old file goes: a crash in between repeats the migration (a duplicate line is harmless)
          writeSync(fd, l.join(''));
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      });
      renameSync(f, `${f}.migrated`);
    }
  }

  /** A row of the older archive, found by scanning its month files (ids migrated from the older index only). */
  private scanMonths(kind: Kind, id: string): Record<string, unknown> | undefined {
    const key = kind === 'commands' ? 'id' : 'intentId';
    const quoted = JSON.stringify(id);
    for (const f of readdirSync(this.dir).filter((x) => x.startsWith(`${kind}-`) && x.endsWith('.jsonl')).sort().reverse()) {
      const lines = readFileSync(join(this.dir, f), 'utf8').split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        if (!lines[i] || !lines[i]!.includes(quoted)) continue;
        const row = fromJson<Record<string, unknown>>(lines[i]!);
        if (row[key] === id) return row;
      }
    }
    return { [key]: id, status: 'executed', at: 0 }; // archived, its row not found: seen, never executed again
  }
}
