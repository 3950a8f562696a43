import { describe, expect, it } from 'vitest';
import { addReading, describeZone, inferBrokerZone, offsetFromClocks, parseZoneArg, serverToUtc, DEFAULT_BROKER_TZ, type BrokerTimeZone, type OffsetObservation } from '../../src/engine/time/broker-time.js';

const utc = (iso: string) => Date.parse(iso) / 1000;
/** A reading as a broker in zone `tz` would give it at the UTC instant `iso`. */
function readingAt(tz: BrokerTimeZone, iso: string): OffsetObservation {
  const u = utc(iso);
  // the server time whose UTC is u: offsets are whole hours, so search the two candidates
  for (const off of [-12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((h) => h * 3600)) {
    if (serverToUtc(u + off, tz) === u) return { serverSec: u + off, offsetSec: off };
  }
  throw new Error('no offset');
}

describe("the broker's time zone, inferred from the offsets the terminal reports", () => {
  const usDst: BrokerTimeZone = { kind: 'us-dst', standardOffsetSec: 7200 };
  const euDst: BrokerTimeZone = { kind: 'eu-dst', standardOffsetSec: 7200 };
  const fixed2: BrokerTimeZone = { kind: 'fixed', offsetSec: 7200 };
  const fixed0: BrokerTimeZone = { kind: 'fixed', offsetSec: 0 };

  it('no reading → the default zone (GMT+2/+3 with New York)', () => {
    expect(inferBrokerZone([])).toEqual(DEFAULT_BROKER_TZ);
  });

  it('tells the conventions apart as the readings come: New York vs Europe in the March weeks between their switches, fixed in summer', () => {
    // 2026-03-10: New York is on DST (since Mar 8), Europe not yet (Mar 29)
    expect(inferBrokerZone([readingAt(usDst, '2026-03-10T12:00:00Z')])).toEqual(usDst);
    expect(inferBrokerZone([readingAt(euDst, '2026-03-10T12:00:00Z')])).toEqual(euDst);
    // a winter reading alone cannot tell GMT+2 fixed from GMT+2 with DST: the MT5 convention is taken …
    const winter = readingAt(fixed2, '2026-01-15T12:00:00Z');
    expect(inferBrokerZone([winter])).toEqual(usDst);
    // … and the first summer reading at +2 shows it fixed
    expect(inferBrokerZone([winter, readingAt(fixed2, '2026-07-15T12:00:00Z')])).toEqual(fixed2);
    // a GMT+0 broker
    expect(inferBrokerZone([readingAt(fixed0, '2026-07-15T12:00:00Z')])).toEqual(fixed0);
    // a New York broker (GMT-5/-4): found among the other standard offsets
    const ny: BrokerTimeZone = { kind: 'us-dst', standardOffsetSec: -5 * 3600 };
    expect(inferBrokerZone([readingAt(ny, '2026-01-15T12:00:00Z'), readingAt(ny, '2026-07-15T12:00:00Z')])).toEqual(ny);
  });

  it('every zone found predicts every reading it was given (property over a year of readings)', () => {
    const zones: BrokerTimeZone[] = [usDst, euDst, fixed2, fixed0, { kind: 'eu-dst', standardOffsetSec: 0 }, { kind: 'fixed', offsetSec: 3 * 3600 }];
    for (const tz of zones) {
      let readings: OffsetObservation[] = [];
      for (let d = 0; d < 365; d += 3) readings = addReading(readings, readingAt(tz, new Date(Date.UTC(2025, 0, 1 + d, 10)).toISOString()));
      const z = inferBrokerZone(readings);
      for (const r of readings) expect(r.serverSec - serverToUtc(r.serverSec, z)).toBe(r.offsetSec);
      expect(readings.length).toBeLessThanOrEqual(8); // a few a year: the switches and the newest of each run
    }
  });

  it('reads an offset from two clocks to the quarter hour, and says a zone in words', () => {
    expect(offsetFromClocks(1_000_000 + 7200 + 40, 1_000_000)).toBe(7200);
    expect(offsetFromClocks(1_000_000 - 3 * 3600 - 100, 1_000_000)).toBe(-3 * 3600);
    expect(describeZone(usDst)).toBe("GMT+2, GMT+3 with New York's DST");
    expect(describeZone({ kind: 'fixed', offsetSec: 19800 })).toBe('GMT+5:30 (no DST)');
  });
});

describe('parseZoneArg (--broker-zone)', () => {
  it('reads the three kinds and utc, and explains what it cannot read', () => {
    expect(parseZoneArg('us-dst')).toEqual({ kind: 'us-dst', standardOffsetSec: 7200 });
    expect(parseZoneArg('EU-DST:1')).toEqual({ kind: 'eu-dst', standardOffsetSec: 3600 });
    expect(parseZoneArg('fixed:-5')).toEqual({ kind: 'fixed', offsetSec: -18000 });
    expect(parseZoneArg('fixed:5.75')).toEqual({ kind: 'fixed', offsetSec: 20700 });
    expect(parseZoneArg('utc')).toEqual({ kind: 'fixed', offsetSec: 0 });
    expect(describeZone(parseZoneArg('us-dst:2') as BrokerTimeZone)).toBe("GMT+2, GMT+3 with New York's DST");
    expect(parseZoneArg('fixed')).toMatch(/fixed needs its offset/);
    expect(parseZoneArg('fixed:5.1')).toMatch(/whole or quarter hours/);
    expect(parseZoneArg('us-dst:15')).toMatch(/from -12 to 14/);
    expect(parseZoneArg('Europe/London')).toMatch(/not a broker zone; expected us-dst/);
  });
});
