/**
 * A Map for keys that come and go one at a time (the order manager's intents in flight and its full closes, the
 * simulated broker's open positions, the backtest's open trades). V8 shrinks a Map's table whenever a delete leaves
 * it less than a quarter full — for a long-lived Map that holds one entry at a time, at every delete, off its fast
 * path: ~0.6 µs a set/delete pair against ~0.04 µs here (Node 20), and a backtest of a million bars sends ~60,000
 * intents. This one keeps a private first entry so that its table never shrinks; V8 still rebuilds the table (at the
 * same size) every few deletes to drop the deleted slots, so it makes about as much garbage as a Map — it is faster,
 * not leaner. Otherwise it is the Map: the same order, and the same iteration (an entry deleted while iterating is
 * skipped, one added is visited). Not to be cleared while a loop over it runs (the loop would see the held entry).
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
