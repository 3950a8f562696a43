/**
 * The bar file's cache read ahead while the program loads the rest of itself (`backtest`): reading 56 MB (a million
 * bars) costs ~0.2 s, mostly the page faults of the memory it is read into, and loading the backtest's modules as
 * long again. The reads run on libuv's threads (bar-cache.ts readCacheBlockAsync) with the same checks as a read
 * on the spot (the file's size and modification time, the cache's length and checksum); loadBarFile uses what was
 * read only for that same file (path, device, inode) whose size and modification time are still those it was read for. Nothing here reports an
 * error: the answer is "this cache, checked", "no cache that is the file's", or none at all (not read ahead), and then
 * loadBarFile reads as without it — so every message about the file is loadBarFile's, as before.
 */
import { statSync } from 'node:fs';
import { CACHE_MIN_BYTES, readCacheBlockAsync, type CacheBlock } from './bar-cache.js';

/**
 * What was found for the file as it was when it was looked at: which file (its path, device and inode: a copy with the
 * same size and time is another file) and its size and modification time (nanoseconds).
 */
export interface Prefetched {
  file: string;
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  /** The cache, checked; undefined: none that is the file's. */
  cache: CacheBlock | undefined;
}

/** Start reading `file`'s cache; the promise gives what was found, or undefined (not read: a small file, not a file). */
export function prefetchBarCache(file: string): Promise<Prefetched | undefined> {
  let st;
  try {
    st = statSync(file, { bigint: true });
  } catch {
    return Promise.resolve(undefined);
  }
  if (!st.isFile() || st.size < BigInt(CACHE_MIN_BYTES)) return Promise.resolve(undefined);
  const { dev, ino, size, mtimeNs } = st;
  return readCacheBlockAsync(file, st).then((cache) => ({ file, dev, ino, size, mtimeNs, cache }), () => undefined);
}
