/**
 * Reliability of the bridge before HELLO: a connection that has not shown the token gets nothing decoded
 * beyond a small bound, so a hostile local process cannot exhaust memory or stall the event loop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PRE_HELLO_MAX_BYTES } from '../src/host/bridge.js';
import { MAX_FRAME_BYTES, MsgType } from '../src/protocol/messages.js';
import { startRig, until, type Rig } from './helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** A POSITIONS frame of `n` identical one-byte elements (0xc0 nil, 0x80 empty map), built by hand. */
function positionsFrame(size: number, element: number): Buffer {
  const head = Buffer.from([0x83, 0xa4, ...Buffer.from('type'), MsgType.POSITIONS, 0xa3, ...Buffer.from('seq'), 0x01, 0xa9, ...Buffer.from('positions'), 0xdd, 0, 0, 0, 0]);
  const n = size - head.length;
  head.writeUInt32BE(n, head.length - 4);
  return Buffer.concat([head, Buffer.alloc(n, element)]);
}

/** The longest gap between timer turns while `run` is pending. */
async function maxStall(run: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  try {
    await run();
  } finally {
    clearInterval(t);
  }
  return worst;
}

describe('bridge before HELLO', () => {
  for (const [what, byte] of [['nils', 0xc0], ['empty maps', 0x80]] as const) {
    it(`a ${MAX_FRAME_BYTES - 1024}-byte POSITIONS frame of ${what} before HELLO is not decoded: host up, loop not blocked > 100 ms`, async () => {
      rig = await startRig();
      const frame = positionsFrame(MAX_FRAME_BYTES - 1024, byte);
      // a zero mask: the client in this process does not spend the measured time masking 4 MiB
      const ws = new WebSocket(rig.url, { generateMask: (m: Buffer) => void m.fill(0) });
      let closeCode = 0;
      ws.on('close', (c) => (closeCode = c));
      await new Promise<void>((res, rej) => {
        ws.once('open', () => res());
        ws.once('error', rej);
      });
      const stall = await maxStall(async () => {
        ws.send(frame, { binary: true });
        await until(() => closeCode !== 0, 10_000, 'the connection closed');
      });
      expect(closeCode).toBe(4003); // BAD_HELLO
      expect(stall).toBeLessThan(100);
      // still serving: a real terminal connects afterwards
      const { terminal } = await rig.connect();
      expect(terminal.connected).toBe(true);
    });
  }

  it(`frames up to ${PRE_HELLO_MAX_BYTES} bytes before HELLO are still read (a HELLO fits)`, () => {
    expect(PRE_HELLO_MAX_BYTES).toBeGreaterThanOrEqual(4096);
    expect(PRE_HELLO_MAX_BYTES).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('bridge log under a flood', () => {
  it('300 connections each sending a bad first frame write at most a rate-limited number of lines', async () => {
    const lines: string[] = [];
    const { Writable } = await import('node:stream');
    const { createLogger } = await import('../src/host/logger.js');
    const logger = createLogger('info', new Writable({ write(chunk, _e, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } }));
    rig = await startRig({ logger });
    const before = lines.length;
    const closes: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      const ws = new WebSocket(rig.url);
      closes.push(new Promise<void>((res) => ws.on('close', () => res())));
      ws.on('open', () => ws.send(Buffer.from([0xc1]), { binary: true }));
      ws.on('error', () => {});
    }
    await Promise.all(closes);
    const flood = lines.length - before;
    // without a limit: 3 lines per connection (connecting, rejected, disconnected) = 900
    expect(flood).toBeLessThanOrEqual(40);
  }, 30_000);
});
