/**
 * backtest (and validate) as a trader types them, with the built CLI (dist/mt5-executor.js, built by global-setup):
 * extra files are a usage error, output and data files that cannot be used are named with what is wrong, and a
 * negative number after an option is read as its value.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = (args: string[]) => spawnSync(process.execPath, ['dist/mt5-executor.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
const dir = mkdtempSync(join(tmpdir(), 'bt-usage-'));
const BT = ['backtest', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv'];

describe('backtest and validate usage', () => {
  it('more than one strategy file is a usage error naming the extra ones (exit 2)', () => {
    const b = cli(['backtest', 'examples/ema-cross-trend.json', 'examples/rsi-bollinger-reversion.json', '--data', 'data/EURUSD_H1_2019.csv']);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("backtest takes one strategy file; extra argument: 'examples/rsi-bollinger-reversion.json'");
    const v = cli(['validate', 'examples/ema-cross-trend.json', 'extra.json', 'more.json']);
    expect(v.status).toBe(2);
    expect(v.stderr).toContain("validate takes one strategy file; extra arguments: 'extra.json', 'more.json'");
    expect(v.stdout).toBe('');
  });

  it('an output that is a directory, or in no folder, is named with what is wrong; nothing runs', () => {
    const folder = join(dir, 'lay');
    mkdirSync(folder);
    for (const opt of ['--report', '--trades']) {
      const r = cli([...BT, opt, folder]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`mt5-executor backtest: ${opt} ${folder}: is a directory; give a file name in it`);
      expect(r.stderr).not.toContain('ema-cross-trend.json');
    }
    const r = cli([...BT, '--report', '/nonexistent/dir/r.html']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('mt5-executor backtest: --report /nonexistent/dir/r.html: the folder /nonexistent/dir does not exist\n');
    expect(r.stdout).toBe('');
  });

  it('a missing data file is "no such file", not a raw ENOENT', () => {
    const r = cli(['backtest', 'examples/ema-cross-trend.json', '--data', join(dir, 'nope.csv')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mt5-executor backtest: ${join(dir, 'nope.csv')}: no such file\n`);
  });
});

describe('negative numbers', () => {
  it('reach the number check, which says what is allowed', () => {
    for (const [opt, v, min] of [['--balance', '-5', 1], ['--commission', '-1', 0]] as const) {
      const r = cli([...BT, opt, v]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`mt5-executor backtest: ${opt} must be a number ≥ ${min}, got '${v}'\nRun 'mt5-executor backtest --help' for its options and an example.\n`);
    }
    const r = cli([...BT, '--spread', '-3']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`mt5-executor backtest: --spread must be 'data' (the file's spread column) or a whole number of points from 0 to 100,000, got '-3'\nRun 'mt5-executor backtest --help' for its options and an example.\n`);
  });
});

describe('--from after --to', () => {
  it('is a usage error saying so (exit 2), not "no bars between" the two as if the file lacked them', () => {
    for (const [from, to, says] of [['2019-06-01', '2019-03-01', 'after'], ['2019-06-03 10:00', '2019-06-03 10:00', 'the time --to stops before']] as const) {
      const r = cli([...BT, '--from', from, '--to', to]);
      expect(r.status, `${from} ${to}`).toBe(2);
      expect(r.stderr).toBe(`mt5-executor backtest: --from ${from} is ${says} --to ${to}: give a --from before --to (--to a day takes that whole day; a time, the bars before it)\nRun 'mt5-executor backtest --help' for its options and an example.\n`);
    }
    // the same day for both is that day's bars
    const day = cli([...BT, '--from', '2019-06-03', '--to', '2019-06-03']);
    expect(day.status, day.stderr).toBe(0);
    expect(day.stdout).toContain('2019.06.03 00:00 to 2019.06.03 23:05');
  });
});

describe('--spread and --slippage in whole points', () => {
  it('a fraction is refused: the broker keeps every price on the tick, so --slippage 0.4 did nothing and --spread 1.5 was 1 or 2 by the price', () => {
    for (const [opt, v] of [['--slippage', '0.4'], ['--slippage', '1e300'], ['--slippage', ''], ['--spread', '1.5'], ['--spread', '100001']] as const) {
      const r = cli([...BT, opt, v]);
      expect(r.status, `${opt} ${v}`).toBe(2);
      expect(r.stderr).toContain(`${opt} must be ${opt === '--spread' ? "'data' (the file's spread column) or " : ''}a whole number of points from 0 to 100,000, got '${v}'`);
    }
    // whole points as before: 2 points of slippage moves every fill
    const fig = (args: string[]) => (JSON.parse(cli([...BT, ...args, '--json']).stdout) as { netProfit: number }).netProfit;
    expect(fig(['--slippage', '0'])).toBe(-385.2);
    expect(fig(['--slippage', '2'])).not.toBe(-385.2);
    expect(fig(['--spread', '100000'])).toBe(0); // no order's stops fit such a spread: refused by the broker, no trade
  });
});

describe('--balance beyond exact money', () => {
  it('is refused above 1,000,000,000,000 (1e15 gave a final balance 1.33 off the net profit, 1e30 no drawdown at all), by backtest and paper alike', () => {
    for (const v of ['1e15', '1e30', 'Infinity']) {
      const r = cli([...BT, '--balance', v]);
      expect(r.status, v).toBe(2);
      expect(r.stderr).toBe(`mt5-executor backtest: --balance must be at most 1,000,000,000,000 (money is exact to the cent up to there), got '${v}'\nRun 'mt5-executor backtest --help' for its options and an example.\n`);
    }
    const p = spawnSync(process.execPath, ['dist/mt5-executor.js', 'paper', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv', '--balance', '1e15'], { encoding: 'utf8', timeout: 60_000 });
    expect(p.status).toBe(2);
    expect(p.stderr).toContain("mt5-executor paper: --balance must be at most 1,000,000,000,000 (money is exact to the cent up to there), got '1e15'");
    // the largest taken keeps the figures exact: the final balance is the deposit plus the net profit to the cent
    const j = JSON.parse(cli([...BT, '--balance', '1e12', '--json']).stdout) as { netProfit: number; finalBalance: number };
    expect(j.netProfit).toBe(-385.2);
    expect(j.finalBalance).toBe(999_999_999_614.8);
  });
});

describe('backtest --log', () => {
  it('writes the decision log paper --log writes for the same bars', () => {
    // paper trades from bar 1000 after 1000 bars of warm-up (its defaults); bar 1000 of this file is 2019.04.16 05:00
    const p = spawnSync(process.execPath, ['dist/mt5-executor.js', 'paper', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv', '--log', join(dir, 'paper.jsonl')], { encoding: 'utf8', timeout: 120_000 });
    expect(p.status, p.stderr).toBe(0);
    const b = cli([...BT, '--from', '2019-04-16 05:00', '--log', join(dir, 'bt.jsonl')]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain(`decision log: ${join(dir, 'bt.jsonl')}`);
    const paper = readFileSync(join(dir, 'paper.jsonl'), 'utf8');
    expect(paper.split('\n').length).toBeGreaterThan(50);
    expect(readFileSync(join(dir, 'bt.jsonl'), 'utf8')).toBe(paper);
  });

  it('a log file that cannot be written is named before the run', () => {
    const r = cli([...BT, '--log', '/nonexistent/dir/d.jsonl']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('mt5-executor backtest: --log /nonexistent/dir/d.jsonl: the folder /nonexistent/dir does not exist\n');
  });
});

describe('--timeframe and bar files of timeframes a strategy cannot trade', () => {
  /** A bar file of `n` bars: weekly from a Monday, or monthly on the 1st. */
  function barFile(name: string, n: number, monthly: boolean): string {
    const rows = ['Date,Time,Open,High,Low,Close,Volume'];
    for (let i = 0; i < n; i++) {
      const d = monthly ? new Date(Date.UTC(2015, i, 1)) : new Date(Date.UTC(2015, 0, 5 + 7 * i));
      const p = 1.1 + 0.001 * (i % 7);
      rows.push(`${d.toISOString().slice(0, 10).replace(/-/g, '.')},00:00,${p.toFixed(5)},${(p + 0.01).toFixed(5)},${(p - 0.01).toFixed(5)},${(p + 0.002).toFixed(5)},1000`);
    }
    const file = join(dir, name);
    writeFileSync(file, rows.join('\n') + '\n');
    return file;
  }

  it('--timeframe W1 or MN1 is a usage error (exit 2) listing the timeframes a strategy trades, in backtest, paper and demo', () => {
    const accepted = 'M1, M5, M15, M30, H1, H4, D1';
    for (const tf of ['W1', 'MN1']) {
      const b = cli([...BT, '--timeframe', tf]);
      expect(b.status).toBe(2);
      expect(b.stderr).toBe(`mt5-executor backtest: --timeframe ${tf}: a strategy cannot trade ${tf} bars (the strategy format's timeframes are ${accepted})\nRun 'mt5-executor backtest --help' for its options and an example.\n`);
      const p = cli(['paper', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv', '--timeframe', tf]);
      expect(p.status).toBe(2);
      expect(p.stderr).toContain(`--timeframe ${tf}: a strategy cannot trade ${tf} bars`);
    }
    const d = cli(['demo', '--timeframe', 'W1']);
    expect(d.status).toBe(2);
    expect(d.stderr).toContain("--timeframe W1: a strategy cannot trade W1 bars");
    const h = cli([...BT, '--timeframe', 'h1']);
    expect(h.status).toBe(2);
    expect(h.stderr).toBe(`mt5-executor backtest: --timeframe must be one of ${accepted}, got 'h1' — did you mean H1?\nRun 'mt5-executor backtest --help' for its options and an example.\n`);
  });

  it('a file of W1 or MN1 bars is named as such, without an override that would be refused', () => {
    for (const [file, tf, apart] of [[barFile('EURUSD_W1.csv', 120, false), 'W1', '7 d'], [barFile('EURUSD_MN1.csv', 60, true), 'MN1', '31 d']] as const) {
      const r = cli(['backtest', 'examples/ema-cross-trend.json', '--data', file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`mt5-executor backtest: ${file} holds ${tf} bars (the most common distance between its bars is ${apart}) but the strategy trades H1: give a file of H1 bars (a strategy cannot trade ${tf} bars: its timeframes are M1, M5, M15, M30, H1, H4, D1)\n`);
    }
  });
});
