/**
 * bench:host — the host under a realistic load: N strategies on 20 symbols, the simulated terminal (its own
 * process, bench/host-peer.ts) sending 50 ticks/s per symbol through the real bridge, one bar close per symbol
 * per second, for S seconds. Measured: bar-close → intent latency at the terminal (p50/p99/max: when the intent's
 * bytes reach the terminal's socket; also when the terminal has executed it), the same path inside the host (the
 * BAR's bytes reach the host's socket → the bar's intents journalled and handed to the kernel), the host's peak
 * RSS, its CPU (% of one core) and event-loop utilisation. Runs 100 and 1,000 strategies; first, the loopback floor
 * (floor()): the same traffic answered by a bare echo, what the machine costs before the host does anything.
 * Usage: npm run bench:host [-- SECONDS]   (default 90: at least 1,000 bars that cause intents with 100 strategies)
 * The host's logs go to a file as `mt5-executor start` writes them (pino, info); the order path is primed before
 * the runs as `mt5-executor start` primes it (src/host/trading/prime.ts).
 * Knobs for analysis: BENCH_ONLY=N runs N strategies only; BENCH_MEMLEDGER=1 keeps the intent ledger in memory
 * (no disk write before each intent); BENCH_NOPRIME=1 leaves the priming out; BENCH_DEBUG=1 logs at debug level
 * to stderr; BENCH_PRIORITY=normal|above-normal|high sets the host thread's priority as config `priority` does (default normal, as `mt5-executor start`). BENCH_TAIL=N prints the N slowest bars with intents (their phases, intents, waits for a core, GC).
 * BENCH_NOFLOOR=1 leaves the loopback floor out (profiling); BENCH_HEAPPROF=path writes what each run allocates (path-N.heapprofile).
 * BENCH_SPLIT=1 splits the deciding of each bar with intents by the strategy's place in it: the first strategy's
 * share and each other's (`decideFirstP50Ms`, `decideOthersP50Ms`; the first runs the bar path's code cold).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { BridgeServer, type Terminal } from '../src/host/bridge/server.js';
import { encodeMessage } from '../src/protocol/codec.js';
import { MsgType } from '../src/protocol/messages.js';
import { pino } from 'pino';
import { LogBus, createLogger } from '../src/host/logger.js';
import { primeSignalPath } from '../src/host/trading/prime.js';
import { StrategyManager } from '../src/host/trading/manager.js';
import { PersistentLedger, Store } from '../src/host/state/store.js';
import { generateToken } from '../src/host/state/token.js';
import { applyPriority, type HostPriority } from '../src/host/priority.js';

const SECONDS = Number(process.argv[2] ?? 90);
const SYMBOLS = 20;
const TICKS_PER_SECOND = 50;
/**
 * The strategies: the first 100 signal often — both ways, on the close crossing the open or a fast average, or one
 * fast average crossing another, each position closed after an hour (the next bar) or on the opposite signal; with
 * the five a symbol has, about two bars in three cause intents (entries, exits or both), so the 100-strategy run
 * has over 1,000 such bars (1,187–1,241 of 1,780 in 90 s on 2026-12-06). From the 101st on they trade as strategies usually do, on crosses of slower averages
 * (a signal every few days of H1), each position closed after four hours: they decide on every bar and add intents
 * now and then. Rule sets over a few indicators: a symbol's strategies share some of their indicators, and from 200
 * strategies up the same rule set comes again on the same symbol under another id and stops — as on a host that
 * runs many. (With all 1,000 signalling often — ~300 intents/s, a third of them holding a position — neither the
 * host nor the simulated terminal kept up on this 2-core machine: the terminal sends the whole position list before
 * every result, as the EA does from OnTrade, and fell minutes behind.)
 */
const OFTEN: [string, string][] = [['price', 'open'], ['price', 'ema_3'], ['ema_3', 'ema_8'], ['price', 'lwma_5'], ['price', 'sma_4']];
const USUAL: [string, string][] = [
  ['ema_9', 'ema_21'], ['ema_21', 'ema_50'], ['sma_20', 'sma_50'], ['price', 'sma_50'], ['ema_9', 'sma_50'],
  ['lwma_10', 'ema_21'], ['price', 'ema_50'], ['sma_20', 'ema_50'], ['ema_21', 'sma_50'],
];
function strategy(k: number): Record<string, unknown> {
  const often = k < 100;
  const sets = often ? OFTEN : USUAL;
  const [left, right] = sets[Math.floor((often ? k : k - 100) / SYMBOLS) % sets.length]!;
  const copy = Math.floor(k / (SYMBOLS * (OFTEN.length + USUAL.length)));
  return {
    strategyId: `b${k}`, strategyName: `bench ${k}: ${left} crossing ${right}`, symbol: `S${String(k % SYMBOLS).padStart(2, '0')}`, timeframe: 'H1',
    rules: {
      entry: { direction: 'BOTH', logic: 'AND', conditions: [{ indicator: left, condition: 'crosses_above', indicatorRef: right }] },
      exit: { stopLoss: { type: 'pips', value: 40 + 5 * copy }, takeProfit: { type: 'pips', value: 80 + 10 * copy }, maxHoldingHours: often ? 1 : 4 },
      riskManagement: { lotSize: 0.1, maxPositions: 1 },
    },
  };
}
const LIMITS = {
  maxDailyLossPercent: 100, maxDrawdownPercent: 100, maxLot: 100, maxPositionsAccount: 1e6, maxPositionsSymbol: 1e6, maxPositionsStrategy: 1e6,
  maxCorrelatedLots: 1e9, correlationThreshold: 1,
};
/**
 * Linux: the time this thread (the host's main thread) has spent runnable but waiting for a core, ns, from
 * /proc/thread-self/schedstat (its second field); NaN elsewhere. Read as a bar arrives and as its intents are
 * written, it separates the host's own work from the time the OS gave the core to another thread (the terminal
 * process, V8's helper threads) in the middle of it. A read costs about 4 µs.
 */
const schedFd = (() => {
  try {
    return openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return -1;
  }
})();
const schedBuf = Buffer.alloc(128);
const runQueueWaitNs = (): number => {
  if (schedFd < 0) return NaN;
  const n = readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
  return Number(schedBuf.toString('latin1', 0, n).split(' ')[1]);
};
/**
 * The host's priority as `mt5-executor start` sets it (config `priority`, default normal; src/host/priority.ts), on this
 * process's thread — after each peer is forked, so the terminal keeps its own. BENCH_PRIORITY=normal|above-normal|high.
 */
const PRIORITY = (process.env.BENCH_PRIORITY ?? 'normal') as HostPriority;
const raise = () => {
  const p = applyPriority(PRIORITY);
  if (!p.applied) console.log(`note: the priority ${PRIORITY} could not be set (${p.error}): measured at ${p.now}`);
  return p;
};
const pct = (a: number[], p: number) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))]! : NaN);

async function run(strategies: number) {
  const token = generateToken();
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-bench-host-'));
  const store = await Store.open(dir);
  // logs as the host writes them (pino, info, every line also to the log bus the local API streams from), into a
  // file; BENCH_DEBUG=1 sends debug lines to stderr instead
  const log = process.env.BENCH_DEBUG ? createLogger('debug', process.stderr) : createLogger('info', pino.destination({ dest: join(dir, 'host.log'), sync: true }) as unknown as NodeJS.WritableStream, new LogBus());
  const server = new BridgeServer({ token, port: 0, symbols: [], bars: [], ...(process.env.BENCH_MEMLEDGER ? {} : { ledger: new PersistentLedger(store) }), logger: log });
  const port = await server.start();
  const mgr = new StrategyManager(store, log, { warmupBars: 500, limits: LIMITS });
  // host-side probe: from the bytes that carry a BAR reaching the host's socket (stamped before ws parses them)
  // to the socket write that hands that bar's intent frames to the kernel, after their journal write
  // (Terminal.batch: the ledger write, then one uncorked socket write). One sample per intent. The rest of
  // bar→intent at the terminal is the two processes waking up and the loopback in between.
  const hostLat: number[] = [];
  // the same, less the time the host's thread waited for a core in between (Linux; empty elsewhere)
  const hostOwn: number[] = [];
  let chunkAt = 0, chunkWait = 0;
  // per bar that caused intents: bytes → decisions start (ws frame, decode, bar event), the decisions (engine,
  // pre-trade checks, ledger entries in memory), the journal write and the socket write; and how many of those
  // bars saw the thread wait for a core
  // (toBarEvent: the part of toDecide up to the 'bar' event — the chunk's frames decoded, what was queued before the BAR
  // handled — the rest of it is the bar event's own work before the decisions)
  const phases = { toDecide: [] as number[], decide: [] as number[], journalAndWrite: [] as number[], toBarEvent: [] as number[] };
  let barsWaited = 0;
  // BENCH_SPLIT: per bar with intents, the deciding by the strategy's place in the bar — from its core.onBar call to
  // the next strategy's (its own judging and sending, and the next one's market view), the last to the deciding's end
  const split = { first: [] as number[], others: [] as number[] };
  let onBarAt: number[] | undefined;
  if (process.env.BENCH_SPLIT) {
    const core = mgr.core, onBar = core.onBar.bind(core);
    core.onBar = (...a: Parameters<typeof onBar>) => {
      onBarAt?.push(performance.now());
      return onBar(...a);
    };
  }
  // per bar that caused intents: [bytes arrived, intents written] (performance.now), to find the garbage collections
  // that fell inside one (below)
  const barSpans: [number, number, number][] = [];
  // BENCH_TAIL: per bar with intents, [in host, to deciding, deciding, journal + write, intents, waited for a core] ms
  const barRows: number[][] = [];
  // when the socket last handed bytes to the kernel (stamped as the write call starts): the woken terminal process
  // may run first on the same core and delay the host's return from that call — time that is not the host's work
  // (seen with both processes on one core: the write call "took" 1–2 ms; pinned to two cores, 0.1 ms)
  let writeAt = 0, writeWait = 0;
  server.once('session', (session: { ws: unknown }) => {
    type Sock = NodeJS.EventEmitter & { _writev?: (...a: unknown[]) => unknown; _write: (...a: unknown[]) => unknown };
    const sock = (session.ws as { _socket: Sock })._socket;
    sock.prependListener('data', () => {
      // the read first, then the stamp: the read is the bench's, not the host's — as the first system call after the
      // thread wakes it took 40–60 µs (p50) of the chunk that carries a BAR, a quarter of "bytes → bar event" before
      chunkWait = runQueueWaitNs();
      chunkAt = performance.now();
    });
    const wv = sock._writev, w = sock._write;
    if (wv) sock._writev = function (this: unknown, ...a: unknown[]) { writeAt = performance.now(); writeWait = runQueueWaitNs(); return wv.apply(this, a); };
    sock._write = function (this: unknown, ...a: unknown[]) { writeAt = performance.now(); writeWait = runQueueWaitNs(); return w.apply(this, a); };
  });
  server.once('terminal', (t: Terminal) => {
    let barChunkAt = 0, barChunkWait = 0, barEventAt = 0;
    t.on('bar', () => {
      barEventAt = performance.now();
      barChunkAt = chunkAt;
      barChunkWait = chunkWait;
    });
    let sent = 0;
    const send = t.sendIntent.bind(t);
    t.sendIntent = (intent) => {
      sent++;
      return send(intent);
    };
    const batch = t.batch.bind(t);
    t.batch = <T>(fn: () => T): T => {
      const before = sent, start = performance.now();
      let decided = 0;
      const starts: number[] | undefined = process.env.BENCH_SPLIT ? (onBarAt = []) : undefined;
      const r = batch(() => {
        const x = fn();
        decided = performance.now();
        return x;
      });
      if (starts && sent > before && barChunkAt) {
        for (let k = 0; k < starts.length; k++) (k ? split.others : split.first).push((starts[k + 1] ?? decided) - starts[k]!);
      }
      if (sent > before && barChunkAt) {
        const written = writeAt >= start;
        const end = written ? writeAt : performance.now();
        const ms = end - barChunkAt;
        const waitedMs = ((written ? writeWait : runQueueWaitNs()) - barChunkWait) / 1e6;
        phases.toDecide.push(start - barChunkAt);
        phases.toBarEvent.push(barEventAt - barChunkAt);
        phases.decide.push(decided - start);
        phases.journalAndWrite.push(end - decided);
        barSpans.push([barChunkAt, end, sent - before]);
        barRows.push([ms, start - barChunkAt, decided - start, end - decided, sent - before, waitedMs]);
        if (waitedMs > 0) barsWaited++;
        for (let k = before; k < sent; k++) {
          hostLat.push(ms);
          if (waitedMs === waitedMs) hostOwn.push(ms - waitedMs);
        }
      }
      return r;
    };
    mgr.attach(t);
  });
  const ts = import.meta.url.endsWith('.ts');
  const peerFile = fileURLToPath(new URL(ts ? './host-peer.ts' : './host-peer.mjs', import.meta.url));
  const peer = fork(peerFile, [`ws://127.0.0.1:${port}`, token, String(SYMBOLS), String(TICKS_PER_SECOND)], { execArgv: ts ? ['--import', 'tsx'] : [] });
  // listened for from the start: on a loaded machine the peer's exit can come before its last message is handled
  const exited = new Promise((res) => peer.once('exit', res));
  await new Promise<void>((res) => peer.once('message', () => res()));
  raise(); // after the fork: the terminal's process keeps its own
  const t0 = performance.now();
  for (let k = 0; k < strategies; k++) await mgr.start(strategy(k));
  // every strategy warmed up on the terminal's history
  while (mgr.list().some((r) => r.status === 'running' && !mgr.get(r.id)?.runner)) await new Promise((r) => setTimeout(r, 20));
  const startupMs = performance.now() - t0;
  if (mgr.list().filter((r) => r.status === 'running').length !== strategies) throw new Error('not every strategy is running');

  global.gc?.();
  // BENCH_HEAPPROF=path: what the run allocates (V8's sampling heap profiler, collected objects included) to path-N.heapprofile
  const heapSession = process.env.BENCH_HEAPPROF ? new (await import('node:inspector')).Session() : undefined;
  const post = (m: string, params?: object) => new Promise<unknown>((res, rej) => heapSession!.post(m, params ?? {}, (e, r) => (e ? rej(e) : res(r))));
  if (heapSession) {
    heapSession.connect();
    await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  // every garbage collection of the run on the host's thread (kind: 1 scavenge, 2 mark-compact, 4 incremental
  // marking, 8 weak callbacks), to tell the bars it fell inside of
  const gcs: { at: number; ms: number; kind: number }[] = [];
  const gcObs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) gcs.push({ at: e.startTime, ms: e.duration, kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0 });
  });
  gcObs.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const w0 = performance.now();
  let rssPeak = process.memoryUsage().rss;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 250);
  peer.send({ go: 1 });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const done = new Promise<{ latencies: number[]; arrivals: number[]; intents: number; ticks: number; barsClosed: number }>((res) =>
    peer.on('message', (m: { done?: boolean }) => m.done && res(m as never)),
  );
  peer.send({ stop: true });
  const wall = performance.now() - w0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  clearInterval(sampler);
  const r = await done;
  gcObs.disconnect();
  if (heapSession) {
    const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(`${process.env.BENCH_HEAPPROF}-${strategies}.heapprofile`, JSON.stringify(profile));
    heapSession.disconnect();
  }
  // the bars with intents a collection fell inside of, and the in-host time of the others
  let barsWithGc = 0, gcMsInBars = 0;
  const noGc: number[] = [];
  {
    const byStart = gcs.sort((a, b) => a.at - b.at);
    let g = 0;
    for (const [from, to, n] of barSpans) {
      while (g < byStart.length && byStart[g]!.at + byStart[g]!.ms < from) g++;
      let hit = 0;
      for (let k = g; k < byStart.length && byStart[k]!.at <= to; k++) hit += byStart[k]!.ms;
      if (hit > 0) {
        barsWithGc++;
        gcMsInBars += hit;
      } else for (let k = 0; k < n; k++) noGc.push(to - from);
    }
    noGc.sort((a, b) => a - b);
  }
  if (process.env.BENCH_TAIL) {
    // the slowest bars with intents, and the GC time inside each
    const gcIn = (from: number, to: number) => gcs.filter((x) => x.at <= to && x.at + x.ms >= from).reduce((s, x) => s + x.ms, 0);
    const rows = barRows.map((r, k) => [...r, gcIn(barSpans[k]![0], barSpans[k]![1])]).sort((a, b) => b[0]! - a[0]!).slice(0, Number(process.env.BENCH_TAIL));
    console.error(`the ${rows.length} slowest bars with intents (${strategies} strategies), ms: in host | to deciding | deciding | journal + write | intents | waited for a core | GC`);
    for (const r of rows) console.error(r.map((x, i) => (i === 4 ? String(x) : x!.toFixed(3))).join(' | '));
  }
  await exited;
  await server.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true }); // the run's state and log (BENCH_DEBUG keeps nothing there either)
  const lat = r.latencies.sort((a, b) => a - b);
  const host = hostLat.sort((a, b) => a - b);
  const own = hostOwn.sort((a, b) => a - b);
  const arr = r.arrivals.sort((a, b) => a - b);
  return {
    strategies,
    seconds: Math.round(wall / 100) / 10,
    startupMs: Math.round(startupMs),
    ticks: r.ticks,
    barsClosed: r.barsClosed,
    intents: r.intents,
    arrivalP50Ms: +pct(arr, 0.5).toFixed(3),
    arrivalP99Ms: +pct(arr, 0.99).toFixed(3),
    arrivalMaxMs: +(arr[arr.length - 1] ?? NaN).toFixed(3),
    latencyP50Ms: +pct(lat, 0.5).toFixed(3),
    latencyP99Ms: +pct(lat, 0.99).toFixed(3),
    latencyMaxMs: +(lat[lat.length - 1] ?? NaN).toFixed(3),
    hostBarToSentP50Ms: +pct(host, 0.5).toFixed(3),
    hostBarToSentP99Ms: +pct(host, 0.99).toFixed(3),
    hostOwnP50Ms: +pct(own, 0.5).toFixed(3),
    hostOwnP99Ms: +pct(own, 0.99).toFixed(3),
    barsWithIntents: phases.decide.length,
    barsWaitedForCore: barsWaited,
    // garbage collections of the run (all kinds), the bars with intents one fell inside of, and "in host" p99 of the
    // bars none did (one sample per intent, as "in host")
    gcs: gcs.length,
    gcMs: +gcs.reduce((s, x) => s + x.ms, 0).toFixed(1),
    barsWithGc,
    gcMsInBars: +gcMsInBars.toFixed(1),
    barsNoGcP99Ms: +pct(noGc, 0.99).toFixed(3),
    hostPhasesP50Ms: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, +pct(v.sort((a, b) => a - b), 0.5).toFixed(3)])),
    // the same at p99 (sorted above): which phase the tail is in
    hostPhasesP99Ms: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, +pct(v, 0.99).toFixed(3)])),
    ...(process.env.BENCH_SPLIT ? { decideFirstP50Ms: +pct(split.first.sort((a, b) => a - b), 0.5).toFixed(3), decideOthersP50Ms: +pct(split.others.sort((a, b) => a - b), 0.5).toFixed(3), decideFirstP90Ms: +pct(split.first, 0.9).toFixed(3), decideOthersP90Ms: +pct(split.others, 0.9).toFixed(3) } : {}),
    rssPeakMB: Math.round(rssPeak / 1048576),
    cpuPercentOfOneCore: +(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1),
    eventLoopUtilization: +(elu.utilization * 100).toFixed(1),
  };
}

/**
 * The floor under every figure above: floor-peer.ts sends the same frames on the same schedule to a bare echo
 * server (this process, the same ws options as the bridge) that answers each BAR with one intent frame, decoding
 * nothing and deciding nothing. No host can answer faster than this on the machine it runs on.
 */
async function floor() {
  const reply = encodeMessage('OPEN', 1, { id: 1, intentId: 'floor-0000000000-o', magic: 1, symbol: 'S00', side: 0, volume: 0.1, sl: 1.09, tp: 1.11, deviation: 20 });
  // `type` is the first key: after the map header (1 byte fixmap, 3 bytes map16) and "type" (5 bytes), a fixint
  const isBar = (d: Buffer) => d[(d[0]! === 0xde ? 3 : 1) + 5] === MsgType.BAR;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (d: Buffer) => isBar(d) && ws.send(reply)));
  await new Promise((res) => wss.once('listening', res));
  const { port } = wss.address() as { port: number };
  const ts = import.meta.url.endsWith('.ts');
  const peerFile = fileURLToPath(new URL(ts ? './floor-peer.ts' : './floor-peer.mjs', import.meta.url));
  const peer = fork(peerFile, [`ws://127.0.0.1:${port}`, String(SYMBOLS), String(TICKS_PER_SECOND)], { execArgv: ts ? ['--import', 'tsx'] : [] });
  // listened for from the start: on a loaded machine the peer's exit can come before its last message is handled
  const exited = new Promise((res) => peer.once('exit', res));
  await new Promise<void>((res) => peer.once('message', () => res()));
  raise(); // the echo at the host's priority: the floor under the same setting
  peer.send({ go: 1 });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const done = new Promise<{ arrivals: number[] }>((res) => peer.on('message', (m: { done?: boolean }) => m.done && res(m as never)));
  peer.send({ stop: true });
  const arr = (await done).arrivals.sort((a, b) => a - b);
  await exited;
  await new Promise((res) => wss.close(res));
  return { bars: arr.length, p50Ms: +pct(arr, 0.5).toFixed(3), p99Ms: +pct(arr, 0.99).toFixed(3), maxMs: +(arr[arr.length - 1] ?? NaN).toFixed(3) };
}

const loopback = process.env.BENCH_NOFLOOR ? { bars: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN } : await floor();
// as `mt5-executor start` does before its bridge listens (config primeAtStart); BENCH_NOPRIME=1 leaves it out
const primed = process.env.BENCH_NOPRIME ? null : await primeSignalPath();
if (primed?.error) throw new Error(`priming failed: ${primed.error}`);
const results = process.env.BENCH_ONLY ? [await run(Number(process.env.BENCH_ONLY))] : [await run(100), await run(1000)];
const rows = results.map((x) => [
  String(x.strategies), String(x.ticks), String(x.barsClosed), String(x.intents),
  `${x.arrivalP50Ms} / ${x.arrivalP99Ms} / ${x.arrivalMaxMs}`, `${x.latencyP50Ms} / ${x.latencyP99Ms}`, `${x.hostBarToSentP50Ms} / ${x.hostBarToSentP99Ms}`, `${x.hostOwnP50Ms} / ${x.hostOwnP99Ms}`, `${x.rssPeakMB}`, `${x.cpuPercentOfOneCore} %`, `${x.eventLoopUtilization} %`, `${x.startupMs}`,
]);
const head = ['strategies', 'ticks', 'bar closes', 'intents', 'bar→intent at terminal ms p50/p99/max', 'executed p50/p99', 'in host p50/p99', 'less waits for a core', 'peak RSS MB', 'CPU (1 core)', 'event loop', 'start ms'];
const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(width[i]!)).join('  ');
console.log(`bench:host — ${SYMBOLS} symbols, ${TICKS_PER_SECOND} ticks/s per symbol, one bar close per symbol per second, ${SECONDS} s; ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, Node ${process.versions.node}`);
console.log(line(head));
for (const r of rows) console.log(line(r));
for (const x of results) {
  const ph = x.hostPhasesP50Ms;
  console.log(
    `in host, ${x.strategies} strategies, p50 (p99) of ${x.barsWithIntents} bars with intents: bytes → deciding ${ph.toDecide} (${x.hostPhasesP99Ms.toDecide}) ms, deciding ${ph.decide} (${x.hostPhasesP99Ms.decide}) ms, ` +
      `journal + socket write ${ph.journalAndWrite} (${x.hostPhasesP99Ms.journalAndWrite}) ms; the host's thread waited for a core in ${x.barsWaitedForCore} of them; ` +
      `a garbage collection fell inside ${x.barsWithGc} of them (${x.gcMsInBars} ms; ${x.gcs} collections, ${x.gcMs} ms in the run), in host p99 of the others ${x.barsNoGcP99Ms} ms`,
  );
}
for (const x of results) {
  if ('decideFirstP50Ms' in x) console.log(`deciding by the strategy's place in the bar (${x.strategies} strategies, BENCH_SPLIT): the first p50 ${x.decideFirstP50Ms} (p90 ${x.decideFirstP90Ms}) ms, each other p50 ${x.decideOthersP50Ms} (p90 ${x.decideOthersP90Ms}) ms`);
}
console.log(`loopback floor (bare echo, same traffic, no host): bar→answer p50 ${loopback.p50Ms} / p99 ${loopback.p99Ms} / max ${loopback.maxMs} ms over ${loopback.bars} bars`);
console.log(primed ? `order path primed at start (as mt5-executor start does): ${primed.bars} bars, ${primed.intents} intents, ${primed.ms} ms` : 'not primed (BENCH_NOPRIME)');
console.log('targets (issue 21): in host p99 ≤ 0.5 ms with 100 strategies; ≤ 2 ms and peak RSS < 300 MB with 1,000; each run with ≥ 1,000 bars that cause intents');
for (const x of results) if (x.barsWithIntents < 1000) console.log(`note: the ${x.strategies}-strategy run had only ${x.barsWithIntents} bars that caused intents (< 1,000): run it longer`);
console.log(JSON.stringify({ bench: 'host', priority: PRIORITY, niceNow: getPriority(), symbols: SYMBOLS, ticksPerSecondPerSymbol: TICKS_PER_SECOND, primedMs: primed ? primed.ms : null, loopbackFloor: loopback, results }));
