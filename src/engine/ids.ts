/**
 * Deterministic client intent ids: the same decision always gets the same id (so a re-sent decision is never
 * executed twice), and every id fits the 24 characters the order comment allows (`ix:` + id ≤ 27 < 31).
 */

function fnv1a(s: string, seed: number): number {
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
