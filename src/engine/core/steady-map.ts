/**
 * A Map for keys that come and go one at a time (the order manager's intents in flight and its full closes). V8
 * gives a Map a new, smaller table whenever a delete leaves it less than a quarter full — for a long-lived Map that
 * holds one entry at a time, at every delete: ~0.35 µs each (measured on Node 20), and a backtest of a million bars
 * sends ~60,000 intents. This one keeps a private first entry so that its table never empties; otherwise it is the
 * Map: the same order, and the same iteration (an entry deleted while iterating is skipped, one added is visited).
 */
const HOLD: unique symbol = Symbol('steady-map hold');

export class SteadyMap<K, V> implements Iterable<[K, V]> {
  private readonly m = new Map<K | typeof HOLD, V | undefined>([[HOLD, undefined]]);

  get size(): number {
    return this.m.size - 1;
  }

  get(k: K): V | undefined {
    return this.m.get(k);
  }

  has(k: K): boolean {
    return this.m.has(k);
  }

  set(k: K, v: V): this {
    this.m.set(k, v);
    return this;
  }

  delete(k: K): boolean {
    return this.m.delete(k);
  }

  clear(): void {
    this.m.clear();
    this.m.set(HOLD, undefined);
  }

  /** The entries in insertion order (the held entry, always the first, left out). */
  *entries(): IterableIterator<[K, V]> {
    let first = true;
    for (const e of this.m) {
      if (first) first = false;
      else yield e as [K, V];
    }
  }

  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
