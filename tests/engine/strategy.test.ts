import { readFileSync, readdirSync } from 'node:fs';
import { baseStrategy, strategyProblems } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { INDICATOR_NAMES } from '../../src/engine/indicator-spec.js';
import { OPERATORS, normalizeStrategy, type Condition, type Group, type NormalizedStrategy } from '../../src/engine/strategy/normalize.js';
import { strategyJsonSchema } from '../../src/engine/strategy/schema.js';
import { validateCommand } from '../../src/cli/strategy.js';

const examples = readdirSync('examples').filter((f) => f.endsWith('.json')).map((f) => ({ f, s: normalizeStrategy(JSON.parse(readFileSync(`examples/${f}`, 'utf8'))) }));

function conditions(g: Group | undefined): Condition[] {
  return g ? g.children.flatMap((c) => (c.kind === 'group' ? conditions(c) : [c])) : [];
}
const all = (s: NormalizedStrategy) => [...conditions(s.entry.long), ...conditions(s.entry.short), ...conditions(s.exit.conditionsLong), ...conditions(s.exit.conditionsShort)];

const base = baseStrategy;
const problems = strategyProblems;

describe('strategy format', () => {
  it('the six examples validate and together use every operator, indicator, exit type and filter', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    const conds = examples.flatMap(({ s }) => all(s));
    expect(new Set(conds.map((c) => c.op))).toEqual(new Set(OPERATORS));
    const used = new Set(conds.flatMap((c) => [c.left, c.right]).flatMap((r) => (r?.kind === 'series' ? [r.spec === 'price' ? 'price' : r.spec.split(/[:@]/)[0]!] : [])));
    for (const name of [...INDICATOR_NAMES, 'price']) expect(used, `indicator ${name}`).toContain(name);
    const prices = new Set(conds.flatMap((c) => [c.left, c.right]).flatMap((r) => (r?.kind === 'series' && r.spec === 'price' ? [r.buffer] : [])));
    expect(prices).toContain('volume');
    const sl = new Set(examples.map(({ s }) => s.exit.stopLoss?.type));
    const tp = new Set(examples.map(({ s }) => s.exit.takeProfit?.type));
    for (const t of ['pips', 'percentage', 'atr', 'fixed']) expect(sl).toContain(t);
    for (const t of ['pips', 'percentage', 'rr_ratio', 'partial', 'fixed', 'atr']) expect(tp).toContain(t);
    expect(examples.some(({ s }) => s.exit.trailing?.distancePips)).toBe(true);
    expect(examples.some(({ s }) => s.exit.trailing?.atrMult)).toBe(true);
    expect(examples.some(({ s }) => s.exit.breakEven)).toBe(true);
    expect(examples.some(({ s }) => s.exit.maxHoldingHours)).toBe(true);
    expect(examples.some(({ s }) => s.exit.conditionsLong)).toBe(true);
    for (const k of ['session', 'spread', 'volatility', 'correlation'] as const) expect(examples.some(({ s }) => s.filters[k]), k).toBe(true);
    expect(examples.some(({ s }) => s.timeframes.length > 1)).toBe(true); // multi-timeframe
  });

  it('accepts both entry shapes and explicit long/short sets, with aliases', () => {
    const a = normalizeStrategy(base({ direction: 'buy', logic: 'or', conditions: [{ indicator: 'rsi_7', condition: '<', value: 30 }, { indicator: 'bollinger_lower', condition: 'above', indicatorRef: 'close' }] }, {}));
    expect(a.entry.long?.logic).toBe('OR');
    expect(a.entry.short).toBeUndefined();
    expect((a.entry.long!.children[0] as Condition).op).toBe('less_than');
    expect((a.entry.long!.children[0] as Condition).left.spec).toBe('rsi:7');
    expect((a.entry.long!.children[1] as Condition).left).toMatchObject({ spec: 'bb:20,2', buffer: 'lower' });
    const b = normalizeStrategy({ ...base({ direction: 'SELL', primary: [{ indicator: 'macd', condition: 'crosses_below', indicatorRef: 'macd_signal' }], confirmation: [{ indicator: 'ema_50', condition: 'less_than', indicatorRef: 'ema_200', timeframe: '4h' }, { indicator: 'adx', condition: '>', value: 25, timeframe: 'D1', required: false }] }), timeframe: '1h' });
    expect(b.timeframe).toBe('H1');
    expect(b.timeframes).toEqual(['H1', 'H4', 'D1']);
    expect(conditions(b.entry.short).map((c) => [c.left.timeframe, c.required])).toEqual([['H1', true], ['H4', true], ['D1', false]]);
  });

  it('BOTH mirrors series comparisons for SELL, and refuses what has no mirror', () => {
    const s = normalizeStrategy(base({ direction: 'BOTH', conditions: [{ indicator: 'ema_9', condition: 'crosses_above', indicatorRef: 'ema_21' }, { indicator: 'price', condition: '>', value: 'sma_200' }] }));
    expect(conditions(s.entry.long).map((c) => c.op)).toEqual(['crosses_above', 'greater_than']);
    expect(conditions(s.entry.short).map((c) => c.op)).toEqual(['crosses_below', 'less_than']);
    expect(problems(base({ direction: 'BOTH', conditions: [{ indicator: 'rsi', condition: 'less_than', value: 30 }] }))[0]).toMatch(/rules.entry.conditions\[0\]: direction BOTH cannot mirror a comparison with the number 30/);
    expect(problems(base({ direction: 'BOTH', conditions: [{ indicator: 'rsi', condition: 'in_range', value: [30, 40] }] }))[0]).toMatch(/cannot mirror in_range/);
    expect(problems(base({ conditions: [{ indicator: 'rsi', condition: 'less_than', value: 30 }] }))[0]).toMatch(/^rules.entry.direction: say which way these rules trade/);
  });

  it('reports every problem in one run, each with its path and a likely fix', () => {
    const p = problems({
      strategyId: 'bad', symbol: 'EURUSD', timeframe: 'H1', direction: 'BUY',
      rules: {
        entry: { conditions: [{ indicator: 'rsi', condition: 'less_thn', value: 30 }, { indicator: 'ema9', condition: 'crosses_above', indicatorRef: 'bb' }, { indicator: 'rsi', condition: 'in_range', value: 70, and: 30 }] },
        exit: { stopLos: { type: 'pips', value: 20 }, takeProfit: { type: 'rr_ratio', ratio: 2 } },
      },
    });
    expect(p).toContain("rules.exit.stopLos: unknown field — did you mean 'stopLoss'?");
    expect(p).toContain("rules.entry.conditions[0].condition: unknown operator 'less_thn' — did you mean 'less_than'? (use crosses_above, crosses_below, greater_than, less_than, equal, in_range, outside_range)");
    expect(p).toContain("rules.entry.conditions[1].indicator: unknown indicator 'ema9' — did you mean 'ema_9'?");
    expect(p).toContain("rules.entry.conditions[1].indicatorRef: 'bb' is ambiguous: Bollinger Bands have three lines: write bb_upper, bb_middle or bb_lower");
    expect(p).toContain('rules.entry.conditions[2]: in_range: the low bound 70 is above the high bound 30');
    expect(p.some((x) => x.startsWith('rules.riskManagement.lotSize: say how big a trade is'))).toBe(true);
    expect(p.length).toBeGreaterThanOrEqual(6);
  });

  it('a typo inside a condition is reported at its own path, not as the entry being of another shape', () => {
    const cond = { indicator: 'rsi', condtion: 'less_than', value: 30 };
    // shape A (direction + conditions), explicit long, and an exit rule set per side: each the one problem, where it is
    expect(problems(base({ direction: 'BUY', logic: 'AND', conditions: [cond] }))).toEqual(["rules.entry.conditions[0].condtion: unknown field — did you mean 'condition'?"]);
    expect(problems(base({ long: { conditions: [{ indicator: 'rsi', condition: '<', value: 30 }, cond] } }))).toEqual(["rules.entry.long.conditions[1].condtion: unknown field — did you mean 'condition'?"]);
    expect(problems(base({ direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 30 }] }, { exit: { conditions: { short: { conditions: [cond] } } } }))).toEqual([
      "rules.exit.conditions.short.conditions[0].condtion: unknown field — did you mean 'condition'?",
    ]);
    // in a nested group, and a group's own typo
    expect(problems(base({ direction: 'BUY', conditions: [{ logic: 'OR', conditions: [cond] }] }))).toEqual(["rules.entry.conditions[0].conditions[0].condtion: unknown field — did you mean 'condition'?"]);
    expect(problems(base({ direction: 'BUY', conditions: [{ logic: 'OR', conditons: [{ indicator: 'rsi', condition: '<', value: 30 }] }] }))).toEqual(["rules.entry.conditions[0].conditons: unknown field — did you mean 'conditions'?"]);
    // a required field that is simply absent is said as such, not in zod's words
    expect(problems(base({ direction: 'BUY', conditions: [{ indicator: 'rsi', value: 30 }] }))).toEqual(['rules.entry.conditions[0].condition: missing: this field is required']);
    // an empty object fits no shape: said once, where it is (the entry's own message says what to give)
    expect(problems(base({}))).toEqual(['rules.entry: no entry rules: give { direction, conditions: [...] }, { direction, primary: [...] } or { long: …, short: … }']);
    expect(problems(base({ direction: 'BUY', conditions: [{}] }))).toEqual(['rules.entry.conditions[0]: empty: give its fields (`mt5-executor schema`, docs/strategy-format.md)']);
    expect(problems(base({ direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 30 }] }, { exit: { conditions: {} } }))).toEqual([
      'rules.exit.conditions: empty: give its fields (`mt5-executor schema`, docs/strategy-format.md)',
    ]);
  });

  it('a bad exit type is one problem naming the accepted types, with a likely fix', () => {
    const mk = (exit: object) => base({ direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 30 }] }, { exit });
    expect(problems(mk({ stopLoss: { type: 'atrr', multiplier: 2 } }))).toEqual([
      'rules.exit.stopLoss.type: "atrr" is not accepted: use one of pips, percentage, atr, fixed, pip, percent, price — did you mean \'atr\'?',
    ]);
    expect(problems(mk({ stopLoss: { type: 'pips', value: 20 }, takeProfit: { type: 'rrr', ratio: 2 } }))).toEqual([
      'rules.exit.takeProfit.type: "rrr" is not accepted: use one of pips, percentage, rr_ratio, partial, fixed, atr, pip, percent, rr, risk_reward, price — did you mean \'rr\'?',
    ]);
    expect(problems({ ...mk({}), timeframe: 'W1' })).toEqual(['timeframe: "W1" is not accepted: use one of M1, M5, M15, M30, H1, H4, D1, 1m, 5m, 15m, 30m, 1h, 4h, 1d, D']);
  });

  it('rejects ambiguity: two right operands, a section given twice, a period given twice', () => {
    expect(problems(base({ direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 30, number: 40 }] }))[0]).toMatch(/right operand is given 2 times \(value, number\)/);
    expect(problems({ ...base({ direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 30 }] }), riskManagement: { lotSize: 1 } })[0]).toMatch(/^riskManagement: given both at the top level and in rules.riskManagement/);
    expect(problems(base({ direction: 'BUY', conditions: [{ indicator: 'rsi_7', period: 14, condition: '<', value: 30 }] }))[0]).toMatch(/'rsi_7' says period 7 but period says 14/);
    expect(problems(base({ direction: 'BUY', conditions: [{ indicator: 'macd', params: { fats: 10 }, condition: '>', value: 0 }] }))[0]).toMatch(/macd has no parameter 'fats' — did you mean 'fast'\?/);
  });

  it('smartExit is shorthand for the explicit exit fields, and never overrides one silently', () => {
    const mk = (exit: object) => ({ ...base({ direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 30 }] }), rules: { entry: { direction: 'BUY', conditions: [{ indicator: 'rsi', condition: '<', value: 30 }] }, riskManagement: { lotSize: 0.1 }, exit } });
    expect(normalizeStrategy(mk({ smartExit: { type: 'atr', atrMultiplier: 2, maxHoldingHours: 12 } })).exit).toMatchObject({ trailing: { atrMult: 2 }, maxHoldingHours: 12 });
    expect(normalizeStrategy(mk({ stopLoss: { type: 'pips', value: 20 }, smartExit: { type: 'rr', rrRatio: 3 } })).exit.takeProfit).toEqual({ type: 'rr_ratio', ratio: 3 });
    expect(problems(mk({ trailing: { distance: 10 }, smartExit: { type: 'atr', atrMultiplier: 2 } }))[0]).toMatch(/^rules.exit.smartExit: smartExit type atr means an ATR trailing stop, and rules.exit.trailing is also given/);
    expect(problems(mk({ smartExit: { type: 'partial' } }))[0]).toMatch(/smartExit type partial needs rules.exit.takeProfit/);
    expect(problems(mk({ smartExit: { type: 'rr', rrRatio: 2 } }))[0]).toMatch(/it needs a stopLoss/);
  });

  it('publishes a JSON Schema generated from the zod schema', () => {
    const js = strategyJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(js.required).toEqual(expect.arrayContaining(['strategyId', 'symbol', 'timeframe', 'rules']));
    expect(JSON.stringify(js)).toContain('crosses_above');
    expect(JSON.stringify(js)).toContain('"allowedSessions"');
  });

  it('validate prints the normalised form, or the problems with exit 1', () => {
    let out = '', err = '';
    expect(validateCommand('examples/macd-h4-confirmation.json', (t) => (out += t), (t) => (err += t))).toBe(0);
    expect(JSON.parse(out).entry.long.children.length).toBe(4);
    expect(validateCommand('package.json', () => undefined, (t) => (err += t))).toBe(1);
    expect(err).toMatch(/package.json: \d+ problems:\n {2}strategyId: /);
  });
});
