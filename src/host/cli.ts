/**
 * mt5-executor command line. Every verb is one entry of VERBS below: its options (once, with their help), an
 * example, and what it runs; `mt5-executor <verb> --help` and `mt5-executor help` are generated from the table
 * (cli-kit.ts). To add a verb, add an entry.
 */
import { VERSION } from './version.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { DEFAULT_BRIDGE_PORT } from './bridge.js';
import { runDemo } from './demo.js';
import { defaultDataDir } from './data-dir.js';
import { loadOrCreateApiToken, loadOrCreateToken, tokenInstructions } from './token.js';
import { openCredentialStore, weakSecretProblems } from './credentials.js';
import { readFileSync } from 'node:fs';
import { runIndicatorsCommand } from './indicators-cmd.js';
import { printSchema, validateCommand } from './strategy-cmd.js';
import { backtestCommand, type BacktestArgs } from './backtest-cmd.js';
import { mlCommand } from './ml-cmd.js';
import { ConfigError } from './config.js';
import { startHost } from './start.js';
import { newStrategyCommand } from './strategy-new.js';
import { UsageError, c, findVerb, mainHelp, parseVerbArgs, verbHelp, type Verb, type VerbContext } from './cli-kit.js';

const str = (v: VerbContext['values'][string]) => (typeof v === 'string' ? v : undefined);

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive whole number, got '${v}'`);
  return n;
}

const DATA_DIR = { 'data-dir': { type: 'string', arg: 'DIR', help: 'the data folder (default: MT5X_DATA_DIR or the per-user folder)' } } as const;

export const VERBS: Verb[] = [
  {
    name: 'start',
    summary: 'Run the host: the bridge for the EA, the strategies, the platform connection (when configured and logged in).',
    details: 'Configuration: <data folder>/config.json and MT5X_* variables (docs/host.md). Ctrl-C stops it (exit 130), SIGTERM too (exit 0).',
    options: { config: { type: 'string', arg: 'FILE', help: 'configuration file (default <data folder>/config.json)' }, ...DATA_DIR },
    examples: ['mt5-executor start', 'mt5-executor start --config ./config.json --data-dir ./state'],
    async run({ values, err }) {
      // listen before starting: a Ctrl-C while the host starts (the token is shown then) stops it once started
      const signal = new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      let host;
      try {
        const dir = str(values['data-dir']);
        const env = dir ? { ...process.env, MT5X_DATA_DIR: dir } : process.env;
        const config = str(values.config);
        host = await startHost({ env, ...(config ? { configFile: config } : {}) });
      } catch (e) {
        if (e instanceof ConfigError) {
          err(`mt5-executor: configuration problems:\n${e.problems.map((p) => `  ${p}`).join('\n')}\n`);
          return 1;
        }
        throw e;
      }
      const got = await signal;
      await host.stop();
      return got === 'SIGINT' ? 130 : 0;
    },
  },
  {
    name: 'demo',
    summary: 'Start the host and a simulated MT5 terminal replaying bundled real EURUSD H1 bars; a placeholder strategy trades through the real bridge protocol.',
    details: 'Ctrl-C stops the replay cleanly and prints the summary (exit 0); a second Ctrl-C forces (exit 130).',
    options: {
      bars: { type: 'string', arg: 'N', help: 'bars to replay (default 3000)' },
      speed: { type: 'string', arg: 'N', help: 'bars per second (default 250)' },
      data: { type: 'string', arg: 'FILE', help: 'bar file to replay instead of the bundled one' },
    },
    examples: ['mt5-executor demo --bars 500 --speed 1000'],
    async run({ values }) {
      const bars = positiveInt('bars', str(values.bars));
      const speed = positiveInt('speed', str(values.speed));
      const ac = new AbortController();
      const onSig = () => {
        if (ac.signal.aborted) process.exit(130);
        process.stdout.write('\nCtrl-C: stopping the replay and shutting down cleanly (press again to force)\n');
        ac.abort();
      };
      process.on('SIGINT', onSig);
      process.on('SIGTERM', onSig);
      const data = str(values.data);
      await runDemo({ ...(bars ? { bars } : {}), ...(speed ? { barsPerSecond: speed } : {}), ...(data ? { dataFile: data } : {}), signal: ac.signal });
      return 0;
    },
  },
  {
    name: 'indicators',
    args: '<bars.csv>',
    summary: 'Compute indicators exactly as MetaTrader 5 does, over the whole file from its first bar.',
    details: 'SPEC is name:p1,p2,…[@price], e.g. ema:21 macd:12,26,9 bb:20,2@typical stoch:5,3,3 vwap:day. Names: sma ema smma lwma rsi macd bb\nstoch atr adx adxw cci wpr ichimoku obv momentum roc sar demarker vwap volume_ma. Omitted parameters take MT5\'s defaults.',
    options: {
      indicator: { type: 'string', short: 'i', multiple: true, arg: 'SPEC', help: 'an indicator to compute' },
      format: { type: 'string', arg: 'csv|json', help: 'output format (default csv)' },
    },
    examples: ['mt5-executor indicators data/EURUSD_H1_2019.csv -i ema:21 -i rsi:14 --format json'],
    run: ({ values, positionals, out, err }) => runIndicatorsCommand(positionals, (values.indicator as string[] | undefined) ?? [], str(values.format) ?? 'csv', out, err),
  },
  {
    name: 'backtest',
    args: '<strategy.json> --data <bars.csv>',
    summary: 'Backtest a strategy on bar data with the same engine and broker model as paper and live trading.',
    details: 'The data\'s timeframe (from its bars) and symbol (from its file name) must match the strategy, or be overridden with --timeframe/--symbol.\nBar files: docs/data-formats.md; fills, figures and the report: docs/backtest.md.',
    options: {
      data: { type: 'string', arg: 'FILE', help: 'bar file (MT5/MT4 exports, copy_rates, DateTime columns …)' },
      from: { type: 'string', arg: 'DATE', help: 'first day, server time: YYYY-MM-DD[ HH:MM]' },
      to: { type: 'string', arg: 'DATE', help: 'last day (inclusive), or a time to stop before' },
      symbol: { type: 'string', arg: 'SYMBOL', help: 'run the strategy on another symbol (e.g. XAUUSD)' },
      timeframe: { type: 'string', arg: 'TF', help: 'run the strategy on another timeframe (M1 … MN1)' },
      balance: { type: 'string', arg: 'X', help: 'initial deposit (default 10000)' },
      spread: { type: 'string', arg: 'N|data', help: 'spread in points, or the file\'s column (default data)' },
      slippage: { type: 'string', arg: 'N', help: 'slippage in points against the trader (default 0)' },
      commission: { type: 'string', arg: 'X', help: 'commission per lot per side (default the symbol\'s)' },
      'no-swap': { type: 'boolean', help: 'no swaps' },
      limits: { type: 'string', arg: 'none|demo|live', help: 'apply the pre-trade limits of that account type (default none)' },
      report: { type: 'string', arg: 'FILE', help: 'write the HTML report (self-contained)' },
      trades: { type: 'string', arg: 'FILE', help: 'write the trades as CSV' },
      json: { type: 'boolean', help: 'print the figures as one JSON object' },
    },
    examples: [
      'mt5-executor backtest examples/ema-cross-trend.json --data data/EURUSD_H1_2015-2022.csv --report report.html',
      'mt5-executor backtest my.json --data XAUUSD_M15.csv --symbol XAUUSD --timeframe M15 --from 2024-01-01 --no-swap --json',
    ],
    run({ values, positionals, out, err }) {
      const a: BacktestArgs = {};
      if (positionals[0]) a.strategy = positionals[0];
      for (const k of ['data', 'from', 'to', 'symbol', 'timeframe', 'balance', 'spread', 'slippage', 'commission', 'limits', 'report', 'trades'] as const) {
        const v = str(values[k]);
        if (v !== undefined) a[k] = v;
      }
      if (values.json) a.json = true;
      if (values['no-swap']) a.swap = false;
      return backtestCommand(a, out, err);
    },
  },
  ...(['train', 'evaluate'] as const).map((sub): Verb => ({
    name: `ml ${sub}`,
    args: '--data <bars.csv> --strategy <s.json>',
    summary: sub === 'train' ? 'Train the strategy\'s signal-quality model (walk-forward) (docs/ML.md).' : 'Measure a model out of sample, with the gate\'s effect on a backtest (docs/ML.md).',
    options: {
      data: { type: 'string', arg: 'FILE', help: 'bar file' },
      strategy: { type: 'string', arg: 'FILE', help: 'strategy file' },
      ...(sub === 'train'
        ? { out: { type: 'string', arg: 'FILE', help: 'model file to write (default model.json)' }, folds: { type: 'string', arg: 'N', help: 'walk-forward folds (default 5)' }, holdout: { type: 'string', arg: 'F', help: 'share held out (default 0.25)' } }
        : { model: { type: 'string', arg: 'FILE', help: 'model file' }, threshold: { type: 'string', arg: 'P', help: 'gate threshold (default 0.6)' } }),
      json: { type: 'boolean', help: 'print JSON' },
    } as Record<string, import('./cli-kit.js').OptionSpec>,
    examples: [sub === 'train' ? 'mt5-executor ml train --data data/EURUSD_H1_2015-2022.csv --strategy examples/ema-cross-trend.json --out model.json' : 'mt5-executor ml evaluate --data data/EURUSD_H1_2015-2022.csv --strategy s.json --model model.json'],
    run: ({ values, out, err }) => mlCommand(sub, Object.fromEntries(Object.entries(values).filter(([, x]) => x !== undefined)), out, err),
  })),
  {
    name: 'validate',
    args: '<strategy.json>',
    summary: 'Check a strategy in the platform\'s format; print its normalised form, or every problem (exit 1).',
    options: {},
    examples: ['mt5-executor validate examples/ema-cross-trend.json'],
    run: ({ positionals, out, err }) => validateCommand(positionals[0], out, err),
  },
  {
    name: 'strategy new',
    args: '<file.json>',
    summary: 'Write a starter strategy (EMA cross with ATR stops) whose "//" notes explain each part.',
    options: {
      symbol: { type: 'string', arg: 'SYMBOL', help: 'symbol (default EURUSD)' },
      timeframe: { type: 'string', arg: 'TF', help: 'timeframe (default H1)' },
      force: { type: 'boolean', help: 'overwrite an existing file' },
    },
    examples: ['mt5-executor strategy new my-strategy.json --symbol XAUUSD --timeframe M15'],
    run: ({ values, positionals, out, err }) => newStrategyCommand(positionals[0], { symbol: str(values.symbol), timeframe: str(values.timeframe), force: values.force === true }, out, err),
  },
  {
    name: 'schema',
    summary: 'Print the JSON Schema of the strategy format.',
    options: {},
    examples: ['mt5-executor schema > strategy.schema.json'],
    run: ({ out }) => printSchema(out),
  },
  {
    name: 'token',
    summary: 'Show the bridge token to paste into the EA\'s "Token" input (created on first use, kept in the OS keychain or an encrypted file).',
    options: { api: { type: 'boolean', help: 'show the local API token instead' }, ...DATA_DIR },
    examples: ['mt5-executor token', 'mt5-executor token --api'],
    async run({ values, out }) {
      const dir = str(values['data-dir']) ?? process.env.MT5X_DATA_DIR ?? defaultDataDir();
      const store = await openCredentialStore(dir);
      if (values.api) {
        out(`Local API token: send it as "Authorization: Bearer <token>"\n\n    ${loadOrCreateApiToken(store).token}\n`);
        return 0;
      }
      const { token } = loadOrCreateToken(store, dir);
      out(tokenInstructions(token, DEFAULT_BRIDGE_PORT, store.kind === 'keychain' ? 'OS keychain' : `encrypted file in ${dir}`) + '\n');
      return 0;
    },
  },
  {
    name: 'login',
    summary: 'Store the platform API key and secret (the secret read from standard input, never from the command line).',
    options: {
      key: { type: 'string', arg: 'KEY', help: 'the API key (or MT5X_API_KEY)' },
      'secret-stdin': { type: 'boolean', help: 'read the secret from standard input (or MT5X_API_SECRET)' },
      development: { type: 'boolean', help: 'accept a weak secret (a test platform)' },
      ...DATA_DIR,
    },
    examples: ['mt5-executor login --key KEY --secret-stdin < secret.txt'],
    async run({ values, out }) {
      const key = str(values.key) ?? process.env.MT5X_API_KEY;
      if (!key) throw new UsageError('give the API key: --key KEY (or MT5X_API_KEY); the secret comes on standard input with --secret-stdin (or MT5X_API_SECRET), never as an argument');
      const secret = values['secret-stdin'] ? readFileSync(0, 'utf8').trim() : process.env.MT5X_API_SECRET;
      if (!secret) throw new UsageError('give the API secret on standard input with --secret-stdin (or in MT5X_API_SECRET)');
      const weak = weakSecretProblems(secret);
      if (weak.length && !values.development) throw new UsageError(`the API secret looks weak: ${weak.join('; ')} (use the secret the platform issued; --development accepts it for a test platform)`);
      const dir = str(values['data-dir']) ?? defaultDataDir();
      const store = await openCredentialStore(dir);
      store.set('apiKey', key);
      store.set('apiSecret', secret);
      out(`credentials stored in the ${store.kind === 'keychain' ? 'OS keychain' : `encrypted file in ${dir}`}\n`);
      return 0;
    },
  },
  {
    name: 'version',
    summary: 'Print the version and the bridge protocol version.',
    options: {},
    examples: ['mt5-executor version'],
    run: ({ out }) => (out(`mt5-executor ${VERSION} (bridge protocol ${PROTOCOL_VERSION})\n`), 0),
  },
];

const HEADER = `mt5-executor ${VERSION} — runs trading strategies next to MetaTrader 5`;

function fail(msg: string): never {
  process.stderr.write(`${c.red('mt5-executor:')} ${msg}\nRun 'mt5-executor help' for usage.\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const out = (t: string) => void process.stdout.write(t);
  const err = (t: string) => void process.stderr.write(t);
  const [first = 'help'] = argv;
  if (first === 'help' || first === '--help' || first === '-h') {
    const named = argv[1] ? findVerb(VERBS, argv.slice(1)) : undefined;
    out(named && 'verb' in named ? verbHelp(named.verb) : mainHelp(VERBS, HEADER));
    return 0;
  }
  if (first === '--version' || first === '-v') argv = ['version'];
  const found = findVerb(VERBS, argv);
  if (!('verb' in found)) fail(`unknown command '${found.unknown}'${found.suggestion ? ` — did you mean '${found.suggestion}'?` : ''}`);
  try {
    const parsed = parseVerbArgs(found.verb, found.rest);
    if (parsed === 'help') {
      out(verbHelp(found.verb));
      return 0;
    }
    return await found.verb.run({ ...parsed, out, err });
  } catch (e) {
    if (e instanceof UsageError) fail(e.message);
    throw e;
  }
}

// `mt5-executor … | head`: a closed pipe ends the program quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`${c.red('mt5-executor:')} ${e.message}\n`);
    process.exit(1);
  },
);
