// npm run dist:win — the Windows release, built on Linux (or anywhere with Node and, for the installer, makensis):
//   dist/win/mt5-executor/                   the program folder: mt5-executor.exe (a Node single executable
//                                            application carrying the CommonJS bundle), the keychain addon beside
//                                            it, data/, examples/, mql5/
//   dist/mt5-executor-<version>-win-x64.zip  the portable archive of that folder
//   dist/mt5-executor-setup-<version>.exe    the NSIS installer (skipped with --no-installer)
// How the executable is made: tools/release/sea.mjs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, ROOT, stageFiles } from './bundle.mjs';
import { fetchPackage, makeSea, NODE_VERSION } from './sea.mjs';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const KEYRING_VERSION = JSON.parse(readFileSync(join(ROOT, 'node_modules/@napi-rs/keyring/package.json'), 'utf8')).version;
const VERSION = pkg.version;
const DIST = join(ROOT, 'dist');
const WIN = join(DIST, 'win');
const APP = join(WIN, 'mt5-executor');
const noInstaller = process.argv.includes('--no-installer');

const log = (m) => process.stdout.write(m + '\n');
const t0 = Date.now();

const keyring = join(fetchPackage(`@napi-rs/keyring-win32-x64-msvc@${KEYRING_VERSION}`), 'keyring.win32-x64-msvc.node');
if (!existsSync(keyring)) throw new Error(`${keyring} missing from its npm package`);

rmSync(WIN, { recursive: true, force: true });
mkdirSync(join(WIN, 'build'), { recursive: true });
const main = join(WIN, 'build', 'mt5-executor.cjs');
await bundle({ outfile: main, format: 'cjs', target: 'node22', sourcemap: false });
const exe = join(APP, 'mt5-executor.exe');
makeSea(main, exe);

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
