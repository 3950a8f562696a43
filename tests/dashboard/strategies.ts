import { readFileSync } from 'node:fs';

/** examples/ema-cross-trend.json, a fresh copy each time. */
export function examplesStrategy(): Record<string, any> {
  return JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8'));
}
