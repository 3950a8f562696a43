/**
 * The switches of paper trading on live prices: a strategy's `mode` (default live), the configuration's `paper`
 * (MT5X_PAPER), and `mt5-executor start --paper` from the built CLI (dist/mt5-executor.js, built by global-setup).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/host/config.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { apiCaller, baseStrategy, freePort, strategyProblems } from '../helpers.js';

const entry = { long: { conditions: [{ indicator: 'close', condition: 'greater_than', value: 0 }] } };

describe('paper switches', () => {
  it("a strategy's mode: live by default, paper when asked, anything else refused with the field named", () => {
    expect(normalizeStrategy(baseStrategy(entry)).mode).toBe('live');
    expect(normalizeStrategy({ ...baseStrategy(entry), mode: 'paper' }).mode).toBe('paper');
    expect(normalizeStrategy({ ...baseStrategy(entry), mode: 'paper' }).warnings).toEqual([]); // a field of the format, not metadata
    const problems = strategyProblems({ ...baseStrategy(entry), mode: 'demo' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBe('mode: "demo" is not accepted: use one of live, paper');
  });

  it('the configuration: paper off by default; on from the file or MT5X_PAPER; a bad value named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-config-'));
    expect(loadConfig({ env: { MT5X_DATA_DIR: dir } }).paper).toBe(false);
    expect(loadConfig({ env: { MT5X_DATA_DIR: dir, MT5X_PAPER: '1' } }).paper).toBe(true);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ paper: true, paperBalance: 2500 }));
    expect(loadConfig({ env: { MT5X_DATA_DIR: dir } })).toMatchObject({ paper: true, paperBalance: 2500 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ paper: 'yes' }));
    expect(() => loadConfig({ env: { MT5X_DATA_DIR: dir } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { MT5X_DATA_DIR: dir } })).toThrow(/^paper: .*\(in .*config\.json\)/);
  });

  it('mt5-executor start --paper: in its help, and the host says it trades on paper — on the console, in its log, and over the local API (/overview, /health) before any EA connects', async () => {
    const help = spawnSync(process.execPath, ['dist/mt5-executor.js', 'start', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--paper');
    const data = mkdtempSync(join(tmpdir(), 'mt5x-paper-cli-'));
    const apiPort = await freePort();
    const child = spawn(process.execPath, ['dist/mt5-executor.js', 'start', '--paper'], {
      env: { ...process.env, MT5X_DATA_DIR: data, MT5X_BRIDGE_PORT: String(await freePort()), MT5X_API_PORT: String(apiPort), MT5X_NO_KEYCHAIN: '1', MT5X_PRIME_AT_START: 'false', MT5X_LOG_LEVEL: 'info' },
    });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise((res) => child.on('exit', res));
    try {
      const t0 = Date.now();
      while (!out.includes('"local API listening"') && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
      const token = (await openCredentialStore(data, { preferKeychain: false })).get('apiToken')!;
      const api = apiCaller(() => `http://127.0.0.1:${apiPort}`, () => token);
      const overview = await api('GET', '/overview');
      expect(overview.status).toBe(200);
      expect(overview.body).toMatchObject({ paper: true, account: null, connection: { ea: false } }); // no EA yet: the mode is the host's, not the terminal's
      expect((await api('GET', '/health')).body).toMatchObject({ paper: true, terminalConnected: false });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(err).toContain('PAPER TRADING: the EA streams prices; every order goes to the simulated broker');
    expect(JSON.parse(out.split('\n').find((l) => l.includes('"host started"'))!)).toMatchObject({ paper: true });
  }, 40_000);
});
