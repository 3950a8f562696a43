/**
 * The intent ledger: every order intent is recorded here *before* it is sent to a terminal, and settled when
 * its result arrives (or when reconciliation finds it in the terminal's orders, positions or deals).
 * This in-memory ledger is the interface; a persistent one (persistent-ledger.ts, journaled) implements the same.
 */
import type { IntentBody, IntentResult } from '../../protocol/messages.js';

/** recording: being written (not sendable yet); pending: written, not sent; sent; unknown: sent, outcome lost; settled. */
export type IntentState = 'recording' | 'pending' | 'sent' | 'unknown' | 'settled';

export interface LedgerEntry {
  intentId: string;
  terminal: string;
  intent: IntentBody;
  state: IntentState;
  createdAt: number;
  sentAt?: number;
  attempts: number;
  result?: IntentResult;
  /** How the result was learned: from the EA's reply, or by finding the intent in a terminal snapshot. */
  settledBy?: 'result' | 'reconcile';
  /** Found on the terminal (by its `ix:` comment) without a ledger entry — e.g. a state restored from an older
   *  backup — and recorded so its id can never execute again. `intent` is then rebuilt from what was found. */
  adopted?: boolean;
}

export interface IntentLedger {
  get(intentId: string): LedgerEntry | undefined;
  /** Record a new intent. Throws if the id exists (callers check `get` first). A persistent ledger returns
   *  a promise that resolves once the entry is on disk: nothing is sent before. */
  add(entry: LedgerEntry): void | Promise<void>;
  update(intentId: string, patch: Partial<LedgerEntry>): void | Promise<void>;
  /** Entries of a terminal that have no result yet. */
  open(terminal: string): LedgerEntry[];
  /**
   * Optional batching (a persistent ledger): after `hold()`, changes are kept in memory until `flush()` writes
   * them in one go. `flush` throws if the write fails; the entries it had added are then taken out again, so
   * nothing of the batch counts as recorded. Callers send nothing of a batch before its flush returns.
   */
  hold?(): void;
  flush?(): void;
}

export class MemoryLedger implements IntentLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  get(intentId: string): LedgerEntry | undefined {
    return this.entries.get(intentId);
  }
  add(entry: LedgerEntry): void {
    if (this.entries.has(entry.intentId)) throw new Error(`intent ${entry.intentId} is already in the ledger`);
    this.entries.set(entry.intentId, entry);
  }
  update(intentId: string, patch: Partial<LedgerEntry>): void {
    const e = this.entries.get(intentId);
    if (!e) throw new Error(`intent ${intentId} is not in the ledger`);
    Object.assign(e, patch);
  }
  open(terminal: string): LedgerEntry[] {
    return [...this.entries.values()].filter((e) => e.terminal === terminal && e.state !== 'settled');
  }
  get size(): number {
    return this.entries.size;
  }
}
