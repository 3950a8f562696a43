/**
 * Schemas built when first used: building the protocol's zod schemas cost ~40 ms of every start of the program,
 * and a backtest (which loads this module for its constants and types) uses none of them, or one or two.
 */

/** A function that builds its value once, on its first call, and gives that value from then on. */
export function once<T>(make: () => T): () => T {
  let made = false, value: T;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value;
  };
}

/**
 * An object with a property per maker, each built on its first read and the same value on every read after
 * (enumerable getters: Object.keys, Object.entries and spreads see every property, and build it).
 */
export function lazyRecord<M extends Record<string, () => unknown>>(makers: M): { readonly [K in keyof M]: ReturnType<M[K]> } {
  const o = {} as { [K in keyof M]: ReturnType<M[K]> };
  for (const k of Object.keys(makers) as (keyof M & string)[]) Object.defineProperty(o, k, { enumerable: true, get: once(makers[k]!) });
  return o;
}
