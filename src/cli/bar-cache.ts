/**
 * The bar cache's file format (`<file>.mt5x-cache`) and its reading: the parsed columns of a bar file and what the
 * parse found (layout, format, gaps, symbol). This module imports nothing of the engine, so that `backtest` can start
 * reading the cache (bar-prefetch.ts) before it loads the rest; bar-file.ts writes the cache and makes the series of
 * what is read here.
 *
 * A cache is used only when all of these hold: its magic and format version are this program's; the bar file's size
 * and modification time (nanoseconds) are the ones it was made from; its length is what its header says; and the
 * checksum (CRC-32) of its header and columns matches.
 */
import { closeSync, fstatSync, openSync, read, readSync, type BigIntStats } from 'node:fs';
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import type { BarFormat, GapReport } from '../engine/bars-series.js';
import type { BarLayout } from '../engine/bars-layout.js';

export const MAGIC = 'MT5XBARS';
/** Raise when the layout of the cache or the meaning of a parsed column changes. */
export const CACHE_VERSION = 3;
export const CACHE_MIN_BYTES = 2_000_000;
export const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'tickVolume', 'spread', 'realVolume'] as const;
export type ColumnName = (typeof COLUMNS)[number];

export interface CacheHeader {
  version: number;
  source: { size: string; mtimeNs: string };
  count: number;
  periodSec: number;
  layout: BarLayout;
  format: BarFormat;
  gaps: GapReport;
  symbol?: string;
  /** The columns stored, in order; a column not stored is all zeros. */
  stored: ColumnName[];
  /** How the checksum (in the preamble) was computed: zlib's CRC-32 (Node ≥ 20.15) or, where Node lacks it, a Fletcher sum. */
  sum: SumKind;
}

/**
 * The file: a preamble of PRE bytes (the magic, the format version, the header's length, the checksum of the
 * header and the columns, all little-endian 32-bit), the header as JSON, zeros to a multiple of 8, then each stored column's
 * doubles. The checksum is computed a piece at a time as the columns are written and read. Its own cost is small (~10-15 ms
 * over 56 MB); the first pass over memory just read into costs ~6 µs a 4 KiB page more (~80-100 ms over 56 MB on the
 * 2-core VM measured, in user time, no page fault counted), piece by piece or whole alike, whoever reads it first: the
 * checksum pays it for the engine, and a second pass takes ~10 ms.
 */
export const PRE = 20;
export const PIECE = 1 << 18;

export type SumKind = 'crc32' | 'fletcher32';

export const cacheFileOf = (file: string) => `${file}.mt5x-cache`;

/** zlib's CRC-32 in native code (Node ≥ 20.15): ~10-20 ms over 56 MB already touched, where a JavaScript loop run once takes ~140 ms. */
export const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** The checksum where Node has no CRC-32: a Fletcher-style sum over 32-bit words (any one changed bit changes it). */
export function fletcher32(cols: Float64Array[], count: number): number {
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
export function headerSum(json: Uint8Array, kind: SumKind): number {
  if (kind === 'crc32') return crc32!(json, 0);
  // (node:crypto loaded only here, where Node lacks CRC-32: no other command's start needs it)
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(json).digest().readUInt32LE(0);
}

export const sourceOf = (st: { size: bigint; mtimeNs: bigint }) => ({ size: String(st.size), mtimeNs: String(st.mtimeNs) });
export const align8 = (n: number) => (n + 7) & ~7;

/**
 * A cache as read and checked: its header and one block of COLUMNS.length × count doubles, the columns in
 * COLUMNS' order (as the parser gives them); the columns not stored stay zero (and unmapped until read).
 */
export interface CacheBlock {
  header: CacheHeader;
  block: ArrayBuffer;
}

/** A cache's header, checked against the bar file's status, and where its columns are. */
interface CacheLayout {
  header: CacheHeader;
  /** The checksum the preamble holds, and the header's own (where the columns' checksum starts). */
  expected: number;
  headerSum: number;
  /** Where the first column starts in the file. */
  start: number;
}

/** Read and check the preamble and the header of the open cache `fd` (of `size` bytes) against the bar file's status. */
function readLayout(fd: number, size: number, st: Pick<BigIntStats, 'size' | 'mtimeNs'>): CacheLayout | undefined {
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
  // at least one column, each once: the file's size (checked below) then bounds the count (no block sized by the header alone)
  if (h.stored.length === 0 || new Set(h.stored).size !== h.stored.length) return undefined;
  if (h.sum !== 'crc32' && h.sum !== 'fletcher32') return undefined;
  if (h.sum === 'crc32' && !crc32) return undefined;
  const start = align8(PRE + jsonLen);
  if (size !== start + h.stored.length * n * 8) return undefined;
  return { header: h, expected: pre.readUInt32LE(16), headerSum: headerSum(json, h.sum), start };
}

/** The bytes of each stored column: where in the block (COLUMNS' order) and where in the file (stored order). */
function* storedColumns(l: CacheLayout, block: ArrayBuffer): Generator<{ bytes: Uint8Array; at: number }> {
  const n = l.header.count;
  let at = l.start;
  for (const k of l.header.stored) {
    yield { bytes: new Uint8Array(block, COLUMNS.indexOf(k) * n * 8, n * 8), at };
    at += n * 8;
  }
}

/** The columns' checksum is the one the preamble holds (c: the CRC-32 as read; the Fletcher sum is taken here). */
function sumMatches(l: CacheLayout, block: ArrayBuffer, c: number): boolean {
  const h = l.header, n = h.count;
  const sum = h.sum === 'crc32' ? c : (fletcher32(h.stored.map((k) => new Float64Array(block, COLUMNS.indexOf(k) * n * 8, n)), n) ^ c) >>> 0;
  return sum === l.expected;
}

/** The cache of `file` (whose status is `st`), read and checked, or undefined when there is none or it is not this file's. */
export function readCacheBlock(file: string, st: Pick<BigIntStats, 'size' | 'mtimeNs'>): CacheBlock | undefined {
  let fd: number;
  try {
    fd = openSync(cacheFileOf(file), 'r');
  } catch {
    return undefined;
  }
  try {
    const l = readLayout(fd, fstatSync(fd).size, st);
    if (!l) return undefined;
    const block = new ArrayBuffer(l.header.count * 8 * COLUMNS.length);
    const crcAsRead = l.header.sum === 'crc32';
    let c = l.headerSum;
    for (const { bytes, at } of storedColumns(l, block)) {
      for (let off = 0; off < bytes.length;) {
        const got = readSync(fd, bytes, off, Math.min(PIECE, bytes.length - off), at + off);
        if (got <= 0) return undefined;
        if (crcAsRead) c = crc32!(bytes.subarray(off, off + got), c);
        off += got;
      }
    }
    return sumMatches(l, block, c) ? { header: l.header, block } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Bytes per read of readCacheBlockAsync, and how many reads it keeps going at once. Two leave two of libuv's four
 * threads to the module loader, which reads the backtest's modules meanwhile: with four reads of 4 MiB holding them all, a
 * profile showed the modules compiled ~200 ms later. 1, 3, 4 or 8 reads, pieces of 256 KiB to 16 MiB: none measured better.
 */
const AHEAD_PIECE = 1 << 20;
const AHEAD_READS = 2;

/**
 * readCacheBlock with the columns read on libuv's threads (fs.read), a few pieces at a time: the page faults of the
 * memory read into (most of the read's cost) are taken on those threads while this one does other work; the
 * checksum is computed here, a piece at a time in order, as the pieces arrive. The same checks, the same answer.
 * (`piece`: bytes per read; a test reads in small pieces so that pieces arrive out of order.)
 */
export function readCacheBlockAsync(file: string, st: Pick<BigIntStats, 'size' | 'mtimeNs'>, piece = AHEAD_PIECE): Promise<CacheBlock | undefined> {
  let fd: number;
  try {
    fd = openSync(cacheFileOf(file), 'r');
  } catch {
    return Promise.resolve(undefined);
  }
  let l: CacheLayout | undefined, block: ArrayBuffer;
  try {
    l = readLayout(fd, fstatSync(fd).size, st);
    block = l ? new ArrayBuffer(l.header.count * 8 * COLUMNS.length) : new ArrayBuffer(0);
  } catch {
    l = undefined;
  }
  if (!l) {
    closeSync(fd);
    return Promise.resolve(undefined);
  }
  const layout = l;
  const pieces: { bytes: Uint8Array; at: number; got: number }[] = [];
  for (const { bytes, at } of storedColumns(layout, block!)) {
    for (let off = 0; off < bytes.length; off += piece) pieces.push({ bytes: bytes.subarray(off, Math.min(off + piece, bytes.length)), at: at + off, got: 0 });
  }
  const crcAsRead = layout.header.sum === 'crc32';
  return new Promise((resolve) => {
    let c = layout.headerSum, summed = 0, issued = 0, running = 0, failed = false;
    const finish = (ok: boolean) => {
      try {
        closeSync(fd);
      } catch {
        /* closed */
      }
      resolve(ok && sumMatches(layout, block, c) ? { header: layout.header, block } : undefined);
    };
    const readPiece = (p: (typeof pieces)[number]) => {
      running++;
      read(fd, p.bytes, p.got, p.bytes.length - p.got, p.at + p.got, (e, got) => {
        running--;
        if (e || got <= 0) failed = true;
        else if ((p.got += got) < p.bytes.length && !failed) return readPiece(p); // a short read: the rest
        // the checksum of the pieces read so far, in order
        while (!failed && summed < pieces.length && pieces[summed]!.got === pieces[summed]!.bytes.length) {
          if (crcAsRead) c = crc32!(pieces[summed]!.bytes, c);
          summed++;
        }
        next();
      });
    };
    const next = () => {
      if (failed) {
        if (running === 0) finish(false);
        return;
      }
      if (summed === pieces.length) return finish(true);
      while (running < AHEAD_READS && issued < pieces.length) readPiece(pieces[issued++]!);
    };
    next();
  });
}
