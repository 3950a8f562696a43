/**
 * State store under a long history: N commands through the real CommandProcessor (STATUS_REQUEST, executed by the
 * real StrategyManager; each status journaled and queued for the platform, then taken off as delivered) and N
 * intents through the PersistentLedger (add, sent, settled) on a real Store in a temporary folder, with the
 * default retention (settled history beyond 20,000 of each goes to the archive at each compaction). The event
 * loop turns once between operations (as in the host), so compactions run in their slices meanwhile.
 * Not through HTTP: the local API's rate limit (300/min) would make 1,000,000 requests take days.
 *
 *   npm run bench:state [-- --n 500000] [--warmup 5000]   (default 500,000 commands + 500,000 intents = 1,000,000)
 *
 * Prints a table and a final JSON line.
 */
import { execSync } from 'node:child_process';
import { closeSync, existsSync, fsync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CommandProcessor } from '../src/host/platform/commands.js';
import { silentLogger } from '../src/host/logger.js';
import { StrategyManager } from '../src/host/trading/manager.js';
import { PersistentLedger, Store } from '../src/host/state/store.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, 'compact-every': { type: 'string' }, warmup: { type: 'string' } } });
const N = Number(values.n ?? 500_000);
const WINDOW = 10_000;

const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
};
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = () => Math.round(process.memoryUsage().rss / 1048576);

const dir = mkdtempSync(join(tmpdir(), 'mt5x-bench-state-'));

/**
 * The disk's floor: a bare append of one journal-sized line and an fsync, 2,000 times, in the same folder. A command
 * from a person is answered after its status is synced (commands.ts: `store.write()`), so no command's wall time
 * can be below this; measured at the start and at the end of the run.
 */
async function fsyncFloor(): Promise<{ p50: number; p99: number }> {
  const file = join(dir, 'floor.jsonl');
  const fd = openSync(file, 'a');
  const xs: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    writeSync(fd, `{"op":"command","id":"floor-${i}","record":{"status":"executed","at":${i}}}\n`);
    await new Promise<void>((res, rej) => fsync(fd, (e) => (e ? rej(e) : res())));
    xs.push(performance.now() - t);
  }
  closeSync(fd);
  unlinkSync(file);
  return { p50: +p50(xs).toFixed(3), p99: +p99(xs).toFixed(3) };
}
const floorStart = await fsyncFloor();

/**
 * Warm-up: the same code paths on a scratch store in another folder (thrown away), as the host primes its order
 * path before it listens (src/host/trading/prime.ts) — so "at the start" measures an empty history, not the JIT
 * compiling the command path. `--warmup 0` leaves it out.
 */
const WARMUP = Number(values.warmup ?? 5000);
{
  const scratch = mkdtempSync(join(tmpdir(), 'mt5x-bench-state-warm-'));
  const st = await Store.open(scratch);
  const lg = new PersistentLedger(st);
  const pr = new CommandProcessor(new StrategyManager(st, silentLogger, {}), st, (u) => (st.pushOutbox(u), st.shiftOutbox()), silentLogger);
  for (let i = 0; i < WARMUP; i++) {
    await pr.handle({ id: `w${i}`, type: 'STATUS_REQUEST', parameters: {} }, 'api');
    const id = `w${i.toString(36)}`;
    void lg.add({ intentId: id, terminal: 'bench@server', intent: { type: 'CLOSE', intentId: id, magic: 1, ticket: BigInt(i + 1), volume: 0, deviation: 10 }, state: 'pending', createdAt: 1, attempts: 0 });
    void lg.update(id, { state: 'settled', settledBy: 'result' });
  }
  await st.write();
  st.close();
  rmSync(scratch, { recursive: true, force: true });
}
const store = await Store.open(dir);
if (values['compact-every']) store.retention.compactEvery = Number(values['compact-every']);
const ledger = new PersistentLedger(store);
const mgr = new StrategyManager(store, silentLogger, {});
const proc = new CommandProcessor(mgr, store, (u) => {
  store.pushOutbox(u);
  store.shiftOutbox(); // the platform took it
}, silentLogger);

// the store's own share of a command: its journal calls timed inside each command
let storeMsInCommand = 0;
for (const name of ['putCommand', 'pushOutbox', 'shiftOutbox'] as const) {
  const original = store[name].bind(store) as (...a: unknown[]) => void;
  (store as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
    const t = performance.now();
    try {
      return original(...a);
    } finally {
      storeMsInCommand += performance.now() - t;
    }
  };
}
const cmdStoreMs: number[] = [];
/** CPU time (user + system) of each operation: on a shared machine, wall time minus this is waiting for a CPU. */
const cmdCpuMs: number[] = [];
const intentCpuMs: number[] = [];
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};
const cmdMs: number[] = [];
const intentMs: number[] = [];
const rss: number[] = [];
/** The JS heap in use and the memory of Buffers/ArrayBuffers beside it, at the same samples as `rss`. */
const heap: number[] = [], external: number[] = [];
/** The longest a turn of other work (a compaction slice, its file callbacks) kept the loop from the next operation. */
let maxStall = 0;
// garbage-collection pauses, to tell them from the store's own work in the tail
let gcMax = 0, gcTotal = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMax = Math.max(gcMax, e.duration);
    gcTotal += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  let c = process.cpuUsage();
  let t = performance.now();
  storeMsInCommand = 0;
  await proc.handle({ id: `c${i}`, type: 'STATUS_REQUEST', parameters: {} }, 'api');
  cmdMs.push(performance.now() - t);
  cmdCpuMs.push(cpuMs(c));
  cmdStoreMs.push(storeMsInCommand);
  const id = `i${i.toString(36)}`;
  c = process.cpuUsage();
  t = performance.now();
  void ledger.add({ intentId: id, terminal: 'bench@server', intent: { type: 'CLOSE', intentId: id, magic: 1, ticket: BigInt(i + 1), volume: 0, deviation: 10 }, state: 'pending', createdAt: Math.floor(Date.now() / 1000), attempts: 0 });
  void ledger.update(id, { state: 'sent', sentAt: Math.floor(Date.now() / 1000), attempts: 1 });
  void ledger.update(id, { state: 'settled', settledBy: 'result', result: { type: 50, seq: i + 1, re: 0, intentId: id, retcode: 10009, class: 'done', order: BigInt(i + 1), deal: BigInt(i + 1), position: BigInt(i + 1), price: 1.1, volume: 0.1, comment: '' } as never });
  intentMs.push(performance.now() - t);
  intentCpuMs.push(cpuMs(c));
  // the event loop turns between operations, as in the host: a compaction's slices and file callbacks run here
  t = performance.now();
  await new Promise((r) => setImmediate(r));
  maxStall = Math.max(maxStall, performance.now() - t);
  if (i % Math.max(1, Math.floor(N / 10)) === 0) {
    rss.push(mb());
    const m = process.memoryUsage();
    heap.push(Math.round(m.heapUsed / 1048576));
    external.push(Math.round(m.external / 1048576));
  }
}
const elapsed = (performance.now() - t0) / 1000;
const floorEnd = await fsyncFloor();
await new Promise((r) => setImmediate(r));
await store.write();
store.close();
const du = (p: string) => !existsSync(p) ? 0 : Number(execSync(`du -sk ${JSON.stringify(p)}`).toString().split('\t')[0]) / 1024;
const s0 = performance.now();
const reopened = await Store.open(dir);
const startupMs = performance.now() - s0;
const rows = {
  operations: 2 * N,
  seconds: Math.round(elapsed),
  fsyncFloorP50StartMs: floorStart.p50,
  fsyncFloorP99StartMs: floorStart.p99,
  fsyncFloorP50EndMs: floorEnd.p50,
  fsyncFloorP99EndMs: floorEnd.p99,
  commandP99StartMs: +p99(cmdMs.slice(0, WINDOW)).toFixed(3),
  commandP99EndMs: +p99(cmdMs.slice(-WINDOW)).toFixed(3),
  commandStoreP99StartMs: +p99(cmdStoreMs.slice(0, WINDOW)).toFixed(3),
  commandStoreP99EndMs: +p99(cmdStoreMs.slice(-WINDOW)).toFixed(3),
  commandCpuP99StartMs: +p99(cmdCpuMs.slice(0, WINDOW)).toFixed(3),
  commandCpuP99EndMs: +p99(cmdCpuMs.slice(-WINDOW)).toFixed(3),
  commandP50EndMs: +p50(cmdMs.slice(-WINDOW)).toFixed(3),
  intentP99StartMs: +p99(intentMs.slice(0, WINDOW)).toFixed(3),
  intentP99EndMs: +p99(intentMs.slice(-WINDOW)).toFixed(3),
  intentCpuP99StartMs: +p99(intentCpuMs.slice(0, WINDOW)).toFixed(3),
  intentCpuP99EndMs: +p99(intentCpuMs.slice(-WINDOW)).toFixed(3),
  maxStallMs: +maxStall.toFixed(1),
  gcPauseMaxMs: +gcMax.toFixed(1),
  gcPauseTotalS: +(gcTotal / 1000).toFixed(1),
  compactions: store.compactions,
  rssMbSeries: rss.join(' '),
  rssMbMax: Math.max(...rss),
  heapUsedMbSeries: heap.join(' '),
  externalMbSeries: external.join(' '),
  filterKb: Math.round(store.archive.filterBytes / 1024),
  commandsInState: Object.keys(reopened.data.commands).length,
  intentsInState: Object.keys(reopened.data.intents).length,
  startupMs: Math.round(startupMs),
  stateMb: +du(join(dir, 'state.json')).toFixed(1),
  archiveMb: +du(join(dir, 'archive')).toFixed(1),
  backupsMb: +du(join(dir, 'backups')).toFixed(1),
  totalMb: +du(dir).toFixed(1),
};
console.log('| measure | value |\n|---|---|');
for (const [k, v] of Object.entries(rows)) console.log(`| ${k} | ${v} |`);
console.log(JSON.stringify({ bench: 'state', n: N, warmup: WARMUP, ...rows }));
reopened.close();
rmSync(dir, { recursive: true, force: true });
