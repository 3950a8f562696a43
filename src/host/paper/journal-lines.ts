/**
 * The paper account's persistence as the account (account.ts) uses it: each line written to the journal
 * (journal.ts) and kept in memory — from the seed or the latest snapshot on — for a rebuild to replay; every
 * `compactEvery` lines, the journal compacted into one snapshot line of the account, written off the event loop.
 * The account says what the snapshot holds and forgets what it no longer needs once it is written; this file says when.
 */
import type { SimBroker } from '../../sim/broker.js';
import type { Logger } from '../logger.js';
import { EncodedDeals, PaperJournal, type JournalLine, type JournalQuote, type SnapshotLine } from './journal.js';

export interface JournalLinesOptions {
  /** The paper account's folder. */
  dir: string;
  log: Logger;
  /** Lines between compactions. */
  compactEvery: number;
  /**
   * The account now as one snapshot line, and the ids of the intents settled in it (their lines are before it);
   * undefined when there is nothing to compact now (not seeded, or replaying). A throw: not compacted, and logged.
   */
  snapshot(): { line: SnapshotLine; settled: ReadonlySet<string> } | undefined;
  /** A snapshot replaced the lines before it on disk (the lines written meanwhile follow it). */
  compacted(line: SnapshotLine, settled: ReadonlySet<string>): void;
}

/**
 * FOR TESTS ONLY (tests/host/paper.test.ts), never set by the product: `compactionWritten`, when set, is called when
 * a compaction has been written (renamed into place) and holds its end — the lines it took in, the next compaction
 * queued — until the promise it returns settles. Lines written meanwhile follow its snapshot, as those of a compaction
 * still being written do. Unset (always, outside that test), a compaction's end is handled as it comes.
 */
export const testHooks: { compactionWritten?: (() => Promise<void>) | undefined } = {};

export class JournalLines {
  readonly journal: PaperJournal;
  /** Compactions done (tests and the log read it). */
  compactions = 0;
  /** The lines a rebuild replays: the seed or the latest snapshot first, then every line written since. */
  private kept: JournalLine[];
  /** Lines written since the journal's first (its seed or snapshot), and whether a compaction is on its way. */
  private linesSince: number;
  private compactQueued = false;
  /** The broker's deals as the journal's snapshot encodes them, kept between compactions (they never change). */
  private encodedDeals = new EncodedDeals();
  private closed = false;

  constructor(private readonly o: JournalLinesOptions) {
    this.journal = new PaperJournal(o.dir);
    this.kept = this.journal.read();
    this.linesSince = Math.max(0, this.kept.length - 1);
  }

  /** The lines a rebuild replays, oldest first (the seed or the latest snapshot first). */
  get lines(): readonly JournalLine[] {
    return this.kept;
  }

  /** A line to the journal (synced) and to the lines replayed at a rebuild; false, and logged, when it cannot be written. */
  keep(line: JournalLine): boolean {
    try {
      this.journal.append(line, true);
    } catch (e) {
      this.o.log.error({ err: (e as Error).message, file: this.journal.file, kind: line.k }, line.k === 'quote' || line.k === 'rollover'
        ? 'paper account: a fill or swap could not be written to its journal (a restart would not have it)'
        : 'paper account: its journal could not be written');
      return false;
    }
    if (line.k === 'seed') {
      this.kept = [line];
      this.linesSince = 0;
    } else {
      this.kept.push(line);
      this.linesSince++;
    }
    this.queueCompaction();
    return true;
  }

  /** The account's broker was built anew: its deals are encoded anew at the next compaction. */
  brokerReplaced(): void {
    this.encodedDeals = new EncodedDeals();
  }

  /** Stop writing; resolves when a compaction under way has ended (the folder may then be opened again). */
  close(): Promise<void> {
    this.closed = true;
    return this.journal.idle().then(() => this.journal.close());
  }

  /**
   * Rewrite the journal as one snapshot line of the account now (journal.ts: temp file, sync, rename). Run on its own
   * turn of the event loop, so every line written before it has been applied to the broker. A failure is logged and
   * the journal stays as it was (tried again after as many lines more).
   */
  private compact(): void {
    if (this.closed) {
      this.compactQueued = false;
      return;
    }
    let line: SnapshotLine, settled: ReadonlySet<string>, enc: EncodedDeals;
    try {
      const now = this.o.snapshot();
      if (!now) {
        this.compactQueued = false;
        return;
      }
      ({ line, settled } = now);
      // only the deals made since the last compaction are encoded now
      enc = line.broker.deals.length >= this.encodedDeals.count ? this.encodedDeals : (this.encodedDeals = new EncodedDeals());
      enc.add(line.broker.deals.slice(enc.count));
    } catch (e) {
      this.compactQueued = false;
      this.linesSince = 0;
      this.o.log.error({ err: (e as Error).message, file: this.journal.file }, 'paper account: its journal could not be compacted (it stays as it was, and grows)');
      return;
    }
    const lines = this.linesSince, at = this.kept.length;
    // written off the event loop (journal.ts); the lines of the meantime follow the snapshot; compactQueued stays
    // set until it ends (one at a time)
    const written = this.journal.compactInBackground(line, enc);
    const hold = testHooks.compactionWritten;
    (hold ? written.then(hold) : written).then(() => {
      this.kept = [line, ...this.kept.slice(at)];
      this.linesSince = this.kept.length - 1;
      this.compactions++;
      this.o.compacted(line, settled);
      this.o.log.info({ file: this.journal.file, lines, deals: line.broker.deals.length, positions: line.broker.positions.length }, 'paper account: journal compacted');
    }, (e: Error) => {
      this.linesSince = 0;
      this.o.log.error({ err: e.message, file: this.journal.file }, 'paper account: its journal could not be compacted (it stays as it was, and grows)');
    }).finally(() => {
      this.compactQueued = false;
      // the lines written while it ran may already be a compaction's worth: queued now, not at the next line (an
      // account that goes quiet would otherwise keep them in its journal, and in memory, until it trades again)
      this.queueCompaction();
    });
  }

  private queueCompaction(): void {
    if (this.linesSince >= this.o.compactEvery && !this.compactQueued && !this.closed) {
      this.compactQueued = true;
      setImmediate(() => this.compact());
    }
  }
}

/** The quotes of `symbols` (every symbol the broker knows: they convert profits and margins), as a journal line keeps them. */
export function brokerQuotes(broker: SimBroker | undefined, symbols: Iterable<string>): JournalQuote[] {
  const out: JournalQuote[] = [];
  for (const s of symbols) {
    const q = broker?.quoteOf(s);
    if (q) out.push([s, q.bid, q.ask, q.timeMsc]);
  }
  return out;
}

/** Replay: move each symbol whose price differs to the written one. */
export function applyQuotes(broker: SimBroker, quotes: readonly JournalQuote[]): void {
  for (const [s, bid, ask, t] of quotes) {
    const q = broker.quoteOf(s);
    if (q && q.bid === bid && q.ask === ask && q.timeMsc === t) continue;
    try {
      broker.quote(s, bid, ask, t);
    } catch {
      // as when it was live (quote() logged it then)
    }
  }
}
