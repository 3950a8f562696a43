/**
 * Secrets (the platform API key and secret, the bridge token): in the OS keychain where one is available
 * (Windows Credential Manager, macOS Keychain, Secret Service), else in an AES-256-GCM encrypted file in the
 * data folder. Never in plain text, never in a log line.
 *
 * The encrypted file's key is derived (scrypt) from MT5_EXECUTOR_MASTER_KEY when set, else from a random key file
 * (`credentials.key`, mode 0600) kept apart from `credentials.enc`: the credentials file alone — in a backup, a
 * bug report, a synced folder — is useless. Someone who can read the whole data folder as the trader's user can
 * read the secrets; that is what the OS keychain is for.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultDataDir } from './data-dir.js';
import { loadNativeBeside } from '../paths.js';

export const SERVICE = 'mt5-executor';

export interface CredentialStore {
  readonly kind: 'keychain' | 'encrypted-file';
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  delete(name: string): void;
}

/** The OS keychain via @napi-rs/keyring; throws if the platform has none usable. */
export type EntryClass = new (service: string, account: string) => { getPassword(): string | null; setPassword(v: string): void; deletePassword(): boolean };

/** The names the host keeps in a credential store (moved from the un-namespaced service by the default data folder). */
export const SECRET_NAMES = ['bridgeToken', 'apiToken', 'apiKey', 'apiSecret'] as const;

/**
 * The keychain service for a data folder: `mt5-executor/<12 hex of its path>`. Two data folders (two accounts,
 * two executors) never share a token or API key; the folder is named by its absolute path, case-folded on
 * Windows where paths are case-insensitive.
 */
export function keychainService(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  let p = resolve(dataDir).replace(/[\\/]+$/, '');
  if (platform === 'win32') p = p.toLowerCase();
  return `${SERVICE}/${createHash('sha256').update(p, 'utf8').digest('hex').slice(0, 12)}`;
}

/** The keychain binding: the addon shipped beside the program (release builds), else @napi-rs/keyring from node_modules. */
async function loadKeyring(): Promise<{ Entry: EntryClass }> {
  return loadNativeBeside<{ Entry: EntryClass }>('keyring') ?? ((await import('@napi-rs/keyring')) as unknown as { Entry: EntryClass });
}

export class KeychainStore implements CredentialStore {
  readonly kind = 'keychain' as const;
  private constructor(private readonly Entry: EntryClass, readonly service: string) {}

  /**
   * `legacy`: also move entries kept under the un-namespaced service `mt5-executor` (versions before the
   * per-folder namespace) into this folder's service — done for the default data folder only.
   * `Entry` replaces the OS binding (tests use a fixture standing in for the OS keychain).
   */
  static async open(dataDir: string, opts: { legacy?: boolean; Entry?: EntryClass } = {}): Promise<KeychainStore> {
    const Entry = opts.Entry ?? (await loadKeyring()).Entry;
    const store = new KeychainStore(Entry, keychainService(dataDir));
    // a round trip proves the keychain is really there (a headless Linux has the library but no Secret Service)
    const probe = `probe-${randomBytes(4).toString('hex')}`;
    store.set(probe, 'ok');
    const back = store.get(probe);
    store.delete(probe);
    if (back !== 'ok') throw new Error('keychain round trip failed');
    if (opts.legacy) {
      const old = new KeychainStore(Entry, SERVICE);
      for (const name of SECRET_NAMES) {
        const v = old.get(name);
        if (v === undefined) continue;
        if (store.get(name) === undefined) store.set(name, v);
        old.delete(name);
      }
    }
    return store;
  }

  get(name: string): string | undefined {
    try {
      return new this.Entry(this.service, name).getPassword() ?? undefined;
    } catch {
      return undefined;
    }
  }
  set(name: string, value: string): void {
    new this.Entry(this.service, name).setPassword(value);
  }
  delete(name: string): void {
    try {
      new this.Entry(this.service, name).deletePassword();
    } catch {
      /* absent */
    }
  }
}

interface Sealed {
  v: 1;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

/** AES-256-GCM encrypted JSON map in the data folder. */
export class EncryptedFileStore implements CredentialStore {
  readonly kind = 'encrypted-file' as const;
  private readonly file: string;
  private readonly keyFile: string;
  private cache: Record<string, string> | undefined;

  /** Why the OS keychain is not used (when it was tried), for the trader to read in `mt5-executor token`. */
  noKeychainReason: string | undefined;

  constructor(readonly dir: string, private readonly masterKey: string | undefined = process.env.MT5_EXECUTOR_MASTER_KEY) {
    this.file = join(dir, 'credentials.enc');
    this.keyFile = join(dir, 'credentials.key');
  }

  private secret(): Buffer {
    if (this.masterKey) return Buffer.from(this.masterKey, 'utf8');
    if (!existsSync(this.keyFile)) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(this.keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    }
    return Buffer.from(readFileSync(this.keyFile, 'utf8').trim(), 'base64');
  }

  private load(): Record<string, string> {
    if (this.cache) return this.cache;
    if (!existsSync(this.file)) return (this.cache = {});
    let sealed: Sealed;
    try {
      sealed = JSON.parse(readFileSync(this.file, 'utf8')) as Sealed;
    } catch (e) {
      throw new Error(`${this.file} is not a credentials file (${(e as Error).message}); run 'mt5-executor login' to store the credentials again`);
    }
    const key = scryptSync(this.secret(), Buffer.from(sealed.salt, 'base64'), 32);
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    d.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    try {
      const plain = Buffer.concat([d.update(Buffer.from(sealed.data, 'base64')), d.final()]).toString('utf8');
      return (this.cache = JSON.parse(plain) as Record<string, string>);
    } catch {
      throw new Error(`${this.file} cannot be decrypted: the key (credentials.key or MT5_EXECUTOR_MASTER_KEY) does not match; run 'mt5-executor login' to store the credentials again`);
    }
  }

  private save(map: Record<string, string>): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const key = scryptSync(this.secret(), salt, 32);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([c.update(JSON.stringify(map), 'utf8'), c.final()]);
    const sealed: Sealed = { v: 1, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), data: data.toString('base64') };
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(sealed), { mode: 0o600 });
    renameSync(tmp, this.file); // atomic: never a half-written credentials file
    this.cache = map;
  }

  get(name: string): string | undefined {
    return this.load()[name];
  }
  set(name: string, value: string): void {
    this.save({ ...this.load(), [name]: value });
  }
  delete(name: string): void {
    const m = { ...this.load() };
    delete m[name];
    this.save(m);
  }
}

/** The OS keychain when it works (entries namespaced by data folder), else the encrypted file in the data folder. */
export async function openCredentialStore(dataDir: string, opts: { preferKeychain?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CredentialStore> {
  const env = opts.env ?? process.env;
  // MT5X_NO_KEYCHAIN=1: the encrypted file even where a keychain exists (headless servers, tests)
  if (opts.preferKeychain ?? env.MT5X_NO_KEYCHAIN !== '1') {
    try {
      return await KeychainStore.open(dataDir, { legacy: resolve(dataDir) === resolve(defaultDataDir(env)) });
    } catch (e) {
      const file = new EncryptedFileStore(dataDir);
      file.noKeychainReason = (e as Error).message.split('\n')[0];
      return file;
    }
  }
  return new EncryptedFileStore(dataDir);
}

/**
 * Problems with a secret for production use (empty list: fine). Platform-issued secrets are long random strings;
 * anything short or of one character class looks typed by hand.
 */
export function weakSecretProblems(secret: string): string[] {
  const p: string[] = [];
  if (secret.length < 24) p.push(`it is ${secret.length} characters long; at least 24 are expected`);
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(secret)).length;
  if (classes < 2) p.push('it uses a single character class');
  if (/^(.)\1+$/.test(secret)) p.push('it repeats one character');
  if (/^(password|secret|changeme|test|demo)/i.test(secret)) p.push('it starts with a common word');
  return p;
}

/** Replace every occurrence of the given secrets in a text (logs, errors) by a marker. */
export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/** Where the secrets are kept, in words for the trader. */
export function storeDescription(store: CredentialStore, dataDir: string): string {
  if (store.kind === 'keychain') return 'OS keychain';
  const reason = (store as { noKeychainReason?: string }).noKeychainReason;
  return `encrypted file in ${dataDir}${reason ? ` (no OS keychain: ${reason})` : ''}`;
}
