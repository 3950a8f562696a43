/**
 * A fresh process for bench:backtest's CSV parse: `loadBarFile(file, { cache: false })` as the commands read a file
 * without a cache, `runs` times; prints one JSON line with each run's wall and CPU time (user + system) and the page
 * faults. In a process of its own so the parse is not measured beside the bench's 1 GB heap of backtests.
 *
 *   node dist/bench/parse-peer.mjs <bars.csv> [runs]
 */
import { loadBarFile } from '../src/cli/bar-file.js';

const [file, runsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: parse-peer <bars.csv> [runs]');
const out: { bars: number; wallMs: number; cpuMs: number; faults: number }[] = [];
for (let r = 0; r < Number(runsArg ?? 5); r++) {
  const c0 = process.cpuUsage(), f0 = process.resourceUsage().minorPageFault, t0 = performance.now();
  const s = loadBarFile(file, { cache: false });
  const c = process.cpuUsage(c0);
  out.push({ bars: s.length, wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, faults: process.resourceUsage().minorPageFault - f0 });
}
process.stdout.write(JSON.stringify(out) + '\n');
