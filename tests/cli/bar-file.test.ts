/** The bar file as the commands read it: the binary cache next to it, used only when it is that file's. */
import { existsSync, mkdtempSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_MIN_BYTES, cacheFileOf, loadBarFile, readCache } from '../../src/cli/bar-file.js';
import { DataError, formatServerTime, parseBars, type BarSeries } from '../../src/engine/bars.js';

/** An MT5 export of `n` H1 bars from 2019-02-15 14:00 with prices shifted by `shift` points. */
function writeBars(file: string, n: number, shift = 0): void {
  const rows = ['<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,<VOL>,<SPREAD>'];
  for (let i = 0; i < n; i++) {
    const t = 1550239200 + i * 3600;
    const o = 1.1 + ((i * 37) % 1000) / 1e5 + shift / 1e5;
    rows.push(`${formatServerTime(t, true).replace(' ', ',')},${o.toFixed(5)},${(o + 0.002).toFixed(5)},${(o - 0.001).toFixed(5)},${(o + 0.0005).toFixed(5)},${1000 + (i % 500)},0,${10 + (i % 7)}`);
  }
  writeFileSync(file, rows.join('\n') + '\n');
}

const cols = (s: BarSeries) => ({
  n: s.length, period: s.periodSec, layout: s.layout, format: s.format, gaps: s.gaps,
  sums: (['time', 'open', 'high', 'low', 'close', 'tickVolume', 'spread', 'realVolume'] as const).map((k) => Array.from(s[k].subarray(0, s.length)).reduce((a, b) => a + b, 0)),
  first: s.timeText[0], last: s.timeText[s.length - 1],
});

describe('the bar cache (<file>.mt5x-cache)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-barcache-'));
  const file = join(dir, 'EURUSD_H1.csv');
  writeBars(file, 40_000);

  it('is written on the first read, used on the next, and gives the parsed series', () => {
    expect(statSync(file).size).toBeGreaterThanOrEqual(CACHE_MIN_BYTES);
    const parsed = parseBars(readFileSync(file), file);
    const first = loadBarFile(file);
    expect(existsSync(cacheFileOf(file))).toBe(true);
    const cached = readCache(file);
    expect(cached).toBeDefined();
    expect(cols(cached!)).toEqual(cols(parsed));
    expect(cols(first)).toEqual(cols(parsed));
    expect(Array.from(cached!.close.subarray(0, 5))).toEqual(Array.from(parsed.close.subarray(0, 5)));
    expect(cached!.timeText[1]).toBe('2019.02.15 15:00:00');
  });

  it('is not trusted when the file changed (same size, new time), when damaged, truncated or of another version', () => {
    loadBarFile(file);
    // the same size, other prices, a later modification time
    writeBars(file, 40_000, 3);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(readCache(file)).toBeUndefined();
    const fresh = loadBarFile(file);
    expect(fresh.open[0]).toBeCloseTo(1.10003, 10);
    expect(readCache(file)!.open[0]).toBe(fresh.open[0]); // rewritten for the new file
    // one byte of a column changed
    const cache = cacheFileOf(file);
    const bytes = readFileSync(cache);
    bytes[bytes.length - 100]! ^= 0x10;
    writeFileSync(cache, bytes);
    expect(readCache(file)).toBeUndefined();
    expect(cols(loadBarFile(file))).toEqual(cols(parseBars(readFileSync(file), file)));
    // torn
    truncateSync(cache, statSync(cache).size - 8);
    expect(readCache(file)).toBeUndefined();
    loadBarFile(file);
    // another format version
    const v = readFileSync(cache);
    v.writeUInt32LE(999, 8);
    writeFileSync(cache, v);
    expect(readCache(file)).toBeUndefined();
    // not a cache at all
    writeFileSync(cache, 'hello');
    expect(readCache(file)).toBeUndefined();
    expect(loadBarFile(file).length).toBe(40_000);
  });

  it('is not written with cache: false, nor for a small file; a directory is explained', () => {
    const other = join(dir, 'other.csv');
    writeBars(other, 40_000);
    loadBarFile(other, { cache: false });
    expect(existsSync(cacheFileOf(other))).toBe(false);
    const small = join(dir, 'small.csv');
    writeBars(small, 100);
    expect(loadBarFile(small).length).toBe(100);
    expect(existsSync(cacheFileOf(small))).toBe(false);
    expect(() => loadBarFile(dir)).toThrow(DataError);
    expect(() => loadBarFile(dir)).toThrow(/is a directory; give a bar file in it/);
  });
});
