/**
 * The intent ledger on disk: every change is a journal line, written before the intent may be sent.
 */
import type { IntentLedger, LedgerEntry } from './ledger.js';
import type { JournalOp } from './format.js';

/** What the ledger needs of the store (store.ts): its intents, and the journal their changes go to. */
export interface LedgerStore {
  intent(id: string): LedgerEntry | undefined;
  intents(): LedgerEntry[];
  archivedIntent(intentId: string): LedgerEntry | undefined;
  journal(op: JournalOp): void;
  recordIntent(entry: LedgerEntry): void;
  forgetIntent(id: string): void;
  holdJournal(): void;
  flushJournal(): void;
}

export class PersistentLedger implements IntentLedger {
  /**
   * Entries a previous process left unsettled may have reached the terminal, whatever state the file says
   * (the process can die between sending and recording 'sent'): they become 'unknown', so the resync looks for
   * them in the terminal's state before sending anything again.
   */
  constructor(private readonly store: LedgerStore) {
    for (const e of store.intents()) {
      if (e.state === 'pending' || e.state === 'recording' || e.state === 'sent') e.state = 'unknown';
    }
  }
  /** In the state, or in the archive (exact): an archived id is never taken as new. */
  get(intentId: string): LedgerEntry | undefined {
    return this.store.intent(intentId) ?? this.store.archivedIntent(intentId);
  }
  /** On disk (the journal) when this returns; a failed write is a rejected promise and nothing is sent. */
  add(entry: LedgerEntry): Promise<void> | undefined {
    if (this.get(entry.intentId)) throw new Error(`intent ${entry.intentId} is already in the ledger`);
    try {
      this.store.recordIntent(entry);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    this.heldAdds?.push(entry.intentId);
    return undefined;
  }
  update(intentId: string, patch: Partial<LedgerEntry>): Promise<void> | undefined {
    const e = this.store.intent(intentId);
    if (!e) throw new Error(`intent ${intentId} is not in the ledger`);
    Object.assign(e, patch);
    try {
      this.store.journal({ op: 'update', intentId, patch });
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return undefined;
  }
  open(terminal: string): LedgerEntry[] {
    return this.store.intents().filter((e) => e.terminal === terminal && e.state !== 'settled');
  }
  private heldAdds: string[] | undefined;
  hold(): void {
    this.store.holdJournal();
    this.heldAdds ??= [];
  }
  flush(): void {
    const added = this.heldAdds ?? [];
    this.heldAdds = undefined;
    try {
      this.store.flushJournal();
    } catch (e) {
      for (const id of added) this.store.forgetIntent(id); // not on disk: not recorded
      throw e;
    }
  }
}
