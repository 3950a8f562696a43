/**
 * Reading a bar file as the commands do: from its binary cache next to it (`<file>.mt5x-cache`) when that cache
 * is the file's, else parsed a chunk at a time (bars.ts), and the cache then written for the next run.
 *
 * The cache holds the parsed columns and what the parse found (layout, format, gaps, symbol). It is used only
 * when all of these hold: its magic and format version are this program's; the bar file's size and modification
 * time (nanoseconds) are the ones it was made from; its length is what its header says; and the checksum (CRC-32) of its
 * columns matches. Anything else — a changed file, a torn or damaged cache, an older format — and the file is
 * parsed again and the cache replaced (the format and its reading: bar-cache.ts; `backtest` starts reading it before it
 * loads the rest of the program: bar-prefetch.ts). Files under CACHE_MIN_BYTES are not cached (their parse is quick), nor
 * with `cache: false` (`backtest --no-cache`) or MT5X_BAR_CACHE=0; a folder that cannot be written to just gets no cache.
 */
import { closeSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync, type BigIntStats } from 'node:fs';
import { DataError, parseBarChunks, parseBars } from '../engine/bars.js';
import { findGaps, lazyTimeText, type BarSeries } from '../engine/bars-series.js';
import {
  CACHE_MIN_BYTES, CACHE_VERSION, COLUMNS, MAGIC, PIECE, PRE, align8, cacheFileOf, crc32, fletcher32, headerSum, readCacheBlock, sourceOf,
  type CacheBlock, type CacheHeader, type SumKind,
} from './bar-cache.js';
import type { Prefetched } from './bar-prefetch.js';

export { CACHE_MIN_BYTES, CACHE_VERSION, cacheFileOf } from './bar-cache.js';

export interface LoadOptions {
  /** Use and write the cache (default: yes, unless MT5X_BAR_CACHE=0; `backtest --no-cache` gives false). */
  cache?: boolean;
  /** Cache files of at least this size (default CACHE_MIN_BYTES). */
  minBytes?: number;
  /**
   * The cache as read ahead while the program loaded (bar-prefetch.ts): used in place of reading it here only when it was
   * read for the file's size and modification time as they are now; a cache it found missing or not the file's is
   * then not read again (the file is parsed).
   */
  prefetched?: Prefetched | undefined;
}

/** Read a bar file: from its cache when valid, else parsed (and cached). Throws DataError for a bad file. */
export function loadBarFile(file: string, o: LoadOptions = {}): BarSeries {
  let st: BigIntStats;
  try {
    st = statSync(file, { bigint: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, [{ line: 0, message: code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable (permission denied)' : (e as Error).message }]);
  }
  if (st.isDirectory()) throw new DataError(file, [{ line: 0, message: 'is a directory; give a bar file in it (a CSV exported from MT5 or MT4: docs/data-formats.md)' }]);
  const useCache = (o.cache ?? process.env.MT5X_BAR_CACHE !== '0') && st.size >= BigInt(o.minBytes ?? CACHE_MIN_BYTES);
  if (useCache) {
    const pre = o.prefetched;
    // the read ahead only for this very file, unchanged since (bar-prefetch.ts)
    const same = pre && pre.file === file && pre.dev === st.dev && pre.ino === st.ino && pre.size === st.size && pre.mtimeNs === st.mtimeNs;
    const block = same ? pre.cache : readCacheBlock(file, st);
    if (block) return seriesOf(block);
  }
  const fd = openSync(file, 'r');
  let s: BarSeries | undefined;
  try {
    s = parseBarChunks((into) => readSync(fd, into, 0, into.length, null), Number(st.size), file);
  } finally {
    closeSync(fd);
  }
  s ??= parseBars(readFileSync(file), file);
  if (useCache) writeCache(file, st, s);
  return s;
}

const isZero = (a: Float64Array) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 || 1 / a[i]! < 0) return false;
  return true;
};

function writeCache(file: string, st: BigIntStats, s: BarSeries): void {
  const target = cacheFileOf(file);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    // the file changed while it was read: its cache would describe neither version
    const now = statSync(file, { bigint: true });
    if (now.size !== st.size || now.mtimeNs !== st.mtimeNs) return;
    const stored = COLUMNS.filter((k) => !isZero(s[k].subarray(0, s.length)));
    const cols = stored.map((k) => s[k].subarray(0, s.length));
    const sum: SumKind = crc32 ? 'crc32' : 'fletcher32';
    const header: CacheHeader = {
      version: CACHE_VERSION, source: sourceOf(st), count: s.length, periodSec: s.periodSec, layout: s.layout, format: s.format!,
      gaps: s.gaps ?? findGaps(s.time, s.length, s.periodSec), ...(s.symbol ? { symbol: s.symbol } : {}), stored, sum,
    };
    const json = Buffer.from(JSON.stringify(header));
    const head = Buffer.alloc(align8(PRE + json.length));
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(CACHE_VERSION, 8);
    head.writeUInt32LE(json.length, 12);
    json.copy(head, PRE);
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, head, 0);
      let at = head.length, c = headerSum(json, sum);
      for (const col of cols) {
        const bytes = new Uint8Array(col.buffer, col.byteOffset, col.byteLength);
        for (let off = 0; off < bytes.length; off += PIECE) {
          const piece = bytes.subarray(off, Math.min(off + PIECE, bytes.length));
          if (crc32) c = crc32(piece, c);
          writeAll(fd, piece, at);
          at += piece.length;
        }
      }
      head.writeUInt32LE(crc32 ? c : (fletcher32(cols, s.length) ^ c) >>> 0, 16);
      writeAll(fd, head.subarray(0, PRE), 0);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch {
    // a folder not writable, a full disk: no cache, the next run parses again
    try {
      unlinkSync(tmp);
    } catch {
      /* not there */
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array, at: number): void {
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off, at + off);
}

/** The series in the cache, or undefined when there is none or it is not this file's (see the top). */
export function readCache(file: string, st: BigIntStats = statSync(file, { bigint: true })): BarSeries | undefined {
  const c = readCacheBlock(file, st);
  return c && seriesOf(c);
}

/** The series of a cache read and checked (bar-cache.ts): its columns are views of the one block. */
function seriesOf({ header: h, block }: CacheBlock): BarSeries {
  const n = h.count;
  const cols = Object.fromEntries(COLUMNS.map((k, i) => [k, new Float64Array(block, i * n * 8, n)]));
  const s = { ...cols, length: n, periodSec: h.periodSec, layout: h.layout, format: h.format, gaps: h.gaps, ...(h.symbol ? { symbol: h.symbol } : {}) } as BarSeries;
  lazyTimeText(s, h.format.timeText);
  return s;
}
