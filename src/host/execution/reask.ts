/**
 * Re-asking on a live session. An intent sent on a session that stays up but whose result never arrives (its frame,
 * or the result's, was lost) is not left until a reconnection: `afterMs` after it was sent (well under the intent's
 * timeout) the terminal is asked for a snapshot; an intent found there (by its order comment) is settled from it,
 * one not found is sent again under the same intent id — the terminal executes an id once (the EA's intent ring,
 * kept on disk; SimEaLogic's ring), so a result lost after execution is answered from that ring, never executed
 * twice. Then the same again after another `afterMs`, until a result or a reconnection (whose reconciliation takes
 * over) settles it.
 *
 * An AMBIGUOUS answer (10011 error, 10012 timeout, 10031 no connection, an unknown code: the broker may or may not
 * have executed it) is asked about the same way, never sent again: found in the terminal's state → settled from
 * there; absent from two snapshots `afterMs` apart → it did not execute (the same conclusion the reconciliation
 * after a reconnection draws from one).
 */
import { performance } from 'node:perf_hooks';
import type { IntentResult } from '../../protocol/messages.js';
import type { Logger } from '../logger.js';
import type { IntentLedger, LedgerEntry } from '../state/ledger.js';
import { findIntent } from './snapshot-match.js';
import type { VenuePort } from './venue.js';

export interface ReAskHost {
  readonly venue: VenuePort;
  readonly ledger: IntentLedger;
  readonly log: Logger;
  /** the intent was found in the terminal's state: settle it from there */
  found(entry: LedgerEntry, found: Partial<IntentResult>): void;
  /** the terminal shows nothing of it: send it again under the same id */
  resend(entry: LedgerEntry): void;
  /** an ambiguous answer, and two snapshots show nothing of it: it did not execute */
  notExecuted(entry: LedgerEntry): void;
}

/** An intent the broker answered ambiguously, not yet settled: asked about, never re-sent. */
function isAmbiguous(e: LedgerEntry | undefined): boolean {
  return e?.state === 'unknown' && e.result?.class === 'ambiguous';
}

/** Still waiting for the re-ask: sent without a result, or answered ambiguously. */
function open(e: LedgerEntry | undefined): boolean {
  return e?.state === 'sent' || isAmbiguous(e);
}

export class ReAsker {
  /** Sent intents without a result, by id, with when to ask (insertion order is that order: re-sends move to the end). */
  private readonly due = new Map<string, { at: number; epoch: number }>();
  private timer: NodeJS.Timeout | undefined;
  private asking = false;
  /** Rounds that asked the terminal; intents settled from its state; intents sent again. */
  readonly stats = { asks: 0, found: 0, resent: 0, notExecuted: 0 };
  /** Ambiguous intents absent from one snapshot already (a second absence settles them as not executed). */
  private readonly missedOnce = new Set<string>();

  constructor(
    private readonly host: ReAskHost,
    readonly afterMs: number,
  ) {}

  /** An intent went out on the current session. */
  sent(intentId: string): void {
    if (!(this.afterMs > 0)) return;
    this.due.delete(intentId);
    this.due.set(intentId, { at: performance.now() + this.afterMs, epoch: this.host.venue.epoch });
    this.arm();
  }

  /** Its result came: nothing to ask. */
  settled(intentId: string): void {
    this.due.delete(intentId);
    this.missedOnce.delete(intentId);
  }

  /** The session ended: the reconciliation of the next one takes every open intent. */
  clear(): void {
    this.due.clear();
    this.missedOnce.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer || this.asking) return;
    const first = this.due.values().next();
    if (first.done) return;
    this.timer = setTimeout(this.fire, Math.max(0, first.value.at - performance.now()));
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const { venue, ledger } = this.host;
    const now = performance.now();
    const ripe: LedgerEntry[] = [];
    for (const [id, d] of this.due) {
      if (d.at > now) break;
      this.due.delete(id);
      const e = ledger.get(id);
      if (e && open(e) && d.epoch === venue.epoch && venue.connected) ripe.push(e);
    }
    if (ripe.length === 0) {
      this.arm();
      return;
    }
    void this.ask(ripe);
  };

  private async ask(ripe: LedgerEntry[]): Promise<void> {
    const { venue, ledger, log } = this.host;
    const epoch = venue.epoch;
    this.asking = true;
    this.stats.asks++;
    log.warn({ terminal: venue.key, intents: ripe.map((e) => e.intentId), afterMs: this.afterMs }, 'no result on a live session: asking the terminal');
    try {
      // deals from a little before the oldest was sent (the server clock as the host knows it, with slack): a
      // snapshot of only recent deals fits one frame, where an hour of a busy account took pages, each a frame to lose
      const from = Math.min(...ripe.map((e) => e.createdAt)) - 120;
      const snap = await venue.snapshot(Math.max(0, from), Math.max(this.afterMs, 250));
      if (venue.epoch !== epoch) return; // reconnected meanwhile: its reconciliation settles them
      for (const e of ripe) {
        const now = ledger.get(e.intentId);
        if (!open(now)) continue; // the result came meanwhile
        const found = findIntent(snap, e.intentId);
        if (found) {
          this.stats.found++;
          this.missedOnce.delete(e.intentId);
          this.host.found(e, found);
        } else if (isAmbiguous(now)) {
          if (this.missedOnce.delete(e.intentId)) {
            this.stats.notExecuted++;
            this.host.notExecuted(now!);
          } else {
            this.missedOnce.add(e.intentId);
            this.sent(e.intentId); // once more, `afterMs` later: a timed-out request may still be executing
          }
        } else {
          this.stats.resent++;
          this.host.resend(e);
        }
      }
    } catch (err) {
      // the snapshot itself got no answer (lost too, or the terminal is busy): ask again later, send nothing blind
      log.warn({ terminal: venue.key, err: (err as Error).message }, 're-ask snapshot failed: asking again later');
      if (venue.epoch === epoch) for (const e of ripe) if (open(ledger.get(e.intentId))) this.sent(e.intentId);
    } finally {
      this.asking = false;
      this.arm();
    }
  }
}
