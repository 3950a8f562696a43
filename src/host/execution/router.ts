/**
 * Sending order intents to one terminal and learning their results.
 *
 *  - An intent is recorded in the ledger before it is sent; a re-used intent id never executes twice (its first
 *    result is answered, marked duplicate).
 *  - Each caller waits up to `intentTimeoutMs` (one timer for all waiters); the intent stays in the ledger after a
 *    timeout and is settled by a late result, by the re-ask on a live session (reask.ts) or by the reconciliation
 *    after a reconnection (reconcile.ts).
 *  - `batch` writes the ledger lines of a bar's intents in one write and sends them in one socket write.
 *  - The results of one turn's messages are settled at once and recorded in one journal write (holdResults): a
 *    bar's batch takes them into its write, before its intents, and logs them after its socket write.
 * It takes a ledger, a logger and a venue port; it knows nothing of sockets or the bridge server.
 */
import { performance } from 'node:perf_hooks';
import { MsgType, intentIdSchema, isIntentId, type IntentBody, type IntentResult } from '../../protocol/messages.js';
import { RC } from '../../protocol/retcodes.js';
import { RequestError } from '../bridge/request-error.js';
import type { Logger } from '../logger.js';
import type { IntentLedger, LedgerEntry } from '../state/ledger.js';
import { ReAsker } from './reask.js';
import type { VenuePort } from './venue.js';

/** Someone waiting for an intent's result, until `deadline` (performance.now() ms). */
type Waiter = { resolve: (r: IntentResult) => void; reject: (e: Error) => void; deadline: number; promise: Promise<IntentResult> };

export interface RouterOptions {
  intentTimeoutMs: number;
  /** Ask the terminal about an intent without a result this long after sending it (0: never; see reask.ts). */
  reaskMs: number;
  /** every result that settles or updates an intent (the terminal re-emits it as 'result') */
  onResult?: (r: IntentResult) => void;
}

export class IntentRouter {
  private readonly waiters = new Map<string, Waiter>();
  /** Callers of whenSettled, by intent id. */
  private readonly watchers = new Map<string, ((r: IntentResult) => void)[]>();
  readonly reask: ReAsker;

  constructor(
    readonly ledger: IntentLedger,
    readonly log: Logger,
    readonly venue: VenuePort,
    private readonly opts: RouterOptions,
  ) {
    this.reask = new ReAsker(
      {
        venue, ledger, log,
        found: (e, found) => this.settle(reconciled(e.intentId, found), 'reconcile'),
        resend: (e) => this.transmit(e),
        notExecuted: (e) => this.notExecuted(e),
      },
      opts.reaskMs,
    );
  }

  get key(): string {
    return this.venue.key;
  }

  /** The ledger entry of an intent id on this terminal, if one was ever recorded. */
  entry(intentId: string): LedgerEntry | undefined {
    const e = this.ledger.get(intentId);
    return e && e.terminal === this.key ? e : undefined;
  }

  /**
   * The result of an intent already in the ledger, whenever it comes: at once if settled, else when a result, the
   * re-ask or the reconciliation settles it (no time limit: an order's fate is not decided by a timer).
   */
  whenSettled(intentId: string): Promise<IntentResult> {
    const e = this.entry(intentId);
    if (!e) return Promise.reject(new RequestError('BAD_INTENT', `intent ${intentId} is not in the ledger`));
    if (e.state === 'settled' && e.result) return Promise.resolve(e.result);
    return new Promise((res) => {
      const list = this.watchers.get(intentId);
      if (list) list.push(res);
      else this.watchers.set(intentId, [res]);
    });
  }

  /**
   * Send an order intent. Recorded in the ledger first; sent now if connected, else on reconnect.
   * The same intent id again returns the first one's result (marked duplicate) and sends nothing.
   * Rejects with RequestError('TIMEOUT') after `intentTimeoutMs`; the intent stays in the ledger.
   */
  send(intent: IntentBody): Promise<IntentResult> {
    const id = intent.intentId;
    if (!isIntentId(id)) {
      const idCheck = intentIdSchema.safeParse(id); // zod words the error
      return Promise.reject(new RequestError('BAD_INTENT', `intentId '${id}': ${idCheck.success ? 'invalid' : (idCheck.error.issues[0]?.message ?? 'invalid')}`));
    }
    const existing = this.ledger.get(id);
    if (existing) {
      if (existing.terminal !== this.key) {
        return Promise.reject(new RequestError('BAD_INTENT', `intent id ${id} was already used on terminal ${existing.terminal}`));
      }
      if (existing.state === 'settled' && existing.result) return Promise.resolve({ ...existing.result, duplicate: true });
      return this.waiterFor(id).promise;
    }
    const entry: LedgerEntry = { intentId: id, terminal: this.key, intent, state: 'pending', createdAt: this.venue.serverTime(), attempts: 0 };
    const written = this.ledger.add(entry); // recorded before anything goes to the terminal
    const w = this.waiterFor(id);
    if (this.batching > 0 && !written) {
      entry.state = 'recording'; // its line is held: written, then sent, when the batch ends
      this.held.push({ entry, w });
    } else if (written) {
      entry.state = 'recording'; // not sendable (nor resent by a resync) until it is on disk
      written.then(
        () => {
          entry.state = 'pending';
          if (this.venue.connected) this.transmit(entry);
        },
        (e: Error) => this.notRecorded(entry, w, e),
      );
    } else if (this.venue.connected) this.transmit(entry);
    return w.promise;
  }

  private batching = 0;
  private held: { entry: LedgerEntry; w: Waiter }[] = [];

  /**
   * Run `fn` with its intents batched (a bar on which several strategies act): their ledger lines are written in one
   * write when `fn` returns, and only then do they go out, in one socket write. A failed ledger write rejects every
   * intent of the batch and sends none.
   */
  batch<T>(fn: () => T): T {
    if (this.batching++ === 0) {
      this.ledger.hold?.();
      this.recordHeldResults(); // their lines first, in the batch's one write
    }
    try {
      return fn();
    } finally {
      if (--this.batching === 0) this.endBatch();
    }
  }

  private endBatch(): void {
    const held = this.held;
    this.held = [];
    try {
      this.ledger.flush?.();
    } catch (e) {
      this.heldRecordsLost(e as Error);
      for (const { entry, w } of held) this.notRecorded(entry, w, e as Error);
      this.logHeldResults();
      return;
    }
    this.heldRecordsWritten = 0;
    if (!held.length) {
      this.logHeldResults();
      return;
    }
    this.venue.cork();
    const out: LedgerEntry[] = [];
    try {
      for (const { entry } of held) {
        entry.state = 'pending';
        if (this.venue.send(entry.intent)) out.push(entry);
      }
    } finally {
      this.venue.uncork();
      // the lines of the results handled before the bar (held), then the 'sent' records (one journal write) and
      // their log lines: none of them holds the bar's orders back
      this.logHeldResults();
      this.ledger.hold?.();
      const attempts = out.map((entry) => this.markSent(entry));
      try {
        this.ledger.flush?.();
      } catch (e) {
        this.log.error({ terminal: this.key, err: (e as Error).message }, 'ledger write failed (intents marked sent)');
      }
      out.forEach((entry, k) => this.logSent(entry, attempts[k]!));
    }
  }

  /** The ledger could not record an intent: it is not sent, and its caller hears why. */
  private notRecorded(entry: LedgerEntry, w: Waiter, e: Error): void {
    this.log.error({ terminal: this.key, intentId: entry.intentId, err: e.message }, 'ledger write failed: intent not sent');
    this.waiters.delete(entry.intentId);
    w.reject(new RequestError('LEDGER', `the ledger could not be written (${e.message}): the intent was not sent`));
  }

  private waiterFor(intentId: string): Waiter {
    const existing = this.waiters.get(intentId);
    if (existing) return existing;
    let resolve!: (r: IntentResult) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<IntentResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // every waiter has a listener: if its caller is gone (a throw between recording and returning the promise), its
    // timeout must not become an unhandled rejection that ends the process
    promise.catch(() => {});
    const w: Waiter = { resolve, reject, promise, deadline: performance.now() + this.opts.intentTimeoutMs };
    this.waiters.set(intentId, w);
    if (!this.expiry) this.armExpiry(w.deadline);
    return w;
  }

  /**
   * One timer for every waiter instead of one each: every waiter gets the same timeout, so the Map's insertion order
   * is deadline order and the first entry expires first.
   */
  private expiry: NodeJS.Timeout | undefined;

  private armExpiry(deadline: number): void {
    this.expiry = setTimeout(this.expire, Math.max(0, deadline - performance.now()));
  }

  private readonly expire = (): void => {
    this.expiry = undefined;
    const now = performance.now(), ms = this.opts.intentTimeoutMs;
    for (const [intentId, w] of this.waiters) {
      if (w.deadline > now) {
        this.armExpiry(w.deadline);
        return;
      }
      this.waiters.delete(intentId);
      w.reject(new RequestError('TIMEOUT', `no result for intent ${intentId} within ${ms} ms; it stays in the ledger and will be reconciled`));
    }
  };

  /** Apply a ledger change; a persistent ledger's write failure is logged (the in-memory state is already changed). */
  record(intentId: string, patch: Partial<LedgerEntry>): void {
    const w = this.ledger.update(intentId, patch);
    if (w) w.catch((e: Error) => this.log.error({ terminal: this.key, intentId, err: e.message }, 'ledger write failed'));
  }

  /** Send an entry now (a first send, or again under the same id) and record it. */
  transmit(entry: LedgerEntry): void {
    if (!this.venue.send(entry.intent)) return;
    this.logSent(entry, this.markSent(entry));
  }

  /**
   * Record the send; returns how many sends came before it. Recorded after the send: a process that dies in between
   * leaves it 'pending', which a restart treats exactly like 'sent' (both are looked for on the terminal before any
   * re-send).
   */
  private markSent(entry: LedgerEntry): number {
    const attempt = entry.attempts;
    this.record(entry.intentId, { state: 'sent', sentAt: this.venue.serverTime(), attempts: attempt + 1 });
    this.reask.sent(entry.intentId);
    return attempt;
  }

  /** `attempt` counts the sends before this one (0 for the first). */
  private logSent(entry: LedgerEntry, attempt: number): void {
    this.log.info({ terminal: this.key, intentId: entry.intentId, type: entry.intent.type, attempt }, 'intent sent');
  }

  /** A result: from the terminal, or found in its state by the re-ask or the reconciliation. */
  settle(result: IntentResult, by: 'result' | 'reconcile'): void {
    const entry = this.ledger.get(result.intentId);
    if (!entry) {
      this.log.warn({ terminal: this.key, intentId: result.intentId, retcode: result.retcode }, 'result for an intent not in the ledger');
      return;
    }
    if (entry.state === 'settled') return; // a duplicate reply to a re-sent intent: the first result stands
    this.reask.settled(result.intentId);
    const patch: Partial<LedgerEntry> = { state: result.class === 'ambiguous' ? 'unknown' : 'settled', result, settledBy: by };
    const line = { terminal: this.key, intentId: result.intentId, retcode: result.retcode, class: result.class, by, duplicate: result.duplicate };
    const h = this.heldResults;
    if (h) {
      // in memory now (a second answer in the same turn finds it settled); its journal line and log line held
      Object.assign(entry, patch);
      h.records.push([result.intentId, patch]);
      h.lines.push(line);
    } else {
      this.record(result.intentId, patch);
      this.log.info(line, 'intent result');
    }
    // an ambiguous answer on a live session: asked about (never re-sent) until found or shown not to have executed
    if (result.class === 'ambiguous' && this.venue.connected) this.reask.sent(result.intentId);
    const w = this.waiters.get(result.intentId);
    if (w) {
      this.waiters.delete(result.intentId);
      w.resolve(result);
    }
    if (result.class !== 'ambiguous') {
      const list = this.watchers.get(result.intentId);
      if (list) {
        this.watchers.delete(result.intentId);
        for (const res of list) res(result);
      }
    }
    this.opts.onResult?.(result);
  }

  // ------------------------------------------------------------------ results held for one turn

  /**
   * Results' ledger records and 'intent result' log lines held while one turn's messages are handled (holdResults
   * → releaseResults, the session's drain): the in-memory entry is settled at once — the trading core and the
   * waiters learn the result as before —, the journal lines of the turn's results are written in one write (with a
   * bar's intents, before them, when a bar's deciding batches some), and their log lines follow the bar's socket
   * write. A result's line is never needed before an order goes out: a process that dies before it is written
   * leaves the intent unsettled on disk, looked for on the terminal at the next connection and, when not found there,
   * sent again under its own id: the EA answers it from its intent ring with the stored result, executing nothing.
   * New intents are never held by this: their own lines are written before their frames as always.
   */
  private heldResults: { records: [string, Partial<LedgerEntry>][]; lines: object[] } | undefined;
  /** How many held records the batch under way has put in the ledger's held write (told if that write fails). */
  private heldRecordsWritten = 0;

  holdResults(): void {
    this.heldResults ??= { records: [], lines: [] };
  }

  /** Write what was held (one journal write) and log it; results are recorded at once again. Never throws. */
  releaseResults(): void {
    const h = this.heldResults;
    if (!h) return;
    if (this.batching > 0) {
      // inside a batch (not expected: a turn's messages are handled from the event loop): its write takes them
      this.recordHeldResults();
      this.heldResults = undefined;
      for (const l of h.lines) this.log.info(l, 'intent result');
      return;
    }
    this.heldResults = undefined;
    if (h.records.length) {
      this.ledger.hold?.();
      let n = 0;
      for (const [intentId, patch] of h.records) if (this.recordHeld(intentId, patch)) n++;
      try {
        this.ledger.flush?.();
      } catch (e) {
        this.log.error({ terminal: this.key, results: n, err: (e as Error).message }, 'ledger write failed (intent results): unless a later write of the ledger saves them, a restart finds those intents unsettled and looks for them on the terminal');
      }
    }
    for (const l of h.lines) this.log.info(l, 'intent result');
  }

  /** The held records into the ledger's held write (a batch starts). */
  private recordHeldResults(): void {
    const h = this.heldResults;
    if (!h?.records.length) return;
    const records = h.records;
    h.records = [];
    for (const [intentId, patch] of records) if (this.recordHeld(intentId, patch)) this.heldRecordsWritten++;
  }

  private recordHeld(intentId: string, patch: Partial<LedgerEntry>): boolean {
    try {
      this.record(intentId, patch);
      return true;
    } catch (e) {
      this.log.error({ terminal: this.key, intentId, err: (e as Error).message }, 'ledger write failed');
      return false;
    }
  }

  private heldRecordsLost(e: Error): void {
    if (!this.heldRecordsWritten) return;
    this.log.error({ terminal: this.key, results: this.heldRecordsWritten, err: e.message }, 'ledger write failed (intent results): unless a later write of the ledger saves them, a restart finds those intents unsettled and looks for them on the terminal');
    this.heldRecordsWritten = 0;
  }

  /** The held results' log lines (after a bar's socket write). */
  private logHeldResults(): void {
    const h = this.heldResults;
    if (!h?.lines.length) return;
    const lines = h.lines;
    h.lines = [];
    for (const l of lines) this.log.info(l, 'intent result');
  }

  /**
   * An intent the broker answered ambiguously and the terminal's state shows nothing of: it did not execute. Settled
   * with a final result (the ambiguous retcode, the reason in the comment): waiters and the trading core learn it.
   */
  notExecuted(e: LedgerEntry): void {
    const retcode = e.result?.retcode ?? 0;
    this.log.warn({ terminal: this.key, intentId: e.intentId, retcode }, 'ambiguous answer and nothing of it on the terminal: not executed');
    this.settle(
      { type: MsgType.INTENT_RESULT, seq: 0, re: 0, intentId: e.intentId, retcode, class: 'final', duplicate: false, comment: `not executed: answered ${retcode}${e.result?.comment ? ` (${e.result.comment})` : ''} and not found on the terminal` },
      'reconcile',
    );
  }

  /** The session ended: what was sent has an unknown outcome until the next session reconciles it. */
  disconnected(): void {
    this.reask.clear();
    for (const e of this.ledger.open(this.key)) {
      if (e.state === 'sent') this.record(e.intentId, { state: 'unknown' });
    }
  }

  /** Reject every waiter (the host is shutting down). */
  failAll(reason: string): void {
    clearTimeout(this.expiry);
    this.expiry = undefined;
    this.reask.clear();
    for (const [id, w] of this.waiters) {
      w.reject(new RequestError('SHUTDOWN', reason));
      this.waiters.delete(id);
    }
  }
}

/** The result of an intent found in the terminal's state. */
export function reconciled(intentId: string, found: Partial<IntentResult>): IntentResult {
  return { type: MsgType.INTENT_RESULT, seq: 0, re: 0, intentId, retcode: RC.DONE, class: 'done', duplicate: true, comment: 'reconciled from terminal state', ...found };
}
