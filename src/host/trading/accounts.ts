/**
 * Several accounts on one host (docs/host.md "Several accounts"): every terminal the bridge announces — an
 * account, `login@server` — gets its own state folder, its own intent ledger and its own strategy manager, so
 * its own core state, risk limits, strategies and kill switch. Two accounts running the same strategy produce
 * the same intent ids, each in its own ledger: neither is taken for a duplicate of the other.
 *
 * The primary account keeps `<data folder>/state` (an install from before keeps its state): the account named by
 * config `accounts.primary`, else the one remembered in `<data folder>/accounts.json`, else — on an older state —
 * the terminal its ledger's intents were sent to, else the first account that connects (then remembered). Every
 * other account lives in `<data folder>/accounts/<login@server, sanitised>/state`, found again at the next start.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Terminal } from '../bridge/server.js';
import type { Logger } from '../logger.js';
import type { IntentLedger, LedgerEntry } from '../state/ledger.js';
import { PersistentLedger, Store, type StoreOptions } from '../state/store.js';
import type { StrategyManager } from './manager.js';

/** One account the host trades on. */
export interface TradingAccount {
  /** login@server; undefined for the primary until a terminal first connects (a fresh install). */
  key: string | undefined;
  primary: boolean;
  /** Its state folder (`<data>/state` for the primary). */
  dir: string;
  store: Store;
  ledger: IntentLedger;
  manager: StrategyManager;
  /** Its terminal, once one has connected (the Terminal object outlives reconnections). */
  terminal: Terminal | undefined;
}

/** An account as GET /accounts, /health and the platform's heartbeat show it. */
export interface AccountSummary {
  key: string | null;
  primary: boolean;
  /** The account the platform's executor drives. */
  platform: boolean;
  connected: boolean;
  currency: string | null;
  balance: number | null;
  equity: number | null;
  strategies: number;
  running: number;
  positions: number;
  killSwitch: { locked: boolean; lockedUntil: number | null };
}

export class AccountsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountsError';
  }
}

export interface AccountRegistryOptions {
  dataDir: string;
  /** config `accounts` */
  configured: { primary?: string | undefined; platform?: string | undefined };
  log: Logger;
  /** Builds an account's strategy manager on its store (the host's options: risk, supervisor, models…). */
  manager: (store: Store, key: string | undefined) => StrategyManager;
  /** How every account's store keeps its history (config `state.*`, `backups.keep`). */
  storeOptions?: StoreOptions;
}

/**
 * The data folder whose host runs the state in `dir`: a secondary account's folder (`<data folder>/accounts/<name>`,
 * marked by its account.json) is run by the host of `<data folder>` — whose lock `state recover` must hold, not one of
 * its own; any other folder is its own.
 */
export function hostFolderOf(dir: string): string {
  // the real path: a symbolic link (or junction) to an account's folder, or another letter case on Windows, is that folder
  let real: string;
  try {
    real = realpathSync.native(dir);
  } catch {
    real = resolve(dir);
  }
  const parent = dirname(real), name = basename(parent);
  const isAccounts = process.platform === 'win32' ? name.toLowerCase() === 'accounts' : name === 'accounts';
  return isAccounts && existsSync(join(real, 'account.json')) ? dirname(parent) : dir;
}

/** A folder name for an account: the key where it is a safe name, else the safe part and a hash of the key. */
export function accountFolder(key: string): string {
  const clean = key.replace(/[^A-Za-z0-9@._-]/g, '_').replace(/^\.+|\.+$/g, '_');
  return clean === key ? clean : `${clean}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/**
 * The account an older state's intents were sent to (the newest sent intent's terminal), if it has any. Adopted
 * entries do not count: an older host recorded those for every terminal that connected, driven or not.
 */
function ledgerAccount(store: Store): string | undefined {
  let newest: LedgerEntry | undefined;
  for (const e of store.intents()) if (!e.adopted && (!newest || e.createdAt >= newest.createdAt)) newest = e;
  return newest?.terminal;
}

export class AccountRegistry {
  private readonly byKey = new Map<string, TradingAccount>();
  readonly primary: TradingAccount;
  private readonly rememberFile: string;
  private remembered: string | undefined;

  private constructor(private readonly o: AccountRegistryOptions) {
    this.rememberFile = join(o.dataDir, 'accounts.json');
    this.remembered = this.readRemembered();
    const dir = join(o.dataDir, 'state');
    const store = Store.openSync(dir, o.storeOptions);
    const known = this.remembered ?? ledgerAccount(store);
    const { primary: cPrimary, platform: cPlatform } = o.configured;
    if (cPrimary && known && cPrimary !== known) {
      throw new AccountsError(
        `accounts.primary is ${cPrimary}, but ${dir} holds the state of ${known} (${this.remembered ? this.rememberFile : 'its intent ledger'}): ` +
          `the primary account cannot change once it has a state. To have the platform drive ${cPrimary}, set accounts.platform instead; ` +
          `or remove accounts.primary to keep ${known} as the primary.`,
      );
    }
    // a fresh install told only which account the platform drives: that one is the primary
    const key = cPrimary ?? known ?? cPlatform;
    this.primary = { key, primary: true, dir, store, ledger: new PersistentLedger(store), manager: o.manager(store, key), terminal: undefined };
    if (key) this.byKey.set(key, this.primary);
    // the other accounts seen before
    const root = join(o.dataDir, 'accounts');
    for (const name of existsSync(root) ? readdirSync(root).sort() : []) {
      const marker = join(root, name, 'account.json');
      if (!existsSync(marker)) continue;
      let other: string;
      try {
        other = (JSON.parse(readFileSync(marker, 'utf8')) as { key: string }).key;
        if (typeof other !== 'string' || !other.includes('@')) throw new Error('"key" must be "login@server"');
      } catch (e) {
        throw new AccountsError(`${marker}: not an account marker (${(e as Error).message}); expected {"key": "login@server"}`);
      }
      if (other === key) {
        throw new AccountsError(`${other} is the primary account (its state is ${dir}) but also has a state in ${join(root, name)}: move that folder away to choose`);
      }
      this.open(other, join(root, name));
    }
    if (cPlatform && !this.byKey.has(cPlatform)) this.account(cPlatform);
  }

  /** Open every known account's state (synchronously). Throws naming the file when a state cannot be used. */
  static open(o: AccountRegistryOptions): AccountRegistry {
    return new AccountRegistry(o);
  }

  /** The account the platform's executor drives: config accounts.platform, else the primary. */
  platform(): TradingAccount {
    const k = this.o.configured.platform;
    return (k && this.byKey.get(k)) || this.primary;
  }

  /** The account of `key`, if the host knows it. */
  get(key: string): TradingAccount | undefined {
    return this.byKey.get(key);
  }

  list(): TradingAccount[] {
    const rest = [...this.byKey.values()].filter((a) => !a.primary).sort((a, b) => a.key!.localeCompare(b.key!));
    return [this.primary, ...rest];
  }

  /**
   * The account of `key`, made now when new: the primary when no account has claimed it yet (then remembered),
   * else a folder of its own. Synchronous: the bridge asks for a terminal's ledger while it says HELLO.
   */
  account(key: string): TradingAccount {
    const had = this.byKey.get(key);
    if (had) {
      if (had.primary) this.remember(key);
      return had;
    }
    if (this.primary.key === undefined) {
      this.primary.key = key;
      this.byKey.set(key, this.primary);
      this.remember(key);
      this.o.log.info({ account: key, dir: this.primary.dir }, 'primary account: the first to connect');
      return this.primary;
    }
    const dir = join(this.o.dataDir, 'accounts', accountFolder(key));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const marker = join(dir, 'account.json');
    if (existsSync(marker)) {
      const was = (JSON.parse(readFileSync(marker, 'utf8')) as { key?: unknown }).key;
      if (was !== key) throw new AccountsError(`${dir} belongs to ${String(was)}, not ${key}`);
    } else {
      writeFileSync(marker, JSON.stringify({ key }) + '\n', { mode: 0o600 });
    }
    const a = this.open(key, dir);
    this.o.log.info({ account: key, dir: a.dir }, 'a new account: its own state, strategies and limits');
    return a;
  }

  /**
   * The ledger of `key`'s terminal (the bridge's `ledgerFor`). An account whose state cannot be opened gets a
   * ledger that refuses every intent with the reason, and the host goes on with the others.
   */
  ledgerFor(key: string): IntentLedger {
    try {
      return this.account(key).ledger;
    } catch (e) {
      const why = `the state of account ${key} could not be opened: ${(e as Error).message}`;
      this.o.log.error({ account: key, err: (e as Error).message }, 'account not opened: its terminal gets no strategies and every intent on it is refused');
      return refusingLedger(why);
    }
  }

  /** Drive `t`'s account with its manager. False when its account could not be opened (see ledgerFor). */
  attach(t: Terminal, venue: (t: Terminal, a: TradingAccount) => Terminal = (x) => x): TradingAccount | undefined {
    const a = this.byKey.get(t.key);
    if (!a) return undefined;
    if (a.terminal) return a;
    a.terminal = t;
    a.manager.attach(venue(t, a)); // start --paper: the account's paper venue on t's prices
    return a;
  }

  /** Where an account's paper account lives: `<data>/paper` for the primary, beside its state folder for the others. */
  paperDir(key: string): string {
    const a = this.byKey.get(key);
    return !a || a.primary ? join(this.o.dataDir, 'paper') : join(dirname(a.dir), 'paper');
  }

  summary(): AccountSummary[] {
    const platform = this.platform();
    return this.list().map((a) => {
      const t = a.manager.attachedTerminal();
      const acc = t?.account;
      const records = a.manager.list();
      const k = a.manager.killSwitch;
      return {
        key: a.key ?? null, primary: a.primary, platform: a === platform, connected: t?.connected ?? false,
        currency: acc?.currency ?? null, balance: acc?.balance ?? null, equity: acc?.equity ?? null,
        strategies: records.length, running: records.filter((r) => r.status === 'running').length, positions: t?.positions.length ?? 0,
        killSwitch: { locked: k.locked(0), lockedUntil: k.lockedUntil || null },
      };
    });
  }

  /** A backup of every account's state; failures are returned by folder. */
  /** A compaction of every account's state (a compaction writes state.json in slices and links a backup after it). */
  backup(onFailure: (what: string) => void): void {
    for (const a of this.list()) a.store.compact().catch((e: Error) => onFailure(`${a.dir}: ${e.message}`));
  }

  /** Write and close every account's state. */
  async close(): Promise<void> {
    for (const a of this.list()) a.manager.stopWaiting(); // orders waiting for a terminal stay for the next run
    for (const a of this.list()) {
      // a clean stop leaves a complete state.json (the journal emptied into it) and a backup
      await a.store.compact(Date.now(), { retain: false }).catch((e: Error) => this.o.log.error({ account: a.key, err: e.message }, 'state not compacted at stop: the journal keeps every change'));
      await a.store.write();
      await a.store.coreStateWritten();
      a.store.close();
    }
  }

  private open(key: string, stateParent: string): TradingAccount {
    const dir = join(stateParent, 'state');
    const store = Store.openSync(dir, this.o.storeOptions);
    if (store.recovered) this.o.log.error({ account: key, err: store.recovered.message }, 'state restored from a backup');
    const a: TradingAccount = { key, primary: false, dir, store, ledger: new PersistentLedger(store), manager: this.o.manager(store, key), terminal: undefined };
    this.byKey.set(key, a);
    return a;
  }

  private readRemembered(): string | undefined {
    if (!existsSync(this.rememberFile)) return undefined;
    try {
      const p = (JSON.parse(readFileSync(this.rememberFile, 'utf8')) as { primary?: unknown }).primary;
      if (typeof p !== 'string' || !p.includes('@')) throw new Error('"primary" must be "login@server"');
      return p;
    } catch (e) {
      throw new AccountsError(
        `${this.rememberFile}: ${(e as Error).message}; expected {"primary": "login@server"} — the account whose state is ${join(this.o.dataDir, 'state')}. ` +
          'Fix it, or set accounts.primary in the config.',
      );
    }
  }

  /** Write the primary's key to accounts.json (temporary file, rename) unless it is there already. */
  private remember(key: string): void {
    if (this.remembered === key) return;
    try {
      const tmp = `${this.rememberFile}.tmp`;
      writeFileSync(tmp, JSON.stringify({ primary: key }, null, 2) + '\n', { mode: 0o600 });
      renameSync(tmp, this.rememberFile);
      this.remembered = key;
    } catch (e) {
      this.o.log.error({ file: this.rememberFile, err: (e as Error).message }, 'the primary account could not be remembered (it is still the primary in this run)');
    }
  }
}

/** A ledger that records nothing and refuses every intent with `why`. */
function refusingLedger(why: string): IntentLedger {
  return {
    get: () => undefined,
    add: () => Promise.reject(new Error(why)),
    update: () => undefined,
    open: () => [],
  };
}
