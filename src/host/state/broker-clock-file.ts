/**
 * The broker's clock as read so far, `broker-clock.json` in the state folder (store.ts's `readBrokerClock` and
 * `writeBrokerClock`): offsets from UTC at server times, a few readings a year, from which the broker's time zone is
 * inferred (src/engine/time/broker-time.ts). Derived data, read again from the terminal at every connection: a
 * missing or damaged file gives none.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BrokerClockReading {
  serverSec: number;
  offsetSec: number;
}

/** The readings in `dir` (the newest 64 that are whole seconds within ±14 h); none when the file is missing or damaged. */
export function readBrokerClock(dir: string): BrokerClockReading[] {
  const file = join(dir, 'broker-clock.json');
  if (!existsSync(file)) return [];
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter((r): r is BrokerClockReading => !!r && Number.isSafeInteger((r as { serverSec?: unknown }).serverSec) && Number.isSafeInteger((r as { offsetSec?: unknown }).offsetSec) && Math.abs((r as { offsetSec: number }).offsetSec) <= 14 * 3600).slice(-64);
  } catch {
    return [];
  }
}

/** Replace the readings in `dir` (a temp file renamed into place). */
export function writeBrokerClock(dir: string, readings: readonly BrokerClockReading[]): void {
  const file = join(dir, 'broker-clock.json');
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(readings), { mode: 0o600 });
  renameSync(tmp, file);
}
