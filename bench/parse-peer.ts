/**
 * A fresh process for bench:backtest's CSV parse: `loadBarFile(file, { cache: false })` as the commands read a file
 * without a cache, `runs` times; prints one JSON line with each run's wall and CPU time (user + system), its page
 * faults and what one page fault costs in this process. In a process of its own so the parse is not measured beside the bench's 1 GB heap of backtests.
 *
 *   node dist/bench/parse-peer.mjs <bars.csv> [runs]
 */
import { loadBarFile } from '../src/cli/bar-file.js';

const [file, runsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: parse-peer <bars.csv> [runs]');
// what first-touching a fresh 4 KB page costs this process (a 32 MB array written once): on the 2-core VM of
// docs/performance-history.md 12–15 µs, the hypervisor's share; a parse of 1 M bars touches ~14,000 such pages
const f0 = process.resourceUsage().minorPageFault, c0 = process.cpuUsage();
const probe = new Float64Array(4 << 20);
for (let i = 0; i < probe.length; i += 512) probe[i] = 1;
const cp = process.cpuUsage(c0);
const faultUs = (cp.user + cp.system) / Math.max(1, process.resourceUsage().minorPageFault - f0);
const out: { bars: number; wallMs: number; cpuMs: number; faults: number; faultUs: number }[] = [];
for (let r = 0; r < Number(runsArg ?? 5); r++) {
  const c1 = process.cpuUsage(), f1 = process.resourceUsage().minorPageFault, t0 = performance.now();
  const s = loadBarFile(file, { cache: false });
  const c = process.cpuUsage(c1);
  out.push({ bars: s.length, wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, faults: process.resourceUsage().minorPageFault - f1, faultUs });
}
process.stdout.write(JSON.stringify(out) + '\n');
