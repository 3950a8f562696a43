import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BarAggregator, aggregateSeries } from '../../src/engine/aggregate.js';
import { parseBars, sliceBars, type BarSeries } from '../../src/engine/bars.js';
import { SESSIONS, correlationFilter, openSessions, pearson, sessionFilter, spreadFilter, volatilityFilter } from '../../src/engine/filters.js';
import { brokerZoneFromOffset, serverToUtc, zoneOffsetSec } from '../../src/engine/time/broker-time.js';
import { barAt } from '../../src/engine/indicator-spec.js';
import { Obv, VolumeMa, type BarIn } from '../../src/engine/indicators.js';
import { SeriesBar } from '../../src/engine/strategy/tf-store.js';
import { COLUMN_BLOCK, StrategyEvaluator, formatTrace, type ConditionTrace } from '../../src/engine/strategy/evaluator.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import * as naive from './naive-indicators.js';

const eurusd = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 2000);
const bars = (s: BarSeries): BarIn[] => Array.from({ length: s.length }, (_, i) => barAt(s, i, {} as BarIn));
const strat = (entry: object, timeframe = 'H1', options: object = {}) =>
  normalizeStrategy({ strategyId: 't', symbol: 'EURUSD', timeframe, rules: { entry, riskManagement: { lotSize: 0.1 }, options } });

describe('condition evaluation', () => {
  it('crosses are judged on the last two closed bars and match an independent computation', () => {
    const s = strat({ direction: 'BUY', conditions: [{ indicator: 'ema_5', condition: 'crosses_above', indicatorRef: 'ema_20' }] });
    const ev = new StrategyEvaluator(s);
    const c = naive.price(eurusd, 'close');
    const f = naive.ema(c, 5), sl = naive.ema(c, 20);
    const want: number[] = [], got: number[] = [];
    bars(eurusd).forEach((b, i) => {
      ev.pushBar('H1', b);
      if (ev.evaluate(b.time + 3600).signal === 'BUY') got.push(i);
      if (i > 0 && f[i - 1]! <= sl[i - 1]! && f[i]! > sl[i]!) want.push(i);
    });
    expect(want.length).toBeGreaterThan(20);
    expect(got).toEqual(want);
  });

  it('the trace-free path (backtests) gives exactly the traced results, for every example strategy', () => {
    const data = bars(sliceBars(eurusd, 0, 3000));
    for (const f of ['ema-cross-trend', 'rsi-bollinger-reversion', 'macd-h4-confirmation', 'stoch-williams-fade', 'vwap-volume-breakout']) {
      const s = normalizeStrategy(JSON.parse(readFileSync(`examples/${f}.json`, 'utf8')));
      const ev = new StrategyEvaluator(s);
      const agg = s.timeframes.length > 1 ? new BarAggregator(s.timeframes[1]!, 3600) : undefined;
      let signals = 0;
      for (const b of data) {
        ev.pushBar(s.timeframe, b);
        if (agg) for (const h of agg.push(b)) ev.pushBar(s.timeframes[1]!, h);
        const T = b.time + 3600;
        const full = ev.evaluate(T), fast = ev.evaluateFast(T);
        expect([fast.signal, fast.conflict, fast.exit?.result], `${f} at ${T}`).toEqual([full.signal, full.conflict, full.exit?.result]);
        if (full.signal) signals++;
      }
      expect(signals, f).toBeGreaterThan(0);
    }
  });

  it('column mode (backtests) gives the bar-by-bar results: every single-timeframe example, prices, shifts and volume', () => {
    const series = sliceBars(eurusd, 0, 1500);
    const data = bars(series);
    const extra = strat({
      direction: 'BUY', logic: 'OR',
      conditions: [
        { indicator: 'typical', condition: 'crosses_above', indicatorRef: 'sma_10' },
        { logic: 'AND', conditions: [{ indicator: 'volume', condition: 'greater_than', value: 3000 }, { indicator: 'ichimoku_senkou_a', condition: 'less_than', indicatorRef: 'low' }] },
      ],
    });
    const strategies = ['ema-cross-trend', 'rsi-bollinger-reversion', 'stoch-williams-fade', 'vwap-volume-breakout', 'ichimoku-gold-breakout']
      .map((f) => normalizeStrategy({ ...JSON.parse(readFileSync(`examples/${f}.json`, 'utf8')), symbol: 'EURUSD', timeframe: 'H1' }));
    for (const s of [...strategies, extra]) {
      const byBar = new StrategyEvaluator(s), cols = new StrategyEvaluator(s);
      cols.useColumns('H1', series);
      let signals = 0;
      data.forEach((b, i) => {
        byBar.pushBar('H1', b);
        cols.pushBar('H1', b); // moves the cursor (and checks the bar is the series' next)
        const T = b.time + 3600;
        const want = byBar.evaluateFast(T);
        const got = cols.evaluationOf(T, cols.bitsAt(i));
        expect(got, `${s.id} bar ${i}`).toEqual(want);
        expect(cols.evaluateFast(T), `${s.id} bar ${i}`).toEqual(want); // the getters read columns too
        expect(cols.value('H1', s.indicators[0]!.spec), `${s.id} bar ${i}`).toBe(byBar.value('H1', s.indicators[0]!.spec));
        // an exit rule set's result without a trace: one of two shared, frozen objects (not one a decision)
        for (const x of [got.exit, got.exitShort, want.exit, want.exitShort]) if (x) expect(Object.isFrozen(x) && Object.isFrozen(x.children)).toBe(true);
        if (want.signal) signals++;
      });
      expect(signals, s.id).toBeGreaterThan(0);
    }
    // every operator on made-up closes that touch the levels exactly (a cross from equal, a range edge)
    const closes = [1, 1.5, 1.5, 2, 1.5, 1, 1.5, 3, 3, 0.4];
    const made: BarSeries = { ...series, length: closes.length, time: Float64Array.from(closes, (_, i) => i * 3600), open: Float64Array.from(closes, (_, i) => closes[Math.max(0, i - 1)]!), high: Float64Array.from(closes, (c) => c + 0.5), low: Float64Array.from(closes, (c) => c - 0.5), close: Float64Array.from(closes), tickVolume: new Float64Array(closes.length).fill(1), spread: new Float64Array(closes.length), realVolume: new Float64Array(closes.length) };
    for (const cond of [
      { indicator: 'close', condition: 'crosses_above', value: 1.5 }, { indicator: 'close', condition: 'crosses_below', value: 1.5 },
      { indicator: 'close', condition: 'greater_than', value: 1.5 }, { indicator: 'close', condition: 'less_than', value: 1.5 },
      { indicator: 'close', condition: 'equal', value: 3, tolerance: 0 }, { indicator: 'high', condition: 'in_range', value: [2, 3.5] },
      { indicator: 'low', condition: 'outside_range', min: 1, max: 2.5 }, { indicator: 'close', condition: 'crosses_above', indicatorRef: 'open' },
    ]) {
      const s = strat({ direction: 'BUY', conditions: [cond] });
      const byBar = new StrategyEvaluator(s), cols = new StrategyEvaluator(s);
      cols.useColumns('H1', made);
      const want: boolean[] = [], got: boolean[] = [];
      for (let i = 0; i < closes.length; i++) {
        byBar.pushBar('H1', barAt(made, i, {} as BarIn));
        want.push(byBar.evaluateFast(i * 3600 + 3600).signal === 'BUY');
        got.push((cols.bitsAt(i) & 1) === 1);
      }
      expect(got, cond.condition).toEqual(want);
      expect(want.some(Boolean), cond.condition).toBe(true);
    }
    expect(() => new StrategyEvaluator(extra).pushBar('H1', data[0]!)).not.toThrow();
    const c = new StrategyEvaluator(extra);
    c.useColumns('H1', series);
    expect(() => c.pushBar('H1', data[5]!)).toThrow(/column mode: bar .* pushed where the series has/);
  });

  it("column mode's bar is the series' row, its real volume read when an indicator asks for it", () => {
    const series = sliceBars(eurusd, 0, 300);
    series.realVolume = Float64Array.from({ length: series.length }, (_, i) => (i * 7919) % 1000);
    const row = new SeriesBar();
    row.series = series;
    const ma = new VolumeMa(5, 'real'), obv = new Obv('real'), wantMa = new VolumeMa(5, 'real'), wantObv = new Obv('real');
    for (let i = 0; i < series.length; i++) {
      const b = barAt(series, i, {} as BarIn);
      expect({ ...row.at(i), realVolume: row.realVolume }).toEqual({ ...b, i, series });
      ma.push(row);
      obv.push(row);
      wantMa.push(b);
      wantObv.push(b);
      expect([ma.out[0], obv.out[0]]).toEqual([wantMa.out[0], wantObv.out[0]]);
    }
    expect(wantObv.out[0]).not.toBe(0);
  });

  it('column mode across block edges: the same results at every bar, and bars read in order only', () => {
    // more than two blocks, with a shifted operand (Ichimoku's senkou span, 26 bars ahead) and crosses reaching back over each edge
    const series = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 2 * COLUMN_BLOCK + 700);
    const strategies = [
      strat({
        direction: 'BUY', logic: 'OR',
        conditions: [
          { indicator: 'typical', condition: 'crosses_above', indicatorRef: 'sma_10' },
          { indicator: 'ichimoku_senkou_a', condition: 'crosses_below', indicatorRef: 'close' },
          { indicator: 'ichimoku_senkou_b', condition: 'crosses_above', indicatorRef: 'median' },
          { logic: 'AND', conditions: [{ indicator: 'rsi', period: 14, condition: 'in_range', value: [30, 45] }, { indicator: 'volume', condition: 'greater_than', value: 2000 }] },
        ],
      }),
      normalizeStrategy({ ...JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8')), timeframe: 'H1' }),
    ];
    let edgeSignals = 0;
    // the real block size, and blocks of 7 bars (shorter than the 28 bars kept before each: many edges, every kind)
    for (const [s, block] of strategies.flatMap((s) => [[s, COLUMN_BLOCK], [s, 7]] as const)) {
      const byBar = new StrategyEvaluator(s), cols = new StrategyEvaluator(s);
      cols.useColumns('H1', series, block);
      for (let i = 0; i < series.length; i++) {
        const b = barAt(series, i, {} as BarIn);
        byBar.pushBar('H1', b);
        cols.pushBar('H1', b);
        const T = b.time + 3600;
        const want = byBar.evaluateFast(T);
        expect(cols.evaluationOf(T, cols.bitsAt(i)), `${s.id} bar ${i}`).toEqual(want);
        expect(cols.evaluateFast(T), `${s.id} bar ${i}`).toEqual(want);
        // the traces carry every operand's value, the bar before's for crosses, shifted ones: read from the windows
        expect(cols.evaluate(T), `${s.id} bar ${i}`).toEqual(byBar.evaluate(T));
        for (const ind of s.indicators) expect(cols.value('H1', ind.spec), `${s.id} ${ind.spec} bar ${i}`).toBe(byBar.value('H1', ind.spec));
        if (want.signal && block === COLUMN_BLOCK && i >= COLUMN_BLOCK && i % COLUMN_BLOCK < 30) edgeSignals++;
      }
      // the first block is gone: reading it again is an error, not a silent recomputation
      expect(() => cols.bitsAt(5)).toThrow(/in order: bar 5 is before the kept window/);
      expect(() => cols.bitsAt(series.length - 1 - (series.length - 1) % block - 1)).toThrow(/in order: bar \d+ is before the current block/);
    }
    expect(edgeSignals, 'signals within 30 bars after a block edge').toBeGreaterThan(0);
  });

  it('aggregateSeries gives the bars BarAggregator emits, at the bars it emits them, for any series with gaps', () => {
    const step = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 30 })); // hours to the next bar: mostly the next one
    const px = fc.double({ min: 0.5, max: 2, noNaN: true });
    const row = fc.tuple(step, px, px, px, px, fc.integer({ min: 0, max: 5000 }), fc.constantFrom(0, 0, 7, 1e9 + 0.1));
    fc.assert(
      fc.property(fc.array(row, { maxLength: 80 }), fc.integer({ min: 0, max: 23 }), fc.constantFrom('H4', 'D1', 'W1'), (rows, startHour, tf) => {
        let t = 1_700_000_000 - (1_700_000_000 % 86400) + startHour * 3600;
        const cols = { time: [] as number[], open: [] as number[], high: [] as number[], low: [] as number[], close: [] as number[], tickVolume: [] as number[], realVolume: [] as number[] };
        for (const [dt, o, h, l, c, v, r] of rows) {
          t += dt * 3600;
          cols.time.push(t); cols.open.push(o); cols.high.push(h); cols.low.push(l); cols.close.push(c); cols.tickVolume.push(v); cols.realVolume.push(r);
        }
        const f = (a: number[]) => Float64Array.from(a);
        const series: BarSeries = { ...eurusd, length: rows.length, time: f(cols.time), open: f(cols.open), high: f(cols.high), low: f(cols.low), close: f(cols.close), tickVolume: f(cols.tickVolume), realVolume: f(cols.realVolume), spread: new Float64Array(rows.length) };
        const agg = new BarAggregator(tf, 3600);
        const want: BarIn[] = [], at: number[] = [];
        for (let i = 0; i < rows.length; i++) for (const h of agg.push(barAt(series, i, {} as BarIn))) want.push({ ...h }), at.push(i);
        const got = aggregateSeries(series, tf, 3600)!;
        expect(got.series.length).toBe(want.length);
        expect([...got.emitAt]).toEqual(at);
        expect(Array.from({ length: want.length }, (_, j) => barAt(got.series, j, {} as BarIn))).toEqual(want);
      }),
    );
  });

  it('column mode with higher timeframes: the bar-by-bar results at every bar, across block edges and data gaps', () => {
    // the multi-timeframe example; crosses, shifts, an applied price and every operator on H4; D1 beside H4; an OR of both
    const series = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, COLUMN_BLOCK + 1200);
    const mtf = (id: string, entry: object) => normalizeStrategy({ strategyId: id, symbol: 'EURUSD', timeframe: 'H1', rules: { entry, riskManagement: { lotSize: 0.1 } } });
    const strategies = [
      normalizeStrategy(JSON.parse(readFileSync('examples/macd-h4-confirmation.json', 'utf8'))),
      mtf('h4-d1', {
        direction: 'BUY', logic: 'OR',
        conditions: [
          { indicator: 'ema_5', condition: 'crosses_above', indicatorRef: 'ema_10', timeframe: 'H4' },
          { indicator: 'typical', condition: 'crosses_below', indicatorRef: 'sma_8', timeframe: 'H4' },
          { indicator: 'ichimoku_senkou_a', condition: 'crosses_above', indicatorRef: 'close', timeframe: 'H4' },
          { logic: 'AND', conditions: [
            { indicator: 'rsi', period: 14, condition: 'in_range', value: [40, 60], timeframe: 'D1' },
            { indicator: 'close', condition: 'crosses_above', indicatorRef: 'sma_20' },
            { indicator: 'volume', condition: 'greater_than', value: 20000, timeframe: 'H4' },
          ] },
          { logic: 'AND', conditions: [
            { indicator: 'high', condition: 'outside_range', min: 1.05, max: 1.12, timeframe: 'D1' },
            { indicator: 'close', condition: 'less_than', value: 1.2, timeframe: 'H4' },
            { indicator: 'close', condition: 'crosses_below', value: 1.1, timeframe: 'H4' },
          ] },
        ],
      }),
    ];
    let higherSignals = 0;
    for (const [s, block] of strategies.flatMap((s) => [[s, COLUMN_BLOCK], [s, 7]] as const)) {
      const others = s.timeframes.filter((t) => t !== 'H1');
      expect(others.length, s.id).toBeGreaterThan(0);
      const byBar = new StrategyEvaluator(s), cols = new StrategyEvaluator(s);
      const aggs = others.map((t) => new BarAggregator(t, 3600)), colAggs = others.map((t) => new BarAggregator(t, 3600));
      cols.useColumns('H1', series, block, others.map((t) => aggregateSeries(series, t, 3600)!));
      const wants: ReturnType<StrategyEvaluator['evaluateFast']>[] = [];
      // blocks of 7: many edges in the first 1,500 bars (the real block: one edge, at 4,096)
      const len = block === COLUMN_BLOCK ? series.length : 1500;
      for (let i = 0; i < len; i++) {
        const b = barAt(series, i, {} as BarIn);
        byBar.pushBar('H1', b);
        aggs.forEach((a, k) => { for (const h of a.push(b)) byBar.pushBar(others[k]!, h); });
        cols.pushBar('H1', b);
        // the higher bars too: in column mode each push checks it is the next bar of that timeframe's series
        colAggs.forEach((a, k) => { for (const h of a.push(b)) cols.pushBar(others[k]!, h); });
        const T = b.time + 3600;
        const want = byBar.evaluateFast(T);
        wants.push(want);
        expect(cols.evaluationOf(T, cols.bitsAt(i)), `${s.id} bar ${i}`).toEqual(want);
        expect(cols.evaluateFast(T), `${s.id} bar ${i}`).toEqual(want);
        if (i % 11 === 0) expect(cols.evaluate(T), `${s.id} bar ${i}`).toEqual(byBar.evaluate(T));
        if (i % 3 === 0) for (const ind of s.indicators) expect(cols.value(ind.timeframe, ind.spec), `${s.id} ${ind.spec} bar ${i}`).toBe(byBar.value(ind.timeframe, ind.spec));
        if (want.signal) higherSignals++;
      }
      // seek (a backtest's decisions jump over bars) counts the higher bars completed by then: the getters see them
      const jumped = new StrategyEvaluator(s);
      jumped.useColumns('H1', series, block, others.map((t) => aggregateSeries(series, t, 3600)!));
      for (const i of [3, block + 3, 2 * block + 5, len - 1].filter((i) => i < len)) {
        jumped.seek('H1', i + 1);
        const T = series.time[i]! + 3600;
        expect(jumped.evaluationOf(T, jumped.bitsAt(i)), `${s.id} seek ${i}`).toEqual(wants[i]);
        expect(jumped.evaluateFast(T), `${s.id} seek ${i}`).toEqual(wants[i]);
      }
    }
    expect(higherSignals).toBeGreaterThan(50);
    // a series out of time order has no higher bars built at once (the runner keeps the bar-by-bar path)
    const shuffled = { ...series, time: Float64Array.from(series.time).reverse() };
    expect(aggregateSeries(shuffled, 'H4', 3600)).toBeUndefined();
    expect(() => new StrategyEvaluator(strategies[0]!).useColumns('H1', series)).toThrow(/each other one built from its bars/);
  });

  it('every operator, nested AND/OR, and a trace with each operand value', () => {
    const s = strat({
      direction: 'SELL', logic: 'OR',
      conditions: [
        { logic: 'AND', conditions: [{ indicator: 'close', condition: 'greater_than', value: 1.5 }, { indicator: 'close', condition: 'less_than', value: 2.5 }] },
        { logic: 'AND', conditions: [{ indicator: 'close', condition: 'equal', value: 3, tolerance: 0.01 }, { indicator: 'high', condition: 'in_range', value: [3, 4] }, { indicator: 'low', condition: 'outside_range', min: 3, max: 3.5 }] },
        { indicator: 'close', condition: 'crosses_below', value: 0.5 },
      ],
    });
    const ev = new StrategyEvaluator(s);
    const closes = [1, 2, 3.005, 1, 0.4];
    const sig: (string | null)[] = [];
    closes.forEach((c, i) => {
      ev.pushBar('H1', { time: i * 3600, open: c, high: c + 0.5, low: c - 0.5, close: c, tickVolume: 1, realVolume: 0 });
      sig.push(ev.evaluate(i * 3600 + 3600).signal);
    });
    // bar 1: 1.5<2<2.5; bar 2: close≈3 ±0.01, high 3.505 in [3,4], low 2.505 outside [3,3.5]; bar 4: crosses below 0.5
    expect(sig).toEqual([null, 'SELL', 'SELL', null, 'SELL']);
    const e = ev.evaluate(5 * 3600);
    const last = e.short!.children[2] as ConditionTrace;
    expect(last).toMatchObject({ left: 0.4, right: 0.5, leftPrev: 1, rightPrev: 0.5, result: true });
    expect(formatTrace(e.short!).join('\n')).toContain('+ close crosses_below 0.5 [H1]: 0.4 vs 0.5 (before: 1 vs 0.5)');
  });

  it('multi-timeframe conditions see only the last CLOSED higher bar: no look-ahead', () => {
    const s = strat({ direction: 'BUY', primary: [{ indicator: 'close', condition: 'greater_than', value: 0 }], confirmation: [{ indicator: 'ema_5', condition: 'greater_than', indicatorRef: 'ema_10', timeframe: 'H4' }] });
    const run = (data: BarIn[], until: number) => {
      const ev = new StrategyEvaluator(s);
      const agg = new BarAggregator('H4', 3600);
      const traces: unknown[] = [];
      data.forEach((b, i) => {
        ev.pushBar('H1', b);
        for (const h of agg.push(b)) ev.pushBar('H4', h);
        if (i < until) traces.push(ev.evaluate(b.time + 3600).long);
      });
      return traces;
    };
    const data = bars(eurusd);
    const k = 900;
    // the same history up to bar k, then a completely different future
    const future = data.map((b, i) => (i <= k ? b : { ...b, open: b.open * 1.3, high: b.high * 1.3, low: b.low * 1.3, close: b.close * 1.3 }));
    expect(run(future, k + 1)).toEqual(run(data, k + 1));
    // the H4 value used at T is the EMA of the H4 bars that closed by T
    const ev = new StrategyEvaluator(s);
    const agg = new BarAggregator('H4', 3600);
    const h4: BarIn[] = [];
    let t = 0;
    for (const b of data.slice(0, 400)) {
      ev.pushBar('H1', b);
      for (const h of agg.push(b)) {
        ev.pushBar('H4', h);
        h4.push(h);
      }
      t = b.time + 3600;
    }
    const closedBy = h4.filter((h) => h.time + 14400 <= t);
    const ema5 = naive.ema(closedBy.map((h) => h.close), 5);
    const conf = ev.evaluate(t).long!.children[1] as ConditionTrace;
    expect(conf.left).toBeCloseTo(ema5[ema5.length - 1]!, 12);
    // a higher bar pushed before it has closed is ignored at T
    const early = { ...data[400]!, time: Math.floor(data[400]!.time / 14400) * 14400, close: 99 };
    ev.pushBar('H4', early);
    expect((ev.evaluate(t).long!.children[1] as ConditionTrace).left).toBe(conf.left);
  });

  it('intrabar mode judges the forming bar against the last closed one; bar-close mode ignores it', () => {
    const entry = { direction: 'BUY', conditions: [{ indicator: 'close', condition: 'crosses_above', value: 2 }] };
    const closeMode = new StrategyEvaluator(strat(entry));
    const intra = new StrategyEvaluator(strat(entry, 'H1', { evaluation: 'intrabar' }));
    const b0 = { time: 0, open: 1, high: 1, low: 1, close: 1, tickVolume: 1, realVolume: 0 };
    closeMode.pushBar('H1', b0);
    intra.pushBar('H1', b0);
    const forming = { ...b0, time: 3600, close: 2.2, high: 2.2 };
    expect(closeMode.evaluate(3600 + 1800, forming).signal).toBeNull();
    expect(intra.evaluate(3600 + 1800, forming).signal).toBe('BUY');
    expect(intra.bars('H1')).toBe(1); // the forming bar was not committed
  });
});

describe('filters', () => {
  const T = (iso: string) => Date.parse(iso + 'Z') / 1000;
  it('maps broker time to UTC across DST (GMT+2 / GMT+3 with New York DST)', () => {
    expect(serverToUtc(T('2024-01-10T10:00:00'))).toBe(T('2024-01-10T08:00:00'));
    expect(serverToUtc(T('2024-07-10T10:00:00'))).toBe(T('2024-07-10T07:00:00'));
    expect(serverToUtc(T('2024-03-20T10:00:00'))).toBe(T('2024-03-20T07:00:00')); // US on DST, EU not yet
    expect(serverToUtc(T('2024-07-10T10:00:00'), { kind: 'fixed', offsetSec: 3 * 3600 })).toBe(T('2024-07-10T07:00:00'));
  });

  it("infers the broker's zone from the offset the terminal reports", () => {
    expect(brokerZoneFromOffset(3 * 3600, T('2024-07-10T10:00:00'))).toEqual({ kind: 'us-dst', standardOffsetSec: 7200 });
    expect(brokerZoneFromOffset(2 * 3600, T('2024-07-10T10:00:00'))).toEqual({ kind: 'fixed', offsetSec: 7200 }); // no DST
    expect(brokerZoneFromOffset(2 * 3600, T('2024-03-20T10:00:00'))).toEqual({ kind: 'eu-dst', standardOffsetSec: 7200 }); // US switched, EU not
    expect(brokerZoneFromOffset(3 * 3600, T('2024-03-20T10:00:00'))).toEqual({ kind: 'us-dst', standardOffsetSec: 7200 });
    expect(brokerZoneFromOffset(0, T('2024-07-10T10:00:00'))).toEqual({ kind: 'fixed', offsetSec: 0 });
  });

  it("gives every zone's UTC offset as Intl does, hour by hour through each DST change", () => {
    // the reference: Intl at the start of the hour, asked afresh every time (what zoneOffsetSec kept a cache of)
    const fmt = new Map<string, Intl.DateTimeFormat>();
    const intl = (zone: string, hour: number) => {
      if (!fmt.has(zone)) fmt.set(zone, new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }));
      const p = Object.fromEntries(fmt.get(zone)!.formatToParts(new Date(hour * 3_600_000)).map((x) => [x.type, x.value]));
      return Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) / 1000 - hour * 3600;
    };
    // the sessions' zones and the brokers' (New York, Berlin), a half-hour zone and one whose DST moves 30 minutes
    const zones = [...new Set([...Object.values(SESSIONS).map((s) => s.zone), 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe'])];
    let changes = 0, checked = 0;
    for (const zone of zones) {
      for (let y = 2014; y <= 2027; y++) {
        for (let m = 0; m < 12; m++) {
          const from = Date.UTC(y, m, 1) / 3_600_000, to = Date.UTC(y, m + 1, 1) / 3_600_000;
          const moves = intl(zone, from) !== intl(zone, to);
          // every hour of a month with a change (and its neighbours), every 13th hour of the others
          for (let h = from; h < to; h += moves ? 1 : 13) {
            const want = intl(zone, h);
            if (h > from && want !== intl(zone, h - 1)) changes++;
            // anywhere inside the hour: the offset of the hour's start, as before
            expect(zoneOffsetSec(zone, h * 3600 + (h % 3600))).toBe(want);
            checked++;
          }
        }
      }
    }
    // DST began and ended every year in Sydney, Lord Howe, London, Berlin and New York (not Tokyo, not Kolkata)
    expect(changes).toBe(5 * 14 * 2);
    expect(checked).toBeGreaterThan(100_000);
  });

  it('opens sessions in local time: London and New York move separately with their own DST', () => {
    expect(openSessions(T('2024-01-10T08:30:00'))).toContain('London'); // GMT
    expect(openSessions(T('2024-07-10T07:30:00'))).toContain('London'); // 08:30 BST
    expect(openSessions(T('2024-07-10T06:30:00'))).not.toContain('London');
    expect(openSessions(T('2024-01-10T12:30:00'))).not.toContain('NewYork'); // 07:30 EST
    expect(openSessions(T('2024-01-10T13:30:00'))).toContain('NewYork');
    expect(openSessions(T('2024-03-20T12:30:00'))).toContain('NewYork'); // 08:30 EDT: US switched, EU not
    expect(openSessions(T('2024-03-20T07:30:00'))).not.toContain('London'); // 07:30 GMT still
    expect(openSessions(T('2024-01-10T01:00:00'))).toEqual(expect.arrayContaining(['Tokyo', 'Sydney']));
    expect(openSessions(T('2024-01-13T10:00:00'))).toEqual([]); // Saturday
    const f = { sessions: ['London' as const], action: 'SKIP' as const, sizeMultiplier: 0.5 };
    // broker server time (GMT+3 in July): 09:30 = 06:30 UTC = 07:30 in London (closed); 10:30 = 08:30 in London (open)
    expect(sessionFilter(f, T('2024-07-10T09:30:00'))).toMatchObject({ pass: false, sizeMultiplier: 0 });
    const open = sessionFilter(f, T('2024-07-10T10:30:00'));
    expect(open.pass).toBe(true);
    expect(open.detail).toBe("2024-07-10 07:30 UTC: open Tokyo+London; allowed London"); // Tokyo is 16:30 local
  });

  it('spread, volatility and correlation', () => {
    expect(spreadFilter({ maxSpreadPips: 2, action: 'REDUCE_SIZE', sizeMultiplier: 0.5 }, 2.4)).toMatchObject({ pass: false, sizeMultiplier: 0.5 });
    expect(spreadFilter({ maxSpreadPips: 2, action: 'SKIP', sizeMultiplier: 0.5 }, 1.2)).toMatchObject({ pass: true, sizeMultiplier: 1 });
    const v = { atrPeriod: 14, minAtrPips: 5, maxAtrPips: 40, optimalAtrPips: 15, action: 'SKIP' as const, sizeMultiplier: 0.5 };
    expect(volatilityFilter(v, 3)).toMatchObject({ pass: false, sizeMultiplier: 0 });
    expect(volatilityFilter(v, 10)).toMatchObject({ pass: true, sizeMultiplier: 1 });
    expect(volatilityFilter(v, 30).sizeMultiplier).toBe(0.5);
    // EURUSD against its inverse (a USD/EUR quote): r ≈ −1 over real returns; against itself shifted by a day: weak
    const time = Array.from(eurusd.time), close = Array.from(eurusd.close);
    const closes = new Map([
      ['EURUSD', { time, close }],
      ['USDEUR', { time, close: close.map((c) => 1 / c) }],
      ['LAGGED', { time, close: close.map((_, i) => close[Math.max(0, i - 24)]!) }],
    ]);
    const f = { threshold: 0.8, window: 50, action: 'SKIP' as const, sizeMultiplier: 0.5 };
    const inv = correlationFilter(f, 'EURUSD', ['USDEUR'], closes);
    expect(inv.pass).toBe(false);
    expect(inv.detail).toMatch(/USDEUR r=-1\.00/);
    expect(correlationFilter(f, 'EURUSD', ['LAGGED'], closes).pass).toBe(true);
    expect(correlationFilter(f, 'EURUSD', [], closes).detail).toBe('no open positions on other symbols');
    // a window the series in common do not fill says over how many returns r was taken; a missing side is named
    const short = new Map([...closes, ['SHORT', { time: time.slice(-21), close: close.slice(-21).map((c) => 1 / c) }]]);
    expect(correlationFilter(f, 'EURUSD', ['SHORT', 'USDEUR'], short).detail).toBe('SHORT r=-1.00 over 20 of 50 returns, USDEUR r=-1.00 (threshold 0.8)');
    expect(correlationFilter(f, 'EURUSD', ['GBPUSD'], short).detail).toBe('GBPUSD: no bars, not judged (threshold 0.8)');
    expect(correlationFilter(f, 'AUDUSD', ['USDEUR'], short).detail).toBe('USDEUR: not judged, no bars of AUDUSD itself (threshold 0.8)');
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8.0000001])).toBeCloseTo(1, 6);
  });
});
