import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars, type BarSeries } from '../../src/engine/bars.js';
import { barAt, computeIndicators, parseIndicatorSpec } from '../../src/engine/indicator-spec.js';
import type { BarIn } from '../../src/engine/indicators.js';
import { runIndicatorsCommand } from '../../src/cli/indicators.js';
import * as naive from './naive-indicators.js';

const eurusd = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 3000);
const xauusd = parseBars(readFileSync('data/XAUUSD_M15_2024Q1.csv', 'utf8'));

/** |a − b| ≤ 1e-9 · max(|a|, |b|) (+1e-12 absolute for values at zero); NaN only where the other is NaN. */
function expectClose(got: Float64Array, want: number[], label: string): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    if (Number.isNaN(b) || Number.isNaN(a)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) throw new Error(`${label}[${i}]: got ${a}, want ${b}`);
      continue;
    }
    if (Math.abs(a - b) > 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 1e-12) throw new Error(`${label}[${i}]: got ${a}, want ${b}`);
  }
}

function run(s: BarSeries, spec: string): Record<string, Float64Array> {
  const { keys, columns } = computeIndicators(s, [parseIndicatorSpec(spec)]);
  return Object.fromEntries(keys.map((k, i) => [k === spec ? 'v' : k.slice(spec.length + 1), columns[i]!]));
}

const cases: [string, (s: BarSeries) => Record<string, number[]>][] = [
  ['sma:20', (s) => ({ v: naive.sma(naive.price(s, 'close'), 20) })],
  ['ema:21', (s) => ({ v: naive.ema(naive.price(s, 'close'), 21) })],
  ['smma:13@median', (s) => ({ v: naive.smma(naive.price(s, 'median'), 13) })],
  ['lwma:10@weighted', (s) => ({ v: naive.lwma(naive.price(s, 'weighted'), 10) })],
  ['rsi:14', (s) => ({ v: naive.rsi(naive.price(s, 'close'), 14) })],
  ['rsi:7@typical', (s) => ({ v: naive.rsi(naive.price(s, 'typical'), 7) })],
  ['macd:12,26,9', (s) => naive.macd(naive.price(s, 'close'), 12, 26, 9)],
  ['bb:20,2', (s) => naive.bb(naive.price(s, 'close'), 20, 2)],
  ['bb:10,2.5@open', (s) => naive.bb(naive.price(s, 'open'), 10, 2.5)],
  ['stoch:5,3,3', (s) => naive.stoch(s, 5, 3, 3)],
  ['stoch:14,3,5', (s) => naive.stoch(s, 14, 3, 5)],
  ['stoch:5,3,3,ema,closeclose', (s) => naive.stoch(s, 5, 3, 3, 'ema', 'closeclose')],
  ['stoch:8,4,2,lwma', (s) => naive.stoch(s, 8, 4, 2, 'lwma')],
  ['stoch:5,3,3,smma', (s) => naive.stoch(s, 5, 3, 3, 'smma')],
  ['atr:14', (s) => ({ v: naive.atr(s, 14) })],
  ['adx:14', (s) => naive.adx(s, 14)],
  ['adxw:14', (s) => naive.adxw(s, 14)],
  ['cci:14', (s) => ({ v: naive.cci(naive.price(s, 'typical'), 14) })],
  ['cci:20@close', (s) => ({ v: naive.cci(naive.price(s, 'close'), 20) })],
  ['wpr:14', (s) => ({ v: naive.wpr(s, 14) })],
  ['ichimoku:9,26,52', (s) => naive.ichimoku(s, 9, 26, 52)],
  ['obv', (s) => ({ v: naive.obv(s) })],
  ['momentum:14', (s) => ({ v: naive.momentum(naive.price(s, 'close'), 14) })],
  ['roc:12', (s) => ({ v: naive.roc(naive.price(s, 'close'), 12) })],
  ['sar:0.02,0.2', (s) => ({ v: naive.sar(s, 0.02, 0.2) })],
  ['demarker:14', (s) => ({ v: naive.demarker(s, 14) })],
  ['vwap:day', (s) => ({ v: naive.vwapDay(s) })],
  ['volume_ma:20', (s) => ({ v: naive.sma(Array.from(s.tickVolume), 20) })],
];

describe('indicators equal an independent naive implementation of the MT5 formulas (1e-9 relative)', () => {
  for (const [spec, ref] of cases) {
    it(`${spec} on EURUSD H1 (3,000 bars) and XAUUSD M15 (5,864 bars)`, () => {
      for (const [name, s] of [['EURUSD', eurusd], ['XAUUSD', xauusd]] as const) {
        const got = run(s, spec);
        const want = ref(s);
        expect(Object.keys(got).sort(), spec).toEqual(Object.keys(want).sort());
        for (const k of Object.keys(want)) expectClose(got[k]!, want[k]!, `${name} ${spec}.${k}`);
      }
    });
  }
});

describe('indicators reproduce published vectors that coincide with MT5 (Tulip Indicators test set, 3 decimals)', () => {
  const H = [82.15, 81.89, 83.03, 83.3, 83.85, 83.9, 83.33, 84.3, 84.84, 85, 85.9, 86.58, 86.98, 88, 87.87];
  const L = [81.29, 80.64, 81.31, 82.65, 83.07, 83.11, 82.49, 82.3, 84.15, 84.11, 84.03, 85.39, 85.76, 87.17, 87.01];
  const C = [81.59, 81.06, 82.87, 83, 83.61, 83.15, 82.84, 83.99, 84.55, 84.36, 85.53, 86.54, 86.89, 87.77, 87.29];
  const V = [5653100, 6447400, 7690900, 3831400, 4455100, 3798000, 3936200, 4732000, 4841300, 3915300, 6830800, 6694100, 5293600, 7985800, 4807900];
  const text = ['time,open,high,low,close,tick_volume,spread,real_volume', ...C.map((c, i) => `${1704067200 + i * 86400},${c},${Math.max(H[i]!, c)},${Math.min(L[i]!, c)},${c},${V[i]},0,0`)].join('\n');
  const s = parseBars(text);
  const tail = (spec: string, buf = 'v', from = 0) => Array.from(run(s, spec)[buf]!).slice(from).map((x) => Math.round(x * 1000) / 1000);
  it('EMA(5) from bar 0 (values exist before draw-begin; drawn from bar 4)', () => {
    expect(tail('ema:5', 'v', 4)).toEqual([82.714, 82.859, 82.853, 83.232, 83.671, 83.901, 84.444, 85.143, 85.725, 86.407, 86.701]);
  });
  it('SMA(5), LWMA(5) = Tulip wma, SMMA(5) = Tulip wilders', () => {
    expect(tail('sma:5', 'v', 4)).toEqual([82.426, 82.738, 83.094, 83.318, 83.628, 83.778, 84.254, 84.994, 85.574, 86.218, 86.804]);
    expect(tail('lwma:5', 'v', 4)).toEqual([82.825, 83.066, 83.1, 83.399, 83.809, 84.053, 84.637, 85.399, 86.031, 86.763, 87.121]);
    expect(tail('smma:5', 'v', 4)).toEqual([82.426, 82.571, 82.625, 82.898, 83.228, 83.455, 83.87, 84.404, 84.901, 85.475, 85.838]);
  });
  it('RSI(5) from bar 5', () => {
    expect(tail('rsi:5', 'v', 5)).toEqual([72.034, 64.927, 75.936, 79.796, 74.713, 83.033, 87.478, 88.755, 91.483, 78.498]);
  });
  it('Bollinger(5,2) from bar 5 (MT5 draws nothing at bar 4, where Tulip has σ > 0)', () => {
    expect(tail('bb:5,2', 'upper', 5)).toEqual([84.489, 83.655, 84.164, 84.838, 85.121, 85.997, 86.845, 87.612, 88.566, 88.319]);
    expect(tail('bb:5,2', 'lower', 5)).toEqual([80.987, 82.533, 82.472, 82.418, 82.435, 82.511, 83.143, 83.536, 83.87, 85.289]);
    expect(Number.isNaN(run(s, 'bb:5,2').upper![4])).toBe(true);
  });
  it('MACD(2,5,9) main line from bar 4', () => {
    expect(tail('macd:2,5,9', 'main', 4)).toEqual([0.618, 0.351, 0.111, 0.416, 0.578, 0.422, 0.684, 0.927, 0.891, 0.979, 0.621]);
  });
  it('CCI(5) from bar 8, %R(5) from bar 4, Parabolic SAR(0.2, 2) from bar 1', () => {
    expect(tail('cci:5', 'v', 8)).toEqual([166.667, 82.02, 95.501, 130.912, 99.163, 116.342, 71.928]);
    expect(tail('wpr:5', 'v', 4)).toEqual([-7.477, -23.006, -40.927, -15.5, -11.417, -23.704, -10.278, -0.935, -3.051, -5.793, -17.884]);
    expect(tail('sar:0.2,2', 'v', 1)).toEqual([82.15, 80.64, 80.64, 81.31, 82.65, 83.9, 82.3, 82.3, 82.3, 83.92, 84.03, 84.03, 85.39, 85.76]);
  });
  it('OBV equals Tulip plus the first bar volume (MT5 starts at volume[0])', () => {
    const tulip = [0, -6447400, 1243500, 5074900, 9530000, 5732000, 1795800, 6527800, 11369100, 7453800, 14284600, 20978700, 26272300, 34258100, 29450200];
    expect(Array.from(run(s, 'obv').v!)).toEqual(tulip.map((x) => x + V[0]!));
  });
});

describe('streaming', () => {
  const specs = ['ema:9', 'sma:5', 'lwma:4', 'smma:6', 'rsi:5', 'macd:3,6,4', 'bb:5,2', 'stoch:5,3,3', 'atr:5', 'adx:5', 'adxw:5', 'cci:5', 'wpr:5', 'ichimoku:3,5,9', 'obv', 'momentum:4', 'roc:4', 'sar', 'demarker:5', 'vwap', 'volume_ma:4'];
  const bars = (s: BarSeries) => Array.from({ length: s.length }, (_, i) => barAt(s, i, {} as BarIn));
  const data = bars(sliceBars(eurusd, 0, 300));

  it('peek(bar) gives exactly what push(bar) then gives, and never changes the closed bars (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...specs), fc.array(fc.record({ at: fc.nat(299), dh: fc.double({ min: 0, max: 0.002, noNaN: true }), dl: fc.double({ min: 0, max: 0.002, noNaN: true }), dc: fc.double({ min: -0.001, max: 0.001, noNaN: true }) }), { maxLength: 20 }), (spec, forming) => {
        const clean = parseIndicatorSpec(spec).make();
        const peeked = parseIndicatorSpec(spec).make();
        const buf = new Float64Array(clean.buffers.length);
        for (let i = 0; i < data.length; i++) {
          for (const f of forming.filter((x) => x.at === i)) {
            // a forming bar that ticked around before closing
            const b = data[i]!;
            peeked.peek({ ...b, high: b.high + f.dh, low: b.low - f.dl, close: b.close + f.dc }, buf);
          }
          peeked.peek(data[i]!, buf);
          clean.push(data[i]!);
          peeked.push(data[i]!);
          for (let k = 0; k < buf.length; k++) {
            // SAR is the exception, as in MT5: the forming bar shows a projection that the close revises
            if (spec !== 'sar') expect(Object.is(buf[k], clean.out[k]) || buf[k] === clean.out[k], `${spec} bar ${i} buffer ${k}: peek ${buf[k]} vs push ${clean.out[k]}`).toBe(true);
            expect(Object.is(peeked.out[k], clean.out[k]) || peeked.out[k] === clean.out[k]).toBe(true);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('the forming bar of Parabolic SAR shows the projection from the last closed bar, as MT5 does', () => {
    const sar = parseIndicatorSpec('sar').make();
    data.slice(0, 50).forEach((b) => sar.push(b));
    const out = new Float64Array(1);
    sar.peek({ ...data[50]!, high: 99, low: 0.1 }, out); // whatever the forming bar does
    const again = new Float64Array(1);
    sar.peek(data[50]!, again);
    expect(out[0]).toBe(again[0]);
  });
});

describe('indicator specs and the indicators command', () => {
  it('parses specs with MT5 defaults and explains bad ones', () => {
    expect(parseIndicatorSpec('macd').params).toEqual([12, 26, 9]);
    expect(parseIndicatorSpec('bb:20,2@typical')).toMatchObject({ name: 'bb', params: [20, 2], price: 'typical' });
    expect(parseIndicatorSpec('stoch').buffers).toEqual(['main', 'signal']);
    expect(() => parseIndicatorSpec('emma:5')).toThrow(/unknown indicator 'emma' in 'emma:5' — did you mean 'ema'\?/);
    expect(() => parseIndicatorSpec('ema:0')).toThrow(/period must be a whole number ≥ 1, got '0'/);
    expect(() => parseIndicatorSpec('ema:5,6')).toThrow(/at most 1 \(period\), got 2/);
    expect(() => parseIndicatorSpec('atr:14@close')).toThrow(/takes no applied price/);
    expect(() => parseIndicatorSpec('rsi:14@typcal')).toThrow(/did you mean 'typical'/);
  });

  it('writes JSON with time and one key per buffer, null in warm-up', () => {
    let out = '';
    const code = runIndicatorsCommand(['data/EURUSD_H1_2019.csv'], ['ema:5', 'macd'], 'json', (t) => (out += t), () => undefined);
    expect(code).toBe(0);
    const o = JSON.parse(out);
    expect(Object.keys(o)).toEqual(['time', 'ema:5', 'macd.main', 'macd.signal']);
    expect(o.time[0]).toBe('2019-02-15 14:00:00');
    expect(o.time.length).toBe(3728);
    expect(o['ema:5'].slice(0, 5).map((v: number | null) => v === null)).toEqual([true, true, true, true, false]);
    expect(o['macd.main'][0]).toBe(0);
    expect(o['macd.signal'][7]).toBeNull();
  });

  it('writes CSV with the same columns, and names the file and line of bad data', () => {
    let out = '', err = '';
    expect(runIndicatorsCommand(['data/XAUUSD_M15_2024Q1.csv'], ['atr'], 'csv', (t) => (out += t), (t) => (err += t))).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('time,atr');
    expect(lines[1]).toBe('2024-01-02 01:00:00,');
    expect(lines.length).toBe(5865);
    expect(runIndicatorsCommand(['tests/does-not-exist.csv'], ['atr'], 'csv', () => undefined, (t) => (err += t))).toBe(1);
    expect(err).toMatch(/cannot read tests\/does-not-exist.csv/);
    expect(runIndicatorsCommand(['data/README.md'], ['atr'], 'csv', () => undefined, (t) => (err += t))).toBe(1);
    expect(err).toMatch(/data\/README.md:1: unrecognised header/);
  });
});
