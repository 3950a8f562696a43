/**
 * Reliability of the bridge before HELLO: a connection that has not shown the token gets nothing decoded
 * beyond a small bound, so a hostile local process cannot exhaust memory or stall the event loop.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PRE_HELLO_MAX_BYTES } from '../../src/host/bridge/server.js';
import { MAX_FRAME_BYTES, MsgType } from '../../src/protocol/messages.js';
import { startRig, until, type Rig } from '../helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

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
      // the hostile client runs in its own process: the stall measured here is the host's alone
      const script = `
        const WebSocket = require('ws');
        const size = ${MAX_FRAME_BYTES - 1024}, element = ${byte}, type = ${MsgType.POSITIONS};
        const head = Buffer.from([0x83, 0xa4, ...Buffer.from('type'), type, 0xa3, ...Buffer.from('seq'), 0x01, 0xa9, ...Buffer.from('positions'), 0xdd, 0, 0, 0, 0]);
        head.writeUInt32BE(size - head.length, head.length - 4);
        const frame = Buffer.concat([head, Buffer.alloc(size - head.length, element)]);
        const ws = new WebSocket(process.argv[1], { generateMask: (m) => m.fill(0) });
        ws.on('open', () => process.stdout.write('open\\n'));
        process.stdin.once('data', () => ws.send(frame, { binary: true }));
        ws.on('close', (code) => { process.stdout.write('close ' + code + '\\n'); process.exit(0); });
        ws.on('error', () => process.exit(1));`;
      const child = spawn(process.execPath, ['-e', script, rig.url], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes('open'), 10_000, 'the client connected');
      let closeCode = 0;
      const cpu0 = process.cpuUsage();
      const stall = await maxStall(async () => {
        child.stdin.write('go\n');
        await until(() => /close (\d+)/.test(out), 10_000, 'the connection closed');
        closeCode = Number(/close (\d+)/.exec(out)![1]);
      });
      const used = process.cpuUsage(cpu0);
      const cpuMs = (used.user + used.system) / 1000;
      // refused on the frame's header (1009, too big) or, without that, unread by length (4003, BAD_HELLO)
      expect([1009, 4003]).toContain(closeCode);
      // the host's own work on the frame: CPU time, which a loaded machine does not inflate (decoding it took
      // 6.8 s); the wall-clock stall is printed, as it also counts waiting for a core
      console.log(`pre-HELLO ${what}: host CPU ${cpuMs.toFixed(1)} ms, longest timer gap ${stall.toFixed(1)} ms`);
      expect(cpuMs).toBeLessThan(100);
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
    const { createLogger } = await import('../../src/host/logger.js');
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
