/**
 * The data folder's host lock (src/host/state/host-lock.ts): real child processes racing for it round after round —
 * on a free folder, on a stale lock (its process gone), on a lock torn by a crash — and exactly one wins each round,
 * the others refused naming it; a lock left empty or torn by a crash is taken over, one being written is waited for.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireHostLock, claimOf, HostLockedError } from '../../src/host/state/host-lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'mt5x-hostlock-'));
/** The id of a process that has ended. */
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const aMinuteAgo = () => new Date(Date.now() - 60_000);

type Answer = { ready?: true; won?: boolean; name?: string; message?: string; holder?: number; released?: true };

let racers: ChildProcess[] = [];
afterEach(() => {
  for (const c of racers) c.kill();
  racers = [];
});

/** The next message of `c` (fails the test with a message after 15 s: a racer that hangs). */
const next = (c: ChildProcess) =>
  new Promise<Answer>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`racer ${c.pid} did not answer within 15 s`)), 15_000);
    c.once('message', (m: Answer) => (clearTimeout(t), res(m)));
  });

describe('host lock', () => {
  it.each([['hard links', 'links'], ['no hard links (FAT: the fallback)', 'no-links']])('several processes racing for it with %s, 30 rounds (free folder, stale lock, torn lock): exactly one wins each, the others are refused naming it', async (_, mode) => {
    const d = dir();
    const file = join(d, 'host.lock');
    const script = fileURLToPath(new URL('./host-lock-racer.ts', import.meta.url));
    racers = Array.from({ length: 4 }, () => fork(script, [d, mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    await Promise.all(racers.map(next));
    const dead = deadPid();
    for (let round = 0; round < 30; round++) {
      const setup = ['free', 'stale', 'torn'][round % 3]!;
      if (setup === 'stale') writeFileSync(file, JSON.stringify({ pid: dead, startedAt: 'earlier', version: '0.0.1' }));
      if (setup === 'torn') {
        writeFileSync(file, round % 2 ? '' : `{"pid":${dead},"star`);
        utimesSync(file, aMinuteAgo(), aMinuteAgo());
      }
      const answers = racers.map(next);
      const at = Date.now() + 40;
      for (const c of racers) c.send({ at });
      const got = await Promise.all(answers);
      const winners = racers.filter((_, i) => got[i]!.won);
      expect(winners.length, `round ${round} (${setup}): ${JSON.stringify(got)}`).toBe(1);
      const winner = winners[0]!;
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: winner.pid, version: 'race' });
      for (const a of got.filter((x) => !x.won)) expect(a, `round ${round} (${setup})`).toMatchObject({ name: 'HostLockedError', holder: winner.pid });
      const released = next(winner);
      winner.send({ release: true });
      await released;
      expect(readdirSync(d), `round ${round}: nothing left behind`).toEqual([]);
    }
  }, 60_000);

  it('a lock left empty or torn by a crash (its process gone) is taken over; a dead claimant\'s claim does not block', () => {
    for (const text of ['', '{"pid":', `{"pid":${deadPid()},"startedAt":"2026-`]) {
      const d = dir();
      const file = join(d, 'host.lock');
      writeFileSync(file, text);
      utimesSync(file, aMinuteAgo(), aMinuteAgo());
      const release = acquireHostLock(d, 'test');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, version: 'test' });
      expect(() => acquireHostLock(d, 'test')).toThrow(HostLockedError);
      release();
      expect(readdirSync(d)).toEqual([]);
    }
    // a starter died while it held the claim to remove a stale lock: the claim is stale in turn, and removed
    const d = dir();
    const file = join(d, 'host.lock');
    writeFileSync(file, JSON.stringify({ pid: deadPid(), startedAt: 'earlier', version: '0.0.1', nonce: 'n1' }));
    writeFileSync(claimOf(file, 'n1'), JSON.stringify({ pid: deadPid(), startedAt: 'earlier', version: '0.0.1', nonce: 'n2' }));
    const release = acquireHostLock(d, 'test');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
    release();
    expect(readdirSync(d)).toEqual([]);
  });

  it('a lock from before this machine booted (a power cut; its process id now another program\'s) is taken over; the refusal says what to delete', () => {
    const d = dir();
    const file = join(d, 'host.lock');
    const beforeBoot = new Date(Date.now() - uptime() * 1000 - 3_600_000).toISOString();
    // the parent process is alive: only its start time tells the lock is not its
    writeFileSync(file, JSON.stringify({ pid: process.ppid, startedAt: beforeBoot, version: '0.0.1', nonce: 'old' }));
    const release = acquireHostLock(d, 'test');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, version: 'test' });
    release();
    // a live holder that started after the boot is still refused, with what to do if nothing runs
    writeFileSync(file, JSON.stringify({ pid: process.ppid, startedAt: new Date().toISOString(), version: '0.0.1', nonce: 'new' }));
    expect(() => acquireHostLock(d, 'test')).toThrow(`If no mt5-executor runs on this machine (that process id now belongs to another program), delete ${file} and start again.`);
  });

  /** host-lock-faults.ts on a folder: the lock taken once with the file system's answers changed (fault injection). */
  const withFaults = (d: string, spec: object) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./host-lock-faults.ts', import.meta.url)), d, JSON.stringify(spec)], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0 || r.error) throw new Error(`host-lock-faults.ts: ${r.error?.message ?? r.stderr}`);
    return JSON.parse(r.stdout) as { won: boolean; ms: number; holder?: boolean; tries: number; gone?: boolean; message?: string; code?: string };
  };

  it.each(['EXDEV', 'EMLINK', 'ENOSYS', 'EINVAL', 'EACCES'])('a hard link refused with %s: the exclusive create instead (one host still), not a refused start', (code) => {
    const d = dir();
    const got = withFaults(d, { link: code });
    expect(got, JSON.stringify(got)).toMatchObject({ won: true, holder: true, gone: true });
    expect(readdirSync(d)).toEqual([]); // its temporary file removed too
  });

  it('a stale lock another program holds for a moment (EBUSY, EPERM on Windows): its removal is tried again, and the start takes over', () => {
    for (const code of ['EBUSY', 'EPERM']) {
      const d = dir();
      writeFileSync(join(d, 'host.lock'), JSON.stringify({ pid: deadPid(), startedAt: 'earlier', version: '0.0.1', nonce: 'old' }));
      const got = withFaults(d, { unlink: { code, times: 3 }, ...(code === 'EPERM' ? { platform: 'win32' } : {}) });
      expect(got, JSON.stringify(got)).toMatchObject({ won: true, holder: true, gone: true });
      expect(got.tries).toBe(5); // 3 refused, the 4th removed the stale lock; the 5th, its own at the release
      expect(got.ms).toBeGreaterThanOrEqual(350 - 20); // waited 50 + 100 + 200 ms between the tries
    }
    // held for good: refused after the tries, saying what holds it and what to do
    const d = dir();
    const file = join(d, 'host.lock');
    writeFileSync(file, JSON.stringify({ pid: deadPid(), startedAt: 'earlier', version: '0.0.1', nonce: 'old' }));
    const got = withFaults(d, { unlink: { code: 'EBUSY', times: 1_000 } });
    expect(got).toMatchObject({ won: false, code: 'EBUSY', tries: 6 });
    expect(got.message).toBe(
      `cannot remove ${file}: another program is using it (EBUSY), 6 tries over 1.55 s. Another program may be holding it (an antivirus or the search indexer scanning the data folder): start again in a moment. ` +
        `If it keeps failing, exclude ${d} from that program's scans, or check that you may change files in that folder, then delete ${file} by hand if no mt5-executor runs.`,
    );
    expect(readdirSync(d)).toEqual(['host.lock']); // the stale lock stays (held); no claim or temporary file left behind
    // EPERM off Windows is a permission (a sticky folder, an immutable file): said at once, not waited for
    const p = dir();
    const pf = join(p, 'host.lock');
    writeFileSync(pf, JSON.stringify({ pid: deadPid(), startedAt: 'earlier', version: '0.0.1', nonce: 'old' }));
    const perm = withFaults(p, { unlink: { code: 'EPERM', times: 1_000 }, platform: 'linux' });
    expect(perm).toMatchObject({ won: false, code: 'EPERM', tries: 1 });
    expect(perm.message).toBe(`cannot remove ${pf}: not permitted (EPERM): check that you may change files in ${p}, then delete ${pf} by hand if no mt5-executor runs`);
  });

  it('an empty lock just made (a starter writing it where links are refused) is waited for, not taken over at once', () => {
    const d = dir();
    writeFileSync(join(d, 'host.lock'), '');
    const t0 = Date.now();
    const release = acquireHostLock(d, 'test');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500); // taken only once it is older than a write could take
    release();
  });
});
