/**
 * The host's logger: secrets censored (pino's redact over the secret key names, top level and one level down —
 * child bindings, bindings set later and interpolated objects too), a command's context on each of its lines without
 * one line's fields reaching the next (pino's default merge wrote them into the context's object), and the log bus
 * streaming every line to whoever listens.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogBus, createLogger, logContext } from '../../src/host/logger.js';

const sink = () => {
  const lines: string[] = [];
  return { lines, stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) };
};

describe('the host logger', () => {
  it('censors secret-named keys at the top, one level down, in bindings (set at once or later), in a context and in interpolated objects', () => {
    const a = sink();
    const log = createLogger('info', a.stream);
    log.info({ token: 't1', headers: { authorization: 'a1', 'x-api-key': 'k1' }, ok: 1 }, 'top');
    const child = log.child({ apiSecret: 's1', platform: { password: 'p1' } });
    child.info('bindings');
    child.child({ n: 2 }).setBindings({ secret: 's2' });
    const later = log.child({ n: 3 });
    later.setBindings({ apiKey: 'k2' });
    later.info('set later');
    logContext.run({ commandId: 'c1' }, () => log.info({ token: 't3' }, 'in a command %j', { password: 'p3' }));
    const text = a.lines.join('');
    for (const secret of ['t1', 'a1', 'k1', 's1', 'p1', 'k2', 't3', 'p3']) expect(text).not.toContain(`"${secret}"`);
    expect(text.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(8);
    expect(JSON.parse(a.lines[0]!)).toMatchObject({ ok: 1, token: '[redacted]', headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' } });
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

  it('streams every line to the bus while someone listens, and writes the file all the same', () => {
    const a = sink();
    const bus = new LogBus();
    const log = createLogger('info', a.stream, bus);
    log.info('before');
    const heard: string[] = [];
    const listen = (l: string) => heard.push(l);
    bus.on('line', listen);
    log.info({ token: 'x' }, 'while');
    bus.off('line', listen);
    log.info('after');
    expect(heard.map((l) => JSON.parse(l).msg)).toEqual(['while']);
    expect(heard[0]).not.toContain('"x"');
    expect(a.lines.map((l) => JSON.parse(l).msg)).toEqual(['before', 'while', 'after']);
  });
});
