/**
 * A child process for tests/host/host-lock.test.ts: a starter taking the data folder argv[2]'s host lock. On
 * `{ at }` it waits (busy) until that wall-clock time, the same for every racer, then calls acquireHostLock and
 * tells the parent whether it won (or the error's name, message and holder); on `{ release }` the winner releases.
 * Every removal of `host.lock` is made 0–4 ms late (node:fs's unlinkSync wrapped, fault injection): a starter that
 * the OS pauses between reading a stale lock and removing it, the moment a faster starter puts its own lock there.
 * With argv[3] `no-links`, linkSync fails with EPERM as on a file system without hard links (FAT): the fallback.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const unlink = fs.unlinkSync;
fs.unlinkSync = (p: fs.PathLike) => {
  if (String(p).endsWith('host.lock')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.random() * 4);
  unlink(p);
};
if (process.argv[3] === 'no-links') {
  fs.linkSync = () => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  };
}
syncBuiltinESMExports(); // the named import in host-lock.ts sees the wrapped one
const { acquireHostLock, HostLockedError } = await import('../../src/host/state/host-lock.js');

const dir = process.argv[2]!;
let release: (() => void) | undefined;
process.on('message', (m: { at?: number; release?: true }) => {
  if (m.release) {
    release?.();
    release = undefined;
    process.send!({ released: true });
    return;
  }
  while (Date.now() < m.at!) {
    /* all racers start within the same millisecond */
  }
  try {
    release = acquireHostLock(dir, 'race');
    process.send!({ won: true });
  } catch (e) {
    process.send!({ won: false, name: (e as Error).name, message: (e as Error).message, holder: e instanceof HostLockedError ? e.holder.pid : undefined });
  }
});
process.send!({ ready: true });
