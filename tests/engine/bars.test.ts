import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataError, formatServerTime, parseBars } from '../../src/engine/bars.js';

const read = (f: string) => readFileSync(`data/${f}`, 'utf8');

describe('bar file loading', () => {
  it('reads the MT5 "Export bars" comma layout (EURUSD H1 2015-2022), close mapped by position', () => {
    const s = parseBars(read('EURUSD_H1_2015-2022.csv'), 'EURUSD_H1_2015-2022.csv');
    expect(s.layout).toBe('mt5-export');
    expect(s.length).toBe(45_779);
    expect(s.periodSec).toBe(3600);
    expect(formatServerTime(s.time[0]!)).toBe('2015.03.09 14:00');
    expect([s.open[0], s.high[0], s.low[0], s.close[0], s.tickVolume[0], s.spread[0]]).toEqual([1.08603, 1.08681, 1.0846, 1.08578, 4992, 10]);
    expect(s.timeText[0]).toBe('2015.03.09 14:00:00');
  });

  it('reads the native tab-separated MT5 export', () => {
    const lines = read('EURUSD_H1_2015-2022.csv').split('\n').slice(0, 50);
    lines[0] = '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>';
    const tab = lines.map((l, i) => (i === 0 ? l : l.replace(/,/g, '\t'))).join('\r\n');
    const s = parseBars(tab, 'tab.csv');
    expect(s.length).toBe(49);
    expect(s.close[0]).toBe(1.08578);
  });

  it('reads the copy_rates epoch layout (XAUUSD M15) and the MT4 layout (EURUSD H1 2019)', () => {
    const x = parseBars(read('XAUUSD_M15_2024Q1.csv'));
    expect(x.layout).toBe('mt5-copy-rates');
    expect(x.length).toBe(5864);
    expect(x.periodSec).toBe(900);
    expect(x.time[0]).toBe(1704157200);
    expect(x.spread[0]).toBe(20);
    const m = parseBars(read('EURUSD_H1_2019.csv'));
    expect(m.layout).toBe('mt4');
    expect(m.length).toBe(3728);
    expect(formatServerTime(m.time[0]!)).toBe('2019.02.15 14:00');
    expect(m.spread[0]).toBe(0); // not recorded
  });

  it('reports every malformed line with file, line and field, and returns nothing', () => {
    const text = [
      'Date,Time,Open,High,Low,Close,Volume',
      '2019.02.15,14:00,1.12525,1.12851,1.12514,1.12686,9915',
      '2019.02.15,15:00,1.1269,abc,1.12574,1.12628,7985',
      '2019.02.31,16:00,1.1269,1.13,1.12574,1.12628,7985',
      '2019.02.15,17:00,1.1269,1.12,1.12574,1.12628,7985',
      '2019.02.15,14:00,1.1269,1.13,1.12574,1.12628,7985',
      '2019.02.15,18:00,1.1269',
    ].join('\n');
    let err: DataError | undefined;
    try {
      parseBars(text, 'bad.csv');
    } catch (e) {
      err = e as DataError;
    }
    expect(err).toBeInstanceOf(DataError);
    expect(err!.problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 7]);
    expect(err!.message).toContain("bad.csv:3: High: 'abc' is not a number");
    expect(err!.message).toContain("bad.csv:4: Date: '2019.02.31' is not a valid date");
    expect(err!.message).toContain('bad.csv:5: High: high 1.12 is below open/close/low');
    expect(err!.message).toContain('bad.csv:6: Date: time 2019.02.15 14:00 is not after');
    expect(err!.message).toContain('bad.csv:7: expected 7 fields');
  });

  it('names the column of a price that is not above 0, with its value (every other problem names its column)', () => {
    const head = 'Date,Time,Open,High,Low,Close,Volume';
    const text = [head, '2019.02.15,14:00,-1.1,1.13,1.12,1.125,5', '2019.02.15,15:00,1.12,1.13,0,1.125,5', '2019.02.15,16:00,1.12,1.13,1.11,0,5'].join('\n');
    let err: DataError | undefined;
    try {
      parseBars(text, 'zero.csv');
    } catch (e) {
      err = e as DataError;
    }
    expect(err!.problems).toEqual([
      { line: 2, field: 'Open', message: 'open -1.1 is not above 0: prices must be positive' },
      { line: 3, field: 'Low', message: 'low 0 is not above 0: prices must be positive' },
      { line: 4, field: 'Close', message: 'close 0 is not above 0: prices must be positive' },
    ]);
    expect(err!.message).toContain('zero.csv:3: Low: low 0 is not above 0');
  });

  it('names the accepted layouts when the header is unknown', () => {
    expect(() => parseBars('a;b;c\n1;2;3', 'x.csv')).toThrow(/x.csv:1: unrecognised header 'a;b;c': expected one of: MT5 "Export bars"/);
    expect(() => parseBars('time,open,high,low,close,tick_volume,spread,real_volume\n', 'e.csv')).toThrow(/no bars/);
  });

  it('says that comma-separated prices quoted with decimal commas are not read, with or without a header (not a high below its low)', () => {
    const rows = '2024.01.02,00:00,"1,10450","1,10500","1,10400","1,10480",100\n2024.01.02,01:00,"1,10480","1,10550","1,10450","1,10520",120\n';
    const quoted = /decimal commas in quotes \("1,10450"\) between commas: quoted fields are not read\. Export the bars with ';' or tabs/;
    expect(() => parseBars('Date,Time,Open,High,Low,Close,Volume\n\n' + rows, 'q.csv')).toThrow(/^q\.csv:3: the prices are written/);
    expect(() => parseBars('Date,Time,Open,High,Low,Close,Volume\n' + rows, 'q.csv')).toThrow(quoted);
    expect(() => parseBars(rows, 'q.csv')).toThrow(/^q\.csv:1: the prices are written/);
    // the same bars with ';' between the fields are read, decimal commas and quotes alike
    const semi = parseBars('Date;Time;Open;High;Low;Close;Volume\n' + rows.replace(/","/g, ';').replace(/,"/g, ';').replace(/",/g, ';').replace(/,(\d\d:)/g, ';$1'), 's.csv');
    expect([semi.length, semi.close[1]]).toEqual([2, 1.1052]);
  });
});
