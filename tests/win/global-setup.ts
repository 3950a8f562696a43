import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wineEnv, wineserverKill, FAKE_METAEDITOR } from './wine.js';
// @ts-expect-error a JavaScript build module without types
import { makeSea } from '../../tools/release/sea.mjs';

/**
 * Build the Linux bundle and the Windows release (npm run dist:win), then make a fresh wine prefix set to
 * Windows 10 (Node refuses older Windows). Wine itself comes from tools/release/install-tools.sh --wine (.ci/run).
 */
export default function setup(): () => void {
  if (spawnSync('wine', ['--version']).status !== 0) {
    throw new Error('wine is missing: run tools/release/install-tools.sh --wine (Debian: apt-get install wine wine64)');
  }
  const step = (what: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 900_000 });
    if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}\n${r.stderr}`);
    process.stdout.write(`[test:win] ${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  };
  step('node tools/build.mjs', process.execPath, ['tools/build.mjs']);
  if (process.env.MT5X_WIN_PREBUILT !== '1') step('npm run dist:win', process.execPath, ['tools/release/dist-win.mjs']);
  // the fixture standing in for MetaEditor64.exe, as a Windows executable made the way the release's exe is
  const t0 = performance.now();
  mkdirSync('dist/win-fixtures', { recursive: true });
  copyFileSync('tests/win/fake-metaeditor.cjs', 'dist/win-fixtures/fake-metaeditor.cjs');
  (makeSea as (main: string, exe: string) => void)('dist/win-fixtures/fake-metaeditor.cjs', FAKE_METAEDITOR);
  process.stdout.write(`[test:win] fixture MetaEditor64.exe: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const prefix = mkdtempSync(join(tmpdir(), 'mt5x-wine-'));
  step('wine prefix (wineboot -i)', 'wineboot', ['-i'], wineEnv(prefix));
  step('wine prefix set to Windows 10', 'winecfg', ['-v', 'win10'], wineEnv(prefix));
  process.env.MT5X_WINE_PREFIX = prefix;
  return () => {
    wineserverKill(prefix);
    rmSync(prefix, { recursive: true, force: true });
  };
}
