/**
 * Strategy input → the one internal form. Every problem is collected (not only the first) with its JSON
 * path, what is wrong and the likely fix. Pure: no I/O.
 */
import type * as z from 'zod';
import { suggest } from '../indicator-spec.js';
import { strategySchema, type StrategyInput } from './schema.js';
import { StrategyError, type NormalizedStrategy, type SessionName, type StrategyProblem } from './model.js';
import { Normalizer, TF_ALIASES } from './operands.js';

export { OPERATORS, StrategyError, type Condition, type Group, type NormalizedStrategy, type Operator, type SeriesRef, type SessionName, type StrategyProblem } from './model.js';
export { OPERAND_NAMES } from './operands.js';

const SESSION_ALIASES: Record<string, SessionName> = {
  sydney: 'Sydney', tokyo: 'Tokyo', asia: 'Tokyo', london: 'London', newyork: 'NewYork', 'new york': 'NewYork', new_york: 'NewYork', ny: 'NewYork',
};

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

type Issue = z.core.$ZodIssue;

/** The input's value at a path (undefined where the path leads nowhere). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * How badly one branch of a union misfits the value it was given: the value's keys the branch does not know, plus
 * the branch's required keys the value lacks, plus a wrong kind of value. The branch that fits best is the shape the
 * trader meant, so its (deeper) issues are the ones to report: a typo inside a condition is reported inside it.
 */
function misfit(issues: Issue[], value: unknown): number {
  let m = 0;
  for (const i of issues) {
    if (i.path.length === 0 && i.code === 'unrecognized_keys') m += i.keys.length;
    else if (i.path.length === 0 && i.code === 'invalid_type') m += 1000;
    else if (i.path.length === 0 && i.code === 'custom') m += 1;
    else if (i.path.length === 0 && i.code === 'invalid_union' && 'errors' in i && Array.isArray(i.errors) && i.errors.length) m += Math.min(...(i.errors as Issue[][]).map((b) => misfit(b, value)));
    else if (i.path.length === 1 && isObject(value) && !(i.path[0]! in value)) m += 1;
  }
  return m;
}

/** How many problems a branch's issues make (an unknown key each; a nested union its best branch). */
function size(issues: Issue[]): number {
  let n = 0;
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') n += i.keys.length;
    else if (i.code === 'invalid_union' && 'errors' in i && Array.isArray(i.errors) && i.errors.length) n += Math.min(...(i.errors as Issue[][]).map(size));
    else n += 1;
  }
  return n;
}

/** zod issues → problems, each at its own path in the trader's words; for a union, the issues of the branch that fits best. */
function zodProblems(error: z.ZodError, input: unknown, empties: StrategyProblem[]): StrategyProblem[] {
  const out: StrategyProblem[] = [];
  const walk = (issues: Issue[], base: PropertyKey[]) => {
    // required keys missing here, by the object they belong to: an unknown key next to one is likely its typo
    const missing = new Map<string, string[]>();
    for (const i of issues) {
      const path = [...base, ...i.path];
      const key = path[path.length - 1];
      if (i.code !== 'unrecognized_keys' && typeof key === 'string' && isObject(valueAt(input, path.slice(0, -1))) && valueAt(input, path) === undefined) {
        const at = fmtPath(path.slice(0, -1));
        missing.set(at, [...(missing.get(at) ?? []), key]);
      }
    }
    const suggested = new Set<string>();
    for (const i of issues) {
      if (i.code !== 'unrecognized_keys') continue;
      const path = [...base, ...i.path];
      const near = missing.get(fmtPath(path)) ?? [];
      for (const k of i.keys) {
        const s = suggest(k, near) ?? suggest(k, KNOWN_FIELDS);
        if (s && near.includes(s)) suggested.add(`${fmtPath(path)}\u0000${s}`);
        out.push({ path: fmtPath([...path, k]), message: `unknown field${s && s !== k ? ` — did you mean '${s}'?` : ''}` });
      }
    }
    for (const i of issues) {
      const path = [...base, ...i.path];
      if (i.code === 'unrecognized_keys') continue;
      if (i.code === 'invalid_union' && 'errors' in i && Array.isArray(i.errors) && i.errors.length) {
        const value = valueAt(input, path);
        // an empty object fits no shape better than another: the semantic checks say what to give (else this does)
        if (isObject(value) && Object.values(value).every((v) => v === undefined)) {
          empties.push({ path: fmtPath(path), message: 'empty: give its fields (`mt5-executor schema`, docs/strategy-format.md)' });
          continue;
        }
        const best = [...(i.errors as Issue[][])].sort((a, b) => misfit(a, value) - misfit(b, value) || size(a) - size(b))[0]!;
        walk(best, path);
        continue;
      }
      const got = valueAt(input, path);
      const key = path[path.length - 1];
      if (got === undefined && typeof key === 'string' && isObject(valueAt(input, path.slice(0, -1)))) {
        // a required field that is absent: said once, and not at all when an unknown field beside it is its typo
        if (!suggested.has(`${fmtPath(path.slice(0, -1))}\u0000${key}`)) out.push({ path: fmtPath(path), message: 'missing: this field is required' });
      } else if (i.code === 'invalid_value' && 'values' in i) {
        const values = (i.values as unknown[]).map(String);
        // a likely fix: the same letters in another case, or a near spelling of a word long enough to have one
        const s = typeof got === 'string' ? (values.find((v) => v.toLowerCase() === got.toLowerCase()) ?? (got.length > 2 ? suggest(got, values) : undefined)) : undefined;
        out.push({ path: fmtPath(path), message: `${JSON.stringify(got)} is not accepted: use one of ${values.join(', ')}${s ? ` — did you mean '${s}'?` : ''}` });
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
  // jitless: zod's compiled fast path (new Function per object schema, built on the first parse) cost ~5 ms of every
  // backtest's start and pays off only over many parses; a strategy is parsed once (the same checks, the same result)
  const parsed = strategySchema.safeParse(input, { jitless: true });
  const empties: StrategyProblem[] = [];
  const problems: StrategyProblem[] = parsed.success ? [] : zodProblems(parsed.error, input, empties);
  let result: NormalizedStrategy | undefined;
  try {
    // with a structural problem, the semantic checks still run on what is there, so one run reports all
    result = build((parsed.success ? parsed.data : input) as StrategyInput, problems);
  } catch (e) {
    if (parsed.success) throw e; // a bug, not bad input
  }
  for (const e of empties) if (!problems.some((p) => p.path === e.path)) problems.push(e);
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
    else if (t === 'fixed') exit.stopLoss = { type: 'fixed', price: need('price (or value)', x.stopLoss.price ?? v) };
    // any other type is the schema's one problem at rules.exit.stopLoss.type (with the accepted types)
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
    else if (t === 'partial') {
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

  const known = new Set(['//', 'strategyId', 'strategyName', 'symbol', 'timeframe', 'mode', 'direction', 'rules', 'riskManagement', 'dynamicRisk', 'filters']);
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
