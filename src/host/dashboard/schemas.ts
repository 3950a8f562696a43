/**
 * The dashboard API's shapes, as zod schemas: the routes validate against them, the OpenAPI document is
 * generated from them (GET /openapi.json), and the browser UI is typed by them (`import type` only: no zod in
 * the page's bundle). Tickets travel as decimal strings (MT5 tickets are uint64; JSON numbers would round them).
 */
import * as z from 'zod';

const ticket = () => z.string().regex(/^\d+$/).describe('MT5 ticket (uint64) as a decimal string');
const money = () => z.number().describe('account currency');
const time = () => z.number().int().describe('broker server time, s');

export const errorSchema = z.object({ error: z.string() });

export const sessionSchema = z.object({
  csrfToken: z.string().describe('send it as the X-CSRF-Token header on every POST, PUT, PATCH and DELETE'),
  expiresAt: z.number().int().describe('when the session ends, Unix ms'),
});

export const loginLinkSchema = z.object({
  url: z.string().describe('open it once within the lifetime; it signs the browser in'),
  expiresAt: z.number().int().describe('Unix ms'),
});

export const EXIT_REASONS = ['stop loss', 'take profit', 'strategy', 'manual', 'stop out', 'other'] as const;

export const tradeSchema = z.object({
  positionId: ticket(),
  strategyId: z.string().nullable().describe('the strategy whose magic number the trade carries; null for manual or foreign trades'),
  magic: z.number().int(),
  symbol: z.string(),
  side: z.enum(['BUY', 'SELL']),
  volume: z.number(),
  openTime: time(),
  openPrice: z.number(),
  closeTime: time(),
  closePrice: z.number(),
  commission: money(),
  swap: money(),
  profit: money(),
  net: money().describe('profit + commission + swap'),
  exitReason: z.enum(EXIT_REASONS).describe('from the closing deal\'s DEAL_REASON (SL 4, TP 5, stop out 6, expert 3 = the strategy or the host)'),
  paper: z.literal(true).optional().describe('a paper trade: made on the host\'s simulated broker (`start --paper`, `mode: paper`), never at the broker'),
});

/** `?account=login@server`: the account a page reads (default the primary; docs/dashboard.md). */
export const accountQuery = z.string().max(200).optional().describe('login@server: the account to read (default: the primary)');

export const tradesQuerySchema = z.object({
  account: accountQuery,
  strategy: z.string().max(200).optional().describe('only this strategy id'),
  symbol: z.string().max(64).optional(),
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').optional().describe('closed on or after this server date'),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').optional().describe('closed on or before this server date'),
  format: z.enum(['json', 'csv']).default('json'),
});

export const tradesSchema = z.object({ trades: z.array(tradeSchema), total: z.number().int().describe('trades before the filters') });

export const dealSchema = z.object({
  ticket: ticket(), order: ticket(), positionId: ticket(), symbol: z.string(), type: z.number().int(), entry: z.number().int(),
  volume: z.number(), price: z.number(), commission: money(), swap: money(), profit: money(), time: time(), magic: z.number().int(),
  comment: z.string(), reason: z.number().int(),
  paper: z.literal(true).optional().describe('a paper deal: made on the host\'s simulated broker, never at the broker'),
});
export const dealsSchema = z.object({ deals: z.array(dealSchema) });

export const ordersSchema = z.object({
  orders: z.array(z.object({
    ticket: ticket(), symbol: z.string(), type: z.number().int().describe('ORDER_TYPE'), volume: z.number(), priceOpen: z.number(), stopLimit: z.number(),
    sl: z.number(), tp: z.number(), timeSetup: time(), expiration: time(), magic: z.number().int(), comment: z.string(),
    paper: z.literal(true).optional().describe('a pending order on the paper account'),
  })),
});

export const strategyFiguresSchema = z.object({
  strategyId: z.string(),
  paper: z.literal(true).optional().describe('figures of the strategy\'s trades on the paper account (mode: paper)'),
  trades: z.number().int(),
  wins: z.number().int(),
  winRatePct: z.number(),
  net: money(),
  profitFactor: z.number().nullable().describe('gross profit / gross loss; null without losses'),
  maxDrawdown: money().describe('largest fall of the strategy\'s cumulative net result'),
  averageTrade: money(),
});

export const performanceSchema = z.object({
  currency: z.string().nullable(),
  startBalance: money(),
  balance: z.array(z.object({ time: time(), balance: money(), drawdownPct: z.number() })).describe('balance after each closed trade'),
  equity: z.array(z.object({ time: time(), equity: money() })).describe('equity as the terminal reported it while this host ran (sampled)'),
  strategies: z.array(strategyFiguresSchema),
  monthly: z.array(z.object({ month: z.string().describe('YYYY-MM, server time'), net: money(), returnPct: z.number() })),
  totals: z.object({ trades: z.number().int(), net: money(), maxDrawdownPct: z.number() }),
});

export const riskUseSchema = z.object({
  limit: z.string().describe('the RiskLimits field'),
  value: z.number().describe('the limit'),
  used: z.number().describe('how much of it is used now'),
  pct: z.number().describe('used / value, %'),
});

export const riskSchema = z.object({
  limits: z.record(z.string(), z.number()),
  use: z.array(riskUseSchema),
  killSwitch: z.object({ locked: z.boolean(), lockedUntil: z.number().int().nullable().describe('Unix s'), reason: z.string() }),
  dayStartBalance: money().nullable(),
  equityPeak: money().nullable(),
});

export const unlockBodySchema = z.object({
  confirm: z.literal('UNLOCK', { error: 'send {"confirm": "UNLOCK"}: unlocking lets strategies trade again' }),
});

export const decisionEntrySchema = z.object({
  at: z.number().int().describe('Unix ms when the host saw it'),
  kind: z.enum(['decision', 'ml', 'blocked', 'supervisor', 'confirmation']),
  strategyId: z.string(),
  summary: z.string(),
  signal: z.string().nullable(),
  trace: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});
export const decisionsSchema = z.object({ decisions: z.array(decisionEntrySchema) });

export const strategyRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  magic: z.number().int(),
  mode: z.enum(['live', 'paper']).describe('paper: its orders go to the host\'s simulated broker (`mode: paper`, or the whole host under `start --paper`)'),
  openPositions: z.number().int(),
  floating: money(),
  closedNet: money(),
  updatedAt: z.number(),
  lastDecision: decisionEntrySchema.nullable().describe('on the last closed bar'),
  lastSignal: decisionEntrySchema.nullable().describe('the last decision with a signal, with its trace'),
  parameters: z.unknown(),
});
export const strategyRowsSchema = z.object({ strategies: z.array(strategyRowSchema) });

export const validateResultSchema = z.object({
  ok: z.boolean(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).describe('every problem at its JSON path, as `mt5-executor validate` gives it'),
  warnings: z.array(z.string()),
  id: z.string().nullable(),
});

export const accountRowSchema = z.object({
  key: z.string().nullable().describe('login@server (null before its terminal first connected)'),
  primary: z.boolean().describe('the account whose state is <data>/state; the dashboard\'s pages show it'),
  platform: z.boolean().describe('the account the platform\'s executor drives'),
  connected: z.boolean(),
  currency: z.string().nullable(),
  balance: money().nullable(),
  equity: money().nullable(),
  strategies: z.number().int(),
  running: z.number().int(),
  positions: z.number().int(),
  killSwitch: z.object({ locked: z.boolean(), lockedUntil: z.number().int().nullable().describe('Unix s') }),
});

export const overviewSchema = z.object({
  version: z.string(),
  account: z.object({
    login: z.number(), server: z.string(), name: z.string(), currency: z.string(), tradeMode: z.number(), leverage: z.number(),
    balance: money(), equity: money(), margin: money(), freeMargin: money(), marginLevel: z.number(), profit: money(),
    todayPnl: money().nullable().describe('equity − the broker day\'s starting balance'),
    paper: z.boolean().describe('the paper account (`start --paper`): the host\'s simulated broker on the terminal\'s prices'),
  }).nullable(),
  paper: z.boolean().describe('the host trades on paper (`start --paper`): nothing reaches the broker'),
  connection: z.object({
    ea: z.boolean(),
    platform: z.boolean().nullable().describe('null: no platform configured'),
    outboxDepth: z.number().int().describe('reports waiting to reach the platform'),
  }),
  positions: z.number().int(),
  strategies: z.number().int(),
  risk: riskSchema,
  accounts: z.array(accountRowSchema).describe('every account of the host (several terminals: docs/host.md "Several accounts")'),
});

export type Trade = z.infer<typeof tradeSchema>;
export type AccountRow = z.infer<typeof accountRowSchema>;
export type TradesQuery = z.infer<typeof tradesQuerySchema>;
export type Performance = z.infer<typeof performanceSchema>;
export type Risk = z.infer<typeof riskSchema>;
export type DecisionEntry = z.infer<typeof decisionEntrySchema>;
export type StrategyRow = z.infer<typeof strategyRowSchema>;
export type ValidateResult = z.infer<typeof validateResultSchema>;
export type Overview = z.infer<typeof overviewSchema>;
export type SessionInfo = z.infer<typeof sessionSchema>;
export type DealRow = z.infer<typeof dealSchema>;
