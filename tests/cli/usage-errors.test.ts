/**
 * Where a usage error points, from the built CLI (dist/mt5-executor.js, built by global-setup): a two-word verb's
 * first word alone (`state`) names its subcommand and usage, not a verb that merely looks alike (`start`); an
 * error inside a verb (an unknown option, a bad value) points at that verb's `--help`; an unknown verb at `help`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = (args: string[]) => spawnSync(process.execPath, ['dist/mt5-executor.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', MT5X_NO_KEYCHAIN: '1' }, timeout: 60_000 });

describe('usage errors point at the right help', () => {
  it("bare 'state' (also with an option) names 'state recover' and its usage line, never 'start'", () => {
    for (const args of [['state'], ['state', '--data-dir', 'x']]) {
      const r = cli(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe("mt5-executor: 'state' needs a subcommand: 'state recover'\nUsage: mt5-executor state recover [options]\nRun 'mt5-executor state recover --help' for its options and an example.\n");
    }
    expect(cli(['state', 'recovr']).stderr).toContain("unknown command 'state recovr' — did you mean 'state recover'?\nUsage: mt5-executor state recover [options]\n");
    const ml = cli(['ml']);
    expect(ml.stderr).toBe("mt5-executor: 'ml' needs a subcommand: 'ml train' or 'ml evaluate'\nRun 'mt5-executor help' for usage.\n");
  });

  it("an unknown option or a bad value points at '<verb> --help'; an unknown verb at 'help'", () => {
    const opt = cli(['state', 'recover', '--bogus']);
    expect(opt.status).toBe(2);
    expect(opt.stderr).toBe("mt5-executor: state recover: unknown option --bogus\nRun 'mt5-executor state recover --help' for its options and an example.\n");
    const two = cli(['state', 'recover', '--empty', '--core']);
    expect(two.status).toBe(2);
    expect(two.stderr).toBe("mt5-executor state recover: give one of --backup, --empty and --core, not more\nRun 'mt5-executor state recover --help' for its options and an example.\n");
    expect(cli(['backtest', 'examples/ema-cross-trend.json', '--dta', 'x.csv']).stderr).toBe(
      "mt5-executor: backtest: unknown option --dta — did you mean --data?\nRun 'mt5-executor backtest --help' for its options and an example.\n",
    );
    const bad = cli(['demo', '--bars', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--bars must be a positive whole number, got '0'\nRun 'mt5-executor demo --help' for its options and an example\.\n$/);
    const verb = cli(['backtst']);
    expect(verb.status).toBe(2);
    expect(verb.stderr).toBe("mt5-executor: unknown command 'backtst' — did you mean 'backtest'?\nRun 'mt5-executor help' for usage.\n");
    // and what it points at answers
    const help = cli(['state', 'recover', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Stop the host first: refused while a host runs on the data folder.');
  });
});

describe('backtest and ml say what is missing or wrong before they run', () => {
  it('backtest without a strategy file or --data names what is missing, with the usage line (exit 2)', () => {
    const none = cli(['backtest']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^mt5-executor backtest: give a strategy file and --data <bars\.csv>\nusage: mt5-executor backtest <strategy\.json> --data <bars\.csv> /);
    expect(cli(['backtest', 'examples/ema-cross-trend.json']).stderr).toMatch(/^mt5-executor backtest: --data <bars\.csv> is required\n/);
    expect(cli(['backtest', '--data', 'data/EURUSD_H1_2019.csv']).stderr).toMatch(/^mt5-executor backtest: give a strategy file \(JSON\) before the options\n/);
  });

  it('a bar file given where the strategy goes is said to be one, without the JSON parser\'s quote of the file', () => {
    const r = cli(['backtest', 'data/EURUSD_H1_2019.csv', '--data', 'examples/ema-cross-trend.json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("mt5-executor backtest: data/EURUSD_H1_2019.csv:1:1: not valid JSON: Unexpected token 'D' (at 'D') — data/EURUSD_H1_2019.csv looks like a bar file: the strategy's JSON file comes first, the bars after --data\n");
  });

  it('ml train: a model file that cannot be written is named before the training (exit 1), not a raw ENOENT/EISDIR after it', () => {
    const base = ['ml', 'train', '--strategy', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2015-2022.csv'];
    const nowhere = cli([...base, '--out', '/nonexistent/dir/m.json']);
    expect(nowhere.status).toBe(1);
    expect(nowhere.stderr).toBe('mt5-executor ml train: --out /nonexistent/dir/m.json: the folder /nonexistent/dir does not exist\n');
    expect(nowhere.stdout).toBe(''); // nothing trained
    const folder = cli([...base, '--out', 'examples']);
    expect(folder.status).toBe(1);
    expect(folder.stderr).toBe('mt5-executor ml train: --out examples: is a directory; give a file name in it (e.g. examples/model.json)\n');
  });

  it("ml: a bad value shows the usage of the subcommand given, and --help the default model file's real name", () => {
    const r = cli(['ml', 'train', '--strategy', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv', '--folds', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("mt5-executor ml train: --folds must be a whole number from 2 to 20, got '1'\nusage: mt5-executor ml train --data <bars.csv> --strategy <s.json> [--out model.json] [--folds 5] [--holdout 0.25] [--json]\nRun 'mt5-executor ml train --help' for its options and an example.\n");
    expect(cli(['ml', 'train', '--help']).stdout).toContain('model file to write (default model-<strategy id>-<version>.json)');
  });

  it('ml train: --folds is a whole number (2.5 ran 3 folds and said 2.5); too few signals for the folds says how many folds would do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-folds-'));
    const base = ['ml', 'train', '--strategy', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv', '--out', join(dir, 'model.json')];
    const half = cli([...base, '--folds', '2.5']);
    expect(half.status).toBe(2);
    expect(half.stderr).toContain("--folds must be a whole number from 2 to 20, got '2.5'");
    const few = cli(base);
    expect(few.status).toBe(1);
    expect(few.stderr).toBe('mt5-executor ml train: data/EURUSD_H1_2019.csv: 25 signals of the strategy in the training part (2019.02.15 14:00 to 2019.07.30 00:00) are too few for 5 walk-forward folds (5 a block: 30 needed): give --folds 4 or fewer, or a longer file\n');
    expect(readdirSync(dir)).toEqual([]); // nothing written
    expect(cli([...base, '--folds', '4']).status).toBe(0);
    expect(readdirSync(dir)).toEqual(['model.json']);
  });
});

describe('paper: a usage error points at its --help, as every verb does (exit 2)', () => {
  const HINT = "Run 'mt5-executor paper --help' for its options and an example.\n";
  it('no strategy file, no --data, or neither: says which, then the pointer', () => {
    for (const [args, msg] of [
      [[], 'give at least one strategy file and --data <bars.csv>'],
      [['examples/ema-cross-trend.json'], '--data <bars.csv> is required'],
      [['--data', 'data/EURUSD_H1_2019.csv'], 'give at least one strategy file (JSON) before the options'],
    ] as const) {
      const r = cli(['paper', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`mt5-executor paper: ${msg}\n${HINT}`);
    }
  });

  it('a bad option value names the option and what is right, then the pointer; a file that cannot be read is exit 1 without it', () => {
    const base = ['paper', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv'];
    for (const [opt, v, msg] of [
      ['--speed', '0', "--speed must be a whole number ≥ 1, got '0'"],
      ['--warmup', 'x', "--warmup must be a whole number ≥ 1, got 'x'"],
      ['--balance', '-5', "--balance must be a positive amount, got '-5'"],
      ['--limits', 'max', "--limits must be none, demo or live, got 'max'"],
      ['--from', '2019-13-01', "--from must be a bar index (a whole number) or a date YYYY-MM-DD[ HH:MM] (server time), got '2019-13-01'"],
    ] as const) {
      const r = cli([...base, opt, v]);
      expect(r.status, opt).toBe(2);
      expect(r.stderr).toBe(`mt5-executor paper: ${msg}\n${HINT}`);
    }
    const missing = cli(['paper', 'examples/ema-cross-trend.json', '--data', 'no-such-bars.csv']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('mt5-executor paper: no-such-bars.csv: no such file\n');
  });
});

describe("every verb's own usage error ends with the line pointing at its --help (exit 2), as those main finds", () => {
  it('backtest, indicators, validate, strategy new, ml: a missing argument or a bad value', () => {
    const EMA = 'examples/ema-cross-trend.json', EU = 'data/EURUSD_H1_2019.csv';
    for (const [args, verb, first] of [
      [['backtest', EMA, '--data', EU, '--slippage', 'x'], 'backtest', "--slippage must be a whole number of points from 0 to 100,000, got 'x'"],
      [['backtest', EMA, '--data', EU, '--broker-zone', 'cet'], 'backtest', "--broker-zone 'cet' is not a broker zone; expected us-dst[:H] | eu-dst[:H] | fixed:H | utc (H: the winter offset from UTC in hours, default 2; fixed: all year), e.g. us-dst:2 or utc"],
      [['indicators', '-i', 'ema:21'], 'indicators', 'give exactly one bar file, got 0'],
      [['indicators', EU, 'more.csv', '-i', 'ema:21'], 'indicators', "give exactly one bar file, got 2 ('data/EURUSD_H1_2019.csv', 'more.csv')"],
      [['indicators', EU], 'indicators', 'give at least one --indicator SPEC, e.g. --indicator ema:21'],
      [['indicators', EU, '-i', 'ema:21', '--format', 'xml'], 'indicators', "--format must be csv or json, got 'xml'"],
      // a wrong --indicator SPEC is a malformed argument (it was exit 1, after reading the file)
      [['indicators', 'no-such.csv', '-i', 'ema:0'], 'indicators', "--indicator 'ema:0': period must be a whole number ≥ 1, got '0'"],
      [['indicators', EU, '-i', 'emma:5'], 'indicators', "--indicator: unknown indicator 'emma' in 'emma:5' — did you mean 'ema'? (known: sma ema smma lwma rsi macd bb stoch atr adx adxw cci wpr ichimoku obv momentum roc sar demarker vwap volume_ma)"],
      [['validate'], 'validate', 'give a strategy file (JSON): mt5-executor validate my-strategy.json'],
      [['strategy', 'new'], 'strategy new', 'give the file to write: mt5-executor strategy new my-strategy.json'],
      [['strategy', 'new', 'x.json', '--symbol', 'FOO'], 'strategy new', "--symbol FOO: no symbol specification; known EURUSD, GBPUSD, USDJPY, EURGBP, XAUUSD (with a broker's suffix too: EURUSD.m, EURUSDm)"],
      // a bad value is said before a file is read (it was "no-such.csv: no such file", exit 1)
      [['ml', 'train', '--strategy', EMA, '--data', 'no-such.csv', '--folds', 'x'], 'ml train', "--folds must be a whole number from 2 to 20, got 'x'"],
      [['ml', 'evaluate', '--strategy', EMA, '--data', EU, '--model', 'no-such.json', '--threshold', '2'], 'ml evaluate', "--threshold must be a number from 0 to 1, got '2'"],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines[0], args.join(' ')).toBe(`mt5-executor ${verb}: ${first}`);
      expect(lines.at(-2), args.join(' ')).toBe(`Run 'mt5-executor ${verb} --help' for its options and an example.`);
      expect(lines.at(-1)).toBe('');
      expect(lines.length, args.join(' ')).toBeLessThanOrEqual(4); // the message, a usage line (backtest and ml when an argument is missing), the pointer
    }
  });
});

describe('a verb that takes no arguments refuses one, naming it (it was silently ignored)', () => {
  it("exit 2 with the pointer at the verb's --help; a file where an option's value goes is named with that option", () => {
    const tmp = mkdtempSync(join(tmpdir(), 'mt5x-extra-'));
    for (const [args, verb, first] of [
      [['demo', 'my-bars.csv', '--bars', '60'], 'demo', "demo takes no arguments besides its options; got 'my-bars.csv' — did you mean --data my-bars.csv?"],
      [['ml', 'train', 'examples/ema-cross-trend.json', '--data', 'data/EURUSD_H1_2019.csv'], 'ml train', "ml train takes no arguments besides its options; got 'examples/ema-cross-trend.json' — did you mean --strategy examples/ema-cross-trend.json?"],
      [['ml', 'evaluate', 'model-ema-cross-trend-1.json', '--data', 'data/EURUSD_H1_2019.csv'], 'ml evaluate', "ml evaluate takes no arguments besides its options; got 'model-ema-cross-trend-1.json' — did you mean --model model-ema-cross-trend-1.json?"],
      [['ml', 'evaluate', 'examples/ema-cross-trend.json', '--model', 'm.json'], 'ml evaluate', "ml evaluate takes no arguments besides its options; got 'examples/ema-cross-trend.json' — did you mean --strategy examples/ema-cross-trend.json?"],
      // the option the file looks meant for is already given: no hint to give it again
      [['ml', 'evaluate', 'model-ema-cross-trend-2.json', '--model', 'm.json'], 'ml evaluate', "ml evaluate takes no arguments besides its options; got 'model-ema-cross-trend-2.json'"],
      [['demo', 'my-bars.csv', '--data', 'other.csv'], 'demo', "demo takes no arguments besides its options; got 'my-bars.csv'"],
      [['token', '--data-dir', tmp, 'a', 'b'], 'token', "token takes no arguments besides its options; got 'a', 'b'"],
      [['dashboard', '--data-dir', tmp, 'config.json'], 'dashboard', "dashboard takes no arguments besides its options; got 'config.json' — did you mean --config config.json?"],
      [['version', 'x'], 'version', "version takes no arguments; got 'x'"],
      [['schema', 'out.json'], 'schema', "schema takes no arguments; got 'out.json'"],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr).toBe(`mt5-executor: ${first}\nRun 'mt5-executor ${verb} --help' for its options and an example.\n`);
    }
    expect(readdirSync(tmp)).toEqual([]); // token made none
    // the verbs that take files still take them
    expect(cli(['validate', 'examples/ema-cross-trend.json']).status).toBe(0);
  });
});

describe('help <verb>', () => {
  it("a verb it does not know is a usage error (exit 2) with the did-you-mean, not the list of verbs as if all were well", () => {
    const r = cli(['help', 'backtst']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("mt5-executor: unknown command 'backtst' — did you mean 'backtest'?\nRun 'mt5-executor help' for usage.\n");
    // a group's word alone is the help of each of its verbs (exit 0); the word with an unknown second is an error
    const group = cli(['help', 'ml']);
    expect(group.status).toBe(0);
    expect(group.stdout).toMatch(/^Usage: mt5-executor ml train [^]*\nUsage: mt5-executor ml evaluate /);
    expect(cli(['help', 'strategy']).stdout).toMatch(/^Usage: mt5-executor strategy new /);
    expect(cli(['help', 'state']).status).toBe(0);
    expect(cli(['help', 'strategy', 'nwe']).status).toBe(2);
    // a known verb and no verb still answer
    expect(cli(['help', 'ml', 'train']).stdout).toMatch(/^Usage: mt5-executor ml train /);
    expect(cli(['help']).stdout).toContain('Verbs:');
    // help answers --help as every verb does: with the list of verbs (it said "unknown command '--help'", exit 2)
    for (const h of ['--help', '-h']) {
      const r = cli(['help', h]);
      expect(r.status, h).toBe(0);
      expect(r.stdout).toBe(cli(['help']).stdout);
    }
  });
});
