/**
 * mt5-executor command line.
 *   mt5-executor demo [--bars N] [--speed BARS_PER_SECOND] [--data FILE]
 *   mt5-executor paper <strategy.json> [more.json …] --data <bars.csv> [--speed N] [--limits none|demo|live] [--log FILE]
      Paper-trade your strategies on recorded bars through the host's own trading path (paper --help).
  mt5-executor indicators <bars.csv> --indicator SPEC [--indicator SPEC …] [--format csv|json]
      Compute indicators exactly as MetaTrader 5 does, over the whole file from its first bar.
      SPEC is name:p1,p2,…[@price], e.g. ema:21 macd:12,26,9 bb:20,2@typical stoch:5,3,3 vwap:day.
      Names: sma ema smma lwma rsi macd bb stoch atr adx adxw cci wpr ichimoku obv momentum roc sar
      demarker vwap volume_ma. Omitted parameters take MT5's defaults.
  mt5-executor token [--api] [--data-dir DIR]
 *   mt5-executor version | help
 */
import { VERSION } from './version.js';
import { parseArgs } from 'node:util';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { runDemo } from './demo.js';
import { loginCommand, tokenCommand } from './credentials-cmd.js';
import { installEaCommand } from './install-ea.js';
import { runIndicatorsCommand } from './indicators-cmd.js';
import { printSchema, validateCommand } from './strategy-cmd.js';
import { backtestCommand } from './backtest-cmd.js';
import { mlCommand } from './ml-cmd.js';
import { stateCommand } from './state-cmd.js';
import { ConfigError } from './config.js';
import { startHost, untilStopSignal } from './start.js';
import { paperCommand } from '../cli/paper.js';
import { resolveDataDir } from './data-dir.js';
import { dashboardCommand } from './dashboard/command.js';
import { keepDashboard } from './dashboard/demo-keep.js';


const HELP = `mt5-executor ${VERSION} — runs trading strategies next to MetaTrader 5

Usage:
  mt5-executor start [--config FILE] [--data-dir DIR]
      Run the host: the bridge for the EA, the strategies, the platform connection (when configured and
      logged in). Configuration: <data folder>/config.json and MT5X_* variables (docs/host.md).
  mt5-executor dashboard [--config FILE] [--data-dir DIR] [--print]
      Open the trader's dashboard of the running host in the browser, signed in by a one-time link
      (--print: only print the link). docs/dashboard.md.
  mt5-executor demo [--bars N] [--speed N] [--data FILE] [--keep]
      Start the host and a simulated MT5 terminal replaying bundled real EURUSD H1 bars;
      a placeholder strategy trades through the real bridge protocol. Ctrl-C stops it.
      --keep       after the replay, print a dashboard link and keep the terminal up until Ctrl-C
      --bars N     bars to replay (default 3000)   --speed N  bars per second (default 250)
  mt5-executor indicators <bars.csv> --indicator SPEC [--indicator SPEC …] [--format csv|json]
      Compute indicators exactly as MetaTrader 5 does, over the whole file from its first bar.
      SPEC is name:p1,p2,…[@price], e.g. ema:21 macd:12,26,9 bb:20,2@typical stoch:5,3,3 vwap:day.
      Names: sma ema smma lwma rsi macd bb stoch atr adx adxw cci wpr ichimoku obv momentum roc sar
      demarker vwap volume_ma. Omitted parameters take MT5's defaults.
  mt5-executor backtest <strategy.json> --data <bars.csv> [--balance X] [--spread N|data] [--slippage N]
                        [--commission X] [--limits none|demo|live] [--report out.html] [--trades out.csv] [--json]
      Backtest a strategy on bar data with the same engine and broker model as paper and live trading.
  mt5-executor ml train --data <bars.csv> --strategy <s.json> [--out model.json] [--folds 5] [--holdout 0.25]
  mt5-executor ml evaluate --data <bars.csv> --strategy <s.json> --model <model.json> [--threshold 0.6]
      Train the strategy's signal-quality model (walk-forward) / measure it out of sample, with the gate's
      effect on a backtest (docs/ML.md).
  mt5-executor validate <strategy.json>
      Check a strategy in the platform's format; print its normalised form, or every problem (exit 1).
  mt5-executor schema
      Print the JSON Schema of the strategy format.
  mt5-executor token [--api] [--data-dir DIR]
      Show the bridge token to paste into the EA's "Token" input (created on first use, kept in the
      OS keychain or an encrypted file).
  mt5-executor login [--key KEY] [--secret-stdin] [--data-dir DIR]
      Store the platform API key and secret: typed at a hidden prompt in a terminal, or read from standard
      input with --secret-stdin — never from the command line.
  mt5-executor install-ea [--terminal ID] [--force] [--no-compile]
      Copy the ExecutorBridge EA and its includes into each MetaTrader 5 terminal's data folder (or the one
      given), compile it with that terminal's MetaEditor when present, and print the steps left.
  mt5-executor state recover [--backup FILE|latest | --empty] [--data-dir DIR]
      When the host refuses to start because its state is damaged or missing: start from a backup you
      choose, or (--empty) from an empty state. Without an option, lists the backups.
  mt5-executor version
  mt5-executor help
`;

function fail(msg: string): never {
  process.stderr.write(`mt5-executor: ${msg}\nRun 'mt5-executor help' for usage.\n`);
  process.exit(2);
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive whole number, got '${v}'`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const [cmd = 'help', ...rest] = argv;
  switch (cmd) {
    case 'start': {
      let values;
      try {
        ({ values } = parseArgs({ args: rest, options: { config: { type: 'string' }, 'data-dir': { type: 'string' } } }));
      } catch (e) {
        fail((e as Error).message);
      }
      let host;
      try {
        const env = values['data-dir'] ? { ...process.env, MT5X_DATA_DIR: values['data-dir'] } : process.env;
        host = await startHost({ env, ...(values.config ? { configFile: values.config } : {}) });
      } catch (e) {
        if (e instanceof ConfigError) {
          process.stderr.write(`mt5-executor: configuration problems:\n${e.problems.map((p) => `  ${p}`).join('\n')}\n`);
          process.exit(1);
        }
        throw e;
      }
      await untilStopSignal();
      await host.stop();
      return;
    }
    case 'demo': {
      let values;
      try {
        ({ values } = parseArgs({ args: rest, options: { bars: { type: 'string' }, speed: { type: 'string' }, data: { type: 'string' }, keep: { type: 'boolean' } } }));
      } catch (e) {
        fail((e as Error).message);
      }
      const ac = new AbortController();
      const onSig = () => {
        if (ac.signal.aborted) process.exit(130);
        process.stdout.write('\nCtrl-C: stopping the replay and shutting down cleanly (press again to force)\n');
        ac.abort();
      };
      process.on('SIGINT', onSig);
      process.on('SIGTERM', onSig);
      const bars = positiveInt('bars', values.bars);
      const speed = positiveInt('speed', values.speed);
      await runDemo({
        ...(bars ? { bars } : {}),
        ...(speed ? { barsPerSecond: speed } : {}),
        ...(values.data ? { dataFile: values.data } : {}),
        signal: ac.signal,
        ...(values.keep ? { afterReplay: (t) => keepDashboard(t, { out: (l) => process.stdout.write(l + '\n'), signal: ac.signal }) } : {}),
      });
      return;
    }
    case 'paper': {
      const ac = new AbortController();
      process.on('SIGINT', () => (ac.signal.aborted ? process.exit(130) : ac.abort()));
      const code = await paperCommand(rest, (t) => process.stdout.write(t), (t) => process.stderr.write(t), ac.signal);
      if (code !== 0) process.exit(code);
      return;
    }
    case 'dashboard': {
      let values;
      try {
        ({ values } = parseArgs({ args: rest, options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, print: { type: 'boolean' } } }));
      } catch (e) {
        fail((e as Error).message);
      }
      const env = values['data-dir'] ? { ...process.env, MT5X_DATA_DIR: values['data-dir'] } : process.env;
      const code = await dashboardCommand({ env, ...(values.config ? { configFile: values.config } : {}), print: values.print ?? false, out: (l) => process.stdout.write(l + '\n') });
      if (code !== 0) process.exit(code);
      return;
    }
    case 'indicators': {
      let parsed;
      try {
        parsed = parseArgs({ args: rest, allowPositionals: true, options: { indicator: { type: 'string', multiple: true, short: 'i' }, format: { type: 'string' } } });
      } catch (e) {
        fail((e as Error).message);
      }
      const code = runIndicatorsCommand(parsed.positionals, parsed.values.indicator ?? [], parsed.values.format ?? 'csv', (t) => process.stdout.write(t), (t) => process.stderr.write(t));
      if (code !== 0) process.exit(code);
      return;
    }
    case 'backtest': {
      let parsed;
      try {
        parsed = parseArgs({
          args: rest, allowPositionals: true,
          options: { data: { type: 'string' }, limits: { type: 'string' }, balance: { type: 'string' }, spread: { type: 'string' }, slippage: { type: 'string' }, commission: { type: 'string' }, report: { type: 'string' }, trades: { type: 'string' }, json: { type: 'boolean' } },
        });
      } catch (e) {
        fail((e as Error).message);
      }
      const v = parsed.values;
      const code = backtestCommand(
        {
          ...(parsed.positionals[0] ? { strategy: parsed.positionals[0] } : {}),
          ...Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)),
        },
        (t) => process.stdout.write(t),
        (t) => process.stderr.write(t),
      );
      if (code !== 0) process.exit(code);
      return;
    }
    case 'validate': {
      const code = validateCommand(rest[0], (t) => process.stdout.write(t), (t) => process.stderr.write(t));
      if (code !== 0) process.exit(code);
      return;
    }
    case 'ml': {
      let parsed;
      try {
        parsed = parseArgs({
          args: rest, allowPositionals: true,
          options: { data: { type: 'string' }, strategy: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' }, folds: { type: 'string' }, holdout: { type: 'string' }, threshold: { type: 'string' }, json: { type: 'boolean' } },
        });
      } catch (e) {
        fail((e as Error).message);
      }
      const code = mlCommand(parsed.positionals[0], Object.fromEntries(Object.entries(parsed.values).filter(([, x]) => x !== undefined)), (t) => process.stdout.write(t), (t) => process.stderr.write(t));
      if (code !== 0) process.exit(code);
      return;
    }
    case 'schema':
      printSchema((t) => process.stdout.write(t));
      return;
    case 'token': {
      let values;
      try {
        ({ values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' }, api: { type: 'boolean' } } }));
      } catch (e) {
        fail((e as Error).message);
      }
      const code = await tokenCommand({ ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}), api: values.api ?? false }, (t) => process.stdout.write(t), (t) => process.stderr.write(t));
      if (code !== 0) process.exit(code);
      return;
    }
    case 'login': {
      let values;
      try {
        ({ values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' }, key: { type: 'string' }, 'secret-stdin': { type: 'boolean' }, development: { type: 'boolean' } } }));
      } catch (e) {
        fail((e as Error).message);
      }
      const code = await loginCommand(
        { ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}), ...(values.key ? { key: values.key } : {}), secretStdin: values['secret-stdin'] ?? false, development: values.development ?? false },
        (t) => process.stdout.write(t), (t) => process.stderr.write(t),
      );
      if (code !== 0) process.exit(code);
      return;
    }
    case 'install-ea': {
      const code = await installEaCommand(rest, (t) => process.stdout.write(t), (t) => process.stderr.write(t));
      if (code !== 0) process.exit(code);
      return;
    }
    case 'state': {
      let parsed;
      try {
        parsed = parseArgs({ args: rest, allowPositionals: true, options: { 'data-dir': { type: 'string' }, backup: { type: 'string' }, empty: { type: 'boolean' } } });
      } catch (e) {
        fail((e as Error).message);
      }
      const v = parsed.values;
      const code = stateCommand(parsed.positionals[0], { dataDir: resolveDataDir(v['data-dir']), backup: v.backup, empty: v.empty }, (t) => process.stdout.write(t), (t) => process.stderr.write(t));
      if (code !== 0) process.exit(code);
      return;
    }
    case 'version':
    case '--version':
      process.stdout.write(`mt5-executor ${VERSION} (bridge protocol ${PROTOCOL_VERSION})\n`);
      return;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return;
    default:
      fail(`unknown command '${cmd}'`);
  }
}

// `mt5-executor … | head`: a closed pipe ends the program quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`mt5-executor: ${e.message}\n`);
    process.exit(1);
  },
);
