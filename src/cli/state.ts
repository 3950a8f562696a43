/**
 * `mt5-executor state recover [--backup FILE|latest | --empty] [--data-dir DIR]`: the explicit way out when the
 * host refuses to start because its state is damaged or missing. Without a choice it lists the backups.
 */
import { join } from 'node:path';
import { Store } from '../host/state/store.js';

export function stateCommand(sub: string | undefined, o: { dataDir: string; backup?: string | undefined; empty?: boolean | undefined }, out: (t: string) => void, err: (t: string) => void): number {
  if (sub !== 'recover') {
    err(`state: unknown subcommand '${sub ?? ''}' (known: recover)\n`);
    return 2;
  }
  const dir = join(o.dataDir, 'state');
  if (o.backup !== undefined && o.empty) {
    err('state recover: give --backup or --empty, not both\n');
    return 2;
  }
  if (o.backup === undefined && !o.empty) {
    const list = Store.listBackups(dir);
    out(`State folder: ${dir}\n`);
    out(list.length ? `Backups, newest first:\n${list.map((b) => `  ${b.good ? 'good   ' : 'DAMAGED'} ${b.file}`).join('\n')}\n` : 'No backups.\n');
    out('Choose: --backup <file> (or --backup latest) to start from a backup, or --empty to start with an empty state.\n');
    return 1;
  }
  try {
    out(`${Store.recover(dir, { ...(o.backup !== undefined ? { backup: o.backup } : {}), ...(o.empty ? { empty: true } : {}) })}\n`);
    return 0;
  } catch (e) {
    err(`state recover: ${(e as Error).message}\n`);
    return 1;
  }
}
