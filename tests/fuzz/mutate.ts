/** Replace the value at a random path of `v` with `x` (a path index picks among the keys at each level). */
export function mutate(v: unknown, pick: number[], x: unknown): unknown {
  if (!pick.length || v === null || typeof v !== 'object') return x;
  const keys = Object.keys(v as object);
  if (!keys.length) return x;
  const k = keys[pick[0]! % keys.length]!;
  const copy: Record<string, unknown> = Array.isArray(v) ? ([...v] as unknown as Record<string, unknown>) : { ...(v as object) };
  copy[k] = mutate((v as Record<string, unknown>)[k], pick.slice(1), x);
  return copy;
}
