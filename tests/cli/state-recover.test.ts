/**
 * `mt5-executor state recover` from the built CLI (dist/mt5-executor.js, built by global-setup) against a real
 * host process (tests/host-process.ts): refused while the host holds the data folder's lock, the running host's
 * state untouched; on a sound state `--backup latest` changes nothing and says so; an explicit rollback keeps
 * the sound files aside as `*.replaced-<time>`, a damaged state's as `*.damaged-<time>`; a mistyped data folder
 * is refused and not made; a file that cannot be read is one line naming it, nothing changed; a damaged core state
 * (core-state.json and its lines) is found as the start finds it, and set aside. Every spawn has a timeout.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_POLICY } from '../../src/engine/core/risk-gate.js';
import { TradingCore } from '../../src/engine/core/trading-core.js';
import { CoreStateFile } from '../../src/host/state/core-state-file.js';
import { Store } from '../../src/host/state/store.js';
import { hostProcess, type HostProcess } from '../host-process.js';

const strategy = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8')) as Record<string, unknown> & { strategyId: string };

/** A state with one (paused) strategy in the host's data folder before it starts: a state worth keeping. */
async function seedState(dir: string): Promise<void> {
  const s = await Store.open(join(dir, 'state'));
  await s.putStrategy({ id: strategy.strategyId, parameters: strategy, status: 'paused', updatedAt: 1 });
  await s.write();
  s.close();
}

/** The CLI on `dataDir`; one that has not ended within 30 s is killed and fails the test saying so (not a stalled suite). */
function cli(dataDir: string, args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, ['dist/mt5-executor.js', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, MT5X_DATA_DIR: dataDir, MT5X_NO_KEYCHAIN: '1', MT5X_PRIME_AT_START: 'false' } });
  if (r.error) throw new Error(`mt5-executor ${args.join(' ')} did not end within 30 s (${r.error.message}); its stderr: ${r.stderr}`);
  return r;
}
const recover = (dataDir: string, ...args: string[]) => cli(dataDir, ['state', 'recover', ...args]);

/** A real core's state written by CoreStateFile into `stateDir`: a whole state and two delta lines after it. */
async function writeCoreState(stateDir: string): Promise<void> {
  const core = new TradingCore(NO_POLICY);
  const f = new CoreStateFile(stateDir);
  const t0 = Date.UTC(2024, 0, 8, 10) / 1000;
  core.observeAccount(t0, 10_000, 10_000);
  await f.write((delta) => core.changedStateText(delta));
  for (const n of [1, 2]) {
    core.noteDeal(`t#${n}`, t0 + n * 60);
    await f.write((delta) => core.changedStateText(delta));
  }
  f.close();
  expect(readFileSync(join(stateDir, 'core-state.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
}

/** Every file of the state folder (backups apart) with its text: what a recover would change. */
const stateFiles = (dir: string) => Object.fromEntries(readdirSync(join(dir, 'state')).filter((f) => f !== 'backups' && f !== 'archive').sort().map((f) => [f, readFileSync(join(dir, 'state', f), 'utf8')]));

let host: HostProcess | undefined;
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

describe('state recover', () => {
  it('is refused while a host runs on the data folder (its lock): one line naming the folder, exit 1, the host\'s state untouched', async () => {
    const h = (host = await hostProcess({ primeAtStart: false }));
    await seedState(h.dir);
    await h.start();
    const before = stateFiles(h.dir);
    expect(Object.keys(before)).toContain('state.json');
    for (const args of [['--backup', 'latest'], ['--empty'], []]) {
      const r = recover(h.dir, ...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`mt5-executor state recover: refused: a host (process ${h.child()!.pid}, started ${JSON.parse(readFileSync(join(h.dir, 'host.lock'), 'utf8')).startedAt}) is running on the data folder ${h.dir}; stop it first (close its window or Ctrl-C), then run state recover again. Nothing was changed.\n`);
    }
    expect(stateFiles(h.dir)).toEqual(before); // nothing moved aside, nothing replaced
    expect(JSON.parse(readFileSync(join(h.dir, 'host.lock'), 'utf8'))).toMatchObject({ pid: h.child()!.pid }); // still the host's lock
    const listed = (await h.call('GET', '/strategies')).body as unknown as { id: string }[];
    expect(listed.map((s) => s.id)).toEqual([strategy.strategyId]);
    await h.stop();
    // the stopped host's state holds its strategy: the refused recovers lost nothing
    expect(Object.keys(JSON.parse(readFileSync(join(h.dir, 'state', 'state.json'), 'utf8')).strategies)).toEqual([strategy.strategyId]);
  }, 60_000);

  it("a secondary account's folder (<data>/accounts/<name>) is guarded by the lock of the host that runs it: refused while that host runs, the account's state untouched", async () => {
    const h = (host = await hostProcess({ primeAtStart: false }));
    await seedState(h.dir); // the primary's state
    const acct = join(h.dir, 'accounts', '7001@Demo');
    mkdirSync(acct, { recursive: true });
    writeFileSync(join(acct, 'account.json'), JSON.stringify({ key: '7001@Demo' }) + '\n');
    await seedState(acct); // the host opens it at start, as an account seen before
    await h.start();
    const before = stateFiles(acct);
    const r = recover(h.dir, '--empty', '--data-dir', acct);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mt5-executor state recover: refused: a host (process ${h.child()!.pid}, started ${JSON.parse(readFileSync(join(h.dir, 'host.lock'), 'utf8')).startedAt}) is running on the data folder ${h.dir} (${acct} is one of its accounts); stop it first (close its window or Ctrl-C), then run state recover again. Nothing was changed.\n`);
    expect(stateFiles(acct)).toEqual(before);
    expect(existsSync(join(acct, 'host.lock'))).toBe(false); // no lock of its own taken (that lock guarded nothing)
    // the same folder through a symbolic link, or a trailing separator: still that account's folder
    const link = join(h.dir, 'acct-link');
    symlinkSync(acct, link);
    for (const dir of [link, `${acct}/`]) {
      const viaLink = recover(h.dir, '--empty', '--data-dir', dir);
      expect(viaLink.status, dir).toBe(1);
      expect(viaLink.stderr, dir).toContain(`is running on the data folder ${h.dir} (${dir} is one of its accounts)`);
    }
    expect(stateFiles(acct)).toEqual(before);
    // nor does a host of its own start there: two hosts would run that account's state and ledger
    const own = cli(acct, ['start']);
    expect(own.status).toBe(1);
    expect(own.stderr).toContain(`${acct} is the folder of one of the accounts of the data folder ${h.dir} (its account.json says which): the host of ${h.dir} runs it. Start that one: mt5-executor start --data-dir "${h.dir}"`);
    expect(readdirSync(acct).sort()).toEqual(['account.json', 'state']); // no lock, credentials or logs made there
    await h.stop();
    // with the host stopped the same recover runs on the account's state, and leaves the primary's alone
    const primary = stateFiles(h.dir);
    const ok = recover(h.dir, '--empty', '--data-dir', acct);
    expect(ok.status, ok.stderr).toBe(0);
    expect(stateFiles(h.dir)).toEqual(primary);
    expect(readdirSync(join(acct, 'state')).some((f) => f.startsWith('state.json.replaced-'))).toBe(true);
  }, 60_000);

  it('a sound state: --backup latest says it is fine and changes nothing; a rollback to a named backup (or --empty) keeps it aside as .replaced-, never .damaged-', async () => {
    const h = (host = await hostProcess({ primeAtStart: false }));
    await seedState(h.dir);
    await h.start();
    await h.stop();
    const before = stateFiles(h.dir);
    const latest = recover(h.dir, '--backup', 'latest');
    expect(latest.status).toBe(1);
    expect(latest.stdout).toMatch(/^The state is fine: the host starts from it as it is \(state\.json\)\. Nothing was changed\.\n--backup latest would make \S+state-\S+\.json the state .*\*\.replaced-<time>\. To roll back anyway, name it: mt5-executor state recover --backup \S+\n$/);
    expect(stateFiles(h.dir)).toEqual(before);
    const listing = recover(h.dir);
    expect(listing.stdout).toContain('The state is fine');

    const oldest = readdirSync(join(h.dir, 'state', 'backups')).sort()[0]!;
    const rolled = recover(h.dir, '--backup', join(h.dir, 'state', 'backups', oldest));
    expect(rolled.status).toBe(0);
    expect(rolled.stdout).toMatch(/now holds the backup .*; kept aside \(the state it replaced was sound\): \S+state\.json\.replaced-/);
    const names = readdirSync(join(h.dir, 'state'));
    const aside = names.find((f) => f.startsWith('state.json.replaced-'))!;
    expect(readFileSync(join(h.dir, 'state', aside), 'utf8')).toBe(before['state.json']); // the good file, kept whole
    expect(names.filter((f) => f.includes('damaged'))).toEqual([]);

    const emptied = recover(h.dir, '--empty');
    expect(emptied.status).toBe(0);
    expect(emptied.stdout).toMatch(/EMPTY state; kept aside \(the state it replaced was sound\): \S+state\.json\.replaced-/);
    expect(readdirSync(join(h.dir, 'state')).filter((f) => f.includes('damaged'))).toEqual([]);
  }, 60_000);

  it("a sound trading core's state is kept by --empty and by a rollback (its kill-switch lock stays in force: a recover never goes round a limit); --core refuses a sound one", async () => {
    const h = (host = await hostProcess({ primeAtStart: false }));
    await seedState(h.dir);
    await h.start();
    await h.stop();
    const dir = join(h.dir, 'state');
    // a sound core state whose kill-switch lock is in force for a year
    const core = new TradingCore(NO_POLICY);
    const f = new CoreStateFile(dir);
    const now = Math.floor(Date.now() / 1000);
    core.observeAccount(now, 10_000, 10_000);
    core.gate.lock(now, 'locked by the test', 365 * 86_400);
    await f.write((delta) => core.changedStateText(delta));
    f.close();
    const coreBefore = readFileSync(join(dir, 'core-state.json'), 'utf8');
    const killSwitch = async () => ((await h.call('GET', '/risk')).body as unknown as { killSwitch: { locked: boolean; reason: string } }).killSwitch;
    await h.start();
    expect(await killSwitch()).toMatchObject({ locked: true, reason: 'locked by the test' }); // the lock is in force
    await h.stop();
    const before = stateFiles(h.dir);
    // --core: nothing to repair, refused; not with another choice
    const core1 = recover(h.dir, '--core');
    expect(core1.status).toBe(1);
    expect(core1.stderr).toMatch(/^mt5-executor state recover: the trading core's state \(\S+core-state\.json, \S+core-state\.jsonl\) is sound: nothing to set aside \(a recover keeps a sound one, whatever the choice\)\. Nothing was changed\.\n$/);
    expect(recover(h.dir, '--core', '--empty').status).toBe(2);
    expect(stateFiles(h.dir)).toEqual(before);
    // a rollback keeps it: it is the account's newest
    const oldest = readdirSync(join(dir, 'backups')).sort()[0]!;
    const rolled = recover(h.dir, '--backup', join(dir, 'backups', oldest));
    expect(rolled.status, rolled.stderr).toBe(0);
    expect(rolled.stdout).toMatch(/; the trading core's state \(\S+core-state\.json, \S+core-state\.jsonl\) is kept: it is this account's newest/);
    expect(readFileSync(join(dir, 'core-state.json'), 'utf8')).toBe(coreBefore);
    // --empty: the store starts empty, the core's state is kept, said in the output
    const emptied = recover(h.dir, '--empty');
    expect(emptied.status, emptied.stderr).toBe(0);
    expect(emptied.stdout).toMatch(/EMPTY state; kept aside \(the state it replaced was sound\): \S+state\.json\.replaced-\S+; the trading core's state \(\S+core-state\.json, \S+core-state\.jsonl\) is kept: it is this account's newest/);
    expect(emptied.stdout).not.toContain('The trading core starts without its state');
    expect(readdirSync(dir).filter((x) => x.startsWith('core-state')).sort()).toEqual(['core-state.json', 'core-state.jsonl']);
    expect(readFileSync(join(dir, 'core-state.json'), 'utf8')).toBe(coreBefore);
    // the host starts from the empty state with the core's lock still in force
    await h.start();
    expect(await killSwitch()).toMatchObject({ locked: true, reason: 'locked by the test' });
  }, 60_000);

  it('a damaged journal line: --backup latest rolls back and keeps the files aside as .damaged-', async () => {
    const h = (host = await hostProcess({ primeAtStart: false }));
    await h.start();
    await h.stop();
    writeFileSync(join(h.dir, 'state', 'ledger.jsonl'), '{"op":"add", damaged\n{"op":"outbox-shift","upTo":1}\n');
    const listing = recover(h.dir);
    expect(listing.stdout).toMatch(/The state is damaged: \S+ledger\.jsonl, line 1: /);
    const r = recover(h.dir, '--backup', 'latest');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/kept aside: \S+state\.json\.damaged-\S+, \S+ledger\.jsonl\.damaged-/);
  }, 60_000);

  it('the state\'s own state.json named as the backup is refused before anything moves (it is one of the files a recover sets aside)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mt5x-recover-'));
    await seedState(dataDir);
    const before = stateFiles(dataDir);
    const own = join(dataDir, 'state', 'state.json');
    const r = recover(dataDir, '--backup', own);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${own} is the state file itself, which a recover sets aside: choose a backup in ${join(dataDir, 'state', 'backups')}, or --empty`);
    expect(stateFiles(dataDir)).toEqual(before);
  });

  it('no state.json but a journal: checked as the start replays it — a damaged line is reported (the start refuses it too), sound lines say the state is fine', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mt5x-recover-'));
    const dir = join(dataDir, 'state');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ledger.jsonl'), '{"op":"add", damaged\n{"op":"outbox-shift","upTo":1}\n');
    const listing = recover(dataDir);
    expect(listing.stdout).toMatch(/The state is damaged: \S+ledger\.jsonl, line 1: /);
    await expect(Store.open(dir)).rejects.toThrow(/ledger\.jsonl, line 1/);
    writeFileSync(join(dir, 'ledger.jsonl'), '{"op":"outbox-shift","upTo":1}\n');
    expect(recover(dataDir).stdout).toContain('The state is fine');
  });

  it('a mistyped data folder is refused, not made: "no data folder at <path>", exit 1, nothing created', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'mt5x-recover-')), 'mt5-executr', 'data');
    for (const args of [[], ['--empty'], ['--backup', 'latest']]) {
      const r = recover(missing, ...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`mt5-executor state recover: no data folder at ${missing}: check the path (--data-dir, or MT5X_DATA_DIR). Nothing was created or changed.\n`);
      expect(existsSync(join(missing, '..'))).toBe(false);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'mt5x-recover-')), 'a-file');
    writeFileSync(file, 'x');
    const r = recover(file, '--empty');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mt5-executor state recover: ${file} is a file, not a data folder: check the path (--data-dir, or MT5X_DATA_DIR). Nothing was changed.\n`);
    expect(readFileSync(file, 'utf8')).toBe('x');
  }, 60_000);

  it('a state that cannot be read (ENOTDIR, EISDIR) is one line naming the path and what is wrong, nothing changed — not taken for damage and replaced', async () => {
    const h = (host = await hostProcess({ primeAtStart: false }));
    await seedState(h.dir);
    const stateJson = join(h.dir, 'state', 'state.json');
    const before = readFileSync(stateJson, 'utf8');
    const kept = join(h.dir, 'state-kept');
    // state.json a folder: reading it fails (EISDIR); the old check called that damage and --backup latest replaced it
    renameSync(stateJson, kept);
    mkdirSync(stateJson);
    for (const args of [[], ['--backup', 'latest'], ['--empty']]) {
      const r = recover(h.dir, ...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`mt5-executor state recover: cannot read ${stateJson}: it is a folder, not a file (EISDIR). Nothing was changed.\n`);
    }
    expect(readdirSync(join(h.dir, 'state')).filter((f) => /damaged|replaced/.test(f))).toEqual([]);
    expect(readdirSync(stateJson)).toEqual([]);
    // the state folder a file: listing it fails (ENOTDIR)
    rmSync(stateJson, { recursive: true });
    renameSync(kept, stateJson);
    renameSync(join(h.dir, 'state'), kept);
    writeFileSync(join(h.dir, 'state'), 'not a folder');
    const r = recover(h.dir, '--empty');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^mt5-executor state recover: cannot \\w[^:]* ${join(h.dir, 'state').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\S*: a part of that path is a file, not a folder \\(ENOTDIR\\)\\. Nothing was changed\\.\n$`));
    expect(readFileSync(join(h.dir, 'state'), 'utf8')).toBe('not a folder');
    expect(readFileSync(join(kept, 'state.json'), 'utf8')).toBe(before);
    expect(existsSync(join(h.dir, 'host.lock'))).toBe(false); // the lock it took is released
  }, 60_000);

  for (const [what, damage, named] of [
    ['a damaged delta line', (d: string) => writeFileSync(join(d, 'core-state.jsonl'), readFileSync(join(d, 'core-state.jsonl'), 'utf8').replace(/^\{"g":/, '{"g" torn')), /core-state\.jsonl is damaged \(line 1: [^)]*\)/],
    ['a torn whole state', (d: string) => truncateSync(join(d, 'core-state.json'), 40), /core-state\.json is damaged \([^)]*JSON[^)]*\)/],
    // JSON, but not what the core wrote: before, skipped without a word ([] as a line) or an empty core (null as the whole state)
    ['a line that is JSON but no change', (d: string) => writeFileSync(join(d, 'core-state.jsonl'), readFileSync(join(d, 'core-state.jsonl'), 'utf8').replace(/^[^\n]*/, '[]')), /core-state\.jsonl is damaged \(line 1: expected a change of the core's state, \{"g": "<generation>", "d": \{…\}\}, got an array\)/],
    ['a whole state that is null', (d: string) => writeFileSync(join(d, 'core-state.json'), 'null'), /core-state\.json is damaged \(expected the trading core's state \(an object with "v": 1, "risk", "orders", "managed", "halted"\), got null\)/],
  ] as const) {
    it(`the trading core's state with ${what}: the start refuses it, state recover says so naming the file (and line), --core (or --backup latest) sets only it aside and the host starts`, async () => {
      const h = (host = await hostProcess({ primeAtStart: false }));
      await seedState(h.dir);
      await h.start();
      await h.stop();
      const dir = join(h.dir, 'state');
      await writeCoreState(dir);
      damage(dir);
      const stateBefore = readFileSync(join(dir, 'state.json'), 'utf8');
      // the start refuses it (the same reader: CoreStateFile.read)
      const start = cli(h.dir, ['start']);
      expect(start.status).toBe(1);
      expect(start.stderr).toContain(`${join(dir, what.includes('line') ? 'core-state.jsonl' : 'core-state.json')} is damaged (`);
      expect(start.stderr).toContain(`run 'mt5-executor state recover --core --data-dir "${h.dir}"' to set it aside`); // the command, as it must be typed
      expect(start.stderr).not.toContain('good backup'); // it has none by design: not "no good backup" as if one were missing
      const listing = recover(h.dir);
      expect(listing.status).toBe(1);
      expect(listing.stdout).toMatch(new RegExp(`The state is damaged: the trading core's state \\S+${named.source}\\.\\n`));
      expect(listing.stdout).toContain('--core keeps state.json and the journal (they are sound) and sets');
      expect(listing.stdout).toContain("Choose: --core to set aside only the trading core's damaged state (state.json and the journal are sound and kept); --backup <file> or --empty would also replace the sound state.json.\n");
      // --core says what it does; --backup latest, when state.json is sound, does the same (as before there was --core)
      const r = recover(h.dir, ...(what.includes('line') ? ['--core'] : ['--backup', 'latest']));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^the trading core's damaged state is kept aside: \S+core-state\.json\.damaged-\S+, \S+core-state\.jsonl\.damaged-\S+; the core starts without it\. \S+state\.json and the journal were sound: kept as they are\nThe trading core starts without its state: .* pauses, a kill-switch lock and exits waiting for a retry are forgotten \(check the terminal first\)\.\n$/);
      expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(stateBefore); // the sound state is not rolled back
      expect(readdirSync(dir).filter((f) => f.startsWith('core-state')).sort()).toEqual([expect.stringMatching(/^core-state\.json\.damaged-/), expect.stringMatching(/^core-state\.jsonl\.damaged-/)]);
      expect(recover(h.dir).stdout).toContain('The state is fine');
      await h.start(); // and the host starts, its strategy restored
      const listed = (await h.call('GET', '/strategies')).body as unknown as { id: string }[];
      expect(listed.map((s) => s.id)).toEqual([strategy.strategyId]);
    }, 60_000);
  }

  it('a damaged core state and a damaged state.json: --empty sets both aside as .damaged-', async () => {
    const h = (host = await hostProcess({ primeAtStart: false }));
    await h.start();
    await h.stop();
    const dir = join(h.dir, 'state');
    await writeCoreState(dir);
    writeFileSync(join(dir, 'core-state.json'), '{"gen":');
    writeFileSync(join(dir, 'state.json'), '{"version":');
    const listing = recover(h.dir);
    expect(listing.stdout).toMatch(/The state is damaged: \S+state\.json: .*; and the trading core's state \S+core-state\.json is damaged \(/);
    expect(listing.stdout).toContain('--backup or --empty also sets');
    const r = recover(h.dir, '--empty');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/EMPTY state; kept aside: \S+state\.json\.damaged-\S+; the trading core's damaged state is kept aside too: \S+core-state\.json\.damaged-\S+, \S+core-state\.jsonl\.damaged-\S+ — the core starts without it\nThe trading core starts without its state: /);
    expect(recover(h.dir).stdout).toContain('The state is fine');
  }, 60_000);

  it('--core with state.json damaged too: only the core\'s state is set aside, and it says the rest is still damaged', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mt5x-recover-')), 'state');
    mkdirSync(dir);
    await writeCoreState(dir);
    writeFileSync(join(dir, 'core-state.json'), '[]'); // JSON, not a core state
    writeFileSync(join(dir, 'state.json'), '{"version":');
    const now = Date.UTC(2026, 0, 2, 3, 4, 5);
    const said = Store.recover(dir, { core: true }, now);
    expect(said).toMatch(/^the trading core's damaged state is kept aside: \S+core-state\.json\.damaged-2026-01-02T03-04-05-000Z, \S+core-state\.jsonl\.damaged-\S+; the core starts without it\. The rest of the state is damaged too and kept as it is \(\S+state\.json: [^)]*\): choose --backup or --empty for it$/);
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe('{"version":'); // not touched
    expect(() => Store.recover(dir, { core: true }, now)).toThrow(`there is no trading core's state in ${dir}: nothing to set aside. Nothing was changed.`);
  });

  it('all or nothing: a move that fails midway puts back what was moved, and says what failed', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mt5x-recover-')), 'state');
    mkdirSync(dir);
    writeFileSync(join(dir, 'state.json'), '{"version":'); // damaged
    writeFileSync(join(dir, 'ledger.jsonl'), '{"op":"outbox-shift","upTo":1}\n');
    await writeCoreState(dir);
    writeFileSync(join(dir, 'core-state.json'), '{"gen":'); // damaged too
    const now = Date.UTC(2026, 0, 2, 3, 4, 5);
    // where the journal would go is a folder with a file in it: that rename fails (EISDIR/ENOTEMPTY), after state.json's
    const blocker = join(dir, `ledger.jsonl.damaged-${new Date(now).toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(blocker);
    writeFileSync(join(blocker, 'x'), '');
    const before = Object.fromEntries(readdirSync(dir).filter((f) => f !== 'backups').map((f) => [f, f === blocker.split('/').pop() ? 'dir' : readFileSync(join(dir, f), 'utf8')]));
    expect(() => Store.recover(dir, { empty: true }, now)).toThrow(/rename/);
    const after = Object.fromEntries(readdirSync(dir).filter((f) => f !== 'backups').map((f) => [f, f === blocker.split('/').pop() ? 'dir' : readFileSync(join(dir, f), 'utf8')]));
    expect(after).toEqual(before);
  });
});
