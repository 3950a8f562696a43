/**
 * IANA zone offsets from UTC, from the runtime's time-zone data (Intl), kept a zone and UTC month at a time so the
 * session filter and the broker's clock cost lookups, not Intl calls: a run over years of hourly bars makes one Intl
 * call a zone and month (a month's last hour is the next month's first) and a few more in a month where the zone
 * switches. Pure: every instant is passed in.
 */

const FIELDS = ['year', 'month', 'day', 'hour', 'minute', 'second'] as const;
type Field = (typeof FIELDS)[number];

/** A zone's formatter, and where each field stands among the digit groups of its `format()` text. */
interface ZoneFormat {
  fmt: Intl.DateTimeFormat;
  /** index of year, month, day, hour, minute, second among the digit groups; null: read them with formatToParts */
  at: Int8Array | null;
}

/**
 * A zone's offsets over one UTC calendar month: `before` from its first hour, `after` from the first hour of the
 * next month, and the first hour with `after` (a zone changes its offset at most once a month — DST — and the
 * hour of the change is the one a year before moved by 52 or 53 weeks when the zone's rule did not change, else found
 * by bisection. A month costs one Intl lookup when it shares its first hour with the month before and has no switch;
 * one with a switch costs 2–3 more when the year-before guess holds, ~10 more when it bisects.
 */
interface ZoneMonth {
  before: number;
  after: number;
  switchHour: number;
  /** the hours `before` and `after` were read at */
  from: number;
  to: number;
}

interface ZoneState {
  format: ZoneFormat;
  months: Map<number, ZoneMonth>;
  /** the month looked up last, and the hours [lo, hi) it covers: a bar in the same month reads it without a lookup */
  last: ZoneMonth | null;
  lo: number;
  hi: number;
}

const zones = new Map<string, ZoneState>();
/** 500 years of months a zone: a bound, not a limit any real data reaches */
const MAX_MONTHS = 6000;
/** Dates beyond ±8.64e15 ms are invalid: Intl refuses them (a RangeError, as it always did) */
const MAX_MS = 8.64e15;

function newFormat(zone: string): ZoneFormat {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  // learn where the fields stand in format()'s text from formatToParts, and use the digit groups only when both
  // readings agree on a few probes (ICU's separators differ between versions: only ASCII digit runs are read)
  const probe = fmt.formatToParts(new Date(Date.UTC(2001, 10, 22, 13, 44, 55)));
  const order = probe.filter((p) => p.type !== 'literal').map((p) => p.type);
  const at = new Int8Array(FIELDS.length);
  let ok = order.length === FIELDS.length;
  for (let i = 0; ok && i < FIELDS.length; i++) {
    at[i] = order.indexOf(FIELDS[i]!);
    if (at[i]! < 0) ok = false;
  }
  const format: ZoneFormat = { fmt, at: ok ? at : null };
  if (ok) {
    for (const ms of [0, Date.UTC(1883, 10, 18, 17), Date.UTC(2024, 2, 10, 7), Date.UTC(2177, 11, 31, 23)]) {
      if (fromDigits(format, ms / 3_600_000) !== fromParts(fmt, ms / 3_600_000)) format.at = null;
    }
  }
  return format;
}

const groups = new Float64Array(8);

/** The offset from `format()`'s text: its runs of ASCII digits, in the order learned; NaN when the text has other than six. */
function fromDigits(f: ZoneFormat, hour: number): number {
  const s = f.fmt.format(hour * 3_600_000);
  let n = 0, v = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) v = v < 0 ? c : v * 10 + c;
    else if (v >= 0) {
      if (n === 6) return NaN;
      groups[n++] = v;
      v = -1;
    }
  }
  if (v >= 0) {
    if (n === 6) return NaN;
    groups[n++] = v;
  }
  if (n !== 6) return NaN;
  const at = f.at!;
  const asUtc = Date.UTC(groups[at[0]!]!, groups[at[1]!]! - 1, groups[at[2]!]!, groups[at[3]!]!, groups[at[4]!]!, groups[at[5]!]!) / 1000;
  return asUtc - hour * 3600;
}

/** The offset from formatToParts: the reading the digit groups must equal. */
function fromParts(fmt: Intl.DateTimeFormat, hour: number): number {
  const parts: Partial<Record<Field, string>> = {};
  for (const p of fmt.formatToParts(new Date(hour * 3_600_000))) if (p.type !== 'literal') parts[p.type as Field] = p.value;
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) / 1000;
  return asUtc - hour * 3600;
}

/** Offset of a zone from UTC at the start of UTC hour `hour` (hours since 1970), s, from Intl. */
function intlOffsetAtHour(f: ZoneFormat, hour: number): number {
  if (!(Math.abs(hour * 3_600_000) <= MAX_MS)) f.fmt.format(new Date(NaN)); // RangeError: Invalid time value
  if (f.at) {
    const o = fromDigits(f, hour);
    if (o === o) return o;
  }
  return fromParts(f.fmt, hour);
}

function zoneMonth(z: ZoneState, key: number, year: number, month: number): ZoneMonth {
  const from = Date.UTC(year, month, 1) / 3_600_000, to = Date.UTC(year, month + 1, 1) / 3_600_000;
  // a month's first hour is the one before's last: read it there when that month is kept
  const prev = z.months.get(key - 1), next = z.months.get(key + 1);
  const before = prev !== undefined && prev.to === from ? prev.after : intlOffsetAtHour(z.format, from);
  const after = next !== undefined && next.from === to ? next.before : intlOffsetAtHour(z.format, to);
  if (before === after) return { before, after, switchHour: to, from, to };
  // a zone's rule repeats yearly on a weekday: try the hour 52 and 53 weeks after the switch of this month a year
  // before, kept; it is the switch when the hour before it reads `before` and it reads `after` (one switch a month)
  const lastYear = z.months.get(key - 12);
  if (lastYear !== undefined && lastYear.switchHour < lastYear.to) {
    for (const weeks of [52, 53]) {
      const s = lastYear.switchHour + weeks * 168;
      if (s > from && s <= to && intlOffsetAtHour(z.format, s) === after && intlOffsetAtHour(z.format, s - 1) === before) return { before, after, switchHour: s, from, to };
    }
  }
  let lo = from, hi = to; // offset(lo) is before, offset(hi) is not
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (intlOffsetAtHour(z.format, mid) === before) lo = mid;
    else hi = mid;
  }
  return { before, after, switchHour: hi, from, to };
}

let cYear = 0, cMonth = 0, cDay = 0;
/** The UTC calendar date of a day since 1970 into cYear, cMonth (0 = January), cDay (Hinnant's algorithm: exact over Date's range). */
function civil(days: number): void {
  const zd = days + 719468, era = Math.floor(zd / 146097), doe = zd - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  cDay = doy - Math.floor((153 * mp + 2) / 5) + 1;
  cMonth = mp < 10 ? mp + 2 : mp - 10;
  cYear = yoe + era * 400 + (cMonth <= 1 ? 1 : 0);
}

/** `new Date(utcSec * 1000).getUTCFullYear()` without the Date: NaN beyond Date's range. */
export function utcYear(utcSec: number): number {
  const ms = Math.trunc(utcSec * 1000);
  if (!(Math.abs(ms) <= MAX_MS)) return NaN;
  civil(Math.floor(ms / 86_400_000));
  return cYear;
}

/** Last instant (ms) of the years 1970–9999, whose dates toISOString writes with a four-digit year. */
const ISO_END_MS = 253_402_300_800_000;

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * `new Date(utcSec * 1000).toISOString().slice(0, 16).replace('T', ' ')` — "YYYY-MM-DD HH:MM" — without the Date and
 * its text (a microsecond a call: the session filter writes it on every entry signal): the same characters for every
 * instant of 1970–9999, the Date's own text (or its RangeError) for any other.
 */
export function utcMinuteText(utcSec: number): string {
  const ms = utcSec * 1000;
  if (!(ms >= 0 && ms < ISO_END_MS)) return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const minutes = Math.floor(ms / 60_000); // = the Date's minutes: its time value is ms truncated, and ms ≥ 0
  const days = Math.floor(minutes / 1440), m = minutes - days * 1440;
  civil(days);
  return `${cYear}-${pad2(cMonth + 1)}-${pad2(cDay)} ${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`;
}

/**
 * Offset of an IANA zone from UTC at an instant, in seconds (from the runtime's time-zone data), as at the start of
 * the instant's UTC hour. The session filter asks for several on every entry signal: a zone's month is looked up
 * once and kept, the one read last without a lookup; nothing is allocated once a month is kept.
 */
export function zoneOffsetSec(zone: string, utcSec: number): number {
  const hour = Math.floor(utcSec / 3600);
  let z = zones.get(zone);
  if (z === undefined) zones.set(zone, (z = { format: newFormat(zone), months: new Map(), last: null, lo: 0, hi: 0 }));
  let m = z.last;
  if (m === null || !(hour >= z.lo && hour < z.hi)) {
    if (!(Math.abs(hour * 3_600_000) <= MAX_MS)) return intlOffsetAtHour(z.format, hour); // throws, as Intl does
    const days = Math.floor(hour / 24);
    civil(days);
    const year = cYear, month = cMonth, mday = cDay; // read now: the civil date's fields are shared scratch
    const key = year * 12 + month;
    m = z.months.get(key) ?? null;
    if (m === null) {
      if (z.months.size > MAX_MONTHS) z.months.clear();
      z.months.set(key, (m = zoneMonth(z, key, year, month)));
    }
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const monthDays = month === 1 ? (leap ? 29 : 28) : month === 3 || month === 5 || month === 8 || month === 10 ? 30 : 31;
    z.last = m;
    z.lo = (days - mday + 1) * 24;
    z.hi = z.lo + monthDays * 24;
  }
  return hour < m.switchHour ? m.before : m.after;
}

/**
 * A zone's smaller offset of mid-January and mid-July of `year` (its standard time where it has DST), kept for the
 * year asked last a zone.
 */
const standard = new Map<string, { year: number; sec: number }>();
export function standardOffsetSec(zone: string, year: number): number {
  let s = standard.get(zone);
  if (s === undefined) standard.set(zone, (s = { year: NaN, sec: 0 }));
  if (s.year !== year) {
    const jan = zoneOffsetSec(zone, Date.UTC(year, 0, 15) / 1000);
    const jul = zoneOffsetSec(zone, Date.UTC(year, 6, 15) / 1000);
    s.sec = Math.min(jan, jul);
    s.year = year;
  }
  return s.sec;
}
