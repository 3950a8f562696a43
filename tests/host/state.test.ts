import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/host/config.js';
import { EncryptedFileStore, openCredentialStore, redact, weakSecretProblems } from '../../src/host/state/credentials.js';
import { PersistentLedger, Store, StoreCorruptError } from '../../src/host/state/store.js';
import { MONDAY_10H, makeBroker, startRig } from '../helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mt5x-state-'));

function configProblems(file: object | undefined, env: Record<string, string>): string[] {
  const dir = tmp();
  if (file) writeFileSync(join(dir, 'config.json'), JSON.stringify(file));
  try {
    loadConfig({ env: { MT5X_DATA_DIR: dir, ...env } });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('configuration', () => {
  it('defaults: loopback, debug off, production; the file and the environment override in that order', () => {
    const dir = tmp();
    const c = loadConfig({ env: { MT5X_DATA_DIR: dir } });
    expect(c).toMatchObject({ mode: 'production', debug: false, bridge: { host: '127.0.0.1', port: 17551, allowRemote: false }, api: { host: '127.0.0.1' }, dataDir: dir });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ bridge: { port: 17000 }, platform: { baseUrl: 'https://platform.example.com' } }));
    expect(loadConfig({ env: { MT5X_DATA_DIR: dir } }).bridge.port).toBe(17000);
    expect(loadConfig({ env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: '18000' } }).bridge.port).toBe(18000);
    expect(loadConfig({ env: { MT5X_DATA_DIR: dir } }).platform?.baseUrl).toBe('https://platform.example.com');
    expect(c.primeAtStart).toBe(true);
    expect(loadConfig({ env: { MT5X_DATA_DIR: dir, MT5X_PRIME_AT_START: '0' } }).primeAtStart).toBe(false);
  });

  it('names the key, the problem and where the value came from — all problems at once', () => {
    const p = configProblems({ bridgee: {}, bridge: { port: 70000 } }, { MT5X_API_PORT: 'abc', MT5X_DEBUG: 'yes' });
    expect(p).toContain("api.port: 'abc' is not a number (from MT5X_API_PORT)");
    expect(p).toContain("debug: 'yes' is not true/false (from MT5X_DEBUG)");
    expect(p.some((x) => /^\(config\): unknown key 'bridgee' \(in .*config\.json\)$/.test(x))).toBe(true);
    expect(p.some((x) => /^bridge\.port: .*65535.* \(in .*config\.json\)$/.test(x))).toBe(true);
  });

  it('state retention and compaction: defaults, set in config.json, out-of-range values named', () => {
    const dir = tmp();
    expect(loadConfig({ env: { MT5X_DATA_DIR: dir } }).state).toEqual({ retention: { keepDays: 7, keepCount: 20_000 }, compactEvery: 50_000 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ state: { retention: { keepDays: 30, keepCount: 5000 }, compactEvery: 10_000 } }));
    expect(loadConfig({ env: { MT5X_DATA_DIR: dir } }).state).toEqual({ retention: { keepDays: 30, keepCount: 5000 }, compactEvery: 10_000 });
    const p = configProblems({ state: { retention: { keepDays: 0, keepCount: 10, keepForever: true }, compactEvery: 5 } }, {});
    expect(p.some((x) => /^state\.retention\.keepDays: .*(>0|positive|greater)/i.test(x))).toBe(true);
    expect(p.some((x) => /^state\.retention\.keepCount: .*100/.test(x))).toBe(true);
    expect(p.some((x) => /^state\.compactEvery: .*1000/.test(x))).toBe(true);
    expect(p.some((x) => /keepForever/.test(x))).toBe(true);
  });

  it('refuses plain http in production and CORS *', () => {
    expect(configProblems({ platform: { baseUrl: 'http://platform.example.com' } }, {})[0]).toMatch(/plain http; production needs https/);
    expect(configProblems({ mode: 'development', platform: { baseUrl: 'http://platform.example.com' } }, {})).toEqual([]);
    expect(configProblems({ platform: { baseUrl: 'http://127.0.0.1:3000' } }, {})).toEqual([]);
    expect(configProblems({ api: { corsOrigin: '*' } }, {})[0]).toMatch(/would let any web page drive the executor/);
  });
});

describe('credentials', () => {
  const secret = 'sk_live_9fQ2vXw7LmN4pR8tZy1aB6cD';
  it('encrypts the secret at rest (AES-256-GCM), with its key in a separate 0600 file', () => {
    const dir = tmp();
    const s = new EncryptedFileStore(dir, undefined);
    s.set('apiSecret', secret);
    expect(new EncryptedFileStore(dir, undefined).get('apiSecret')).toBe(secret);
    const onDisk = readdirSync(dir).map((f) => readFileSync(join(dir, f))).map((b) => b.toString('latin1')).join('\n');
    expect(onDisk).not.toContain(secret);
    expect(onDisk).not.toContain(Buffer.from(secret).toString('base64'));
    if (process.platform !== 'win32') expect(statSync(join(dir, 'credentials.key')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    s.delete('apiSecret');
    expect(new EncryptedFileStore(dir, undefined).get('apiSecret')).toBeUndefined();
  });

  it('says clearly when the key does not match, and uses a master key from the environment when given', () => {
    const dir = tmp();
    new EncryptedFileStore(dir, 'correct horse battery staple').set('apiKey', 'k');
    expect(() => new EncryptedFileStore(dir, 'wrong').get('apiKey')).toThrow(/cannot be decrypted: the key .* does not match; run 'mt5-executor login'/);
    expect(new EncryptedFileStore(dir, 'correct horse battery staple').get('apiKey')).toBe('k');
  });

  it('falls back to the encrypted file where no keychain is usable; checks secrets; redacts them', async () => {
    const store = await openCredentialStore(tmp());
    store.set('x', 'y');
    expect(store.get('x')).toBe('y');
    expect((await openCredentialStore(tmp(), { preferKeychain: false })).kind).toBe('encrypted-file');
    expect(weakSecretProblems(secret)).toEqual([]);
    expect(weakSecretProblems('password123')).toEqual(expect.arrayContaining([expect.stringMatching(/11 characters long/), expect.stringMatching(/common word/)]));
    expect(redact(`auth failed for ${secret}!`, [secret])).toBe('auth failed for [redacted]!');
  });
});

describe('store', () => {
  it('keeps strategies (with a real delete), an audit trail, and 64-bit tickets exactly', async () => {
    const dir = tmp();
    const s = await Store.open(dir);
    await s.putStrategy({ id: 'a', parameters: { x: 1 }, status: 'running', updatedAt: 1 });
    await s.putStrategy({ id: 'b', parameters: {}, status: 'stopped', updatedAt: 2 });
    expect(await s.deleteStrategy('b', 3)).toBe(true);
    const ledger = new PersistentLedger(s);
    await ledger.add({ intentId: 'i1', terminal: 't', intent: { type: 'CLOSE', intentId: 'i1', magic: 1, ticket: 2n ** 64n - 1n, volume: 0, deviation: 0 }, state: 'pending', createdAt: 0, attempts: 0 });
    const again = await Store.open(dir);
    expect(Object.keys(again.data.strategies)).toEqual(['a']);
    expect(again.data.audit.map((x) => x.event)).toEqual(['strategy', 'strategy', 'strategy deleted']);
    const e = again.data.intents.i1!;
    expect(e.intent.type === 'CLOSE' && e.intent.ticket).toBe(2n ** 64n - 1n);
  });

  it('restores a corrupt state file from the newest good backup — never a silent reset — and keeps the broken file', async () => {
    const dir = tmp();
    const s = await Store.open(dir);
    await s.putStrategy({ id: 'kept', parameters: {}, status: 'running', updatedAt: 1 });
    s.backup(3, Date.UTC(2099, 0, 1));
    await s.putStrategy({ id: 'later', parameters: {}, status: 'running', updatedAt: 2 });
    writeFileSync(join(dir, 'state.json'), '{"version":1,"strategies":{'); // a torn write that atomic writes prevent, or disk damage
    const r = await Store.open(dir);
    expect(r.recovered).toBeInstanceOf(StoreCorruptError);
    expect(r.recovered!.message).toMatch(/was corrupt .* restored from the backup .*state-2099-01-01/);
    // the backup, then the journal's newer changes over it: nothing written since the start is lost
    expect(Object.keys(r.data.strategies)).toEqual(['kept', 'later']);
    expect(readdirSync(dir).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
    const lone = tmp();
    writeFileSync(join(lone, 'state.json'), 'garbage');
    // the refusal says what is true of the backups, and the command as it must be typed (this folder is not the default)
    const cmd = `mt5-executor state recover --empty --data-dir "${dirname(lone)}"`;
    await expect(Store.open(lone)).rejects.toThrow(`is corrupt (Unexpected token 'g', "garbage" is not valid JSON) and there is no backup in ${join(lone, 'backups')}: the host will not start with an empty state`);
    await expect(Store.open(lone)).rejects.toThrow(cmd);
    // backups there, none of them a state: not "no backup", and not "no good backup" as if there were none
    mkdirSync(join(lone, 'backups'));
    writeFileSync(join(lone, 'backups', 'state-2099-01-01T00-00-00-000Z.json'), '[]');
    writeFileSync(join(lone, 'backups', 'state-2099-01-02T00-00-00-000Z.json'), '{"version":');
    await expect(Store.open(lone)).rejects.toThrow(`and none of the 2 backups in ${join(lone, 'backups')} reads as a state: the host will not start with an empty state`);
  });

  it('keeps the newest backups only', async () => {
    const s = await Store.open(tmp());
    await s.write();
    for (let i = 0; i < 5; i++) s.backup(3, Date.UTC(2099, 0, 1, i));
    expect(readdirSync(s.backupDir).sort()).toEqual(['state-2099-01-01T02-00-00-000Z.json', 'state-2099-01-01T03-00-00-000Z.json', 'state-2099-01-01T04-00-00-000Z.json']);
  });

  it('with the persistent ledger, an intent is on disk before it executes, and a restarted host never sends it twice', async () => {
    const dir = tmp();
    const store = await Store.open(dir);
    const rig = await startRig({ ledger: new PersistentLedger(store) });
    let sim;
    try {
      const broker = makeBroker();
      broker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
      let onDiskAtExecution = false;
      const c = await rig.connect({ broker });
      sim = c.sim;
      // the journal line is written before the intent leaves the host
      sim.on('intent', () => (onDiskAtExecution = readFileSync(store.journalFile, 'utf8').includes('"persisted-1"')));
      const r = await c.terminal.sendIntent({ type: 'OPEN', intentId: 'persisted-1', magic: 1, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 });
      expect(r.class).toBe('done');
      expect(onDiskAtExecution).toBe(true);
    } finally {
      await rig.close();
    }
    store.close(); // no state.json write at all: the journal alone carries the ledger to the next run
    // a new host process on the same state: the journal is applied, the same intent id is answered from the ledger, not sent
    const store2 = await Store.open(dir);
    expect(store2.replayedJournal).toBeGreaterThanOrEqual(3); // add, sent, settled
    expect(store2.data.intents['persisted-1']!.state).toBe('settled');
    expect(typeof store2.data.intents['persisted-1']!.result!.position).toBe('bigint');
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toContain('"persisted-1"');
    expect(readFileSync(store2.journalFile, 'utf8')).toBe('');
    const rig2 = await startRig({ ledger: new PersistentLedger(store2) });
    try {
      const broker = makeBroker();
      broker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
      const c = await rig2.connect({ broker });
      const r = await c.terminal.sendIntent({ type: 'OPEN', intentId: 'persisted-1', magic: 1, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 });
      expect(r.duplicate).toBe(true);
      expect(c.sim.ea.orderSends).toBe(0);
    } finally {
      await rig2.close();
    }
    expect(existsSync(join(dir, 'state.json.tmp'))).toBe(false);
  });

  it('ignores a torn last journal line (the process died writing it) and refuses a damaged one in the middle', async () => {
    const dir = tmp();
    const entry = (id: string) => JSON.stringify({ op: 'add', entry: { intentId: id, terminal: 't', intent: { type: 'CANCEL', intentId: id, magic: 0, ticket: { $bigint: '5' } }, state: 'pending', createdAt: 1, attempts: 0 } });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ledger.jsonl'), `${entry('a')}\n${entry('b').slice(0, 40)}`);
    const s = await Store.open(dir);
    expect(Object.keys(s.data.intents)).toEqual(['a']);
    expect(s.data.intents.a!.intent).toMatchObject({ ticket: 5n });
    const dir2 = tmp();
    mkdirSync(dir2, { recursive: true });
    writeFileSync(join(dir2, 'ledger.jsonl'), `${entry('a')}\n{broken\n${entry('c')}\n`);
    await expect(Store.open(dir2)).rejects.toThrow(/ledger.jsonl, line 2: not a complete journal entry/);
    // a damaged last line that was written whole (newline after it) is refused too
    const dir3 = tmp();
    mkdirSync(dir3, { recursive: true });
    writeFileSync(join(dir3, 'ledger.jsonl'), `${entry('a')}\n{broken\n`);
    await expect(Store.open(dir3)).rejects.toThrow(/line 2: not a complete journal entry/);
  });
});

describe('the store is reached through its methods', () => {
  it('no module outside src/host/state/ reads or writes store.data', () => {
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, f.name);
        if (f.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.split(/[\\/]/).join('/').includes('src/host/state/')) {
          readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
            if (/\bstore\.data\b/.test(line)) offenders.push(`${p}:${i + 1}: ${line.trim()}`);
          });
        }
      }
    };
    walk('src');
    expect(offenders).toEqual([]);
  });
});
