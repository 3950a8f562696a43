/**
 * `mt5-executor state recover [--backup FILE|latest | --empty | --core] [--data-dir DIR]`: the explicit way out when
 * the host refuses to start because its state is damaged or missing. Without a choice it lists the backups. `--core`
 * sets aside only a damaged trading core's state. It holds the data folder's host lock while it works (the one
 * `start` takes): refused while a host runs on the folder — for a secondary account's folder
 * (`<data folder>/accounts/<name>`), the lock of the host that runs it, `<data folder>`'s.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { acquireHostLock, HostLockedError } from '../host/state/host-lock.js';
import { newestGoodBackup, noGoodBackup, recoverState, stateHealth, type CoreStateDamage, type StateHealth } from '../host/state/backups.js';
import { CORE_FORGETS } from '../host/state/format.js';
import { Store } from '../host/state/store.js';
import { hostFolderOf } from '../host/trading/accounts.js';
import { usageFailure } from './kit.js';
import { VERSION } from '../host/version.js';

const describe = (h: StateHealth): string =>
  h.kind === 'sound' ? `The state is fine: the host starts from it as it is (state.json${h.journalLines ? ` and ${h.journalLines} journal change${h.journalLines === 1 ? '' : 's'}` : ''}).`
  : h.kind === 'none' ? 'There is no state yet: the host starts with an empty one.'
  : `The state is damaged: ${h.problem}.${h.core ? `\n${coreAdvice(h.core, h.stateSound)}` : ''}`;

/** What state recover does about a damaged core state (it has no backups): the start refuses it, as it refuses a damaged state.json. */
const coreAdvice = (core: CoreStateDamage, stateSound: boolean): string =>
  `The host does not start with it. ${stateSound ? '--core keeps state.json and the journal (they are sound) and sets' : '--backup or --empty also sets (--core sets only)'} ${core.files.join(' and ')} aside as *.damaged-<time>; ` +
  `t${CORE_FORGETS.slice(1)}`;

/** A file system error as one line: the path, and what is wrong with it in words (not Node's raw message). */
export function fsProblem(e: unknown): string | undefined {
  const x = e as NodeJS.ErrnoException & { dest?: string };
  if (typeof x?.code !== 'string' || typeof x.syscall !== 'string') return undefined;
  const what: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'not permitted', ENOTDIR: 'a part of that path is a file, not a folder', ENOENT: 'it does not exist',
    EROFS: 'the disk is read-only', ENOSPC: 'the disk is full', EISDIR: 'it is a folder, not a file', EBUSY: 'another program is using it',
    EIO: 'the disk failed to read or write it', ENAMETOOLONG: 'the path is too long', ELOOP: 'too many symbolic links',
  };
  const verb: Record<string, string> = { open: 'open', mkdir: 'create the folder', rename: 'rename', unlink: 'remove', link: 'link', scandir: 'list the folder', stat: 'read', lstat: 'read', read: 'read', write: 'write', fsync: 'write' };
  return `cannot ${verb[x.syscall] ?? x.syscall} ${x.path ?? '?'}${x.dest ? ` to ${x.dest}` : ''}: ${what[x.code] ?? x.code} (${x.code})`;
}

type Choice = { backup?: string | undefined; empty?: boolean | undefined; core?: boolean | undefined };

export function stateCommand(sub: string | undefined, o: { dataDir: string } & Choice, out: (t: string) => void, err: (t: string) => void): number {
  if (sub !== 'recover') {
    err(`mt5-executor state: unknown subcommand '${sub ?? ''}' (known: recover)\n`);
    return 2;
  }
  if ([o.backup !== undefined, o.empty === true, o.core === true].filter(Boolean).length > 1) {
    return usageFailure(err, 'state recover', 'give one of --backup, --empty and --core, not more');
  }
  // a mistyped folder is refused, not made: the lock (as `start` takes it) would create it, and an empty state be reported
  let kind: string;
  try {
    kind = statSync(o.dataDir).isDirectory() ? 'folder' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return refuse(err, fsProblem(e) ?? (e as Error).message);
    err(`mt5-executor state recover: no data folder at ${o.dataDir}: check the path (--data-dir, or MT5X_DATA_DIR). Nothing was created or changed.\n`);
    return 1;
  }
  if (kind !== 'folder') return refuse(err, `${o.dataDir} is a file, not a data folder: check the path (--data-dir, or MT5X_DATA_DIR)`);
  let release: () => void;
  const hostDir = hostFolderOf(o.dataDir);
  try {
    release = acquireHostLock(hostDir, VERSION); // as `start` takes it: no host starts while the state is replaced
  } catch (e) {
    if (!(e instanceof HostLockedError)) return refuse(err, fsProblem(e) ?? (e as Error).message);
    const of = hostDir === o.dataDir ? '' : ` (${o.dataDir} is one of its accounts)`;
    err(`mt5-executor state recover: refused: a host (process ${e.holder.pid}, started ${e.holder.startedAt}) is running on the data folder ${hostDir}${of}; stop it first (close its window or Ctrl-C), then run state recover again. Nothing was changed.\n`);
    return 1;
  }
  try {
    return recover(join(o.dataDir, 'state'), o, out, err);
  } catch (e) {
    // a file that cannot be read or moved (permissions, a disk error): recoverState put back what it had moved
    const fs = fsProblem(e);
    if (!fs) throw e;
    return refuse(err, fs);
  } finally {
    release();
  }
}

const refuse = (err: (t: string) => void, what: string): number => {
  err(`mt5-executor state recover: ${what}. Nothing was changed.\n`);
  return 1;
};

function recover(dir: string, o: Choice, out: (t: string) => void, err: (t: string) => void): number {
  const health = stateHealth(dir);
  if (o.backup === undefined && !o.empty && !o.core) {
    const list = Store.listBackups(dir);
    out(`State folder: ${dir}\n${describe(health)}\n`);
    out(list.length ? `Backups, newest first:\n${list.map((b) => `  ${b.good ? 'good   ' : 'DAMAGED'} ${b.file}`).join('\n')}\n` : 'No backups.\n');
    const coreOnly = health.kind === 'damaged' && health.core !== undefined;
    out(
      coreOnly && health.stateSound
        ? "Choose: --core to set aside only the trading core's damaged state (state.json and the journal are sound and kept); --backup <file> or --empty would also replace the sound state.json.\n"
        : `Choose: --backup <file> (or --backup latest) to start from a backup, or --empty to start with an empty state (a sound trading core's state is kept by both)${coreOnly ? ", or --core to set aside only the trading core's damaged state" : ''}.\n`,
    );
    return 1;
  }
  if (o.backup === 'latest' && health.kind === 'sound') {
    // a rollback of a good state is the trader's explicit choice of a file, never "latest" by reflex
    const latest = newestGoodBackup(join(dir, 'backups'));
    out(`${describe(health)} Nothing was changed.\n`);
    out(latest
      ? `--backup latest would make ${latest} the state and set the current state.json and journal aside as *.replaced-<time>. To roll back anyway, name it: mt5-executor state recover --backup ${latest}\n`
      : `There is nothing to roll back to: ${noGoodBackup(join(dir, 'backups'))}.\n`);
    return 1;
  }
  try {
    const coreAside = health.kind === 'damaged' && health.core !== undefined;
    out(`${recoverState(dir, { ...(o.backup !== undefined ? { backup: o.backup } : {}), ...(o.empty ? { empty: true } : {}), ...(o.core ? { core: true } : {}) })}\n`);
    // the core's state set aside: what it forgets is said here too, not only in the listing (a trader may run this directly)
    if (coreAside) out(`${CORE_FORGETS}\n`);
    return 0;
  } catch (e) {
    if (fsProblem(e)) throw e;
    err(`mt5-executor state recover: ${(e as Error).message}\n`);
    return 1;
  }
}
