/**
 * Loading the protocol builds none of its named parts (a backtest loads it for its constants and decodes no message;
 * building them cost ~20 ms of its start): each part is built on its first call, once. zod's object and tuple
 * builders are counted (the real ones, wrapped).
 */
import { describe, expect, it, vi } from 'vitest';

const built = vi.hoisted(() => ({ object: 0, tuple: 0 }));
vi.mock('zod', async (importOriginal) => {
  const z = await importOriginal<typeof import('zod')>();
  return {
    ...z,
    object: ((...a: Parameters<typeof z.object>) => (built.object++, z.object(...a))) as typeof z.object,
    tuple: ((...a: Parameters<typeof z.tuple>) => (built.tuple++, z.tuple(...a))) as typeof z.tuple,
  };
});

describe('the protocol module loads without building its parts', () => {
  it('no object or tuple schema is built by the import; a part is built on its first call and the same after', async () => {
    const m = await import('../../src/protocol/messages.js');
    expect(m.MsgType.ACCOUNT).toBe(26); // the module did load (its constants are there)
    expect(built).toEqual({ object: 0, tuple: 0 });
    const account = m.accountSchema();
    expect(built.object).toBe(1);
    expect(m.accountSchema()).toBe(account);
    expect(built.object).toBe(1);
    expect(m.barTuple()).toBe(m.barTuple());
    expect(built.tuple).toBe(1);
    // the message that carries the part holds that very object
    expect(m.schemas.ACCOUNT.shape.account).toBe(account);
    expect(account.safeParse({ login: 1 }).success).toBe(false);
  });
});
