/** The trading core's state files: written off the event loop's thread, one write at a time, the newest state last; a whole state, then deltas. */
import { appendFileSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { CoreStateFile } from '../../src/host/state/core-state-file.js';
import { StoreCorruptError } from '../../src/host/state/format.js';

const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mt5x-core-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A strategy's risk figures (n in its day's result). */
const srs = (n: number) => ({ day: 1, dayRealized: n, trades: 0, wins: 0, grossProfit: 0, grossLoss: 0, lossStreak: 0, cumulative: 0, cumulativePeak: 0 });
/** A state as the core gives it: whole, or (when allowed) a delta that sets `n` and adds deal `k` (core-state.ts's format). */
const delta = (n: number) => ({ risk: { v: 1, day: 1, dayStartBalance: n, equityPeak: 0, killSwitch: { lockedUntil: 0, reason: '' }, acted: {} }, rs: { [`s${n % 3}`]: srs(n) }, orders: { inflight: [], retry: [], attempts: [] }, halted: {}, managed: {}, deals: [[`t#${n}`, n]], readTo: n });
const whole = (n: number) => ({ v: 1, risk: { ...delta(n).risk, strategies: {} }, orders: delta(n).orders, managed: {}, halted: {}, deals: { seen: {}, readTo: n } });
const text = (n: number) => (ok: boolean) => (ok ? { text: JSON.stringify(delta(n)), delta: true } : { text: JSON.stringify(whole(n)), delta: false });

it('writes the state whole; the states asked for during a write make one more write, of the newest', async () => {
  const f = new CoreStateFile(dir());
  expect(f.read()).toBeUndefined();
  const read: number[] = [];
  const ask = (n: number) => f.write(() => (read.push(n), JSON.stringify(whole(n))));
  const zero = ask(0);
  expect(f.read()).toEqual(whole(0)); // the writer thread is starting: the first write is made here, at once
  await zero;
  await f.ready();
  const first = ask(1);
  expect(read).toEqual([0, 1]); // read when its write starts: at once, none being under way
  const rest = [ask(2), ask(3), ask(4)]; // while 1 is being written
  expect(f.read()).toEqual(whole(0)); // not on the caller's thread
  await Promise.all([first, ...rest]);
  expect(read).toEqual([0, 1, 4]); // 2 and 3 were never read: 4 is newer
  expect(f.read()).toEqual(whole(4));
  expect(existsSync(`${f.file}.tmp`)).toBe(false);
  // later writes start again
  await ask(5);
  expect(f.read()).toEqual(whole(5));
  await f.settled();
});

it('writes nothing when there is nothing new; a failed write rejects and the next one writes', async () => {
  const d = dir();
  const f = new CoreStateFile(d);
  await f.write(() => undefined);
  expect(existsSync(f.file)).toBe(false);
  rmSync(d, { recursive: true });
  await expect(f.write(() => JSON.stringify(whole(1)))).rejects.toThrow(/ENOENT/); // on the calling thread (the writer starting)
  await f.ready();
  await expect(f.write(() => JSON.stringify(whole(1)))).rejects.toThrow(/ENOENT/); // on the writer
  await f.settled();
  const again = new CoreStateFile(dir());
  await again.write(() => JSON.stringify(whole(2)));
  expect(again.read()).toEqual(whole(2));
});

it('close() waits for the write under way and writes the newest state asked for: after it the folder can be removed', async () => {
  for (let round = 0; round < 20; round++) {
    const d = dir();
    const f = new CoreStateFile(d);
    const asked = [f.write(() => JSON.stringify(whole(1))), f.write(() => JSON.stringify(whole(2))), f.write(() => JSON.stringify(whole(3)))];
    if (round % 2) await new Promise((r) => setImmediate(r)); // sometimes the worker has started, sometimes not
    f.close();
    expect(f.read()).toEqual(whole(3));
    expect(existsSync(`${f.file}.tmp`)).toBe(false);
    rmSync(d, { recursive: true }); // nothing is written into it any more
    await Promise.all(asked);
    await expect(f.write(() => '{}')).rejects.toThrow(/closed/);
    await f.settled();
  }
});

// a disk that hangs, as Linux shows it: the writer's temp file is a FIFO nobody reads, so its write blocks in open()
it.runIf(process.platform === 'linux')('close() with a write that does not finish: the newest state written here, whole; the stuck write renamed over nothing', async () => {
  const d = dir();
  const f = new CoreStateFile(d, { closeWaitMs: 300 });
  await f.ready();
  await f.write(() => JSON.stringify(whole(1)));
  execFileSync('mkfifo', [`${f.file}.tmp`]);
  const stuck = f.write(() => JSON.stringify(whole(2)));
  await new Promise((r) => setTimeout(r, 100)); // the writer is blocked opening the FIFO
  const t0 = Date.now();
  f.close();
  expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  await expect(stuck).resolves.toBeUndefined(); // true now: written here
  expect(f.read()).toEqual(whole(2));
  expect(existsSync(`${f.file}.close.tmp`)).toBe(false);
  // the hang ends: the writer's write goes into the FIFO and then fails; nothing is renamed over the state
  const fd = openSync(`${f.file}.tmp`, constants.O_RDONLY | constants.O_NONBLOCK);
  await new Promise((r) => setTimeout(r, 300));
  closeSync(fd);
  await new Promise((r) => setTimeout(r, 200));
  expect(f.read()).toEqual(whole(2));
  expect(JSON.parse(readFileSync(f.file, 'utf8')).state).toEqual(whole(2));
});

it('a damaged file is an error that names it', () => {
  const f = new CoreStateFile(dir());
  writeFileSync(f.file, '{"v":1,');
  expect(() => f.read()).toThrow(StoreCorruptError);
  expect(() => f.read()).toThrow(f.file);
});


it('a whole state first, then deltas appended; read (as after a restart) applies them; the next process starts with a whole state', async () => {
  const d = dir();
  const f = new CoreStateFile(d);
  await f.write(text(1));
  await f.ready();
  for (let n = 2; n <= 5; n++) await f.write(text(n));
  expect(readFileSync(f.lines, 'utf8').trim().split('\n')).toHaveLength(4);
  const want = { ...whole(5), risk: { ...whole(5).risk, strategies: { s2: srs(5), s0: srs(3), s1: srs(4) } }, deals: { seen: { 't#2': 2, 't#3': 3, 't#4': 4, 't#5': 5 }, readTo: 5 } };
  expect(f.read()).toEqual(want);
  f.close();
  const again = new CoreStateFile(d);
  expect(again.read()).toEqual(want);
  await again.write(text(6)); // this process's first write: the whole state, the lines emptied
  expect(readFileSync(again.lines, 'utf8')).toBe('');
  expect(again.read()).toEqual(whole(6));
  again.close();
});

it('a line cut by a crash is ignored; lines of an earlier whole state are not applied; other damage names the file and line', async () => {
  const d = dir();
  const f = new CoreStateFile(d);
  await f.write(text(1));
  await f.write(text(2));
  f.close();
  const lines = join(d, 'core-state.jsonl');
  const good = readFileSync(lines, 'utf8');
  appendFileSync(lines, '{"g":"x","d":{"ri'); // the last write, cut
  expect(new CoreStateFile(d).read()).toMatchObject({ risk: { dayStartBalance: 2 } });
  // a new whole state whose emptying of the lines did not happen: the old lines are not its own
  const gen = (JSON.parse(readFileSync(f.file, 'utf8')) as { gen: string }).gen;
  writeFileSync(f.file, JSON.stringify({ gen: 'other', state: whole(7) }));
  writeFileSync(lines, good);
  expect(new CoreStateFile(d).read()).toEqual(whole(7));
  writeFileSync(f.file, JSON.stringify({ gen, state: whole(1) }));
  writeFileSync(lines, `${good}{"g":"${gen}",\n${good}`);
  expect(() => new CoreStateFile(d).read()).toThrow(StoreCorruptError);
  expect(() => new CoreStateFile(d).read()).toThrow(/core-state\.jsonl is damaged \(line 2:/);
  // a state written before there were deltas is read as it is
  writeFileSync(f.file, JSON.stringify(whole(3)));
  expect(new CoreStateFile(d).read()).toEqual(whole(3));
});

it('the deltas make a whole state again when they outgrow twice it (at least 256 KB), and after a failed write', async () => {
  const d = dir();
  const f = new CoreStateFile(d);
  await f.ready();
  const asked: boolean[] = [];
  const big = (n: number) => (ok: boolean) => (asked.push(ok), ok ? { text: JSON.stringify({ ...delta(n), halted: { pad: { status: 'paused', reason: 'x'.repeat(20_000), at: n } } }), delta: true } : { text: JSON.stringify(whole(n)), delta: false });
  for (let n = 1; n <= 16; n++) await f.write(big(n));
  expect(asked.filter((x) => !x).length).toBe(2); // the first, and the one after 256 KB of deltas (13 of 20 KB: the 15th)
  expect(asked.indexOf(false, 1)).toBe(14);
  expect(f.read()).toMatchObject({ risk: { dayStartBalance: 16 } });
  // the lines' file a folder now: the append fails; the next write is a whole state
  rmSync(f.lines);
  mkdirSync(f.lines);
  await expect(f.write(big(17))).rejects.toThrow(/EISDIR/);
  rmSync(f.lines, { recursive: true });
  asked.length = 0;
  await f.write(big(18));
  expect(asked).toEqual([false]);
  expect(f.read()).toEqual(whole(18));
  f.close();
});

it('kill -9 at a random moment while a process writes its core\'s state: the state read after is the last written or the one being written', async () => {
  for (let round = 0; round < 4; round++) {
    const d = dir();
    const child = fork(fileURLToPath(new URL('./core-state-writer.ts', import.meta.url)), [d], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const states: unknown[] = [];
    const killAt = 20 + Math.floor(Math.random() * 200);
    await new Promise<void>((res) => {
      child.on('message', (m: { state: unknown }) => {
        states.push(m.state);
        if (states.length === killAt) child.kill('SIGKILL');
      });
      child.on('disconnect', () => res()); // after the last message in the channel
    });
    expect(states.length).toBeGreaterThanOrEqual(killAt);
    const got = new CoreStateFile(d).read();
    // the child says a state before asking for its write: what is on disk is the one before it, or it
    const last = states.length - 1;
    expect([states[last], states[last - 1]].map((s) => JSON.stringify(s))).toContain(JSON.stringify(got));
    expect(readFileSync(join(d, 'core-state.jsonl'), 'utf8').length).toBeGreaterThan(0); // deltas were written and read
  }
}, 60_000);

it('JSON that is not the core\'s state or a change of it is damage too: refused naming the file, the line and what was expected (never a TypeError, never an empty core)', async () => {
  const d = dir();
  const f = new CoreStateFile(d);
  await f.write(text(1));
  await f.write(text(2));
  f.close();
  const good = readFileSync(f.lines, 'utf8');
  const gen = (JSON.parse(readFileSync(f.file, 'utf8')) as { gen: string }).gen;
  const refused = (file: string, why: RegExp | string) => {
    let err: unknown;
    try {
      new CoreStateFile(d).read();
    } catch (e) {
      err = e;
    }
    expect(err, String(why)).toBeInstanceOf(StoreCorruptError);
    expect((err as StoreCorruptError).file).toBe(file);
    expect((err as StoreCorruptError).reason).toMatch(why);
  };
  // a line that is JSON but no line of this writer: before, skipped without a word (or a TypeError for null)
  for (const [line, got] of [['[]', 'an array'], ['42', 'a number'], ['{"x":1}', 'an object without "g"'], ['null', 'null'], ['"text"', 'a string']] as const) {
    writeFileSync(f.lines, `${good}${line}\n${good}`);
    refused(f.lines, `line 2: expected a change of the core's state, {"g": "<generation>", "d": {…}}, got ${got}`);
  }
  // a line of this generation whose change is not one: before, a TypeError in applyCoreStateDelta
  for (const [change, why] of [
    [undefined, 'line 2: no change ("d")'],
    [[], /^line 2: expected a change of the trading core's state .*, got an array$/],
    [{}, 'line 2: "d.risk" must be an object (the risk state), got nothing'],
    [{ ...delta(3), rs: { s1: { day: 1 } } }, 'line 2: "d.rs.s1.dayRealized" must be a number, got nothing'],
    [{ ...delta(3), deals: [['t#1']] }, 'line 2: "d.deals[0]" must be [ticket key, time] or [keep-from time], got an array'],
    [{ ...delta(3), managed: { s1: [{ ticket: 12 }] } }, 'line 2: "d.managed.s1[0].ticket" must be a ticket (digits, as a string), got a number'],
    [{ ...delta(3), readTo: '5' }, 'line 2: "d.readTo" must be a number, got a string'],
  ] as const) {
    writeFileSync(f.lines, `${good}${JSON.stringify({ g: gen, ...(change !== undefined ? { d: change } : {}) })}\n`);
    refused(f.lines, why);
  }
  // a line of an earlier whole state is still not applied, whatever it holds
  writeFileSync(f.lines, `${good}{"g":"earlier","d":[]}\n`);
  expect(new CoreStateFile(d).read()).toMatchObject({ risk: { dayStartBalance: 2 } });
  // the whole state: framed or (written before deltas) bare; before, null gave a core without its state and the rest a TypeError
  for (const [body, why] of [
    [{ gen, state: 42 }, /^"state": expected the trading core's state .*, got a number$/],
    [{ gen, state: { ...whole(1), risk: { ...whole(1).risk, equityPeak: null } } }, '"state": "risk.equityPeak" must be a number, got null'],
    [null, /^expected the trading core's state .*, got null$/],
    [[], /^expected the trading core's state .*, got an array$/],
    [{ x: 1 }, '"v" is missing, expected 1 (not a core state of this version)'],
    [{ ...whole(1), orders: { inflight: [{}], retry: [], attempts: [] } }, '"orders.inflight[0].id" must be a string, got nothing'],
    [{ ...whole(1), halted: { s1: 'paused' } }, '"halted.s1" must be { status: paused|stopped, reason, at }, got a string'],
    [{ ...whole(1), orders: { inflight: [], retry: [], attempts: [['x', 1, null]] } }, '"orders.attempts[0]" must be [logical id, tries, ticket?], got an array'], // the writer leaves the ticket out, never null
  ] as const) {
    writeFileSync(f.file, JSON.stringify(body));
    refused(f.file, why);
  }
});

it('the refusal of a damaged core state says what is true — it has no backups, state.json is not involved — and the command that sets only it aside', () => {
  const data = dir();
  const d = join(data, 'state');
  mkdirSync(d);
  const f = new CoreStateFile(d);
  writeFileSync(f.file, '[]');
  let err: Error | undefined;
  try {
    f.read();
  } catch (e) {
    err = e as Error;
  }
  expect(err).toBeInstanceOf(StoreCorruptError); // state recover and the start take it as damage, as before
  expect(err!.message).toMatch(/^\S+core-state\.json is damaged \(expected the trading core's state .*, got an array\): the host does not start with it\. /);
  expect(err!.message).toContain("has no backups — it is rewritten as it changes");
  expect(err!.message).toContain(`run 'mt5-executor state recover --core --data-dir "${data}"' to set it aside (as *.damaged-<time>; state.json and the journal are kept)`);
  expect(err!.message).toContain("the broker day's starting balance and the equity peak are taken again from the account");
  expect(err!.message).not.toMatch(/good backup|--empty|--backup/); // before: "there is no good backup", and --backup/--empty as the way out
});
