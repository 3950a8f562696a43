/**
 * What a Windows trader expects of the host, checked here through the real CLI bundle: one host per data folder,
 * a clean stop on SIGHUP (the console closing), a busy port explained, `token` with the configured port, `login`
 * on MT5X_DATA_DIR and at a hidden prompt, the data folder's defaults, keychain entries per data folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EncryptedFileStore, KeychainStore, keychainService, SERVICE, type EntryClass } from '../../src/host/state/credentials.js';
import { defaultDataDir } from '../../src/host/state/data-dir.js';
import { acquireHostLock, HostLockedError } from '../../src/host/state/host-lock.js';
import { freePort, until } from '../helpers.js';

const BIN = 'dist/mt5-executor.js';
const baseEnv = (dir: string, extra: Record<string, string> = {}) => ({ ...process.env, MT5X_DATA_DIR: dir, MT5X_NO_KEYCHAIN: '1', MT5X_PRIME_AT_START: 'false', MT5X_API_ENABLED: '0', ...extra });

describe('host on Windows terms', () => {
  it('one host per data folder: a second start names the first one; SIGHUP (console closed) stops it cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-lock-'));
    const env = baseEnv(dir, { MT5X_BRIDGE_PORT: String(await freePort()) });
    const child = spawn(process.execPath, [BIN, 'start'], { env });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    let code: unknown;
    try {
      await until(() => out.includes('"host started"'), 20_000, 'host started');
      expect(JSON.parse(readFileSync(join(dir, 'host.lock'), 'utf8'))).toMatchObject({ pid: child.pid });
      const second = spawnSync(process.execPath, [BIN, 'start'], { encoding: 'utf8', env: { ...env, MT5X_BRIDGE_PORT: String(await freePort()) } });
      expect(second.status).toBe(1);
      expect(second.stderr).toContain(`another mt5-executor host (process ${child.pid}, version`);
      expect(second.stderr).toContain('--data-dir');
    } finally {
      child.kill('SIGHUP');
      code = await new Promise((res) => child.on('exit', res));
    }
    expect(code).toBe(0);
    expect(out).toContain('"host stopped"');
    expect(existsSync(join(dir, 'host.lock'))).toBe(false);
  }, 40_000);

  it('a lock left by a process that is gone is taken over; a live one is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-lock-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'host.lock'), JSON.stringify({ pid: Number(dead.stdout), startedAt: 'earlier', version: '0.0.1' }));
    const release = acquireHostLock(dir, 'test');
    expect(JSON.parse(readFileSync(join(dir, 'host.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    expect(() => acquireHostLock(dir, 'test')).toThrow(HostLockedError);
    release();
    expect(existsSync(join(dir, 'host.lock'))).toBe(false);
  });

  it('a busy port is explained with the setting that moves it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-port-'));
    const blocker = createServer();
    const port = await new Promise<number>((res) => blocker.listen(0, '127.0.0.1', () => res((blocker.address() as { port: number }).port)));
    try {
      const r = spawnSync(process.execPath, [BIN, 'start'], { encoding: 'utf8', env: baseEnv(dir, { MT5X_BRIDGE_PORT: String(port) }) });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`the bridge cannot listen on 127.0.0.1:${port}: another program already uses that port`);
      expect(r.stderr).toMatch(/bridge\.port \(or MT5X_BRIDGE_PORT\) in \S+config\.json and the same Port in the EA's inputs/);
      expect(r.stderr).not.toMatch(/^mt5-executor: listen EADDRINUSE/m);
      expect(existsSync(join(dir, 'host.lock'))).toBe(false); // a failed start leaves no lock
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('token shows the port configured in config.json, and the API token on its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-token-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ bridge: { port: 18123 }, api: { port: 18124 } }));
    const r = spawnSync(process.execPath, [BIN, 'token', '--data-dir', dir], { encoding: 'utf8', env: { ...process.env, MT5X_NO_KEYCHAIN: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Port = 18123');
    const api = spawnSync(process.execPath, [BIN, 'token', '--api'], { encoding: 'utf8', env: { ...process.env, MT5X_DATA_DIR: dir, MT5X_NO_KEYCHAIN: '1' } });
    expect(api.stdout).toContain('http://127.0.0.1:18124');
    expect(api.stdout).toContain(new EncryptedFileStore(dir, undefined).get('apiToken'));
  });

  it('login stores into MT5X_DATA_DIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-login-'));
    const secret = 'sk_live_9fQ2vXw7LmN4pR8tZy1aB6cD';
    const r = spawnSync(process.execPath, [BIN, 'login', '--key', 'k-env', '--secret-stdin'], { encoding: 'utf8', input: secret + '\n', env: baseEnv(dir) });
    expect(r.status, r.stderr).toBe(0);
    const store = new EncryptedFileStore(dir, undefined);
    expect([store.get('apiKey'), store.get('apiSecret')]).toEqual(['k-env', secret]);
  });

  it('login in a terminal asks for the secret without showing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-tty-'));
    const secret = 'sk_live_Tty7vXw7LmN4pR8tZy1aB6cQ';
    // script(1) gives the CLI a real pseudo-terminal; what the terminal shows comes back on script's standard output.
    // The secret is typed once the prompt is up (typed earlier, the terminal itself would echo it, as in any shell).
    const child = spawn('script', ['-qec', `${process.execPath} ${BIN} login`, '/dev/null'], { env: baseEnv(dir) });
    let shown = '';
    child.stdout.on('data', (b) => (shown += b));
    await until(() => shown.includes('Platform API key: '), 20_000, 'the key prompt');
    child.stdin.write('k-tty-visible\r');
    await until(() => shown.includes('Platform API secret (not shown):'), 20_000, 'the prompt');
    child.stdin.write(`${secret}\r`);
    expect(await new Promise((res) => child.on('exit', res)), shown).toBe(0);
    expect(shown).toContain('credentials stored in the encrypted file');
    expect(shown).toContain('k-tty-visible'); // the key is shown as typed (the same terminal, so echo works)…
    expect(shown).not.toContain(secret); // …the secret is not
    const store = new EncryptedFileStore(dir, undefined);
    expect([store.get('apiKey'), store.get('apiSecret')]).toEqual(['k-tty-visible', secret]);
  }, 30_000);

  it('the data folder: %APPDATA%\\mt5-executor on Windows; empty or relative XDG_DATA_HOME never means the current folder', () => {
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\t\\AppData\\Roaming' }, 'win32')).toBe('C:\\Users\\t\\AppData\\Roaming\\mt5-executor');
    expect(defaultDataDir({ APPDATA: '' }, 'win32')).toMatch(/AppData\\Roaming\\mt5-executor$/);
    expect(defaultDataDir({ XDG_DATA_HOME: '' }, 'linux')).toBe(join(homedir(), '.local', 'share', 'mt5-executor'));
    expect(defaultDataDir({ XDG_DATA_HOME: 'share' }, 'linux')).toBe(join(homedir(), '.local', 'share', 'mt5-executor'));
  });
});

/** A fixture standing in for the OS keychain (Windows Credential Manager here has no Linux equivalent on CI). */
function fixtureKeychain(): { Entry: EntryClass; items: Map<string, string> } {
  const items = new Map<string, string>();
  class Entry {
    constructor(private readonly service: string, private readonly account: string) {}
    getPassword() {
      return items.get(`${this.service}|${this.account}`) ?? null;
    }
    setPassword(v: string) {
      items.set(`${this.service}|${this.account}`, v);
    }
    deletePassword() {
      return items.delete(`${this.service}|${this.account}`);
    }
  }
  return { Entry, items };
}

describe('keychain entries per data folder', () => {
  it('two data folders do not share a token; the default folder takes over the entries of older versions', async () => {
    const { Entry, items } = fixtureKeychain();
    items.set(`${SERVICE}|bridgeToken`, 'old-token-from-0.0.x');
    const a = mkdtempSync(join(tmpdir(), 'mt5x-kc-a-'));
    const b = mkdtempSync(join(tmpdir(), 'mt5x-kc-b-'));
    expect(keychainService(a)).not.toBe(keychainService(b));
    expect(keychainService('C:\\Users\\T\\AppData\\Roaming\\mt5-executor', 'win32')).toBe(keychainService('c:\\users\\t\\appdata\\roaming\\MT5-EXECUTOR', 'win32'));
    const sa = await KeychainStore.open(a, { legacy: true, Entry });
    const sb = await KeychainStore.open(b, { Entry });
    expect(sa.get('bridgeToken')).toBe('old-token-from-0.0.x');
    expect(items.has(`${SERVICE}|bridgeToken`)).toBe(false);
    expect(sb.get('bridgeToken')).toBeUndefined();
    sb.set('bridgeToken', 'b-token');
    expect(sa.get('bridgeToken')).toBe('old-token-from-0.0.x');
  });
});
