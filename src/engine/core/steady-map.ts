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

  /**
   * The entries in insertion order: the Map's own iterator, moved past the held entry (always the first). (Not while
   * `clear()` is called: an iterator that lives through a clear would give the held entry.)
   */
  entries(): IterableIterator<[K, V]> {
    const it = this.m.entries();
    it.next();
    return it as IterableIterator<[K, V]>;
  }

  keys(): IterableIterator<K> {
    const it = this.m.keys();
    it.next();
    return it as IterableIterator<K>;
  }

  values(): IterableIterator<V> {
    const it = this.m.values();
    it.next();
    return it as IterableIterator<V>;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
