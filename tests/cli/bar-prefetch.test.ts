/**
 * The bar cache read ahead while the program loads (src/cli/bar-prefetch.ts, bar-cache.ts readCacheBlockAsync):
 * the same checks and answers as the read on the spot, and used only for the file as it still is; the CLI through
 * the built program (dist/, built by global-setup).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32, readCacheBlock, readCacheBlockAsync } from '../../src/cli/bar-cache.js';
import { cacheFileOf, loadBarFile, readCache } from '../../src/cli/bar-file.js';
import { prefetchBarCache as prefetch } from '../../src/cli/bar-prefetch.js';
import { parseBars } from '../../src/engine/bars.js';
import { exact, writeBars } from './bar-fixtures.js';

describe('the bar cache read ahead', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-prefetch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hands over the checked cache, which the read then uses as it is (the cache file is not read again)', async () => {
    const file = join(dir, 'EURUSD_H1.csv');
    writeBars(file, 40_000);
    const parsed = exact(loadBarFile(file)); // parsed, and the cache written
    const ahead = await prefetch(file);
    expect(ahead?.cache?.header.count).toBe(40_000);
    expect(ahead!.size).toBe(BigInt(statSync(file).size));
    // the cache file gone: only the block read ahead can give the bars without a parse (which would write it again)
    unlinkSync(cacheFileOf(file));
    expect(exact(loadBarFile(file, { prefetched: ahead }))).toEqual(parsed);
    expect(existsSync(cacheFileOf(file))).toBe(false);
  });

  it('a damaged cache: the read ahead finds none, and the file is parsed (byte-identical) and cached again', async () => {
    const file = join(dir, 'damaged.csv');
    writeBars(file, 40_000, 5);
    const parsed = exact(parseBars(readFileSync(file), file));
    loadBarFile(file);
    const cache = cacheFileOf(file);
    const good = readFileSync(cache);
    const bad = Buffer.from(good);
    bad[bad.length - 3 * 40_000 * 8]! ^= 0x04; // a bit of a column in the middle
    writeFileSync(cache, bad);
    const ahead = await prefetch(file);
    expect(ahead).toBeDefined();
    expect(ahead!.cache).toBeUndefined();
    expect(exact(loadBarFile(file, { prefetched: ahead }))).toEqual(parsed);
    expect(readFileSync(cache).equals(good)).toBe(true); // rewritten
  });

  it('a file changed after the cache was read ahead: the block read ahead is not used, the new file is', async () => {
    const file = join(dir, 'changed.csv');
    writeBars(file, 40_000);
    loadBarFile(file);
    const ahead = await prefetch(file);
    expect(ahead?.cache).toBeDefined();
    // the same size, other prices, a later modification time
    writeBars(file, 40_000, 3);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const now = loadBarFile(file, { prefetched: ahead });
    expect(exact(now)).toEqual(exact(parseBars(readFileSync(file), file)));
    expect(now.open[0]).toBeCloseTo(1.10003, 10);
    expect(readCache(file)!.open[0]).toBe(now.open[0]); // the cache rewritten for the new file
  });

  it("another file's read ahead is never used, even a copy with the same size and time (its own cache is read)", async () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    writeBars(a, 40_000);
    writeBars(b, 40_000, 9); // the same length of text, other prices
    const when = new Date('2024-01-02T03:04:05Z');
    utimesSync(a, when, when);
    utimesSync(b, when, when);
    expect(statSync(a).size).toBe(statSync(b).size);
    const bParsed = exact(loadBarFile(b));
    loadBarFile(a);
    const ahead = await prefetch(a);
    expect(ahead?.cache?.header.count).toBe(40_000);
    expect(exact(loadBarFile(b, { prefetched: ahead }))).toEqual(bParsed);
  });

  it('reads nothing ahead for a small file, a directory or a missing file', async () => {
    const small = join(dir, 'small.csv');
    writeBars(small, 100);
    expect(await prefetch(small)).toBeUndefined();
    expect(await prefetch(dir)).toBeUndefined();
    expect(await prefetch(join(dir, 'nope.csv'))).toBeUndefined();
  });

  it('the read ahead and the read on the spot give the same answer for a good, damaged, torn, stale or foreign cache', async () => {
    const file = join(dir, 'same.csv');
    writeBars(file, 40_000, 2);
    loadBarFile(file);
    const cache = cacheFileOf(file);
    const good = readFileSync(cache);
    const st = () => statSync(file, { bigint: true });
    const same = async (what: string) => {
      const now = readCacheBlock(file, st()), ahead = await readCacheBlockAsync(file, st());
      // in small pieces of odd size (two reads at once, arriving in any order; a piece across two columns' bytes never)
      const small = await readCacheBlockAsync(file, st(), 4099);
      expect(small === undefined, what).toBe(now === undefined);
      if (now && small) expect(Buffer.from(small.block).equals(Buffer.from(now.block)), what).toBe(true);
      expect(ahead === undefined, what).toBe(now === undefined);
      if (now && ahead) {
        expect(ahead.header, what).toEqual(now.header);
        expect(Buffer.from(ahead.block).equals(Buffer.from(now.block)), what).toBe(true);
      }
      return ahead !== undefined;
    };
    expect(await same('good')).toBe(true);
    for (const at of [17, 20, 100, good.length - 40_000 * 8 * 3, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      writeFileSync(cache, bad);
      expect(await same(`byte ${at} flipped`)).toBe(false);
    }
    for (const size of [0, 15, 100, good.length - 1]) {
      writeFileSync(cache, good.subarray(0, size));
      expect(await same(`${size} bytes`)).toBe(false);
    }
    writeFileSync(cache, Buffer.concat([good, Buffer.alloc(8)]));
    expect(await same('8 bytes too many')).toBe(false);
    // a header whose checksum matches but which stores no column (or one twice): its count is bounded by nothing, so
    // the block would be sized by the header alone (300 M bars: 19 GB) — refused before any block is made
    const pre = 20, jsonLen = good.readUInt32LE(12);
    const header = JSON.parse(good.toString('utf8', pre, pre + jsonLen)) as { count: number; stored: string[]; sum: string };
    for (const stored of [[], ['time', 'time']]) {
      const json = Buffer.from(JSON.stringify({ ...header, count: stored.length ? header.count / 2 : 300_000_000, stored }));
      const head = Buffer.alloc((pre + json.length + 7) & ~7);
      good.copy(head, 0, 0, 12);
      head.writeUInt32LE(json.length, 12);
      json.copy(head, pre);
      const cols = stored.length ? good.subarray(good.length - header.count * 8) : Buffer.alloc(0); // the last column's bytes, as two "time" columns
      head.writeUInt32LE(header.sum === 'crc32' ? crc32!(cols, crc32!(json, 0)) : 0, 16);
      writeFileSync(cache, Buffer.concat([head, cols]));
      expect(await same(`stored ${JSON.stringify(stored)}`)).toBe(false);
    }
    writeFileSync(cache, good);
    utimesSync(file, new Date(), new Date(Date.now() + 9000));
    expect(await same('stale')).toBe(false);
    rmSync(cache);
    expect(await same('none')).toBe(false);
  });

  it('the CLI: the same figures from a good cache, a damaged one and none; missing and directory --data explained as before', () => {
    const file = join(dir, 'EURUSD_H1.csv');
    writeBars(file, 40_000, 9);
    const strategy = join(dir, 's.json');
    writeFileSync(strategy, JSON.stringify({ strategyId: 'prefetch-test', symbol: 'EURUSD', timeframe: 'H1', rules: { entry: { direction: 'BOTH', conditions: [{ indicator: 'ema_9', condition: 'crosses_above', indicatorRef: 'ema_21' }] }, exit: { stopLoss: { type: 'atr', multiplier: 2 }, takeProfit: { type: 'rr_ratio', ratio: 2 } }, riskManagement: { lotSize: 0.1 } } }));
    const cli = (data: string, ...extra: string[]) => spawnSync(process.execPath, ['dist/mt5-executor.js', 'backtest', strategy, '--data', data, '--json', ...extra], { encoding: 'utf8', timeout: 60_000 });
    const plain = cli(file, '--no-cache');
    expect(plain.status).toBe(0);
    const made = cli(file); // parses, writes the cache
    const cached = cli(file); // the cache read ahead
    expect(existsSync(cacheFileOf(file))).toBe(true);
    const cache = cacheFileOf(file);
    const good = readFileSync(cache);
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0x01;
    writeFileSync(cache, bad);
    const damaged = cli(file);
    for (const r of [made, cached, damaged]) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(plain.stdout);
    }
    expect(readFileSync(cache).equals(good)).toBe(true);
    const missing = cli(join(dir, 'nope.csv'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope\.csv.*no such file/);
    const folder = cli(dir);
    expect(folder.status).toBe(1);
    expect(folder.stderr).toMatch(/is a directory; give a bar file in it/);
  }, 120_000);
});
