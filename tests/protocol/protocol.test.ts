import { ExtData, decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_FRAME_BYTES,
  MsgType,
  ProtocolError,
  SeqChecker,
  decodeMessage,
  encodeMessage,
  fastTicks,
  fastBar,
  fastHistory,
  fastIntentBody,
  fastAccount,
  fastPositions,
  fastOrders,
  fastIntentResult,
  fastTradeTx,
  encodeRaw,
  INTENT_TYPES,
  intentBodySchemas,
  intentIdSchema,
  isIntentId,
  retcodeClass,
  retcodeText,
  schemas,
  type IntentTypeName,
  type MsgTypeName,
} from '../../src/protocol/index.js';
import { BIG_TICKET, sampleBodies } from '../helpers.js';
import { mutatedList, mutatedPositions } from './list-mutations.js';

const NAMES = Object.keys(MsgType) as MsgTypeName[];
const TYPE_NAME_OF = Object.fromEntries(NAMES.map((n) => [MsgType[n], n])) as Record<number, MsgTypeName>;

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const int40 = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
const seqArb = fc.integer({ min: 1, max: 2 ** 40 });
const barArb = fc.tuple(int40, finite, finite, finite, finite, finite, int40, finite);

/**
 * A message fast path against its zod schema, over `runs` messages (valid ones, most with one field broken):
 * whatever it accepts zod accepts, and equal to zod's output (the fast path hands the message on as it is); and
 * it accepts every message zod accepts that has no unknown key (`hasExtra`), else the hot path would be slow.
 * Both sides must be reached in a tenth of the runs.
 */
function expectFastPathEqualsZod(
  name: 'TICKS' | 'BAR' | 'ACCOUNT' | 'HISTORY',
  fast: (m: Record<string, unknown>) => boolean,
  messages: fc.Arbitrary<Record<string, unknown>>,
  runs: number,
  hasExtra: (m: Record<string, unknown>) => boolean = (m) => 'extra' in m,
): void {
  let accepted = 0, rejected = 0;
  fc.assert(
    fc.property(messages, (m) => {
      const z = schemas[name].safeParse(m);
      const f = fast(m);
      if (f) {
        accepted++;
        expect(z.success, name).toBe(true);
        expect(m).toEqual(z.data);
      } else rejected++;
      if (z.success && !hasExtra(m)) expect(f, name).toBe(true);
    }),
    { numRuns: runs },
  );
  expect(accepted, name).toBeGreaterThan(runs / 10);
  expect(rejected, name).toBeGreaterThan(runs / 10);
}

/** Walk a decoded value and fail on anything that is not plain MessagePack data. */
function assertPlain(v: unknown, path = '$'): void {
  if (v instanceof ExtData) throw new Error(`extension type ${v.type} at ${path}`);
  if (Array.isArray(v)) v.forEach((x, i) => assertPlain(x, `${path}[${i}]`));
  else if (v && typeof v === 'object' && !(v instanceof Uint8Array)) for (const [k, x] of Object.entries(v)) assertPlain(x, `${path}.${k}`);
}

describe('protocol codec', () => {
  const bodies = sampleBodies();

  it('has a sample for every message type, and every sample validates', () => {
    expect(Object.keys(bodies).sort()).toEqual([...NAMES].sort());
    for (const n of NAMES) {
      const r = schemas[n].safeParse({ type: MsgType[n], seq: 1, ...bodies[n] });
      expect(r.success, `${n}: ${r.success ? '' : r.error.message}`).toBe(true);
    }
  });

  it.each(NAMES)('%s: our encoding is read by @msgpack/msgpack, exactly, with no extension types', (name) => {
    const bytes = encodeMessage(name, 42, bodies[name]);
    const independent = msgpackDecode(bytes, { useBigInt64: true }) as Record<string, unknown>;
    assertPlain(independent);
    // exactly what was sent: every field, tickets as 64-bit integers
    expect(independent).toEqual({ type: MsgType[name], seq: 42, ...bodies[name] });
  });

  it.each(NAMES)('%s: an independent encoding (@msgpack/msgpack) is decoded and validated by the host', (name) => {
    const msg = { type: MsgType[name], seq: 3, ...bodies[name] };
    const bytes = msgpackEncode(msg, { useBigInt64: true, ignoreUndefined: true });
    const decoded = decodeMessage(bytes) as Record<string, unknown>;
    expect(decoded.type).toBe(MsgType[name]);
    expect(decoded.seq).toBe(3);
    // the host's view equals the original, tickets as bigint
    const expected = schemas[name].parse(msg);
    expect(decoded).toEqual(expected);
  });

  it('keeps 64-bit tickets and time_msc exact in both directions', () => {
    const max = 2n ** 64n - 1n;
    const bytes = encodeMessage('CLOSE', 1, { id: 1, intentId: 'c', magic: 1, ticket: max, volume: 0, deviation: 0 });
    expect((msgpackDecode(bytes, { useBigInt64: true }) as { ticket: bigint }).ticket).toBe(max);
    const fromEa = msgpackEncode({ type: MsgType.POSITIONS, seq: 1, positions: [{ ...sampleBodies().POSITIONS.positions[0], ticket: BIG_TICKET, identifier: max }] }, { useBigInt64: true });
    const got = decodeMessage(fromEa);
    expect(got.type === MsgType.POSITIONS && got.positions[0]!.ticket).toBe(BIG_TICKET);
    expect(got.type === MsgType.POSITIONS && got.positions[0]!.identifier).toBe(max);
    // small tickets sent as small ints (as the EA's encoder may) still come out as bigint
    const small = decodeMessage(msgpackEncode({ ...sampleBodies().CANCEL, type: MsgType.CANCEL, seq: 1, ticket: 5 }));
    expect(small.type === MsgType.CANCEL && small.ticket).toBe(5n);
    // the edges where decoders switch between number and bigint
    for (const edge of [2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      const m = decodeMessage(msgpackEncode({ ...sampleBodies().CANCEL, type: MsgType.CANCEL, seq: 1, ticket: edge }, { useBigInt64: true }));
      expect(m.type === MsgType.CANCEL && m.ticket).toBe(edge);
      const back = msgpackDecode(encodeMessage('CANCEL', 1, { ...sampleBodies().CANCEL, ticket: edge }), { useBigInt64: true }) as { ticket: bigint };
      expect(back.ticket).toBe(edge);
    }
    // a float ticket is refused, not rounded
    expect(() => decodeMessage(msgpackEncode({ ...sampleBodies().CANCEL, type: MsgType.CANCEL, seq: 1, ticket: 2 ** 60 }))).toThrow(/ticket/);
    const t = 1704715200123;
    const ticks = decodeMessage(encodeMessage('TICKS', 1, { symbol: 'X', ticks: [[t, 1, 1, 0, 0, 6]] }));
    expect(ticks.type === MsgType.TICKS && ticks.ticks[0]![0]).toBe(t);
  });

  it('names the field that is wrong', () => {
    const bad = encodeRaw({ type: MsgType.TICKS, seq: 1, symbol: 'EURUSD', ticks: [[1, 'x', 1, 0, 0, 6]] });
    expect(() => decodeMessage(bad)).toThrow(/TICKS: ticks\[0\]\[1\]: .*expected number/);
    const noToken = encodeRaw({ ...sampleBodies().HELLO, type: MsgType.HELLO, seq: 1, token: undefined });
    expect(() => decodeMessage(noToken)).toThrow(/HELLO: token:/);
    const badIntent = encodeRaw({ ...sampleBodies().OPEN, type: MsgType.OPEN, seq: 1, intentId: 'has space' });
    expect(() => decodeMessage(badIntent)).toThrow(/intentId: letters, digits/);
  });

  it('rejects what is not a message, with a code', () => {
    const code = (b: Uint8Array) => {
      try {
        decodeMessage(b);
      } catch (e) {
        return (e as ProtocolError).code;
      }
      return 'ok';
    };
    expect(code(Uint8Array.of(0xc1))).toBe('MALFORMED'); // never-used byte
    expect(code(encodeRaw([1, 2, 3]))).toBe('MALFORMED');
    expect(code(encodeRaw({ type: 999, seq: 1 }))).toBe('UNKNOWN_TYPE');
    expect(code(encodeRaw({ seq: 1 }))).toBe('MALFORMED');
    expect(code(new Uint8Array(MAX_FRAME_BYTES + 1))).toBe('TOO_LARGE');
  });

  it('never throws anything but ProtocolError on arbitrary bytes or values (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.record({ type: fc.constantFrom(...Object.values(MsgType)), seq: fc.integer(), x: fc.anything() }), (v) => {
        try {
          decodeMessage(encodeRaw(v));
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the TICKS fast path accepts exactly what the zod schema accepts, with the same value (property)', () => {
    const valid = fc.record({
      type: fc.constant(MsgType.TICKS),
      seq: fc.integer({ min: 1, max: 2 ** 40 }),
      symbol: fc.string({ minLength: 1, maxLength: 64 }),
      ticks: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 50 }), finite, finite, finite, finite, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 }),
    });
    const bad = fc.oneof(fc.constant(NaN), fc.constant(Infinity), fc.constant(1.5), fc.constant(2 ** 60), fc.constant('1'), fc.constant(null), fc.constant(undefined), fc.constant(-1), fc.constant(0));
    // a valid message, then none or one mutation: every branch of both validators is reached
    const mutated = fc.tuple(valid, fc.nat(9), bad, fc.nat(5), fc.nat(10)).map(([m, kind, v, col, row]) => {
      const o = structuredClone(m) as Record<string, unknown> & { ticks: unknown[][] };
      const r = row % o.ticks.length;
      if (kind === 1) o.seq = v;
      else if (kind === 2) o.symbol = typeof v === 'string' ? '' : v;
      else if (kind === 3) o.ticks[r]![col] = v;
      else if (kind === 4) o.ticks[r]!.push(0);
      else if (kind === 5) o.ticks[r]!.pop();
      else if (kind === 6) o.extra = v;
      else if (kind === 7) o.ticks = [];
      else if (kind === 8) o.symbol = 'X'.repeat(65);
      return o;
    });
    expectFastPathEqualsZod('TICKS', fastTicks, mutated, 5000);
  });

  it('the BAR and ACCOUNT fast paths accept exactly what the zod schemas accept, with the same value (property)', () => {
    const int = int40;
    const bar = fc.record({
      type: fc.constant(MsgType.BAR),
      seq: seqArb,
      symbol: fc.string({ minLength: 1, maxLength: 64 }),
      timeframe: fc.constantFrom('M1', 'H1', 'MN1'),
      bar: barArb,
    });
    const account = fc.record(
      {
        login: int, server: fc.string(), name: fc.string(), company: fc.string(), currency: fc.string({ minLength: 3, maxLength: 8 }),
        currencyDigits: fc.integer({ min: 0, max: 8 }), leverage: fc.integer({ min: 1, max: 3000 }), marginMode: fc.integer({ min: 0, max: 2 }),
        tradeMode: fc.integer({ min: 0, max: 2 }), balance: finite, credit: finite, equity: finite, profit: finite, margin: finite,
        freeMargin: finite, marginLevel: finite, stopOutLevel: finite, tradeAllowed: fc.boolean(), serverTime: int,
      },
      { requiredKeys: ['login', 'server', 'currency', 'currencyDigits', 'leverage', 'marginMode', 'tradeMode', 'balance', 'credit', 'equity', 'profit', 'margin', 'freeMargin', 'marginLevel', 'stopOutLevel', 'tradeAllowed', 'serverTime'] },
    );
    const accountMsg = fc.record({ type: fc.constant(MsgType.ACCOUNT), seq: fc.integer({ min: 1, max: 2 ** 40 }), account });
    const bad = fc.oneof(...[NaN, Infinity, 1.5, 2 ** 60, -1, 0, 9, 3, '', 'ab', 'X'.repeat(65), 'W2', null, undefined, true, [], {}].map((v) => fc.constant(v)));
    // a valid message, then none or one mutation of one field (anywhere in it): every branch of both validators is reached
    const mutate = (valid: fc.Arbitrary<Record<string, unknown>>) =>
      fc.tuple(valid, fc.nat(4), bad, fc.nat(40)).map(([m, kind, v, at]) => {
        const o = structuredClone(m);
        const inner = (o.bar ?? o.account) as Record<string, unknown>;
        const fields = [...Object.keys(o).filter((k) => k !== 'bar' && k !== 'account'), ...Object.keys(inner).map((k) => `.${k}`)];
        const f = fields[at % fields.length]!;
        const target = f.startsWith('.') ? inner : o;
        const key = f.replace(/^\./, '');
        if (kind === 1) target[key] = v;
        else if (kind === 2) delete target[key];
        else if (kind === 3) (Array.isArray(target) ? o : target).extra = v; // an unknown key (MessagePack arrays have none)
        else if (kind === 4 && Array.isArray(inner)) inner.push(0);
        return o;
      });
    for (const [name, valid, fast] of [['BAR', bar, fastBar], ['ACCOUNT', accountMsg, fastAccount]] as const) {
      expectFastPathEqualsZod(name, fast, mutate(valid as fc.Arbitrary<Record<string, unknown>>), 4000, (m) => 'extra' in m || 'extra' in ((m.bar ?? m.account) as object));
    }
  });

  it('the POSITIONS fast path accepts exactly what the zod schema accepts, with the same value, tickets made bigints (property)', () => {
    const ticketArb = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(2 ** 53));
    const position = fc.record({
      ticket: ticketArb, identifier: ticketArb, symbol: fc.string({ minLength: 1, maxLength: 64 }), type: fc.integer({ min: 0, max: 1 }),
      volume: finite, priceOpen: finite, priceCurrent: finite, sl: finite, tp: finite, time: int40, timeMsc: int40, magic: int40,
      comment: fc.string(), swap: finite, profit: finite,
    });
    const positions = fc.record({ type: fc.constant(MsgType.POSITIONS), seq: seqArb, positions: fc.array(position, { maxLength: 5 }) });
    const bad = fc.constantFrom<unknown>(NaN, Infinity, 1.5, 2 ** 53 + 2, 2 ** 60, -1, -1n, 2n ** 64n, 2, '', 'X'.repeat(65), null, undefined, true, [], {});
    // none or one mutation: a top-level field set, deleted or added, or one position's field set, deleted or added
    const mutated = mutatedPositions(positions, bad);
    let accepted = 0, rejected = 0, converted = 0;
    fc.assert(
      fc.property(mutated, (m) => {
        const z = schemas.POSITIONS.safeParse(structuredClone(m));
        const f = fastPositions(m);
        if (f) {
          accepted++;
          expect(z.success).toBe(true);
          expect(m).toEqual(z.data); // the numbers sent as tickets are bigints now, as zod makes them
          if ((z.data as { positions: { ticket: bigint }[] }).positions.length) converted++;
        } else rejected++;
        const extra = 'extra' in m || (Array.isArray(m.positions) && m.positions.some((p) => p && typeof p === 'object' && 'extra' in p));
        if (z.success && !extra) expect(f).toBe(true);
      }),
      { numRuns: 4000 },
    );
    expect(accepted).toBeGreaterThan(400);
    expect(rejected).toBeGreaterThan(400);
    expect(converted).toBeGreaterThan(100);
  });

  it('the ORDERS fast path accepts exactly what the zod schema accepts, with the same value, tickets made bigints (property)', () => {
    const ticketArb = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(2 ** 53));
    const order = fc.record({
      ticket: ticketArb, symbol: fc.string({ minLength: 1, maxLength: 64 }), type: fc.integer({ min: 0, max: 8 }), volume: finite, priceOpen: finite,
      stopLimit: finite, sl: finite, tp: finite, timeSetup: int40, expiration: int40, magic: int40, comment: fc.string(),
    });
    const orders = fc.record({ type: fc.constant(MsgType.ORDERS), seq: seqArb, orders: fc.array(order, { maxLength: 4 }) });
    const bad = fc.constantFrom<unknown>(NaN, Infinity, 1.5, 2 ** 53 + 2, 2 ** 60, -1, -1n, 2n ** 64n, 9, '', 'X'.repeat(65), null, undefined, true, [], {});
    // none or one mutation: a top-level field set, deleted or added, or one order's field set, deleted or added
    const mutated = mutatedList(orders, bad, 'orders', 12);
    let accepted = 0, rejected = 0, converted = 0, empty = 0;
    fc.assert(
      fc.property(mutated, (m) => {
        const z = schemas.ORDERS.safeParse(structuredClone(m));
        const f = fastOrders(m);
        if (f) {
          accepted++;
          expect(z.success).toBe(true);
          expect(m).toEqual(z.data); // the numbers sent as tickets are bigints now, as zod makes them
          if ((z.data as { orders: { ticket: bigint }[] }).orders.length) converted++;
          else empty++;
        } else rejected++;
        const extra = 'extra' in m || (Array.isArray(m.orders) && m.orders.some((p) => p && typeof p === 'object' && 'extra' in p));
        if (z.success && !extra) expect(f).toBe(true);
      }),
      { numRuns: 4000 },
    );
    expect(accepted).toBeGreaterThan(400);
    expect(rejected).toBeGreaterThan(400);
    expect(converted).toBeGreaterThan(100);
    expect(empty).toBeGreaterThan(50);
    // as the host decodes it from the wire: the terminal's empty list and a list with an order, each equal to zod's
    for (const body of [{ orders: [] }, sampleBodies().ORDERS]) {
      const bytes = encodeMessage('ORDERS', 7, body as never);
      const got = decodeMessage(bytes);
      expect(got).toEqual(schemas.ORDERS.parse({ type: MsgType.ORDERS, seq: 7, ...body }));
    }
  });

  it('the INTENT_RESULT and TRADE_TX fast paths accept exactly what the zod schemas accept, with the same value, tickets made bigints; decoded from bytes as zod decodes them (property)', () => {
    const ticketArb = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(2 ** 53));
    const core = {
      retcode: int40, class: fc.constantFrom('done', 'retry', 'final', 'ambiguous'), retcodeExternal: int40, order: ticketArb, deal: ticketArb, position: ticketArb,
      volume: finite, price: finite, bid: finite, ask: finite, comment: fc.string(),
    };
    const result = fc.record(
      {
        type: fc.constant(MsgType.INTENT_RESULT), seq: seqArb, re: fc.integer({ min: 0, max: 2 ** 40 }), intentId: fc.stringMatching(/^[A-Za-z0-9_.-]{1,24}$/),
        ...core, duplicate: fc.boolean(), results: fc.array(fc.record({ ticket: ticketArb, ...core }, { requiredKeys: ['ticket', 'retcode', 'class'] }), { maxLength: 2 }),
      },
      { requiredKeys: ['type', 'seq', 're', 'intentId', 'retcode', 'class', 'duplicate'] },
    ).map((m) => {
      if (m.seq % 5 !== 0) delete m.results; // a CLOSE_ALL's list in one result in five
      return m;
    });
    const tx = fc.record(
      {
        type: fc.constant(MsgType.TRADE_TX), seq: seqArb, txType: int40, deal: ticketArb, order: ticketArb, position: ticketArb, symbol: fc.string(),
        orderType: int40, orderState: int40, dealType: int40, price: finite, sl: finite, tp: finite, volume: finite,
        dealEntry: int40, profit: finite, swap: finite, commission: finite, magic: int40, comment: fc.string(), timeMsc: int40,
      },
      { requiredKeys: ['type', 'seq', 'txType', 'deal', 'order', 'position', 'symbol', 'orderType', 'orderState', 'dealType', 'price', 'sl', 'tp', 'volume', 'timeMsc'] },
    );
    const bad = fc.constantFrom<unknown>(NaN, Infinity, 1.5, 2 ** 53 + 2, 2 ** 60, -1, -1n, 2n ** 64n, 2, '', 'a b', 'x'.repeat(25), 'done', 'ok', null, undefined, true, [], {});
    // none or one mutation: a field set to a bad value, deleted, or an unknown key added
    const mutate = (valid: fc.Arbitrary<Record<string, unknown>>) =>
      fc.tuple(valid, fc.nat(3), bad, fc.nat(40)).map(([m, kind, v, at]) => {
        const o = structuredClone(m);
        const key = Object.keys(o)[at % Object.keys(o).length]!;
        if (kind === 1) o[key] = v;
        else if (kind === 2) delete o[key];
        else if (kind === 3) o.extra = v;
        return o;
      });
    for (const [name, valid, fast] of [['INTENT_RESULT', result, fastIntentResult], ['TRADE_TX', tx, fastTradeTx]] as const) {
      let accepted = 0, rejected = 0, converted = 0;
      fc.assert(
        fc.property(mutate(valid as fc.Arbitrary<Record<string, unknown>>), (m) => {
          const z = schemas[name].safeParse(structuredClone(m));
          const hadNumberTicket = ['order', 'deal', 'position'].some((k) => typeof m[k] === 'number');
          const f = fast(m);
          if (f) {
            accepted++;
            expect(z.success, name).toBe(true);
            expect(m, name).toStrictEqual(z.data); // the numbers sent as tickets are bigints now, as zod makes them
            if (hadNumberTicket) converted++;
          } else rejected++;
          // everything zod accepts but an unknown key (zod strips it) and a CLOSE_ALL's results list goes the fast way
          if (z.success && !('extra' in m) && !(name === 'INTENT_RESULT' && 'results' in m)) expect(f, name).toBe(true);
        }),
        { numRuns: 4000 },
      );
      expect(accepted, name).toBeGreaterThan(400);
      expect(rejected, name).toBeGreaterThan(400);
      expect(converted, name).toBeGreaterThan(100);
    }
    // from the bytes: decodeMessage (the fast path where it applies) gives zod's value, or the error zod words
    const zodDecode = (bytes: Uint8Array): unknown => {
      const raw = msgpackDecode(bytes, { useBigInt64: false }) as Record<string, unknown>;
      const z = schemas[TYPE_NAME_OF[raw.type as number]!].safeParse(raw);
      return z.success ? z.data : 'MALFORMED';
    };
    fc.assert(
      fc.property(fc.oneof(mutate(result as fc.Arbitrary<Record<string, unknown>>), mutate(tx as fc.Arbitrary<Record<string, unknown>>)), (m) => {
        fc.pre(m.type === MsgType.INTENT_RESULT || m.type === MsgType.TRADE_TX);
        fc.pre(!Object.values(m).some((v) => v === undefined || (typeof v === 'bigint' && v > BigInt(Number.MAX_SAFE_INTEGER)) || (Array.isArray(m.results) && m.results.some((r) => Object.values(r as object).some((x) => typeof x === 'bigint' && x > BigInt(Number.MAX_SAFE_INTEGER))))));
        const bytes = encodeRaw(m);
        let got: unknown;
        try {
          got = decodeMessage(bytes);
        } catch (e) {
          expect((e as ProtocolError).code).toBe('MALFORMED');
          got = 'MALFORMED';
        }
        expect(got).toStrictEqual(zodDecode(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('the HISTORY fast path accepts exactly what the zod schema accepts, with the same value (property)', () => {
    const history = fc.record({
      type: fc.constant(MsgType.HISTORY),
      seq: seqArb,
      re: fc.integer({ min: 0, max: 2 ** 40 }),
      symbol: fc.string({ minLength: 1, maxLength: 64 }),
      timeframe: fc.constantFrom('M1', 'H1', 'MN1'),
      bars: fc.array(barArb, { maxLength: 6 }),
    });
    const bad = fc.constantFrom<unknown>(NaN, Infinity, 1.5, 2 ** 60, -1, 0, '', 'W2', 'X'.repeat(65), null, undefined, true, [], {});
    // none or one mutation: a top-level field set, deleted or added, or one bar's field set, a bar lengthened or shortened
    const mutated = fc.tuple(history, fc.nat(6), bad, fc.nat(40), fc.nat(8)).map(([m, kind, v, at, col]) => {
      const o = structuredClone(m) as Record<string, unknown> & { bars: unknown[][] };
      const keys = Object.keys(o);
      const row = o.bars.length ? o.bars[at % o.bars.length]! : undefined;
      if (kind === 1) o[keys[at % keys.length]!] = v;
      else if (kind === 2) delete o[keys[at % keys.length]!];
      else if (kind === 3) o.extra = v;
      else if (kind === 4 && row) row[col % 8] = v;
      else if (kind === 5 && row) row.push(0);
      else if (kind === 6 && row) row.pop();
      return o;
    });
    expectFastPathEqualsZod('HISTORY', fastHistory, mutated, 4000);
  });

  it('the intent fast path (OPEN, CLOSE, MODIFY) accepts exactly what the body schemas accept, with the same value (property)', () => {
    const nonneg = fc.double({ min: 0, noNaN: true, noDefaultInfinity: true });
    const base = { intentId: fc.stringMatching(/^[A-Za-z0-9_.-]{1,24}$/), magic: fc.integer({ min: 0, max: 2 ** 40 }) };
    const ticket = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    const open = fc.record(
      { type: fc.constant('OPEN'), ...base, symbol: fc.string({ minLength: 1, maxLength: 64 }), side: fc.constantFrom(0, 1), volume: fc.double({ min: 1e-6, max: 100, noNaN: true }), price: nonneg, sl: nonneg, tp: nonneg, deviation: fc.nat() },
      { requiredKeys: ['type', 'intentId', 'magic', 'symbol', 'side', 'volume', 'sl', 'tp', 'deviation'] },
    );
    const close = fc.record({ type: fc.constant('CLOSE'), ...base, ticket, volume: nonneg, deviation: fc.nat() });
    const modify = fc.record({ type: fc.constant('MODIFY'), ...base, ticket, sl: nonneg, tp: nonneg });
    const cancel = fc.record({ type: fc.constant('CANCEL'), ...base, ticket }); // never on the fast path
    const bad = fc.constantFrom<unknown>(NaN, Infinity, -1, -0.5, 1.5, 2, 2 ** 60, 2 ** 64, 5n, -1n, 2n ** 64n, '', 'a b', 'x'.repeat(25), 'X'.repeat(65), null, undefined, true, 'CLOSE_ALL');
    const mutated = fc.tuple(fc.oneof(open, close, modify, cancel), fc.nat(3), bad, fc.nat(20)).map(([m, kind, v, at]) => {
      const o: Record<string, unknown> = { ...m };
      const key = Object.keys(o)[at % Object.keys(o).length]!;
      if (kind === 1) o[key] = v;
      else if (kind === 2) delete o[key];
      else if (kind === 3) o.extra = v;
      return o;
    });
    let accepted = 0, rejected = 0;
    fc.assert(
      fc.property(mutated, (o) => {
        const name = o.type as IntentTypeName;
        const z = INTENT_TYPES.includes(name) ? intentBodySchemas[name].safeParse(o) : undefined;
        const f = fastIntentBody(o);
        if (f) {
          accepted++;
          expect(z?.success, name).toBe(true);
          const { type: _t, ...fields } = o;
          expect(fields).toEqual(z!.data); // handed on as it is: it must equal zod's output
        } else rejected++;
        // zod accepts an OPEN / CLOSE / MODIFY without unknown keys and with bigint tickets ⇒ so does the fast path
        if (z?.success && ['OPEN', 'CLOSE', 'MODIFY'].includes(name) && !('extra' in o) && (!('ticket' in o) || typeof o.ticket === 'bigint')) expect(f, JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(true);
      }),
      { numRuns: 6000 },
    );
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });

  it('isIntentId accepts exactly what intentIdSchema accepts', () => {
    // (with the neighbours of each accepted range: @ [ ` { / : , and ^)
    const chars = fc.constantFrom(...'aZ09_.-AzbY58', ' ', '!', 'é', '\n', '/', ':', '@', '[', '`', '{', ',', '^');
    const ids = fc.oneof(fc.string({ unit: chars, minLength: 0, maxLength: 30 }), fc.string({ unit: fc.constantFrom(...'aZ09_.-'), minLength: 20, maxLength: 28 }), fc.string({ maxLength: 30 }), fc.constantFrom<unknown>(undefined, null, 5, 5n, ['a'], { a: 1 }));
    let yes = 0, no = 0;
    fc.assert(
      fc.property(ids, (v) => {
        const z = intentIdSchema.safeParse(v).success;
        expect(isIntentId(v), String(v)).toBe(z);
        if (z) yes++;
        else no++;
      }),
      { numRuns: 4000 },
    );
    expect(yes).toBeGreaterThan(200);
    expect(no).toBeGreaterThan(200);
  });

  it('an intent body validates as its message would: same values out, the same bad fields refused', () => {
    const bad: unknown[] = [NaN, Infinity, -1, 1.5, 2 ** 60, '', 'a b', null, undefined, 0, true];
    let refused = 0;
    for (const n of INTENT_TYPES) {
      const { id, ...fields } = bodies[n] as Record<string, unknown>;
      const asMessage = (f: Record<string, unknown>) => schemas[n].safeParse({ type: MsgType[n], seq: 7, id, ...f });
      const whole = asMessage(fields);
      expect(whole.success).toBe(true);
      const { type: _t, seq: _s, id: _i, ...expected } = whole.data as Record<string, unknown>;
      // as the backtest passes it: with the intent's name in `type`, which the body schema drops
      expect(intentBodySchemas[n].parse({ type: n, ...fields })).toEqual(expected);
      for (const key of Object.keys(fields)) {
        for (const v of bad) {
          const f = { ...fields, [key]: v };
          const m = asMessage(f).success;
          expect(intentBodySchemas[n].safeParse(f).success, `${n}.${key} = ${String(v)}`).toBe(m);
          if (!m) refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(100);
  });

  it('detects sequence gaps and repeats', () => {
    const c = new SeqChecker();
    expect(c.check(1)).toBeNull();
    expect(c.check(2)).toBeNull();
    expect(c.check(5)).toBe(2); // 3 and 4 missing
    expect(c.check(6)).toBeNull();
    expect(c.check(6)).toBe(-1); // repeated
    expect(c.gaps).toBe(2);
  });

  it('classifies retcodes, unknown ones as ambiguous', () => {
    expect(retcodeClass(10009)).toBe('done');
    expect(retcodeClass(10004)).toBe('retry');
    expect(retcodeClass(10016)).toBe('final');
    expect(retcodeClass(10012)).toBe('ambiguous');
    expect(retcodeClass(12345)).toBe('ambiguous');
    expect(retcodeText(10030)).toBe('10030 INVALID_FILL: Invalid order filling type');
  });
});
