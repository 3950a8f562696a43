/**
 * The web platform's strategy format as the executor accepts it (the INPUT shape; aliases included).
 * `normalize.ts` turns a valid input into the one internal form. `mt5-executor schema` prints the JSON
 * Schema generated from these definitions; docs/strategy-format.md explains them.
 */
import * as z from 'zod';

/** Ranges of every number (an absurd value is refused with the field named, never run: a period of 2^31 hung the host). */
export const MAX_ABS = 1e12;
export const MAX_POSITIVE = 1e9;
export const MAX_PERIOD = 100_000;
export const MAX_MULTIPLIER = 100;
export const MAX_COUNT = 10_000;
const num = () => z.number().finite().min(-MAX_ABS).max(MAX_ABS);
const pos = () => z.number().finite().positive().max(MAX_POSITIVE);
const nonneg = () => z.number().finite().nonnegative().max(MAX_POSITIVE);
/** An indicator period in bars. */
const period = () => z.number().int().min(1).max(MAX_PERIOD);
/** A multiple of ATR (or of a distance). */
const mult = () => z.number().finite().positive().max(MAX_MULTIPLIER);
/** How many (positions, bars in a window). */
const count = () => z.number().int().positive().max(MAX_COUNT);
const action = () => z.enum(['SKIP', 'REDUCE_SIZE', 'NORMAL', 'skip', 'reduce_size', 'normal']);

export const TIMEFRAME_INPUTS = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1', '1m', '5m', '15m', '30m', '1h', '4h', '1d', 'D'] as const;

export const conditionSchema = z
  .strictObject({
    indicator: z.string().min(1).describe("left operand: an indicator ('ema_9', 'rsi', 'bb_upper', 'macd_signal', …) or a price ('price', 'close', 'high', …)"),
    condition: z.string().min(1).describe('operator: crosses_above, crosses_below, greater_than, less_than, equal, in_range, outside_range (aliases: >, <, ==, above, below, between, …)'),
    value: z.union([num(), z.string().min(1), z.tuple([num(), num()])]).optional().describe('right operand: a number, an indicator or price name, or [low, high] for the range operators'),
    indicatorRef: z.string().min(1).optional().describe('right operand as an indicator or price name'),
    number: num().optional().describe('right operand as a number'),
    and: num().optional().describe('upper bound for in_range / outside_range (with `value` as the lower bound)'),
    min: num().optional().describe('lower bound for the range operators'),
    max: num().optional().describe('upper bound for the range operators'),
    period: period().optional().describe('period of the left indicator when not given by suffix (rsi + period 7 = rsi_7)'),
    params: z.record(z.string(), z.union([num(), z.string()])).optional().describe('explicit indicator parameters, e.g. { fast: 12, slow: 26, signal: 9 } or { period: 20, deviation: 2 }'),
    appliedPrice: z.enum(['close', 'open', 'high', 'low', 'median', 'typical', 'weighted']).optional().describe('applied price of the left indicator'),
    timeframe: z.enum(TIMEFRAME_INPUTS).optional().describe("timeframe of this condition (multi-timeframe); default the strategy's"),
    required: z.boolean().optional().describe('confirmation conditions only: must hold (true, default) or only reported (false)'),
    tolerance: nonneg().optional().describe('`equal`: |a − b| ≤ tolerance (default 1e-9 relative)'),
  })
  .describe('one comparison');

type ConditionIn = z.infer<typeof conditionSchema>;
export interface GroupIn {
  logic?: 'AND' | 'OR' | 'and' | 'or' | undefined;
  conditions: (ConditionIn | GroupIn)[];
}

export const groupSchema: z.ZodType<GroupIn> = z.lazy(() =>
  z
    .strictObject({
      logic: z.enum(['AND', 'OR', 'and', 'or']).optional().describe('how the conditions combine (default AND)'),
      conditions: z.array(z.union([conditionSchema, groupSchema])).min(1).describe('conditions, or nested groups { logic, conditions }'),
    })
    .describe('a group of conditions (shape A)'),
);

/**
 * A { long, short } rule set needs one of them. Said as an aborting check so that, in a union, an object of another
 * shape ({ direction, conditions } with a typo inside) is not taken for an empty { long, short } with unknown keys:
 * zod 4 returns a union branch alone when it is the only one whose issues do not abort (unknown keys never do).
 */
function sided<T extends z.ZodType<{ long?: unknown; short?: unknown }>>(o: T) {
  return o.refine((v) => v.long !== undefined || v.short !== undefined, { message: 'give a long or a short rule set', abort: true });
}

const directionSchema = z.enum(['BUY', 'SELL', 'BOTH', 'buy', 'sell', 'both', 'long', 'short', 'LONG', 'SHORT']);

export const ruleSetSchema = z.union([
  z.strictObject({
    logic: z.enum(['AND', 'OR', 'and', 'or']).optional(),
    conditions: z.array(z.union([conditionSchema, groupSchema])).min(1),
  }),
  z.strictObject({
    primary: z.array(conditionSchema).min(1).describe('conditions on the main timeframe (all must hold)'),
    confirmation: z.array(conditionSchema).optional().describe('conditions on other timeframes; `required` ones must hold'),
  }),
]);

export const entrySchema = z
  .union([
    z.strictObject({
      direction: directionSchema.optional().describe('BUY, SELL or BOTH (BOTH mirrors the operators for SELL; see docs)'),
      side: directionSchema.optional().describe('alias of direction'),
      logic: z.enum(['AND', 'OR', 'and', 'or']).optional(),
      conditions: z.array(z.union([conditionSchema, groupSchema])).min(1),
    }),
    z.strictObject({
      direction: directionSchema.optional(),
      side: directionSchema.optional(),
      primary: z.array(conditionSchema).min(1),
      confirmation: z.array(conditionSchema).optional(),
    }),
    sided(
      z.strictObject({
        long: ruleSetSchema.optional().describe('rules that open BUY positions'),
        short: ruleSetSchema.optional().describe('rules that open SELL positions'),
      }),
    ),
  ])
  .describe('entry rules: shape A { direction, logic, conditions }, shape B { direction, primary, confirmation }, or explicit { long, short }');

export const stopLossSchema = z.strictObject({
  type: z.enum(['pips', 'percentage', 'atr', 'fixed', 'pip', 'percent', 'price']).describe('pips from entry, % of entry price, ATR multiple, or a fixed price'),
  value: pos().optional().describe('pips, percent or price, by type'),
  multiplier: mult().optional().describe('ATR multiple (type atr)'),
  atrPeriod: period().optional().describe('ATR period (type atr; default 14)'),
  price: pos().optional().describe('fixed price (type fixed)'),
});

export const takeProfitSchema = z.strictObject({
  type: z.enum(['pips', 'percentage', 'rr_ratio', 'partial', 'fixed', 'atr', 'pip', 'percent', 'rr', 'risk_reward', 'price']),
  value: pos().optional().describe('pips, percent, R multiple or price, by type'),
  ratio: pos().optional().describe('R multiple (type rr_ratio)'),
  multiplier: mult().optional().describe('ATR multiple (type atr)'),
  price: pos().optional(),
  levels: z
    .array(z.strictObject({ atRR: pos().describe('take this part at R multiple'), percentage: z.number().positive().max(100).describe('% of the original volume') }))
    .optional()
    .describe('partial exits (type partial)'),
});

export const exitSchema = z.strictObject({
  stopLoss: stopLossSchema.optional(),
  takeProfit: takeProfitSchema.optional(),
  trailing: z
    .strictObject({
      enabled: z.boolean().optional(),
      distance: pos().optional().describe('trailing distance in pips'),
      atrMult: mult().optional().describe('trailing distance as ATR multiple'),
      activation: nonneg().optional().describe('start trailing once the profit reaches this many pips (default 0)'),
      activationRR: nonneg().optional().describe('…or this R multiple'),
    })
    .optional(),
  breakEven: z
    .strictObject({
      enabled: z.boolean().optional(),
      atRR: pos().describe('move SL to break-even once the profit reaches this R multiple'),
      offsetPips: nonneg().optional().describe('SL placed this many pips beyond the entry (default 0)'),
    })
    .optional(),
  smartExit: z
    .strictObject({
      type: z.enum(['fixed', 'atr', 'rr', 'partial']).optional(),
      maxHoldingHours: pos().optional(),
      atrMultiplier: mult().optional(),
      rrRatio: pos().optional(),
    })
    .optional(),
  maxHoldingHours: pos().optional().describe('close a position held longer than this'),
  exitOnOppositeSignal: z.boolean().optional().describe('close on the opposite entry signal (default true)'),
  conditions: z
    .union([
      groupSchema,
      ruleSetSchema,
      sided(
        z.strictObject({
          long: ruleSetSchema.optional().describe('close long (BUY) positions when these hold'),
          short: ruleSetSchema.optional().describe('close short (SELL) positions when these hold'),
        }),
      ),
    ])
    .optional()
    .describe('close when these hold: { long, short } per side (preferred); a single rule set without a side closes long AND short positions as written (a warning says so)'),
});

export const riskSchema = z.strictObject({
  lotSize: pos().optional().describe('fixed volume in lots'),
  maxPositions: count().optional().describe('open positions of this strategy at most'),
  maxDailyLoss: pos().optional().describe('daily loss limit in account currency'),
  maxDailyLossPercent: z.number().positive().max(100).optional().describe('daily loss limit in % of the day-start balance'),
});

export const dynamicRiskSchema = z.strictObject({
  riskPercentage: z.number().positive().max(100).optional().describe('% of equity risked per trade over the stop distance'),
  useATRSizing: z.boolean().optional(),
  atrMultiplier: mult().optional(),
  volatilityThreshold: pos().optional().describe('ATR (pips) above which volatility counts as high'),
  reduceInHighVolatility: z.boolean().optional(),
  kelly: z
    .strictObject({
      fraction: z.number().positive().max(1).optional().describe('fraction of the full Kelly bet (default 0.25: quarter Kelly)'),
      capPercent: z.number().positive().max(10).optional().describe('at most this % of equity at risk per trade (default 2)'),
      minTrades: z.number().int().min(10).max(10_000).optional().describe("the strategy's own closed trades before Kelly sizes (default 30); until then riskPercentage or lotSize does"),
    })
    .optional()
    .describe("fractional Kelly from the strategy's own closed trades (win rate and payoff), risked over the stop distance; needs a stopLoss"),
  volatilityScaling: z
    .strictObject({
      targetAtrPips: pos().describe('ATR (pips) at which riskManagement.lotSize applies; a calmer market trades more, a wilder one less'),
      maxScale: z.number().positive().max(10).optional().describe('at most this multiple of lotSize (default 2)'),
      atrPeriod: z.number().int().min(1).max(500).optional().describe('ATR period (default 14)'),
    })
    .optional()
    .describe('volatility-scaled size: lotSize × targetAtrPips / ATR now, at most maxScale × lotSize'),
});

export const SESSION_INPUTS = ['Sydney', 'Tokyo', 'Asia', 'London', 'NewYork', 'New York', 'NY', 'sydney', 'tokyo', 'asia', 'london', 'newyork', 'new_york', 'ny'] as const;

export const filtersSchema = z.strictObject({
  sessionFilter: z
    .strictObject({
      enabled: z.boolean().optional(),
      allowedSessions: z.array(z.enum(SESSION_INPUTS)).min(1),
      action: action().optional().describe('outside the sessions: SKIP (default) or REDUCE_SIZE'),
      sizeMultiplier: z.number().positive().max(1).optional(),
    })
    .optional(),
  spreadFilter: z
    .strictObject({
      enabled: z.boolean().optional(),
      maxSpread: pos().describe('pips'),
      action: action().optional().describe('above it: SKIP (default) or REDUCE_SIZE'),
      sizeMultiplier: z.number().positive().max(1).optional().describe('REDUCE_SIZE multiplier (default 0.5)'),
    })
    .optional(),
  volatilityFilter: z
    .strictObject({
      enabled: z.boolean().optional(),
      atrPeriod: period().optional(),
      minAtr: nonneg().optional().describe('pips'),
      maxAtr: pos().optional().describe('pips'),
      optimalAtr: pos().optional().describe('pips'),
      action: action().optional(),
      sizeMultiplier: z.number().positive().max(1).optional(),
    })
    .optional(),
  correlationFilter: z
    .strictObject({
      enabled: z.boolean().optional(),
      threshold: z.number().positive().max(1).describe('|Pearson r| above which a position counts as correlated'),
      window: z.number().int().min(5).max(MAX_COUNT).optional().describe('closed-bar returns in the window (default 50)'),
      action: action().optional(),
      sizeMultiplier: z.number().positive().max(1).optional(),
    })
    .optional(),
});

const exitScale = () => z.strictObject({ sl: z.number().positive().max(5).optional(), tp: z.number().positive().max(5).optional() }).optional();

export const mlOptionsSchema = z.strictObject({
  mode: z.enum(['off', 'observe', 'enforce']).describe('off; observe = log the score; enforce = skip entries scoring below the threshold'),
  threshold: z.number().min(0).max(1).optional().describe('minimum signal-quality score for an entry in enforce mode (default 0.6)'),
  model: z.string().min(1).max(200).optional().describe('model file (from `mt5-executor ml train`) the host loads for this strategy'),
  regimeSize: z
    .strictObject({
      trend: z.number().min(0).max(2).optional(),
      range: z.number().min(0).max(2).optional(),
      high_volatility: z.number().min(0).max(2).optional(),
    })
    .optional()
    .describe('size multiplier per detected regime (missing = 1)'),
  regimeExit: z
    .strictObject({ trend: exitScale(), range: exitScale(), high_volatility: exitScale() })
    .optional()
    .describe('per regime, multipliers of the SL and TP distances from the entry (missing = 1)'),
});

export const optionsSchema = z.strictObject({
  evaluation: z.enum(['bar_close', 'intrabar']).optional().describe('judge conditions on closed bars (default) or on the forming bar'),
  magic: z.number().int().nonnegative().optional(),
  ml: mlOptionsSchema.optional().describe('the ML signal gate (docs/ML.md)'),
});

export const rulesSchema = z.strictObject({
  entry: entrySchema,
  exit: exitSchema.optional(),
  riskManagement: riskSchema.optional(),
  dynamicRisk: dynamicRiskSchema.optional(),
  filters: filtersSchema.optional(),
  options: optionsSchema.optional(),
});

/** `parameters` of START_STRATEGY / UPDATE_STRATEGY. Unknown top-level keys are kept as metadata (a warning). */
export const strategySchema = z
  .looseObject({
    '//': z.unknown().optional().describe('a comment (text, or a list of lines): kept, not read, no warning'),
    strategyId: z.string().min(1).max(64),
    strategyName: z.string().min(1).max(200).optional(),
    symbol: z.string().min(1).max(64),
    timeframe: z.enum(TIMEFRAME_INPUTS),
    mode: z.enum(['live', 'paper']).optional().describe("where its orders go: 'live' (default) to the terminal's broker, 'paper' to the host's simulated broker on the terminal's live prices (nothing reaches the broker)"),
    direction: directionSchema.optional().describe('entry direction when not given in rules.entry'),
    rules: rulesSchema,
    riskManagement: riskSchema.optional().describe('alias of rules.riskManagement'),
    dynamicRisk: dynamicRiskSchema.optional().describe('alias of rules.dynamicRisk'),
    filters: filtersSchema.optional().describe('alias of rules.filters'),
  })
  .describe('strategy parameters as sent by the web platform');

export type StrategyInput = z.infer<typeof strategySchema>;
export type ConditionInput = ConditionIn;

export function strategyJsonSchema(): object {
  return z.toJSONSchema(strategySchema, { io: 'input', unrepresentable: 'any' });
}
