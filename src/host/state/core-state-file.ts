/**
 * The trading core's state on disk (risk baselines, equity peak, pauses, the kill-switch lock, retries): its own
 * file, `core-state.json`, written whole and atomically (temp file, rename) whenever it changes, so a restart on
 * the same broker day is still blocked.
 *
 * The write runs on a worker thread, not on the event loop's thread: on ext4 a rename over the previous file starts
 * the new file's writeback and costs the calling thread ~1 ms (3.1 of 10.6 s of the host's busy time in bench:host
 * at 100 strategies), time in which a bar's decisions would wait. One write at a time: the states asked for while
 * one is being written make one more write, of the state read when it starts (the newest). Until the writer has
 * started (tens of ms after the first write), writes are made on the calling thread. `close()` waits for the write
 * under way and writes what is still asked for on the calling thread: after it, nothing touches the folder.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StoreCorruptError } from './format.js';

/** The writer (CommonJS, evaluated): writes, renames, clears the busy flag, then answers (null or the error). */
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeFileSync, renameSync } = require('node:fs');
const busy = new Int32Array(workerData.busy);
parentPort.on('message', ({ file, text }) => {
  let err = null;
  try {
    writeFileSync(file + '.tmp', text, { mode: 0o600 });
    renameSync(file + '.tmp', file);
  } catch (e) {
    err = e.message;
  }
  Atomics.store(busy, 0, 0);
  Atomics.notify(busy, 0);
  parentPort.postMessage(err);
});
`;

type Waiter = { resolve: () => void; reject: (e: Error) => void };

export class CoreStateFile {
  readonly file: string;
  /** The state to write next, as JSON text (read when its write starts); undefined when nothing is asked for. */
  private next: (() => string | undefined) | undefined;
  /** Callers of the write under way, and of the one asked for after it. */
  private current: Waiter[] = [];
  private waiting: Waiter[] = [];
  private inFlight = false;
  /** `settled()` callers: told when no write is under way or asked for. */
  private idle: (() => void)[] = [];
  private worker: Worker | undefined;
  /** 1 while the worker writes (shared: `close()` waits on it). */
  private busy: Int32Array | undefined;
  private closed = false;
  /** The writer thread has started: until then writes are made on the calling thread. */
  private online = false;

  constructor(dir: string) {
    this.file = join(dir, 'core-state.json');
  }

  /** The state last written; undefined when none was written yet; a damaged file is an error that names it. */
  read(): unknown {
    if (!existsSync(this.file)) return undefined;
    const text = readFileSync(this.file, 'utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new StoreCorruptError(this.file, (e as Error).message);
    }
  }

  /**
   * Write `state()`, JSON text (read when its write starts; undefined: nothing to write). Resolves when it, or a
   * newer state, is in the OS's hands (renamed into place); rejects with the write's error.
   */
  write(state: () => string | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.file}: the state folder is closed`));
    this.next = state;
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (!this.inFlight) this.start();
    return done;
  }

  /** Resolves when the writer thread has started (starting it): from then on no write is made on the calling thread. */
  ready(): Promise<void> {
    if (this.online) return Promise.resolve();
    const { worker } = this.writer();
    return new Promise((res) => worker.once('online', () => res()));
  }

  /** Resolves when no write is under way or asked for (a failed one included). */
  settled(): Promise<void> {
    if (!this.inFlight && !this.next) return Promise.resolve();
    return new Promise((res) => this.idle.push(res));
  }

  /**
   * No more writes: the one under way is waited for (the calling thread blocks for it, a few ms at most), a state
   * still asked for is written here, on the calling thread, and the worker ends.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight && this.busy) Atomics.wait(this.busy, 0, 1, 10_000);
    this.inFlight = false;
    void this.worker?.terminate();
    this.worker = undefined;
    const settle = (ws: Waiter[], e?: Error) => {
      for (const w of ws) if (e) w.reject(e);
      else w.resolve();
    };
    // the worker's answer for the write under way never comes now: it is done (or failed: then the next one tells)
    const current = this.current.splice(0);
    const waiting = this.waiting.splice(0);
    const state = this.next;
    this.next = undefined;
    try {
      const text = state?.();
      if (text !== undefined) {
        writeFileSync(`${this.file}.tmp`, text, { mode: 0o600 });
        renameSync(`${this.file}.tmp`, this.file);
      }
      settle(current);
      settle(waiting);
    } catch (e) {
      settle(current, e as Error);
      settle(waiting, e as Error);
    }
    for (const f of this.idle.splice(0)) f();
  }

  /** The next state to the worker (the callers waiting become those of this write). */
  private start(): void {
    while (this.next) {
      const state = this.next;
      this.next = undefined;
      const callers = this.waiting.splice(0);
      let text: string | undefined;
      try {
        text = state();
      } catch (e) {
        for (const w of callers) w.reject(e as Error);
        continue;
      }
      if (text === undefined) {
        for (const w of callers) w.resolve();
        continue;
      }
      const { worker, busy } = this.writer();
      if (!this.online) {
        // the writer is starting (tens of ms, more under load): this one is written here, as before there was one
        try {
          writeFileSync(`${this.file}.tmp`, text, { mode: 0o600 });
          renameSync(`${this.file}.tmp`, this.file);
          for (const w of callers) w.resolve();
        } catch (e) {
          for (const w of callers) w.reject(e as Error);
        }
        continue;
      }
      this.current = callers;
      Atomics.store(busy, 0, 1);
      this.inFlight = true;
      worker.ref(); // a write under way holds the process; an idle writer does not
      worker.postMessage({ file: this.file, text });
      return;
    }
    this.inFlight = false;
    this.worker?.unref();
    for (const f of this.idle.splice(0)) f();
  }

  private writer(): { worker: Worker; busy: Int32Array } {
    if (!this.worker || !this.busy) {
      const shared = new SharedArrayBuffer(4);
      this.busy = new Int32Array(shared);
      this.worker = new Worker(WRITER, { eval: true, workerData: { busy: shared } });
      this.worker.unref();
      this.worker.once('online', () => (this.online = true));
      this.worker.on('message', (err: string | null) => {
        this.inFlight = false;
        const callers = this.current.splice(0);
        for (const w of callers) if (err === null) w.resolve();
        else w.reject(new Error(err));
        this.start();
      });
      this.worker.on('error', (e: Error) => {
        // the writer itself failed (not a write: those are answered): a new one is made for the next write
        this.inFlight = false;
        this.online = false;
        for (const w of this.current.splice(0)) w.reject(e);
        this.worker = undefined;
        this.busy = undefined;
        this.start();
      });
    }
    return { worker: this.worker, busy: this.busy };
  }
}
