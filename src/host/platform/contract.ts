/**
 * The web platform's contract as the executor uses it (docs/platform.md). The platform's exact schemas are not
 * published: these accept the documented shapes, ignore unknown fields, and refuse anything that would be
 * ambiguous, naming the field.
 */
import * as z from 'zod';
import { MAX_SYMBOL_LENGTH } from '../../protocol/messages.js';

/** Deepest nesting of objects and arrays accepted in a command's parameters or an API body. */
export const MAX_DEPTH = 32;

/** How deep `v` nests (a scalar is 0), counting no further than `limit + 1` (no recursion: a deep value cannot blow the stack). */
export function depthOf(v: unknown, limit = MAX_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d + 1 > deepest) deepest = d + 1;
    if (deepest > limit) return deepest;
    for (const c of Array.isArray(x) ? x : Object.values(x as object)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return deepest;
}

export const COMMAND_TYPES = [
  'START_STRATEGY', 'STOP_STRATEGY', 'PAUSE_STRATEGY', 'RESUME_STRATEGY', 'UPDATE_STRATEGY',
  'OPEN_POSITION', 'CLOSE_POSITION', 'MODIFY_POSITION', 'CLOSE_ALL',
  'UPDATE_RISK_LIMITS', 'EMERGENCY_STOP', 'STATUS_REQUEST', 'PERFORMANCE_REQUEST',
] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/** GET /api/executor/config */
export const executorConfigSchema = z.looseObject({
  executorId: z.string().min(1),
  pusher: z.looseObject({
    key: z.string().min(1),
    cluster: z.string().default('mt1'),
    wsHost: z.string().optional(),
    wsPort: z.number().int().optional(),
    forceTLS: z.boolean().optional(),
  }),
  heartbeatSeconds: z.number().int().min(5).max(600).optional(),
});
export type ExecutorConfig = z.output<typeof executorConfigSchema>;

/** A command, from Pusher (`command-received`) or from a heartbeat's `pendingCommands`. */
export const commandSchema = z.looseObject({
  id: z.string().min(1).max(128),
  type: z.enum(COMMAND_TYPES),
  parameters: z
    .record(z.string(), z.unknown())
    .default({})
    .refine((p) => depthOf(p) <= MAX_DEPTH, `nests deeper than ${MAX_DEPTH} levels of objects and arrays`),
  createdAt: z.union([z.string(), z.number()]).optional(),
});
export type Command = z.output<typeof commandSchema>;

/** POST /api/executor/{id}/heartbeat */
export const heartbeatResponseSchema = z.looseObject({
  pendingCommands: z.array(z.unknown()).max(1000).default([]),
});

export type CommandStatus = 'received' | 'executing' | 'executed' | 'failed';

/** PATCH /api/executor/{id}/command body. */
export interface CommandStatusUpdate {
  commandId: string;
  status: CommandStatus;
  result?: unknown;
  error?: string;
  at: string;
}

// parameters of the commands that are not strategies: strict (an unknown field is refused, naming it — a typo such
// as maxDailyLossPercnt must not be taken as a limit in force) and every number and string in a sane range
const side = z.enum(['BUY', 'SELL', 'buy', 'sell']).transform((s) => (s.toUpperCase() === 'BUY' ? 0 : 1));
const MAX_TICKET = 2n ** 64n - 1n;
/** An MT5 ticket: uint64, as a decimal string (exact) or a safe integer. */
const ticketParam = z
  .union([z.string().regex(/^\d{1,20}$/, 'a ticket is a whole number of at most 20 digits'), z.number().int().positive()])
  .transform((v) => BigInt(v))
  .refine((t) => t > 0n && t <= MAX_TICKET, 'a ticket is a whole number from 1 to 18446744073709551615 (uint64)');
const symbol = () => z.string().min(1).max(MAX_SYMBOL_LENGTH);
const price = () => z.number().finite().nonnegative().max(1e9);
const volume = () => z.number().finite().max(1e6);
const points = () => z.number().int().nonnegative().max(1_000_000);
const text = () => z.string().max(500);
const strategyId = () => z.string().min(1).max(64);

export const openPositionParams = z.strictObject({
  symbol: symbol(),
  side: side.optional(),
  type: side.optional(),
  volume: volume().positive(),
  sl: price().default(0),
  tp: price().default(0),
  deviation: points().default(20),
  magic: z.number().int().nonnegative().default(0),
});
export const closePositionParams = z.strictObject({ ticket: ticketParam, volume: volume().nonnegative().default(0), deviation: points().default(20) });
export const modifyPositionParams = z.strictObject({ ticket: ticketParam, sl: price().default(0), tp: price().default(0) });
export const stopStrategyParams = z.strictObject({ strategyId: strategyId(), closePositions: z.boolean().default(false) });
export const strategyIdParams = z.strictObject({ strategyId: strategyId() });
/** UPDATE_STRATEGY: the strategy itself (its own schema checks the rest). */
export const updateStrategyParams = z.looseObject({ strategyId: strategyId() });
export const closeAllParams = z.strictObject({ symbol: z.string().max(MAX_SYMBOL_LENGTH).default(''), reason: text().optional() });
/** The longest kill-switch lock: one year. */
export const MAX_LOCK_MINUTES = 366 * 24 * 60;
export const emergencyParams = z.strictObject({ reason: text().default('EMERGENCY_STOP from the platform'), lockMinutes: z.number().finite().positive().max(MAX_LOCK_MINUTES).optional() });
export const riskLimitsParams = z.strictObject({
  maxDailyLossMoney: z.number().finite().positive().max(1e12).optional(),
  maxDailyLossPercent: z.number().positive().max(100).optional(),
  maxDrawdownPercent: z.number().positive().max(100).optional(),
  maxLot: z.number().finite().positive().max(1e6).optional(),
  maxPositionsAccount: z.number().int().positive().max(10_000).optional(),
  maxPositionsSymbol: z.number().int().positive().max(10_000).optional(),
  maxPositionsStrategy: z.number().int().positive().max(10_000).optional(),
  maxCorrelatedLots: z.number().finite().positive().max(1e6).optional(),
  correlationThreshold: z.number().positive().max(1).optional(),
});

/**
 * A trade report: one deal of a strategy's trade (or of a position a command opened) — a fill, an addition, a
 * partial close, a close, a reversal. Sent once per deal (`deal` is the idempotency key): inside the `executed`
 * status of the command whose order made it (`result.trades`), else as a trade record (POST
 * /api/executor/{id}/trades). docs/platform.md; the JSON Schema in docs/schemas/trade-report.schema.json is
 * generated from this.
 */
const ticketText = (what: string) => z.string().regex(/^\d{1,20}$/).describe(`${what}, a decimal string (uint64: exact, never a JSON number)`);
const money = (what: string) => z.number().finite().describe(`${what}, in the account currency (the broker's figure)`);
export const tradeReportSchema = z
  .object({
    deal: ticketText('DEAL_TICKET: the idempotency key — one report per deal, whatever path and however often it arrives'),
    order: ticketText('DEAL_ORDER: the order that made the deal'),
    position: ticketText('DEAL_POSITION_ID: the position the deal opened, changed or closed (the position ticket)'),
    strategyId: z.string().nullable().describe("the strategy whose trade this is (by its magic number); null for a position a command opened"),
    magic: z.number().int().describe('DEAL_MAGIC, or the position\'s magic when the closing order carried none'),
    symbol: z.string(),
    side: z.enum(['BUY', 'SELL']).describe('the deal\'s direction (a close of a BUY position is a SELL deal)'),
    event: z.enum(['open', 'add', 'partial_close', 'close', 'reversal']).describe('what the deal did to its position'),
    entry: z.enum(['in', 'out', 'inout', 'out_by']).describe('DEAL_ENTRY'),
    volume: z.number().positive().describe('lots of this deal'),
    price: z.number().nonnegative(),
    profit: money('DEAL_PROFIT'),
    swap: money('DEAL_SWAP'),
    commission: money('DEAL_COMMISSION'),
    currency: z.string().describe('the account currency'),
    time: z.string().describe('when the deal happened, UTC, ISO 8601 with ms'),
    timeUnixMs: z.number().int().describe('the same instant, Unix ms'),
    brokerTime: z.string().describe("the broker's server time of the deal, 'YYYY-MM-DD HH:MM:SS.mmm' (what MT5 shows)"),
    account: z.object({ login: z.number().int(), server: z.string() }).describe('the MT5 account'),
    mode: z.enum(['paper', 'live']).describe("live: a real account (ACCOUNT_TRADE_MODE real); paper: a demo or contest account"),
    source: z.enum(['transaction', 'history']).describe('seen as it happened, or found in the terminal\'s deal history after the host was away'),
    reason: z.number().int().optional().describe('DEAL_REASON (0 client, 3 expert, 4 SL, 5 TP, 6 stop out, …), when known (history)'),
  })
  .describe('one deal of a trade, reported to the platform once');
export type TradeReport = z.output<typeof tradeReportSchema>;

/** The trade report's JSON Schema (docs/schemas/trade-report.schema.json is this, written by its test). */
export function tradeReportJsonSchema(): object {
  return z.toJSONSchema(tradeReportSchema, { io: 'output' });
}
