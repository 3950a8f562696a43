/**
 * npm run bench:bridge — figures for docs/PERFORMANCE.md (not a test):
 *  1. codec: encode + decode (with validation) of a one-tick TICKS message, ns/op
 *  2. intent → result round trip over the real ws, host here, simulated terminal in another process
 *  3. tick fan-in: ticks/s the host takes in, and the host's CPU while doing it
 * Prints a table, then one JSON line with every figure.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Packr } from 'msgpackr';
import { BridgeServer, type Terminal } from '../src/host/bridge/server.js';
import { generateToken } from '../src/host/state/token.js';
import { decodeMessage, encodeMessage } from '../src/protocol/codec.js';
import type { Msg } from '../src/protocol/messages.js';

const figures: Record<string, number | string> = {};
const rows: [string, string, string][] = [];

// ---------------------------------------------------------------- 1. codec
{
  const body = { symbol: 'EURUSD', ticks: [[1704708000123, 1.08603, 1.08605, 0, 0, 6]] as [number, number, number, number, number, number][] };
  const N = 1_000_000;
  for (let i = 0; i < 100_000; i++) decodeMessage(encodeMessage('TICKS', i + 1, body));
  let t = performance.now();
  let bytes = 0;
  for (let i = 0; i < N; i++) bytes += encodeMessage('TICKS', i + 1, body).length;
  const encNs = ((performance.now() - t) * 1e6) / N;
  const frame = encodeMessage('TICKS', 1, body);
  t = performance.now();
  for (let i = 0; i < N; i++) decodeMessage(frame);
  const decNs = ((performance.now() - t) * 1e6) / N;
  const raw = new Packr({ useRecords: false, mapsAsObjects: true });
  t = performance.now();
  for (let i = 0; i < N; i++) raw.unpack(frame);
  const rawNs = ((performance.now() - t) * 1e6) / N;
  figures.codecEncodeNs = Math.round(encNs);
  figures.codecDecodeValidateNs = Math.round(decNs);
  figures.codecDecodeOnlyNs = Math.round(rawNs);
  figures.codecRoundTripNs = Math.round(encNs + decNs);
  figures.tickFrameBytes = frame.length;
  rows.push(['codec: encode one-tick TICKS', `${encNs.toFixed(0)} ns`, `${frame.length} bytes (${(bytes / N).toFixed(0)} avg)`]);
  rows.push(['codec: decode + validate', `${decNs.toFixed(0)} ns`, `of which MessagePack alone ${rawNs.toFixed(0)} ns`]);
  rows.push(['codec: encode + decode', `${(encNs + decNs).toFixed(0)} ns`, 'target < 2,000 ns']);
}

// ---------------------------------------------------------------- helpers
async function withPeer<T>(args: string[], fn: (server: BridgeServer, term: Terminal, peer: ChildProcess) => Promise<T>): Promise<T> {
  const token = generateToken();
  const server = new BridgeServer({ token, port: 0, requestTimeoutMs: 30_000, intentTimeoutMs: 30_000 });
  const port = await server.start();
  // bundled by tools/run-bench.mjs next to this file; under tsx, the TypeScript source
  const ts = import.meta.url.endsWith('.ts');
  const peerFile = fileURLToPath(new URL(ts ? './sim-peer.ts' : './sim-peer.mjs', import.meta.url));
  const peer = fork(peerFile, [`ws://127.0.0.1:${port}`, token, ...args], { execArgv: ts ? ['--import', 'tsx'] : [] });
  const term = await new Promise<Terminal>((res) => server.once('terminal', res));
  while (!term.connected) await new Promise((r) => setTimeout(r, 5));
  try {
    return await fn(server, term, peer);
  } finally {
    peer.send({ stop: true });
    await new Promise((r) => peer.once('exit', r));
    await server.stop();
  }
}

const pct = (a: number[], p: number) => a[Math.min(a.length - 1, Math.floor(p * a.length))]!;

// ---------------------------------------------------------------- 2. round trip
await withPeer(['rt'], async (_server, term) => {
  const N = 20_000, warm = 2_000;
  const rtt: number[] = [];
  for (let i = 0; i < N + warm; i++) {
    const t = performance.now();
    const r = await term.sendIntent({ type: 'OPEN', intentId: `rt-${i}`, magic: 1, symbol: 'EURUSD', side: i % 2, volume: 0.01, sl: 0, tp: 0, deviation: 10 });
    const dt = performance.now() - t;
    if (r.class !== 'done') throw new Error(`intent ${i}: ${r.retcode} ${r.comment}`);
    if (i >= warm) rtt.push(dt);
  }
  rtt.sort((a, b) => a - b);
  figures.roundTripIntents = N;
  figures.roundTripP50Us = Math.round(pct(rtt, 0.5) * 1000);
  figures.roundTripP99Us = Math.round(pct(rtt, 0.99) * 1000);
  figures.roundTripMaxUs = Math.round(rtt[rtt.length - 1]! * 1000);
  rows.push([`intent -> result round trip (${N} intents)`, `p50 ${(pct(rtt, 0.5) * 1000).toFixed(0)} us`, `p99 ${(pct(rtt, 0.99) * 1000).toFixed(0)} us, max ${(rtt[rtt.length - 1]! * 1000).toFixed(0)} us (target p99 < 1 ms)`]);
});

// ---------------------------------------------------------------- 3. tick fan-in
for (const [rate, batch] of [[200_000, 1], [200_000, 10], [500_000, 10], [1_000_000, 50]] as const) {
  const seconds = 5;
  await withPeer(['ticks', String(rate), String(batch), '20', String(seconds)], async (_server, term, peer) => {
    let ticks = 0, msgs = 0;
    term.on('ticks', (m: Msg<'TICKS'>) => {
      ticks += m.ticks.length;
      msgs++;
    });
    const c0 = process.cpuUsage();
    const e0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    const sent = await new Promise<number>((res) => peer.on('message', (m: { done?: boolean; sent?: number }) => m.done && res(m.sent!)));
    await new Promise((r) => setTimeout(r, 100)); // let the last frames arrive
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6 / wall;
    const elu = performance.eventLoopUtilization(e0).utilization;
    const coalesced = term.session?.coalesced ?? 0;
    const framesIn = term.session?.received ?? 0;
    const key = `fanIn${rate / 1000}k_b${batch}`;
    figures[`${key}_ticksPerSec`] = Math.round(framesIn * batch / wall);
    figures[`${key}_hostCpuPct`] = Math.round(cpu * 1000) / 10;
    figures[`${key}_eventLoopPct`] = Math.round(elu * 1000) / 10;
    rows.push([
      `tick fan-in ${rate.toLocaleString('en-US')}/s offered, ${batch}/msg, 20 symbols`,
      `${Math.round((framesIn * batch) / wall).toLocaleString('en-US')} ticks/s in`,
      `host event loop busy ${(elu * 100).toFixed(1)} %, process CPU ${(cpu * 100).toFixed(1)} % of one core (incl. GC threads); ${sent.toLocaleString('en-US')} sent, ${coalesced} msgs coalesced`,
    ]);
  });
}

const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
console.log(`\nbench:bridge — ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
for (const r of rows) console.log(`${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2]}`);
figures.node = process.version;
figures.cpu = cpus()[0]?.model ?? '';
figures.date = new Date().toISOString().slice(0, 10);
console.log(JSON.stringify({ bench: 'bridge', ...figures }));
