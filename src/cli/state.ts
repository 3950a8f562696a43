/**
 * `mt5-executor state recover [--backup FILE|latest | --empty] [--data-dir DIR]`: the explicit way out when the
 * host refuses to start because its state is damaged or missing. Without a choice it lists the backups. It holds
 * the data folder's host lock while it works (the one `start` takes): refused while a host runs on the folder.
 */
import { join } from 'node:path';
import { acquireHostLock, HostLockedError } from '../host/state/host-lock.js';
import { newestGoodBackup, recoverState, stateHealth, type StateHealth } from '../host/state/backups.js';
import { Store } from '../host/state/store.js';
import { VERSION } from '../host/version.js';

const describe = (h: StateHealth): string =>
  h.kind === 'sound' ? `The state is fine: the host starts from it as it is (state.json${h.journalLines ? ` and ${h.journalLines} journal change${h.journalLines === 1 ? '' : 's'}` : ''}).`
  : h.kind === 'none' ? 'There is no state yet: the host starts with an empty one.'
  : `The state is damaged: ${h.problem}.`;

export function stateCommand(sub: string | undefined, o: { dataDir: string; backup?: string | undefined; empty?: boolean | undefined }, out: (t: string) => void, err: (t: string) => void): number {
  if (sub !== 'recover') {
    err(`state: unknown subcommand '${sub ?? ''}' (known: recover)\n`);
    return 2;
  }
  if (o.backup !== undefined && o.empty) {
    err('state recover: give --backup or --empty, not both\n');
    return 2;
  }
  let release: () => void;
  try {
    release = acquireHostLock(o.dataDir, VERSION); // as `start` takes it: no host starts while the state is replaced
  } catch (e) {
    if (!(e instanceof HostLockedError)) throw e;
    err(`state recover: refused: a host (process ${e.holder.pid}, started ${e.holder.startedAt}) is running on the data folder ${o.dataDir}; stop it first (close its window or Ctrl-C), then run state recover again. Nothing was changed.\n`);
    return 1;
  }
  try {
    return recover(join(o.dataDir, 'state'), o, out, err);
  } finally {
    release();
  }
}

function recover(dir: string, o: { backup?: string | undefined; empty?: boolean | undefined }, out: (t: string) => void, err: (t: string) => void): number {
  const health = stateHealth(dir);
  if (o.backup === undefined && !o.empty) {
    const list = Store.listBackups(dir);
    out(`State folder: ${dir}\n${describe(health)}\n`);
    out(list.length ? `Backups, newest first:\n${list.map((b) => `  ${b.good ? 'good   ' : 'DAMAGED'} ${b.file}`).join('\n')}\n` : 'No backups.\n');
    out('Choose: --backup <file> (or --backup latest) to start from a backup, or --empty to start with an empty state.\n');
    return 1;
  }
  if (o.backup === 'latest' && health.kind === 'sound') {
    // a rollback of a good state is the trader's explicit choice of a file, never "latest" by reflex
    const latest = newestGoodBackup(join(dir, 'backups'));
    out(`${describe(health)} Nothing was changed.\n`);
    out(latest
      ? `--backup latest would make ${latest} the state and set the current state.json and journal aside as *.replaced-<time>. To roll back anyway, name it: mt5-executor state recover --backup ${latest}\n`
      : 'There is no good backup to roll back to.\n');
    return 1;
  }
  try {
    out(`${recoverState(dir, { ...(o.backup !== undefined ? { backup: o.backup } : {}), ...(o.empty ? { empty: true } : {}) })}\n`);
    return 0;
  } catch (e) {
    err(`state recover: ${(e as Error).message}\n`);
    return 1;
  }
}
