import { StrategyError, normalizeStrategy } from '../engine/strategy/normalize.js';
import { strategyJsonSchema } from '../engine/strategy/schema.js';
import { JsonFileError, readJsonFile } from './kit.js';

/** `mt5-executor schema`: the JSON Schema of the strategy format. */
export function printSchema(out: (t: string) => void): number {
  out(JSON.stringify(strategyJsonSchema(), null, 2) + '\n');
  return 0;
}

/** `mt5-executor validate <file>`: the normalised strategy, or every problem with its path (exit 1). */
export function validateCommand(file: string | undefined, out: (t: string) => void, err: (t: string) => void): number {
  if (!file) {
    err('mt5-executor validate: give a strategy file (JSON): mt5-executor validate my-strategy.json\n');
    return 2;
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
  const raw = readJsonFile(file);
  return raw && typeof raw === 'object' && 'parameters' in raw && !('rules' in raw) ? (raw as { parameters: unknown }).parameters : raw;
}

/** A strategy file, normalised (StrategyError lists its problems). */
export function readStrategyFile(file: string): ReturnType<typeof normalizeStrategy> {
  return normalizeStrategy(readStrategyJson(file));
}
