/**
 * Strategy input → the one internal form. Every problem is collected (not only the first) with its JSON
 * path, what is wrong and the likely fix. Pure: no I/O.
 */
import type { z } from 'zod';
import type { Timeframe } from '../../protocol/messages.js';
import { INDICATORS, SpecError, parseIndicatorSpec, suggest } from '../indicator-spec.js';
import type { AppliedPrice } from '../indicators.js';
import { strategySchema, type ConditionInput, type GroupIn, type StrategyInput } from './schema.js';

export const OPERATORS = ['crosses_above', 'crosses_below', 'greater_than', 'less_than', 'equal', 'in_range', 'outside_range'] as const;
export type Operator = (typeof OPERATORS)[number];

const OPERATOR_ALIASES: Record<string, Operator> = {
  crosses_above: 'crosses_above', cross_above: 'crosses_above', crossover: 'crosses_above', crosses_up: 'crosses_above',
  crosses_below: 'crosses_below', cross_below: 'crosses_below', crossunder: 'crosses_below', crosses_down: 'crosses_below',
  greater_than: 'greater_than', '>': 'greater_than', above: 'greater_than', gt: 'greater_than',
  less_than: 'less_than', '<': 'less_than', below: 'less_than', lt: 'less_than',
  equal: 'equal', equals: 'equal', '==': 'equal', '=': 'equal', eq: 'equal',
  in_range: 'in_range', between: 'in_range', inside_range: 'in_range',
  outside_range: 'outside_range', not_between: 'outside_range', outside: 'outside_range',
};

const TF_ALIASES: Record<string, Timeframe> = {
  M1: 'M1', M5: 'M5', M15: 'M15', M30: 'M30', H1: 'H1', H4: 'H4', D1: 'D1',
  '1m': 'M1', '5m': 'M5', '15m': 'M15', '30m': 'M30', '1h': 'H1', '4h': 'H4', '1d': 'D1', D: 'D1',
};

export type SessionName = 'Sydney' | 'Tokyo' | 'London' | 'NewYork';
const SESSION_ALIASES: Record<string, SessionName> = {
  sydney: 'Sydney', tokyo: 'Tokyo', asia: 'Tokyo', london: 'London', newyork: 'NewYork', 'new york': 'NewYork', new_york: 'NewYork', ny: 'NewYork',
};

/** Where a value comes from: an indicator buffer or a price field, on a timeframe. */
export interface SeriesRef {
  kind: 'series';
  /** Indicator spec for the engine ('ema:9', 'bb:20,2', …) or 'price'. */
  spec: string;
  /** Buffer name, or the price field for 'price'. */
  buffer: string;
  timeframe: Timeframe;
  /** Bars back the displayed value sits (Ichimoku spans: the cloud at bar i is the span computed at i − kijun). */
  shift: number;
  /** As written, for traces. */
  label: string;
}

export interface Condition {
  kind: 'condition';
  path: string;
  left: SeriesRef;
  op: Operator;
  right?: SeriesRef | { kind: 'number'; value: number };
  range?: [number, number];
  tolerance?: number;
  /** false: evaluated and traced, but does not decide (optional confirmations). */
  required: boolean;
}

export interface Group {
  kind: 'group';
  path: string;
  logic: 'AND' | 'OR';
  children: (Group | Condition)[];
}

export interface NormalizedStrategy {
  id: string;
  name: string;
  symbol: string;
  timeframe: Timeframe;
  /** Where its orders go: the terminal's broker, or the host's simulated broker on live prices (docs/host.md). */
  mode: 'live' | 'paper';
  entry: { long?: Group; short?: Group };
  exit: {
    stopLoss?: { type: 'pips'; pips: number } | { type: 'percentage'; percent: number } | { type: 'atr'; multiplier: number; atrPeriod: number } | { type: 'fixed'; price: number };
    takeProfit?:
      | { type: 'pips'; pips: number }
      | { type: 'percentage'; percent: number }
      | { type: 'rr_ratio'; ratio: number }
      | { type: 'atr'; multiplier: number; atrPeriod: number }
      | { type: 'fixed'; price: number }
      | { type: 'partial'; levels: { atRR: number; percentage: number }[] };
    trailing?: { distancePips?: number; atrMult?: number; atrPeriod: number; activationPips: number; activationRR?: number };
    breakEven?: { atRR: number; offsetPips: number };
    maxHoldingHours?: number;
    exitOnOppositeSignal: boolean;
    /** Exit conditions for long positions, and for short ones (the same group for the side-less form). */
    conditionsLong?: Group;
    conditionsShort?: Group;
  };
  risk: { lotSize?: number; maxPositions: number; maxDailyLoss?: number; maxDailyLossPercent?: number };
  dynamicRisk?: {
    riskPercentage?: number; useATRSizing: boolean; atrMultiplier: number; volatilityThreshold?: number; reduceInHighVolatility: boolean;
    kelly?: { fraction: number; capPercent: number; minTrades: number };
    volatilityScaling?: { targetAtrPips: number; maxScale: number; atrPeriod: number };
  };
  filters: {
    session?: { sessions: SessionName[]; action: 'SKIP' | 'REDUCE_SIZE'; sizeMultiplier: number };
    spread?: { maxSpreadPips: number; action: 'SKIP' | 'REDUCE_SIZE'; sizeMultiplier: number };
    volatility?: { atrPeriod: number; minAtrPips?: number; maxAtrPips?: number; optimalAtrPips?: number; action: 'SKIP' | 'REDUCE_SIZE' | 'NORMAL'; sizeMultiplier: number };
    correlation?: { threshold: number; window: number; action: 'SKIP' | 'REDUCE_SIZE'; sizeMultiplier: number };
  };
  options: {
    evaluation: 'bar_close' | 'intrabar';
    magic?: number;
    ml?: {
      mode: 'off' | 'observe' | 'enforce';
      threshold: number;
      model?: string;
      regimeSize?: Partial<Record<'trend' | 'range' | 'high_volatility', number>>;
      regimeExit?: Partial<Record<'trend' | 'range' | 'high_volatility', { sl?: number; tp?: number }>>;
    };
  };
  /** Every timeframe the rules read, the strategy's first. */
  timeframes: Timeframe[];
  /** Every indicator the rules read, per timeframe. */
  indicators: { timeframe: Timeframe; spec: string }[];
  /** Unknown top-level fields kept as metadata. */
  warnings: string[];
}

export interface StrategyProblem {
  path: string;
  message: string;
}

export class StrategyError extends Error {
  constructor(readonly problems: StrategyProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    this.name = 'StrategyError';
  }
}

// ------------------------------------------------------------------------------------------ names

/** Operand names: base name → indicator and buffer (or a price field). */
const NAMES: Record<string, { ind: string; buffer: string } | { price: string }> = {
  price: { price: 'close' }, close: { price: 'close' }, open: { price: 'open' }, high: { price: 'high' }, low: { price: 'low' },
  median: { price: 'median' }, typical: { price: 'typical' }, weighted: { price: 'weighted' }, volume: { price: 'volume' },
  sma: { ind: 'sma', buffer: 'ma' }, ema: { ind: 'ema', buffer: 'ma' }, smma: { ind: 'smma', buffer: 'ma' }, lwma: { ind: 'lwma', buffer: 'ma' },
  rsi: { ind: 'rsi', buffer: 'rsi' },
  macd: { ind: 'macd', buffer: 'main' }, macd_main: { ind: 'macd', buffer: 'main' }, macd_signal: { ind: 'macd', buffer: 'signal' },
  bb_upper: { ind: 'bb', buffer: 'upper' }, bb_middle: { ind: 'bb', buffer: 'middle' }, bb_lower: { ind: 'bb', buffer: 'lower' },
  bollinger_upper: { ind: 'bb', buffer: 'upper' }, bollinger_middle: { ind: 'bb', buffer: 'middle' }, bollinger_lower: { ind: 'bb', buffer: 'lower' },
  stoch: { ind: 'stoch', buffer: 'main' }, stoch_k: { ind: 'stoch', buffer: 'main' }, stochastic: { ind: 'stoch', buffer: 'main' },
  stoch_d: { ind: 'stoch', buffer: 'signal' }, stoch_signal: { ind: 'stoch', buffer: 'signal' },
  atr: { ind: 'atr', buffer: 'atr' },
  adx: { ind: 'adx', buffer: 'adx' }, plus_di: { ind: 'adx', buffer: 'plusDi' }, minus_di: { ind: 'adx', buffer: 'minusDi' },
  adxw: { ind: 'adxw', buffer: 'adx' }, adxw_plus_di: { ind: 'adxw', buffer: 'plusDi' }, adxw_minus_di: { ind: 'adxw', buffer: 'minusDi' },
  cci: { ind: 'cci', buffer: 'cci' },
  wpr: { ind: 'wpr', buffer: 'wpr' }, williams_r: { ind: 'wpr', buffer: 'wpr' }, williams: { ind: 'wpr', buffer: 'wpr' },
  ichimoku_tenkan: { ind: 'ichimoku', buffer: 'tenkan' }, ichimoku_kijun: { ind: 'ichimoku', buffer: 'kijun' },
  ichimoku_senkou_a: { ind: 'ichimoku', buffer: 'senkouA' }, ichimoku_senkou_b: { ind: 'ichimoku', buffer: 'senkouB' },
  ichimoku_chikou: { ind: 'ichimoku', buffer: 'chikou' },
  obv: { ind: 'obv', buffer: 'obv' }, vwap: { ind: 'vwap', buffer: 'vwap' },
  volume_ma: { ind: 'volume_ma', buffer: 'ma' }, volume_sma: { ind: 'volume_ma', buffer: 'ma' },
  momentum: { ind: 'momentum', buffer: 'momentum' }, roc: { ind: 'roc', buffer: 'roc' },
  sar: { ind: 'sar', buffer: 'sar' }, psar: { ind: 'sar', buffer: 'sar' }, parabolic_sar: { ind: 'sar', buffer: 'sar' },
  demarker: { ind: 'demarker', buffer: 'demarker' },
};
const AMBIGUOUS: Record<string, string> = {
  bb: "Bollinger Bands have three lines: write bb_upper, bb_middle or bb_lower",
  bollinger: "Bollinger Bands have three lines: write bb_upper, bb_middle or bb_lower",
  ichimoku: 'Ichimoku has five lines: ichimoku_tenkan, ichimoku_kijun, ichimoku_senkou_a, ichimoku_senkou_b, ichimoku_chikou',
  di: 'write plus_di or minus_di',
};
export const OPERAND_NAMES = Object.keys(NAMES);

function nameSuggestion(name: string): string | undefined {
  const glued = /^([a-z]+?)(\d+)$/.exec(name); // ema9 → ema_9
  if (glued && NAMES[glued[1]!]) return `${glued[1]}_${glued[2]}`;
  const base = name.replace(/(_\d+)+$/, '');
  const s = suggest(base, OPERAND_NAMES);
  return s ? name.replace(base, s) : undefined;
}

// ------------------------------------------------------------------------------------------ normalizer

class Normalizer {
  readonly problems: StrategyProblem[] = [];
  readonly timeframes = new Set<Timeframe>();
  readonly indicators = new Map<string, { timeframe: Timeframe; spec: string }>();
  constructor(readonly tf: Timeframe) {
    this.timeframes.add(tf);
  }

  err(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  timeframe(v: string | undefined, path: string): Timeframe {
    if (v === undefined) return this.tf;
    const t = TF_ALIASES[v];
    if (!t) {
      this.err(path, `unknown timeframe '${v}': use M1 M5 M15 M30 H1 H4 D1`);
      return this.tf;
    }
    return t;
  }

  operand(raw: string, path: string, tf: Timeframe, c?: ConditionInput): SeriesRef | undefined {
    const name = raw.trim().toLowerCase().replace(/[\s-]+/g, '_');
    const m = /^(.*?)((?:_\d+(?:\.\d+)?)*)$/.exec(name)!;
    const base = m[1]!;
    const nums = m[2] ? m[2].split('_').filter(Boolean).map(Number) : [];
    if (AMBIGUOUS[base]) {
      this.err(path, `'${raw}' is ambiguous: ${AMBIGUOUS[base]}`);
      return undefined;
    }
    const def = NAMES[base];
    if (!def) {
      const s = nameSuggestion(name);
      this.err(path, `unknown indicator '${raw}'${s ? ` — did you mean '${s}'?` : ` (known: ${OPERAND_NAMES.join(', ')})`}`);
      return undefined;
    }
    if ('price' in def) {
      if (nums.length) this.err(path, `'${raw}': a price takes no period`);
      return { kind: 'series', spec: 'price', buffer: def.price, timeframe: tf, shift: 0, label: raw };
    }
    const idef = INDICATORS[def.ind]!;
    const params: (number | string)[] = idef.params.map((p) => p.def);
    if (nums.length > params.length) {
      this.err(path, `'${raw}': ${def.ind} takes ${params.length} parameter(s) (${idef.params.map((p) => p.name).join(', ')}), the name gives ${nums.length}`);
      return undefined;
    }
    nums.forEach((n, k) => (params[k] = n));
    if (c?.period !== undefined) {
      if (nums.length && nums[0] !== c.period) this.err(`${path}`, `'${raw}' says period ${nums[0]} but period says ${c.period}: give it once`);
      params[0] = c.period;
    }
    if (c?.params) {
      for (const [k, v] of Object.entries(c.params)) {
        const idx = idef.params.findIndex((p) => p.name === k);
        if (idx < 0) {
          const s = suggest(k, idef.params.map((p) => p.name));
          this.err(`${path.replace(/\.indicator$/, '')}.params.${k}`, `${def.ind} has no parameter '${k}'${s ? ` — did you mean '${s}'?` : ''} (it has: ${idef.params.map((p) => p.name).join(', ') || 'none'})`);
        } else params[idx] = v;
      }
    }
    let price = '';
    if (c?.appliedPrice) {
      if (!idef.price) this.err(path, `${def.ind} takes no applied price`);
      else price = `@${c.appliedPrice as AppliedPrice}`;
    }
    const spec = `${def.ind}${params.length ? ':' + params.join(',') : ''}${price}`;
    try {
      parseIndicatorSpec(spec);
    } catch (e) {
      this.err(path, `'${raw}': ${(e as SpecError).message}`);
      return undefined;
    }
    this.timeframes.add(tf);
    this.indicators.set(`${tf}|${spec}`, { timeframe: tf, spec });
    const shift = def.ind === 'ichimoku' && (def.buffer === 'senkouA' || def.buffer === 'senkouB') ? (params[1] as number) : 0;
    return { kind: 'series', spec, buffer: def.buffer, timeframe: tf, shift, label: raw };
  }

  condition(c: ConditionInput, path: string, required: boolean): Condition | undefined {
    const op = OPERATOR_ALIASES[c.condition.trim().toLowerCase()] ?? OPERATOR_ALIASES[c.condition.trim()];
    if (!op) {
      const s = suggest(c.condition, Object.keys(OPERATOR_ALIASES));
      this.err(`${path}.condition`, `unknown operator '${c.condition}'${s ? ` — did you mean '${OPERATOR_ALIASES[s]}'?` : ''} (use ${OPERATORS.join(', ')})`);
    }
    const tf = this.timeframe(c.timeframe, `${path}.timeframe`);
    const left = this.operand(c.indicator, `${path}.indicator`, tf, c);
    const given = [c.value !== undefined && 'value', c.indicatorRef !== undefined && 'indicatorRef', c.number !== undefined && 'number'].filter(Boolean) as string[];
    if (!op || !left) {
      // still check the right operand, so one run reports every problem
      const rhs = c.indicatorRef ?? (typeof c.value === 'string' && !Number.isFinite(Number(c.value)) ? c.value : undefined);
      if (rhs !== undefined) this.operand(rhs, `${path}.${c.indicatorRef !== undefined ? 'indicatorRef' : 'value'}`, tf);
      return undefined;
    }
    const out: Condition = { kind: 'condition', path, left, op, required };
    if (c.tolerance !== undefined) {
      if (op !== 'equal') this.err(`${path}.tolerance`, 'tolerance applies to the equal operator only');
      out.tolerance = c.tolerance;
    }
    if (op === 'in_range' || op === 'outside_range') {
      let lo: number | undefined, hi: number | undefined;
      if (Array.isArray(c.value)) [lo, hi] = c.value;
      else if (typeof c.value === 'number' && c.and !== undefined) [lo, hi] = [c.value, c.and];
      else if (c.min !== undefined && c.max !== undefined) [lo, hi] = [c.min, c.max];
      if (lo === undefined || hi === undefined) {
        this.err(path, `${op} needs two bounds: value [low, high], or value and and, or min and max`);
        return undefined;
      }
      if (lo > hi) this.err(path, `${op}: the low bound ${lo} is above the high bound ${hi}`);
      out.range = [lo, hi];
      return out;
    }
    if (c.and !== undefined || c.min !== undefined || c.max !== undefined) this.err(path, `and/min/max are for in_range and outside_range, not ${op}`);
    if (given.length !== 1) {
      this.err(path, given.length === 0 ? `${op} needs a right operand: value (a number or an indicator name), indicatorRef or number` : `the right operand is given ${given.length} times (${given.join(', ')}): give one`);
      return undefined;
    }
    const rhs = c.value ?? c.indicatorRef ?? c.number;
    if (typeof rhs === 'number') out.right = { kind: 'number', value: rhs };
    else if (typeof rhs === 'string') {
      const key = given[0] === 'value' ? 'value' : 'indicatorRef';
      const asNum = Number(rhs);
      if (rhs.trim() !== '' && Number.isFinite(asNum)) out.right = { kind: 'number', value: asNum };
      else {
        const r = this.operand(rhs, `${path}.${key}`, tf);
        if (!r) return undefined;
        out.right = r;
      }
    } else {
      this.err(`${path}.value`, `${op} compares with one value, not a range`);
      return undefined;
    }
    return out;
  }

  group(g: GroupIn, path: string): Group {
    const children: (Group | Condition)[] = [];
    g.conditions.forEach((c, k) => {
      const p = `${path}.conditions[${k}]`;
      if ('conditions' in c) children.push(this.group(c as GroupIn, p));
      else {
        const n = this.condition(c as ConditionInput, p, true);
        if (n) children.push(n);
      }
    });
    return { kind: 'group', path, logic: (g.logic ?? 'AND').toUpperCase() as 'AND' | 'OR', children };
  }

  /** A rule set of shape A or B. */
  ruleSet(r: Record<string, unknown>, path: string): Group {
    if ('primary' in r) {
      const children: (Group | Condition)[] = [];
      (r.primary as ConditionInput[]).forEach((c, k) => {
        const n = this.condition(c, `${path}.primary[${k}]`, true);
        if (n) children.push(n);
      });
      ((r.confirmation as ConditionInput[] | undefined) ?? []).forEach((c, k) => {
        const p = `${path}.confirmation[${k}]`;
        if (c.timeframe === undefined) this.err(`${p}.timeframe`, 'a confirmation needs its timeframe (e.g. "H4")');
        const n = this.condition(c, p, c.required ?? true);
        if (n) children.push(n);
      });
      return { kind: 'group', path, logic: 'AND', children };
    }
    return this.group(r as unknown as GroupIn, path);
  }

  mirror(g: Group): Group {
    return {
      ...g,
      children: g.children.map((c) => {
        if (c.kind === 'group') return this.mirror(c);
        const flip: Partial<Record<Operator, Operator>> = { crosses_above: 'crosses_below', crosses_below: 'crosses_above', greater_than: 'less_than', less_than: 'greater_than', equal: 'equal' };
        const op = flip[c.op];
        if (!op) {
          this.err(c.path, `direction BOTH cannot mirror ${c.op} for SELL: give separate long and short rule sets`);
          return c;
        }
        if (c.right?.kind === 'number') {
          this.err(c.path, `direction BOTH cannot mirror a comparison with the number ${c.right.value} for SELL (what is its mirror?): give separate long and short rule sets`);
          return c;
        }
        return { ...c, op };
      }),
    };
  }
}

function fmtPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(strategy)';
}

const KNOWN_FIELDS = [
  'strategyId', 'strategyName', 'symbol', 'timeframe', 'mode', 'direction', 'rules', 'riskManagement', 'dynamicRisk', 'filters', 'entry', 'exit', 'options',
  'side', 'logic', 'conditions', 'primary', 'confirmation', 'long', 'short', 'indicator', 'condition', 'value', 'indicatorRef', 'number', 'and', 'min', 'max',
  'period', 'params', 'appliedPrice', 'required', 'tolerance', 'stopLoss', 'takeProfit', 'trailing', 'breakEven', 'smartExit', 'maxHoldingHours',
  'exitOnOppositeSignal', 'type', 'multiplier', 'atrPeriod', 'price', 'ratio', 'levels', 'atRR', 'percentage', 'enabled', 'distance', 'atrMult',
  'activation', 'activationRR', 'offsetPips', 'atrMultiplier', 'rrRatio', 'lotSize', 'maxPositions', 'maxDailyLoss', 'maxDailyLossPercent',
  'riskPercentage', 'useATRSizing', 'volatilityThreshold', 'reduceInHighVolatility', 'kelly', 'fraction', 'capPercent', 'minTrades', 'volatilityScaling',
  'targetAtrPips', 'maxScale', 'sessionFilter', 'spreadFilter', 'volatilityFilter',
  'correlationFilter', 'allowedSessions', 'action', 'sizeMultiplier', 'maxSpread', 'minAtr', 'maxAtr', 'optimalAtr', 'threshold', 'window',
  'evaluation', 'magic',
];

/** zod issues → problems; for unions, the issues of the branch that got furthest (fewest issues). */
function zodProblems(error: z.ZodError): StrategyProblem[] {
  const out: StrategyProblem[] = [];
  const walk = (issues: z.core.$ZodIssue[], base: PropertyKey[]) => {
    for (const i of issues) {
      const path = [...base, ...i.path];
      if (i.code === 'invalid_union' && 'errors' in i && Array.isArray(i.errors) && i.errors.length) {
        const best = [...(i.errors as z.core.$ZodIssue[][])].sort((a, b) => a.length - b.length)[0]!;
        walk(best, path);
      } else if (i.code === 'unrecognized_keys') {
        for (const k of i.keys) {
          const s = suggest(k, KNOWN_FIELDS);
          out.push({ path: fmtPath(path), message: `unknown field '${k}'${s && s !== k ? ` — did you mean '${s}'?` : ''}` });
        }
      } else {
        out.push({ path: fmtPath(path), message: i.message });
      }
    }
  };
  walk(error.issues, []);
  return out;
}

/** Validate and normalise. Throws StrategyError listing every problem. */
export function normalizeStrategy(input: unknown): NormalizedStrategy {
  const parsed = strategySchema.safeParse(input);
  const problems: StrategyProblem[] = parsed.success ? [] : zodProblems(parsed.error);
  let result: NormalizedStrategy | undefined;
  try {
    // with a structural problem, the semantic checks still run on what is there, so one run reports all
    result = build((parsed.success ? parsed.data : input) as StrategyInput, problems);
  } catch (e) {
    if (parsed.success) throw e; // a bug, not bad input
  }
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
  if (unique.length || !result) throw new StrategyError(unique.length ? unique : [{ path: '(strategy)', message: 'not a strategy object' }]);
  return result;
}

function build(s: StrategyInput, problems: StrategyProblem[]): NormalizedStrategy | undefined {
  const tf = TF_ALIASES[s.timeframe] ?? 'H1';
  const n = new Normalizer(tf);
  const r = s.rules;

  // sections that may be given at the top level or in rules, but not both
  const pick = <K extends 'riskManagement' | 'dynamicRisk' | 'filters'>(k: K) => {
    if (s[k] !== undefined && r[k] !== undefined) n.err(k, `given both at the top level and in rules.${k}: keep one`);
    return r[k] ?? s[k];
  };
  const riskIn = pick('riskManagement');
  const dynIn = pick('dynamicRisk');
  const filtersIn = pick('filters');

  // entry and direction
  const entry: NormalizedStrategy['entry'] = {};
  const e = r.entry as Record<string, unknown>;
  if (!['long', 'short', 'conditions', 'primary'].some((k) => e[k] !== undefined)) {
    n.err('rules.entry', 'no entry rules: give { direction, conditions: [...] }, { direction, primary: [...] } or { long: …, short: … }');
  } else if ('long' in e || 'short' in e) {
    if (s.direction !== undefined) n.err('direction', 'rules.entry has explicit long/short rule sets: remove direction');
    if (e.long) entry.long = n.ruleSet(e.long as Record<string, unknown>, 'rules.entry.long');
    if (e.short) entry.short = n.ruleSet(e.short as Record<string, unknown>, 'rules.entry.short');
    if (!e.long && !e.short) n.err('rules.entry', 'give a long or a short rule set');
  } else {
    const dirs = [e.direction, e.side, s.direction].filter((d): d is string => typeof d === 'string').map((d) => d.toUpperCase());
    const norm = dirs.map((d) => (d === 'LONG' ? 'BUY' : d === 'SHORT' ? 'SELL' : d));
    if (norm.length === 0) {
      n.err('rules.entry.direction', 'say which way these rules trade: direction BUY, SELL or BOTH (BOTH mirrors the operators for SELL), or write rules.entry as { long: …, short: … }');
    } else if (new Set(norm).size > 1) {
      n.err('rules.entry.direction', `direction is given as ${norm.join(' and ')}: give it once`);
    }
    const g = n.ruleSet(e, 'rules.entry');
    const dir = norm[0];
    if (dir === 'BUY' || dir === 'BOTH') entry.long = g;
    if (dir === 'SELL') entry.short = g;
    if (dir === 'BOTH') entry.short = n.mirror(g);
  }

  // exit
  const x = r.exit ?? {};
  const exit: NormalizedStrategy['exit'] = { exitOnOppositeSignal: x.exitOnOppositeSignal ?? true };
  if (x.stopLoss) {
    const t = { pip: 'pips', percent: 'percentage', price: 'fixed' }[x.stopLoss.type as string] ?? x.stopLoss.type;
    const v = x.stopLoss.value;
    const need = (what: string, val: number | undefined) => {
      if (val === undefined) n.err(`rules.exit.stopLoss`, `stopLoss type ${t} needs ${what}`);
      return val ?? 0;
    };
    if (t === 'pips') exit.stopLoss = { type: 'pips', pips: need('value (pips)', v) };
    else if (t === 'percentage') exit.stopLoss = { type: 'percentage', percent: need('value (% of the entry price)', v) };
    else if (t === 'atr') exit.stopLoss = { type: 'atr', multiplier: need('multiplier (or value)', x.stopLoss.multiplier ?? v), atrPeriod: x.stopLoss.atrPeriod ?? 14 };
    else exit.stopLoss = { type: 'fixed', price: need('price (or value)', x.stopLoss.price ?? v) };
  }
  if (x.takeProfit) {
    const tp = x.takeProfit;
    const t = { pip: 'pips', percent: 'percentage', price: 'fixed', rr: 'rr_ratio', risk_reward: 'rr_ratio' }[tp.type as string] ?? tp.type;
    const need = (what: string, val: number | undefined) => {
      if (val === undefined) n.err('rules.exit.takeProfit', `takeProfit type ${t} needs ${what}`);
      return val ?? 0;
    };
    if (t === 'pips') exit.takeProfit = { type: 'pips', pips: need('value (pips)', tp.value) };
    else if (t === 'percentage') exit.takeProfit = { type: 'percentage', percent: need('value (% of the entry price)', tp.value) };
    else if (t === 'rr_ratio') exit.takeProfit = { type: 'rr_ratio', ratio: need('ratio (or value)', tp.ratio ?? tp.value) };
    else if (t === 'atr') exit.takeProfit = { type: 'atr', multiplier: need('multiplier (or value)', tp.multiplier ?? tp.value), atrPeriod: 14 };
    else if (t === 'fixed') exit.takeProfit = { type: 'fixed', price: need('price (or value)', tp.price ?? tp.value) };
    else {
      const levels = tp.levels ?? [];
      if (!levels.length) n.err('rules.exit.takeProfit.levels', 'partial take-profit needs levels [{ atRR, percentage }]');
      const total = levels.reduce((a, l) => a + l.percentage, 0);
      if (total > 100 + 1e-9) n.err('rules.exit.takeProfit.levels', `partial levels add up to ${total}% of the volume: at most 100%`);
      exit.takeProfit = { type: 'partial', levels: [...levels].sort((a, b) => a.atRR - b.atRR) };
    }
    if ((t === 'rr_ratio' || t === 'partial') && !x.stopLoss) n.err('rules.exit.takeProfit', `takeProfit ${t} is measured in R (the stop distance): it needs a stopLoss`);
  }
  if (x.trailing && x.trailing.enabled !== false) {
    if (x.trailing.distance === undefined && x.trailing.atrMult === undefined) n.err('rules.exit.trailing', 'trailing needs distance (pips) or atrMult');
    if (x.trailing.distance !== undefined && x.trailing.atrMult !== undefined) n.err('rules.exit.trailing', 'trailing: give distance or atrMult, not both');
    exit.trailing = { atrPeriod: 14, activationPips: x.trailing.activation ?? 0 };
    if (x.trailing.distance !== undefined) exit.trailing.distancePips = x.trailing.distance;
    if (x.trailing.atrMult !== undefined) exit.trailing.atrMult = x.trailing.atrMult;
    if (x.trailing.activationRR !== undefined) exit.trailing.activationRR = x.trailing.activationRR;
  }
  if (x.breakEven && x.breakEven.enabled !== false) exit.breakEven = { atRR: x.breakEven.atRR, offsetPips: x.breakEven.offsetPips ?? 0 };
  // smartExit is shorthand for the explicit fields; it never silently overrides one that is given
  const se = x.smartExit;
  if (se?.type === 'atr') {
    if (x.trailing) n.err('rules.exit.smartExit', 'smartExit type atr means an ATR trailing stop, and rules.exit.trailing is also given: keep one');
    else if (se.atrMultiplier === undefined) n.err('rules.exit.smartExit.atrMultiplier', 'smartExit type atr needs atrMultiplier (the trailing distance in ATRs)');
    else exit.trailing = { atrMult: se.atrMultiplier, atrPeriod: 14, activationPips: 0 };
  } else if (se?.type === 'rr') {
    if (x.takeProfit) n.err('rules.exit.smartExit', 'smartExit type rr means a take-profit at rrRatio R, and rules.exit.takeProfit is also given: keep one');
    else if (se.rrRatio === undefined) n.err('rules.exit.smartExit.rrRatio', 'smartExit type rr needs rrRatio');
    else if (!x.stopLoss) n.err('rules.exit.smartExit', 'smartExit type rr is measured in R: it needs a stopLoss');
    else exit.takeProfit = { type: 'rr_ratio', ratio: se.rrRatio };
  } else if (se?.type === 'partial' && x.takeProfit?.type !== 'partial') {
    n.err('rules.exit.smartExit', 'smartExit type partial needs rules.exit.takeProfit { type: "partial", levels }');
  }
  const hold = [x.maxHoldingHours, x.smartExit?.maxHoldingHours].filter((h): h is number => h !== undefined);
  if (new Set(hold).size > 1) n.err('rules.exit.maxHoldingHours', `maxHoldingHours is given as ${hold.join(' and ')}: give it once`);
  if (hold.length) exit.maxHoldingHours = hold[0]!;
  const sideWarnings: string[] = [];
  if (x.conditions) {
    const c = x.conditions as Record<string, unknown>;
    if ('long' in c || 'short' in c) {
      if (c.long) exit.conditionsLong = n.ruleSet(c.long as Record<string, unknown>, 'rules.exit.conditions.long');
      if (c.short) exit.conditionsShort = n.ruleSet(c.short as Record<string, unknown>, 'rules.exit.conditions.short');
      if (!c.long && !c.short) n.err('rules.exit.conditions', 'give a long or a short rule set');
    } else {
      const g = n.ruleSet(c, 'rules.exit.conditions');
      exit.conditionsLong = g;
      exit.conditionsShort = g;
      sideWarnings.push('rules.exit.conditions has no side: it closes long AND short positions when it holds, as written (not mirrored for shorts); write it as { long: …, short: … } to give each side its own');
    }
  }

  // risk, filters, options
  const risk: NormalizedStrategy['risk'] = { maxPositions: riskIn?.maxPositions ?? 1 };
  if (riskIn?.lotSize !== undefined) risk.lotSize = riskIn.lotSize;
  if (riskIn?.maxDailyLoss !== undefined) risk.maxDailyLoss = riskIn.maxDailyLoss;
  if (riskIn?.maxDailyLossPercent !== undefined) risk.maxDailyLossPercent = riskIn.maxDailyLossPercent;
  if (riskIn?.lotSize === undefined && dynIn?.riskPercentage === undefined) {
    n.err('rules.riskManagement.lotSize', 'say how big a trade is: riskManagement.lotSize (lots) or dynamicRisk.riskPercentage (% of equity at risk)');
  }
  let dynamicRisk: NormalizedStrategy['dynamicRisk'];
  if (dynIn) {
    dynamicRisk = { useATRSizing: dynIn.useATRSizing ?? false, atrMultiplier: dynIn.atrMultiplier ?? 2, reduceInHighVolatility: dynIn.reduceInHighVolatility ?? false };
    if (dynIn.riskPercentage !== undefined) dynamicRisk.riskPercentage = dynIn.riskPercentage;
    if (dynIn.volatilityThreshold !== undefined) dynamicRisk.volatilityThreshold = dynIn.volatilityThreshold;
    if (dynIn.riskPercentage !== undefined && !x.stopLoss && !dynIn.useATRSizing) n.err('rules.dynamicRisk.riskPercentage', 'risk-based sizing needs a stop distance: add rules.exit.stopLoss or useATRSizing');
    if (dynIn.useATRSizing && x.stopLoss) n.err('rules.dynamicRisk.useATRSizing', 'useATRSizing risks riskPercentage over atrMultiplier × ATR when there is no stopLoss; with rules.exit.stopLoss the stop distance sizes the trade: remove one');
    if (dynIn.useATRSizing && dynIn.riskPercentage === undefined) n.err('rules.dynamicRisk.useATRSizing', 'useATRSizing needs riskPercentage (the % of equity risked over the ATR distance)');
    if (dynIn.atrMultiplier !== undefined && !dynIn.useATRSizing) n.err('rules.dynamicRisk.atrMultiplier', 'atrMultiplier is the ATR stop distance of useATRSizing: set useATRSizing, or remove it');
    if ((dynIn.volatilityThreshold !== undefined) !== !!dynIn.reduceInHighVolatility) n.err('rules.dynamicRisk.reduceInHighVolatility', 'reduceInHighVolatility halves the size above volatilityThreshold (ATR pips): give both, or neither');
    if (dynIn.kelly) {
      dynamicRisk.kelly = { fraction: dynIn.kelly.fraction ?? 0.25, capPercent: dynIn.kelly.capPercent ?? 2, minTrades: dynIn.kelly.minTrades ?? 30 };
      if (!x.stopLoss) n.err('rules.dynamicRisk.kelly', 'Kelly sizing risks a fraction of equity over the stop distance: add rules.exit.stopLoss');
      if (dynIn.volatilityScaling) n.err('rules.dynamicRisk', 'kelly and volatilityScaling both size the trade: keep one');
    }
    if (dynIn.volatilityScaling) {
      const v = dynIn.volatilityScaling;
      dynamicRisk.volatilityScaling = { targetAtrPips: v.targetAtrPips, maxScale: v.maxScale ?? 2, atrPeriod: v.atrPeriod ?? 14 };
      if (riskIn?.lotSize === undefined) n.err('rules.dynamicRisk.volatilityScaling', 'volatility scaling scales riskManagement.lotSize: give it');
      if (dynIn.riskPercentage !== undefined) n.err('rules.dynamicRisk', 'riskPercentage and volatilityScaling both size the trade: keep one');
      n.indicators.set(`${tf}|atr:${dynamicRisk.volatilityScaling.atrPeriod}`, { timeframe: tf, spec: `atr:${dynamicRisk.volatilityScaling.atrPeriod}` });
    }
  }
  const act = (a: string | undefined, dflt: 'SKIP'): 'SKIP' | 'REDUCE_SIZE' => {
    const u = (a ?? dflt).toUpperCase();
    return u === 'REDUCE_SIZE' ? 'REDUCE_SIZE' : 'SKIP';
  };
  const filters: NormalizedStrategy['filters'] = {};
  const f = filtersIn ?? {};
  if (f.sessionFilter && f.sessionFilter.enabled !== false) {
    const sessions = [...new Set(f.sessionFilter.allowedSessions.map((x) => SESSION_ALIASES[x.toLowerCase().replace(/ /g, ' ')] ?? SESSION_ALIASES[x.toLowerCase()]!))];
    filters.session = { sessions, action: act(f.sessionFilter.action, 'SKIP'), sizeMultiplier: f.sessionFilter.sizeMultiplier ?? 0.5 };
  }
  if (f.spreadFilter && f.spreadFilter.enabled !== false) {
    filters.spread = { maxSpreadPips: f.spreadFilter.maxSpread, action: act(f.spreadFilter.action, 'SKIP'), sizeMultiplier: f.spreadFilter.sizeMultiplier ?? 0.5 };
  }
  if (f.volatilityFilter && f.volatilityFilter.enabled !== false) {
    const v = f.volatilityFilter;
    if (v.minAtr === undefined && v.maxAtr === undefined && v.optimalAtr === undefined) n.err('rules.filters.volatilityFilter', 'give minAtr, maxAtr or optimalAtr (pips)');
    if (v.minAtr !== undefined && v.maxAtr !== undefined && v.minAtr > v.maxAtr) n.err('rules.filters.volatilityFilter', `minAtr ${v.minAtr} is above maxAtr ${v.maxAtr}`);
    const a = (v.action ?? 'SKIP').toUpperCase() as 'SKIP' | 'REDUCE_SIZE' | 'NORMAL';
    filters.volatility = { atrPeriod: v.atrPeriod ?? 14, action: a, sizeMultiplier: v.sizeMultiplier ?? 0.5 };
    if (v.minAtr !== undefined) filters.volatility.minAtrPips = v.minAtr;
    if (v.maxAtr !== undefined) filters.volatility.maxAtrPips = v.maxAtr;
    if (v.optimalAtr !== undefined) filters.volatility.optimalAtrPips = v.optimalAtr;
    n.indicators.set(`${tf}|atr:${filters.volatility.atrPeriod}`, { timeframe: tf, spec: `atr:${filters.volatility.atrPeriod}` });
  }
  if (f.correlationFilter && f.correlationFilter.enabled !== false) {
    const c = f.correlationFilter;
    filters.correlation = { threshold: c.threshold, window: c.window ?? 50, action: act(c.action, 'SKIP'), sizeMultiplier: c.sizeMultiplier ?? 0.5 };
  }
  const options: NormalizedStrategy['options'] = { evaluation: r.options?.evaluation ?? 'bar_close' };
  if (r.options?.magic !== undefined) options.magic = r.options.magic;
  if (r.options?.ml) {
    const m = r.options.ml;
    options.ml = { mode: m.mode, threshold: m.threshold ?? 0.6 };
    if (m.model !== undefined) options.ml.model = m.model;
    if (m.regimeSize) {
      const rs: Partial<Record<'trend' | 'range' | 'high_volatility', number>> = {};
      for (const [k, v] of Object.entries(m.regimeSize)) if (v !== undefined) rs[k as 'trend'] = v;
      options.ml.regimeSize = rs;
    }
    if (m.regimeExit) {
      const rx: Partial<Record<'trend' | 'range' | 'high_volatility', { sl?: number; tp?: number }>> = {};
      for (const [k, v] of Object.entries(m.regimeExit)) {
        if (!v) continue;
        const e: { sl?: number; tp?: number } = {};
        if (v.sl !== undefined) e.sl = v.sl;
        if (v.tp !== undefined) e.tp = v.tp;
        rx[k as 'trend'] = e;
      }
      options.ml.regimeExit = rx;
    }
  }
  // ATR used by exits
  for (const p of [exit.stopLoss, exit.takeProfit]) if (p && p.type === 'atr') n.indicators.set(`${tf}|atr:${p.atrPeriod}`, { timeframe: tf, spec: `atr:${p.atrPeriod}` });
  if (exit.trailing?.atrMult !== undefined) n.indicators.set(`${tf}|atr:14`, { timeframe: tf, spec: 'atr:14' });
  // ATR(14) used by sizing (ATR-based risk, the high-volatility reduction)
  if (dynamicRisk && (dynamicRisk.useATRSizing || dynamicRisk.reduceInHighVolatility)) n.indicators.set(`${tf}|atr:14`, { timeframe: tf, spec: 'atr:14' });

  const known = new Set(['strategyId', 'strategyName', 'symbol', 'timeframe', 'mode', 'direction', 'rules', 'riskManagement', 'dynamicRisk', 'filters']);
  const warnings = [...Object.keys(s).filter((k) => !known.has(k)).map((k) => `unknown top-level field '${k}' kept as metadata`), ...sideWarnings];

  problems.push(...n.problems);
  if (problems.length) return undefined;
  const out: NormalizedStrategy = {
    id: s.strategyId, name: s.strategyName ?? s.strategyId, symbol: s.symbol, timeframe: tf, mode: s.mode ?? 'live', entry, exit, risk, filters, options,
    timeframes: [...n.timeframes], indicators: [...n.indicators.values()], warnings,
  };
  if (dynamicRisk) out.dynamicRisk = dynamicRisk;
  return out;
}
