/**
 * Preloaded into the real host (`node --import`) by tests/host-process.ts when a test asks for measurements: the
 * host's own event-loop delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution) and its resident memory,
 * answered over the IPC channel on request. Nothing of the host is changed; this only observes it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
let maxRss = 0;
const sample = () => (maxRss = Math.max(maxRss, process.memoryUsage.rss()));
setInterval(sample, 250).unref();
process.on('message', (m) => {
  if (m !== 'loop-stats' && m !== 'loop-stats-reset') return;
  sample();
  process.send?.({ maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, meanMs: h.mean / 1e6, rssMB: process.memoryUsage.rss() / 2 ** 20, maxRssMB: maxRss / 2 ** 20 });
  if (m === 'loop-stats-reset') {
    h.reset();
    maxRss = 0;
  }
});
process.channel?.unref(); // after the listener (which refs it): the channel never keeps the host alive
