/**
 * The FX market's week in a broker's clock: it opens Sunday 17:00 New York time and closes Friday 17:00 (the last
 * quotes a few minutes before), whatever the broker's zone. The simulator's preset symbols take their trading sessions
 * from it, so the simulated broker is open when the bars of a file in that zone say the market was.
 */
import { DEFAULT_BROKER_TZ, zoneOffsetSec, type BrokerTimeZone } from '../engine/time/broker-time.js';

type Sessions = [number, number, number][];

const NEW_YORK = 'America/New_York';
/** The Sundays sampled: every one of 2019 (New York's and Europe's DST switches fall on different Sundays in it). */
const FIRST_SUNDAY_2019 = Date.UTC(2019, 0, 6) / 1000;

/** A broker server time (s, stored as if UTC) from a UTC instant. */
function utcToServer(utcSec: number, tz: BrokerTimeZone): number {
  if (tz.kind === 'fixed') return utcSec + tz.offsetSec;
  // the zone's offset: its standard one, an hour more while its DST rule (New York's or Europe's) is on
  const [zone, standard] = tz.kind === 'us-dst' ? [NEW_YORK, -5 * 3600] : ['Europe/Berlin', 3600];
  return utcSec + tz.standardOffsetSec + (zoneOffsetSec(zone, utcSec) - standard);
}

/** A New York wall-clock time (s, written as if UTC) → the UTC instant (no switch happens at the hours asked here). */
function newYorkToUtc(localSec: number): number {
  return localSec - zoneOffsetSec(NEW_YORK, localSec + 5 * 3600);
}

/** Minutes since the start of the server week (Sunday 00:00) the server time `serverSec` falls on, from `sundaySec`'s week. */
const minuteOfWeek = (serverSec: number, sundaySec: number): number => Math.floor((serverSec - sundaySec) / 60);

/** A market's opening in New York time: [weekday it opens (0 = Sunday), minute it opens, weekday it closes, minute it closes). */
export type NewYorkHours = [number, number, number, number];

/** FX: Sunday 17:00 → Friday 16:55 New York (the last quotes five minutes before the 17:00 close). */
export const FX_WEEK_NY: NewYorkHours[] = [[0, 17 * 60, 5, 16 * 60 + 55]];
/** Gold (spot, as CME's hours): each day 18:00 → 17:00 the next, Sunday evening to Friday 16:55. */
export const GOLD_WEEK_NY: NewYorkHours[] = [0, 1, 2, 3, 4].map((d) => [d, 18 * 60, d + 1, d === 4 ? 16 * 60 + 55 : 17 * 60]);

const cache = new Map<string, Sessions>();

/**
 * The sessions ([weekday 0=Sunday, from minute, to minute) in server time) of a market open at `hours` (New York
 * time) in broker zone `tz`. A zone that follows New York's DST (us-dst) keeps these hours all year — the default
 * zone's FX week is Monday 00:00 → Friday 23:55. In any other zone they move by an hour in some weeks of the year,
 * and a symbol's sessions are one weekly table (as MT5 has them): each opening is then widened to take both (a UTC
 * file's FX week: Sunday 21:00 → Friday 21:55), the hour it adds in the other season being one without bars in that
 * season's data (and a daily break, as gold's, is then covered by the day before's and after's: none is left).
 */
export function weekSessions(tz: BrokerTimeZone = DEFAULT_BROKER_TZ, hours: readonly NewYorkHours[] = FX_WEEK_NY): Sessions {
  const key = JSON.stringify([tz, hours]);
  let out = cache.get(key);
  if (!out) {
    out = [];
    for (const [openDay, openMin, closeDay, closeMin] of hours) {
      let open = Infinity, close = -Infinity;
      for (let w = 0; w < 52; w++) {
        const sunday = FIRST_SUNDAY_2019 + w * 7 * 86400;
        open = Math.min(open, minuteOfWeek(utcToServer(newYorkToUtc(sunday + openDay * 86400 + openMin * 60), tz), sunday));
        close = Math.max(close, minuteOfWeek(utcToServer(newYorkToUtc(sunday + closeDay * 86400 + closeMin * 60), tz), sunday));
      }
      // day by day from the open to the close, wrapping around the week (a zone far east or west of New York)
      for (let m = open; m < close; ) {
        const dayStart = Math.floor(m / 1440) * 1440;
        const to = Math.min(close, dayStart + 1440);
        out.push([(((dayStart / 1440) % 7) + 7) % 7, m - dayStart, to - dayStart]);
        m = to;
      }
    }
    out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    // one session where the widened openings of a day overlap or touch
    out = out.reduce<Sessions>((acc, s) => {
      const last = acc[acc.length - 1];
      if (last && last[0] === s[0] && s[1] <= last[2]) last[2] = Math.max(last[2], s[2]);
      else acc.push(s);
      return acc;
    }, []);
    cache.set(key, out);
  }
  return out.map((s) => [...s] as [number, number, number]);
}
