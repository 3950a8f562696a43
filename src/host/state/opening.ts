/**
 * Opening a state folder (store.ts's `Store.open`): state.json read — or, damaged, the newest good backup restored
 * with an error naming both, or the start refused until `state recover` (backups.ts) —, the sealed journal segments
 * it does not hold and the open journal replayed over it, and the result written at once. A missing state.json
 * where a previous run left traces is a refused start too, never a silent reset.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { journalFiles, newestGoodBackup, noGoodBackup, priorState, readJournal } from './backups.js';
import {
  applyOp, emptyState, fromJson, stateShapeProblem, toJson,
  StoreCorruptError, StoreMissingError,
  type StoreData,
} from './format.js';
import { dropSealed } from './journal-writer.js';
import { writeDurably } from './snapshot.js';

export interface OpenedState {
  d: StoreData;
  /** Set when the state was restored from a backup. */
  recovered: StoreCorruptError | undefined;
  /** No state.json was there (and nothing says a previous run left one). */
  firstStart: boolean;
  /** The journal lines taken in (the previous run's, not yet in state.json), the files they came from, the next segment number. */
  replayed: { lines: number; files: string[]; next: number };
}

/** Read the state in `dir` (made if missing): loaded, recovered or refused, and replayed, in memory. */
export function readStateFolder(dir: string): OpenedState {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'state.json');
  let recovered: StoreCorruptError | undefined;
  let loaded: StoreData | undefined;
  const firstStart = !existsSync(file);
  if (firstStart) {
    const evidence = priorState(dir);
    if (evidence) throw new StoreMissingError(file, evidence);
  } else {
    let reason: string | undefined;
    try {
      loaded = fromJson<StoreData>(readFileSync(file, 'utf8'));
      reason = stateShapeProblem(loaded);
    } catch (e) {
      reason = (e as Error).message;
    }
    if (reason !== undefined) {
      loaded = undefined;
      const good = newestGoodBackup(join(dir, 'backups'));
      // the damaged file stays where it is until the trader chooses (`state recover`): every start refuses
      if (!good) throw new StoreCorruptError(file, reason, undefined, noGoodBackup(join(dir, 'backups')));
      renameSync(file, `${file}.corrupt-${Date.now()}`);
      copyFileSync(good, file);
      loaded = fromJson<StoreData>(readFileSync(file, 'utf8'));
      recovered = new StoreCorruptError(file, reason, good);
    }
  }
  const d = loaded ?? emptyState();
  d.outbox ??= [];
  d.audit ??= [];
  return { d, recovered, firstStart, replayed: replay(dir, d) };
}

/**
 * The replayed state on disk at once, the segments emptied: from here on, the journal holds this run's changes only.
 * Returns the number of the journal segment opened next, or undefined when nothing was replayed (nothing written).
 */
export function checkpointReplayed(dir: string, { d, firstStart, replayed }: OpenedState): number | undefined {
  if (!replayed.lines && !firstStart && !replayed.files.length) return undefined;
  d.segment = replayed.next;
  writeDurably(join(dir, 'state.json'), toJson(d));
  const journal = join(dir, 'ledger.jsonl');
  for (const f of replayed.files) if (f === journal) writeFileSync(f, '', { mode: 0o600 });
  dropSealed(dir, d.segment);
  return d.segment;
}

/** Apply the sealed segments state.json does not hold, then the open journal. Returns the lines taken and the next segment number. */
function replay(dir: string, d: StoreData): { lines: number; files: string[]; next: number } {
  const base = d.segment ?? 0;
  let next = base;
  const sealed = journalFiles(dir)
    .map((f) => ({ f, n: /ledger\.(\d+)\.jsonl$/.exec(f)?.[1] }))
    .filter((x) => x.n !== undefined)
    .map((x) => ({ f: x.f, n: Number(x.n) }))
    .sort((a, b) => a.n - b.n);
  const files: string[] = [];
  for (const { f, n } of sealed) {
    if (n < base) continue; // already in state.json (deleted after the checkpoint)
    files.push(f);
    next = Math.max(next, n + 1);
  }
  const open = join(dir, 'ledger.jsonl');
  if (existsSync(open)) files.push(open);
  let lines = 0;
  for (const f of files) lines += replayFile(f, d);
  // sealed segments below the state's number are stale: the checkpoint deletes them
  if (sealed.some((x) => x.n < base)) files.push(...sealed.filter((x) => x.n < base).map((x) => x.f));
  return { lines, files, next };
}

function replayFile(file: string, d: StoreData): number {
  return readJournal(file, (op) => applyOp(d, op));
}
