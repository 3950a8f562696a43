import { readFileSync } from 'node:fs';
import { StrategyError, normalizeStrategy } from '../engine/strategy/normalize.js';
import { strategyJsonSchema } from '../engine/strategy/schema.js';

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
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    err(`mt5-executor validate: ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  // a platform command may wrap the strategy in { parameters: … }
  const input = raw && typeof raw === 'object' && 'parameters' in raw && !('rules' in raw) ? (raw as { parameters: unknown }).parameters : raw;
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

export function readStrategyFile(file: string): ReturnType<typeof normalizeStrategy> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const input = raw && typeof raw === 'object' && 'parameters' in raw && !('rules' in raw) ? (raw as { parameters: unknown }).parameters : raw;
  return normalizeStrategy(input);
}
