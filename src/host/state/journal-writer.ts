/**
 * The open journal segment `ledger.jsonl` as the store writes it: each change one line, appended synchronously;
 * lines held back to be written as one (a batch of intents); lines a failed write left in memory, written before the
 * next; the fsyncs shared by the writers that ask while one runs (group-sync.ts); and the seal of a compaction (the
 * segment renamed `ledger.<n>.jsonl`, new lines to a new `ledger.jsonl`). What a line says is format.ts's; when to
 * compact and what a failure means are the store's (store.ts).
 */
import { closeSync, existsSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { journalFiles } from './backups.js';
import { GroupSync } from './group-sync.js';

export class JournalWriter {
  /** Writes to the open segment (a line, or a held batch, counts one; each line a failed write left, one): the store compacts every `compactEvery`. */
  lines = 0;
  private fd: number | undefined;
  private held: string[] | undefined;
  /** Journal text not yet written (a failed soft write, an emergency): written before the next line, in order. */
  private unwritten: string[] = [];
  /** The journal's fsyncs, shared by the writers that ask while one runs (group-sync.ts). */
  private readonly group = new GroupSync(() => this.fd);

  /** `segment`: the number the open segment gets when it is sealed. */
  constructor(readonly file: string, public segment: number) {}

  /** Whether lines are held (between `hold()` and `flush()`). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Keep `line` for `flush()` when lines are held: true; false when they are not (the caller appends it). */
  holdLine(line: string): boolean {
    if (!this.held) return false;
    this.held.push(line);
    return true;
  }

  /** Keep lines in memory until `flush()` (one write for a batch of intents). */
  hold(): void {
    this.held ??= [];
  }

  /** The held lines as one text (undefined: none), and stop holding. */
  release(): string | undefined {
    const lines = this.held;
    this.held = undefined;
    return lines?.length ? lines.join('') : undefined;
  }

  /** Append `text` (one line or a batch of them) after what is unwritten; in the OS's hands when this returns, or it throws. */
  append(text: string): void {
    if (this.unwritten.length) this.writeUnwritten();
    this.fd ??= openSync(this.file, 'a', 0o600);
    writeSync(this.fd, text);
    this.lines++;
  }

  /** A line that could not be written: kept in memory and written before the next one. */
  keepUnwritten(text: string): void {
    this.unwritten.push(text);
  }

  /** Write the lines a failed write left in memory (throws if they cannot be written: they stay). */
  writeUnwritten(): void {
    if (!this.unwritten.length) return;
    this.fd ??= openSync(this.file, 'a', 0o600);
    writeSync(this.fd, this.unwritten.join(''));
    this.lines += this.unwritten.length;
    this.unwritten = [];
  }

  /** Whether the open segment has been opened for writing since the start or the last seal (else there is nothing to sync). */
  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** fsync the open segment (off-thread, shared with the callers that ask meanwhile). */
  sync(): Promise<void> {
    return this.group.sync();
  }

  get syncStats(): GroupSync['stats'] {
    return this.group.stats;
  }

  /** Seal the open segment: renamed `ledger.<segment>.jsonl` in `dir`, the next line opens a new one numbered one more. */
  seal(dir: string): void {
    this.close();
    const sealed = join(dir, `ledger.${this.segment}.jsonl`);
    if (existsSync(this.file)) renameSync(this.file, sealed);
    this.segment++;
    this.lines = 0;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Delete the sealed journal segments in `dir` numbered below `segment` (state.json holds them). */
export function dropSealed(dir: string, segment: number): void {
  for (const f of journalFiles(dir)) {
    const m = /ledger\.(\d+)\.jsonl$/.exec(f);
    if (m && Number(m[1]) < segment) unlinkSync(f);
  }
}
