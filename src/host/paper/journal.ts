/**
 * The paper account on disk: `<data folder>/paper/journal.jsonl`, one JSON line per thing that changed the
 * simulated broker — the account it was seeded with (the first line), each symbol spec it learned, each intent it
 * executed and each quote that filled something (an SL, a TP, a pending order, a stop-out), with the quotes of the
 * other symbols at that moment, and each daily swap rollover. The broker is deterministic, so replaying the lines
 * into a new one rebuilds the same balance, positions, orders, deals and tickets after a restart. Quotes that
 * filled nothing change nothing and are not written. An intent's line is written (and synced) before it executes;
 * a torn last line (the process died writing it) is ignored, damage anywhere else stops the start with its line.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { IntentBody } from '../../protocol/messages.js';
import type { BrokerConfig, SimSymbolSpec } from '../../sim/broker.js';

/** A quote as the journal keeps it: symbol, bid, ask, time (ms). */
export type JournalQuote = [string, number, number, number];

export type JournalLine =
  | { k: 'seed'; v: 1; account: BrokerConfig['account']; at: number }
  | { k: 'spec'; spec: SimSymbolSpec; convert?: boolean }
  | { k: 'intent'; quotes: JournalQuote[]; intent: IntentBody }
  | { k: 'quote'; quotes: JournalQuote[] }
  | { k: 'rollover'; weekday: number; day: number };

export class PaperJournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaperJournalError';
  }
}

/** Tickets are bigint: written as strings, read back by their key. */
function replacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
function reviver(k: string, v: unknown): unknown {
  return k === 'ticket' && typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : v;
}

const KINDS = new Set(['seed', 'spec', 'intent', 'quote', 'rollover']);

export class PaperJournal {
  readonly file: string;
  private fd: number | undefined;

  constructor(readonly dir: string) {
    this.file = join(dir, 'journal.jsonl');
  }

  /** Every line written so far (an empty list for a new paper account). */
  read(): JournalLine[] {
    if (!existsSync(this.file)) return [];
    const text = readFileSync(this.file, 'utf8');
    const rows = text.split('\n');
    const out: JournalLine[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (!row.trim()) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(row, reviver) as JournalLine;
        if (!line || typeof line !== 'object' || !KINDS.has((line as { k?: string }).k ?? '')) throw new Error(`not a journal line (k: ${JSON.stringify((line as { k?: unknown })?.k)})`);
        if (out.length === 0 && line.k !== 'seed') throw new Error("the first line must be the account's seed");
      } catch (e) {
        // the last line may be torn by a crash while it was written: that change never happened
        if (i === rows.length - 1 && !text.endsWith('\n')) {
          truncateSync(this.file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1))); // the next line starts clean
          break;
        }
        throw new PaperJournalError(`${this.file}, line ${i + 1}: ${(e as Error).message}. The paper account cannot be rebuilt; move the paper folder aside to start a new paper account.`);
      }
      out.push(line);
    }
    return out;
  }

  /** Append one line; `sync` makes it durable before the caller goes on (intents: written before they execute). */
  append(line: JournalLine, sync = false): void {
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    writeSync(this.fd, JSON.stringify(line, replacer) + '\n');
    if (sync) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
