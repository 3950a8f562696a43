import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { EncryptedFileStore } from '../../src/host/state/credentials.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { freePort, makeBroker, until } from '../helpers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';

describe('the main job (demo)', () => {
  it('trades the simulated terminal over the real bridge and summarises consistently', async () => {
    const lines: string[] = [];
    const s = (await runDemo({ bars: 600, barsPerSecond: 100_000, out: (l) => lines.push(l), reportDir: `/tmp/mt5x-demo-${process.pid}` }))!;
    expect(s.bars).toBe(600);
    expect(s.intents).toBeGreaterThan(5);
    expect(s.intentsOk + s.intentsFailed).toBe(s.intents);
    expect(s.intentsFailed).toBe(0);
    expect(s.wins + s.losses).toBe(s.closedTrades);
    // the balance is the start plus every closed trade's result, to the cent
    expect(Math.round((10_000 + s.netProfit) * 100)).toBe(Math.round(s.balance * 100));
    expect(lines.some((l) => /^ {2}-> OPEN (buy|sell) 0\.\d\d EURUSD sl \d\.\d{5} tp \d\.\d{5} \((ema-cross-trend|rsi-bb-reversion)\) {2}\[[0-9a-z]{7}-[0-9a-z]+-o\]$/.test(l))).toBe(true);
    // each signal is logged with its trace: one line per condition with the operand values
    const sig = lines.findIndex((l) => / (BUY|SELL) signal at the close /.test(l));
    expect(sig).toBeGreaterThan(0);
    expect(lines[sig + 1]).toMatch(/^ {4}\+ \S+ \S+ \S+.* \[H1\]: [-\d.]+/);
    expect(lines.some((l) => /filled #\d+ 0\.10 @ \d\.\d{5}/.test(l))).toBe(true);
    expect(lines.some((l) => /^replay finished: 600 bars$/.test(l))).toBe(true);
    // break-even and trailing moves are named as such, with the ticket and the new stop (not "MODIFY" after a false exit)
    expect(lines.some((l) => /^\d{4}\.\d\d\.\d\d \d\d:\d\d {2}\S+: (break-even|trailing stop)( and trailing stop)? at the close \d\.\d{5}$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}-> (BREAK-EVEN|TRAILING STOP) #\d+: stop to \d\.\d{5}(, target \d\.\d{5})? \(\S+\) {2}\[/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {4}(break-even|trailing stop) done: stop of #\d+ now \d\.\d{5}/.test(l))).toBe(true);
    expect(lines.filter((l) => / -> MODIFY /.test(l))).toEqual([]);
    // and the backtest of the same strategies, with its report
    expect(lines.some((l) => /^ {2}ema-cross-trend: \d+ trades, win rate [\d.]+ %, profit factor .*report \/tmp\/mt5x-demo-\d+\/demo-ema-cross-trend.html$/.test(l))).toBe(true);
  });
});

describe('the CLI bundle (built by tests/global-setup.ts)', () => {
  it('runs the demo to the end and exits 0', () => {
    const r = spawnSync(process.execPath, ['dist/mt5-executor.js', 'demo', '--bars', '300', '--speed', '5000'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/replay finished: 300 bars/);
    expect(r.stdout).toMatch(/intents sent {6}\d+ \(\d+ done, 0 rejected or failed\)/);
  });

  it('stops cleanly on Ctrl-C (SIGINT) with a summary', async () => {
    const child = spawn(process.execPath, ['dist/mt5-executor.js', 'demo', '--bars', '3000', '--speed', '50']);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise<void>((res) => {
      const t = setInterval(() => {
        if (out.includes('close ')) {
          clearInterval(t);
          res();
        }
      }, 20);
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(0);
    expect(out).toMatch(/stopped early \(Ctrl-C\) after \d+ bars/);
    expect(out).toMatch(/balance \/ equity/);
  });

  it('token and login keep secrets out of plain text (on this machine: the encrypted-file fallback)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-cli-'));
    const t = spawnSync(process.execPath, ['dist/mt5-executor.js', 'token', '--data-dir', dir], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    const token = /^ {4}(\S{32,})$/m.exec(t.stdout)![1]!;
    expect(t.stdout).toMatch(/Token = the line above/);
    const weak = spawnSync(process.execPath, ['dist/mt5-executor.js', 'login', '--data-dir', dir, '--key', 'k1', '--secret-stdin'], { encoding: 'utf8', input: 'password123\n' });
    expect(weak.status).toBe(2);
    expect(weak.stderr).toMatch(/the API secret looks weak: it is 11 characters long/);
    const secret = 'sk_live_9fQ2vXw7LmN4pR8tZy1aB6cD';
    const ok = spawnSync(process.execPath, ['dist/mt5-executor.js', 'login', '--data-dir', dir, '--key', 'k1', '--secret-stdin'], { encoding: 'utf8', input: secret + '\n' });
    expect(ok.status, ok.stderr).toBe(0);
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'latin1')).join('\n');
    expect(files).not.toContain(secret);
    expect(files).not.toContain(token);
    expect(ok.stdout + ok.stderr).not.toContain(secret);
  });

  it('start: runs the host for real — restores its strategies, serves the EA bridge with its token, stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-start-'));
    const port = await freePort();
    // a state left by an earlier run: one running strategy
    mkdirSync(join(dir, 'state'), { recursive: true });
    const strategy = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8'));
    writeFileSync(join(dir, 'state', 'state.json'), JSON.stringify({ version: 1, strategies: { 'ema-cross-trend': { id: 'ema-cross-trend', parameters: strategy, status: 'running', updatedAt: 1 } }, intents: {}, commands: {}, daily: {}, audit: [], outbox: [] }));
    const child = spawn(process.execPath, ['dist/mt5-executor.js', 'start'], { env: { ...process.env, MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(port), MT5X_API_ENABLED: '0', MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'warn' } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    try {
      await until(() => err.includes('mt5-executor token'), 20_000, 'where to get the token'); // priming takes seconds on a loaded machine
      const token = new EncryptedFileStore(dir, undefined).get('bridgeToken')!;
      expect(err).not.toContain(token); // not printed (standard error ends up in logs): `mt5-executor token` shows it…
      // …never stored in clear, nor in the log file
      const stored = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && !join(f.parentPath, f.name).includes(`${join(dir, 'state')}`));
      expect(stored.some((f) => f.name.endsWith('.log'))).toBe(true);
      expect(stored.map((f) => readFileSync(join(f.parentPath, f.name), 'latin1')).join('')).not.toContain(token);
      const sim = new SimTerminal({ url: `ws://127.0.0.1:${port}`, token, broker: makeBroker({}, []), reconnect: false });
      await sim.connect();
      // the restored strategy asks the terminal for its symbol and timeframe
      await until(() => sim.welcome !== undefined, 5000);
      const subscribed = await new Promise<boolean>((res) => {
        const t = setTimeout(() => res(false), 5000);
        sim.on('intent', () => undefined);
        const check = setInterval(() => {
          if ((sim as unknown as { symbols: Set<string> }).symbols.has('EURUSD')) {
            clearInterval(check);
            clearTimeout(t);
            res(true);
          }
        }, 20);
      });
      expect(subscribed).toBe(true);
      await sim.close();
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(0);
    const bad = spawnSync(process.execPath, ['dist/mt5-executor.js', 'start'], { encoding: 'utf8', env: { ...process.env, MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: 'abc', MT5X_NO_KEYCHAIN: '1' } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/configuration problems:\n {2}bridge.port: 'abc' is not a number \(from MT5X_BRIDGE_PORT\)/);
  }, 30_000);

  it('explains bad arguments', () => {
    const r = spawnSync(process.execPath, ['dist/mt5-executor.js', 'demo', '--bars', 'ten'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--bars must be a positive whole number, got 'ten'/);
    // a file too short for the history the replay starts after: said so (it said "bad quote for EURUSD: bid undefined ask NaN")
    const dir = mkdtempSync(join(tmpdir(), 'demo-short-'));
    const short = join(dir, 'EURUSD_H1.csv');
    writeFileSync(short, readFileSync('data/EURUSD_H1_2019.csv', 'utf8').split('\n').slice(0, 41).join('\n') + '\n');
    const s = spawnSync(process.execPath, ['dist/mt5-executor.js', 'demo', '--data', short], { encoding: 'utf8', timeout: 30_000 });
    expect(s.status).toBe(1);
    expect(s.stderr).toBe(`mt5-executor demo: ${short} has 40 bars: the demo replays the bars after 50 of history, so it needs 51 at least\n`);
    const u = spawnSync(process.execPath, ['dist/mt5-executor.js', 'frobnicate'], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
