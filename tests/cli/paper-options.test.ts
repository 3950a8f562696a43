/**
 * The options backtest, paper and demo share (src/cli/run-options.ts) and the decision log's one writer
 * (src/cli/line-file.ts), through the built CLI (dist/mt5-executor.js, built by global-setup): a broker's name for a
 * preset (EURUSD.m) taken by all three, the same names refused with the same words, and a decision log that fails
 * to write during the run — one line naming it and exit 1 in paper as in backtest.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { UsageError } from '../../src/cli/kit.js';
import { firstBarFrom, parseLimits, parseOverrides } from '../../src/cli/run-options.js';
import { DEFAULT_LIMITS } from '../../src/engine/safety.js';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['dist/mt5-executor.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' }, timeout: 90_000, maxBuffer: 64 << 20 });
const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-opts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EMA = 'examples/ema-cross-trend.json', EU = 'data/EURUSD_H1_2019.csv';
/** The message after the prefix ("mt5-executor paper: …", demo's "mt5-executor: …"), without the line pointing at --help. */
const message = (stderr: string) => stderr.split('\n')[0]!.replace(/^mt5-executor(?: \w+)?: /, '');

describe('the options backtest, paper and demo share', () => {
  it('--symbol takes a broker\'s name for a preset (EURUSD.m) in paper as in backtest, and refuses the same names with the same words', () => {
    const p = cli(['paper', EMA, '--data', EU, '--from', '3700', '--symbol', 'EURUSD.m']);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toContain("note: EURUSD.m is simulated as EURUSD, with the simulator's EURUSD specification");
    const b = cli(['backtest', EMA, '--data', EU, '--symbol', 'EURUSD.m']);
    expect(b.status, b.stderr).toBe(0);
    for (const name of ['EURUSDmicro', 'GBPJPY']) {
      const [pr, br, dr] = [cli(['paper', EMA, '--data', EU, '--symbol', name]), cli(['backtest', EMA, '--data', EU, '--symbol', name]), cli(['demo', '--symbol', name])];
      for (const r of [pr, br, dr]) expect(r.status, name).toBe(2);
      expect(message(pr.stderr)).toBe(`--symbol ${name}: no symbol specification; known EURUSD, GBPUSD, USDJPY, EURGBP, XAUUSD`);
      expect(message(br.stderr)).toBe(message(pr.stderr));
      expect(message(dr.stderr)).toBe(message(pr.stderr));
      for (const [r, verb] of [[pr, 'paper'], [br, 'backtest'], [dr, 'demo']] as const) expect(r.stderr).toMatch(new RegExp(`\\nRun 'mt5-executor ${verb} --help' for its options and an example\\.\\n$`));
    }
  }, 120_000);

  it('demo runs its strategies on --symbol EURUSD.m, paper run and backtest, on the EURUSD preset', async () => {
    const lines: string[] = [];
    await runDemo({ bars: 120, barsPerSecond: 100_000, out: (l) => lines.push(l), reportDir: join(dir, 'reports'), warn: () => {}, ...parseOverrides('EURUSD.m', undefined) });
    expect(lines[0]).toMatch(/^note: EURUSD\.m is simulated as EURUSD/);
    expect(lines.filter((l) => /^ {2}\S+: \d+ trades, .* — report /.test(l))).toHaveLength(2); // each strategy's backtest
  }, 60_000);

  it('--limits, --timeframe and a --from date read once', () => {
    expect(parseLimits(undefined)).toBeUndefined();
    expect(parseLimits('none')).toBeUndefined();
    expect(parseLimits('demo')).toEqual(DEFAULT_LIMITS.demo);
    expect(() => parseLimits('x')).toThrow(new UsageError("--limits must be none, demo or live, got 'x'"));
    expect(() => parseOverrides(undefined, 'M7')).toThrow(UsageError);
    const t = [100, 200, 300, 400];
    expect([firstBarFrom(t, 50), firstBarFrom(t, 200), firstBarFrom(t, 250), firstBarFrom(t, 500), firstBarFrom(t, 350, 2)]).toEqual([0, 1, 2, 4, 2]);
  });
});

describe('the decision log: one writer for backtest and paper', () => {
  // /dev/full (Linux) takes the open and fails every write with ENOSPC: the disk full during the run
  it.skipIf(!existsSync('/dev/full'))('a log that cannot be written during the run: paper says so as backtest does, exit 1 (needs /dev/full: Linux)', () => {
    const p = cli(['paper', EMA, '--data', EU, '--from', '3600', '--log', '/dev/full']);
    expect(p.status).toBe(1);
    expect(p.stderr).toBe('mt5-executor paper: --log /dev/full: cannot write it: the disk is full\n');
    const b = cli(['backtest', EMA, '--data', EU, '--log', '/dev/full']);
    expect(b.status).toBe(1);
    expect(message(b.stderr)).toBe(message(p.stderr));
  }, 60_000);

  it('a log that cannot be opened: the same words in both, exit 1', () => {
    const log = join(dir, 'no-such-folder', 'x.jsonl');
    const p = cli(['paper', EMA, '--data', EU, '--from', '3700', '--log', log]);
    expect(p.status).toBe(1);
    expect(p.stderr).toBe(`mt5-executor paper: --log ${log}: cannot write it: its folder does not exist\n`);
    expect(p.stdout).toBe('');
  }, 60_000);
});
