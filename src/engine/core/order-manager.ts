/**
 * The order manager of the trading core: each intent's lifecycle, pending → done | rejected | ambiguous, and the
 * retries of exits.
 *
 * The runner proposes intents with deterministic ids (the same decision, the same id: a re-sent decision is never
 * executed twice). An exit the broker refused for a passing reason (requote, prices changed, no quotes, market
 * closed, too many requests, locked, frozen, no connection) is sent again at the strategy's next decision with a
 * FRESH id — the old id would only get its stored result back — up to `maxAttempts` tries; then the core raises an
 * alert. A stop modification refused (invalid stops, or a passing reason) is proposed again by the runner from the
 * broker's stop, and admitted under a fresh id. Entries are never retried: a refused entry is a decision of its
 * bar. Nothing here has a clock or does I/O; its state is one serialisable object.
 */
import type { IntentBody } from '../../protocol/messages.js';
import { RC } from '../../protocol/retcodes.js';
import { intentIdFor } from '../ids.js';
import { SteadyMap } from '../steady-map.js';

/** Why an intent was proposed; partials and break-even carry what they change in the runner's books. */
export interface IntentTag {
  purpose: 'entry' | 'close' | 'partial' | 'stop' | 'manual';
  ticket?: bigint;
  /** partial: the level (1-based). */
  level?: number;
  /** stop: the move is the break-even one. */
  breakEven?: boolean;
}

export interface RetryPolicy {
  /** Tries of one exit in all (the first included). */
  maxAttempts: number;
  /** Retcodes after which an exit is tried again. */
  retryOn: readonly number[];
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  // requote, rejected(no), market closed, prices changed, off quotes, too many requests, locked, frozen, connection
  retryOn: [RC.REQUOTE, RC.MARKET_CLOSED, 10020, RC.PRICE_OFF, 10024, 10028, RC.FROZEN, RC.CONNECTION],
});

interface Flight {
  /** The id sent. */
  id: string;
  /** The first id (the runner's). */
  logical: string;
  strategyId: string;
  intent: IntentBody;
  tag: IntentTag;
  /** 0 = first try. */
  attempt: number;
}

/** What a result meant. */
export type Outcome =
  | { kind: 'done'; flight: Flight }
  | { kind: 'retry'; flight: Flight; reason: string }
  | { kind: 'rejected'; flight: Flight; reason: string }
  | { kind: 'gave_up'; flight: Flight; reason: string }
  | { kind: 'ambiguous'; flight: Flight };

export interface OrderManagerState {
  inflight: SerialFlight[];
  retry: SerialFlight[];
  /** [logical id, tries, ticket] */
  attempts: [string, number, string?][];
}
type SerialFlight = Omit<Flight, 'intent' | 'tag'> & { intent: unknown; tag: Omit<IntentTag, 'ticket'> & { ticket?: string } };

export class OrderManager {
  /** Sent, no final answer yet, by the id sent. */
  private readonly inflight = new SteadyMap<string, Flight>();
  /** Exits refused for a passing reason, to send again at the strategy's next decision, by logical id. */
  private readonly retry = new Map<string, Flight>();
  /** Tries so far of logical ids that failed at least once, with their position (forgotten when it goes). */
  private readonly attempts = new Map<string, { n: number; ticket: bigint | undefined }>();
  /** Full closes in flight or waiting for a retry, by ticket (a second full close of one position is dropped). */
  private readonly closing = new SteadyMap<bigint, string>();

  constructor(readonly policy: RetryPolicy = DEFAULT_RETRY) {}

  /**
   * A proposed intent: the intent to send (its id fresh when an earlier try failed), or null when the same
   * decision is already in flight or waiting for its retry, or its tries are used up.
   */
  admit(strategyId: string, intent: IntentBody, tag: IntentTag): IntentBody | null {
    const logical = intent.intentId;
    // (each Map asked only when it holds something: a string key's lookup costs even in an empty Map)
    if (this.retry.size > 0 && this.retry.has(logical)) return null;
    if (tag.purpose === 'close' && tag.ticket !== undefined && this.closing.size > 0 && this.closing.has(tag.ticket)) return null;
    const tries = this.attempts.size > 0 ? (this.attempts.get(logical)?.n ?? 0) : 0;
    if (tries > 0) {
      if (tries >= this.policy.maxAttempts) return null;
      for (const f of this.inflight.values()) if (f.logical === logical) return null;
    } else if (this.inflight.has(logical)) return null;
    const id = tries > 0 ? retryId(logical, tries) : logical;
    const sent = id === logical ? intent : { ...intent, intentId: id };
    const f: Flight = { id, logical, strategyId, intent: sent, tag, attempt: tries };
    this.inflight.set(id, f);
    if (tag.purpose === 'close' && tag.ticket !== undefined) this.closing.set(tag.ticket, logical);
    return sent;
  }

  /** The exits of a strategy waiting to be sent again, each under a fresh id (they are in flight from here). */
  retriesFor(strategyId: string, stillOpen: (ticket: bigint) => boolean): Flight[] {
    if (this.retry.size === 0) return [];
    const out: Flight[] = [];
    for (const [logical, f] of this.retry) {
      if (f.strategyId !== strategyId) continue;
      this.retry.delete(logical);
      if (f.tag.ticket !== undefined && !stillOpen(f.tag.ticket)) {
        this.forget(f);
        continue;
      }
      const attempt = this.attempts.get(logical)?.n ?? 1;
      const id = retryId(logical, attempt);
      const next: Flight = { ...f, id, attempt, intent: { ...f.intent, intentId: id } };
      this.inflight.set(id, next);
      out.push(next);
    }
    return out;
  }

  hasRetries(strategyId?: string): boolean {
    if (strategyId === undefined || this.retry.size === 0) return this.retry.size > 0;
    for (const f of this.retry.values()) if (f.strategyId === strategyId) return true;
    return false;
  }

  /** Entries sent and not yet answered (the risk gate counts them with the open positions). */
  pendingEntries(): { symbol: string; strategyId: string; volume: number }[] {
    const out: { symbol: string; strategyId: string; volume: number }[] = [];
    for (const f of this.inflight.values()) if (f.intent.type === 'OPEN') out.push({ symbol: f.intent.symbol, strategyId: f.strategyId, volume: f.intent.volume });
    return out;
  }

  /** Is this id one the manager sent and still waits on? */
  tracks(intentId: string): boolean {
    return this.inflight.has(intentId);
  }

  /** The broker's answer to an intent the manager sent (`cls` is the retcode's class, protocol/retcodes.ts). */
  onResult(intentId: string, cls: 'done' | 'retry' | 'final' | 'ambiguous', retcode: number, comment = ''): Outcome | undefined {
    const f = this.inflight.get(intentId);
    if (!f) return undefined;
    if (cls === 'ambiguous') {
      // a full close may be tried again safely (a closed position answers 10036); anything else waits for the
      // ledger's reconciliation, whose result comes here too (a partial or an entry sent twice would be two)
      if (f.tag.purpose !== 'close') return { kind: 'ambiguous', flight: f };
    }
    this.inflight.delete(intentId);
    if (cls === 'done') {
      this.forget(f);
      return { kind: 'done', flight: f };
    }
    const reason = `${retcode}${comment ? ` ${comment}` : ''}`;
    const tries = f.attempt + 1;
    const note = (n: number) => this.attempts.set(f.logical, { n, ticket: f.tag.ticket });
    const p = f.tag.purpose;
    if (p === 'entry' || p === 'manual') return { kind: 'rejected', flight: f, reason };
    if (p === 'stop') {
      // proposed again by the runner from the broker's stop; a fresh id for that proposal
      if (retcode === RC.INVALID_STOPS || this.policy.retryOn.includes(retcode) || cls === 'retry') {
        note(tries);
        return tries >= this.policy.maxAttempts ? { kind: 'gave_up', flight: f, reason } : { kind: 'retry', flight: f, reason };
      }
      return { kind: 'rejected', flight: f, reason };
    }
    // close / partial
    if (retcode === RC.POSITION_CLOSED) {
      this.forget(f);
      return { kind: 'rejected', flight: f, reason };
    }
    if (this.policy.retryOn.includes(retcode) || cls === 'retry' || cls === 'ambiguous') {
      note(tries);
      if (tries >= this.policy.maxAttempts) {
        this.forgetTicket(f);
        return { kind: 'gave_up', flight: f, reason };
      }
      this.retry.set(f.logical, f);
      return { kind: 'retry', flight: f, reason };
    }
    note(this.policy.maxAttempts); // final: not tried again
    this.forgetTicket(f);
    return { kind: 'rejected', flight: f, reason };
  }

  /** A position has gone: nothing of it is retried any more. */
  positionGone(ticket: bigint): void {
    if (this.closing.size > 0) this.closing.delete(ticket);
    if (this.retry.size > 0) for (const [k, f] of this.retry) if (f.tag.ticket === ticket) this.retry.delete(k);
    if (this.attempts.size > 0) for (const [k, a] of this.attempts) if (a.ticket === ticket) this.attempts.delete(k);
  }

  /** A strategy is gone: nothing of it is retried any more. */
  strategyGone(strategyId: string): void {
    for (const [k, f] of this.retry) if (f.strategyId === strategyId) this.retry.delete(k);
  }

  get pending(): number {
    return this.inflight.size + this.retry.size;
  }

  state(): OrderManagerState {
    const ser = (f: Flight): SerialFlight => {
      const { ticket, ...tag } = f.tag;
      return { ...f, intent: serialIntent(f.intent), tag: { ...tag, ...(ticket !== undefined ? { ticket: ticket.toString() } : {}) } };
    };
    return {
      inflight: [...this.inflight.values()].map(ser), retry: [...this.retry.values()].map(ser),
      attempts: [...this.attempts].map(([k, a]): [string, number, string?] => (a.ticket !== undefined ? [k, a.n, a.ticket.toString()] : [k, a.n])),
    };
  }

  restore(s: OrderManagerState): void {
    const de = (f: SerialFlight): Flight => {
      const { ticket, ...tag } = f.tag;
      return { ...f, intent: deserialIntent(f.intent), tag: { ...tag, ...(ticket !== undefined ? { ticket: BigInt(ticket) } : {}) } };
    };
    this.inflight.clear();
    this.retry.clear();
    this.attempts.clear();
    this.closing.clear();
    for (const f of s.inflight.map(de)) {
      this.inflight.set(f.id, f);
      if (f.tag.purpose === 'close' && f.tag.ticket !== undefined) this.closing.set(f.tag.ticket, f.logical);
    }
    for (const f of s.retry.map(de)) {
      this.retry.set(f.logical, f);
      if (f.tag.purpose === 'close' && f.tag.ticket !== undefined) this.closing.set(f.tag.ticket, f.logical);
    }
    for (const [k, n, t] of s.attempts) this.attempts.set(k, { n, ticket: t !== undefined ? BigInt(t) : undefined });
  }

  private forget(f: Flight): void {
    if (this.attempts.size > 0) this.attempts.delete(f.logical);
    this.forgetTicket(f);
  }

  private forgetTicket(f: Flight): void {
    if (f.tag.purpose === 'close' && f.tag.ticket !== undefined && this.closing.get(f.tag.ticket) === f.logical) this.closing.delete(f.tag.ticket);
  }
}

/** The id of try `attempt` (≥ 1) of a logical intent: deterministic (a restart or a second venue gives the same). */
export function retryId(logical: string, attempt: number): string {
  return intentIdFor(logical.slice(0, 7), `${logical}|retry${attempt}`);
}

function serialIntent(i: IntentBody): unknown {
  return JSON.parse(JSON.stringify(i, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
}

function deserialIntent(x: unknown): IntentBody {
  return JSON.parse(JSON.stringify(x), (_k, v: unknown) => (typeof v === 'string' && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)) as IntentBody;
}
