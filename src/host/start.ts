/**
 * `mt5-executor start`: the host for real — the bridge for the EA, the strategy manager on the terminal, the
 * platform connection when one is configured and logged in, state on disk with backups. Ends cleanly on a signal.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkModel } from '../engine/ml/model.js';
import { DEFAULT_BRIDGE_PORT, BridgeServer, type Terminal } from './bridge/server.js';
import { applyPriority } from './priority.js';
import { CommandProcessor } from './platform/commands.js';
import { loadConfig, type Config } from './config.js';
import { openCredentialStore, storeDescription } from './state/credentials.js';
import { LocalApi } from './api/local-api.js';
import { Dashboard } from './dashboard/dashboard.js';
import { LogBus, createHostLogger, type Logger } from './logger.js';
import { StrategyManager } from './trading/manager.js';
import { primeSignalPath } from './trading/prime.js';
import { PlatformClient } from './platform/client.js';
import { restoreFromPlatform } from './platform/recovery.js';
import { TradeReporter, strategyByMagic } from './platform/trade-reports.js';
import { SupervisorClient, fallbackDecision, type SupervisorDecision } from './trading/supervisor.js';
import type { Store } from './state/store.js';
import { AccountRegistry, hostFolderOf, type TradingAccount } from './trading/accounts.js';
import { PaperVenue } from './paper/venue.js';
import { PaperJournal } from './paper/journal.js';
import { loadOrCreateApiToken, loadOrCreateToken } from './state/token.js';
import { migrateLegacyDataDir } from './state/data-dir.js';
import { acquireHostLock } from './state/host-lock.js';
import { VERSION } from './version.js';

export interface RunningHost {
  config: Config;
  bridge: BridgeServer;
  /** The primary account's state and manager (docs/host.md "Several accounts"). */
  store: Store;
  manager: StrategyManager;
  /** Every account: its own state, ledger and manager. */
  accounts: AccountRegistry;
  platform: PlatformClient | undefined;
  api: LocalApi | undefined;
  /** The trader's dashboard, served by the local API (undefined when the API is disabled). */
  dashboard: Dashboard | undefined;
  /** The primary account's paper account on its terminal's prices (`start --paper`, or strategies in `mode: paper`), once a terminal connected. */
  paperVenue(): PaperVenue | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (default standard output); they go to the API's /logs/stream as well. */
  logDestination?: NodeJS.WritableStream;
  /** A logger of the caller's (then /logs/stream has nothing to stream). */
  log?: Logger;
  out?: (line: string) => void;
  /** The clock for the strategy manager, in seconds (default: the wall clock). Tests drive it from the simulated broker. */
  now?: () => number;
  /** Paper trading on live prices (`start --paper`): overrides the configuration's `paper`. */
  paper?: boolean;
}

/**
 * Start the host on its data folder, which it locks (one host per data folder: a second start is refused with
 * the first one's process id). The lock is released by stop() and when starting fails.
 */
/** How long the sign-in link printed at start stays usable. */
const DASHBOARD_LINK_TTL_MS = 15 * 60_000;

export async function startHost(opts: StartOptions = {}): Promise<RunningHost> {
  const env = opts.env ?? process.env;
  const out = opts.out ?? ((l: string) => process.stderr.write(l + '\n'));
  if (!env.MT5X_DATA_DIR) {
    const moved = migrateLegacyDataDir(env);
    if (moved) out(moved);
  }
  const config = loadConfig({ ...(opts.configFile ? { file: opts.configFile } : {}), env });
  // an account's own folder (<data>/accounts/<name>) is run by the host of <data>: a host of its own there would be a
  // second host on that account's state and ledger
  const owner = hostFolderOf(config.dataDir);
  if (owner !== config.dataDir) {
    throw new Error(`${config.dataDir} is the folder of one of the accounts of the data folder ${owner} (its account.json says which): the host of ${owner} runs it. Start that one: mt5-executor start --data-dir "${owner}"`);
  }
  const release = acquireHostLock(config.dataDir, VERSION);
  try {
    const host = await launch(config, opts, out);
    const stop = host.stop;
    host.stop = async () => {
      try {
        await stop();
      } finally {
        release();
      }
    };
    return host;
  } catch (e) {
    release();
    throw e;
  }
}

/** A listen error in words: a busy port says which setting moves it. */
function explainListenError(e: unknown, what: string, host: string, port: number, setting: string, dataDir: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new Error(
      `${what} cannot listen on ${host}:${port}: another program already uses that port (another mt5-executor on another data folder, or something else). ` +
        `Choose a free port with ${setting} in ${join(dataDir, 'config.json')}${what === 'the bridge' ? " and the same Port in the EA's inputs" : ''}.`,
    );
  }
  if (code === 'EACCES') return new Error(`${what} may not listen on ${host}:${port} (permission denied): choose a port above 1024 with ${setting}.`);
  return e as Error;
}

async function launch(config: Config, opts: StartOptions, out: (line: string) => void): Promise<RunningHost> {
  const bus = new LogBus();
  const log = opts.log ?? (await createHostLogger({ level: config.debug ? 'debug' : config.logLevel, ...(opts.logDestination ? { destination: opts.logDestination } : {}), bus, dataDir: config.dataDir }));
  const creds = await openCredentialStore(config.dataDir, { preferKeychain: (opts.env ?? process.env).MT5X_NO_KEYCHAIN !== '1' });
  const { token, created } = loadOrCreateToken(creds, config.dataDir);
  // before the host's threads start (they inherit it)
  const priority = applyPriority(config.priority);
  if (!priority.applied) log.warn({ asked: priority.asked, err: priority.error }, 'the host\'s priority could not be raised: it runs at normal priority (on Linux raising it needs CAP_SYS_NICE; config priority: "normal" says so once and for all)');
  else if (priority.asked !== 'normal') log.info({ priority: priority.asked, now: priority.now }, 'host priority raised');
  const paperHost = opts.paper ?? config.paper;
  const paperDir = join(config.dataDir, 'paper');
  if (paperHost) new PaperJournal(paperDir).read(); // a damaged paper account stops the start here, naming its line
  if (config.primeAtStart) {
    // before the bridge listens: nothing of the trader's waits behind it, and it touches nothing of theirs
    const p = await primeSignalPath({ dir: join(config.dataDir, 'priming') });
    if (p.error) log.warn({ err: p.error, ms: p.ms }, 'priming the order path failed (the host trades without it; its first signals are slower)');
    else log.info({ ms: p.ms, bars: p.bars, intents: p.intents }, 'order path primed');
  }
  // models live in <data folder>/models; a strategy names one by file name (options.ml.model)
  const loadModel = (name: string) => {
    if (basename(name) !== name) throw new Error(`model "${name}": give a file name in ${join(config.dataDir, 'models')}, not a path`);
    const file = join(config.dataDir, 'models', name);
    return checkModel(JSON.parse(readFileSync(file, 'utf8')), file);
  };
  let platform: PlatformClient | undefined;
  const sv = config.supervisor;
  // one supervisor client per account: its answers go to that account's audit trail
  const supervisorFor = (store: Store) => {
    let supervisorClient: SupervisorClient | undefined;
    return sv.mode === 'off' ? undefined : {
      evaluate: async (context: Record<string, unknown>): Promise<SupervisorDecision> => {
        const executorId = platform?.config?.executorId;
        const key = creds.get('apiKey'), secret = creds.get('apiSecret');
        if (!supervisorClient && platform && executorId && key && secret && config.platform) {
          supervisorClient = new SupervisorClient({
            baseUrl: config.platform.baseUrl, executorId, apiKey: key, apiSecret: secret, mode: sv.mode as 'observe' | 'enforce', budgetMs: sv.budgetMs,
            enforceFallback: sv.enforceFallback, audit: (a) => store.audit(a.at, 'supervisor', a),
          });
        }
        if (supervisorClient) return supervisorClient.evaluate(context);
        const d = fallbackDecision(sv.mode as 'observe' | 'enforce', sv.enforceFallback, 'no platform connection');
        store.audit(Date.now(), 'supervisor', { action: d.action, proceed: d.proceed, source: d.source, reason: d.reason });
        return d;
      },
    };
  };
  const rk = config.risk;
  // paper trading on live prices: a paper venue on an account's terminal (src/host/paper) — the account's whole
  // venue with --paper, else the venue of its strategies in mode paper; one per account, in its own folder
  const paperVenues = new Map<string, PaperVenue>();
  const paperOf = (live: Terminal): PaperVenue => {
    let v = paperVenues.get(live.key);
    if (!v) paperVenues.set(live.key, (v = new PaperVenue({ live, server: bridge, dir: accounts.paperDir(live.key), log, lazy: !paperHost, ...(config.paperBalance ? { balance: config.paperBalance } : {}), compactEvery: config.paperCompactEvery, ...(config.paperCommission !== undefined ? { commission: config.paperCommission } : {}) })));
    return v;
  };
  if (paperHost) out(`PAPER TRADING: the EA streams prices; every order goes to the simulated broker (its account in ${paperDir}), none to the terminal.`);
  const makeManager = (store: Store, key: string | undefined) => {
    const supervisor = supervisorFor(store);
    return new StrategyManager(store, key ? log.child({ account: key }) : log, {
      ...(paperHost ? { paper: true } : {
        paperVenue: (live: Terminal) => {
          try {
            return paperOf(live);
          } catch (e) {
            log.error({ err: (e as Error).message }, 'the paper account could not be opened: strategies in mode paper do not trade (the live ones do)');
            return undefined;
          }
        },
      }),
      ...(opts.now ? { now: opts.now } : {}), loadModel, ...(supervisor ? { supervisor } : {}),
      ...(config.broker.timeZone !== 'auto' ? { brokerZone: config.broker.timeZone === 'fixed' ? { kind: 'fixed', offsetSec: config.broker.utcOffsetHours * 3600 } : { kind: config.broker.timeZone, standardOffsetSec: config.broker.utcOffsetHours * 3600 } } : {}),
      intrabarMs: config.trading.intrabarMs, anomaly: config.anomaly,
      risk: { onDailyLoss: rk.onDailyLoss, onDrawdown: rk.onDrawdown, onStrategyDailyLoss: rk.onStrategyDailyLoss, autoPause: rk.autoPause === false ? null : rk.autoPause, killSwitchLockSec: rk.killSwitchLockMinutes * 60 },
    });
  };
  // every account its own state, ledger and manager (src/host/trading/accounts.ts); the primary keeps <data>/state
  const accounts = AccountRegistry.open({
    dataDir: config.dataDir, configured: config.accounts, log, manager: makeManager,
    storeOptions: {
      retention: { keepMs: config.state.retention.keepDays * 86_400_000, keepCount: config.state.retention.keepCount, compactEvery: config.state.compactEvery },
      keepBackups: config.backups.keep,
    },
  });
  for (const a of accounts.list()) {
    if (a.store.replayedJournal) log.info({ account: a.key, changes: a.store.replayedJournal }, 'intent journal of the previous run applied');
  }
  if (accounts.primary.store.recovered) log.error({ err: accounts.primary.store.recovered.message }, 'state restored from a backup');
  const store = accounts.primary.store;
  const manager = accounts.primary.manager;
  // the platform's executor drives one account: config accounts.platform, else the primary
  const driven: TradingAccount = accounts.platform();
  const bridge = new BridgeServer({
    token, host: config.bridge.host, port: config.bridge.port, allowRemote: config.bridge.allowRemote, logger: log, ledgerFor: (key) => accounts.ledgerFor(key),
  });
  let trades: TradeReporter | undefined;
  bridge.on('terminal', (t: Terminal) => {
    const a = accounts.attach(t, (live) => (paperHost ? paperOf(live) : live)); // start --paper: the strategies see the paper account
    if (!a) return; // its state could not be opened (logged); its intents are refused
    if (a !== accounts.primary) log.info({ account: t.key, primary: accounts.primary.key ?? null }, 'another account connected: trading it with its own strategies and limits');
    if (a === driven) trades?.attach(paperHost ? paperOf(t) : t);
  });
  let port: number;
  try {
    port = await bridge.start();
  } catch (e) {
    await accounts.close();
    throw explainListenError(e, 'the bridge', config.bridge.host, config.bridge.port, 'bridge.port (or MT5X_BRIDGE_PORT)', config.dataDir);
  }
  // the token itself is never printed here (standard error ends up in logs and service captures)
  if (created) out(`A bridge token was created (kept in the ${storeDescription(creds, config.dataDir)}). Show it for the EA's "Token" input with: mt5-executor token`);

  const apiKey = creds.get('apiKey');
  const apiSecret = creds.get('apiSecret');
  if (config.platform && apiKey && apiSecret) {
    platform = new PlatformClient({
      baseUrl: config.platform.baseUrl, apiKey, apiSecret, store: driven.store, log, heartbeatSeconds: config.platform.heartbeatSeconds,
      heartbeatBody: () => ({ status: { ...driven.manager.status(), accountKey: driven.key ?? null, accounts: accounts.summary() } }),
    });
    // every deal of the strategies' trades, to the platform once (docs/platform.md "Trade reports")
    trades = new TradeReporter({ file: join(driven.dir, 'trade-reports.json'), log, strategyOf: strategyByMagic(driven.manager), send: (r) => platform!.reportTrade(r) });
    if (driven.terminal) trades.attach(driven.terminal);
    const proc = new CommandProcessor(driven.manager, driven.store, (u) => platform!.report(u), log, undefined, { trades });
    platform.on('connected', () => void restoreFromPlatform(platform!, driven.manager, log));
    platform.on('command', (c: unknown, via: 'pusher' | 'heartbeat') => void proc.handle(c, via));
    void platform.start();
  } else if (config.platform) {
    log.warn('the platform is configured but there are no credentials: run mt5-executor login');
  }
  let api: LocalApi | undefined;
  let dashboard: Dashboard | undefined;
  if (config.api.enabled) {
    dashboard = new Dashboard({ manager, store, log, version: VERSION, platformConnected: () => (platform ? platform.connected : null), accounts: () => accounts.summary(),
      account: (key) => {
        const a = key === undefined ? accounts.primary : accounts.get(key);
        return a && { manager: a.manager, store: a.store };
      },
    });
    // every account's decisions and fills are watched from its first connection (not from a page's first look)
    const follow = () => dashboard?.follow(accounts.list().map((a) => a.manager));
    follow();
    bridge.on('terminal', follow); // (after the listener above that attaches the account)
    const apiToken = loadOrCreateApiToken(creds);
    // (its statuses do not go to the platform: its commands' deals go as trade records)
    // one command processor per account (its commands recorded in its own state)
    const processors = new Map<TradingAccount, CommandProcessor>();
    const processorOf = (a: TradingAccount) => {
      let p = processors.get(a);
      if (!p) processors.set(a, (p = new CommandProcessor(a.manager, a.store, (u) => log.debug({ account: a.key, commandId: u.commandId, status: u.status }, 'api command status'), log)));
      return p;
    };
    api = new LocalApi({
      host: config.api.host, port: config.api.port, token: apiToken.token, corsOrigin: config.api.corsOrigin, manager, processor: processorOf(accounts.primary), store, log, bus,
      accounts: {
        get: (key) => {
          const a = key === undefined ? accounts.primary : accounts.get(key);
          return a && { key: a.key, manager: a.manager, store: a.store, processor: processorOf(a) };
        },
        summary: () => accounts.summary(),
        list: () => accounts.list().map((a) => ({ key: a.key, manager: a.manager, store: a.store })),
      },
      version: VERSION, platformConnected: () => platform?.connected ?? false, rateLimitPerMinute: config.api.rateLimitPerMinute,
      dashboard,
    });
    try {
      await api.start();
    } catch (e) {
      await bridge.stop();
      await accounts.close();
      throw explainListenError(e, 'the local API', config.api.host, config.api.port, 'api.port (or MT5X_API_PORT)', config.dataDir);
    }
    if (apiToken.created) out('A local API token was created; show it with: mt5-executor token --api');
    out(`Dashboard: ${dashboard.loginLink(DASHBOARD_LINK_TTL_MS).url}  (a one-time sign-in link for ${DASHBOARD_LINK_TTL_MS / 60_000} min; mt5-executor dashboard opens a new one)`);
  }
  // a compaction writes state.json in slices (the event loop stays free) and links a backup after it
  const backups = setInterval(() => accounts.backup((failed) => log.error({ err: failed }, 'backup failed')), config.backups.everyMinutes * 60_000);
  backups.unref();
  log.info({ bridgePort: port, apiPort: api?.port() ?? null, paper: paperHost, dataDir: config.dataDir, platform: platform ? config.platform?.baseUrl : null, strategies: manager.list().length, accounts: accounts.list().map((a) => a.key ?? '(the first to connect)'), platformAccount: driven.key ?? null }, 'host started');
  return {
    config, bridge, store, manager, accounts, platform, api, dashboard,
    paperVenue: () => (accounts.primary.key ? paperVenues.get(accounts.primary.key) : [...paperVenues.values()][0]),
    async stop() {
      clearInterval(backups);
      await api?.stop();
      trades?.stop();
      platform?.stop();
      await bridge.stop();
      await Promise.all([...paperVenues.values()].map((v) => v.close()));
      await accounts.close();
      log.info('host stopped');
    },
  };
}

export { DEFAULT_BRIDGE_PORT };

/**
 * Resolves on the first signal that means "stop": Ctrl-C (SIGINT), SIGTERM, SIGHUP (the terminal or, on Windows,
 * the console window closing — Windows then allows about 10 s) and Ctrl-Break (SIGBREAK, Windows).
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      for (const x of signals) process.off(x, on);
      resolve(s);
    };
    for (const s of signals) process.on(s, on);
  });
}
