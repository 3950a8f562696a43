/**
 * The preset symbols' trading hours follow the broker zone the bars are in (--broker-zone): the FX week opens Sunday
 * 17:00 and closes Friday 16:55 New York time, in that zone's clock. The default zone's hours stay as they were.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backtestCommand } from '../../src/cli/backtest.js';
import { runPaper } from '../../src/cli/paper.js';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { sessionOpenAt } from '../../src/engine/sessions.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { DEFAULT_BROKER_TZ, parseZoneArg, type BrokerTimeZone } from '../../src/engine/time/broker-time.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { GOLD_WEEK_NY, weekSessions } from '../../src/sim/fx-week.js';
import { FX_SESSIONS, SYMBOLS, resolveSymbol, symbolSpec } from '../../src/sim/symbols.js';

const zone = (z: string) => parseZoneArg(z) as BrokerTimeZone;
const UTC = zone('utc');
const at = (iso: string) => Date.parse(`${iso}Z`) / 1000; // a server time, written as if UTC

describe('the FX week in a broker zone', () => {
  it('the default zone (GMT+2, GMT+3 with New York\'s DST): Monday 00:00 → Friday 23:55, gold from 01:00 each day — the presets as they were', () => {
    expect(weekSessions(DEFAULT_BROKER_TZ)).toEqual(FX_SESSIONS);
    expect(FX_SESSIONS).toEqual([[1, 0, 1440], [2, 0, 1440], [3, 0, 1440], [4, 0, 1440], [5, 0, 1435]]);
    expect(weekSessions(DEFAULT_BROKER_TZ, GOLD_WEEK_NY)).toEqual(SYMBOLS.XAUUSD!.sessions);
    expect(symbolSpec('EURUSD', {}, DEFAULT_BROKER_TZ)).toEqual(SYMBOLS.EURUSD);
    expect(resolveSymbol('EURUSD.m', DEFAULT_BROKER_TZ)!.spec).toEqual(SYMBOLS.EURUSD);
  });

  it('UTC: Sunday 21:00 (summer) / 22:00 (winter) → Friday 20:55 / 21:55, one table taking both seasons', () => {
    const s = weekSessions(UTC);
    expect(s).toEqual([[0, 1260, 1440], [1, 0, 1440], [2, 0, 1440], [3, 0, 1440], [4, 0, 1440], [5, 0, 1315]]);
    expect(symbolSpec('EURUSD', {}, UTC).sessions).toEqual(s);
    expect(resolveSymbol('eurusd', UTC)!.spec.sessions).toEqual(s);
    // the bundled UTC file's first bar of a summer week, and of a winter one; its last bar of a winter Friday
    expect(sessionOpenAt(s, at('2019-06-02T21:05'))).toBe(true);
    expect(sessionOpenAt(s, at('2019-02-17T22:05'))).toBe(true);
    expect(sessionOpenAt(s, at('2019-02-22T21:00'))).toBe(true);
    expect(sessionOpenAt(s, at('2019-02-22T22:00'))).toBe(false);
    expect(sessionOpenAt(s, at('2019-02-23T12:00'))).toBe(false); // Saturday
    expect(sessionOpenAt(s, at('2019-02-17T20:55'))).toBe(false); // Sunday before the open
    // gold opens an hour later; its daily break (17:00–18:00 New York) moves with the seasons in UTC, so the one
    // table takes both and has none — the default zone keeps it
    const gold = symbolSpec('XAUUSD', {}, UTC).sessions;
    expect(gold).toEqual([[0, 1320, 1440], [1, 0, 1440], [2, 0, 1440], [3, 0, 1440], [4, 0, 1440], [5, 0, 1315]]);
    expect(sessionOpenAt(SYMBOLS.XAUUSD!.sessions, at('2019-02-20T00:30'))).toBe(false);
  });

  it('a zone with Europe\'s DST takes the weeks the two switches differ (Sunday 23:00 server); a zone far east wraps into Saturday', () => {
    expect(weekSessions(zone('eu-dst:2'))[0]).toEqual([0, 1380, 1440]);
    expect(weekSessions(zone('us-dst:0'))).toEqual([[0, 1320, 1440], [1, 0, 1440], [2, 0, 1440], [3, 0, 1440], [4, 0, 1440], [5, 0, 1315]]);
    expect(weekSessions(zone('fixed:14'))).toEqual([[1, 660, 1440], [2, 0, 1440], [3, 0, 1440], [4, 0, 1440], [5, 0, 1440], [6, 0, 715]]);
  });

  it('a backtest of the bundled UTC bars with --broker-zone utc: no order refused MARKET_CLOSED on the Sunday-evening bars', () => {
    const bars = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));
    // buys on every bar, holds an hour: an order on each bar of the file, Sunday evenings included
    const strategy = normalizeStrategy({
      strategyId: 'hold', symbol: 'EURUSD', timeframe: 'H1',
      rules: { entry: { long: { conditions: [{ indicator: 'close', condition: 'greater_than', value: 0 }] } }, exit: { maxHoldingHours: 1 }, riskManagement: { lotSize: 0.1, maxPositions: 1 } },
    });
    const utc = runBacktest({ strategy, bars, brokerZone: UTC });
    expect(utc.rejected.filter((r) => r.retcode === 10018)).toEqual([]);
    expect(utc.blocked.MARKET_CLOSED ?? 0).toBe(0);
    // in the default zone, the same file's Sunday bars are outside the week (the zone the file is not in)
    const wrong = runBacktest({ strategy, bars });
    expect((wrong.blocked.MARKET_CLOSED ?? 0) + wrong.rejected.filter((r) => r.retcode === 10018).length).toBeGreaterThan(0);
  });

  it('backtest --broker-zone utc on the bundled UTC bars: nothing refused or blocked as market closed (it was 15 and 2)', () => {
    let out = '';
    const code = backtestCommand({ strategy: 'examples/stoch-williams-fade.json', data: 'data/EURUSD_H1_2019.csv', timeframe: 'H1', brokerZone: 'utc', json: true }, (t) => (out += t), () => {});
    expect(code).toBe(0);
    const j = JSON.parse(out) as { rejections: { total: number }; blocked: { total: number }; trades: number };
    expect(j.rejections.total).toBe(0);
    expect(j.blocked.total).toBe(0);
    expect(j.trades).toBeGreaterThan(100);
  });

  it('paper --broker-zone utc: the simulated terminal\'s broker has the UTC week, and its orders on Sunday-evening bars fill', async () => {
    const bars = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));
    const strategy = {
      strategyId: 'hold', symbol: 'EURUSD', timeframe: 'H1',
      rules: { entry: { long: { conditions: [{ indicator: 'close', condition: 'greater_than', value: 0 }] } }, exit: { maxHoldingHours: 1 }, riskManagement: { lotSize: 0.1, maxPositions: 1 } },
    };
    const p = await runPaper({ strategies: [strategy], bars: sliceBars(bars, 0, 300), from: 100, warmupBars: 100, brokerZone: UTC });
    expect(p.broker.spec('EURUSD')!.sessions).toEqual(weekSessions(UTC));
    // a deal on a Sunday evening (server time = UTC here)
    const sundays = p.broker.deals().filter((d) => new Date(d.timeMsc).getUTCDay() === 0);
    expect(sundays.length).toBeGreaterThan(0);
  }, 60_000);

  it('backtest\'s summary does not count MARKET_CLOSED among the --limits limits', () => {
    let out = '';
    // the UTC file in the default zone: orders on its Sunday-evening bars fall outside the week
    const code = backtestCommand({ strategy: 'examples/stoch-williams-fade.json', data: 'data/EURUSD_H1_2019.csv', timeframe: 'H1' }, (t) => (out += t), () => {});
    expect(code).toBe(0);
    expect(out).not.toMatch(/blocked by the pre-trade limits[^\n]*MARKET_CLOSED/);
    expect(out).toMatch(/market closed: \d+ orders? not sent \(outside the symbol's trading hours in GMT\+2, GMT\+3 with New York's DST\)/);
  });
});
