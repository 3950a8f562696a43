/**
 * The bar layouts a trader has. Each fixture is written by this test into tests/fixtures/bars/ (small files of
 * our own making: three bars of EURUSD-like prices), then read back as bytes the way the CLI reads a file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError, formatServerTime, parseBarChunks, parseBars, type BarSeries } from '../../src/engine/bars.js';
import { loadBarFile } from '../../src/cli/bar-file.js';

const DIR = 'tests/fixtures/bars';
const BARS = [
  ['2019.02.15', '14:00:00', '1.12525', '1.12851', '1.12514', '1.12686', '9915', '0', '12'],
  ['2019.02.15', '15:00:00', '1.12690', '1.12760', '1.12574', '1.12628', '7985', '0', '11'],
  ['2019.02.15', '16:00:00', '1.12628', '1.12700', '1.12600', '1.12650', '5000', '0', '10'],
];
const EPOCH = [1550239200, 1550242800, 1550246400];
const iso = (d: string) => d.replace(/\./g, '-');

/** name → file bytes */
const FIXTURES: Record<string, Buffer> = {
  'mt5-export-tab.csv': Buffer.from(['<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>', ...BARS.map((r) => r.join('\t'))].join('\r\n') + '\r\n'),
  'mt5-export-comma.csv': Buffer.from(['<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,<VOL>,<SPREAD>', ...BARS.map((r) => r.join(','))].join('\n')),
  'copy-rates.csv': Buffer.from(['time,open,high,low,close,tick_volume,spread,real_volume', ...BARS.map((r, i) => [EPOCH[i], ...r.slice(2, 7), r[8], 0].join(','))].join('\n')),
  'mt4-history-center.csv': Buffer.from(BARS.map((r) => [r[0], r[1]!.slice(0, 5), ...r.slice(2, 7)].join(',')).join('\r\n') + '\r\n'),
  'datetime.csv': Buffer.from(['DateTime,Open,High,Low,Close,TickVolume,Spread', ...BARS.map((r) => [`${iso(r[0]!)} ${r[1]}`, ...r.slice(2, 7), r[8]].join(','))].join('\n')),
  'reordered.csv': Buffer.from(['"Timestamp","Close","Open","Low","High","Volume"', ...BARS.map((r) => [`"${iso(r[0]!)}T${r[1]}"`, r[5], r[2], r[4], r[3], r[6]].join(','))].join('\n')),
  'semicolon-decimal-comma.csv': Buffer.from(['Date;Time;Open;High;Low;Close;Volume', ...BARS.map((r) => [r[0], r[1], ...r.slice(2, 7).map((x) => x.replace('.', ','))].join(';'))].join('\r\n')),
  'utf8-bom.csv': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(['Date,Time,Open,High,Low,Close,Volume', ...BARS.map((r) => [r[0], r[1], ...r.slice(2, 7)].join(','))].join('\r\n'))]),
  'utf16le.csv': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(['<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>', ...BARS.map((r) => r.join('\t'))].join('\r\n') + '\r\n', 'utf16le')]),
  'histdata.csv': Buffer.from(BARS.map((r) => [`${r[0]!.replace(/\./g, '')} ${r[1]!.replace(/:/g, '')}`, ...r.slice(2, 7)].join(';')).join('\n')),
  // classic Mac OS line ends (CR alone), with and without a header
  'mac-cr.csv': Buffer.from(['Date,Time,Open,High,Low,Close,Volume', ...BARS.map((r) => [r[0], r[1], ...r.slice(2, 7)].join(','))].join('\r') + '\r'),
  'mac-cr-headerless.csv': Buffer.from(BARS.map((r) => [r[0], r[1]!.slice(0, 5), ...r.slice(2, 7)].join(',')).join('\r')),
  // a MetaStock-style ASCII header (not an MT4/MT5 export): its date column's name is not one the reader knows
  'ticker-dtyyyymmdd.csv': Buffer.from(['<TICKER>,<DTYYYYMMDD>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>', ...BARS.map((r) => ['EURUSD', r[0]!.replace(/\./g, ''), r[1]!.replace(/:/g, ''), ...r.slice(2, 7)].join(','))].join('\n')),
  'dukascopy.csv': Buffer.from(['Gmt time,Open,High,Low,Close,Volume', ...BARS.map((r) => [`${r[0]!.split('.').reverse().join('.')} ${r[1]}.000`, ...r.slice(2, 7)].join(','))].join('\n')),
};

const read = (name: string) => parseBars(readFileSync(`${DIR}/${name}`), `${DIR}/${name}`);
const expectBars = (s: BarSeries, o: { volume?: boolean; spread?: boolean } = {}) => {
  expect(s.length).toBe(3);
  expect(Array.from(s.time)).toEqual(EPOCH);
  expect(Array.from(s.open)).toEqual([1.12525, 1.1269, 1.12628]);
  expect(Array.from(s.high)).toEqual([1.12851, 1.1276, 1.127]);
  expect(Array.from(s.low)).toEqual([1.12514, 1.12574, 1.126]);
  expect(Array.from(s.close)).toEqual([1.12686, 1.12628, 1.1265]);
  if (o.volume !== false) expect(Array.from(s.tickVolume)).toEqual([9915, 7985, 5000]);
  if (o.spread) expect(Array.from(s.spread)).toEqual([12, 11, 10]);
  expect(s.periodSec).toBe(3600);
};

beforeAll(() => {
  mkdirSync(DIR, { recursive: true });
  for (const [name, bytes] of Object.entries(FIXTURES)) writeFileSync(`${DIR}/${name}`, bytes);
});

describe('bar files as traders have them', () => {
  it('MT5 "Export bars", tab-separated with CRLF and comma-separated', () => {
    const t = read('mt5-export-tab.csv');
    expectBars(t, { spread: true });
    expect(t.layout).toBe('mt5-export');
    expect(t.format).toMatchObject({ separator: 'tab', header: true, encoding: 'utf-8' });
    expectBars(read('mt5-export-comma.csv'), { spread: true });
  });

  it('MT5 copy_rates with epoch seconds', () => {
    const s = read('copy-rates.csv');
    expectBars(s, { spread: true });
    expect(s.layout).toBe('mt5-copy-rates');
    expect(s.timeText[0]).toBe('1550239200');
  });

  it('MT4 History Center export without a header', () => {
    const s = read('mt4-history-center.csv');
    expectBars(s);
    expect(s.layout).toBe('mt4-headerless');
    expect(s.format).toMatchObject({ header: false, columns: ['Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume'] });
    expect(s.timeText[1]).toBe('2019.02.15 15:00');
  });

  it('one DateTime column (DateTime,Open,High,Low,Close,TickVolume,Spread)', () => {
    const s = read('datetime.csv');
    expectBars(s, { spread: true });
    expect(s.layout).toBe('datetime');
  });

  it('columns found by name in any order, quoted, ISO time with T', () => {
    const s = read('reordered.csv');
    expectBars(s);
    expect(s.layout).toBe('datetime');
  });

  it('semicolons with decimal commas', () => {
    const s = read('semicolon-decimal-comma.csv');
    expectBars(s);
    expect(s.format).toMatchObject({ separator: ';', decimalComma: true });
  });

  it('UTF-8 with a BOM and UTF-16LE ("Unicode text"), from bytes and from a string', () => {
    expectBars(read('utf8-bom.csv'));
    expect(read('utf8-bom.csv').format!.encoding).toBe('utf-8 with BOM');
    const u = read('utf16le.csv');
    expectBars(u, { spread: true });
    expect(u.format!.encoding).toBe('utf-16le');
    // the same file read as UTF-8 text (as readFileSync(f, 'utf8') would) still parses
    expectBars(parseBars(readFileSync(`${DIR}/utf16le.csv`, 'utf8'), 'u16'), { spread: true });
  });

  it('HistData (YYYYMMDD HHMMSS;…) and Dukascopy (DD.MM.YYYY HH:MM:SS.000) exports', () => {
    expectBars(read('histdata.csv'));
    expectBars(read('dukascopy.csv'));
  });

  it('parses prices to the same doubles as Number()', () => {
    const vals = ['1.08603', '0.1', '2064.98', '109.123', '1.2345678901234', '1.23456789012345678', '3e-5', '100'];
    const text = ['time,open,high,low,close', ...vals.map((v, i) => `${1550239200 + i * 60},${v},${v},${v},${v}`)].join('\n');
    const s = parseBars(text);
    expect(Array.from(s.open)).toEqual(vals.map(Number));
  });

  it('reports gaps inside the week, not weekends', () => {
    const rows = ['time,open,high,low,close'];
    const t0 = 1550239200; // Friday 2019-02-15 14:00
    const times = [t0, t0 + 3600, t0 + 7200, t0 + 3 * 86400, t0 + 3 * 86400 + 3600, t0 + 3 * 86400 + 6 * 3600];
    for (const t of times) rows.push(`${t},1.1,1.2,1.0,1.1`);
    const s = parseBars(rows.join('\n'), 'g.csv');
    expect(s.gaps).toEqual({ count: 1, missingBars: 4, weekends: 1, largest: [{ from: t0 + 3 * 86400 + 3600, to: t0 + 3 * 86400 + 6 * 3600, missing: 4 }] });
  });

  it('a duplicate bar is an error naming both lines', () => {
    const text = ['Date,Time,Open,High,Low,Close,Volume', '2019.02.15,14:00,1.1,1.2,1.0,1.1,5', '2019.02.15,14:00,1.1,1.2,1.0,1.1,5'].join('\n');
    expect(() => parseBars(text, 'dup.csv')).toThrow("dup.csv:3: Date: time 2019.02.15 14:00 is not after the previous bar's 2019.02.15 14:00 (line 2)");
  });

  it('an unknown layout says what it saw and what it expects, with file and line', () => {
    let e: DataError | undefined;
    try {
      parseBars('\nSymbol;Bid;Ask\nEURUSD;1.1;1.2\n', 'quotes.csv');
    } catch (x) {
      e = x as DataError;
    }
    expect(e).toBeInstanceOf(DataError);
    expect(e!.problems[0]!.line).toBe(2);
    expect(e!.message).toMatch(/^quotes.csv:2: unrecognised header 'Symbol;Bid;Ask': expected one of: .* Saw 3 column\(s\) separated by ';' named Symbol, Bid, Ask: no column for a time .*, Open, High, Low, Close; not recognised: Bid, Ask$/);
    expect(() => parseBars('EURUSD 1.1 1.2\n', 'q2.csv')).toThrow(/q2.csv:1: unrecognised header/);
    expect(() => parseBars('2019.02.15,14:00,1.1,1.2\n', 'short.csv')).toThrow(/short.csv:1: unrecognised first line .* 4 fields/);
    expect(() => parseBars('', 'empty.csv')).toThrow(/empty.csv:1: the file is empty/);
  });

  it('reads a file whose lines end in CR alone, whole and a chunk at a time', () => {
    expectBars(read('mac-cr.csv'));
    expectBars(read('mac-cr-headerless.csv'));
    for (const name of ['mac-cr.csv', 'mac-cr-headerless.csv']) {
      expectBars(loadBarFile(`${DIR}/${name}`, { cache: false }));
      // the chunked reader hands a CR-only file to the whole-file reader, even when a chunk holds all of it
      const bytes = readFileSync(`${DIR}/${name}`);
      for (const chunk of [16, 1 << 20]) {
        let at = 0;
        expect(parseBarChunks((into) => {
          const n = Math.min(into.length, bytes.length - at);
          bytes.copy(into, 0, at, at + n);
          at += n;
          return n;
        }, bytes.length, name, chunk)).toBeUndefined();
      }
    }
  });

  it('a header whose date column is not recognised says which column, once, not that every bar has no date', () => {
    let e: DataError | undefined;
    try {
      read('ticker-dtyyyymmdd.csv');
    } catch (x) {
      e = x as DataError;
    }
    expect(e).toBeInstanceOf(DataError);
    expect(e!.problems).toHaveLength(1);
    expect(e!.message).toMatch(/^tests\/fixtures\/bars\/ticker-dtyyyymmdd.csv:1: the header's <TIME> column holds times of day \('140000'\) and no column is recognised as the date: not recognised '<DTYYYYMMDD>'\. Name the date column Date/);
  });

  it('keeps the times the layout writes (timeText) and the MT5 formatting', () => {
    const s = read('mt5-export-tab.csv');
    expect(s.timeText).toEqual(['2019.02.15 14:00:00', '2019.02.15 15:00:00', '2019.02.15 16:00:00']);
    expect(formatServerTime(s.time[2]!)).toBe('2019.02.15 16:00');
  });
});
