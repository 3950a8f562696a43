/**
 * One host per data folder: `<data folder>/host.lock` names the running host's process. A second `start` on the
 * same folder is refused with that process's id; a lock left by a process that no longer runs is taken over.
 *
 * The lock file never exists without its content: it is written whole under a temporary name of its own, then
 * hard-linked as `host.lock` — a link fails with EEXIST atomically, so of several starters exactly one makes it, and
 * whoever finds it reads a whole lock (Linux, and NTFS on Windows). Where the link fails for any other reason (FAT,
 * network shares and FUSE mounts refuse hard links with EPERM, ENOTSUP, ENOSYS, EINVAL, EXDEV, EMLINK … — the code
 * varies with the file system and the OS) it falls back to creating `host.lock` exclusively and writing it after,
 * as before: that is exclusive too, so one host per folder holds whatever the code, and a folder that takes no files
 * at all makes that create fail with its own error. There a starter may find the lock empty for an instant, so an
 * empty or unreadable lock younger than TORN_GRACE_MS is waited for, not taken over (a crash between the two leaves
 * one that grows old).
 *
 * Removing a lock file (a stale one taken over, a claim, this host's own at its stop) is retried for ~1.5 s when it
 * fails with EPERM or EBUSY: on Windows another program (an antivirus, the search indexer) may hold a file just
 * written for a moment, as fs.rmSync's maxRetries allows for.
 *
 * Taking over a stale lock (its process gone, or left empty/torn by a crash) is a removal that must not remove
 * the lock a faster starter put in its place: each lock file carries a nonce, and only the starter that created
 * `host.lock.stale-<that nonce's hash>` (exclusively, as above) may remove it — after reading again, under that
 * claim, that `host.lock` still is the stale one. A claim whose maker died is removed the same way in turn.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { uptime } from 'node:os';
import { basename, dirname, join } from 'node:path';

export interface LockInfo {
  pid: number;
  startedAt: string;
  version: string;
}

export class HostLockedError extends Error {
  constructor(readonly file: string, readonly holder: LockInfo) {
    super(
      `another mt5-executor host (process ${holder.pid}, version ${holder.version}, started ${holder.startedAt}) is running on this data folder (${file}). ` +
        `Stop that one first (close its window or Ctrl-C), or run a second executor on its own data folder: mt5-executor start --data-dir <another folder>. ` +
        `If no mt5-executor runs on this machine (that process id now belongs to another program), delete ${file} and start again.`,
    );
    this.name = 'HostLockedError';
  }
}

/** An empty or unreadable lock (or claim) younger than this may be one being written (the fallback without links): waited for. */
const TORN_GRACE_MS = 2_000;
/** How long a start keeps trying while the lock changes under it (stale locks being taken over by others). */
const TRY_FOR_MS = 10_000;
/** The waits between tries of a removal that another program holds off (EPERM, EBUSY): ~1.5 s in all. */
const REMOVE_WAITS_MS = [50, 100, 200, 400, 800];

/**
 * Whether the host a lock names runs now: its process exists and it started after this machine booted. A lock left by
 * a crash or a power cut names a process id that, after a reboot, may belong to another program (Windows reuses small
 * ids soon) — without the boot check such a lock would refuse every start until removed by hand. (A minute's slack:
 * the boot time is the clock less the uptime, both read now.)
 */
function running(info: LockInfo): boolean {
  const started = Date.parse(info.startedAt);
  if (Number.isFinite(started) && started < Date.now() - uptime() * 1000 - 60_000) return false;
  return alive(info.pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists (Windows too)
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, belongs to someone else
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * Remove `file` (gone already: done). EBUSY, and on Windows EPERM, are tried again after REMOVE_WAITS_MS (there a file
 * that another program has open — an antivirus or the indexer scanning the folder — cannot be removed for that
 * moment); still refused after that, the error says what holds it and what to do. Elsewhere EPERM is a permission
 * (a sticky folder, an immutable file): said at once, not waited for.
 */
function remove(file: string): void {
  for (let i = 0; ; i++) {
    try {
      unlinkSync(file);
      return;
    } catch (e) {
      const c = code(e);
      if (c === 'ENOENT') return;
      if (c !== 'EBUSY' && !(c === 'EPERM' && process.platform === 'win32')) {
        if (c === 'EPERM' || c === 'EACCES') throw Object.assign(new Error(`cannot remove ${file}: not permitted (${c}): check that you may change files in ${dirname(file)}, then delete ${file} by hand if no mt5-executor runs`), { code: c });
        throw e;
      }
      if (i >= REMOVE_WAITS_MS.length) {
        const waited = REMOVE_WAITS_MS.reduce((a, b) => a + b, 0) / 1000;
        throw Object.assign(
          new Error(
            `cannot remove ${file}: ${c === 'EBUSY' ? 'another program is using it' : 'not permitted'} (${c}), ${REMOVE_WAITS_MS.length + 1} tries over ${waited} s. ` +
              `Another program may be holding it (an antivirus or the search indexer scanning the data folder): start again in a moment. ` +
              `If it keeps failing, exclude ${dirname(file)} from that program's scans, or check that you may change files in that folder, then delete ${file} by hand if no mt5-executor runs.`,
          ),
          { code: c },
        );
      }
      sleep(REMOVE_WAITS_MS[i]!);
    }
  }
}

/** remove() where a failure changes nothing for this start (a leftover is removed by a later start): quiet. */
function removeQuietly(file: string): void {
  try {
    remove(file);
  } catch {
    /* left for a later start's sweep */
  }
}

/** A lock or claim file as read now: whole (with the id that tells this file from any other), torn, or gone. */
type Found =
  | { kind: 'whole'; info: LockInfo; id: string }
  | { kind: 'torn'; id: string; ageMs: number }
  | { kind: 'missing' };

function inspect(file: string): Found {
  let text: string;
  let st;
  try {
    st = statSync(file, { bigint: true });
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (code(e) === 'ENOENT') return { kind: 'missing' };
    throw e;
  }
  // a file without a nonce (an older version's lock, or torn) is told apart by its inode, size and time
  const fileId = `${st.ino}:${st.size}:${st.mtimeNs}`;
  try {
    const j = JSON.parse(text) as Partial<LockInfo> & { nonce?: unknown };
    if (typeof j.pid === 'number') {
      return { kind: 'whole', info: { pid: j.pid, startedAt: String(j.startedAt ?? '?'), version: String(j.version ?? '?') }, id: typeof j.nonce === 'string' ? j.nonce : fileId };
    }
  } catch {
    /* below */
  }
  return { kind: 'torn', id: fileId, ageMs: Date.now() - Number(st.mtimeMs) };
}

/** A file's content, new: this process's id and a nonce of its own. */
const content = (version: string, startedAt: string) => JSON.stringify({ pid: process.pid, startedAt, version, nonce: randomBytes(12).toString('hex') });

/** Create `file` holding `text`, never visible without it (see above); false when it exists already. */
function create(file: string, text: string): boolean {
  const tmp = join(dirname(file), `host.lock.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  writeWhole(tmp, text);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    // no hard link here, whatever the code (file systems say it differently; an EPERM may also be passing, e.g. a
    // virus scanner holding the temporary file on Windows): the exclusive create below, asked again at each start
  } finally {
    removeQuietly(tmp);
  }
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, text);
    fsyncQuietly(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function writeWhole(file: string, text: string): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncQuietly(fd); // a power cut leaves the lock whole or absent, not empty
  } finally {
    closeSync(fd);
  }
}

function fsyncQuietly(fd: number): void {
  try {
    fsyncSync(fd);
  } catch {
    /* a file system without fsync: the lock still excludes while the machine runs */
  }
}

/** The claim file that gates the removal of the stale `file` whose id (nonce) is `id` (exported for the tests). */
export const claimOf = (file: string, id: string) => join(dirname(file), `host.lock.stale-${createHash('sha256').update(`${basename(file)}\0${id}`).digest('hex').slice(0, 20)}`);

/**
 * Remove `file` if it still is the stale file `id`, under that file's claim. Returns whether anything moved
 * (removed, or a dead claimant's claim removed); false when another live starter is removing it right now.
 */
function removeStale(file: string, id: string, version: string, depth = 0): boolean {
  const claim = claimOf(file, id);
  if (!create(claim, content(version, new Date().toISOString()))) {
    const c = inspect(claim);
    if (c.kind === 'missing') return true;
    if (c.kind === 'whole' ? alive(c.info.pid) : c.ageMs < TORN_GRACE_MS) return false; // another starter is on it
    return depth < 4 && removeStale(claim, c.id, version, depth + 1); // its maker died holding it
  }
  try {
    const now = inspect(file); // under the claim: nobody else removes `id` now, and it never comes back
    if (now.kind !== 'missing' && now.id === id) remove(file);
    return true;
  } catch (e) {
    if (code(e) === 'ENOENT') return true;
    throw e;
  } finally {
    // a claim left behind (still refused after the tries) is stale once this process ends: a later start removes it
    removeQuietly(claim);
  }
}

/** Leftovers of starters that died (their temporary files, their claims): removed once the lock is ours. */
function sweep(dir: string): void {
  try {
    for (const f of readdirSync(dir)) {
      const tmp = /^host\.lock\.(\d+)-[0-9a-f]+\.tmp$/.exec(f);
      const gone = tmp ? !alive(Number(tmp[1])) : f.startsWith('host.lock.stale-') && ((c) => (c.kind === 'whole' ? !alive(c.info.pid) : c.kind === 'torn' && c.ageMs > TORN_GRACE_MS))(inspect(join(dir, f)));
      if (gone) removeQuietly(join(dir, f));
    }
  } catch {
    /* leftovers stay: harmless */
  }
}

/** Take the data folder's lock; returns its release function. Throws HostLockedError when a live host holds it. */
export function acquireHostLock(dataDir: string, version: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'host.lock');
  const mine = content(version, new Date().toISOString());
  const nonce = (JSON.parse(mine) as { nonce: string }).nonce;
  const until = Date.now() + TRY_FOR_MS;
  for (;;) {
    if (create(file, mine)) {
      sweep(dataDir);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          const now = inspect(file);
          if (now.kind === 'whole' && now.id === nonce) remove(file);
        } catch {
          /* gone, or unreadable now: a lock left behind is taken over at the next start (its process is gone) */
        }
      };
    }
    const holder = inspect(file);
    let moved = holder.kind === 'missing';
    if (holder.kind === 'whole' && running(holder.info)) throw new HostLockedError(file, holder.info);
    if (holder.kind === 'whole' || (holder.kind === 'torn' && holder.ageMs >= TORN_GRACE_MS)) moved = removeStale(file, holder.id, version); // stale: its process is gone
    if (Date.now() > until) {
      throw new Error(
        `could not take the lock ${file}: it kept changing for ${TRY_FOR_MS / 1000} s (another host starting right now?). ` +
          `If no mt5-executor runs on this data folder, remove ${file} and its host.lock.stale-* files, then start again.`,
      );
    }
    if (!moved) sleep(20); // being written (torn and young) or being taken over by another starter
  }
}
