/**
 * Deterministic client intent ids: the same decision always gets the same id (so a re-sent decision is never
 * executed twice), and every id fits the 24 characters the order comment allows (`ix:` + id ≤ 27 < 31).
 */

/** FNV-1a over the string's UTF-16 code units, from `seed`: a 32-bit unsigned hash. */
export function fnv1a(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** 7 base-36 characters of a 32-bit hash. */
export function shortHash(s: string): string {
  return fnv1a(s, 2166136261).toString(36).padStart(7, '0').slice(0, 7);
}

/**
 * An id for a decision identified by `key` within a strategy: `<7 chars of the strategy>-<two independent
 * 32-bit hashes of the key, 14 chars>` = 22 characters. Two different keys collide with probability ~2^-64.
 */
export function intentIdFor(strategyBase: string, key: string): string {
  const a = fnv1a(key, 2166136261).toString(36).padStart(7, '0').slice(0, 7);
  const b = fnv1a(key, 0x811c9dc5 ^ 0x5bd1e995).toString(36).padStart(7, '0').slice(0, 7);
  return `${strategyBase}-${a}${b}`;
}

const B36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * `n.toString(36)`, written out for a whole number from 0 to 2^53 − 1 (a time in seconds past 2038 is not a small
 * integer to V8, and its `toString(36)` took the slow general path: ~1 µs an entry in a backtest); anything else
 * through `toString(36)` itself. The same string (tested).
 */
export function base36(n: number): string {
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER) || Math.floor(n) !== n) return n.toString(36);
  // two digits at a time (a time in seconds is six or seven: three or four strings made instead of six or seven)
  let s = '';
  while (n >= 1296) {
    s = B36_PAIRS[n % 1296]! + s;
    n = Math.floor(n / 1296);
  }
  return B36_LEAD[n]! + s;
}

/** The two base-36 digits of 0 … 1295. */
const B36_PAIRS: readonly string[] = Array.from({ length: 1296 }, (_, i) => B36[Math.floor(i / 36)]! + B36[i % 36]!);
/**
 * 0 … 1295 in base 36 without a leading zero: the first digits of a number. (One table for one and two digits: a
 * branch between two, taken the other way for the first time when times pass 36^6 s (December 2038), threw the compiled
 * code away.)
 */
const B36_LEAD: readonly string[] = Array.from({ length: 1296 }, (_, i) => (i < 36 ? B36[i]! : B36_PAIRS[i]!));
