/**
 * The broker's clock: how an MT5 server's time relates to UTC (most brokers run GMT+2, GMT+3 while New York is on
 * daylight saving time; others follow Europe's switch or keep a fixed offset), IANA zone offsets from the
 * runtime's time-zone data, and the broker's zone inferred from the offsets the terminal reports over time.
 * Pure: every instant is passed in.
 */
import { standardOffsetSec, utcYear, zoneOffsetSec } from './zone-offset.js';

/** How a broker's server clock relates to UTC. Most MT5 brokers: GMT+2, GMT+3 while New York is on DST. */
export type BrokerTimeZone =
  | { kind: 'fixed'; offsetSec: number }
  | { kind: 'us-dst'; standardOffsetSec: number }
  | { kind: 'eu-dst'; standardOffsetSec: number };

export const DEFAULT_BROKER_TZ: BrokerTimeZone = { kind: 'us-dst', standardOffsetSec: 7200 };

export { zoneOffsetSec } from './zone-offset.js';

/** Whether a zone is on its summer time at a UTC instant: its offset differs from the smaller of mid-January's and mid-July's that year. */
function isDst(zone: string, utcSec: number): boolean {
  return zoneOffsetSec(zone, utcSec) !== standardOffsetSec(zone, utcYear(utcSec));
}

/** Broker server time (s, stored as if UTC) → real UTC (s). */
export function serverToUtc(serverSec: number, tz: BrokerTimeZone = DEFAULT_BROKER_TZ): number {
  if (tz.kind === 'fixed') return serverSec - tz.offsetSec;
  const zone = tz.kind === 'us-dst' ? 'America/New_York' : 'Europe/Berlin';
  // the DST state at the standard-offset guess; off by at most the hour of the switch itself
  const guess = serverSec - tz.standardOffsetSec;
  return serverSec - tz.standardOffsetSec - (isDst(zone, guess) ? 3600 : 0);
}

/**
 * The broker's time zone from the offset the terminal reports (HELLO serverTimeOffset) at server time `now`.
 * The usual MT5 conventions are tried in order — GMT+2 switching to GMT+3 with New York's DST, then with
 * Europe's — and the first that predicts the reported offset exactly is taken; otherwise the reported offset
 * is fixed. A GMT+2 broker without DST looks like the first convention in winter, and reveals itself in
 * summer: call this again on every HELLO.
 */
export function brokerZoneFromOffset(reportedOffsetSec: number, serverNowSec: number): BrokerTimeZone {
  const candidates: BrokerTimeZone[] = [
    { kind: 'us-dst', standardOffsetSec: 7200 },
    { kind: 'eu-dst', standardOffsetSec: 7200 },
  ];
  for (const tz of candidates) if (serverNowSec - serverToUtc(serverNowSec, tz) === reportedOffsetSec) return tz;
  return { kind: 'fixed', offsetSec: reportedOffsetSec };
}

/** One reading of the broker's clock: its offset from UTC (s) at a server time (s). */
export interface OffsetObservation {
  serverSec: number;
  offsetSec: number;
}

/** A zone in words, for `status` and the logs: "GMT+2, GMT+3 with New York's DST". */
export function describeZone(tz: BrokerTimeZone): string {
  const gmt = (sec: number) => `GMT${sec >= 0 ? '+' : '-'}${Math.floor(Math.abs(sec) / 3600)}${Math.abs(sec) % 3600 ? `:${String((Math.abs(sec) % 3600) / 60).padStart(2, '0')}` : ''}`;
  if (tz.kind === 'fixed') return `${gmt(tz.offsetSec)} (no DST)`;
  return `${gmt(tz.standardOffsetSec)}, ${gmt(tz.standardOffsetSec + 3600)} with ${tz.kind === 'us-dst' ? "New York's" : "Europe's"} DST`;
}

/** The forms `parseZoneArg` takes, for help texts and errors. */
export const ZONE_ARG_FORMS = 'us-dst[:H] | eu-dst[:H] | fixed:H | utc (H: the winter offset from UTC in hours, default 2; fixed: all year)';

/**
 * A broker zone as a trader writes it on the command line (`--broker-zone`), the config's three kinds:
 * `us-dst` / `us-dst:2` (GMT+2, GMT+3 with New York's DST: most MT5 brokers, the default), `eu-dst:2`, `fixed:0`,
 * `utc` (= fixed:0); hours may be fractional by quarters (`fixed:5.75`). A string explaining what is wrong otherwise.
 */
export function parseZoneArg(text: string): BrokerTimeZone | string {
  const t = text.trim().toLowerCase();
  if (t === 'utc' || t === 'gmt') return { kind: 'fixed', offsetSec: 0 };
  const m = /^(us-dst|eu-dst|fixed)(?::([+-]?\d+(?:\.\d+)?))?$/.exec(t);
  const bad = `'${text}' is not a broker zone; expected ${ZONE_ARG_FORMS}, e.g. us-dst:2 or utc`;
  if (!m) return bad;
  if (m[1] === 'fixed' && m[2] === undefined) return `'${text}': fixed needs its offset, e.g. fixed:0 (UTC) or fixed:3`;
  const hours = m[2] === undefined ? 2 : Number(m[2]);
  if (!(hours >= -12 && hours <= 14) || Math.round(hours * 4) !== hours * 4) return `'${text}': the offset must be whole or quarter hours from -12 to 14`;
  const sec = Math.round(hours * 3600);
  return m[1] === 'fixed' ? { kind: 'fixed', offsetSec: sec } : { kind: m[1] as 'us-dst' | 'eu-dst', standardOffsetSec: sec };
}

/**
 * The broker's zone from every offset the terminal reported so far (at each HELLO, and from each account report's
 * server time against the host's clock): the first zone that predicts all of them, trying the MT5 conventions
 * first — GMT+2 switching to GMT+3 with New York's DST, then with Europe's —, then a fixed offset when every
 * reading shows the same one, then the two DST rules for the other standard offsets the readings allow. One winter reading cannot tell "GMT+2 with DST" from "GMT+2 fixed"; the
 * first summer reading does (the inference changes then, and says so). No reading → the default zone.
 */
export function inferBrokerZone(readings: readonly OffsetObservation[]): BrokerTimeZone {
  if (!readings.length) return DEFAULT_BROKER_TZ;
  const offsets = new Set(readings.map((r) => r.offsetSec));
  const candidates: BrokerTimeZone[] = [{ kind: 'us-dst', standardOffsetSec: 7200 }, { kind: 'eu-dst', standardOffsetSec: 7200 }];
  if (offsets.size === 1) candidates.push({ kind: 'fixed', offsetSec: readings[0]!.offsetSec });
  for (const o of [...offsets].sort((a, b) => a - b)) {
    for (const s of [o - 3600, o]) if (s !== 7200) candidates.push({ kind: 'us-dst', standardOffsetSec: s }, { kind: 'eu-dst', standardOffsetSec: s });
  }
  const fits = (tz: BrokerTimeZone) => readings.every((r) => r.serverSec - serverToUtc(r.serverSec, tz) === r.offsetSec);
  return candidates.find(fits) ?? { kind: 'fixed', offsetSec: readings[readings.length - 1]!.offsetSec };
}

/** The offset a server time shows against the host's own clock, rounded to the quarter hour (a clock off by minutes still reads right). */
export function offsetFromClocks(serverSec: number, unixSec: number): number {
  return Math.round((serverSec - unixSec) / 900) * 900;
}

/**
 * The readings worth keeping: the first, and each one whose offset differs from the one before (a DST switch) — a
 * few a year, so the list stays small when it is persisted. The newest reading of an unchanged offset is kept too,
 * so a summer without a switch still proves a zone fixed.
 */
export function addReading(readings: readonly OffsetObservation[], r: OffsetObservation, max = 64): OffsetObservation[] {
  const out = readings.slice();
  const last = out[out.length - 1];
  if (last && last.offsetSec === r.offsetSec) {
    const prev = out[out.length - 2];
    if (prev && prev.offsetSec === r.offsetSec) out[out.length - 1] = r; // extend the run: keep its first and its newest
    else out.push(r);
  } else out.push(r);
  return out.length > max ? out.slice(out.length - max) : out;
}
