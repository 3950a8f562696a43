import { spawnSync } from 'node:child_process';
import { buildEa } from '../tools/mql-test-harness/src/build.js';
import { BRIDGE_EA, ECHO_EA, INCLUDE_ROOT } from './ea/helpers.js';

/**
 * Before any test runs: build the CLI bundle (tests spawn dist/mt5-executor.js), and build the EA and the
 * echo program with the mql-test-harness once (the runtime object is shared; workers then reuse the cache).
 */
export default async function setup(): Promise<void> {
  const r = spawnSync(process.execPath, ['tools/build.mjs'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tools/build.mjs failed:\n${r.stderr}`);
  const gxx = spawnSync(process.env.CXX ?? 'g++', ['--version'], { encoding: 'utf8' });
  if (gxx.status !== 0) {
    throw new Error('g++ is missing: the EA tests build the real MQL5 source with it. Install it (Debian/Ubuntu: sudo apt-get install g++) and run npm test again.');
  }
  await buildEa({ entry: BRIDGE_EA, includeRoot: INCLUDE_ROOT });
  await buildEa({ entry: ECHO_EA, includeRoot: INCLUDE_ROOT });
}
