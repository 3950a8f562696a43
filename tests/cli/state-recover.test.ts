/**
 * `mt5-executor state recover` from the built CLI (dist/mt5-executor.js, built by global-setup) against a real
 * host process (tests/host-process.ts): refused while the host holds the data folder's lock, the running host's
 * state untouched; on a sound state `--backup latest` changes nothing and says so; an explicit rollback keeps
 * the sound files aside as `*.replaced-<time>`, a damaged state's as `*.damaged-<time>`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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

const recover = (dataDir: string, ...args: string[]) =>
  spawnSync(process.execPath, ['dist/mt5-executor.js', 'state', 'recover', ...args], { encoding: 'utf8', env: { ...process.env, MT5X_DATA_DIR: dataDir, MT5X_NO_KEYCHAIN: '1' } });

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
      expect(r.stderr).toBe(`state recover: refused: a host (process ${h.child()!.pid}, started ${JSON.parse(readFileSync(join(h.dir, 'host.lock'), 'utf8')).startedAt}) is running on the data folder ${h.dir}; stop it first (close its window or Ctrl-C), then run state recover again. Nothing was changed.\n`);
    }
    expect(stateFiles(h.dir)).toEqual(before); // nothing moved aside, nothing replaced
    expect(JSON.parse(readFileSync(join(h.dir, 'host.lock'), 'utf8'))).toMatchObject({ pid: h.child()!.pid }); // still the host's lock
    const listed = (await h.call('GET', '/strategies')).body as unknown as { id: string }[];
    expect(listed.map((s) => s.id)).toEqual([strategy.strategyId]);
    await h.stop();
    // the stopped host's state holds its strategy: the refused recovers lost nothing
    expect(Object.keys(JSON.parse(readFileSync(join(h.dir, 'state', 'state.json'), 'utf8')).strategies)).toEqual([strategy.strategyId]);
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
});
