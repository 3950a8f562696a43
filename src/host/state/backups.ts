/**
 * Backups of the state and the trader's explicit way out of a refused start (`mt5-executor state recover`).
 */
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyState, fromJson, stateShapeProblem, toJson } from './format.js';
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

/**
 * Why `dir` looks like it held a state before (backups, a state file set aside), or undefined. A journal alone
 * is not such a sign: an older version wrote no state.json before its first change, and the journal is replayed.
 */
export function priorState(dir: string): string | undefined {
  const backups = join(dir, 'backups');
  if (existsSync(backups) && readdirSync(backups).some(isBackup)) return `backups in ${backups}`;
  const aside = readdirSync(dir).find((f) => f.startsWith('state.json.corrupt-') || f.startsWith('state.json.damaged-'));
  return aside ? `a state file set aside, ${join(dir, aside)}` : undefined;
}

/** The journal files of a state folder: the open one and sealed segments (`ledger.<n>.jsonl`). */
export function journalFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f === 'ledger.jsonl' || /^ledger\.\d+\.jsonl$/.test(f)).map((f) => join(dir, f));
}

/**
 * `mt5-executor state recover`: with `backup` (a path, or 'latest'), that backup becomes the state; with `empty`,
 * an empty state. The damaged file (if any) and the journal are kept aside as `*.damaged-<time>`. Returns what was done.
 */
export function recoverState(dir: string, choice: { backup?: string; empty?: boolean }, now = Date.now()): string {
  const file = join(dir, 'state.json');
  const backupDir = join(dir, 'backups');
  let source: string | undefined;
  if (choice.backup) {
    source = choice.backup === 'latest' ? newestGoodBackup(backupDir) : choice.backup;
    if (!source) throw new Error(`no good backup in ${backupDir}`);
    let problem: string | undefined;
    try {
      problem = stateShapeProblem(fromJson(readFileSync(source, 'utf8')));
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem) throw new Error(`${source} is not a usable state (${problem}): choose another backup`);
  } else if (!choice.empty) {
    throw new Error('choose --backup <file|latest> or --empty');
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const kept: string[] = [];
  if (existsSync(file)) {
    renameSync(file, `${file}.damaged-${stamp}`);
    kept.push(`${file}.damaged-${stamp}`);
  }
  for (const journal of journalFiles(dir)) {
    if (statSync(journal).size === 0) continue;
    renameSync(journal, `${journal}.damaged-${stamp}`);
    kept.push(`${journal}.damaged-${stamp}`);
  }
  // a backup's segment number refers to journals that are now set aside: it starts from segment 0 again
  const text = source ? toJson({ ...fromJson<object>(readFileSync(source, 'utf8')), segment: 0 }) : toJson(emptyState());
  writeDurably(file, text);
  return `${file} now holds ${source ? `the backup ${source}` : 'an EMPTY state'}${kept.length ? `; kept aside: ${kept.join(', ')}` : ''}`;
}
