/**
 * A rule's parts as the trader writes them → the internal form: operand names (`ema_9`, `rsi_14.h4`, `price`)
 * to the indicator buffers or prices they read, operator and timeframe aliases, and the Normalizer that turns
 * conditions and groups into Condition and Group, collecting every problem with its path and a likely fix.
 */
import type { Timeframe } from '../../protocol/messages.js';
import { INDICATORS, SpecError, parseIndicatorSpec, suggest } from '../indicator-spec.js';
import type { AppliedPrice } from '../indicators.js';
import { OPERATORS, type Condition, type Group, type Operator, type SeriesRef, type StrategyProblem } from './model.js';
import type { ConditionInput, GroupIn } from './schema.js';

export const OPERATOR_ALIASES: Record<string, Operator> = {
  crosses_above: 'crosses_above', cross_above: 'crosses_above', crossover: 'crosses_above', crosses_up: 'crosses_above',
  crosses_below: 'crosses_below', cross_below: 'crosses_below', crossunder: 'crosses_below', crosses_down: 'crosses_below',
  greater_than: 'greater_than', '>': 'greater_than', above: 'greater_than', gt: 'greater_than',
  less_than: 'less_than', '<': 'less_than', below: 'less_than', lt: 'less_than',
  equal: 'equal', equals: 'equal', '==': 'equal', '=': 'equal', eq: 'equal',
  in_range: 'in_range', between: 'in_range', inside_range: 'in_range',
  outside_range: 'outside_range', not_between: 'outside_range', outside: 'outside_range',
};

export const TF_ALIASES: Record<string, Timeframe> = {
  M1: 'M1', M5: 'M5', M15: 'M15', M30: 'M30', H1: 'H1', H4: 'H4', D1: 'D1',
  '1m': 'M1', '5m': 'M5', '15m': 'M15', '30m': 'M30', '1h': 'H1', '4h': 'H4', '1d': 'D1', D: 'D1',
};

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

export class Normalizer {
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
