/** Bar files written by the tests (tests/cli/bar-file.test.ts, bar-prefetch.test.ts). */
import { writeFileSync } from 'node:fs';
import { formatServerTime, type BarSeries } from '../../src/engine/bars.js';

/** An MT5 export of `n` H1 bars from 2019-02-15 14:00 with prices shifted by `shift` points. */
export function writeBars(file: string, n: number, shift = 0): void {
  const rows = ['<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,<VOL>,<SPREAD>'];
  for (let i = 0; i < n; i++) {
    const t = 1550239200 + i * 3600;
    const o = 1.1 + ((i * 37) % 1000) / 1e5 + shift / 1e5;
    rows.push(`${formatServerTime(t, true).replace(' ', ',')},${o.toFixed(5)},${(o + 0.002).toFixed(5)},${(o - 0.001).toFixed(5)},${(o + 0.0005).toFixed(5)},${1000 + (i % 500)},0,${10 + (i % 7)}`);
  }
  writeFileSync(file, rows.join('\n') + '\n');
}

/** Everything a series holds, byte for byte: each column's bytes (so -0 and NaN bits count), its facts and time texts. */
export function exact(s: BarSeries) {
  const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, s.length * 8).toString('base64');
  return {
    length: s.length, periodSec: s.periodSec, layout: s.layout, format: s.format, gaps: s.gaps, symbol: s.symbol,
    columns: (['time', 'open', 'high', 'low', 'close', 'tickVolume', 'spread', 'realVolume'] as const).map((k) => [k, s[k].length, bytes(s[k])]),
    timeText: s.timeText.join('|'),
  };
}
