/**
 * Reading a bar file as the commands do: from its binary cache next to it (`<file>.mt5x-cache`) when that cache
 * is the file's, else parsed a chunk at a time (bars.ts), and the cache then written for the next run.
 *
 * The cache holds the parsed columns and what the parse found (layout, format, gaps, symbol). It is used only
 * when all of these hold: its magic and format version are this program's; the bar file's size and modification
 * time (nanoseconds) are the ones it was made from; its length is what its header says; and the checksum (CRC-32) of its
 * columns matches. Anything else — a changed file, a torn or damaged cache, an older format — and the file is
 * parsed again and the cache replaced. Files under CACHE_MIN_BYTES are not cached (their parse is quick), nor
 * with `cache: false` (`backtest --no-cache`) or MT5X_BAR_CACHE=0; a folder that cannot be written to just gets no cache.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync, type BigIntStats } from 'node:fs';
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { DataError, parseBarChunks, parseBars } from '../engine/bars.js';
import { findGaps, lazyTimeText, type BarFormat, type BarSeries, type GapReport } from '../engine/bars-series.js';
import type { BarLayout } from '../engine/bars-layout.js';

const MAGIC = 'MT5XBARS';
/** Raise when the layout of the cache or the meaning of a parsed column changes. */
export const CACHE_VERSION = 3;
export const CACHE_MIN_BYTES = 2_000_000;
const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'tickVolume', 'spread', 'realVolume'] as const;

interface CacheHeader {
  version: number;
  source: { size: string; mtimeNs: string };
  count: number;
  periodSec: number;
  layout: BarLayout;
  format: BarFormat;
  gaps: GapReport;
  symbol?: string;
  /** The columns stored, in order; a column not stored is all zeros. */
  stored: (typeof COLUMNS)[number][];
  /** How the checksum (in the preamble) was computed: zlib's CRC-32 (Node ≥ 20.15) or, where Node lacks it, a Fletcher sum. */
  sum: SumKind;
}

/**
 * The file: a preamble of PRE bytes (the magic, the format version, the header's length, the checksum of the
 * header and the columns, all little-endian 32-bit), the header as JSON, zeros to a multiple of 8, then each stored column's
 * doubles. The checksum is computed a piece at a time as the columns are written and read, while the piece is
 * in the CPU's cache (a second pass over 56 MB just read took ~100 ms here, a pass over pieces ~15 ms).
 */
const PRE = 20;
const PIECE = 1 << 18;

type SumKind = 'crc32' | 'fletcher32';

export const cacheFileOf = (file: string) => `${file}.mt5x-cache`;

export interface LoadOptions {
  /** Use and write the cache (default: yes, unless MT5X_BAR_CACHE=0; `backtest --no-cache` gives false). */
  cache?: boolean;
  /** Cache files of at least this size (default CACHE_MIN_BYTES). */
  minBytes?: number;
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
    const cached = readCache(file, st);
    if (cached) return cached;
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

/** zlib's CRC-32 in native code (Node ≥ 20.15): ~20 ms over 56 MB where a JavaScript loop run once takes ~140 ms. */
const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** The checksum where Node has no CRC-32: a Fletcher-style sum over 32-bit words (any one changed bit changes it). */
function fletcher32(cols: Float64Array[], count: number): number {
  let a = 1, b = 0;
  for (const c of cols) {
    const w = new Int32Array(c.buffer, c.byteOffset, count * 2);
    for (let i = 0; i < w.length; i++) {
      a = (a + w[i]!) | 0;
      b = (b + a) | 0;
    }
  }
  return (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
}

/** The checksum's start: the header's own (so a changed bit in the gaps or the period is caught too). */
function headerSum(json: Uint8Array, kind: SumKind): number {
  return kind === 'crc32' ? crc32!(json, 0) : createHash('sha256').update(json).digest().readUInt32LE(0);
}

const sourceOf = (st: BigIntStats) => ({ size: String(st.size), mtimeNs: String(st.mtimeNs) });
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

const align8 = (n: number) => (n + 7) & ~7;

function writeAll(fd: number, bytes: Uint8Array, at: number): void {
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off, at + off);
}

/** The series in the cache, or undefined when there is none or it is not this file's (see the top). */
export function readCache(file: string, st: BigIntStats = statSync(file, { bigint: true })): BarSeries | undefined {
  let fd: number;
  try {
    fd = openSync(cacheFileOf(file), 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const pre = Buffer.alloc(PRE);
    if (readSync(fd, pre, 0, PRE, 0) !== PRE || pre.toString('latin1', 0, 8) !== MAGIC || pre.readUInt32LE(8) !== CACHE_VERSION) return undefined;
    const jsonLen = pre.readUInt32LE(12);
    if (PRE + jsonLen > size) return undefined;
    const json = Buffer.alloc(jsonLen);
    if (readSync(fd, json, 0, jsonLen, PRE) !== jsonLen) return undefined;
    const h = JSON.parse(json.toString('utf8')) as CacheHeader;
    const src = sourceOf(st);
    if (h.version !== CACHE_VERSION || h.source?.size !== src.size || h.source?.mtimeNs !== src.mtimeNs) return undefined;
    const n = h.count;
    if (!Number.isInteger(n) || n <= 0 || !Array.isArray(h.stored) || !h.stored.every((k) => (COLUMNS as readonly string[]).includes(k))) return undefined;
    if (h.sum !== 'crc32' && h.sum !== 'fletcher32') return undefined;
    const start = align8(PRE + jsonLen);
    if (size !== start + h.stored.length * n * 8) return undefined;
    // one block, as the parser gives: the columns not stored stay zero (and unmapped until read)
    const block = new ArrayBuffer(n * 8 * COLUMNS.length);
    const cols = Object.fromEntries(COLUMNS.map((k, i) => [k, new Float64Array(block, i * n * 8, n)])) as Record<(typeof COLUMNS)[number], Float64Array>;
    const crcAsRead = h.sum === 'crc32';
    if (crcAsRead && !crc32) return undefined;
    let at = start, c = headerSum(json, h.sum);
    for (const k of h.stored) {
      const bytes = new Uint8Array(block, COLUMNS.indexOf(k) * n * 8, n * 8);
      for (let off = 0; off < bytes.length;) {
        const got = readSync(fd, bytes, off, Math.min(PIECE, bytes.length - off), at + off);
        if (got <= 0) return undefined;
        if (crcAsRead) c = crc32!(bytes.subarray(off, off + got), c);
        off += got;
      }
      at += n * 8;
    }
    const sum = crcAsRead ? c : (fletcher32(h.stored.map((k) => cols[k]), n) ^ c) >>> 0;
    if (sum !== pre.readUInt32LE(16)) return undefined;
    const s = { ...cols, length: n, periodSec: h.periodSec, layout: h.layout, format: h.format, gaps: h.gaps, ...(h.symbol ? { symbol: h.symbol } : {}) } as BarSeries;
    lazyTimeText(s, h.format.timeText);
    return s;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
