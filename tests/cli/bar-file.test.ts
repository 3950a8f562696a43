/** The bar file as the commands read it: the binary cache next to it, used only when it is that file's. */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error a JavaScript build module without types
import { programFiles } from '../../tools/release/bundle.mjs';
import { CACHE_MIN_BYTES, cacheFileOf, loadBarFile, readCache } from '../../src/cli/bar-file.js';
import { DataError, formatServerTime, parseBars, type BarSeries } from '../../src/engine/bars.js';
import { exact, writeBars } from './bar-fixtures.js';

const cols = (s: BarSeries) => ({
  n: s.length, period: s.periodSec, layout: s.layout, format: s.format, gaps: s.gaps,
  sums: (['time', 'open', 'high', 'low', 'close', 'tickVolume', 'spread', 'realVolume'] as const).map((k) => Array.from(s[k].subarray(0, s.length)).reduce((a, b) => a + b, 0)),
  first: s.timeText[0], last: s.timeText[s.length - 1],
});

describe('the bar cache (<file>.mt5x-cache)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-barcache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
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

/** The same whole-second modification time before and after a change: only the size tells the change. */
const pinTime = (file: string) => utimesSync(file, 1_700_000_000, 1_700_000_000);

describe('the bar cache is the parse, or is not used', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-barcache2-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cached and parsed series are byte-identical (generated files of several layouts, cached at any size)', () => {
    const LAYOUTS = [
      { head: '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>', sep: '\t', row: (d: string, t: string, p: string[], v: string, sp: string) => [d, t, ...p, v, '0', sp] },
      { head: 'time,open,high,low,close,tick_volume,spread,real_volume', sep: ',', row: (_d: string, _t: string, p: string[], v: string, sp: string, e?: number) => [String(e), ...p, v, sp, '0'] },
      { head: 'Date;Time;Open;High;Low;Close;Volume', sep: ';', row: (d: string, t: string, p: string[], v: string) => [d, t.slice(0, 5), ...p.map((x) => x.replace('.', ',')), v] },
      { head: '<TICKER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>', sep: ',', row: (d: string, t: string, p: string[], v: string) => ['XAUUSD', d, t, ...p, v] },
    ];
    let k = 0;
    fc.assert(fc.property(
      fc.integer({ min: 0, max: LAYOUTS.length - 1 }),
      fc.array(fc.record({ gap: fc.integer({ min: 1, max: 30 }), o: fc.integer({ min: 1, max: 9_999_999 }), up: fc.nat(500), down: fc.nat(500), v: fc.constantFrom('0', '-0', '17', '250000'), sp: fc.constantFrom('0', '-0', '12') }), { minLength: 1, maxLength: 60 }),
      fc.boolean(),
      (li, rows, bom) => {
        const L = LAYOUTS[li]!;
        let t = 1_700_000_000 - (1_700_000_000 % 3600);
        const lines = [L.head];
        for (const r of rows) {
          t += r.gap * 3600;
          const [d, tm] = formatServerTime(t, true).split(' ');
          const p = [r.o, r.o + r.up, Math.max(1, r.o - r.down), r.o].map((x) => (x / 1e5).toFixed(5));
          lines.push(L.row(d!, tm!, p, r.v, r.sp, t).join(L.sep));
        }
        const file = join(dir, `p${k++}.csv`);
        writeFileSync(file, (bom ? '\uFEFF' : '') + lines.join('\r\n') + '\r\n');
        const parsed = parseBars(readFileSync(file), file);
        const first = loadBarFile(file, { minBytes: 0 });
        const cached = readCache(file);
        expect(cached).toBeDefined();
        expect(exact(cached!)).toEqual(exact(parsed));
        expect(exact(loadBarFile(file, { minBytes: 0 }))).toEqual(exact(parsed));
        expect(exact(first)).toEqual(exact(parsed));
      },
    ), { numRuns: 60 });
  });

  it('stale by size alone (the same modification time): parsed again, the same bars as a parse, the cache rewritten', () => {
    const file = join(dir, 'EURUSD_H1.csv');
    writeBars(file, 40_000);
    pinTime(file);
    loadBarFile(file);
    expect(readCache(file)).toBeDefined();
    appendFileSync(file, '2030.01.01,00:00:00,1.10000,1.10200,1.09900,1.10050,1000,0,10\n');
    pinTime(file);
    expect(readCache(file)).toBeUndefined();
    const again = loadBarFile(file);
    expect(again.length).toBe(40_001);
    expect(exact(again)).toEqual(exact(parseBars(readFileSync(file), file)));
    expect(exact(readCache(file)!)).toEqual(exact(again));
  });

  it('stale by modification time alone (the same size and bytes): not used, parsed again', () => {
    const file = join(dir, 'EURUSD_H1.csv');
    writeBars(file, 40_000);
    pinTime(file);
    loadBarFile(file);
    const cache = cacheFileOf(file);
    const before = statSync(cache).mtimeMs;
    expect(readCache(file)).toBeDefined();
    utimesSync(file, 1_700_000_000, 1_700_000_001);
    expect(readCache(file)).toBeUndefined();
    expect(exact(loadBarFile(file))).toEqual(exact(parseBars(readFileSync(file), file)));
    expect(readCache(file)).toBeDefined(); // rewritten for the new time
    expect(statSync(cache).mtimeMs).toBeGreaterThanOrEqual(before);
  });

  it('a damaged or torn cache: parsed again with byte-identical bars', () => {
    const file = join(dir, 'EURUSD_H1.csv');
    writeBars(file, 40_000, 7);
    const parsed = exact(parseBars(readFileSync(file), file));
    loadBarFile(file);
    const cache = cacheFileOf(file);
    const good = readFileSync(cache);
    // a bit flipped in every part: the checksum, the header (its JSON broken at its first byte; a digit of its
    // period changed, still valid JSON), a column in the middle, the last column
    const period = good.indexOf('"periodSec":') + '"periodSec":'.length;
    expect(String.fromCharCode(good[period]!)).toMatch(/[0-9]/);
    for (const at of [17, 20, period, good.length - 40_000 * 8 * 3, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      writeFileSync(cache, bad);
      expect(readCache(file), `byte ${at}`).toBeUndefined();
      expect(exact(loadBarFile(file))).toEqual(parsed);
    }
    for (const size of [0, 15, 100, good.length - 1]) {
      writeFileSync(cache, good.subarray(0, size));
      expect(readCache(file), `${size} bytes`).toBeUndefined();
      expect(exact(loadBarFile(file))).toEqual(parsed);
      expect(readFileSync(cache).equals(good)).toBe(true); // rewritten whole
    }
  });

  it('a cache path that cannot be written (a directory in its place): no cache, no error', () => {
    const file = join(dir, 'blocked.csv');
    writeBars(file, 40_000);
    mkdirSync(join(cacheFileOf(file), 'x'), { recursive: true });
    expect(exact(loadBarFile(file))).toEqual(exact(parseBars(readFileSync(file), file)));
    expect(statSync(cacheFileOf(file)).isDirectory()).toBe(true);
    expect(readdirTmp(dir)).toEqual([]);
  });

  it('backtest in a read-only folder runs without a cache and gives the figures it gives with one; --no-cache reads no cache', () => {
    const ro = mkdtempSync(join(tmpdir(), 'mt5x-ro-'));
    const file = join(ro, 'EURUSD_H1.csv');
    writeBars(file, 40_000);
    const strategy = join(ro, 's.json');
    writeFileSync(strategy, JSON.stringify({ strategyId: 'cache-test', symbol: 'EURUSD', timeframe: 'H1', rules: { entry: { direction: 'BOTH', conditions: [{ indicator: 'ema_9', condition: 'crosses_above', indicatorRef: 'ema_21' }] }, exit: { stopLoss: { type: 'atr', multiplier: 2 }, takeProfit: { type: 'rr_ratio', ratio: 2 } }, riskManagement: { lotSize: 0.1 } } }));
    // the program (its entry and chunks) beside the data, so an unprivileged user can read it wherever the repository is
    const program = join(ro, 'mt5-executor.js');
    for (const f of (programFiles as (o: string) => string[])('dist/mt5-executor.js')) copyFileSync(f, join(ro, basename(f)));
    chmodSync(ro, 0o555);
    // root writes anywhere: then the run is a process of an unprivileged user (nobody), for whom the folder is read-only
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = (...extra: string[]) => spawnSync(process.execPath, [program, 'backtest', strategy, '--data', file, '--json', ...extra], { encoding: 'utf8', timeout: 60_000, cwd: ro, ...asUser });
    const r = run();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(cacheFileOf(file))).toBe(false);
    const figures = JSON.parse(r.stdout) as { bars: number; trades: number };
    expect(figures.bars).toBe(40_000);
    // with a cache (the folder writable): the same figures from the cached read
    chmodSync(ro, 0o755);
    const cli = (extra: string[]) => spawnSync(process.execPath, ['dist/mt5-executor.js', 'backtest', strategy, '--data', file, '--json', ...extra], { encoding: 'utf8', timeout: 60_000 });
    const withCache = cli([]);
    expect(existsSync(cacheFileOf(file))).toBe(true);
    const cachedRun = cli([]);
    expect(JSON.parse(withCache.stdout)).toEqual(figures);
    expect(JSON.parse(cachedRun.stdout)).toEqual(figures);
    // --no-cache reads no cache: a cache made from other bytes of the same size and time (the last bar turned into
    // blank lines: 39,999 bars) is trusted without the flag (what a size-and-time check cannot see) and not read with it
    const cache = cacheFileOf(file);
    const text = readFileSync(file, 'utf8');
    const last = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
    writeFileSync(file, text.slice(0, text.length - last.length) + '\n'.repeat(last.length));
    pinTime(file);
    rmSync(cache);
    expect(loadBarFile(file).length).toBe(39_999);
    writeFileSync(file, text);
    pinTime(file);
    const made = readFileSync(cache);
    expect((JSON.parse(cli([]).stdout) as { bars: number }).bars).toBe(39_999);
    const noCache = cli(['--no-cache']);
    expect(noCache.status).toBe(0);
    expect(JSON.parse(noCache.stdout)).toEqual(figures);
    expect(readFileSync(cache).equals(made)).toBe(true); // and wrote none
    rmSync(ro, { recursive: true, force: true });
  }, 120_000);
});

const readdirTmp = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));
