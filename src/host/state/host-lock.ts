/**
 * One host per data folder: `<data folder>/host.lock` names the running host's process. A second `start` on the
 * same folder is refused with that process's id; a lock left by a process that no longer runs is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface LockInfo {
  pid: number;
  startedAt: string;
  version: string;
}

export class HostLockedError extends Error {
  constructor(readonly file: string, readonly holder: LockInfo) {
    super(
      `another mt5-executor host (process ${holder.pid}, version ${holder.version}, started ${holder.startedAt}) is running on this data folder (${file}). ` +
        `Stop that one first (close its window or Ctrl-C), or run a second executor on its own data folder: mt5-executor start --data-dir <another folder>`,
    );
    this.name = 'HostLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists (Windows too)
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, belongs to someone else
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof j.pid === 'number' ? { pid: j.pid, startedAt: String(j.startedAt ?? '?'), version: String(j.version ?? '?') } : undefined;
  } catch {
    return undefined; // unreadable or half-written by a crash: not a live host's lock
  }
}

/** Take the data folder's lock; returns its release function. Throws HostLockedError when a live host holds it. */
export function acquireHostLock(dataDir: string, version: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'host.lock');
  const mine: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), version };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx'); // created atomically, or EEXIST
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLock(file);
      if (holder && alive(holder.pid)) throw new HostLockedError(file, holder);
      try {
        unlinkSync(file); // stale: its process is gone
      } catch {
        /* another starter removed it first */
      }
      continue;
    }
    writeSync(fd, JSON.stringify(mine));
    closeSync(fd);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (readLock(file)?.pid === process.pid) unlinkSync(file);
    };
  }
  throw new Error(`could not take the lock ${file}: it keeps changing; is another host starting right now?`);
}
