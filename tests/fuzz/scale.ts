import { seeded } from '../helpers.js';
/**
 * How big the fuzz and fault runs are: small in `npm test` (a few thousand cases per surface), the full
 * counts under `npm run fuzz` (MT5X_FUZZ=full). One seed for every run, so a failure can be replayed.
 */
export const FULL = process.env.MT5X_FUZZ === 'full';
export const SEED = Number(process.env.MT5X_FUZZ_SEED ?? 20261206);
/** `small` cases in npm test, `full` under npm run fuzz. */
export const runs = (small: number, full: number): number => (FULL ? full : small);
/** A deterministic pseudo-random source (mulberry32) for choices outside fast-check (kill moments, faults). */
export const rng = (seed = SEED): (() => number) => seeded(seed);
/** Print a figure for the report (one JSON line per measurement, prefixed so it can be grepped from the log). */
export function figure(name: string, values: Record<string, unknown>): void {
  process.stdout.write(`FIGURE ${JSON.stringify({ name, full: FULL, seed: SEED, ...values })}\n`);
}
