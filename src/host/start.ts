/**
 * `mt5-executor start`: the host for real — the bridge for the EA, the strategy manager on the terminal, the
 * platform connection when one is configured and logged in, state on disk with backups. Ends cleanly on a signal.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkModel } from '../engine/ml/model.js';
import { DEFAULT_BRIDGE_PORT, BridgeServer, type Terminal } from './bridge/server.js';
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
import { SupervisorClient, fallbackDecision, type SupervisorDecision } from './trading/supervisor.js';
import { PersistentLedger, Store } from './state/store.js';
import { loadOrCreateApiToken, loadOrCreateToken } from './state/token.js';
import { migrateLegacyDataDir } from './state/data-dir.js';
import { acquireHostLock } from './state/host-lock.js';
import { VERSION } from './version.js';

export interface RunningHost {
  config: Config;
  bridge: BridgeServer;
  store: Store;
  manager: StrategyManager;
  platform: PlatformClient | undefined;
  api: LocalApi | undefined;
  /** The trader's dashboard, served by the local API (undefined when the API is disabled). */
  dashboard: Dashboard | undefined;
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
  const store = await Store.open(join(config.dataDir, 'state'));
  if (store.recovered) log.error({ err: store.recovered.message }, 'state restored from a backup');
  if (store.replayedJournal) log.info({ changes: store.replayedJournal }, 'intent journal of the previous run applied');
  if (config.primeAtStart) {
    // before the bridge listens: nothing of the trader's waits behind it, and it touches nothing of theirs
    const p = await primeSignalPath({ dir: join(config.dataDir, 'priming') });
    if (p.error) log.warn({ err: p.error, ms: p.ms }, 'priming the order path failed (the host trades without it; its first signals are slower)');
    else log.info({ ms: p.ms, bars: p.bars, intents: p.intents }, 'order path primed');
  }
  const bridge = new BridgeServer({
    token, host: config.bridge.host, port: config.bridge.port, allowRemote: config.bridge.allowRemote, logger: log, ledger: new PersistentLedger(store),
  });
  let port: number;
  try {
    port = await bridge.start();
  } catch (e) {
    throw explainListenError(e, 'the bridge', config.bridge.host, config.bridge.port, 'bridge.port (or MT5X_BRIDGE_PORT)', config.dataDir);
  }
  // the token itself is never printed here (standard error ends up in logs and service captures)
  if (created) out(`A bridge token was created (kept in the ${storeDescription(creds, config.dataDir)}). Show it for the EA's "Token" input with: mt5-executor token`);
  // models live in <data folder>/models; a strategy names one by file name (options.ml.model)
  const loadModel = (name: string) => {
    if (basename(name) !== name) throw new Error(`model "${name}": give a file name in ${join(config.dataDir, 'models')}, not a path`);
    const file = join(config.dataDir, 'models', name);
    return checkModel(JSON.parse(readFileSync(file, 'utf8')), file);
  };
  let platform: PlatformClient | undefined;
  let supervisorClient: SupervisorClient | undefined;
  const sv = config.supervisor;
  const supervisor = sv.mode === 'off' ? undefined : {
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
  const rk = config.risk;
  const manager = new StrategyManager(store, log, {
    ...(opts.now ? { now: opts.now } : {}), loadModel, ...(supervisor ? { supervisor } : {}),
    risk: { onDailyLoss: rk.onDailyLoss, onDrawdown: rk.onDrawdown, onStrategyDailyLoss: rk.onStrategyDailyLoss, autoPause: rk.autoPause === false ? null : rk.autoPause, killSwitchLockSec: rk.killSwitchLockMinutes * 60 },
  });
  let attached: Terminal | undefined;
  bridge.on('terminal', (t: Terminal) => {
    if (attached) {
      log.warn({ terminal: t.key, driving: attached.key }, 'a second account connected: this executor drives one account; run another executor for it');
      return;
    }
    attached = t;
    manager.attach(t);
  });

  const apiKey = creds.get('apiKey');
  const apiSecret = creds.get('apiSecret');
  if (config.platform && apiKey && apiSecret) {
    platform = new PlatformClient({
      baseUrl: config.platform.baseUrl, apiKey, apiSecret, store, log, heartbeatSeconds: config.platform.heartbeatSeconds,
      heartbeatBody: () => ({ status: manager.status() }),
    });
    const proc = new CommandProcessor(manager, store, (u) => platform!.report(u), log);
    platform.on('connected', () => void restoreFromPlatform(platform!, manager, log));
    platform.on('command', (c: unknown, via: 'pusher' | 'heartbeat') => void proc.handle(c, via));
    void platform.start();
  } else if (config.platform) {
    log.warn('the platform is configured but there are no credentials: run mt5-executor login');
  }
  let api: LocalApi | undefined;
  let dashboard: Dashboard | undefined;
  if (config.api.enabled) {
    dashboard = new Dashboard({ manager, store, log, version: VERSION, platformConnected: () => (platform ? platform.connected : null) });
    const apiToken = loadOrCreateApiToken(creds);
    const apiProcessor = new CommandProcessor(manager, store, (u) => log.debug({ commandId: u.commandId, status: u.status }, 'api command status'), log);
    api = new LocalApi({
      host: config.api.host, port: config.api.port, token: apiToken.token, corsOrigin: config.api.corsOrigin, manager, processor: apiProcessor, store, log, bus,
      version: VERSION, platformConnected: () => platform?.connected ?? false, rateLimitPerMinute: config.api.rateLimitPerMinute,
      dashboard,
    });
    try {
      await api.start();
    } catch (e) {
      await bridge.stop();
      throw explainListenError(e, 'the local API', config.api.host, config.api.port, 'api.port (or MT5X_API_PORT)', config.dataDir);
    }
    if (apiToken.created) out('A local API token was created; show it with: mt5-executor token --api');
    out(`Dashboard: ${dashboard.loginLink(DASHBOARD_LINK_TTL_MS).url}  (a one-time sign-in link for ${DASHBOARD_LINK_TTL_MS / 60_000} min; mt5-executor dashboard opens a new one)`);
  }
  const backups = setInterval(() => {
    try {
      store.backup(config.backups.keep);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'backup failed');
    }
  }, config.backups.everyMinutes * 60_000);
  backups.unref();
  log.info({ bridgePort: port, apiPort: api?.port() ?? null, dataDir: config.dataDir, platform: platform ? config.platform?.baseUrl : null, strategies: manager.list().length }, 'host started');
  return {
    config, bridge, store, manager, platform, api, dashboard,
    async stop() {
      clearInterval(backups);
      await api?.stop();
      platform?.stop();
      await bridge.stop();
      await store.write();
      store.close();
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
