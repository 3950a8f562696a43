/**
 * The bar file's cache read ahead on another thread (a worker), while the program loads the rest of itself and the
 * strategy: reading 56 MB (a million bars) costs ~0.2 s, mostly the page faults of the memory it is read into, and
 * the program's modules as long again on the main thread. The worker reads and checks the cache as bar-cache.ts
 * does (the file's size and modification time, the cache's length and checksum) and hands the block over
 * (transferred, not copied); loadBarFile uses it only when the file's size and modification time are still those it
 * was read for. Nothing here reports an error: the worker's answer is "this cache, checked", "no cache that is the
 * file's", or none at all (the worker could not start or failed), and then loadBarFile reads as without it —
 * so every message about the file is the main thread's, as before.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { statSync } from 'node:fs';
import { CACHE_MIN_BYTES, readCacheBlock, type CacheBlock } from './bar-cache.js';

/** What the worker found for the file as it was when it looked (size and modification time, nanoseconds). */
export interface Prefetched {
  size: bigint;
  mtimeNs: bigint;
  /** The cache, checked; undefined: none that is the file's. */
  cache: CacheBlock | undefined;
}

const KEY = 'mt5xBarCachePrefetch';

/**
 * Start reading `file`'s cache on a worker; the promise gives what it found, or undefined (not read: a small file, not
 * a file, no worker). A program that is not a JavaScript file (the single executable, whose worker would have to be
 * the executable; the sources run by a test runner) reads no cache ahead.
 */
export function prefetchBarCache(file: string): Promise<Prefetched | undefined> {
  const self = new URL(import.meta.url);
  if (self.protocol !== 'file:' || !/\.m?js$/.test(self.pathname)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(self, { workerData: { [KEY]: file } });
    } catch {
      resolve(undefined);
      return;
    }
    worker.once('message', (m: Prefetched | null) => resolve(m ?? undefined));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
}

/** In the worker: stat the file, read its cache, send what was found (the block transferred). */
function answer(file: string): void {
  let found: Prefetched | null = null;
  try {
    const st = statSync(file, { bigint: true });
    if (st.isFile() && st.size >= BigInt(CACHE_MIN_BYTES)) found = { size: st.size, mtimeNs: st.mtimeNs, cache: readCacheBlock(file, st) };
  } catch {
    found = null;
  }
  parentPort!.postMessage(found, found?.cache ? [found.cache.block] : []);
}

if (!isMainThread && typeof (workerData as Record<string, unknown> | null)?.[KEY] === 'string') answer((workerData as Record<string, string>)[KEY]!);
