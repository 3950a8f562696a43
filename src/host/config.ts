/**
 * Configuration: a JSON file (default `<data folder>/config.json`) plus environment overrides, validated
 * with zod. Every error names the key, what is wrong, and where the value came from (file or variable).
 * Secrets are NOT configuration: they live in the credential store (`mt5-executor login`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { DEFAULT_BRIDGE_PORT } from './bridge/server.js';
import { defaultDataDir } from './state/data-dir.js';

const port = () => z.number().int().min(1).max(65535);
/** An account as the bridge names it: the terminal's login@server. */
const accountKey = () => z.string().regex(/^\d{1,20}@\S.{0,127}$/, 'expected login@server, e.g. 51001234@Broker-Live3 (the login digits, @, the server name as MT5 shows it)');

export const configSchema = z.strictObject({
  mode: z.enum(['production', 'development']).default('production').describe('production refuses a plain-http platform URL (except loopback); development allows it'),
  debug: z.boolean().default(false).describe('debug logging (off by default)'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  dataDir: z.string().min(1).optional().describe('where state, logs and backups live (default: per OS)'),
  platform: z
    .strictObject({
      baseUrl: z.url().describe('the web platform, e.g. https://platform.example.com'),
      heartbeatSeconds: z.number().int().min(5).max(600).default(30),
    })
    .optional(),
  bridge: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port().default(DEFAULT_BRIDGE_PORT),
      allowRemote: z.boolean().default(false).describe('listen beyond loopback (never needed when MT5 runs on the same machine)'),
    })
    .prefault({}),
  api: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port().default(17552),
      corsOrigin: z.string().optional().describe("the dashboard's own origin; never '*'"),
      enabled: z.boolean().default(true),
      rateLimitPerMinute: z.number().int().min(1).default(300),
    })
    .prefault({}),
  supervisor: z
    .strictObject({
      mode: z.enum(['off', 'observe', 'enforce']).default('off').describe("ask the platform's LLM supervisor about entries that hit a trigger; observe = only log its answer"),
      budgetMs: z.number().int().min(3000).max(6000).default(4000).describe('time budget per question, ms'),
      enforceFallback: z.enum(['require_confirmation', 'deny']).default('require_confirmation').describe('enforce mode without an answer'),
    })
    .prefault({}),
  risk: z
    .strictObject({
      onDailyLoss: z.enum(['block', 'pause', 'close', 'emergency_stop']).default('block').describe("the account's daily loss limit reached: block new entries, pause every strategy, also close their positions, or the emergency stop"),
      onDrawdown: z.enum(['block', 'pause', 'close', 'emergency_stop']).default('block').describe("the account's drawdown limit reached: as onDailyLoss"),
      onStrategyDailyLoss: z.enum(['block', 'pause']).default('block').describe("a strategy's own daily loss limit (riskManagement.maxDailyLoss…) reached: block its entries for the day, or pause it"),
      autoPause: z
        .union([
          z.literal(false),
          z.strictObject({
            dailyLossPercent: z.number().positive().max(100).default(5),
            consecutiveLosses: z.number().int().min(1).max(1000).default(5),
            minProfitFactor: z.number().min(0).max(100).default(1),
            minWinRatePercent: z.number().min(0).max(100).default(35),
            maxDrawdownPercent: z.number().positive().max(100).default(15),
            minTrades: z.number().int().min(1).max(100_000).default(20),
          }),
        ])
        .prefault({})
        .describe("seed 004's auto-pause rules on each strategy's closed trades (false: off)"),
      killSwitchLockMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60).describe('how long the emergency stop locks trading'),
    })
    .prefault({}),
  broker: z
    .strictObject({
      timeZone: z.enum(['auto', 'us-dst', 'eu-dst', 'fixed']).default('auto').describe("the broker server's clock: auto = inferred from the offsets the terminal reports over time; us-dst / eu-dst = utcOffsetHours in winter, one more with New York's / Europe's daylight saving; fixed = utcOffsetHours all year"),
      utcOffsetHours: z.number().min(-12).max(14).multipleOf(0.25).default(2).describe('the standard (winter) offset from UTC for us-dst / eu-dst, the offset for fixed'),
    })
    .prefault({}),
  trading: z
    .strictObject({
      intrabarMs: z.number().int().min(100).max(60_000).default(1000).describe('an intrabar strategy is judged on its forming bar at most this often, ms'),
    })
    .prefault({}),
  anomaly: z
    .strictObject({
      spread: z.enum(['log', 'block', 'reduce', 'close']).default('block').describe("a spread spike on a symbol: log only, skip entries on it for 5 min, also halve the strategies' positions on it, or close them"),
      slippage: z.enum(['log', 'block', 'reduce', 'close']).default('block').describe('an entry filled with abnormal slippage: as spread'),
      rejects: z.enum(['log', 'block', 'reduce', 'close']).default('block').describe("the broker refusing orders at an abnormal rate: as spread, for every symbol"),
      latency: z.enum(['log', 'block', 'reduce', 'close']).default('log').describe("orders answered abnormally slowly (a slow PC as much as a slow broker): as spread, for every symbol"),
    })
    .prefault({}),
  paper: z.boolean().default(false).describe("paper trading on live prices: every order goes to the host's simulated broker (seeded from the terminal's account), none to the terminal (also `start --paper`)"),
  paperBalance: z.number().positive().max(1e12).optional().describe("starting balance of a new paper account (default: the terminal account's balance when it is first seeded)"),
  paperCommission: z
    .union([z.number().min(0).max(1e6), z.record(z.string().min(1), z.number().min(0).max(1e6))])
    .optional()
    .describe("commission the paper broker charges per lot per deal side, in the account currency: one number for every symbol, or { \"EURUSD\": 3.5, … } per symbol (a symbol not named: the default). Default: the backtest's (the simulator's preset for the symbol, 3.5 on its FX and gold presets; 0 for a symbol without a preset). Fixed for a symbol when the paper account learns it"),
  paperCompactEvery: z.number().int().min(10).max(10_000_000).default(10_000).describe('paper account: journal lines between compactions (the journal rewritten as one snapshot line of the account)'),
  accounts: z
    .strictObject({
      primary: accountKey().optional().describe("the account whose state is <data folder>/state (default: the first account that ever connected, remembered in accounts.json)"),
      platform: accountKey().optional().describe("the account the platform's executor drives (default: the primary)"),
    })
    .prefault({}),
  priority: z.enum(['normal', 'above-normal', 'high']).default('normal').describe("the host's scheduling priority: raised above the terminal's and other programs', a closed bar's decisions wait less for a core (src/host/priority.ts; docs/PERFORMANCE.md)"),
  primeAtStart: z.boolean().default(true).describe('run the order path once on a private simulated terminal at start, so the first real signals do not wait for compilation'),
  backups: z.strictObject({ everyMinutes: z.number().int().min(1).default(60), keep: z.number().int().min(1).default(48) }).prefault({}),
  state: z
    .strictObject({
      retention: z
        .strictObject({
          keepDays: z.number().positive().max(3650).default(7).describe('settled commands, intents and audit entries younger than this stay in state.json; older ones move to state/archive/ (still found by id, never dropped)'),
          keepCount: z.number().int().min(100).max(1_000_000).default(20_000).describe('…but at most this many of each stay in state.json'),
        })
        .prefault({}),
      compactEvery: z.number().int().min(1000).max(10_000_000).default(50_000).describe('journal lines between compactions (state.json rewritten in the background, a backup after each)'),
    })
    .prefault({}),
});

export type Config = z.output<typeof configSchema> & { dataDir: string };

/** Environment variables that override the file, and the key each sets. */
export const ENV_KEYS: Readonly<Record<string, { path: string[]; type: 'string' | 'number' | 'boolean' }>> = {
  MT5X_MODE: { path: ['mode'], type: 'string' },
  MT5X_DEBUG: { path: ['debug'], type: 'boolean' },
  MT5X_LOG_LEVEL: { path: ['logLevel'], type: 'string' },
  MT5X_DATA_DIR: { path: ['dataDir'], type: 'string' },
  MT5X_PLATFORM_URL: { path: ['platform', 'baseUrl'], type: 'string' },
  MT5X_HEARTBEAT_SECONDS: { path: ['platform', 'heartbeatSeconds'], type: 'number' },
  MT5X_BRIDGE_HOST: { path: ['bridge', 'host'], type: 'string' },
  MT5X_BRIDGE_PORT: { path: ['bridge', 'port'], type: 'number' },
  MT5X_API_PORT: { path: ['api', 'port'], type: 'number' },
  MT5X_CORS_ORIGIN: { path: ['api', 'corsOrigin'], type: 'string' },
  MT5X_API_ENABLED: { path: ['api', 'enabled'], type: 'boolean' },
  MT5X_SUPERVISOR_MODE: { path: ['supervisor', 'mode'], type: 'string' },
  MT5X_PRIME_AT_START: { path: ['primeAtStart'], type: 'boolean' },
  MT5X_PRIORITY: { path: ['priority'], type: 'string' },
  MT5X_PAPER: { path: ['paper'], type: 'boolean' },
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Load and validate. Nothing is half-applied: either a whole valid Config or a ConfigError listing every problem. */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const sources = new Map<string, string>();
  const file = opts.file ?? join(env.MT5X_DATA_DIR ?? defaultDataDir(env), 'config.json');
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('the top level must be an object');
    } catch (e) {
      throw new ConfigError([`${file}: not valid JSON: ${(e as Error).message}`]);
    }
  } else if (opts.file) {
    throw new ConfigError([`${file}: no such file`]);
  }
  for (const [name, { path, type }] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    let value: unknown = v;
    if (type === 'number') {
      value = Number(v);
      if (!Number.isFinite(value as number)) {
        problems.push(`${path.join('.')}: '${v}' is not a number (from ${name})`);
        continue;
      }
    } else if (type === 'boolean') {
      if (!['true', 'false', '1', '0'].includes(v)) {
        problems.push(`${path.join('.')}: '${v}' is not true/false (from ${name})`);
        continue;
      }
      value = v === 'true' || v === '1';
    }
    let node = raw as Record<string, unknown>;
    for (const k of path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = value;
    sources.set(path.join('.'), name);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const key = i.path.map(String).join('.') || '(config)';
      const from = sources.get(key) ? ` (from ${sources.get(key)})` : existsSync(file) ? ` (in ${file})` : '';
      const what = i.code === 'unrecognized_keys' ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}` : i.message;
      problems.push(`${key}: ${what}${from}`);
    }
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const c = parsed.data;
  const out: Config = { ...c, dataDir: c.dataDir ?? defaultDataDir(env) };
  // production rules
  if (c.mode === 'production' && c.platform && new URL(c.platform.baseUrl).protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(new URL(c.platform.baseUrl).hostname)) {
    throw new ConfigError([`platform.baseUrl: ${c.platform.baseUrl} is plain http; production needs https (or set mode to development)`]);
  }
  if (c.api.corsOrigin === '*') throw new ConfigError(["api.corsOrigin: '*' would let any web page drive the executor; give the dashboard's origin"]);
  return out;
}
