/**
 * The EA's own MessagePack and WebSocket code (mql5/Include/ExecutorBridge/*.mqh), built from its MQL5
 * source by the mql-test-harness, against independent peers: the `ws` server (strict RFC 6455), the
 * msgpack-test-suite encodings, and @msgpack/msgpack decoding what the EA encodes.
 */
import { decode } from '@msgpack/msgpack';
import { createServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { HarnessTerminal } from '../../tools/mql-test-harness/src/terminal.js';
import { ECHO_EA, build } from './helpers.js';
import { makeBroker, until } from '../helpers.js';

const require = createRequire(import.meta.url);
type SuiteCase = Record<string, unknown> & { msgpack: string[] };
const suite = JSON.parse(readFileSync(require.resolve('msgpack-test-suite/dist/msgpack-test-suite.json'), 'utf8')) as Record<string, SuiteCase[]>;
const hex = (h: string): Buffer => Buffer.from(h.replace(/-/g, ''), 'hex');
/** The value an independent decoder reads; 64-bit integers that fit a double compare as numbers. */
const norm = (v: unknown): unknown => {
  if (typeof v === 'bigint') return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  }
  return v;
};
const ref = (b: Uint8Array): unknown => norm(decode(b, { useBigInt64: true }));

let echoBinary = '';
let sanitizedBinary = '';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

beforeAll(async () => {
  echoBinary = (await build(ECHO_EA)).binary;
}, 120_000);

/** A `ws` server for one EA connection, and the EA (echo program) connected to it. */
async function echoRig(binary = echoBinary) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  const conn = new Promise<WebSocket>((r) => wss.once('connection', (ws) => r(ws)));
  const ea = new HarnessTerminal({ binary, broker: makeBroker() as never, chartSymbol: 'EURUSD', inputs: { InpPort: port } });
  cleanups.push(async () => {
    await ea.stop();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });
  expect(await ea.start()).toBe(0);
  const ws = await conn;
  const replies: Buffer[] = [];
  const texts: string[] = [];
  ws.on('message', (d, isBinary) => (isBinary ? replies.push(d as Buffer) : texts.push(String(d))));
  return { ws, ea, replies, texts };
}

async function runSuite(binary: string): Promise<number> {
  const { ws, replies, texts } = await echoRig(binary);
  const sent: Buffer[] = [];
  for (const cases of Object.values(suite)) for (const c of cases) for (const h of c.msgpack) sent.push(hex(h));
  for (const b of sent) ws.send(b, { binary: true });
  await until(() => replies.length + texts.length >= sent.length, 30_000, 'every suite encoding echoed');
  expect(texts).toEqual([]);
  for (let i = 0; i < sent.length; i++) expect(ref(replies[i]!), `encoding ${sent[i]!.toString('hex')}`).toEqual(ref(sent[i]!));
  return sent.length;
}

describe('EA MessagePack (MsgPack.mqh) and WebSocket client (WebSocket.mqh), real MQL5 source', () => {
  it('decodes every encoding of msgpack-test-suite and re-encodes it so @msgpack/msgpack reads the same value', async () => {
    expect(await runSuite(echoBinary)).toBe(233);
  });

  it('encodes doubles exactly, int64/uint64 at the edges, and refuses malformed input with a reason', async () => {
    const { ws, replies, texts } = await echoRig();
    const values = [0.1, -0, 1e308, 5e-324, Math.PI, 2 ** 53 + 1, -(2 ** 63), 2n ** 64n - 1n, 2n ** 63n, -(2n ** 63n), 'ü€😀', { a: [1, { b: null }] }];
    const { encode } = await import('@msgpack/msgpack');
    for (const v of values) ws.send(encode(v, { useBigInt64: true, forceFloat32: false }), { binary: true });
    await until(() => replies.length === values.length, 10_000, 'echoes');
    for (let i = 0; i < values.length; i++) expect(ref(replies[i]!)).toEqual(ref(encode(values[i], { useBigInt64: true })));
    // 0.1 goes out as float64 with the exact bits
    expect(replies[0]!.toString('hex')).toBe('cb3fb999999999999a');
    ws.send(Buffer.from([0xc1]), { binary: true }); // never used
    ws.send(Buffer.from([0xcd, 0x01]), { binary: true }); // uint16 with one byte
    ws.send(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), { binary: true }); // 4 G elements in 5 bytes
    await until(() => texts.length === 3, 10_000, 'errors');
    expect(texts[0]).toMatch(/invalid MessagePack type byte 0xC1 at offset 0/);
    expect(texts[1]).toMatch(/truncated at offset 1/);
    expect(texts[2]).toMatch(/does not fit/);
  });

  it('refuses lengths and counts near 2^31 and 2^30 that would wrap an int, and keeps running', async () => {
    const { ws, ea, replies, texts } = await echoRig();
    const bad = [
      [0xdf, 0x7f, 0xff, 0xff, 0xff], // map32 of 2^31-1 pairs: 2*n wraps negative
      [0xdf, 0x40, 0x00, 0x00, 0x00], // map32 of 2^30 pairs: 2*n is INT_MIN
      [0x92, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x01], // str32 of 2^31-1 bytes at offset 6: pos + bytes wraps
      [0x92, 0xc6, 0x7f, 0xff, 0xff, 0xfc, 0x01], // bin32 likewise
      [0x91, 0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01], // ext32 of 2^31-1 bytes
    ];
    for (const b of bad) ws.send(Buffer.from(b), { binary: true });
    ws.send(Buffer.from([0x81, 0xa1, 0x6b, 0x01]), { binary: true }); // {k: 1}: still answering after all of them
    await until(() => texts.length === bad.length && replies.length === 1, 10_000, 'five refusals and one echo');
    expect(texts[0]).toMatch(/container of 2147483647 elements does not fit at offset 5/);
    expect(texts[1]).toMatch(/container of 1073741824 elements does not fit at offset 5/);
    expect(texts[2]).toMatch(/truncated at offset 6/);
    expect(texts[3]).toMatch(/truncated at offset 6/);
    expect(texts[4]).toMatch(/truncated at offset 6/);
    expect(ref(replies[0]!)).toEqual({ k: 1 });
    expect(ea.running).toBe(true);
  });

  it('reads 16- and 64-bit frame lengths and fragmented messages; sends masked 16- and 64-bit frames', async () => {
    const { ws, replies } = await echoRig();
    const { encode } = await import('@msgpack/msgpack');
    const mid = encode(new Uint8Array(300).fill(7)); // > 125 bytes: 16-bit length both ways
    const big = encode(new Uint8Array(70_000).map((_, i) => i & 0xff)); // > 65,535: 64-bit length both ways
    ws.send(mid, { binary: true });
    ws.send(big, { binary: true });
    const whole = Buffer.from(encode({ fragmented: 'x'.repeat(1000) }));
    ws.send(whole.subarray(0, 10), { binary: true, fin: false });
    ws.send(whole.subarray(10, 500), { binary: true, fin: false });
    ws.send(whole.subarray(500), { binary: true, fin: true });
    await until(() => replies.length === 3, 10_000, 'three echoes');
    expect(Buffer.compare(replies[0]!, Buffer.from(mid))).toBe(0);
    expect(Buffer.compare(replies[1]!, Buffer.from(big))).toBe(0);
    expect(ref(replies[2]!)).toEqual({ fragmented: 'x'.repeat(1000) });
  });

  it('answers a server ping with the same payload and a server close with a close frame', async () => {
    const { ws, ea } = await echoRig();
    const pong = new Promise<Buffer>((r) => ws.once('pong', (d) => r(d)));
    ws.ping(Buffer.from('are you there'));
    expect((await pong).toString()).toBe('are you there');
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.close(4000, 'test close');
    expect(await closed).toBe(4000); // the EA echoed the code in its close frame
    await ea.waitFor(() => ea.prints.some((p) => /closed by the server, code 4000/.test(p)), 5000, 'the EA saw the close');
  });

  it('refuses a handshake reply with a wrong Sec-WebSocket-Accept', async () => {
    const server = createServer((sock: Socket) => {
      sock.once('data', () => sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as { port: number }).port;
    const ea = new HarnessTerminal({ binary: echoBinary, broker: makeBroker() as never, chartSymbol: 'EURUSD', inputs: { InpPort: port } });
    cleanups.push(() => ea.stop());
    expect(await ea.start()).toBe(1); // INIT_FAILED
    expect(ea.prints.join('\n')).toMatch(/handshake failed: WebSocket handshake failed: wrong Sec-WebSocket-Accept dGhlIHNhbXBsZSBub25jZQ== \(expected .+=\)/);
  });

  it('runs the whole suite clean under AddressSanitizer and UndefinedBehaviorSanitizer', async () => {
    sanitizedBinary = (await build(ECHO_EA, true)).binary;
    expect(await runSuite(sanitizedBinary)).toBe(233);
  }, 180_000);
});
