import { DataError, isoServerTime } from '../engine/bars.js';
import { loadBarFile } from './bar-file.js';
import { usageFailure } from './kit.js';
import { SpecError, computeIndicators, parseIndicatorSpec } from '../engine/indicator-spec.js';

/** `mt5-executor indicators <bars.csv> --indicator SPEC … [--format csv|json]`. Returns the exit code. */
export function runIndicatorsCommand(
  positionals: string[],
  specs: string[],
  format: string,
  out: (text: string) => void,
  err: (text: string) => void,
): number {
  if (positionals.length !== 1) {
    return usageFailure(err, 'indicators', `give exactly one bar file, got ${positionals.length}${positionals.length ? ` (${positionals.map((x) => `'${x}'`).join(', ')})` : ''}`);
  }
  if (specs.length === 0) {
    return usageFailure(err, 'indicators', 'give at least one --indicator SPEC, e.g. --indicator ema:21');
  }
  if (format !== 'csv' && format !== 'json') {
    return usageFailure(err, 'indicators', `--format must be csv or json, got '${format}'`);
  }
  const file = positionals[0]!;
  // a spec is an argument: a wrong one is a usage error, said before the file is read
  let parsed;
  try {
    parsed = specs.map(parseIndicatorSpec);
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return usageFailure(err, 'indicators', `--indicator${e.message.startsWith("'") ? ' ' : ': '}${e.message}`);
  }
  try {
    let series;
    try {
      series = loadBarFile(file);
    } catch (e) {
      // a bad line is reported below with its line; a file that cannot be read at all (missing, a directory) here
      if (e instanceof DataError && e.problems[0]?.line !== 0) throw e;
      err(`mt5-executor indicators: cannot read ${file}: ${e instanceof DataError ? e.problems[0]!.message : (e as Error).message}\n`);
      return 1;
    }
    const { keys, columns } = computeIndicators(series, parsed);
    const cell = (v: number) => (Number.isNaN(v) ? null : v);
    if (format === 'json') {
      const obj: Record<string, unknown[]> = { time: Array.from(series.time, isoServerTime) };
      keys.forEach((k, c) => (obj[k] = Array.from(columns[c]!, cell)));
      out(JSON.stringify(obj) + '\n');
    } else {
      const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      const lines = [['time', ...keys].map(esc).join(',')];
      for (let i = 0; i < series.length; i++) {
        const row = [isoServerTime(series.time[i]!)];
        for (const col of columns) row.push(Number.isNaN(col[i]!) ? '' : String(col[i]));
        lines.push(row.join(','));
      }
      out(lines.join('\n') + '\n');
    }
    return 0;
  } catch (e) {
    if (e instanceof SpecError || e instanceof DataError) {
      err(`mt5-executor indicators: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
