/**
 * Backups of the state and the trader's explicit way out of a refused start (`mt5-executor state recover`).
 */
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CoreStateFile } from './core-state-file.js';
import { JournalCorruptError, StoreCorruptError, emptyState, fromJson, journalOpProblem, stateShapeProblem, toJson, type JournalOp } from './format.js';
import { writeDurably } from './snapshot.js';

const isBackup = (f: string) => f.startsWith('state-') && f.endsWith('.json');
export const backupName = (backupDir: string, now: number) => join(backupDir, `state-${new Date(now).toISOString().replace(/[:.]/g, '-')}.json`);

/** Keep the newest `keep` backups. */
export function pruneBackups(backupDir: string, keep: number): void {
  const all = readdirSync(backupDir).filter(isBackup).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) unlinkSync(join(backupDir, old));
}

/**
 * A backup of the state file as it is on disk: a hard link (state.json is only ever replaced by a rename, never
 * written in place, so the link keeps this version; no copy, no time), or a copy where links are refused.
 */
export function linkBackup(stateFile: string, backupDir: string, keep: number, now: number): string {
  mkdirSync(backupDir, { recursive: true, mode: 0o700 });
  const name = backupName(backupDir, now);
  try {
    linkSync(stateFile, name);
  } catch {
    copyFileSync(stateFile, name);
  }
  pruneBackups(backupDir, keep);
  return name;
}

/** The backups, newest first, each with whether it reads as a state. */
export function listBackups(dir: string): { file: string; good: boolean }[] {
  const backupDir = join(dir, 'backups');
  if (!existsSync(backupDir)) return [];
  return readdirSync(backupDir)
    .filter(isBackup)
    .sort()
    .reverse()
    .map((f) => {
      const p = join(backupDir, f);
      try {
        return { file: p, good: stateShapeProblem(fromJson(readFileSync(p, 'utf8'))) === undefined };
      } catch {
        return { file: p, good: false };
      }
    });
}

export function newestGoodBackup(backupDir: string): string | undefined {
  if (!existsSync(backupDir)) return undefined;
  for (const f of readdirSync(backupDir).filter(isBackup).sort().reverse()) {
    try {
      if (stateShapeProblem(fromJson(readFileSync(join(backupDir, f), 'utf8'))) === undefined) return join(backupDir, f);
    } catch {
      /* a bad backup: try the one before */
    }
  }
  return undefined;
}

/** Why `backupDir` offers no good backup, in words: none there, or none of them reads as a state. */
export function noGoodBackup(backupDir: string): string {
  const n = existsSync(backupDir) ? readdirSync(backupDir).filter(isBackup).length : 0;
  return n === 0 ? `there is no backup in ${backupDir}` : `none of the ${n === 1 ? 'backup' : `${n} backups`} in ${backupDir} reads as a state`;
}

/**
 * Why `dir` looks like it held a state before (backups, a state file set aside), or undefined. A journal alone
 * is not such a sign: an older version wrote no state.json before its first change, and the journal is replayed.
 */
export function priorState(dir: string): string | undefined {
  const backups = join(dir, 'backups');
  if (existsSync(backups) && readdirSync(backups).some(isBackup)) return `backups in ${backups}`;
  const aside = readdirSync(dir).find((f) => f.startsWith('state.json.corrupt-') || f.startsWith('state.json.damaged-') || f.startsWith('state.json.replaced-'));
  return aside ? `a state file set aside, ${join(dir, aside)}` : undefined;
}

/** The journal files of a state folder: the open one and sealed segments (`ledger.<n>.jsonl`). */
export function journalFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f === 'ledger.jsonl' || /^ledger\.\d+\.jsonl$/.test(f)).map((f) => join(dir, f));
}

/** What a journal file holds as the host's start reads it: its complete lines, or the first that stops the start. */
/**
 * Every operation of a journal file, in order, as the start replays it (opening.ts) and `state recover` checks it: a
 * torn last line (a write the process died in: its intent was never sent) is dropped; a damaged complete line throws
 * JournalCorruptError (starting without it could send an order twice). Returns how many operations it read.
 */
export function readJournal(file: string, each: (op: JournalOp) => void): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  let n = 0;
  for (const [i, line] of lines.entries()) {
    if (!line) continue;
    let op: JournalOp;
    try {
      op = fromJson<JournalOp>(line);
    } catch (e) {
      if (i === lines.length - 1) break;
      throw new JournalCorruptError(file, i + 1, (e as Error).message);
    }
    const wrong = journalOpProblem(op);
    if (wrong) throw new JournalCorruptError(file, i + 1, wrong);
    each(op);
    n++;
  }
  return n;
}

/** readJournal without applying anything: how many lines a start would replay, or what stops it. */
function journalLines(file: string): { lines: number; problem?: string } {
  try {
    return { lines: readJournal(file, () => undefined) };
  } catch (e) {
    if (e instanceof JournalCorruptError) return { lines: 0, problem: e.message };
    throw e;
  }
}

/** The trading core's state damaged (core-state-file.ts): the file and what is wrong (with the line), and both its files. */
export interface CoreStateDamage {
  file: string;
  reason: string;
  files: string[];
}

/**
 * A state folder as the host's start would find it, read only: 'sound' (it starts from it as it is), 'none' (a first
 * start), or what stops it — `stateSound` when state.json and the journal are fine and only the core's state is not.
 */
export type StateHealth =
  | { kind: 'sound'; journalLines: number }
  | { kind: 'none' }
  | { kind: 'damaged'; problem: string; stateSound: boolean; core?: CoreStateDamage };

/**
 * Whether the host starts from `dir` as it is: state.json readable and whole, every journal line it would replay
 * readable (as Store.openSync reads them), and the trading core's state readable as the start reads it
 * (CoreStateFile.read, which the start's StrategyManager calls: a damaged one stops the start). Nothing is written
 * here. `state recover` asks before it replaces anything. A file that cannot be read at all (permissions, a disk
 * error) is not "damaged": that error is thrown, for the caller to say, and nothing is replaced because of it.
 */
export function stateHealth(dir: string): StateHealth {
  const store = storeHealth(dir);
  const core = coreStateDamage(dir);
  if (!core) return store;
  const coreProblem = `the trading core's state ${core.file} is damaged (${core.reason})`;
  return store.kind === 'damaged'
    ? { kind: 'damaged', problem: `${store.problem}; and ${coreProblem}`, stateSound: false, core }
    : { kind: 'damaged', problem: coreProblem, stateSound: true, core };
}

/** The core's state read as the start reads it: undefined when it reads (or there is none), else what is wrong. */
function coreStateDamage(dir: string): CoreStateDamage | undefined {
  const f = new CoreStateFile(dir); // nothing on disk until it writes; read() is the start's reader
  try {
    f.read();
    return undefined;
  } catch (e) {
    const files = [f.file, f.lines].filter((x) => existsSync(x));
    if (e instanceof StoreCorruptError) return { file: e.file, reason: e.reason, files };
    if ((e as NodeJS.ErrnoException).syscall) throw e; // not readable: for the caller to say
    // a line that reads as JSON but is no delta the core can apply: the start stops on it too
    return { file: f.lines, reason: `a line is not a change the core can apply: ${(e as Error).message}`, files };
  }
}

/** state.json and the journal as the start reads them. */
function storeHealth(dir: string): { kind: 'sound'; journalLines: number } | { kind: 'none' } | { kind: 'damaged'; problem: string; stateSound: false } {
  const file = join(dir, 'state.json');
  const stateFile = existsSync(file);
  if (!stateFile) {
    const evidence = existsSync(dir) ? priorState(dir) : undefined;
    if (evidence) return { kind: 'damaged', problem: `${file} is missing, but the folder held a state before (${evidence})`, stateSound: false };
    // no state.json yet: the start begins from an empty state and replays the journal onto it — checked below as it is
  }
  let segment = 0;
  if (stateFile) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      (e as NodeJS.ErrnoException).path ??= file; // a read's error (EISDIR, EIO) names no path
      throw e; // unreadable: thrown, for the caller to say, not taken for damage
    }
    try {
      const d = fromJson<{ segment?: number }>(text);
      const problem = stateShapeProblem(d);
      if (problem) return { kind: 'damaged', problem: `${file}: ${problem}`, stateSound: false };
      segment = d.segment ?? 0;
    } catch (e) {
      return { kind: 'damaged', problem: `${file}: ${(e as Error).message}`, stateSound: false };
    }
  }
  if (!existsSync(dir)) return { kind: 'none' };
  let lines = 0;
  for (const journal of journalFiles(dir)) {
    const n = /ledger\.(\d+)\.jsonl$/.exec(journal)?.[1];
    if (n !== undefined && Number(n) < segment) continue; // already in state.json: the start deletes it unread
    const j = journalLines(journal);
    if (j.problem) return { kind: 'damaged', problem: j.problem, stateSound: false };
    lines += j.lines;
  }
  return stateFile || lines > 0 ? { kind: 'sound', journalLines: lines } : { kind: 'none' };
}

/** The trading core's state files of `dir` that exist (core-state.json and its lines). */
export function coreStateFiles(dir: string): string[] {
  const f = new CoreStateFile(dir);
  return [f.file, f.lines].filter((x) => existsSync(x));
}

/**
 * `mt5-executor state recover`: with `backup` (a path, or 'latest'), that backup becomes the state; with `empty`,
 * an empty state; with `core`, only the trading core's state is set aside (when it is damaged). The state file (if
 * any) and the journal are kept aside as `*.damaged-<time>`, or as `*.replaced-<time>` when they were sound
 * (stateHealth: an explicit rollback of a good state). The trading core's state (core-state.json and its lines; it
 * has no backups): a damaged one is kept aside as `*.damaged-<time>` by every choice, and the core starts without
 * it. A sound one is kept by every choice: it is the account's newest (its open positions' stops, today's loss, a
 * kill-switch lock after a breach), which neither a rollback of the strategies and the ledger nor an empty state
 * undoes — a recover is a way out of damage, never a way round a limit; `core` refuses it (nothing to repair). `latest` never rolls back a sound state.json: when only the core's state is damaged, it is
 * the only thing set aside, as with `core`. All or nothing: a failure puts back what was moved. Returns what was done.
 */
export function recoverState(dir: string, choice: { backup?: string; empty?: boolean; core?: boolean }, now = Date.now()): string {
  const file = join(dir, 'state.json');
  const backupDir = join(dir, 'backups');
  const health = stateHealth(dir);
  const coreDamaged = health.kind === 'damaged' && health.core !== undefined;
  if (choice.core && !coreDamaged) {
    const files = existsSync(dir) ? coreStateFiles(dir) : [];
    throw new Error(
      files.length
        ? `the trading core's state (${files.join(', ')}) is sound: nothing to set aside (a recover keeps a sound one, whatever the choice). Nothing was changed.`
        : `there is no trading core's state in ${dir}: nothing to set aside. Nothing was changed.`,
    );
  }
  const coreOnly = (choice.core === true || choice.backup === 'latest') && health.kind === 'damaged' && health.stateSound;
  let source: string | undefined;
  if (coreOnly || choice.core) {
    // the newest good state.json is the one there: kept (with --core, even a damaged one: it is left for its own choice)
  } else if (choice.backup) {
    source = choice.backup === 'latest' ? newestGoodBackup(backupDir) : choice.backup;
    if (!source) throw new Error(`${noGoodBackup(backupDir)}: name a backup file you have (--backup <file>), or start with an empty state (--empty)`);
    const own = [file, ...(existsSync(dir) ? journalFiles(dir) : [])].find((f) => sameFile(f, source!));
    if (own) throw new Error(`${source} is ${own === file ? 'the state file itself' : 'one of the state\'s journal files'}, which a recover sets aside: choose a backup in ${backupDir}, or --empty`);
    let problem: string | undefined;
    try {
      problem = stateShapeProblem(fromJson(readFileSync(source, 'utf8')));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).syscall) throw e; // not readable: the caller says why
      problem = (e as Error).message;
    }
    if (problem) throw new Error(`${source} is not a usable state (${problem}): choose another backup`);
  } else if (!choice.empty) {
    throw new Error('choose --backup <file|latest>, --empty or --core');
  }
  const storeKept = coreOnly || choice.core === true;
  // the new state's text before anything moves (a failure here leaves every file where it was)
  const text = storeKept ? undefined : source ? toJson({ ...fromJson<object>(readFileSync(source, 'utf8')), segment: 0 }) : toJson(emptyState());
  const sound = health.kind === 'sound' || (health.kind === 'damaged' && health.stateSound);
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const aside = `.${sound ? 'replaced' : 'damaged'}-${stamp}`;
  const moves: [string, string][] = [];
  if (!storeKept) for (const f of [...(existsSync(file) ? [file] : []), ...journalFiles(dir).filter((j) => statSync(j).size > 0)]) moves.push([f, f + aside]);
  const storeMoves = moves.length;
  // the core's state: a damaged one always goes; a sound one stays (the account's newest, its limits' use included)
  const coreFiles = health.kind === 'damaged' && health.core ? health.core.files : [];
  for (const f of coreFiles) moves.push([f, `${f}.damaged-${stamp}`]);
  const done: [string, string][] = [];
  try {
    for (const [from, to] of moves) {
      renameSync(from, to);
      done.push([from, to]);
    }
    if (text !== undefined) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // a backup's segment number refers to journals that are now set aside: it starts from segment 0 again (above)
      writeDurably(file, text);
    }
  } catch (e) {
    putBack(done, e as Error);
    throw e;
  }
  const kept = done.slice(0, storeMoves).map(([, to]) => to);
  const coreKept = done.slice(storeMoves).map(([, to]) => to);
  if (storeKept) {
    const rest = storeHealth(dir);
    const store = rest.kind === 'damaged' ? `The rest of the state is damaged too and kept as it is (${rest.problem}): choose --backup or --empty for it` : `${file} and the journal were sound: kept as they are`;
    return `the trading core's damaged state is kept aside: ${coreKept.join(', ')}; the core starts without it. ${store}`;
  }
  const core = coreKept.length
    ? `; the trading core's ${coreDamaged ? 'damaged ' : ''}state is kept aside too: ${coreKept.join(', ')} — the core starts without it`
    : existsSync(dir) && coreStateFiles(dir).length
      ? `; the trading core's state (${coreStateFiles(dir).join(', ')}) is kept: it is this account's newest (its open positions' stops, the day's loss, a kill-switch lock), which a recover does not undo`
      : '';
  return `${file} now holds ${source ? `the backup ${source}` : 'an EMPTY state'}${kept.length ? `; kept aside${sound ? ' (the state it replaced was sound)' : ''}: ${kept.join(', ')}` : ''}${core}`;
}

/**
 * Whether two paths name one file: the same path once links in it are followed (not the same inode — a backup is a
 * hard link of the state.json it was taken from, and stays a good backup after that file is replaced).
 */
function sameFile(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

/** Undo the renames of a recover that failed, newest first; one that cannot be undone is named in the error thrown. */
function putBack(done: [string, string][], cause: Error): void {
  const stuck: string[] = [];
  for (const [from, to] of done.reverse()) {
    try {
      renameSync(to, from);
    } catch {
      stuck.push(`${from} is now ${to}`);
    }
  }
  if (stuck.length) throw new Error(`${cause.message}; and what was moved could not all be put back: ${stuck.join('; ')} — rename it back by hand before starting the host`);
}
