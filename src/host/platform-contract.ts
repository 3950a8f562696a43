/**
 * The web platform's contract as the executor uses it (docs/platform.md). The platform's exact schemas are not
 * published: these accept the documented shapes, ignore unknown fields, and refuse anything that would be
 * ambiguous, naming the field.
 */
import { z } from 'zod';

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
  parameters: z.record(z.string(), z.unknown()).default({}),
  createdAt: z.union([z.string(), z.number()]).optional(),
});
export type Command = z.output<typeof commandSchema>;

/** POST /api/executor/{id}/heartbeat */
export const heartbeatResponseSchema = z.looseObject({
  pendingCommands: z.array(z.unknown()).default([]),
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

// parameters of the commands that are not strategies
const side = z.enum(['BUY', 'SELL', 'buy', 'sell']).transform((s) => (s.toUpperCase() === 'BUY' ? 0 : 1));
const ticketParam = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));

export const openPositionParams = z.looseObject({
  symbol: z.string().min(1),
  side: side.optional(),
  type: side.optional(),
  volume: z.number().positive(),
  sl: z.number().nonnegative().default(0),
  tp: z.number().nonnegative().default(0),
  deviation: z.number().int().nonnegative().default(20),
  magic: z.number().int().nonnegative().default(0),
});
export const closePositionParams = z.looseObject({ ticket: ticketParam, volume: z.number().nonnegative().default(0), deviation: z.number().int().nonnegative().default(20) });
export const modifyPositionParams = z.looseObject({ ticket: ticketParam, sl: z.number().nonnegative().default(0), tp: z.number().nonnegative().default(0) });
export const stopStrategyParams = z.looseObject({ strategyId: z.string().min(1), closePositions: z.boolean().default(false) });
export const strategyIdParams = z.looseObject({ strategyId: z.string().min(1) });
export const closeAllParams = z.looseObject({ symbol: z.string().default(''), reason: z.string().optional() });
export const emergencyParams = z.looseObject({ reason: z.string().default('EMERGENCY_STOP from the platform'), lockMinutes: z.number().positive().optional() });
export const riskLimitsParams = z.looseObject({
  maxDailyLossMoney: z.number().positive().optional(),
  maxDailyLossPercent: z.number().positive().max(100).optional(),
  maxDrawdownPercent: z.number().positive().max(100).optional(),
  maxLot: z.number().positive().optional(),
  maxPositionsAccount: z.number().int().positive().optional(),
  maxPositionsSymbol: z.number().int().positive().optional(),
  maxPositionsStrategy: z.number().int().positive().optional(),
});
