/**
 * Where a usage error points, from the built CLI (dist/mt5-executor.js, built by global-setup): a two-word verb's
 * first word alone (`state`) names its subcommand and usage, not a verb that merely looks alike (`start`); an
 * error inside a verb (an unknown option, a bad value) points at that verb's `--help`; an unknown verb at `help`.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const cli = (args: string[]) => spawnSync(process.execPath, ['dist/mt5-executor.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

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
