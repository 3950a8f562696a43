/**
 * The standalone build: dist/mt5-executor.js and its chunks copied into a folder with no node_modules anywhere above it, with
 * the files a release ships beside it (tools/release/bundle.mjs). Demo, backtest with its HTML report (the chart
 * library inlined) and start must run from there; the keychain addon loads from beside the program, and without
 * it the host falls back to the encrypted file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, until } from '../helpers.js';
// @ts-expect-error a JavaScript build module without types
import { localKeyringAddon, programFiles, stageFiles } from '../../tools/release/bundle.mjs';

function release(withKeyring: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-standalone-'));
  const addon = (localKeyringAddon as () => string | undefined)();
  (stageFiles as (d: string, n: string[]) => void)(dir, withKeyring && addon ? [addon] : []);
  // the program: its entry and the chunks it imports (the ESM build is split per verb)
  for (const f of (programFiles as (o: string) => string[])('dist/mt5-executor.js')) cpSync(f, join(dir, basename(f)));
  for (let d = dir; d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, 'node_modules')), `${d}/node_modules`).toBe(false);
  return dir;
}

const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [join(dir, 'mt5-executor.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_PATH: '', ...env } });

describe('standalone bundle (no node_modules)', () => {
  const dir = release(true);

  it('runs the demo from the bundled bars and example strategies', () => {
    const r = run(dir, ['demo', '--bars', '300', '--speed', '5000']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ema-cross-trend: \d+ trades/);
  });

  it('backtests with an HTML report carrying the chart library', () => {
    const r = run(dir, ['backtest', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv', '--report', 'r.html', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ strategyId: 'ema-cross-trend', bars: 3728 });
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(html).toContain('.uplot'); // uPlot's stylesheet
    expect(html).toMatch(/var uPlot\s*=/); // and its code, inline
    // the same run from the repository (node_modules present) writes the same report
    const repo = spawnSync(process.execPath, ['dist/mt5-executor.js', 'backtest', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv', '--report', join(dir, 'repo.html')], { encoding: 'utf8' });
    expect(repo.status, repo.stderr).toBe(0);
    expect(readFileSync(join(dir, 'repo.html'), 'utf8')).toBe(html);
  });

  for (const withKeyring of [true, false]) {
    it(`starts the host ${withKeyring ? 'with the keychain addon beside it' : 'without the keychain addon (encrypted-file fallback)'}`, async () => {
      const d = withKeyring ? dir : release(false);
      const data = mkdtempSync(join(tmpdir(), 'mt5x-standalone-data-'));
      const env = { ...process.env, MT5X_DATA_DIR: data, MT5X_BRIDGE_PORT: String(await freePort()), MT5X_API_PORT: String(await freePort()), MT5X_PRIME_AT_START: 'false', NODE_PATH: '' };
      const child = spawn(process.execPath, [join(d, 'mt5-executor.js'), 'start'], { cwd: d, env });
      let out = '';
      let err = '';
      child.stdout.on('data', (b) => (out += b));
      child.stderr.on('data', (b) => (err += b));
      try {
        await until(() => out.includes('"host started"'), 20_000, 'host started');
      } finally {
        child.kill('SIGTERM');
      }
      expect(await new Promise((res) => child.on('exit', res))).toBe(0);
      expect(out).toContain('"host stopped"');
      // this machine has no Secret Service: the addon loads (its own error says so) or is absent (the import fails)
      if (withKeyring) expect(err).toMatch(/no OS keychain: (?!Cannot find)/);
      else expect(err).toMatch(/no OS keychain: Cannot find (package|module) '@napi-rs\/keyring'/);
      expect(existsSync(join(data, 'credentials.enc'))).toBe(true);
    }, 40_000);
  }
});

describe('version', () => {
  it('the program reports the version package.json gives the release files', async () => {
    const { VERSION } = await import('../../src/host/version.js');
    expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
