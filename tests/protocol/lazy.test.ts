/** The protocol's schemas built on first read (src/protocol/lazy.ts): the same schemas, built once, all listed. */
import { describe, expect, it } from 'vitest';
import { lazyRecord, once } from '../../src/protocol/lazy.js';
import { INTENT_TYPES, MsgType, accountSchema, dealSchema, intentBodySchemas, schemas } from '../../src/protocol/messages.js';

describe('lazy schemas', () => {
  it('once builds on the first call only, and gives that value after', () => {
    let built = 0;
    const f = once(() => ({ n: ++built }));
    expect(built).toBe(0);
    const a = f();
    expect(f()).toBe(a);
    expect(built).toBe(1);
  });

  it('lazyRecord builds each property on its first read, once, and lists every property', () => {
    const built: string[] = [];
    const r = lazyRecord({ a: () => (built.push('a'), { v: 1 }), b: () => (built.push('b'), { v: 2 }) });
    expect(built).toEqual([]);
    expect(Object.keys(r)).toEqual(['a', 'b']);
    expect(built).toEqual([]);
    const a = r.a;
    expect(r.a).toBe(a);
    expect(built).toEqual(['a']);
    expect(Object.entries(r).map(([k, v]) => [k, v.v])).toEqual([['a', 1], ['b', 2]]);
    expect(built).toEqual(['a', 'b']);
  });

  it('the message schemas: one per message type, the same object on every read, sharing the named parts', () => {
    expect(Object.keys(schemas).sort()).toEqual(Object.keys(MsgType).sort());
    expect(schemas.SNAPSHOT).toBe(schemas.SNAPSHOT);
    // the generator (tools/compile-mql/protocol-gen.ts) names a part by its identity
    expect(schemas.SNAPSHOT.shape.account).toBe(accountSchema());
    expect(schemas.ACCOUNT.shape.account).toBe(accountSchema());
    expect(schemas.SNAPSHOT.shape.deals.element).toBe(dealSchema());
    expect(Object.keys(intentBodySchemas).sort()).toEqual([...INTENT_TYPES].sort());
    expect(intentBodySchemas.CLOSE).toBe(intentBodySchemas.CLOSE);
    expect(intentBodySchemas.CLOSE.safeParse({ type: 'CLOSE', intentId: 'a-1', magic: 7, ticket: 5, volume: 0, deviation: 10 }).success).toBe(true);
    expect(intentBodySchemas.CLOSE.safeParse({ type: 'CLOSE', intentId: 'a 1', magic: 7, ticket: 5, volume: 0, deviation: 10 }).success).toBe(false);
  });
});
