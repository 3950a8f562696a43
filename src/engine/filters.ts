/**
 * Entry filters: trading sessions, spread, volatility (ATR) and correlation with open positions.
 * Pure functions over explicit inputs; each returns whether to trade, a size multiplier and a reason.
 */
import type { NormalizedStrategy, SessionName } from './strategy/normalize.js';

export interface FilterResult {
  filter: 'session' | 'spread' | 'volatility' | 'correlation';
  pass: boolean;
  /** 1 = full size; REDUCE_SIZE gives the configured multiplier; a SKIP failure gives 0. */
  sizeMultiplier: number;
  detail: string;
}

// ------------------------------------------------------------------------------------------ time

/** How a broker's server clock relates to UTC. Most MT5 brokers: GMT+2, GMT+3 while New York is on DST. */
export type BrokerTimeZone =
  | { kind: 'fixed'; offsetSec: number }
  | { kind: 'us-dst'; standardOffsetSec: number }
  | { kind: 'eu-dst'; standardOffsetSec: number };

export const DEFAULT_BROKER_TZ: BrokerTimeZone = { kind: 'us-dst', standardOffsetSec: 7200 };

const fmtCache = new Map<string, Intl.DateTimeFormat>();

/** Offset of an IANA zone from UTC at the start of UTC hour `hour` (hours since 1970), s, from Intl: ~5 µs. */
function intlOffsetAtHour(zone: string, hour: number): number {
  let f = fmtCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    fmtCache.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(hour * 3_600_000)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) / 1000;
  return asUtc - hour * 3600;
}

/**
 * A zone's offsets over one UTC calendar month: `before` from its first hour, `after` from the first hour of the
 * next month, and the first hour with `after` (a zone changes its offset at most once a month — DST — and the
 * hour of the change is found by bisection: ~12 Intl lookups a zone and month instead of one every hour).
 */
interface ZoneMonth {
  before: number;
  after: number;
  switchHour: number;
}
const zoneMonths = new Map<string, Map<number, ZoneMonth>>();

function zoneMonth(zone: string, year: number, month: number): ZoneMonth {
  const from = Date.UTC(year, month, 1) / 3_600_000, to = Date.UTC(year, month + 1, 1) / 3_600_000;
  const before = intlOffsetAtHour(zone, from), after = intlOffsetAtHour(zone, to);
  if (before === after) return { before, after, switchHour: to };
  let lo = from, hi = to; // offset(lo) is before, offset(hi) is not
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (intlOffsetAtHour(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  return { before, after, switchHour: hi };
}

/**
 * Offset of an IANA zone from UTC at an instant, in seconds (from the runtime's time-zone data), as at the start of
 * the instant's UTC hour. The session filter asks for seven on every entry signal: the offsets are kept a zone and
 * month at a time, so a signal on a new hour (any signal on H1 and above) costs lookups, not Intl calls.
 */
export function zoneOffsetSec(zone: string, utcSec: number): number {
  const hour = Math.floor(utcSec / 3600);
  const d = new Date(hour * 3_600_000);
  const year = d.getUTCFullYear(), month = d.getUTCMonth();
  let months = zoneMonths.get(zone);
  if (!months) zoneMonths.set(zone, (months = new Map()));
  const key = year * 12 + month;
  let m = months.get(key);
  if (!m) {
    if (months.size > 1200) months.clear();
    months.set(key, (m = zoneMonth(zone, year, month)));
  }
  return hour < m.switchHour ? m.before : m.after;
}

function isDst(zone: string, utcSec: number): boolean {
  const y = new Date(utcSec * 1000).getUTCFullYear();
  const jan = zoneOffsetSec(zone, Date.UTC(y, 0, 15) / 1000);
  const jul = zoneOffsetSec(zone, Date.UTC(y, 6, 15) / 1000);
  return zoneOffsetSec(zone, utcSec) !== Math.min(jan, jul);
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

/** Session hours in each market's local time (so DST moves them in UTC as it does in reality). */
export const SESSIONS: Readonly<Record<SessionName, { zone: string; from: number; to: number }>> = {
  Sydney: { zone: 'Australia/Sydney', from: 7, to: 16 },
  Tokyo: { zone: 'Asia/Tokyo', from: 9, to: 18 },
  London: { zone: 'Europe/London', from: 8, to: 17 },
  NewYork: { zone: 'America/New_York', from: 8, to: 17 },
};

const SESSION_LIST = Object.entries(SESSIONS) as [SessionName, (typeof SESSIONS)[SessionName]][];

/** Sessions open at a UTC instant (weekdays of the session's own zone only). */
export function openSessions(utcSec: number): SessionName[] {
  const out: SessionName[] = [];
  for (const [name, s] of SESSION_LIST) {
    const local = utcSec + zoneOffsetSec(s.zone, utcSec);
    const d = new Date(local * 1000);
    const day = d.getUTCDay();
    const h = d.getUTCHours() + d.getUTCMinutes() / 60;
    if (day >= 1 && day <= 5 && h >= s.from && h < s.to) out.push(name);
  }
  return out;
}

// ------------------------------------------------------------------------------------------ filters

/** Pip size: 10 points on 3- and 5-digit quotes (FX), else 1 point. */
export function pipSize(digits: number, point: number): number {
  return digits === 3 || digits === 5 ? point * 10 : point;
}

export function sessionFilter(f: NonNullable<NormalizedStrategy['filters']['session']>, serverSec: number, tz: BrokerTimeZone = DEFAULT_BROKER_TZ): FilterResult {
  const utc = serverToUtc(serverSec, tz);
  const open = openSessions(utc);
  const pass = open.some((s) => f.sessions.includes(s));
  const when = new Date(utc * 1000).toISOString().slice(0, 16).replace('T', ' ');
  return {
    filter: 'session', pass, sizeMultiplier: pass ? 1 : f.action === 'REDUCE_SIZE' ? f.sizeMultiplier : 0,
    detail: `${when} UTC: open ${open.join('+') || 'none'}; allowed ${f.sessions.join('+')}`,
  };
}

export function spreadFilter(f: NonNullable<NormalizedStrategy['filters']['spread']>, spreadPips: number): FilterResult {
  const pass = spreadPips <= f.maxSpreadPips + 1e-9;
  return {
    filter: 'spread', pass, sizeMultiplier: pass ? 1 : f.action === 'REDUCE_SIZE' ? f.sizeMultiplier : 0,
    detail: `spread ${spreadPips.toFixed(1)} pips, max ${f.maxSpreadPips}`,
  };
}

export function volatilityFilter(f: NonNullable<NormalizedStrategy['filters']['volatility']>, atrPips: number): FilterResult {
  if (!Number.isFinite(atrPips)) return { filter: 'volatility', pass: false, sizeMultiplier: 0, detail: 'ATR not available yet (warm-up)' };
  const low = f.minAtrPips !== undefined && atrPips < f.minAtrPips;
  const high = f.maxAtrPips !== undefined && atrPips > f.maxAtrPips;
  const pass = !low && !high;
  let mult = 1;
  if (!pass) mult = f.action === 'REDUCE_SIZE' ? f.sizeMultiplier : f.action === 'NORMAL' ? 1 : 0;
  else if (f.optimalAtrPips !== undefined && atrPips > f.optimalAtrPips) mult = Math.max(f.sizeMultiplier, f.optimalAtrPips / atrPips); // above optimal: scale down
  return {
    filter: 'volatility', pass: pass || f.action === 'NORMAL', sizeMultiplier: mult,
    detail: `ATR ${atrPips.toFixed(1)} pips (min ${f.minAtrPips ?? '-'}, max ${f.maxAtrPips ?? '-'}, optimal ${f.optimalAtrPips ?? '-'})`,
  };
}

/** Pearson correlation of two equal-length series; NaN when either is constant or too short. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  if (n < 3) return NaN;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Simple returns of closes: r[i] = c[i+1]/c[i] − 1. */
export function returns(closes: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 1; i < closes.length; i++) out.push(closes[i]! / closes[i - 1]! - 1);
  return out;
}

/** Pearson r of two symbols' closed-bar returns over the newest `window` returns, the bars aligned by time (NaN if too few). */
export function closesCorrelation(mine: { time: ArrayLike<number>; close: ArrayLike<number> }, theirs: { time: ArrayLike<number>; close: ArrayLike<number> }, window: number): number {
  const idx = new Map<number, number>();
  for (let i = 0; i < theirs.time.length; i++) idx.set(theirs.time[i]!, theirs.close[i]!);
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < mine.time.length; i++) {
    const c = idx.get(mine.time[i]!);
    if (c !== undefined) {
      a.push(mine.close[i]!);
      b.push(c);
    }
  }
  return pearson(returns(a.slice(-(window + 1))), returns(b.slice(-(window + 1))));
}

/**
 * Correlation of the strategy symbol's closed-bar returns with each symbol that has an open position, over
 * the last `window` returns aligned by bar time. Fails when any |r| exceeds the threshold.
 * `closes` maps symbol → { time[], close[] } of closed bars on the strategy timeframe.
 */
export function correlationFilter(
  f: NonNullable<NormalizedStrategy['filters']['correlation']>,
  symbol: string,
  openSymbols: readonly string[],
  closes: ReadonlyMap<string, { time: ArrayLike<number>; close: ArrayLike<number> }>,
): FilterResult {
  const mine = closes.get(symbol);
  const found: string[] = [];
  let worst = 0;
  for (const other of new Set(openSymbols)) {
    if (other === symbol) continue; // same symbol: the position limits handle it
    const theirs = closes.get(other);
    if (!mine || !theirs) continue;
    const r = closesCorrelation(mine, theirs, f.window);
    if (Number.isFinite(r)) {
      found.push(`${other} r=${r.toFixed(2)}`);
      if (Math.abs(r) > Math.abs(worst)) worst = r;
    }
  }
  const pass = Math.abs(worst) <= f.threshold;
  return {
    filter: 'correlation', pass, sizeMultiplier: pass ? 1 : f.action === 'REDUCE_SIZE' ? f.sizeMultiplier : 0,
    detail: found.length ? `${found.join(', ')} (threshold ${f.threshold})` : 'no open positions on other symbols',
  };
}
