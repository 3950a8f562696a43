import { closeSync, openSync, readSync } from 'node:fs';
import { StrategyError, normalizeStrategy } from '../engine/strategy/normalize.js';
import { strategyJsonSchema } from '../engine/strategy/schema.js';
import { JsonFileError, readJsonFile, usageFailure } from './kit.js';

/** `mt5-executor schema`: the JSON Schema of the strategy format. */
export function printSchema(out: (t: string) => void): number {
  out(JSON.stringify(strategyJsonSchema(), null, 2) + '\n');
  return 0;
}

/** `mt5-executor validate <file>`: the normalised strategy, or every problem with its path (exit 1). */
export function validateCommand(file: string | undefined, out: (t: string) => void, err: (t: string) => void): number {
  if (!file) {
    return usageFailure(err, 'validate', 'give a strategy file (JSON): mt5-executor validate my-strategy.json');
  }
  let input: unknown;
  try {
    input = readStrategyJson(file);
  } catch (e) {
    if (!(e instanceof JsonFileError)) throw e;
    err(`mt5-executor validate: ${e.message}\n`);
    return 1;
  }
  try {
    const s = normalizeStrategy(input);
    for (const w of s.warnings) err(`warning: ${w}\n`);
    out(JSON.stringify(s, null, 2) + '\n');
    return 0;
  } catch (e) {
    if (!(e instanceof StrategyError)) throw e;
    err(`${file}: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}:\n`);
    for (const p of e.problems) err(`  ${p.path}: ${p.message}\n`);
    return 1;
  }
}

/**
 * A strategy file as the platform sends it (the `parameters` of a START_STRATEGY, or the strategy itself). A file
 * that is missing, a directory or not JSON throws JsonFileError naming the file (and the line and column).
 */
export function readStrategyJson(file: string): unknown {
  let raw: unknown;
  try {
    raw = readJsonFile(file);
  } catch (e) {
    if (e instanceof JsonFileError) throw notAStrategy(e);
    throw e;
  }
  return raw && typeof raw === 'object' && 'parameters' in raw && !('rules' in raw) ? (raw as { parameters: unknown }).parameters : raw;
}

const FORMAT = 'a strategy is a JSON file (docs/strategy-format.md)';

/**
 * A JSON error on a file given as a strategy, with what the file looks like when it is a common mistake — a bar file
 * (CSV), an HTML page (a report), an empty file, a directory, a binary or UTF-16 file — and what a strategy is. A file
 * that looks like JSON keeps the error as it was: file, line and column.
 */
export function notAStrategy(e: JsonFileError): JsonFileError {
  if (e.line === undefined) {
    // a directory (or a file that cannot be read): readJsonFile's words, and where the format is
    if (/is a directory/.test(e.message)) e.message += ' (the strategy format: docs/strategy-format.md)';
    return e;
  }
  let text: string;
  try {
    const fd = openSync(e.file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return e;
  }
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (!t) return new JsonFileError(e.file, undefined, undefined, `the file is empty; ${FORMAT.replace('JSON file', 'JSON object')}: \`mt5-executor strategy new <file>\` writes a starter`);
  const firstLine = t.split(/\r?\n/, 1)[0]!;
  const looks =
    /[\0\uFFFD]/.test(t.slice(0, 512)) ? 'is not UTF-8 text (a binary file, or UTF-16 as MT5 saves its reports)'
    : /^<(!doctype\s+html|html|head|body|table|\?xml)\b/i.test(t) ? 'looks like an HTML page (a report?)'
    : !/^[{["]/.test(t) && (/\.(csv|tsv|txt|prn)$/i.test(e.file) || (firstLine.match(/[,;\t]/g)?.length ?? 0) >= 3) ? 'looks like a bar file (CSV)'
    : undefined;
  if (looks) e.message += ` — ${e.file} ${looks}, not a strategy: ${FORMAT}${looks.includes('bar file') ? '; bar files go after --data in backtest and paper' : ''}`;
  return e;
}

/** A strategy file, normalised (StrategyError lists its problems). */
export function readStrategyFile(file: string): ReturnType<typeof normalizeStrategy> {
  return normalizeStrategy(readStrategyJson(file));
}
