/**
 * `paper` and `demo` as a trader meets them: the built CLI (dist/mt5-executor.js, built by global-setup) on the
 * bundled bars — the data checked against the strategies as the backtest checks it, the broker zone named and
 * set, usage errors (exit 2), an unwritable decision log, the per-trade lines against the backtest's trades, and
 * the order of the lines.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { checkDataMatch } from '../../src/cli/data-match.js';
import { readStrategyJson, runPaper } from '../../src/cli/paper.js';
import { runBacktest } from '../../src/sim/backtest.js';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['dist/mt5-executor.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' }, timeout: 90_000, maxBuffer: 64 << 20 });
const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EMA = 'examples/ema-cross-trend.json', GOLD = 'examples/ichimoku-gold-breakout.json';
const EU = 'data/EURUSD_H1_2019.csv', XAU = 'data/XAUUSD_M15_2024Q1.csv';
/** The message after the verb's prefix ("mt5-executor paper: …"). */
const message = (stderr: string) => stderr.trim().replace(/^mt5-executor \w+: /, '');

describe('paper and demo check the data against the strategies, as backtest does', () => {
  it('refuses a file of another timeframe or symbol with the backtest\'s words, naming the override', () => {
    const tf = cli(['paper', EMA, '--data', XAU]);
    expect(tf.status).toBe(1);
    expect(tf.stderr).toMatch(/^mt5-executor paper: data\/XAUUSD_M15_2024Q1\.csv holds M15 bars .* but the strategy trades H1: give a file of H1 bars, or run the strategy on these bars with --timeframe M15; and data\/XAUUSD_M15_2024Q1\.csv is named for XAUUSD .* with --symbol XAUUSD\n$/);
    expect(message(tf.stderr)).toBe(message(cli(['backtest', EMA, '--data', XAU]).stderr));
    const sym = cli(['paper', EMA, '--data', XAU, '--timeframe', 'M15']);
    expect(sym.status).toBe(1);
    expect(sym.stderr).toContain('is named for XAUUSD but the strategy trades EURUSD: give EURUSD bars, or run the strategy on these bars with --symbol XAUUSD');
    expect(message(sym.stderr)).toBe(message(cli(['backtest', EMA, '--data', XAU, '--timeframe', 'M15']).stderr));
    // a gold strategy on H1 is not run on the M15 bars as H1
    expect(cli(['paper', GOLD, '--data', XAU]).stderr).toContain('holds M15 bars');
    const demo = cli(['demo', '--data', XAU, '--bars', '300', '--speed', '5000']);
    expect(demo.status).toBe(1);
    expect(demo.stderr).toMatch(/^mt5-executor demo: data\/XAUUSD_M15_2024Q1\.csv holds M15 bars .* --timeframe M15; and .* --symbol XAUUSD\n$/);
    expect(demo.stdout).not.toContain('replay');
  }, 60_000);

  it('runs on the file\'s symbol and timeframe with --symbol and --timeframe', () => {
    const r = cli(['paper', EMA, '--data', XAU, '--symbol', 'XAUUSD', '--timeframe', 'M15', '--from', '5800']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 strategy on XAUUSD M15');
    expect(r.stdout).toMatch(/replaying 64 bars from/);
  }, 60_000);

  it('warns when the file names no symbol (its bars taken as the strategy\'s), in paper and backtest alike', () => {
    const bars = join(dir, 'bars.csv');
    copyFileSync(EU, bars);
    const p = cli(['paper', EMA, '--data', bars, '--from', '3700']);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stderr).toContain(`warning: ${bars} names no symbol (neither its name nor a symbol column): its bars are taken as EURUSD's`);
    expect(cli(['backtest', EMA, '--data', bars]).stderr).toContain(`warning: ${bars} names no symbol`);
    expect(cli(['paper', EMA, '--data', EU, '--from', '3700']).stderr).not.toContain('warning');
    // EURUSD's five decimals cannot be gold's two: refused, naming the presets they fit (bar-prices.ts)
    const eu = parseBars(readFileSync(EU, 'utf8'));
    const m = checkDataMatch({ dataFile: 'bars.csv', bars: eu, strategy: { symbol: 'XAUUSD', timeframe: 'H1' } });
    expect(m.error).toMatch(/bars\.csv names no symbol .*cannot be XAUUSD's: .*more decimals than XAUUSD's 2.* --symbol EURUSD/);
    expect(checkDataMatch({ dataFile: 'bars.csv', bars: eu, strategy: { symbol: 'EURUSD', timeframe: 'H1' } }).warnings).toHaveLength(1);
    // a broker's suffix on the strategy's symbol is its preset's: EURUSD bars for EURUSD.m
    expect(checkDataMatch({ dataFile: EU, bars: eu, strategy: { symbol: 'EURUSD.m', timeframe: 'H1' } })).toEqual({ warnings: [] });
    // one bar has no timeframe of its own: taken as the strategy's, and said (on any strategy timeframe)
    const one = sliceBars(eu, 0, 1);
    expect(checkDataMatch({ dataFile: EU, bars: one, strategy: { symbol: 'EURUSD', timeframe: 'M15' } })).toEqual({
      warnings: [`${EU} holds one bar: its timeframe cannot be told from the file (two bars at least), so it is taken as the strategy's M15`],
    });
    expect(checkDataMatch({ dataFile: EU, bars: sliceBars(eu, 0, 2), strategy: { symbol: 'EURUSD', timeframe: 'H1' } })).toEqual({ warnings: [] });
  }, 60_000);
});

describe('paper usage errors and the decision log', () => {
  it('exits 2 on a wrong option, as documented', () => {
    for (const [args, says] of [
      [['--speed', 'abc'], "--speed must be a whole number ≥ 1, got 'abc'"],
      [['--balance', 'x'], "--balance must be a positive amount, got 'x'"],
      [['--from', '2019-13-01'], '--from must be a bar index (a whole number) or a date YYYY-MM-DD[ HH:MM]'],
      [['--warmup', '0'], '--warmup must be a whole number ≥ 1'],
      // more than a history request gives never warmed up: "strategies not ready (history or symbol)", exit 1
      [['--warmup', '25001'], "--warmup must be a whole number from 1 to 25,000 (the warm-up asks the terminal for twice its bars, and a history request is at most 50,000), got '25001'"],
      [['--limits', 'x'], '--limits must be none, demo or live'],
      [['--broker-zone', 'mars'], "--broker-zone 'mars' is not a broker zone; expected us-dst[:H]"],
      [['--symbol', 'FOO'], '--symbol FOO: no symbol specification'],
      [['--timeframe', 'M7'], "--timeframe must be one of M1"],
      [['--lockstep', '--speed', '5'], '--speed N and --lockstep are either-or'],
    ] as [string[], string][]) {
      const r = cli(['paper', EMA, '--data', EU, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(says);
    }
  }, 60_000);

  it('strategies on two symbols: one error, the command named once (it said "paper: paper: …")', () => {
    const r = cli(['paper', EMA, GOLD, '--data', EU]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('mt5-executor paper: the strategies trade EURUSD H1 and XAUUSD H1; one data file replays one symbol and timeframe: run them separately\n');
  });

  it('takes --lockstep, and --from as a date (the backtest\'s) or a bar index', () => {
    const d = cli(['paper', EMA, '--data', EU, '--from', '2019-09-20', '--lockstep']);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/replaying 21 bars from 2019\.09\.20 00:00 to 2019\.09\.20 20:00/);
    const i = cli(['paper', EMA, '--data', EU, '--from', '3727']);
    expect(i.stdout).toMatch(/replaying 1 bar from 2019\.09\.20 20:00/);
    expect(cli(['paper', '--help']).stdout).toMatch(/--from N\|DATE .*a date YYYY-MM-DD/);
  }, 60_000);

  it('warns when --warmup is more than the file holds', () => {
    const r = cli(['paper', EMA, '--data', EU, '--warmup', '5000']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`warning: --warmup 5000 is more than ${EU}'s 3728 bars: warming up on 3727 and replaying 1\n`);
  }, 60_000);

  it('an unwritable --log is one line naming the file, exit 1, no stack', () => {
    for (const [log, why] of [
      [dir, 'is a directory'],
      ['/nonexistent/x.jsonl', 'its folder does not exist'],
    ]) {
      const r = cli(['paper', EMA, '--data', EU, '--from', '3700', '--log', log!]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`mt5-executor paper: --log ${log}: cannot write it: ${why}\n`); // the backtest's writer and words (line-file.ts)
      expect(r.stdout).toBe('');
    }
    const ok = join(dir, 'paper.jsonl');
    expect(cli(['paper', EMA, '--data', EU, '--from', '3000', '--log', ok]).status).toBe(0);
    expect(readFileSync(ok, 'utf8').split('\n').filter(Boolean).every((l) => JSON.parse(l).s === 'ema-cross-trend')).toBe(true);
  }, 60_000);
});

describe('the broker zone of the session filter', () => {
  it('is named at the start, and --broker-zone sets it', () => {
    const def = cli(['paper', EMA, '--data', EU, '--from', '3000']);
    expect(def.stdout).toContain("sessions in broker time GMT+2, GMT+3 with New York's DST (the usual MT5 server zone, assumed; --broker-zone sets the file's)");
    // 2019-08-12 14:00 server time: 11:00 UTC at GMT+3 (New York on DST); 14:00 UTC with the bars in UTC
    expect(def.stdout).toContain('2019.08.12 14:00  ema-cross-trend: BUY signal');
    expect(def.stdout).toContain('filter session: 2019-08-12 11:00 UTC');
    const utc = cli(['paper', EMA, '--data', EU, '--from', '3000', '--broker-zone', 'utc']);
    expect(utc.status, utc.stderr).toBe(0);
    expect(utc.stdout).toContain('sessions in broker time GMT+0 (no DST)\n');
    expect(utc.stdout).toContain('filter session: 2019-08-12 14:00 UTC');
    expect(cli(['paper', EMA, '--data', EU, '--from', '3000', '--broker-zone', 'eu-dst:1']).stdout).toContain("sessions in broker time GMT+1, GMT+2 with Europe's DST\n");
    const demo = cli(['demo', '--bars', '200', '--speed', '100000', '--broker-zone', 'fixed:3']);
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toContain('sessions in broker time GMT+3 (no DST)\n');
    expect(cli(['demo', '--broker-zone', 'fixed']).status).toBe(2);
  }, 90_000);
});

/** A paper run's readable lines and its summary, and the backtest of the same bars. */
async function paperAndBacktest(files: string[], balance?: number) {
  const all = parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8'));
  const bars = sliceBars(all, all.length - 4000);
  const lines: string[] = [];
  const raws = files.map(readStrategyJson);
  const p = await runPaper({ strategies: raws, bars, from: 1000, warmupBars: 1000, out: (l) => lines.push(l), ...(balance ? { balance } : {}) });
  const bt = raws.map((r) => runBacktest({ strategy: normalizeStrategy(r), bars, warmupBars: 1000, closeAtEnd: false, ...(balance ? { balance } : {}) }));
  return { lines, p, bt };
}

describe('the readable log of a paper run', () => {
  it('shows each close\'s profit, commission and swap apart, and each trade\'s net as the backtest\'s trades', async () => {
    const { lines, p, bt } = await paperAndBacktest(['examples/ema-cross-trend.json', 'examples/rsi-bollinger-reversion.json']);
    const deals = lines.map((l) => /^ {4}closed (?:\d\.\d\d of )?#(\d+) at \d\.\d{5} by [a-z ]+: profit ([-+][\d,.]+), commission ([-+][\d,.]+), swap ([-+][\d,.]+) USD(?:; the trade ([-+][\d,.]+) USD net)?$/.exec(l)).filter((m) => m !== null);
    expect(deals.length).toBe(lines.filter((l) => l.startsWith('    closed ')).length);
    const closes = deals.filter((m) => m[5] !== undefined);
    const n = (x: string) => Number(x.replace(/,/g, ''));
    const btTrades = bt.flatMap((r) => r.trades);
    expect(closes.length).toBe(btTrades.length);
    expect(closes.length).toBe(p.closedTrades);
    // every trade's net is a backtest trade's result, to the cent
    expect(closes.map((m) => n(m[5]!)).sort((a, b) => a - b)).toEqual(btTrades.map((t) => t.profit).sort((a, b) => a - b));
    // the parts add up: the closes' profit and swap, every commission (entries' too), to the summary
    const cents = (x: number) => Math.round(x * 100);
    expect(cents(deals.reduce((s, m) => s + n(m[2]!), 0))).toBe(cents(p.grossProfit));
    expect(cents(deals.reduce((s, m) => s + n(m[4]!), 0))).toBe(cents(p.swap));
    expect(cents(closes.reduce((s, m) => s + n(m[5]!), 0))).toBe(cents(p.netProfit));
    expect(p.swap).not.toBe(0);
    expect(cents(p.grossProfit + p.commission + p.swap)).toBe(cents(p.netProfit));
    expect(cents(p.netProfit)).toBe(cents(bt.reduce((s, r) => s + r.metrics.netProfit, 0)));
    expect(lines).toContain(`  net profit        ${p.netProfit.toLocaleString('en-US', { minimumFractionDigits: 2 })} USD = profit ${p.grossProfit.toLocaleString('en-US', { minimumFractionDigits: 2 })} + commission ${p.commission.toLocaleString('en-US', { minimumFractionDigits: 2 })} + swap ${p.swap.toLocaleString('en-US', { minimumFractionDigits: 2 })}`);
    // a stop move's confirmation comes before the close of its position, never after
    let moves = 0;
    lines.forEach((l, i) => {
      const m = /^ {4}(?:break-even|trailing stop) done: stop of #(\d+) /.exec(l);
      if (!m) return;
      moves++;
      expect(lines.slice(0, i).some((x) => x.startsWith(`    closed #${m[1]} `)), l).toBe(false);
    });
    expect(moves).toBeGreaterThan(5);
    // an entry's fill, with its commission, in the block of the decision that sent it (never after the next bar's)
    let header = -1, sentOpen = false, fills = 0;
    for (const l of lines) {
      if (/^\d{4}\.\d\d\.\d\d \d\d:\d\d {2}/.test(l)) [header, sentOpen] = [header + 1, false];
      if (l.startsWith('  -> OPEN ')) sentOpen = true;
      const f = /^ {4}filled #\d+ \d\.\d\d @ \d\.\d{5}: commission -\d\.\d\d USD$/.exec(l);
      if (l.includes('filled #')) {
        fills++;
        expect(f, l).not.toBeNull();
        expect(sentOpen, `${l} (block ${header})`).toBe(true);
      }
    }
    expect(fills).toBeGreaterThanOrEqual(closes.length);
  }, 120_000);

  it('prints a blocked entry after the signal it blocks', async () => {
    const { lines } = await paperAndBacktest(['examples/ema-cross-trend.json'], 10);
    // each decision's block: its header line and what follows up to the next header
    const blocks: string[][] = [];
    for (const l of lines) {
      if (/^\d{4}\.\d\d\.\d\d \d\d:\d\d {2}/.test(l)) blocks.push([l]);
      else blocks.at(-1)?.push(l);
    }
    const blocked = blocks.filter((b) => b.some((l) => l.includes('blocked by the risk gate (ema-cross-trend): FREE_MARGIN')));
    expect(blocked.length).toBeGreaterThan(3);
    // with 10 USD every entry that passes its filters is blocked: exactly those blocks hold the line, after the trace
    for (const b of blocks) {
      const passed = / signal at the close /.test(b[0]!) && !b.some((l) => l.startsWith('    no order') || l.startsWith('    - filter'));
      expect(b.some((l) => l.includes('blocked by the risk gate')), b.join('\n')).toBe(passed);
    }
    expect(lines.slice(0, lines.findIndex((l) => / signal at the close /.test(l))).some((l) => l.includes('blocked'))).toBe(false);
  }, 120_000);
});
