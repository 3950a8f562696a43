/**
 * The trading core's state on disk (risk baselines, equity peak, pauses, the kill-switch lock, retries), so a
 * restart on the same broker day is still blocked: a whole state in `core-state.json` (temp file, rename), and after
 * it the changes — deltas, src/engine/core/core-state.ts — appended to `core-state.jsonl`, one line each, whenever
 * the state changes. The whole state is written first in a process, after a failed write, and when the deltas
 * outgrow twice the whole state (at least 256 KB); then the lines are emptied. Each whole state has a new
 * generation, and a line counts only under its own: a crash between the rename and the emptying leaves lines that
 * are not applied. A line cut by a crash (the last, without its newline) is ignored; any other damage is an error.
 * Read: the whole state with its generation's lines applied in order. (A file written before there were deltas —
 * the state without a generation — is read as it is.) Why: with 1,000 strategies the whole state is ~250 KB,
 * and making it after every change cost the event loop's thread 0.5–3 ms each time.
 *
 * The writes run on a worker thread, not on the event loop's thread: on ext4 a rename over the previous file starts
 * the new file's writeback and costs the calling thread ~1 ms (3.1 of 10.6 s of the host's busy time in bench:host
 * at 100 strategies), time in which a bar's decisions would wait. Deltas go there too: appended on the event loop's
 * thread instead (a write call on a file kept open, ~15 µs against ~50 µs to hand it over), the 1,000-strategy
 * bench:host had a higher in-host p99 in 4 of 5 A/B pairs, not explained (docs/performance-history.md). One write at a time: the states asked for while
 * one is being written make one more write, of the state read when it starts (the newest). Until the writer has
 * started (tens of ms after the first write), writes are made on the calling thread. `close()` waits for the write
 * under way and writes what is still asked for on the calling thread: after it, nothing touches the folder.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { applyCoreStateDelta, type CoreStateDelta } from '../../engine/core/core-state.js';
import type { CoreState } from '../../engine/core/trading-core.js';
import { coreDeltaProblem, coreStateProblem, kindOf } from './core-state-shape.js';
import { CoreStateCorruptError } from './format.js';

/** One write: a whole state (temp file, rename, then the lines emptied) or a line appended. */
type Job = { file: string; lines: string; text: string; whole: boolean };

/** A write on the calling thread (the writer starting; close()); the worker's copy is below. */
function writeJob({ file, lines, text, whole }: Job, tmp = `${file}.tmp`): void {
  if (whole) {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
    writeFileSync(lines, '', { mode: 0o600 });
  } else {
    appendFileSync(lines, text, { mode: 0o600 });
  }
}

/**
 * The writer (CommonJS, evaluated): writes as writeJob does, clears the busy flag, then answers (null or the error).
 * A whole state written after close() gave up waiting for it (the second flag) is not renamed into place: close()
 * has written a newer one itself.
 */
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeFileSync, renameSync, appendFileSync, unlinkSync } = require('node:fs');
const busy = new Int32Array(workerData.busy);
parentPort.on('message', ({ file, lines, text, whole }) => {
  let err = null;
  try {
    if (whole) {
      writeFileSync(file + '.tmp', text, { mode: 0o600 });
      if (Atomics.load(busy, 1) === 1) {
        try { unlinkSync(file + '.tmp'); } catch {}
        throw new Error('closed meanwhile');
      }
      renameSync(file + '.tmp', file);
      writeFileSync(lines, '', { mode: 0o600 });
    } else {
      appendFileSync(lines, text, { mode: 0o600 });
    }
  } catch (e) {
    err = e.message;
  }
  Atomics.store(busy, 0, 0);
  Atomics.notify(busy, 0);
  parentPort.postMessage(err);
});
`;

type Waiter = { resolve: () => void; reject: (e: Error) => void };

/** The state to write, read when its write starts: a whole state or (when `delta` allows) a delta, as JSON text. A string is a whole state. */
export type CoreStateText = (delta: boolean) => { text: string; delta: boolean } | string | undefined;

/** Deltas up to this many bytes at least before a whole state is written again (else twice the whole state's size). */
const MIN_LINES_BYTES = 256 * 1024;

export class CoreStateFile {
  readonly file: string;
  /** The deltas after the whole state, one JSON line each. */
  readonly lines: string;
  /** The state to write next (read when its write starts); undefined when nothing is asked for. */
  private next: CoreStateText | undefined;
  /** The state asked for last (close() writes it whole when the write under way does not finish). */
  private last: CoreStateText | undefined;
  /** The generation of the whole state written last (its lines carry it). */
  private gen = '';
  private wholeBytes = 0;
  private linesBytes = 0;
  /** The next write is a whole state: none written yet by this process, or a write failed. */
  private wholeNeeded = true;
  /** Callers of the write under way, and of the one asked for after it. */
  private current: Waiter[] = [];
  private waiting: Waiter[] = [];
  private inFlight = false;
  /** `settled()` callers: told when no write is under way or asked for. */
  private idle: (() => void)[] = [];
  private worker: Worker | undefined;
  /** [0]: 1 while the worker writes (shared: `close()` waits on it); [1]: 1 once close() gave up waiting. */
  private busy: Int32Array | undefined;
  private closed = false;
  /** The writer thread has started: until then writes are made on the calling thread. */
  private online = false;

  /** `closeWaitMs`: how long close() waits for the write under way (default 10 s). */
  constructor(
    dir: string,
    private readonly o: { closeWaitMs?: number } = {},
  ) {
    this.file = join(dir, 'core-state.json');
    this.lines = join(dir, 'core-state.jsonl');
  }

  /**
   * The state last written (the whole state and its deltas); undefined when none was written yet. A damaged file is
   * an error that names it, the line and what was expected: text that is not JSON, and JSON that is not the core's
   * state or a change of it (core-state-shape.ts) — the core is never given it.
   */
  read(): unknown {
    if (!existsSync(this.file)) return undefined;
    let whole: unknown;
    try {
      whole = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
    } catch (e) {
      throw new CoreStateCorruptError(this.file, (e as Error).message);
    }
    const w = whole as { gen?: unknown; state?: unknown };
    const framed = typeof w === 'object' && w !== null && typeof w.gen === 'string' && 'state' in w;
    // a file written before deltas is the state itself
    const bad = coreStateProblem(framed ? w.state : whole);
    if (bad) throw new CoreStateCorruptError(this.file, framed ? `"state": ${bad}` : bad);
    if (!framed) return whole;
    let state = w.state as CoreState;
    if (!existsSync(this.lines)) return state;
    const text = readFileSync(this.lines, 'utf8');
    const lines = text.split('\n');
    for (let k = 0; k < lines.length; k++) {
      const line = lines[k]!;
      if (!line) continue;
      let x: unknown;
      try {
        x = JSON.parse(line) as unknown;
      } catch (e) {
        if (k === lines.length - 1) break; // the last line, cut by a crash as it was written: that change was not written
        throw new CoreStateCorruptError(this.lines, `line ${k + 1}: ${(e as Error).message}`);
      }
      const l = x as { g?: unknown; d?: unknown };
      if (typeof l !== 'object' || l === null || Array.isArray(l) || typeof l.g !== 'string') {
        throw new CoreStateCorruptError(this.lines, `line ${k + 1}: expected a change of the core's state, {"g": "<generation>", "d": {…}}, got ${typeof l === 'object' && l !== null && !Array.isArray(l) ? 'an object without "g"' : kindOf(l)}`);
      }
      if (l.g !== w.gen) continue; // a line of an earlier whole state (the emptying after it did not happen)
      const wrong = coreDeltaProblem(l.d);
      if (wrong) throw new CoreStateCorruptError(this.lines, `line ${k + 1}: ${'d' in l ? wrong : 'no change ("d")'}`);
      state = applyCoreStateDelta(state, l.d as CoreStateDelta);
    }
    return state;
  }

  /**
   * Write `state(delta)` (read when its write starts; undefined: nothing to write): a delta after the whole state
   * when `delta` is true and the state gives one, else the whole state. Resolves when it, or a newer state, is in
   * the OS's hands (renamed into place, or appended); rejects with the write's error.
   */
  write(state: CoreStateText): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.file}: the state folder is closed`));
    this.next = state;
    this.last = state;
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
   * still asked for is written here, on the calling thread, and the worker ends. One under way that does not finish
   * within `closeWaitMs` is written again here, as the newest state asked for (before, its callers were told it was
   * written, and the worker was stopped, perhaps before its rename).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // a write that does not finish within closeWaitMs (a disk that hangs) is not trusted: the newest state is
    // written here, whole, under a temp name of its own, and the writer, when it wakes, renames nothing over it
    const stuck = this.inFlight && this.busy !== undefined && Atomics.wait(this.busy, 0, 1, this.o.closeWaitMs ?? 10_000) === 'timed-out';
    if (stuck) Atomics.store(this.busy!, 1, 1);
    // the worker's answer for that whole state never comes now: whether it failed is unknown, so what is still asked
    // for is written whole (a delta after a failed whole state would belong to no whole state)
    if (this.inFlight) this.wholeNeeded = true;
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
    const state = this.next ?? (stuck ? this.last : undefined);
    this.next = undefined;
    try {
      const job = state && this.job(state);
      if (job) this.writeHere(job, stuck ? `${this.file}.close.tmp` : undefined);
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
      let job: Job | undefined;
      try {
        job = this.job(state);
      } catch (e) {
        for (const w of callers) w.reject(e as Error);
        continue;
      }
      if (job === undefined) {
        for (const w of callers) w.resolve();
        continue;
      }
      const { worker, busy } = this.writer();
      if (!this.online) {
        // the writer is starting (tens of ms, more under load): this one is written here, as before there was one
        try {
          this.writeHere(job);
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
      worker.postMessage(job);
      return;
    }
    this.inFlight = false;
    this.worker?.unref();
    for (const f of this.idle.splice(0)) f();
  }

  /** The next write: the state read now, a whole one or a delta line (undefined: nothing to write). */
  private job(state: CoreStateText): Job | undefined {
    const whole = this.wholeNeeded || this.linesBytes > Math.max(MIN_LINES_BYTES, 2 * this.wholeBytes);
    this.wholeNeeded = true; // until the state is read: a state that throws may have forgotten what it owed
    const got = state(!whole);
    this.wholeNeeded = whole;
    if (got === undefined) return undefined;
    const { text, delta } = typeof got === 'string' ? { text: got, delta: false } : got;
    if (delta && !whole) {
      const line = `{"g":"${this.gen}","d":${text}}\n`;
      this.linesBytes += line.length;
      return { file: this.file, lines: this.lines, text: line, whole: false };
    }
    this.gen = randomBytes(6).toString('hex');
    const all = `{"gen":"${this.gen}","state":${text}}`;
    this.wholeBytes = all.length;
    this.linesBytes = 0;
    this.wholeNeeded = false;
    return { file: this.file, lines: this.lines, text: all, whole: true };
  }

  /** A write on the calling thread (the writer starting; close()): a failure makes the next write a whole one. */
  private writeHere(job: Job, tmp?: string): void {
    try {
      writeJob(job, tmp);
    } catch (e) {
      this.wholeNeeded = true;
      throw e;
    }
  }

  private writer(): { worker: Worker; busy: Int32Array } {
    if (!this.worker || !this.busy) {
      const shared = new SharedArrayBuffer(8);
      this.busy = new Int32Array(shared);
      this.worker = new Worker(WRITER, { eval: true, workerData: { busy: shared } });
      this.worker.unref();
      this.worker.once('online', () => (this.online = true));
      this.worker.on('message', (err: string | null) => {
        this.inFlight = false;
        if (err !== null) this.wholeNeeded = true;
        const callers = this.current.splice(0);
        for (const w of callers) if (err === null) w.resolve();
        else w.reject(new Error(err));
        this.start();
      });
      this.worker.on('error', (e: Error) => {
        // the writer itself failed (not a write: those are answered): a new one is made for the next write
        this.inFlight = false;
        this.online = false;
        this.wholeNeeded = true;
        for (const w of this.current.splice(0)) w.reject(e);
        this.worker = undefined;
        this.busy = undefined;
        this.start();
      });
    }
    return { worker: this.worker, busy: this.busy };
  }
}
