/**
 * The decision log's writer for the offline runs (backtest --log, paper --log): a file written a line at a time during
 * the run, in blocks of 64 KB (the decision log of a long run is large). A file that cannot be opened, or a write that
 * fails later (the disk full), is one line on stderr naming the option and the file, and the command exits 1.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { writeFailure } from './kit.js';

export class LineFile {
  private buf: string[] = [];
  private size = 0;
  /** A write failed (said on stderr): the command exits 1. */
  failed = false;
  private constructor(private readonly fd: number, private readonly what: string, private readonly err: (t: string) => void) {}

  /** The file opened for writing, or null (the failure said, as `mt5-executor <verb>: --<opt> <file>: …`) when it cannot be. */
  static open(file: string, opt: string, err: (t: string) => void, verb = 'backtest'): LineFile | null {
    try {
      return new LineFile(openSync(file, 'w'), `mt5-executor ${verb}: --${opt} ${file}`, err);
    } catch (e) {
      err(`mt5-executor ${verb}: --${opt} ${file}: cannot write it: ${writeFailure(e)}\n`);
      return null;
    }
  }

  write(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    if (this.size >= 65_536) this.flush();
  }

  private flush(): void {
    if (!this.buf.length || this.failed) return;
    try {
      // every byte, or an error: a write can take only part of a block (a disk filling up) without failing
      const bytes = Buffer.from(this.buf.join('\n') + '\n');
      for (let off = 0; off < bytes.length;) {
        const n = writeSync(this.fd, bytes, off, bytes.length - off);
        if (n <= 0) throw Object.assign(new Error('the disk is full'), { code: 'ENOSPC' });
        off += n;
      }
    } catch (e) {
      this.failed = true;
      this.err(`${this.what}: cannot write it: ${writeFailure(e)}\n`);
    }
    this.buf = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
