/**
 * The JSON bodies the executor sends the platform besides trade reports (contract.ts), as zod schemas: the command
 * status (PATCH /api/executor/{id}/command) and the heartbeat (POST /api/executor/{id}/heartbeat). docs/platform.md;
 * docs/schemas/command-status.schema.json and heartbeat.schema.json are generated from these, and the tests check
 * every body the real host sends against those files.
 */
import * as z from 'zod';

const isoTime = (what: string) => z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/).describe(`${what}, UTC, ISO 8601 with ms`);

export const commandStatusSchema = z
  .object({
    commandId: z.string().min(1).describe("the command's id as the platform sent it"),
    status: z.enum(['received', 'executing', 'executed', 'failed']),
    result: z.unknown().optional().describe('the result, in the `executed` status (docs/platform.md, per command type)'),
    error: z.string().optional().describe('why, in the `failed` status'),
    at: isoTime('when the status was reached'),
  })
  .describe("a command's status, sent in the order produced, at least once");

const killSwitch = z.object({ locked: z.boolean(), lockedUntil: z.number().int().nullable().describe('Unix seconds') });

/** An account as GET /accounts shows it (src/host/trading/accounts.ts AccountSummary). */
const accountSummary = z.object({
  key: z.string().nullable().describe('login@server'),
  primary: z.boolean(),
  platform: z.boolean().describe('the account the platform drives'),
  connected: z.boolean(),
  currency: z.string().nullable(),
  balance: z.number().nullable(),
  equity: z.number().nullable(),
  strategies: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  positions: z.number().int().nonnegative(),
  killSwitch,
});

/** STATUS_REQUEST's result (src/host/trading/views.ts statusView), with the account it is of and every account. */
export const hostStatusSchema = z.object({
  terminalConnected: z.boolean(),
  paper: z.boolean().describe('the whole host trades on paper'),
  account: z.object({ login: z.number().int(), currency: z.string(), balance: z.number(), equity: z.number(), freeMargin: z.number(), tradeMode: z.number().int() }).nullable(),
  strategies: z.array(z.object({ id: z.string(), status: z.string(), mode: z.enum(['live', 'paper']) })),
  positions: z.number().int().nonnegative(),
  paperPositions: z.number().int().nonnegative().optional().describe("in a live host, the paper strategies' positions"),
  killSwitch,
  brokerTime: z.object({ zone: z.string(), source: z.string() }).describe("the broker's time zone and whether it was configured, inferred or the default"),
  risk: z.looseObject({ limits: z.record(z.string(), z.number()) }).optional().describe('the limits in force and their use, once the account is known'),
  accountKey: z.string().nullable().describe('the account the platform drives, login@server'),
  accounts: z.array(accountSummary),
});

export const heartbeatBodySchema = z
  .object({ at: isoTime('when it was sent'), status: hostStatusSchema })
  .describe('the heartbeat: the host status; its answer carries pendingCommands');

/** The generated JSON Schemas, by file name in docs/schemas. */
export function payloadJsonSchemas(): Record<string, object> {
  return {
    'command-status.schema.json': z.toJSONSchema(commandStatusSchema, { io: 'output' }),
    'heartbeat.schema.json': z.toJSONSchema(heartbeatBodySchema, { io: 'output' }),
  };
}
