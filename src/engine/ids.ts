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
  let s = '';
  do {
    s = B36[n % 36]! + s;
    n = Math.floor(n / 36);
  } while (n > 0);
  return s;
}
