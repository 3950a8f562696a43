/**
 * The command line as a trader meets it: the built CLI (dist/mt5-executor.js, built by global-setup) spawned
 * with real arguments — help for every verb from its one option table, "did you mean", colour only where
 * asked, JSON errors with file, line and column, a directory given as a file, exit codes (Ctrl-C → 130) and
 * `strategy new`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset } from '../../src/cli/kit.js';
// @ts-expect-error a JavaScript build module without types
import { programFiles } from '../../tools/release/bundle.mjs';

const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['dist/mt5-executor.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env }, timeout: 60_000, maxBuffer: 64 << 20 });
const dir = mkdtempSync(join(tmpdir(), 'mt5x-cli-'));
const VERBS = ['start', 'demo', 'indicators', 'backtest', 'ml train', 'ml evaluate', 'validate', 'strategy new', 'schema', 'token', 'login', 'version'];

describe('command line', () => {
  it('every verb answers --help with its options and an example', () => {
    for (const v of VERBS) {
      const r = cli([...v.split(' '), '--help']);
      expect(r.status, v).toBe(0);
      expect(r.stdout, v).toContain(`Usage: mt5-executor ${v}`);
      expect(r.stdout, v).toMatch(/Options:\n/);
      expect(r.stdout, v).toMatch(/Examples?:\n {2}mt5-executor /);
    }
    const b = cli(['backtest', '--help']).stdout;
    for (const o of ['--data FILE', '--from DATE', '--to DATE', '--symbol SYMBOL', '--timeframe TF', '--no-swap', '--report FILE', '--json']) expect(b).toContain(o);
    expect(cli(['help', 'backtest']).stdout).toBe(b);
    const all = cli(['help']).stdout;
    for (const v of VERBS) expect(all).toContain(`  ${v}`);
    expect(all).toMatch(/130 {2}interrupted with Ctrl-C/);
  }, 120_000);

  it('a backtest and `version` load neither the host nor its web server: the build is split per verb', () => {
    // the built program copied, then the chunks holding the host's start and fastify removed: a single-file bundle
    // has no such chunks (the test fails), and a verb that imported them statically would fail to load
    const copy = mkdtempSync(join(tmpdir(), 'mt5x-split-'));
    const files = (programFiles as (o: string) => string[])('dist/mt5-executor.js').map((f) => basename(f));
    for (const f of files) copyFileSync(join('dist', f), join(copy, f));
    const hostChunks = files.filter((f) => /^\/\/ (src\/host\/start\.ts|node_modules\/fastify\/fastify\.js)$/m.test(readFileSync(join(copy, f), 'utf8')));
    expect(hostChunks.length).toBeGreaterThan(0);
    expect(hostChunks).not.toContain('mt5-executor.js');
    for (const f of hostChunks) rmSync(join(copy, f));
    const run = (args: string[]) => spawnSync(process.execPath, [join(copy, 'mt5-executor.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(run(['version']).stdout).toMatch(/^mt5-executor \d+\.\d+\.\d+ \(bridge protocol \d+\)\n$/);
    const bt = run(['backtest', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv', '--json']);
    expect(bt.stderr).toBe('');
    expect(JSON.parse(bt.stdout).bars).toBeGreaterThan(1000);
    // and the host's own verb needs them: proof that the removed chunks were the host's
    const start = run(['start', '--data-dir', join(copy, 'state')]);
    expect(start.status).not.toBe(0);
    expect(start.stderr).toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
    rmSync(copy, { recursive: true, force: true });
  }, 60_000);

  it('suggests the verb or option meant', () => {
    const r = cli(['backtst']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'backtst' — did you mean 'backtest'?");
    expect(cli(['strategy', 'nwe']).stderr).toContain("did you mean 'strategy new'?");
    const o = cli(['backtest', 'examples/ema-cross-trend.json', '--dta', 'x.csv']);
    expect(o.status).toBe(2);
    expect(o.stderr).toContain('unknown option --dta — did you mean --data?');
  });

  it('colours only when asked (FORCE_COLOR) and never with NO_COLOR', () => {
    expect(cli(['help'], { FORCE_COLOR: '1' }).stdout).toContain('\x1b[');
    expect(cli(['help'], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout).not.toContain('\x1b[');
    expect(cli(['help']).stdout).not.toContain('\x1b['); // not a terminal
  });

  it('names file, line and column of a JSON error, and explains a directory', () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, '{\n  "strategyId": "x",\n  "symbol": "EURUSD",,\n}\n');
    const r = cli(['backtest', f, '--data', 'data/EURUSD_H1_2019.csv']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${f}:3:22: not valid JSON`);
    // the same words from every command that reads a strategy or a model
    for (const args of [['validate', f], ['paper', f, '--data', 'data/EURUSD_H1_2019.csv'], ['ml', 'train', '--strategy', f, '--data', 'data/EURUSD_H1_2019.csv'], ['ml', 'evaluate', '--strategy', 'examples/ema-cross-trend.json', '--model', f, '--data', 'data/EURUSD_H1_2019.csv']]) {
      const x = cli(args);
      expect(x.status, args.join(' ')).toBe(1);
      expect(x.stderr, args.join(' ')).toContain(`${f}:3:22: not valid JSON`);
    }
    expect(cli(['validate', dir]).stderr).toContain(`${dir}: is a directory; give a JSON file in it`);
    expect(cli(['paper', 'examples/ema-cross-trend.json', '--data', dir]).stderr).toContain(`${dir}: is a directory; give a bar file in it`);
    expect(cli(['ml', 'train', '--strategy', 'examples/ema-cross-trend.json', '--data', dir]).stderr).toContain(`${dir}: is a directory; give a bar file in it`);
    const d = cli(['backtest', dir, '--data', 'data/EURUSD_H1_2019.csv']);
    expect(d.status).toBe(1);
    expect(d.stderr).toContain(`${dir}: is a directory; give a JSON file in it`);
    expect(cli(['backtest', 'examples/ema-cross-trend.json', '--data', 'data']).stderr).toContain('--data data is a directory; give a bar file in it');
    expect([jsonErrorOffset('[1, 2,]'), jsonErrorOffset('{"a": "x'), jsonErrorOffset('{"a": tru}'), jsonErrorOffset('{} x')]).toEqual([6, 8, 6, 3]);
  });

  it('a long output through a pipe arrives whole (exiting at once cut it at 64 KB)', () => {
    const r = cli(['indicators', 'data/EURUSD_H1_2015-2022.csv', '-i', 'ema:21']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(r.stdout.length).toBeGreaterThan(1 << 20);
    const bars = readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8').trimEnd().split('\n').length - 1;
    expect(lines.length).toBe(bars + 1); // the header and every bar
    expect(lines.at(-1)!.split(',').length).toBe(lines[0]!.split(',').length);
  });

  it('an output that cannot be written (> file on a full disk: /dev/full) fails the run, exit 1, saying so; a pipe closed early stays quiet (exit 0)', () => {
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['schema'], ['backtest', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv', '--json'], ['indicators', 'data/EURUSD_H1_2019.csv', '-i', 'ema:21']]) {
        const r = spawnSync(process.execPath, ['dist/mt5-executor.js', ...args], { encoding: 'utf8', stdio: ['ignore', full, 'pipe'], env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
        expect(r.status, args[0]).toBe(1); // it was 0, the output lost
        expect(r.stderr, args[0]).toBe('mt5-executor: the output (standard output) could not be written: the disk is full\n');
      }
    } finally {
      closeSync(full);
    }
    const head = spawnSync('bash', ['-c', `"${process.execPath}" dist/mt5-executor.js indicators data/EURUSD_H1_2015-2022.csv -i ema:21 | head -1; echo "status \${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(head.stdout).toBe('time,ema:21\nstatus 0\n');
    expect(head.stderr).toBe('');
  });

  it('strategy new writes a commented starter that validates and backtests', () => {
    const f = join(dir, 'starter.json');
    const r = cli(['strategy', 'new', f, '--symbol', 'XAUUSD', '--timeframe', 'M15']);
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(f, 'utf8'));
    expect(s['//'].length).toBeGreaterThan(3);
    expect([s.symbol, s.timeframe]).toEqual(['XAUUSD', 'M15']);
    expect(cli(['validate', f]).status).toBe(0);
    const bt = cli(['backtest', f, '--data', 'data/XAUUSD_M15_2024Q1.csv', '--json']);
    expect(bt.status).toBe(0);
    expect(JSON.parse(bt.stdout).trades).toBeGreaterThan(0);
    expect(cli(['strategy', 'new', f]).stderr).toContain('exists; --force overwrites it');
    expect(cli(['strategy', 'new', dir]).stderr).toContain('is a directory; give a file name in it');
  });

  it('Ctrl-C on start exits 130, after a clean stop', async () => {
    const port = await new Promise<number>((res) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const data = mkdtempSync(join(tmpdir(), 'mt5x-cli-start-'));
    const child = spawn(process.execPath, ['dist/mt5-executor.js', 'start'], { env: { ...process.env, MT5X_DATA_DIR: data, MT5X_BRIDGE_PORT: String(port), MT5X_API_ENABLED: '0', MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'warn' } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const t0 = Date.now();
    // the first start says a bridge token was created (and where to see it) once the host is up
    while (!err.includes('A bridge token was created') && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 50));
    expect(err).toContain('A bridge token was created');
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(130);
  }, 30_000);
});
