/**
 * mt5-executor command line. Every verb is one entry of VERBS below: its options (once, with their help), an
 * example, and what it runs; `mt5-executor <verb> --help` and `mt5-executor help` are generated from the table
 * (cli-kit.ts). To add a verb, add an entry.
 */
import { VERSION } from '../host/version.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { BacktestArgs } from './backtest.js';
import { UsageError, c, findVerb, mainHelp, parseVerbArgs, usageHint, verbHelp, writeFailure, type Verb, type VerbContext } from './kit.js';
import { ZONE_ARG_FORMS } from '../engine/time/broker-time.js';

// Each verb's module is imported when the verb runs: a backtest does not load (nor, bundled, evaluate) the host,
// its web server and loggers — that cost ~0.1–0.2 s of every short command's start.

const str = (v: VerbContext['values'][string]) => (typeof v === 'string' ? v : undefined);

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive whole number, got '${v}'`);
  return n;
}

/** A verb that takes one file: more is a usage error naming what is extra (it would be silently ignored). */
function oneFile(verb: string, positionals: string[], what: string): void {
  if (positionals.length > 1) {
    const extra = positionals.slice(1);
    throw new UsageError(`${verb} takes one ${what}; extra argument${extra.length > 1 ? 's' : ''}: ${extra.map((x) => `'${x}'`).join(', ')} (run it once for each file)`);
  }
}

/** Parsed values back into arguments, for commands that parse their own (install-ea, paper). */
function toArgs(values: VerbContext['values'], positionals: string[] = []): string[] {
  const out = [...positionals];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === false) continue;
    if (v === true) out.push(`--${k}`);
    else for (const x of Array.isArray(v) ? v : [v]) out.push(`--${k}`, String(x));
  }
  return out;
}

const DATA_DIR = { 'data-dir': { type: 'string', arg: 'DIR', help: 'the data folder (default: MT5X_DATA_DIR or the per-user folder)' } } as const;

export const VERBS: Verb[] = [
  {
    name: 'start',
    summary: 'Run the host: the bridge for the EA, the strategies, the platform connection (when configured and logged in).',
    details: 'Configuration: <data folder>/config.json and MT5X_* variables (docs/host.md). Ctrl-C stops it (exit 130); SIGTERM, SIGHUP and Ctrl-Break too (exit 0).',
    options: {
      config: { type: 'string', arg: 'FILE', help: 'configuration file (default <data folder>/config.json)' },
      paper: { type: 'boolean', help: "paper trading on live prices: the EA streams prices, every order goes to the host's simulated broker, none to the terminal" },
      ...DATA_DIR,
    },
    examples: ['mt5-executor start', 'mt5-executor start --paper', 'mt5-executor start --config ./config.json --data-dir ./state'],
    async run({ values, err }) {
      // listen before starting: a Ctrl-C while the host starts stops it once started; SIGHUP (a closed console)
      // and SIGBREAK (Ctrl-Break on Windows) stop it cleanly too
      const { ConfigError } = await import('../host/config.js');
      const { startHost, untilStopSignal } = await import('../host/start.js');
      const signal = untilStopSignal();
      let host;
      try {
        const dir = str(values['data-dir']);
        const env = dir ? { ...process.env, MT5X_DATA_DIR: dir } : process.env;
        const config = str(values.config);
        host = await startHost({ env, ...(config ? { configFile: config } : {}), ...(values.paper === true ? { paper: true } : {}) });
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
    summary: 'A paper run of two example strategies on bundled real EURUSD H1 bars: the host\'s own trading path over the real bridge against a simulated MT5 terminal, then a backtest of the same.',
    details: 'With --data, the file must hold the examples\' symbol and timeframe (EURUSD H1), as in paper and backtest, or --symbol/--timeframe run them on its bars.\nCtrl-C stops the replay cleanly and prints the summary (exit 0); a second Ctrl-C forces (exit 130).',
    options: {
      bars: { type: 'string', arg: 'N', help: 'bars to replay (default 3000)' },
      speed: { type: 'string', arg: 'N', help: 'bars per second (default 250)' },
      data: { type: 'string', arg: 'FILE', help: 'bar file to replay instead of the bundled one' },
      keep: { type: 'boolean', help: 'after the replay, keep the dashboard (its link is printed at the start) up until Ctrl-C' },
      symbol: { type: 'string', arg: 'SYMBOL', help: 'run the examples on another symbol (with --data of its bars)' },
      timeframe: { type: 'string', arg: 'TF', help: 'run the examples on another timeframe (with --data of its bars)' },
      'broker-zone': { type: 'string', arg: 'ZONE', help: `the bars' broker time zone, for the session filter: ${ZONE_ARG_FORMS} (default us-dst:2)` },
    },
    examples: ['mt5-executor demo --bars 500 --speed 1000'],
    async run({ values, err }) {
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
      const { parseBrokerZone, parseOverrides } = await import('./run-options.js');
      const over = parseOverrides(str(values.symbol), str(values.timeframe));
      const zone = parseBrokerZone(str(values['broker-zone']));
      const { runDemo } = await import('./demo.js');
      try {
        await runDemo({
          ...over, ...(zone ? { brokerZone: zone } : {}),
          ...(bars ? { bars } : {}), ...(speed ? { barsPerSecond: speed } : {}), ...(data ? { dataFile: data } : {}), signal: ac.signal,
          dashboard: true, ...(values.keep ? { keep: true } : {}),
        });
      } catch (e) {
        err(`mt5-executor demo: ${(e as Error).message}\n`);
        return 1;
      }
      return 0;
    },
  },
  {
    name: 'paper',
    args: '<strategy.json> [more.json …] --data <bars.csv>',
    summary: 'Paper-trade your strategies on recorded bars through the host\'s own trading path (the trading core, its risk gate and order lifecycle) against the simulated terminal, bar by bar.',
    details:
      'The data\'s timeframe (from its bars) and symbol (from its symbol column or file name) must match the strategies, or be overridden with --timeframe/--symbol, as in the backtest.\n' +
      'Each bar\'s orders fill at the next bar\'s open once the host has decided on it (lockstep, always): a backtest on the same bars gives the same decisions and deals (tests/e2e/parity.test.ts). Ctrl-C stops it (exit 130).',
    options: {
      data: { type: 'string', arg: 'FILE', help: 'bar file' },
      from: { type: 'string', arg: 'N|DATE', help: 'first bar traded: its index in the file (≥ 1: the bars before it are the history), or a date YYYY-MM-DD[ HH:MM] (server time; the backtest\'s --from); the indicators warm up on the bars before it (default: the bar after --warmup bars)' },
      warmup: { type: 'string', arg: 'N', help: 'warm-up bars (default 1000, at most 25,000)' },
      speed: { type: 'string', arg: 'N', help: 'bars per second (default: as fast as the lockstep allows)' },
      lockstep: { type: 'boolean', help: 'as fast as the host decides, each bar after the one before is decided (the default; not with --speed)' },
      symbol: { type: 'string', arg: 'SYMBOL', help: 'run the strategies on another symbol (e.g. XAUUSD)' },
      timeframe: { type: 'string', arg: 'TF', help: 'run the strategies on another timeframe (M1 … D1)' },
      'broker-zone': { type: 'string', arg: 'ZONE', help: `the bars' broker time zone, for the session filter: ${ZONE_ARG_FORMS} (default us-dst:2)` },
      limits: { type: 'string', arg: 'none|demo|live', help: 'account limits as the host applies them (default none, as the backtest)' },
      balance: { type: 'string', arg: 'X', help: 'initial deposit (default 10000, at most 1,000,000,000,000)' },
      log: { type: 'string', arg: 'FILE', help: 'write the decision log, a JSON line per decision' },
    },
    examples: ['mt5-executor paper examples/ema-cross-trend.json --data data/EURUSD_H1_2019.csv --broker-zone utc --log paper.jsonl'],
    async run({ values, positionals, out, err }) {
      const ac = new AbortController();
      process.on('SIGINT', () => (ac.signal.aborted ? process.exit(130) : ac.abort()));
      return (await import('./paper-command.js')).paperCommand(positionals, values, out, err, ac.signal);
    },
  },
  {
    name: 'dashboard',
    summary: 'Open the running host\'s dashboard in the browser with a one-time sign-in link.',
    options: { config: { type: 'string', arg: 'FILE', help: 'configuration file (default <data folder>/config.json)' }, print: { type: 'boolean', help: 'print the link instead of opening the browser' }, ...DATA_DIR },
    examples: ['mt5-executor dashboard', 'mt5-executor dashboard --print'],
    async run({ values }) {
      const dir = str(values['data-dir']);
      const env = dir ? { ...process.env, MT5X_DATA_DIR: dir } : process.env;
      const config = str(values.config);
      return (await import('../host/dashboard/command.js')).dashboardCommand({ env, ...(config ? { configFile: config } : {}), print: values.print === true, out: (l) => process.stdout.write(l + '\n') });
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
    run: async ({ values, positionals, out, err }) => (await import('./indicators.js')).runIndicatorsCommand(positionals, (values.indicator as string[] | undefined) ?? [], str(values.format) ?? 'csv', out, err),
  },
  {
    name: 'backtest',
    args: '<strategy.json> --data <bars.csv>',
    summary: 'Backtest a strategy on bar data with the same engine and broker model as paper and live trading.',
    details: 'The data\'s timeframe (from its bars) and symbol (from its symbol column or file name) must match the strategy, or be overridden with --timeframe/--symbol;\na file that names no symbol is taken as the strategy\'s, and refused when its prices cannot be that symbol\'s.\nBar files: docs/data-formats.md; fills, figures and the report: docs/backtest.md.',
    options: {
      data: { type: 'string', arg: 'FILE', help: 'bar file (MT5/MT4 exports, copy_rates, DateTime columns …)' },
      from: { type: 'string', arg: 'DATE', help: 'first day traded, server time: YYYY-MM-DD[ HH:MM] (the bars before it warm the indicators up)' },
      to: { type: 'string', arg: 'DATE', help: 'last day (inclusive), or a time to stop before' },
      symbol: { type: 'string', arg: 'SYMBOL', help: 'run the strategy on another symbol (e.g. XAUUSD)' },
      timeframe: { type: 'string', arg: 'TF', help: 'run the strategy on another timeframe (M1 … D1)' },
      balance: { type: 'string', arg: 'X', help: 'initial deposit (default 10000, at most 1,000,000,000,000)' },
      spread: { type: 'string', arg: 'N|data', help: 'spread in whole points, or the file\'s column (default data)' },
      slippage: { type: 'string', arg: 'N', help: 'slippage in whole points against the trader (default 0)' },
      commission: { type: 'string', arg: 'X', help: 'commission per lot per side (default the symbol\'s)' },
      'no-swap': { type: 'boolean', help: 'no swaps' },
      'no-cache': { type: 'boolean', help: 'parse the bar file, not its cache (<file>.mt5x-cache), and write none' },
      limits: { type: 'string', arg: 'none|demo|live', help: 'apply the pre-trade limits of that account type (default none)' },
      'broker-zone': { type: 'string', arg: 'ZONE', help: `the broker clock the file's times are in, for the session filter: ${ZONE_ARG_FORMS}; default us-dst:2 (GMT+2, GMT+3 with New York's DST)` },
      report: { type: 'string', arg: 'FILE', help: 'write the HTML report (self-contained)' },
      trades: { type: 'string', arg: 'FILE', help: 'write the trades as CSV' },
      log: { type: 'string', arg: 'FILE', help: 'write the decision log, a JSON line per decision (the lines paper --log writes)' },
      json: { type: 'boolean', help: 'print the figures as one JSON object' },
    },
    examples: [
      'mt5-executor backtest examples/ema-cross-trend.json --data data/EURUSD_H1_2015-2022.csv --report report.html',
      'mt5-executor backtest my.json --data XAUUSD_M15.csv --symbol XAUUSD --timeframe M15 --from 2024-01-01 --no-swap --json',
    ],
    async run({ values, positionals, out, err }) {
      oneFile('backtest', positionals, 'strategy file');
      const a: BacktestArgs = {};
      if (positionals[0]) a.strategy = positionals[0];
      for (const k of ['data', 'from', 'to', 'symbol', 'timeframe', 'balance', 'spread', 'slippage', 'commission', 'limits', 'report', 'trades', 'log'] as const) {
        const v = str(values[k]);
        if (v !== undefined) a[k] = v;
      }
      if (values.json) a.json = true;
      if (values['no-swap']) a.swap = false;
      if (values['no-cache']) a.cache = false;
      if (str(values['broker-zone']) !== undefined) a.brokerZone = str(values['broker-zone'])!;
      // the bar file's cache is read (on libuv's threads) while the backtest's modules load (bar-prefetch.ts)
      const ahead = a.data !== undefined && a.cache !== false && process.env.MT5X_BAR_CACHE !== '0' ? (await import('./bar-prefetch.js')).prefetchBarCache(a.data) : undefined;
      const { backtestCommand } = await import('./backtest.js');
      if (ahead) a.prefetched = await ahead;
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
        ? { out: { type: 'string', arg: 'FILE', help: 'model file to write (default model-<strategy id>-<version>.json)' }, folds: { type: 'string', arg: 'N', help: 'walk-forward folds (default 5)' }, holdout: { type: 'string', arg: 'F', help: 'share held out (default 0.25)' } }
        : { model: { type: 'string', arg: 'FILE', help: 'model file' }, threshold: { type: 'string', arg: 'P', help: 'gate threshold (default 0.6)' } }),
      json: { type: 'boolean', help: 'print JSON' },
    } as Record<string, import('./kit.js').OptionSpec>,
    examples: [sub === 'train' ? 'mt5-executor ml train --data data/EURUSD_H1_2015-2022.csv --strategy examples/ema-cross-trend.json --out model.json' : 'mt5-executor ml evaluate --data data/EURUSD_H1_2015-2022.csv --strategy s.json --model model.json'],
    run: async ({ values, out, err }) => (await import('./ml.js')).mlCommand(sub, Object.fromEntries(Object.entries(values).filter(([, x]) => x !== undefined)), out, err),
  })),
  {
    name: 'validate',
    args: '<strategy.json>',
    summary: 'Check a strategy in the platform\'s format; print its normalised form, or every problem (exit 1).',
    options: {},
    examples: ['mt5-executor validate examples/ema-cross-trend.json'],
    run: async ({ positionals, out, err }) => (oneFile('validate', positionals, 'strategy file'), (await import('./strategy.js')).validateCommand(positionals[0], out, err)),
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
    run: async ({ values, positionals, out, err }) => (oneFile('strategy new', positionals, 'file to write'), (await import('./strategy-new.js')).newStrategyCommand(positionals[0], { symbol: str(values.symbol), timeframe: str(values.timeframe), force: values.force === true }, out, err)),
  },
  {
    name: 'schema',
    summary: 'Print the JSON Schema of the strategy format.',
    options: {},
    examples: ['mt5-executor schema > strategy.schema.json'],
    run: async ({ out }) => (await import('./strategy.js')).printSchema(out),
  },
  {
    name: 'token',
    summary: 'Show the bridge token to paste into the EA\'s "Token" input (created on first use, kept in the OS keychain or an encrypted file), with the port the host is configured to use.',
    options: { api: { type: 'boolean', help: 'show the local API token instead' }, ...DATA_DIR },
    examples: ['mt5-executor token', 'mt5-executor token --api'],
    run: async ({ values, out, err }) => (await import('./credentials.js')).tokenCommand({ ...(str(values['data-dir']) ? { dataDir: str(values['data-dir'])! } : {}), api: values.api === true }, out, err),
  },
  {
    name: 'login',
    summary: 'Store the platform API key and secret: typed at a hidden prompt in a terminal, or read from standard input with --secret-stdin — never from the command line.',
    options: {
      key: { type: 'string', arg: 'KEY', help: 'the API key (or MT5X_API_KEY; asked for in a terminal)' },
      'secret-stdin': { type: 'boolean', help: 'read the secret from standard input (or MT5X_API_SECRET)' },
      development: { type: 'boolean', help: 'accept a weak secret (a test platform)' },
      ...DATA_DIR,
    },
    examples: ['mt5-executor login', 'mt5-executor login --key KEY --secret-stdin < secret.txt'],
    run: async ({ values, out, err }) => (await import('./credentials.js')).loginCommand(
      { ...(str(values['data-dir']) ? { dataDir: str(values['data-dir'])! } : {}), ...(str(values.key) ? { key: str(values.key)! } : {}), secretStdin: values['secret-stdin'] === true, development: values.development === true },
      out, err,
    ),
  },
  {
    name: 'install-ea',
    summary: 'Copy the ExecutorBridge EA and its includes into each MetaTrader 5 terminal\'s data folder (or the one given), compile it with that terminal\'s MetaEditor when present, and print the steps left.',
    options: {
      terminal: { type: 'string', arg: 'ID|FOLDER', help: 'one terminal: its id, or its data folder' },
      force: { type: 'boolean', help: 'overwrite an EA changed since it was installed (a backup is kept)' },
      'no-compile': { type: 'boolean', help: 'copy only' },
      'terminals-dir': { type: 'string', arg: 'DIR', help: 'where the terminals\' data folders are (default %APPDATA%\\MetaQuotes\\Terminal)' },
    },
    examples: ['mt5-executor install-ea', 'mt5-executor install-ea --terminal D0E8209F77C8CF37AD8BF550E51FF075 --force'],
    run: async ({ values, out, err }) => (await import('./install-ea.js')).installEaCommand(toArgs(values), out, err),
  },
  {
    name: 'state recover',
    summary: 'When the host refuses to start because its state is damaged or missing: start from a backup you choose, or (--empty) from an empty state. Without an option, lists the backups.',
    details: "Stop the host first: refused while a host runs on the data folder. On a sound state --backup latest changes nothing (it names the backup it would use); roll back by naming the backup file. The files replaced are kept aside: *.damaged-<time>, or *.replaced-<time> when they were sound. The trading core's state (core-state.json and its lines: the day's baselines, pauses, a kill-switch lock, managed stops) has no backups: a sound one is kept by every choice (it is the account's newest; a recover never lifts its kill-switch lock), and a damaged one is set aside by every choice.",
    options: {
      backup: { type: 'string', arg: 'FILE|latest', help: 'the backup to start from' },
      empty: { type: 'boolean', help: "start from an empty state (the old one is set aside, not deleted; a sound trading core's state is kept)" },
      core: { type: 'boolean', help: "set aside only the trading core's state when it is damaged (the start refuses it); state.json and the journal are kept" },
      ...DATA_DIR,
    },
    examples: ['mt5-executor state recover', 'mt5-executor state recover --backup latest', 'mt5-executor state recover --core'],
    run: async ({ values, out, err }) => (await import('./state.js')).stateCommand('recover', { dataDir: (await import('../host/state/data-dir.js')).resolveDataDir(str(values['data-dir'])), backup: str(values.backup), empty: values.empty === true, core: values.core === true }, out, err),
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

function fail(msg: string, verb?: Verb): never {
  process.stderr.write(`${c.red('mt5-executor:')} ${msg}\n${usageHint(verb)}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const out = (t: string) => void process.stdout.write(t);
  const err = (t: string) => void process.stderr.write(t);
  const [first = 'help'] = argv;
  if (first === 'help' || first === '--help' || first === '-h') {
    // `help --help`: help's own help is the list of verbs
    if (argv.length === 2 && (argv[1] === '--help' || argv[1] === '-h')) argv = [first];
    const named = argv[1] ? findVerb(VERBS, argv.slice(1)) : undefined;
    // `help state`: a group's word alone is every verb of that group
    const group = argv.length === 2 ? VERBS.filter((v) => v.name.startsWith(`${argv[1]} `)) : [];
    if (named && !('verb' in named) && group.length) {
      out(group.map(verbHelp).join('\n'));
      return 0;
    }
    if (named && !('verb' in named)) fail(named.message, named.near); // `help backtst`: not the list as if all were well
    out(named ? verbHelp(named.verb) : mainHelp(VERBS, HEADER));
    return 0;
  }
  if (first === '--version' || first === '-v') argv = ['version'];
  const found = findVerb(VERBS, argv);
  if (!('verb' in found)) fail(found.message, found.near);
  try {
    const parsed = parseVerbArgs(found.verb, found.rest);
    if (parsed === 'help') {
      out(verbHelp(found.verb));
      return 0;
    }
    return await found.verb.run({ ...parsed, out, err });
  } catch (e) {
    if (e instanceof UsageError) fail(e.message, found.verb);
    throw e;
  }
}

// `mt5-executor … | head`: a closed pipe ends the program quietly; any other failure to write the output (`> out.json`
// on a full disk) is the run's failure, said when it ends (exit 1): it ended 0 with the output lost
let outputFailure: NodeJS.ErrnoException | undefined;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  outputFailure ??= e;
});

/**
 * Exit once stdout and stderr have been written out: a pipe is written asynchronously, and exiting at once cut
 * `backtest --json | jq` at 64 KB. A write's callback runs after every write before it.
 */
function exitWhenFlushed(code: number): void {
  // a file or a terminal is written synchronously: a failed write has marked the stream by now (a pipe's EPIPE is quiet)
  const failed = outputFailure ?? (process.stdout.errored as NodeJS.ErrnoException | null) ?? undefined;
  if (failed?.code === 'EPIPE') process.exit(0);
  if (failed) {
    code = code === 0 ? 1 : code;
    process.stderr.write(`${c.red('mt5-executor:')} the output (standard output) could not be written: ${writeFailure(failed)}\n`);
  }
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (e: Error) => {
    process.stderr.write(`${c.red('mt5-executor:')} ${e.message}\n`);
    exitWhenFlushed(1);
  },
);
