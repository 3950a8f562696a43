/**
 * npm run bench:backtest — bars per second of a full backtest (engine + broker + EA rules, in-process) for an
 * EMA-cross strategy with ATR stops on the bundled EURUSD H1 bars repeated to ≥ 1,000,000 bars, one core;
 * the CSV parse of those bars written as an MT5 "Export bars" file (read a chunk at a time, as the commands do), its
 * read from the binary cache; the whole run as a CLI process (start, file read, parse, backtest, figures) with
 * --no-cache, the first run with the cache (parse and cache written) and a cached run — each in wall time, in CPU
 * time (what the cores other programs took does not count) and in CPU time less its page faults' cost (Linux); the
 * floor in the same sitting (the same command with a strategy that never trades, and Node's bare start); and the
 * process's peak memory. Prints a table and a final JSON line.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { formatServerTime, parseBars, type BarSeries } from '../src/engine/bars.js';
import { cacheFileOf, loadBarFile } from '../src/cli/bar-file.js';
import { normalizeStrategy } from '../src/engine/strategy/normalize.js';
import { findRepoFile } from '../src/host/paths.js';
import { runBacktest } from '../src/sim/backtest.js';

const TARGET = Number(process.env.BENCH_BARS ?? 1_000_000);
const src = parseBars(readFileSync(findRepoFile('data/EURUSD_H1_2015-2022.csv'), 'utf8'));
const copies = Math.ceil(TARGET / src.length);
const WEEK = 7 * 86400;
const n = copies * src.length;
const col = () => new Float64Array(n);
const bars: BarSeries = { time: col(), open: col(), high: col(), low: col(), close: col(), tickVolume: col(), spread: col(), realVolume: col(), timeText: [], length: n, periodSec: 3600, layout: src.layout };
// repeat the real bars, shifted in time by whole weeks (weekdays stay weekdays: a copy shifted by a non-whole
// number of weeks put bars on Saturdays, where the simulated market is closed), at least a week after the previous copy
for (let c = 0; c < copies; c++) {
  const dt = c * Math.ceil((src.time[src.length - 1]! - src.time[0]! + WEEK) / WEEK) * WEEK;
  for (let i = 0; i < src.length; i++) {
    const k = c * src.length + i;
    bars.time[k] = src.time[i]! + dt;
    bars.open[k] = src.open[i]!;
    bars.high[k] = src.high[i]!;
    bars.low[k] = src.low[i]!;
    bars.close[k] = src.close[i]!;
    bars.tickVolume[k] = src.tickVolume[i]!;
    bars.spread[k] = src.spread[i]!;
  }
}
const strategyJson = {
  strategyId: 'bench-ema-atr', symbol: 'EURUSD', timeframe: 'H1',
  rules: {
    entry: { direction: 'BOTH', conditions: [{ indicator: 'ema_9', condition: 'crosses_above', indicatorRef: 'ema_21' }] },
    exit: { stopLoss: { type: 'atr', multiplier: 2 }, takeProfit: { type: 'rr_ratio', ratio: 2 } },
    riskManagement: { lotSize: 0.1 },
  },
};
const strategy = normalizeStrategy(strategyJson);
// peak RSS sampled while the run goes (the run is synchronous, so sample from progress callbacks)
let peak = process.memoryUsage().rss;
const runs: number[] = [];
// minor page faults per run: fresh memory costs the kernel (and, in a VM, the hypervisor) a fault per 4 KB page on
// first touch — on the 2-core VMs of docs/PERFORMANCE.md ~11 µs each, a large share of a run
const faults: number[] = [];
// a balance the account cannot lose over 130 years of repeated data at 0.1 lot (at 10,000 it ran dry in the
// tenth copy and from then on every entry was refused for margin: a benchmark of refusals)
const balance = 1_000_000;
let last = runBacktest({ strategy, balance, bars: { ...bars, length: Math.min(n, 100_000) } }); // warm-up
for (let r = 0; r < 3; r++) {
  const f0 = process.resourceUsage().minorPageFault;
  const t = performance.now();
  last = runBacktest({ strategy, balance, bars, onProgress: () => (peak = Math.max(peak, process.memoryUsage().rss)) });
  runs.push(n / ((performance.now() - t) / 1000));
  faults.push(process.resourceUsage().minorPageFault - f0);
}
// the same bars as an MT5 "Export bars" CSV file (written a block of rows at a time: no 1 M strings at once)
const dir = mkdtempSync(join(tmpdir(), 'bench-bars-'));
const csvFile = join(dir, 'EURUSD_H1.csv');
{
  const fd = openSync(csvFile, 'w');
  let rows = ['<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,<VOL>,<SPREAD>'];
  for (let i = 0; i < n; i++) {
    rows.push(`${formatServerTime(bars.time[i]!, true).replace(' ', ',')},${bars.open[i]},${bars.high[i]},${bars.low[i]},${bars.close[i]},${bars.tickVolume[i]},0,${bars.spread[i]}`);
    if (rows.length === 65_536 || i === n - 1) {
      writeSync(fd, rows.join('\n') + '\n');
      rows = [];
    }
  }
  closeSync(fd);
}
const here = dirname(fileURLToPath(import.meta.url));
/** A child process (none of the bench's 1 GB heap). */
const child = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
};
// the parse in a fresh process, five times (as the commands read a file without a cache: a chunk at a time)
const parseRuns = JSON.parse(child([join(here, 'parse-peer.mjs'), csvFile, '5'])) as { bars: number; wallMs: number; cpuMs: number; faults: number; faultUs: number }[];
if (parseRuns.some((x) => x.bars !== n)) throw new Error(`parsed ${parseRuns[0]?.bars} bars, wrote ${n}`);
const parses = parseRuns.map((x) => n / (x.wallMs / 1000)), parsesCpu = parseRuns.map((x) => n / (x.cpuMs / 1000));
// the floor this VM sets: the parse's CPU less its page faults at the per-page cost measured in the same process
const parsesLessFaults = parseRuns.map((x) => n / (Math.max(1, x.cpuMs - (x.faults * x.faultUs) / 1000) / 1000));
const cached: number[] = [], cachedCpu: number[] = [];
/** Bars per second of wall and of CPU time (user + system: the page faults of fresh memory are system time). */
const timed = <T>(f: () => T): [T, number, number] => {
  const c0 = process.cpuUsage();
  const t = performance.now();
  const v = f();
  const c = process.cpuUsage(c0);
  return [v, n / ((performance.now() - t) / 1000), n / ((c.user + c.system) / 1e6)];
};
const parsed = loadBarFile(csvFile); // writes the cache
for (let r = 0; r < 3; r++) {
  const [fromCache, cw, cc] = timed(() => loadBarFile(csvFile));
  if (fromCache.length !== n || fromCache.close[n - 1] !== parsed.close[n - 1]) throw new Error('the cache does not give the parsed bars');
  cached.push(cw);
  cachedCpu.push(cc);
}
// the whole run as a trader starts it: a CLI process (node start, read, parse, backtest, report figures, JSON out) —
// with --no-cache (the parse), the first run with the cache (the parse, and the cache written) and a cached run;
// wall time of the process
const strategyFile = join(dir, 'bench-ema-atr.json');
writeFileSync(strategyFile, JSON.stringify(strategyJson));
// the floor of a whole run on this machine, in the same sitting: the same command on the same file with a strategy
// that never trades (an RSI below −1) — Node's start, the bundle's load, the bars' read and a quiet pass over them —
// and Node's own start (`node -e 0`). What the bench's strategy adds over that floor is its trading (and its EMA and
// ATR columns in place of the RSI's).
const floorFile = join(dir, 'bench-never.json');
writeFileSync(floorFile, JSON.stringify({ ...strategyJson, strategyId: 'bench-never', rules: { ...strategyJson.rules, entry: { direction: 'BUY', conditions: [{ indicator: 'rsi_14', condition: 'less_than', value: -1 }] } } }));
/**
 * The CPU time (user + system, ms) and minor page faults of the children waited for so far — /proc/self/stat's
 * cutime, cstime and cminflt (Linux; undefined elsewhere). A CLI run's CPU time does not count the cores other
 * programs took from it, as its wall time does on a shared machine.
 */
const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);
function childrenUsage(): { cpuMs: number; faults: number } | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after the name, from 3 (state): cminflt is field 11, cutime 16, cstime 17
    return { faults: Number(f[11 - 3]), cpuMs: (Number(f[16 - 3]) + Number(f[17 - 3])) * TICK_MS };
  } catch {
    return undefined;
  }
}
interface WholeRun { barsPerSec: number; cpuBarsPerSec?: number; lessFaultsBarsPerSec?: number; faults?: number }
const cliRunOf = (file: string, trades: number, ...extra: string[]): WholeRun => {
  const u0 = childrenUsage();
  const t = performance.now();
  const out = child([join(here, 'mt5-executor.js'), 'backtest', file, '--data', csvFile, '--balance', String(balance), '--json', ...extra]);
  const ms = performance.now() - t;
  const u1 = childrenUsage();
  const j = JSON.parse(out) as { bars: number; trades: number };
  if (j.bars !== n || j.trades !== trades) throw new Error(`the CLI gave ${j.bars} bars, ${j.trades} trades; the bench ${n}, ${trades}`);
  if (!u0 || !u1) return { barsPerSec: n / (ms / 1000) };
  const cpuMs = u1.cpuMs - u0.cpuMs, faults = u1.faults - u0.faults;
  // the page faults' share at the cost per fault the parse peer measured in this run (see the parse's line)
  // (none when the faults' estimated cost is most of the CPU time: the estimate is then no guide)
  const lessFaultsMs = cpuMs - (faults * parseRuns[0]!.faultUs) / 1000;
  return { barsPerSec: n / (ms / 1000), cpuBarsPerSec: n / (cpuMs / 1000), ...(lessFaultsMs > cpuMs / 4 ? { lessFaultsBarsPerSec: n / (lessFaultsMs / 1000) } : {}), faults };
};
const cliRun = (...extra: string[]) => cliRunOf(strategyFile, last.metrics.trades, ...extra);
const wholeRuns: WholeRun[] = [], firstRuns: WholeRun[] = [], cachedRuns: WholeRun[] = [], floorRuns: WholeRun[] = [];
const nodeStartMs: number[] = [];
for (let r = 0; r < 3; r++) {
  wholeRuns.push(cliRun('--no-cache'));
  rmSync(cacheFileOf(csvFile), { force: true });
  firstRuns.push(cliRun());
  cachedRuns.push(cliRun());
  floorRuns.push(cliRunOf(floorFile, 0)); // cached, alternating with the cached run above
  const t = performance.now();
  child(['-e', '0']);
  nodeStartMs.push(performance.now() - t);
}
const whole = wholeRuns.map((x) => x.barsPerSec), wholeFirst = firstRuns.map((x) => x.barsPerSec), wholeCached = cachedRuns.map((x) => x.barsPerSec);
const fmt = (xs: (number | undefined)[]) => xs.map((x) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'))).join(' / ');
const cpuOf = (rs: WholeRun[]) => (rs[0]!.cpuBarsPerSec === undefined ? '' : `; ${fmt(rs.map((x) => x.cpuBarsPerSec))} of CPU time, ${fmt(rs.map((x) => x.lessFaultsBarsPerSec))} less its ${fmt(rs.map((x) => x.faults))} page faults`);
rmSync(dir, { recursive: true, force: true });
peak = Math.max(peak, process.memoryUsage().rss);
const best = Math.max(...runs);
const bestParse = Math.max(...parses), bestWhole = Math.max(...whole);
console.log(`\nbench:backtest — ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log(`bars                 ${n.toLocaleString('en-US')} (EURUSD H1 2015–2022 × ${copies})`);
console.log(`strategy             EMA 9/21 cross both ways, SL 2 × ATR(14), TP 2R, 0.1 lot`);
console.log(`engine driven        ${last.columns ? 'a column at a time (indicators and rules a block of 4,096 bars at a time, the runner called on bars where it can act)' : 'bar by bar'}`);
console.log(`trades               ${last.metrics.trades.toLocaleString('en-US')} (intents ${last.intents.toLocaleString('en-US')}, rejected ${last.rejected.length}; exposure ${last.metrics.exposure.toFixed(1)} %)`);
console.log(`speed                ${runs.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ')} bars/s (best ${Math.round(best).toLocaleString('en-US')}; target ≥ 3,000,000)`);
console.log(`CSV parse            ${parses.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ')} bars/s wall (best ${Math.round(bestParse).toLocaleString('en-US')}; target ≥ 3,000,000), ${parsesCpu.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ')} bars/s of CPU time; a fresh process, ${parseRuns.map((x) => x.faults.toLocaleString('en-US')).join(' / ')} page faults at ${parseRuns[0]!.faultUs.toFixed(1)} µs each`);
console.log(`CSV parse less faults ${parsesLessFaults.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ')} bars/s of CPU time without the page faults' cost (what a machine with cheap faults would show)`);
console.log(`cached read          ${cached.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ')} bars/s wall, ${cachedCpu.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ')} bars/s of CPU time (<file>.mt5x-cache)`);
console.log(`whole run            ${fmt(whole)} bars/s of wall time (a CLI process with --no-cache: start, read, parse, backtest, figures; best ${Math.round(bestWhole).toLocaleString('en-US')}; target ≥ 1,000,000)${cpuOf(wholeRuns)}`);
console.log(`whole run, first     ${fmt(wholeFirst)} bars/s (no cache yet: the parse, and the cache written)${cpuOf(firstRuns)}`);
console.log(`whole run, cached    ${fmt(wholeCached)} bars/s (best ${Math.round(Math.max(...wholeCached)).toLocaleString('en-US')})${cpuOf(cachedRuns)}`);
console.log(`floor, cached        ${fmt(floorRuns.map((x) => x.barsPerSec))} bars/s (the same command and file, a strategy that never trades: Node's start, the bundle, the read, a quiet pass)${cpuOf(floorRuns)}`);
console.log(`node start           ${nodeStartMs.map((x) => x.toFixed(0)).join(' / ')} ms (\`node -e 0\`); the bench's strategy adds ${cachedRuns.map((x, k) => ((n / x.barsPerSec - n / floorRuns[k]!.barsPerSec) * 1000).toFixed(0)).join(' / ')} ms of wall time to the floor (its ${last.metrics.trades.toLocaleString('en-US')} trades, and its EMA and ATR columns in place of the floor's RSI)`);
console.log(`peak memory (RSS)    ${(peak / 1048576).toFixed(0)} MB`);
console.log(`minor page faults    ${faults.map((x) => x.toLocaleString('en-US')).join(' / ')} per run (the first touch of fresh memory)`);
console.log(JSON.stringify({ bench: 'backtest', bars: n, columns: last.columns, trades: last.metrics.trades, barsPerSec: Math.round(best), runs: runs.map(Math.round), parseBarsPerSec: Math.round(bestParse), parseRuns: parses.map(Math.round), parseCpuRuns: parsesCpu.map(Math.round), parseCpuLessFaultsRuns: parsesLessFaults.map(Math.round), pageFaultUs: +parseRuns[0]!.faultUs.toFixed(1), cachedRuns: cached.map(Math.round), cachedCpuRuns: cachedCpu.map(Math.round), wholeFirstRuns: wholeFirst.map(Math.round), wholeCachedRuns: wholeCached.map(Math.round), wholeBarsPerSec: Math.round(bestWhole), wholeRuns: whole.map(Math.round), wholeCpuRuns: wholeRuns.map((x) => x.cpuBarsPerSec && Math.round(x.cpuBarsPerSec)), wholeCachedCpuRuns: cachedRuns.map((x) => x.cpuBarsPerSec && Math.round(x.cpuBarsPerSec)), wholeLessFaultsRuns: wholeRuns.map((x) => x.lessFaultsBarsPerSec && Math.round(x.lessFaultsBarsPerSec)), wholeCachedLessFaultsRuns: cachedRuns.map((x) => x.lessFaultsBarsPerSec && Math.round(x.lessFaultsBarsPerSec)), floorCachedRuns: floorRuns.map((x) => Math.round(x.barsPerSec)), floorCachedCpuRuns: floorRuns.map((x) => x.cpuBarsPerSec && Math.round(x.cpuBarsPerSec)), nodeStartMs: nodeStartMs.map((x) => Math.round(x)), peakRssMB: Math.round(peak / 1048576), pageFaults: faults, node: process.version, date: new Date().toISOString().slice(0, 10) }));
