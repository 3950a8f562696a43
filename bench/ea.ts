/**
 * npm run bench:ea — HARNESS figures (not a real terminal): the real EA source built by the mql-test-harness,
 * connected to the real host bridge over loopback TCP, its terminal calls answered by the harness terminal
 * (in this process, on the SimBroker).
 *  1. tick → host: from a tick reaching the terminal to the host holding it (chart symbol: OnTick)
 *  2. intent → result: the host sends an OPEN/CLOSE at a random moment; the EA executes it on its next timer
 *     event (10 ms; and with the real terminal's 16 ms resolution simulated)
 *  3. tick → intent → result: the host answers a tick with an intent, as a strategy does; with the EA's
 *     reply wait (it polls the socket for 2 ms after sending ticks) and without
 * Prints a table, then one JSON line with every figure.
 */
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import { BridgeServer, type Terminal } from '../src/host/bridge/server.js';
import { generateToken } from '../src/host/state/token.js';
import type { Msg } from '../src/protocol/messages.js';
import { SimBroker } from '../src/sim/broker.js';
import { symbolSpec } from '../src/sim/symbols.js';
import { buildEa } from '../tools/mql-test-harness/src/build.js';
import { HarnessTerminal } from '../tools/mql-test-harness/src/terminal.js';

const figures: Record<string, number | string> = {};
const rows: [string, string, string][] = [];
const T0 = Date.UTC(2024, 0, 8, 10, 0, 0);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const fmt = (ms: number): string => (ms < 1 ? `${Math.round(ms * 1000)} µs` : `${ms.toFixed(2)} ms`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const build = await buildEa({ entry: 'mql5/Experts/ExecutorBridge.mq5', includeRoot: 'mql5/Include' });

async function rig(timerResolutionMs: number, extra: Record<string, number> = {}) {
  const token = generateToken();
  const server = new BridgeServer({ token, port: 0, symbols: ['EURUSD'], bars: [], intentTimeoutMs: 60_000 });
  await server.start();
  const broker = new SimBroker({
    account: { login: 1001, server: 'Bench', currency: 'USD', leverage: 100, marginMode: 2, balance: 1_000_000 },
    symbols: [symbolSpec('EURUSD', { commissionPerLot: 0 })],
  });
  const ea = new HarnessTerminal({
    binary: build.binary, broker, chartSymbol: 'EURUSD', timerResolutionMs,
    inputs: { InpPort: server.port, InpToken: token, InpTimerMs: 10, ...extra },
  });
  ea.tick('EURUSD', 1.1, 1.10002, T0);
  await ea.start();
  const terminal: Terminal = server.terminal('1001@Bench');
  const t = performance.now();
  while (!ea.prints.some((p) => p.includes('connected to the host'))) {
    if (performance.now() - t > 10_000) throw new Error('the EA did not connect');
    await sleep(5);
  }
  await sleep(50);
  return { server, ea, terminal };
}

let price = 1.1;
let now = T0;

// ---------------------------------------------------------------- 1. tick → host
for (const wait of [2, 0]) {
  const { server, ea, terminal } = await rig(0, { InpReplyWaitMs: wait });
  const sentAt = new Map<number, number>();
  const lat: number[] = [];
  terminal.on('ticks', (m: Msg<'TICKS'>) => {
    const t1 = performance.now();
    for (const x of m.ticks) {
      const t0 = sentAt.get(x[1]);
      if (t0 !== undefined) lat.push(t1 - t0);
    }
  });
  const N = 2000;
  for (let i = 0; i < N; i++) {
    price = Math.round((price + 0.00001) * 1e5) / 1e5;
    now += 100;
    sentAt.set(price, performance.now());
    ea.tick('EURUSD', price, price + 0.00002, now);
    await sleep(2);
  }
  await sleep(100);
  figures[`tickToHostWait${wait}P50Ms`] = +pct(lat, 50).toFixed(3);
  figures[`tickToHostWait${wait}P99Ms`] = +pct(lat, 99).toFixed(3);
  rows.push([`tick → host, every 2 ms, reply wait ${wait ? `${wait} ms` : 'off'}`, `p50 ${fmt(pct(lat, 50))}, p99 ${fmt(pct(lat, 99))}`, `${lat.length} of ${N} ticks`]);
  await ea.stop();
  await server.stop();
}

// ---------------------------------------------------------------- 2. intent → result
let seqNo = 0;
/** Alternate OPEN and CLOSE so one position at most is open (state messages stay small). */
async function roundTrip(terminal: Terminal, key: string, openPos: { ticket: bigint | undefined }): Promise<void> {
  const id = `${key}-${++seqNo}`;
  const r = openPos.ticket === undefined
    ? await terminal.sendIntent({ type: 'OPEN', intentId: id, magic: 1, symbol: 'EURUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 50 })
    : await terminal.sendIntent({ type: 'CLOSE', intentId: id, magic: 1, ticket: openPos.ticket, volume: 0, deviation: 50 });
  if (r.retcode !== 10009) throw new Error(`intent failed: ${r.retcode} ${r.comment}`);
  openPos.ticket = openPos.ticket === undefined ? r.position : undefined;
}

async function timerIntents(label: string, key: string, resolution: number): Promise<void> {
  const { server, ea, terminal } = await rig(resolution, {});
  const lat: number[] = [];
  const pos = { ticket: undefined as bigint | undefined };
  const N = 200;
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await roundTrip(terminal, key, pos);
    lat.push(performance.now() - t0);
    await sleep(Math.random() * 10); // arrive at a random phase of the timer
  }
  figures[`${key}P50Ms`] = +pct(lat, 50).toFixed(3);
  figures[`${key}P99Ms`] = +pct(lat, 99).toFixed(3);
  rows.push([label, `p50 ${fmt(pct(lat, 50))}, p99 ${fmt(pct(lat, 99))}`, `${N} OPEN/CLOSE, sent at random times`]);
  await ea.stop();
  await server.stop();
}

/** A strategy's path: a tick reaches the terminal, the host answers it with an intent, the result comes back. */
async function tickDriven(label: string, key: string, replyWaitMs: number): Promise<void> {
  const { server, ea, terminal } = await rig(0, { InpReplyWaitMs: replyWaitMs });
  const pos = { ticket: undefined as bigint | undefined };
  const lat: number[] = [];
  const N = 200;
  for (let i = 0; i < N; i++) {
    price = Math.round((price + 0.00001) * 1e5) / 1e5;
    now += 100;
    const target = price;
    const t0 = performance.now();
    const done = new Promise<void>((resolve, reject) => {
      const on = (m: Msg<'TICKS'>): void => {
        if (!m.ticks.some((x) => x[1] === target)) return;
        terminal.off('ticks', on);
        roundTrip(terminal, key, pos).then(resolve, reject);
      };
      terminal.on('ticks', on);
    });
    ea.tick('EURUSD', target, target + 0.00002, now);
    await done;
    lat.push(performance.now() - t0);
    await sleep(Math.random() * 10);
  }
  figures[`${key}P50Ms`] = +pct(lat, 50).toFixed(3);
  figures[`${key}P99Ms`] = +pct(lat, 99).toFixed(3);
  rows.push([label, `p50 ${fmt(pct(lat, 50))}, p99 ${fmt(pct(lat, 99))}`, `${N} ticks answered with OPEN/CLOSE`]);
  await ea.stop();
  await server.stop();
}

await timerIntents('intent → result, timer 10 ms', 'intentTimer10', 0);
await timerIntents('intent → result, timer 10 ms at 16 ms resolution', 'intentTimer16', 16);
await tickDriven('tick → intent → result, reply wait 2 ms (default)', 'tickIntentWait2', 2);
await tickDriven('tick → intent → result, reply wait off', 'tickIntentWait0', 0);

figures.machine = `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, node ${process.version}`;
figures.note = 'harness figures: EA built by the mql-test-harness, not a MetaTrader terminal';
const w = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(`\nbench:ea — HARNESS figures (mql-test-harness, not a real terminal)\n${'-'.repeat(w + 50)}\n`);
for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w)}  ${b.padEnd(30)} ${c}\n`);
process.stdout.write(`${JSON.stringify(figures)}\n`);
