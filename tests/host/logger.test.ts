/**
 * The host's logger censors secret-named keys itself (redactLine) instead of pino's `redact`, which copied and walked
 * every field of every line. Held here to write, line for line, what pino's `redact` with the same keys wrote —
 * over random objects (tickets as bigints among the values) with secrets at the top, one level down and deeper, in
 * errors, arrays, child bindings and interpolated values — and to leave the caller's objects alone.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, logContext, redactLine, type Logger } from '../../src/host/logger.js';

const SECRET_KEYS = ['token', 'apiKey', 'apiSecret', 'secret', 'password', 'authorization', 'x-api-key', 'x-api-secret'];

const sink = () => {
  const lines: string[] = [];
  return { lines, stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) };
};
/** What the host's logger was (main at 234d2e4): pino's redact over the same keys, top level and one level down. */
const pinoRedacting = (stream: Writable): Logger =>
  pino({
    level: 'info', base: { app: 'mt5-executor' },
    redact: { paths: [...SECRET_KEYS.map((k) => `["${k}"]`), ...SECRET_KEYS.map((k) => `*["${k}"]`)], censor: '[redacted]' },
  }, stream);
const withoutTime = (line: string) => line.replace(/"time":\d+,/, '');

class TokenError extends Error {
  constructor(message: string, readonly token: string, readonly code = 7) {
    super(message);
  }
}

const key = fc.oneof(fc.constantFrom(...SECRET_KEYS), fc.constantFrom('strategyId', 'intentId', 'err', 'headers', 'detail', 'n', 'list'));
const leaf = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double({ noNaN: true }), fc.bigInt(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.dictionary(key, tie('v'), { maxKeys: 4 }),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([m, t]) => new TokenError(m, t)),
    fc.string({ maxLength: 8 }).map((m) => new Error(m)),
  ),
})).v;
const line = fc.dictionary(key, value, { maxKeys: 6 });
/** pino's child reads `bindings.hasOwnProperty`: bindings have a prototype */
const bindingsOf = fc.dictionary(key, value, { maxKeys: 4, noNullPrototype: true });

describe('logger: secrets censored as pino redact did, without its copies', () => {
  it('writes every line as pino redact wrote it (random objects, errors, arrays, nesting)', () => {
    fc.assert(
      fc.property(line, fc.string({ maxLength: 10 }), (obj, msg) => {
        const a = sink(), b = sink();
        const seen = (_k: string, v: unknown) => (v === undefined ? '<u>' : typeof v === 'bigint' ? `${v}n` : v instanceof Error ? { ...v, message: v.message } : v);
        const before = JSON.stringify(obj, seen);
        createLogger('info', a.stream).info(obj, msg);
        pinoRedacting(b.stream).info(obj, msg);
        expect(withoutTime(a.lines.join(''))).toBe(withoutTime(b.lines.join('')));
        // the caller's object is never changed
        expect(JSON.stringify(obj, seen)).toBe(before);
      }),
      { numRuns: 400 },
    );
  });

  it('censors child bindings and interpolated objects as pino redact did', () => {
    fc.assert(
      fc.property(bindingsOf, line, line, (bindings, obj, arg) => {
        const a = sink(), b = sink();
        createLogger('info', a.stream).child(bindings).info(obj, 'with %o and %j', arg, arg);
        createLogger('info', a.stream).info('plain %j', arg);
        pinoRedacting(b.stream).child(bindings).info(obj, 'with %o and %j', arg, arg);
        pinoRedacting(b.stream).info('plain %j', arg);
        expect(a.lines.map(withoutTime)).toEqual(b.lines.map(withoutTime));
      }),
      { numRuns: 200 },
    );
  });

  it('a line without a secret is written as given, not copied; one with a secret is a copy', () => {
    const plain = { strategyId: 's1', intentId: 'i', nested: { a: 1 }, list: [{ token: 'in an array: not a path pino redacted' }] };
    expect(redactLine(plain)).toBe(plain);
    const secret = { strategyId: 's1', headers: { authorization: 'Bearer x' } };
    const out = redactLine(secret);
    expect(out).not.toBe(secret);
    expect(out).toEqual({ strategyId: 's1', headers: { authorization: '[redacted]' } });
    expect(secret.headers.authorization).toBe('Bearer x');
    const err = new TokenError('boom', 'tok');
    const e = redactLine({ err }).err;
    expect(e).toBeInstanceOf(TokenError);
    expect([e.message, e.token, e.code, err.token]).toEqual(['boom', '[redacted]', 7, 'tok']);
  });

  it("a command's context goes on each of its lines, and one line's fields never onto the next", () => {
    const a = sink();
    const log = createLogger('info', a.stream);
    const ctx = { commandId: 'c1', commandType: 'STOP_STRATEGY' };
    logContext.run(ctx, () => {
      log.info({ err: 'boom', strategyId: 's1' }, 'one');
      log.info('two');
    });
    log.info({ x: 1 }, 'three');
    const lines = a.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map(({ time: _t, ...rest }) => rest)).toEqual([
      { level: 30, app: 'mt5-executor', commandId: 'c1', commandType: 'STOP_STRATEGY', err: 'boom', strategyId: 's1', msg: 'one' },
      { level: 30, app: 'mt5-executor', commandId: 'c1', commandType: 'STOP_STRATEGY', msg: 'two' },
      { level: 30, app: 'mt5-executor', x: 1, msg: 'three' },
    ]);
    expect(ctx).toEqual({ commandId: 'c1', commandType: 'STOP_STRATEGY' });
  });
});
