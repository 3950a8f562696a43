/** The trading core's state file: written off the event loop's thread, one write at a time, the newest state last. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

it('writes the state whole; the states asked for during a write make one more write, of the newest', async () => {
  const f = new CoreStateFile(dir());
  expect(f.read()).toBeUndefined();
  const read: number[] = [];
  const ask = (n: number) => f.write(() => (read.push(n), JSON.stringify({ v: 1, n })));
  const zero = ask(0);
  expect(f.read()).toEqual({ v: 1, n: 0 }); // the writer thread is starting: the first write is made here, at once
  await zero;
  await f.ready();
  const first = ask(1);
  expect(read).toEqual([0, 1]); // read when its write starts: at once, none being under way
  const rest = [ask(2), ask(3), ask(4)]; // while 1 is being written
  expect(f.read()).toEqual({ v: 1, n: 0 }); // not on the caller's thread
  await Promise.all([first, ...rest]);
  expect(read).toEqual([0, 1, 4]); // 2 and 3 were never read: 4 is newer
  expect(f.read()).toEqual({ v: 1, n: 4 });
  expect(existsSync(`${f.file}.tmp`)).toBe(false);
  // later writes start again
  await ask(5);
  expect(f.read()).toEqual({ v: 1, n: 5 });
  await f.settled();
});

it('writes nothing when there is nothing new; a failed write rejects and the next one writes', async () => {
  const d = dir();
  const f = new CoreStateFile(d);
  await f.write(() => undefined);
  expect(existsSync(f.file)).toBe(false);
  rmSync(d, { recursive: true });
  await expect(f.write(() => '{"n":1}')).rejects.toThrow(/ENOENT/); // on the calling thread (the writer starting)
  await f.ready();
  await expect(f.write(() => '{"n":1}')).rejects.toThrow(/ENOENT/); // on the writer
  await f.settled();
  const again = new CoreStateFile(dir());
  await again.write(() => '{"n":2}');
  expect(JSON.parse(readFileSync(again.file, 'utf8'))).toEqual({ n: 2 });
});

it('close() waits for the write under way and writes the newest state asked for: after it the folder can be removed', async () => {
  for (let round = 0; round < 20; round++) {
    const d = dir();
    const f = new CoreStateFile(d);
    const asked = [f.write(() => JSON.stringify({ n: 1 })), f.write(() => JSON.stringify({ n: 2 })), f.write(() => JSON.stringify({ n: 3 }))];
    if (round % 2) await new Promise((r) => setImmediate(r)); // sometimes the worker has started, sometimes not
    f.close();
    expect(f.read()).toEqual({ n: 3 });
    expect(existsSync(`${f.file}.tmp`)).toBe(false);
    rmSync(d, { recursive: true }); // nothing is written into it any more
    await Promise.all(asked);
    await expect(f.write(() => '{}')).rejects.toThrow(/closed/);
    await f.settled();
  }
});

it('a damaged file is an error that names it', () => {
  const f = new CoreStateFile(dir());
  writeFileSync(f.file, '{"v":1,');
  expect(() => f.read()).toThrow(StoreCorruptError);
  expect(() => f.read()).toThrow(f.file);
});
