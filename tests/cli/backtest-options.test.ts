/**
 * backtest's options as a trader uses them, run in-process on the bundled bars: --from keeps the bars before it
 * for the indicators' warm-up, --broker-zone sets the clock of the session filter and is named in the output.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backtestCommand, warmUpWarning, type BacktestArgs } from '../../src/cli/backtest.js';
import { UsageError } from '../../src/cli/kit.js';
import { paperCommand } from '../../src/cli/paper-command.js';
import { parseBrokerZone } from '../../src/cli/run-options.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { loadBarFile } from '../../src/cli/bar-file.js';
import { warmUpNeeded } from '../../src/cli/data-match.js';
import { readStrategyFile } from '../../src/cli/strategy.js';
import { sliceBars } from '../../src/engine/bars.js';
import { pricesNotOf } from '../../src/cli/bar-prices.js';
import type { BarSeries } from '../../src/engine/bars.js';
import { openSessions } from '../../src/engine/filters.js';
import { serverToUtc, type BrokerTimeZone } from '../../src/engine/time/broker-time.js';

const dir = mkdtempSync(join(tmpdir(), 'bt-options-'));
const EMA = 'examples/ema-cross-trend.json';
const H1_2019 = 'data/EURUSD_H1_2019.csv';

function run(a: BacktestArgs): { code: number; out: string; err: string } {
  let out = '', err = '';
  const code = backtestCommand(a, (t) => (out += t), (t) => (err += t));
  return { code, out, err };
}

/** The trades CSV's rows without the ticket (a run starting later numbers its tickets from the start again). */
function tradeRows(file: string): string[] {
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(1).join(','));
}

describe('backtest --from', () => {
  it('warms the indicators up on the bars before it and trades from it: the full run\'s trades from that date on', () => {
    // 2019-04-16 05:00: ~1,000 bars into the file (the 200-bar SMA is warm), the full run holds no position then
    const full = run({ strategy: EMA, data: H1_2019, trades: join(dir, 'full.csv') });
    const late = run({ strategy: EMA, data: H1_2019, from: '2019-04-16 05:00', trades: join(dir, 'late.csv') });
    expect(full.code).toBe(0);
    expect(late.code).toBe(0);
    const fromFull = tradeRows(join(dir, 'full.csv')).filter((r) => r.split(',')[3]! >= '2019-04-16 05:00');
    const fromLate = tradeRows(join(dir, 'late.csv'));
    expect(fromLate.length).toBeGreaterThan(30);
    expect(fromLate).toEqual(fromFull); // entries, exits and results, row by row
    // the SELL of 2019-04-23 12:00 (its signal needs the history before --from)
    expect(fromLate[0]).toMatch(/^EURUSD,SELL,0.1,2019-04-23 12:00:00,/);
  });

  it('the figures and the period start at --from, and --to still ends it', () => {
    const j = JSON.parse(run({ strategy: EMA, data: H1_2019, from: '2019-04-16 05:00', to: '2019-06-30', json: true }).out);
    expect(j.data.from).toBe('2019.04.16 05:00');
    expect(j.data.to).toBe('2019.06.30 23:05'); // (this file is in UTC: its weeks open on Sunday evening)
    expect(j.settings.from).toBe('2019.04.16 05:00');
    // the bars traded: from --from to --to only (not the warm-up before it)
    const all = readFileSync(H1_2019, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 2).join(' ').replace(/\./g, '-'));
    expect(j.bars).toBe(all.filter((t) => t >= '2019-04-16 05:00' && t < '2019-07-01').length);
  });
});

describe('backtest --broker-zone', () => {
  const entriesIn = (zone: BrokerTimeZone, file: string) => tradeRows(file).map((r) => Date.parse(r.split(',')[3]!.replace(' ', 'T') + 'Z') / 1000).map((t) => openSessions(serverToUtc(t, zone)));

  it('the session filter reads the bar times in the zone given, and the output names it', () => {
    const dflt = run({ strategy: EMA, data: H1_2019, trades: join(dir, 'z-default.csv'), json: true });
    const utc = run({ strategy: EMA, data: H1_2019, brokerZone: 'utc', trades: join(dir, 'z-utc.csv'), json: true });
    expect(dflt.code).toBe(0);
    expect(utc.code).toBe(0);
    // every entry in London or New York hours of its own zone; the two zones give other trades
    for (const s of entriesIn({ kind: 'us-dst', standardOffsetSec: 7200 }, join(dir, 'z-default.csv'))) expect(s.some((x) => x === 'London' || x === 'NewYork')).toBe(true);
    for (const s of entriesIn({ kind: 'fixed', offsetSec: 0 }, join(dir, 'z-utc.csv'))) expect(s.some((x) => x === 'London' || x === 'NewYork')).toBe(true);
    expect(tradeRows(join(dir, 'z-utc.csv'))).not.toEqual(tradeRows(join(dir, 'z-default.csv')));
    expect(JSON.parse(dflt.out).settings.timeZone).toBe("broker server time, GMT+2, GMT+3 with New York's DST (--broker-zone to change)");
    expect(JSON.parse(utc.out).settings.timeZone).toBe('broker server time, GMT+0 (no DST) (--broker-zone utc)');
    const text = run({ strategy: EMA, data: H1_2019, brokerZone: 'eu-dst:3', report: join(dir, 'z.html') });
    expect(text.out).toContain("times: broker server time, GMT+3, GMT+4 with Europe's DST (--broker-zone eu-dst:3)");
    const html = readFileSync(join(dir, 'z.html'), 'utf8');
    expect(html).toContain('<tr><td>Times</td><td>broker server time, GMT+3, GMT+4 with Europe&#39;s DST'.replace('&#39;', "'"));
    expect(html).toMatch(/times are broker server time, GMT\+3, GMT\+4 with Europe's DST/);
  });

  it('a zone it cannot read is a usage error naming the forms', () => {
    const r = run({ strategy: EMA, data: H1_2019, brokerZone: 'cet' });
    expect(r.code).toBe(2);
    expect(r.err).toContain("--broker-zone 'cet' is not a broker zone; expected us-dst[:H] | eu-dst[:H] | fixed:H | utc");
  });

  it('is read as paper reads it (run-options.ts parseBrokerZone): the same zones refused with the same words, and the zone parsed is the one run', async () => {
    for (const zone of ['cet', '', 'fixed', 'us-dst:x', 'fixed:15']) {
      const b = run({ strategy: EMA, data: H1_2019, brokerZone: zone });
      let perr = '';
      const p = await paperCommand([EMA], { data: H1_2019, 'broker-zone': zone }, () => undefined, (t) => (perr += t));
      expect([b.code, p], zone).toEqual([2, 2]);
      expect(b.err.split('\n')[0]!.replace('mt5-executor backtest: ', ''), zone).toBe(perr.split('\n')[0]!.replace('mt5-executor paper: ', ''));
      expect(() => parseBrokerZone(zone)).toThrow(new UsageError(b.err.split('\n')[0]!.replace('mt5-executor backtest: ', '')));
    }
    // each form the option takes is the zone the session filter runs on: the figures of the zone given as an object
    const bars = sliceBars(loadBarFile(H1_2019), 0, 2000);
    const strategy = readStrategyFile(EMA);
    for (const zone of ['utc', 'eu-dst:3', 'fixed:-5']) {
      const cli = run({ strategy: EMA, data: H1_2019, brokerZone: zone, to: '2019-04-24', json: true });
      expect(cli.code, cli.err).toBe(0);
      const direct = runBacktest({ strategy, bars: sliceBars(bars, 0, JSON.parse(cli.out).bars), brokerZone: parseBrokerZone(zone)! });
      expect(JSON.parse(cli.out).netProfit, zone).toBe(direct.metrics.netProfit);
    }
  });
});

describe('backtest on a file that names no symbol', () => {
  const copy = (from: string, name: string) => {
    const f = join(dir, name);
    writeFileSync(f, readFileSync(from));
    return f;
  };

  it('refuses bars whose prices cannot be the strategy symbol\'s, naming --symbol', () => {
    const gold = copy('data/XAUUSD_M15_2024Q1.csv', 'bars.csv');
    const r = run({ strategy: EMA, data: gold, timeframe: 'M15' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bars\.csv names no symbol .* cannot be EURUSD's: their median close 20\d\d\.\d+ is outside 0\.4–3, the range EURUSD is taken to trade in\. .*--symbol XAUUSD/);
    // EURUSD bars (5 decimals) taken as gold (2 digits): the decimals give it away
    const eur = copy(H1_2019, 'prices.csv');
    const g = run({ strategy: 'examples/ichimoku-gold-breakout.json', data: eur });
    expect(g.code).toBe(1);
    expect(g.err).toMatch(/cannot be XAUUSD's: 3728 of 3728 bars sampled have prices with more decimals than XAUUSD's 2 .*--symbol EURUSD/);
    // with the right --symbol it runs, without a warning (the trader said what the bars are)
    const ok = run({ strategy: EMA, data: gold, timeframe: 'M15', symbol: 'XAUUSD' });
    expect(ok.code).toBe(0);
    expect(ok.err).toBe('');
  });

  it('runs bars that can be the symbol\'s, with a warning that they are taken as its', () => {
    const eur = copy(H1_2019, 'bars-h1.csv');
    const r = run({ strategy: EMA, data: eur, json: true });
    expect(r.code).toBe(0);
    expect(r.err).toContain("warning: " + eur + " names no symbol (neither its name nor a symbol column): its bars are taken as EURUSD's");
    expect(JSON.parse(r.out).trades).toBe(JSON.parse(run({ strategy: EMA, data: H1_2019, json: true }).out).trades);
    // a file named for its symbol: no warning
    expect(run({ strategy: EMA, data: H1_2019, json: true }).err).toBe('');
  });

  it('pricesNotOf: one bad tick does not refuse a file; a finer quote on most bars does', () => {
    const col = () => new Float64Array([1.10001, 1.2, 2050, 1.30003]);
    const bars = { close: col(), open: col(), high: col(), low: col(), length: 4 } as unknown as BarSeries;
    expect(pricesNotOf(bars, 'EURUSD', 5)).toBeUndefined(); // the tick at 2050 is one bar of four
    expect(pricesNotOf(bars, 'XAUUSD', 2)).toBe("2 of 4 bars sampled have prices with more decimals than XAUUSD's 2 (e.g. 1.30003)");
    expect(pricesNotOf(bars, 'USDJPY', 5)).toBe('their median close 1.30003 is outside 30–800, the range USDJPY is taken to trade in');
  });
});

describe('backtest --from/--to: the gaps reported are the window\'s', () => {
  it('a window without gaps reports none; the whole file reports its own', () => {
    const all = JSON.parse(run({ strategy: EMA, data: 'data/EURUSD_H1_2015-2022.csv', json: true }).out);
    expect(all.data.gaps.count).toBeGreaterThan(0);
    expect(all.data.gaps.largest[0].from).toBeLessThan(Date.UTC(2020, 0, 1) / 1000); // the file's largest gap lies before 2020
    const w = JSON.parse(run({ strategy: EMA, data: 'data/EURUSD_H1_2015-2022.csv', from: '2020-01-01', to: '2020-12-31', json: true }).out);
    for (const g of w.data.gaps.largest) expect(g.from).toBeGreaterThanOrEqual(Date.UTC(2020, 0, 1) / 1000);
    expect(w.data.gaps.count).toBeLessThan(all.data.gaps.count);
    const text = run({ strategy: EMA, data: 'data/EURUSD_H1_2015-2022.csv', from: '2020-01-01', to: '2020-12-31' }).out;
    expect(text).not.toContain('2018.12.24');
  });
});

describe('backtest refusals by reason', () => {
  it('reads as words, without masked digits, in --json and the report', () => {
    const r = run({ strategy: EMA, data: H1_2019, json: true, report: join(dir, 'refusals.html') });
    const by: { reason: string; count: number }[] = JSON.parse(r.out).refusals.byReason;
    expect(by.map((x) => x.reason)).toEqual(expect.arrayContaining(['filtered: session outside London+NewYork', 'maxPositions 1 reached']));
    for (const x of by) expect(x.reason).not.toMatch(/#/);
    const html = readFileSync(join(dir, 'refusals.html'), 'utf8');
    const table = /<table id="refused-by-reason">.*?<\/table>/s.exec(html)![0];
    expect(table).toContain('<td>filtered: session outside London+NewYork</td>');
    expect(table).not.toContain('#');
  });
});

describe('backtest on bars of another timeframe and symbol', () => {
  it('names both and both overrides in one error (it named the timeframe, and the symbol only on the next run)', () => {
    const r = run({ strategy: EMA, data: 'data/XAUUSD_M15_2024Q1.csv' });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'mt5-executor backtest: data/XAUUSD_M15_2024Q1.csv holds M15 bars (the most common distance between its bars is 15 min) but the strategy trades H1: give a file of H1 bars, or run the strategy on these bars with --timeframe M15; ' +
        'and data/XAUUSD_M15_2024Q1.csv is named for XAUUSD but the strategy trades EURUSD: give EURUSD bars, or run the strategy on these bars with --symbol XAUUSD\n',
    );
    // one wrong: that one alone, as before
    expect(run({ strategy: EMA, data: 'data/XAUUSD_M15_2024Q1.csv', timeframe: 'M15' }).err).toBe('mt5-executor backtest: data/XAUUSD_M15_2024Q1.csv is named for XAUUSD but the strategy trades EURUSD: give EURUSD bars, or run the strategy on these bars with --symbol XAUUSD\n');
    expect(run({ strategy: EMA, data: 'data/XAUUSD_M15_2024Q1.csv', timeframe: 'M15', symbol: 'XAUUSD' }).code).toBe(0);
  });
});

describe("backtest orders blocked by the strategy's own daily loss limit", () => {
  it("are the strategy's own limits, not the pre-trade limits of --limits none", () => {
    // ema-cross-trend risking 1.37 % a trade hits its own maxDailyLossPercent 2 on some days
    const file = join(dir, 'risky.json');
    const s = JSON.parse(readFileSync(EMA, 'utf8')) as { rules: { riskManagement: Record<string, unknown>; dynamicRisk?: unknown } };
    delete s.rules.riskManagement.lotSize;
    s.rules.dynamicRisk = { riskPercentage: 1.37 };
    writeFileSync(file, JSON.stringify(s));
    const r = run({ strategy: file, data: 'data/EURUSD_H1_2015-2022.csv' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n {2}blocked by the strategy's own limits \(its riskManagement\): STRATEGY_DAILY_LOSS \d+\n/);
    expect(r.out).not.toContain('pre-trade limits');
  });
});

describe('backtest orders not sent for want of free margin', () => {
  it('are "not enough free margin", not the pre-trade limits, under --limits none', () => {
    const r = run({ strategy: EMA, data: H1_2019, balance: '100', limits: 'none', report: join(dir, 'margin.html') });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n {2}not enough free margin: \d+ orders not sent \(the margin needed exceeded the free margin\)\n/);
    expect(r.out).not.toContain('pre-trade limits');
    const html = readFileSync(join(dir, 'margin.html'), 'utf8');
    expect(html).toContain("not sent (not enough free margin, the market closed, the strategy's own limits — its riskManagement — or the pre-trade limits of --limits none)");
    expect(html).not.toContain('blocked by the pre-trade limits');
  });
});

describe('backtest trade lists: exit prices', () => {
  it('are at the symbol\'s digits in the CSV and the report, an exit in parts labelled as the average', () => {
    const r = run({ strategy: 'examples/macd-h4-confirmation.json', data: 'data/EURUSD_H1_2015-2022.csv', trades: join(dir, 'parts.csv'), report: join(dir, 'parts.html') });
    expect(r.code).toBe(0);
    const [head, ...rows] = readFileSync(join(dir, 'parts.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(head!.at(-1)).toBe('exit_note');
    const at = (name: string) => head!.indexOf(name);
    for (const row of rows) {
      expect(row[at('exit_price')]).toMatch(/^\d+\.\d{5}$/);
      expect(row[at('entry_price')]).toMatch(/^\d+\.\d{5}$/);
    }
    const averaged = rows.filter((x) => x[at('exit_note')] !== '');
    expect(averaged.length).toBeGreaterThan(50); // this strategy takes partial profits
    expect(averaged[0]![at('exit_note')]).toBe('average of 2 partial exits');
    // the report shows the same price, marked
    const html = readFileSync(join(dir, 'parts.html'), 'utf8');
    expect(html).toContain(`<td title="average of 2 partial exits">${averaged[0]![at('exit_price')]} (avg)</td>`);
    const single = rows.find((x) => x[at('exit_note')] === '')!;
    expect(html).toContain(`<td>${single[at('entry_price')]}</td>`);
  });
});

describe('backtest trade lists: money', () => {
  it("the CSV's profit is the price's, as MT5's, paper's and the dashboard's; commission, swap and profit add up to net, the trade's result", () => {
    const r = run({ strategy: 'examples/ema-cross-trend.json', data: 'data/EURUSD_H1_2015-2022.csv', trades: join(dir, 'money.csv'), json: true });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { netProfit: number; stats: { grossProfit: number } };
    const [head, ...rows] = readFileSync(join(dir, 'money.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(head!.slice(9)).toEqual(['commission', 'swap', 'profit', 'net', 'exit_note']);
    const n = (row: string[], k: string) => Number(row[head!.indexOf(k)]);
    let net = 0, swaps = 0;
    for (const row of rows) {
      expect(Math.round((n(row, 'profit') + n(row, 'commission') + n(row, 'swap')) * 100) / 100).toBe(n(row, 'net'));
      // a single exit: the profit is the price difference × 100,000 × the volume (EURUSD on a USD account)
      if (row[head!.indexOf('exit_note')] === '') {
        const diff = (n(row, 'exit_price') - n(row, 'entry_price')) * (row[2] === 'BUY' ? 1 : -1);
        expect(n(row, 'profit')).toBeCloseTo(diff * 100_000 * n(row, 'volume'), 6);
      }
      net += n(row, 'net');
      swaps += n(row, 'swap');
    }
    expect(Math.round(net * 100) / 100).toBe(json.netProfit);
    expect(swaps).not.toBe(0); // (the trades hold positions overnight: the columns differ)
  });
});

describe('backtest --from with too little history before it', () => {
  it('warns in words: the bars the indicators need, the bars the file has before --from, and until when a rule does not fire', () => {
    // the file starts 2019.02.15 14:00: 58 H1 bars before 2019-02-20, the 200-bar SMA has its first value on the 200th
    const r = run({ strategy: EMA, data: H1_2019, from: '2019-02-20', trades: join(dir, 'short-warm.csv'), json: true });
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      `warning: --from 2019-02-20: ${H1_2019} has 58 bars before --from, but the strategy's indicators all have a value only from the file's 200th bar on (sma:200 needs the most: 199 bars of history). ` +
        'A condition on an indicator without a value is false, so until 2019.02.27 21:00 (141 bars after --from) a rule that reads one does not fire; ' +
        'and indicators that carry their whole history (EMA, ATR, ADX …) start from fewer bars than in a run given more, so the first decisions can differ from such a run. Give a file that starts earlier, or a later --from.\n',
    );
    expect(JSON.parse(r.out).data.from).toBe('2019.02.20 00:00'); // a warning, not an error: the run is the one asked for
    // what it says holds: no trade opens before the 200th bar
    const opens = readFileSync(join(dir, 'short-warm.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[4]!);
    expect(opens.length).toBeGreaterThan(10);
    expect(opens.every((t) => t >= '2019-02-27 21:00')).toBe(true);
  });

  it('says nothing when the bars before --from are enough, or without --from', () => {
    expect(run({ strategy: EMA, data: H1_2019, from: '2019-04-16', json: true }).err).toBe('');
    expect(run({ strategy: EMA, data: H1_2019, json: true }).err).toBe('');
  });

  it('counts an indicator on a higher timeframe in the file\'s bars it spans, and says "about"', () => {
    const bars = loadBarFile(H1_2019);
    const macd = readStrategyFile('examples/macd-h4-confirmation.json');
    expect(warmUpNeeded(macd, bars)).toEqual({ bars: 799, indicator: 'ema:200 on H4', about: true }); // 200 H4 bars = 800 H1 bars
    expect(warmUpWarning(macd, bars, 10, '2019-02-16', 'f.csv')).toContain("only from the file's about 800th bar on (ema:200 on H4 needs the most: 799 bars of history)");
    // an indicator that never gets a value in the file
    const tiny = sliceBars(bars, 0, 150);
    expect(warmUpWarning(readStrategyFile(EMA), tiny, 20, '2019-02-16', 'f.csv')).toContain('all have a value on none of its 150 bars (sma:200 needs more)');
  });
});
