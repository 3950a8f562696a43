/**
 * A child process for tests/host/host-lock.test.ts: takes the host lock of the data folder argv[2] once, with the
 * file system's answers changed as argv[3] (JSON) says — fault injection on node:fs, as host-lock-racer.ts does:
 * `link`: every linkSync fails with that code (a file system that makes no hard links and says so its own way);
 * `unlink`: the first `times` unlinkSync calls on `host.lock` fail with `code` (another program holding it: an
 * antivirus or the indexer on Windows). Prints one JSON line: whether it won, the error's message and code, how
 * many removals of host.lock were tried, how long it took, and after the release whether host.lock is gone.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

const dir = process.argv[2]!;
const spec = JSON.parse(process.argv[3]!) as { link?: string; unlink?: { code: string; times: number }; platform?: NodeJS.Platform };
// `platform`: the lock module sees that platform (its Windows-only retry of EPERM)
if (spec.platform) Object.defineProperty(process, 'platform', { value: spec.platform });
const fail = (code: string, call: string, p: unknown) => Object.assign(new Error(`${code}: injected, ${call} '${String(p)}'`), { code, syscall: call, path: String(p) });
if (spec.link) {
  fs.linkSync = (_from: fs.PathLike, to: fs.PathLike) => {
    throw fail(spec.link!, 'link', to);
  };
}
let tries = 0;
const unlink = fs.unlinkSync;
fs.unlinkSync = (p: fs.PathLike) => {
  if (String(p).endsWith('host.lock')) {
    tries++;
    if (spec.unlink && tries <= spec.unlink.times) throw fail(spec.unlink.code, 'unlink', p);
  }
  unlink(p);
};
syncBuiltinESMExports(); // the named imports in host-lock.ts see the wrapped ones
const { acquireHostLock } = await import('../../src/host/state/host-lock.js');

const t0 = Date.now();
try {
  const release = acquireHostLock(dir, 'faults');
  const ms = Date.now() - t0;
  const lock = JSON.parse(fs.readFileSync(join(dir, 'host.lock'), 'utf8')) as { pid: number };
  release();
  process.stdout.write(JSON.stringify({ won: true, ms, holder: lock.pid === process.pid, tries, gone: !fs.existsSync(join(dir, 'host.lock')) }));
} catch (e) {
  process.stdout.write(JSON.stringify({ won: false, ms: Date.now() - t0, message: (e as Error).message, code: (e as NodeJS.ErrnoException).code, tries }));
}
