/**
 * Indicator specs as a trader writes them: `name:p1,p2,…[@price]`, e.g. `ema:21`, `macd:12,26,9`,
 * `bb:20,2@typical`, `vwap:week`. Omitted parameters take MT5's defaults.
 */
import type { BarSeries } from './bars.js';
import {
  APPLIED_PRICES,
  Adx,
  AdxWilder,
  Atr,
  Bollinger,
  Cci,
  DeMarker,
  Ichimoku,
  Macd,
  Momentum,
  MovingAverage,
  Obv,
  ParabolicSar,
  Roc,
  Rsi,
  Stochastic,
  VolumeMa,
  Vwap,
  WilliamsR,
  type AppliedPrice,
  type BarIn,
  type Indicator,
  type MaMethod,
  type VwapAnchor,
} from './indicators.js';

interface ParamDef {
  name: string;
  def: number | string;
  kind: 'int' | 'num' | 'enum';
  values?: string[];
  /** Largest accepted value (int: MAX_INDICATOR_PERIOD). */
  max?: number;
}

/** The longest indicator period (bars) accepted: the buffers are sized by it, so it must be bounded. */
export const MAX_INDICATOR_PERIOD = 100_000;

interface IndicatorDef {
  title: string;
  params: ParamDef[];
  /** Default applied price, or undefined when the indicator takes none (it uses high/low/close itself). */
  price?: AppliedPrice;
  make: (p: (number | string)[], price: AppliedPrice) => Indicator;
}

const int = (name: string, def: number): ParamDef => ({ name, def, kind: 'int' });
const num = (name: string, def: number, max = 1000): ParamDef => ({ name, def, kind: 'num', max });

export const INDICATORS: Readonly<Record<string, IndicatorDef>> = {
  sma: { title: 'Simple moving average', params: [int('period', 10)], price: 'close', make: ([n], pr) => new MovingAverage('sma', n as number, pr) },
  ema: { title: 'Exponential moving average', params: [int('period', 10)], price: 'close', make: ([n], pr) => new MovingAverage('ema', n as number, pr) },
  smma: { title: 'Smoothed moving average', params: [int('period', 10)], price: 'close', make: ([n], pr) => new MovingAverage('smma', n as number, pr) },
  lwma: { title: 'Linear weighted moving average', params: [int('period', 10)], price: 'close', make: ([n], pr) => new MovingAverage('lwma', n as number, pr) },
  rsi: { title: 'Relative Strength Index', params: [int('period', 14)], price: 'close', make: ([n], pr) => new Rsi(n as number, pr) },
  macd: { title: 'MACD (signal is an SMA)', params: [int('fast', 12), int('slow', 26), int('signal', 9)], price: 'close', make: ([f, s, g], pr) => new Macd(f as number, s as number, g as number, pr) },
  bb: { title: 'Bollinger Bands', params: [int('period', 20), num('deviation', 2)], price: 'close', make: ([n, d], pr) => new Bollinger(n as number, d as number, pr) },
  stoch: {
    title: 'Stochastic oscillator',
    params: [int('k', 5), int('d', 3), int('slowing', 3), { name: 'method', def: 'sma', kind: 'enum', values: ['sma', 'ema', 'smma', 'lwma'] }, { name: 'field', def: 'lowhigh', kind: 'enum', values: ['lowhigh', 'closeclose'] }],
    make: ([k, d, s, m, f]) => new Stochastic(k as number, d as number, s as number, m as MaMethod, f as 'lowhigh' | 'closeclose'),
  },
  atr: { title: 'Average True Range (SMA of TR)', params: [int('period', 14)], make: ([n]) => new Atr(n as number) },
  adx: { title: 'Average Directional Index (iADX)', params: [int('period', 14)], make: ([n]) => new Adx(n as number) },
  adxw: { title: 'ADX Wilder (iADXWilder)', params: [int('period', 14)], make: ([n]) => new AdxWilder(n as number) },
  cci: { title: 'Commodity Channel Index', params: [int('period', 14)], price: 'typical', make: ([n], pr) => new Cci(n as number, pr) },
  wpr: { title: "Williams' %R", params: [int('period', 14)], make: ([n]) => new WilliamsR(n as number) },
  ichimoku: { title: 'Ichimoku Kinko Hyo (unshifted buffers)', params: [int('tenkan', 9), int('kijun', 26), int('senkou', 52)], make: ([t, k, s]) => new Ichimoku(t as number, k as number, s as number) },
  obv: { title: 'On Balance Volume (tick volume)', params: [], make: () => new Obv('tick') },
  momentum: { title: 'Momentum (ratio × 100)', params: [int('period', 14)], price: 'close', make: ([n], pr) => new Momentum(n as number, pr) },
  roc: { title: 'Rate of Change (MT5: over the current price)', params: [int('period', 12)], price: 'close', make: ([n], pr) => new Roc(n as number, pr) },
  sar: { title: 'Parabolic SAR', params: [num('step', 0.02), num('maximum', 0.2)], make: ([s, m]) => new ParabolicSar(s as number, m as number) },
  demarker: { title: 'DeMarker', params: [int('period', 14)], make: ([n]) => new DeMarker(n as number) },
  vwap: { title: 'VWAP (anchored; not an MT5 built-in)', params: [{ name: 'anchor', def: 'day', kind: 'enum', values: ['day', 'week', 'month', 'none'] }], price: 'typical', make: ([a], pr) => new Vwap(a as VwapAnchor, pr) },
  volume_ma: { title: 'Moving average of tick volume', params: [int('period', 20)], make: ([n]) => new VolumeMa(n as number, 'tick') },
};

export const INDICATOR_NAMES = Object.keys(INDICATORS);

export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

/** Edit distance, for "did you mean". */
export function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export interface ParsedSpec {
  spec: string;
  name: string;
  params: (number | string)[];
  price: AppliedPrice | undefined;
  make(): Indicator;
  buffers: readonly string[];
}

export function parseIndicatorSpec(spec: string): ParsedSpec {
  const m = /^([a-z_]+)(?::([^@]*))?(?:@([a-z]+))?$/.exec(spec.trim());
  if (!m) throw new SpecError(`indicator spec '${spec}' is not of the form name:p1,p2,…[@price] (e.g. ema:21, bb:20,2@typical)`);
  const [, name, rawParams, rawPrice] = m as unknown as [string, string, string | undefined, string | undefined];
  const def = INDICATORS[name];
  if (!def) {
    const s = suggest(name, INDICATOR_NAMES);
    throw new SpecError(`unknown indicator '${name}' in '${spec}'${s ? ` — did you mean '${s}'?` : ''} (known: ${INDICATOR_NAMES.join(' ')})`);
  }
  const given = rawParams === undefined || rawParams === '' ? [] : rawParams.split(',');
  if (given.length > def.params.length) {
    throw new SpecError(`'${spec}': ${name} takes ${def.params.length === 0 ? 'no parameters' : `at most ${def.params.length} (${def.params.map((p) => p.name).join(', ')})`}, got ${given.length}`);
  }
  const params = def.params.map((p, k) => {
    const raw = given[k]?.trim();
    if (raw === undefined || raw === '') return p.def;
    if (p.kind === 'enum') {
      if (!p.values!.includes(raw)) throw new SpecError(`'${spec}': ${p.name} must be ${p.values!.join(', ')}, got '${raw}'`);
      return raw;
    }
    const v = Number(raw);
    if (!Number.isFinite(v)) throw new SpecError(`'${spec}': ${p.name} must be a number, got '${raw}'`);
    if (p.kind === 'int' && (!Number.isInteger(v) || v < 1)) throw new SpecError(`'${spec}': ${p.name} must be a whole number ≥ 1, got '${raw}'`);
    if (p.kind === 'int' && v > MAX_INDICATOR_PERIOD) throw new SpecError(`'${spec}': ${p.name} must be at most ${MAX_INDICATOR_PERIOD} bars, got '${raw}'`);
    if (p.kind === 'num' && v < 0) throw new SpecError(`'${spec}': ${p.name} must be ≥ 0, got '${raw}'`);
    if (p.kind === 'num' && v > p.max!) throw new SpecError(`'${spec}': ${p.name} must be at most ${p.max}, got '${raw}'`);
    return v;
  });
  let price: AppliedPrice | undefined = def.price;
  if (rawPrice !== undefined) {
    if (def.price === undefined) throw new SpecError(`'${spec}': ${name} takes no applied price (it uses the bar's high, low and close)`);
    if (!(APPLIED_PRICES as readonly string[]).includes(rawPrice)) {
      const s = suggest(rawPrice, APPLIED_PRICES);
      throw new SpecError(`'${spec}': unknown applied price '${rawPrice}'${s ? ` — did you mean '${s}'?` : ''} (close open high low median typical weighted)`);
    }
    price = rawPrice as AppliedPrice;
  }
  let probe: Indicator;
  try {
    probe = def.make(params, price ?? 'close');
  } catch (e) {
    throw new SpecError(`'${spec}': ${(e as Error).message}`);
  }
  return { spec, name, params, price, buffers: probe.buffers, make: () => def.make(params, price ?? 'close') };
}

export function barAt(s: BarSeries, i: number, b: BarIn = { time: 0, open: 0, high: 0, low: 0, close: 0, tickVolume: 0, realVolume: 0 }): BarIn {
  b.time = s.time[i]!;
  b.open = s.open[i]!;
  b.high = s.high[i]!;
  b.low = s.low[i]!;
  b.close = s.close[i]!;
  b.tickVolume = s.tickVolume[i]!;
  b.realVolume = s.realVolume[i]!;
  return b;
}

/** Run specs over a whole series from its first bar. Keys: `<spec>` for one buffer, `<spec>.<buffer>` otherwise. */
export function computeIndicators(series: BarSeries, specs: ParsedSpec[]): { keys: string[]; columns: Float64Array[] } {
  const keys: string[] = [];
  const columns: Float64Array[] = [];
  const inds = specs.map((s) => s.make());
  specs.forEach((s, k) => {
    for (const buf of inds[k]!.buffers) {
      keys.push(inds[k]!.buffers.length === 1 ? s.spec : `${s.spec}.${buf}`);
      columns.push(new Float64Array(series.length));
    }
  });
  const bar: BarIn = { time: 0, open: 0, high: 0, low: 0, close: 0, tickVolume: 0, realVolume: 0 };
  for (let i = 0; i < series.length; i++) {
    barAt(series, i, bar);
    let c = 0;
    for (const ind of inds) {
      ind.push(bar);
      for (let j = 0; j < ind.out.length; j++) columns[c++]![i] = ind.out[j]!;
    }
  }
  return { keys, columns };
}
