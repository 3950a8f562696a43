/**
 * Entry filters: trading sessions, spread, volatility (ATR) and correlation with open positions.
 * Pure functions over explicit inputs; each returns whether to trade, a size multiplier and a reason.
 */
import type { NormalizedStrategy, SessionName } from './strategy/normalize.js';
import { DEFAULT_BROKER_TZ, serverToUtc, zoneOffsetSec, type BrokerTimeZone } from './time/broker-time.js';
import { utcMinuteText } from './time/zone-offset.js';

export interface FilterResult {
  filter: 'session' | 'spread' | 'volatility' | 'correlation';
  pass: boolean;
  /** 1 = full size; REDUCE_SIZE gives the configured multiplier; a SKIP failure gives 0. */
  sizeMultiplier: number;
  detail: string;
}

/**
 * Session hours in each market's local time (so DST moves them in UTC as it does in reality). Whole hours: the open
 * sessions are read from the local hour of day alone (openSessionBits; a test holds every bound whole).
 */
export const SESSIONS: Readonly<Record<SessionName, { zone: string; from: number; to: number }>> = {
  Sydney: { zone: 'Australia/Sydney', from: 7, to: 16 },
  Tokyo: { zone: 'Asia/Tokyo', from: 9, to: 18 },
  London: { zone: 'Europe/London', from: 8, to: 17 },
  NewYork: { zone: 'America/New_York', from: 8, to: 17 },
};

const SESSION_LIST = Object.entries(SESSIONS) as [SessionName, (typeof SESSIONS)[SessionName]][];

/**
 * The sessions open at a UTC instant as bits (1 << the session's place in SESSIONS), weekdays of the session's own
 * zone only: the same arithmetic as a Date's UTC day and hour of the local time, without the Date.
 */
function openSessionBits(utcSec: number): number {
  let bits = 0;
  for (let i = 0; i < SESSION_LIST.length; i++) {
    const s = SESSION_LIST[i]![1];
    const local = Math.trunc((utcSec + zoneOffsetSec(s.zone, utcSec)) * 1000); // the ms a Date of it holds
    if (!(Math.abs(local) <= 8.64e15)) continue; // an invalid Date: no weekday, no session
    const day = Math.floor(local / 86_400_000);
    const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    const h = Math.floor((local - day * 86_400_000) / 3_600_000); // the hour of day; its minutes never move it across a whole hour
    if (weekday >= 1 && weekday <= 5 && h >= s.from && h < s.to) bits |= 1 << i;
  }
  return bits;
}

/** Sessions open at a UTC instant (weekdays of the session's own zone only). */
export function openSessions(utcSec: number): SessionName[] {
  const bits = openSessionBits(utcSec);
  const out: SessionName[] = [];
  for (let i = 0; i < SESSION_LIST.length; i++) if (bits & (1 << i)) out.push(SESSION_LIST[i]![0]);
  return out;
}

// ------------------------------------------------------------------------------------------ filters

/** Pip size: 10 points on 3- and 5-digit quotes (FX), else 1 point. */
export function pipSize(digits: number, point: number): number {
  return digits === 3 || digits === 5 ? point * 10 : point;
}

export function sessionFilter(f: NonNullable<NormalizedStrategy['filters']['session']>, serverSec: number, tz: BrokerTimeZone = DEFAULT_BROKER_TZ): FilterResult {
  const utc = serverToUtc(serverSec, tz);
  const bits = openSessionBits(utc);
  let pass = false, open = '';
  for (let i = 0; i < SESSION_LIST.length; i++) {
    if (!(bits & (1 << i))) continue;
    const name = SESSION_LIST[i]![0];
    if (f.sessions.includes(name)) pass = true;
    open = open ? `${open}+${name}` : name;
  }
  const when = utcMinuteText(utc);
  return {
    filter: 'session', pass, sizeMultiplier: pass ? 1 : f.action === 'REDUCE_SIZE' ? f.sizeMultiplier : 0,
    detail: `${when} UTC: open ${open || 'none'}; allowed ${f.sessions.join('+')}`,
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

/**
 * Pearson r of two symbols' closed-bar returns over the newest `window` returns, the bars aligned by time (NaN if
 * too few). Bar times strictly increase (bar files and the host's closes are checked so): the newest `window + 1`
 * bars the two have in common are found from the ends, without a map of either series.
 */
export function closesCorrelation(mine: { time: ArrayLike<number>; close: ArrayLike<number> }, theirs: { time: ArrayLike<number>; close: ArrayLike<number> }, window: number): number {
  return correlationOfCommon(commonCloses(mine, theirs, window));
}

/**
 * The newest `window + 1` closes the two series have in common (aligned by time), newest first, into scratchA and
 * scratchB; how many. Bar times strictly increase, so they are found from the ends, without a map of either series.
 */
function commonCloses(mine: { time: ArrayLike<number>; close: ArrayLike<number> }, theirs: { time: ArrayLike<number>; close: ArrayLike<number> }, window: number): number {
  if (scratchA.length < window + 1) {
    scratchA = new Float64Array(window + 1);
    scratchB = new Float64Array(window + 1);
  }
  const a = scratchA, b = scratchB;
  let n = 0;
  let i = mine.time.length - 1, j = theirs.time.length - 1;
  while (i >= 0 && j >= 0 && n <= window) {
    const ti = mine.time[i]!, tj = theirs.time[j]!;
    if (ti === tj) {
      a[n] = mine.close[i--]!;
      b[n] = theirs.close[j--]!;
      n++;
    } else if (ti > tj) i--;
    else j--;
  }
  return n;
}

/**
 * Pearson r of the returns of the `n` common closes commonCloses just gathered: `pearson(returns(a), returns(b))` of
 * them oldest first, without an array made (the risk gate asks for every pair with a new bar on every entry). The
 * returns are read oldest first, each worked out as `returns` does, summed in the same order: the same r to the bit.
 */
function correlationOfCommon(n: number): number {
  const a = scratchA, b = scratchB;
  const m = n - 1; // returns; the k-th oldest is a[n-2-k] / a[n-1-k] − 1
  if (m < 3) return NaN;
  let ma = 0, mb = 0;
  for (let k = 0; k < m; k++) {
    ma += a[n - 2 - k]! / a[n - 1 - k]! - 1;
    mb += b[n - 2 - k]! / b[n - 1 - k]! - 1;
  }
  ma /= m;
  mb /= m;
  let sab = 0, saa = 0, sbb = 0;
  for (let k = 0; k < m; k++) {
    const da = a[n - 2 - k]! / a[n - 1 - k]! - 1 - ma, db = b[n - 2 - k]! / b[n - 1 - k]! - 1 - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** closesCorrelation's scratch: the common closes, newest first. */
let scratchA = new Float64Array(64), scratchB = new Float64Array(64);

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
    if (!mine || !theirs) {
      // no bars of it on this timeframe (no strategy here trades it on this timeframe): not judged, and said so — of
      // whichever side has none
      found.push(!mine ? `${other}: not judged, no bars of ${symbol} itself` : `${other}: no bars, not judged`);
      continue;
    }
    const n = commonCloses(mine, theirs, f.window), r = correlationOfCommon(n);
    if (Number.isFinite(r)) {
      // fewer returns in common than the window (a series warmed up on fewer bars, or joined late): said, with r
      found.push(`${other} r=${r.toFixed(2)}${n - 1 < f.window ? ` over ${n - 1} of ${f.window} returns` : ''}`);
      if (Math.abs(r) > Math.abs(worst)) worst = r;
    } else found.push(`${other}: too few bars in common, not judged`);
  }
  const pass = Math.abs(worst) <= f.threshold;
  return {
    filter: 'correlation', pass, sizeMultiplier: pass ? 1 : f.action === 'REDUCE_SIZE' ? f.sizeMultiplier : 0,
    detail: found.length ? `${found.join(', ')} (threshold ${f.threshold})` : 'no open positions on other symbols',
  };
}
