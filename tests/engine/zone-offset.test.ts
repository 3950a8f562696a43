import { describe, expect, it } from 'vitest';
import { openSessions, sessionFilter, SESSIONS } from '../../src/engine/filters.js';
import { serverToUtc, zoneOffsetSec, type BrokerTimeZone } from '../../src/engine/time/broker-time.js';
import { utcMinuteText } from '../../src/engine/time/zone-offset.js';
import type { SessionName } from '../../src/engine/strategy/normalize.js';

// The reference: the runtime's time-zone data asked at every instant, read with formatToParts (what broker-time did
// for each month's first hour), and the Date-based session and DST rules as they were written before the caches.
const fmts = new Map<string, Intl.DateTimeFormat>();
function intlOffset(zone: string, utcSec: number): number {
  let f = fmts.get(zone);
  if (!f) fmts.set(zone, (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })));
  const hour = Math.floor(utcSec / 3600);
  const p = Object.fromEntries(f.formatToParts(new Date(hour * 3_600_000)).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) / 1000 - hour * 3600;
}
function refOpenSessions(utcSec: number): SessionName[] {
  const out: SessionName[] = [];
  for (const [name, s] of Object.entries(SESSIONS) as [SessionName, (typeof SESSIONS)[SessionName]][]) {
    const d = new Date((utcSec + intlOffset(s.zone, utcSec)) * 1000);
    const h = d.getUTCHours() + d.getUTCMinutes() / 60;
    if (d.getUTCDay() >= 1 && d.getUTCDay() <= 5 && h >= s.from && h < s.to) out.push(name);
  }
  return out;
}
function refServerToUtc(serverSec: number, tz: BrokerTimeZone): number {
  if (tz.kind === 'fixed') return serverSec - tz.offsetSec;
  const zone = tz.kind === 'us-dst' ? 'America/New_York' : 'Europe/Berlin';
  const guess = serverSec - tz.standardOffsetSec;
  const y = new Date(guess * 1000).getUTCFullYear();
  const std = Math.min(intlOffset(zone, Date.UTC(y, 0, 15) / 1000), intlOffset(zone, Date.UTC(y, 6, 15) / 1000));
  return guess - (intlOffset(zone, guess) !== std ? 3600 : 0);
}

/** Every zone the code asks: the four sessions' and the two broker DST rules'. */
const ZONES = [...new Set([...Object.values(SESSIONS).map((s) => s.zone), 'America/New_York', 'Europe/Berlin'])];
const yearHours = (y: number) => [Date.UTC(y, 0, 1) / 3_600_000, Date.UTC(y + 1, 0, 1) / 3_600_000] as const;
/** A deterministic shuffle (so a failure repeats). */
function shuffled<T>(xs: T[], seed: number): T[] {
  const a = xs.slice();
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('zone offsets: the cached months give the Intl offset of every hour', () => {
  // the US 2006 → 2007 rule change (and Sydney's in 2008), Europe's rule, London and Berlin's double summer time of
  // the 1940s (switches of two hours and in unusual months), New York's 1883 switch from local mean time (an offset
  // of -4:56:02) and the years the 1 M-bar bench file reaches
  const spans: [number, number][] = [[2005, 2009], [1940, 1947], [1883, 1883], [2176, 2177]];

  it.each(ZONES)('%s: every hour of 2005–2009, 1940–1947, 1883, 2176–2177 (140,256 hours), in order', (zone) => {
    let bad = 0, n = 0;
    for (const [y0, y1] of spans) {
      const [from] = yearHours(y0), [, to] = yearHours(y1);
      for (let h = from; h < to; h++) {
        const u = h * 3600 + ((h * 7919) % 3600); // any second of the hour reads the hour's offset
        if (zoneOffsetSec(zone, u) !== intlOffset(zone, u)) bad++;
        n++;
      }
    }
    expect(n).toBe(140_256);
    expect(bad).toBe(0);
  }, 120_000);

  it.each(ZONES)('%s: each month of 1850–2250 reads the offsets of its first hour and, where it switches, of the hours either side of the switch the old bisection found', (zone) => {
    const wrong: string[] = [];
    for (let y = 1850; y <= 2250; y++) {
      for (let m = 0; m < 12; m++) {
        const from = Date.UTC(y, m, 1) / 3_600_000, to = Date.UTC(y, m + 1, 1) / 3_600_000;
        const before = intlOffset(zone, from * 3600), after = intlOffset(zone, to * 3600);
        const hours = [from];
        if (before !== after) {
          let lo = from, hi = to;
          while (hi - lo > 1) {
            const mid = Math.floor((lo + hi) / 2);
            if (intlOffset(zone, mid * 3600) === before) lo = mid;
            else hi = mid;
          }
          hours.push(hi - 1, hi);
        }
        for (const h of hours) if (zoneOffsetSec(zone, h * 3600) !== intlOffset(zone, h * 3600)) wrong.push(`${y}-${m + 1} hour ${h}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('the same in a random order, every zone interleaved (a month read first from its middle, its neighbours later)', () => {
    const hours: [string, number][] = [];
    for (const zone of ZONES) for (let h = yearHours(1998)[0]; h < yearHours(2002)[1]; h += 7) hours.push([zone, h]);
    const wrong = shuffled(hours, 42).filter(([zone, h]) => zoneOffsetSec(zone, h * 3600) !== intlOffset(zone, h * 3600));
    expect(wrong).toEqual([]);
  });

  it('stays right past its bound of kept months (more than 500 years of them)', () => {
    const zone = 'Europe/London';
    const first = yearHours(1700)[0];
    for (let y = 1700; y < 2250; y++) for (let m = 0; m < 12; m++) zoneOffsetSec(zone, Date.UTC(y, m, 3) / 1000);
    for (const h of [first, first + 100, yearHours(1995)[0] + 2100, yearHours(2240)[0] + 2161]) expect(zoneOffsetSec(zone, h * 3600)).toBe(intlOffset(zone, h * 3600));
  });

  it('refuses an instant beyond the Date range with the RangeError it always gave', () => {
    expect(() => zoneOffsetSec('Europe/London', 9e12)).toThrow(RangeError);
    expect(() => zoneOffsetSec('Europe/London', NaN)).toThrow(RangeError);
    expect(() => zoneOffsetSec('Not/A_Zone', 0)).toThrow(RangeError);
  });
});

describe('sessions and the broker clock: the same decisions as the Date-based rules', () => {
  it('every session opens and closes on a whole local hour (the open sessions are read from the hour of day alone)', () => {
    for (const s of Object.values(SESSIONS)) for (const h of [s.from, s.to]) expect(Number.isInteger(h) && h >= 0 && h <= 24, `${s.zone} ${h}`).toBe(true);
  });

  it('openSessions gives the sessions of every hour and half hour of 2005–2008 and 2176', () => {
    const wrong: number[] = [];
    for (const [y0, y1] of [[2005, 2008], [2176, 2176]] as const) {
      for (let h = yearHours(y0)[0]; h < yearHours(y1)[1]; h++) {
        for (const u of [h * 3600, h * 3600 + 1800]) if (openSessions(u).join() !== refOpenSessions(u).join()) wrong.push(u);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('serverToUtc and sessionFilter agree with the reference for each broker zone kind, every hour of 2006–2008', () => {
    const tzs: BrokerTimeZone[] = [{ kind: 'us-dst', standardOffsetSec: 7200 }, { kind: 'eu-dst', standardOffsetSec: 7200 }, { kind: 'us-dst', standardOffsetSec: -18000 }, { kind: 'fixed', offsetSec: 10800 }];
    const f = { sessions: ['Tokyo', 'Sydney'] as SessionName[], action: 'REDUCE_SIZE' as const, sizeMultiplier: 0.5 };
    const wrong: string[] = [];
    for (const tz of tzs) {
      for (let h = yearHours(2006)[0]; h < yearHours(2008)[1]; h++) {
        const s = h * 3600;
        const utc = refServerToUtc(s, tz);
        if (serverToUtc(s, tz) !== utc) wrong.push(`${JSON.stringify(tz)} ${s} utc`);
        const open = refOpenSessions(utc);
        const pass = open.some((x) => f.sessions.includes(x));
        const r = sessionFilter(f, s, tz);
        const detail = `${new Date(utc * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC: open ${open.join('+') || 'none'}; allowed Tokyo+Sydney`;
        if (r.pass !== pass || r.sizeMultiplier !== (pass ? 1 : 0.5) || r.detail !== detail) wrong.push(`${JSON.stringify(tz)} ${s} filter`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it("serverToUtc agrees every hour of 1941–1946: New York's war time (no winter time 1942–1945, so the year's standard offset changes with the year)", () => {
    const wrong: number[] = [];
    for (const tz of [{ kind: 'us-dst', standardOffsetSec: 7200 }, { kind: 'eu-dst', standardOffsetSec: 7200 }] as BrokerTimeZone[]) {
      for (let h = yearHours(1941)[0]; h < yearHours(1946)[1]; h++) if (serverToUtc(h * 3600, tz) !== refServerToUtc(h * 3600, tz)) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});

describe("utcMinuteText: the session filter's UTC time, the Date's text without the Date", () => {
  const viaDate = (sec: number) => new Date(sec * 1000).toISOString().slice(0, 16).replace('T', ' ');
  it('writes what toISOString writes at the edges of days, months, leap days, centuries and its four-digit years', () => {
    const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => Date.UTC(y, mo, d, h, mi, s) / 1000;
    const cases = [
      0, -0, 0.0009, 59.999, 60, 86_399.5, at(1970, 0, 1, 23, 59, 59), at(1972, 1, 29, 12, 30), at(1999, 11, 31, 23, 59, 59.999), at(2000, 1, 29),
      at(2000, 2, 1), at(2100, 1, 28, 23, 59), at(2100, 2, 1), at(2024, 2, 31, 1, 0), at(2177, 10, 25, 22), at(9999, 11, 31, 23, 59, 59.999),
    ];
    for (const sec of cases) expect([sec, utcMinuteText(sec)]).toEqual([sec, viaDate(sec)]);
  });
  it('the same at 200,000 random instants of 1970–9999, whole and fractional seconds', () => {
    let s = 7;
    const rnd = () => ((s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
    const end = Date.UTC(10000, 0, 1) / 1000;
    const wrong: number[] = [];
    for (let k = 0; k < 200_000; k++) {
      const sec = k % 2 ? Math.floor(rnd() * end) : rnd() * end;
      if (utcMinuteText(sec) !== viaDate(sec)) wrong.push(sec);
    }
    expect(wrong).toEqual([]);
  });
  it("gives the Date's own text before 1970 and from 10000 on, and its RangeError where there is no date", () => {
    for (const sec of [-1, -0.5, -86_400 * 365.25 * 3000, Date.UTC(10000, 0, 1) / 1000, 8.64e12, -8.64e12]) expect(utcMinuteText(sec)).toBe(viaDate(sec));
    for (const sec of [NaN, Infinity, -Infinity, 8.64e12 + 1]) expect(() => utcMinuteText(sec)).toThrow(RangeError);
  });
});
