/**
 * The EA⇄host contract: every message in both directions, defined once.
 *
 * Wire form: one MessagePack map per WebSocket binary frame. Every message carries `type` (a MsgType id)
 * and `seq` (1, 2, 3 … per direction per connection). Requests carry `id`; their replies carry `re`.
 * Field descriptions here and in parts.ts (the named parts) are the documentation: docs/protocol.md and the MQL5 constants in
 * mql5/Include/ExecutorBridge/Protocol.mqh are generated from this file (npm run gen:protocol).
 */
import * as z from 'zod';
import { ERROR_CODES } from './errors.js';
import { lazyRecord, once } from './lazy.js';
import {
  accountSchema, barTuple, dealSchema, int, intentBase, intentIdSchema, intentResultCore, num, orderSchema, positionSchema, replyTo, requestId,
  symbol, symbolSpecSchema, tickTuple, ticket, timeframe,
} from './parts.js';

export { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './version.js';
// the named parts (parts.ts), read from here as ever
export {
  MAX_INTENT_ID_LENGTH, TIMEFRAMES, TIMEFRAME_SECONDS, TICK_FIELDS, BAR_FIELDS, ticket, MAX_SYMBOL_LENGTH, INTENT_ID_PATTERN, intentIdSchema, isIntentId,
  tickTuple, barTuple, accountSchema, positionSchema, orderSchema, dealSchema, symbolSpecSchema, type Timeframe,
} from './parts.js';

/** Largest WebSocket message either side accepts, in bytes. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Largest number of bars in one HISTORY reply (ask again from the last bar for more). */
export const MAX_HISTORY_BARS = 50_000;

export const MsgType = {
  HELLO: 1,
  WELCOME: 2,
  REJECT: 3,
  SUBSCRIBE: 4,
  TICKS: 10,
  BAR: 11,
  HISTORY_REQUEST: 20,
  HISTORY: 21,
  SPEC_REQUEST: 22,
  SPEC: 23,
  SNAPSHOT_REQUEST: 24,
  SNAPSHOT: 25,
  ACCOUNT: 26,
  POSITIONS: 27,
  ORDERS: 28,
  TRADE_TX: 30,
  OPEN: 40,
  PLACE_PENDING: 41,
  CLOSE: 42,
  MODIFY: 43,
  MODIFY_ORDER: 44,
  CANCEL: 45,
  CLOSE_ALL: 46,
  INTENT_RESULT: 50,
  PING: 60,
  PONG: 61,
  ERROR: 62,
} as const;
export type MsgTypeName = keyof typeof MsgType;
export type MsgTypeId = (typeof MsgType)[MsgTypeName];


// ---------------------------------------------------------------------------------------------- messages

const envelope = once(() => ({ type: int(), seq: int().positive() }));

/** Every message's schema, each built when first read (lazy.ts): a backtest loads this module and decodes no message. */
export const schemas = lazyRecord({
  HELLO: () => z.object({
    ...envelope(),
    protocol: int().describe('protocol version the EA speaks'),
    token: z.string().min(1).max(256).describe('bridge token shown by the host on first run'),
    ea: z.string().max(64).describe('EA name and version'),
    terminal: z.object({
      build: int().describe('TERMINAL_BUILD'),
      name: z.string().describe('TERMINAL_NAME'),
      company: z.string().describe('TERMINAL_COMPANY'),
      instance: z.string().max(128).describe('stable id of this terminal installation (hash of TERMINAL_DATA_PATH)'),
    }),
    account: accountSchema(),
    serverTimeOffset: int().describe('broker server time minus UTC, in seconds, at the time of HELLO'),
  }),
  WELCOME: () => z.object({
    ...envelope(),
    protocol: int().describe("host's protocol version"),
    sessionId: z.string(),
    heartbeatMs: int().positive().describe('send PING at least this often; the host drops the session after 3 missed'),
    maxFrame: int().positive().describe('largest message the host accepts, bytes'),
    symbols: z.array(symbol()).describe('symbols whose ticks to stream'),
    bars: z.array(z.tuple([symbol(), timeframe()])).describe('[symbol, timeframe] pairs whose closed bars to stream'),
  }),
  REJECT: () => z.object({
    ...envelope(),
    code: z.enum(['BAD_TOKEN', 'VERSION', 'BAD_HELLO', 'REPLACED', 'SHUTDOWN']),
    message: z.string().describe('what is wrong and what to do, for the trader'),
  }),
  SUBSCRIBE: () => z.object({
    ...envelope(),
    symbols: z.array(symbol()).describe('replaces the tick subscription'),
    bars: z.array(z.tuple([symbol(), timeframe()])).describe('replaces the bar subscription'),
  }),
  TICKS: () => z.object({
    ...envelope(),
    symbol: symbol(),
    ticks: z.array(tickTuple()).min(1).describe('ticks in time order, each [timeMsc, bid, ask, last, volume, flags]'),
  }),
  BAR: () => z.object({
    ...envelope(),
    symbol: symbol(),
    timeframe: timeframe(),
    bar: barTuple().describe('the bar that just closed: [time, open, high, low, close, tickVolume, spread, realVolume]'),
  }),
  HISTORY_REQUEST: () => z.object({
    ...envelope(),
    id: requestId(),
    symbol: symbol(),
    timeframe: timeframe(),
    from: int().describe('first bar open time, server time, s'),
    count: int().positive().max(MAX_HISTORY_BARS).describe('bars wanted from `from` on'),
  }),
  HISTORY: () => z.object({
    ...envelope(),
    re: replyTo(),
    symbol: symbol(),
    timeframe: timeframe(),
    bars: z.array(barTuple()).describe('closed bars, oldest first; fewer than asked when history ends'),
  }),
  SPEC_REQUEST: () => z.object({ ...envelope(), id: requestId(), symbol: symbol() }),
  SPEC: () => z.object({ ...envelope(), re: replyTo(), spec: symbolSpecSchema() }),
  SNAPSHOT_REQUEST: () => z.object({
    ...envelope(),
    id: requestId(),
    dealsFrom: int().describe('send deals from this server time on, s'),
    dealsOffset: int().nonnegative().optional().describe('skip this many of those deals (the next page: the deals received so far)'),
  }),
  SNAPSHOT: () => z.object({
    ...envelope(),
    re: replyTo(),
    account: accountSchema(),
    positions: z.array(positionSchema()),
    orders: z.array(orderSchema()),
    deals: z.array(dealSchema()),
    dealsMore: z.boolean().optional().describe('true when the deals were cut to fit one frame: ask again with dealsOffset'),
  }),
  ACCOUNT: () => z.object({ ...envelope(), account: accountSchema() }),
  POSITIONS: () => z.object({ ...envelope(), positions: z.array(positionSchema()).describe('all open positions, after a change') }),
  ORDERS: () => z.object({ ...envelope(), orders: z.array(orderSchema()).describe('all pending orders, after a change') }),
  TRADE_TX: () => z.object({
    ...envelope(),
    txType: int().describe('ENUM_TRADE_TRANSACTION_TYPE'),
    deal: ticket(),
    order: ticket(),
    position: ticket(),
    symbol: z.string(),
    orderType: int(),
    orderState: int(),
    dealType: int(),
    price: num(),
    sl: num(),
    tp: num(),
    volume: num(),
    dealEntry: int().optional().describe('DEAL_ENTRY for DEAL_ADD'),
    profit: num().optional().describe('DEAL_PROFIT for DEAL_ADD'),
    swap: num().optional().describe('DEAL_SWAP for DEAL_ADD'),
    commission: num().optional().describe('DEAL_COMMISSION for DEAL_ADD'),
    magic: int().optional().describe('DEAL_MAGIC for DEAL_ADD'),
    comment: z.string().optional().describe('order or deal comment'),
    timeMsc: int().describe('server time, ms'),
  }),
  OPEN: () => z.object({
    ...envelope(),
    ...intentBase(),
    symbol: symbol(),
    side: int().min(0).max(1).describe('0 buy, 1 sell'),
    volume: num().positive(),
    price: num().optional().describe('expected price (instant execution); omitted = market'),
    sl: num().nonnegative().describe('0 = none; sent with the order so it lives on the server'),
    tp: num().nonnegative(),
    deviation: int().nonnegative().describe('max slippage, points'),
  }),
  PLACE_PENDING: () => z.object({
    ...envelope(),
    ...intentBase(),
    symbol: symbol(),
    orderType: int().min(2).max(7).describe('ORDER_TYPE 2..7'),
    volume: num().positive(),
    price: num().positive(),
    stopLimit: num().nonnegative().describe('stop-limit price, 0 = none'),
    sl: num().nonnegative(),
    tp: num().nonnegative(),
    expiration: int().nonnegative().describe('server time, s; 0 = good till cancelled'),
  }),
  CLOSE: () => z.object({
    ...envelope(),
    ...intentBase(),
    ticket: ticket().describe('position ticket'),
    volume: num().nonnegative().describe('volume to close; 0 = all'),
    deviation: int().nonnegative(),
  }),
  MODIFY: () => z.object({
    ...envelope(),
    ...intentBase(),
    ticket: ticket().describe('position ticket'),
    sl: num().nonnegative(),
    tp: num().nonnegative(),
  }),
  MODIFY_ORDER: () => z.object({
    ...envelope(),
    ...intentBase(),
    ticket: ticket().describe('pending order ticket'),
    price: num().positive(),
    sl: num().nonnegative(),
    tp: num().nonnegative(),
    expiration: int().nonnegative(),
  }),
  CANCEL: () => z.object({ ...envelope(), ...intentBase(), ticket: ticket().describe('pending order ticket') }),
  CLOSE_ALL: () => z.object({
    ...envelope(),
    ...intentBase(),
    symbol: z.string().max(64).describe("only this symbol's positions and orders; '' = all"),
    onlyMagic: z.boolean().describe('only positions and orders with `magic`'),
    deviation: int().nonnegative(),
  }),
  INTENT_RESULT: () => z.object({
    ...envelope(),
    re: replyTo(),
    intentId: intentIdSchema,
    ...intentResultCore(),
    duplicate: z.boolean().describe('true when this intent id was seen before and this is the stored result'),
    results: z
      .array(z.object({ ticket: ticket(), ...intentResultCore() }))
      .optional()
      .describe('CLOSE_ALL: one result per position or order'),
  }),
  PING: () => z.object({ ...envelope(), ts: int().describe("sender's monotonic clock, ms") }),
  PONG: () => z.object({ ...envelope(), ts: int().describe('the PING `ts` echoed') }),
  ERROR: () => z.object({
    ...envelope(),
    re: int().nonnegative().optional().describe('the `id` of the request that failed, if any'),
    code: z.string().max(64).describe(`one of ${Object.keys(ERROR_CODES).join(', ')} (a newer peer may send others: read the message)`),
    message: z.string(),
  }),
} satisfies Record<MsgTypeName, () => z.ZodObject>);

/** Which side sends each message. */
export const DIRECTION: Readonly<Record<MsgTypeName, 'ea→host' | 'host→ea' | 'both'>> = {
  HELLO: 'ea→host', WELCOME: 'host→ea', REJECT: 'host→ea', SUBSCRIBE: 'host→ea',
  TICKS: 'ea→host', BAR: 'ea→host',
  HISTORY_REQUEST: 'host→ea', HISTORY: 'ea→host', SPEC_REQUEST: 'host→ea', SPEC: 'ea→host',
  SNAPSHOT_REQUEST: 'host→ea', SNAPSHOT: 'ea→host', ACCOUNT: 'ea→host', POSITIONS: 'ea→host', ORDERS: 'ea→host',
  TRADE_TX: 'ea→host',
  OPEN: 'host→ea', PLACE_PENDING: 'host→ea', CLOSE: 'host→ea', MODIFY: 'host→ea', MODIFY_ORDER: 'host→ea',
  CANCEL: 'host→ea', CLOSE_ALL: 'host→ea', INTENT_RESULT: 'ea→host',
  PING: 'both', PONG: 'both', ERROR: 'both',
};

export const INTENT_TYPES = ['OPEN', 'PLACE_PENDING', 'CLOSE', 'MODIFY', 'MODIFY_ORDER', 'CANCEL', 'CLOSE_ALL'] as const;
export type IntentTypeName = (typeof INTENT_TYPES)[number];

export type Schemas = typeof schemas;
/** A decoded message of one type (tickets as bigint). */
export type Msg<N extends MsgTypeName> = z.output<Schemas[N]> & { type: (typeof MsgType)[N] };
/** What a sender provides: the fields without `type`/`seq` (tickets may be bigint or number). */
export type Body<N extends MsgTypeName> = Omit<z.input<Schemas[N]>, 'type' | 'seq'>;
export type AnyMsg = { [N in MsgTypeName]: Msg<N> }[MsgTypeName];
export type Account = z.output<ReturnType<typeof accountSchema>>;
export type Position = z.output<ReturnType<typeof positionSchema>>;
export type Order = z.output<ReturnType<typeof orderSchema>>;
export type Deal = z.output<ReturnType<typeof dealSchema>>;
export type SymbolSpec = z.output<ReturnType<typeof symbolSpecSchema>>;
export type TickTuple = z.output<ReturnType<typeof tickTuple>>;
export type BarTuple = z.output<ReturnType<typeof barTuple>>;
export type IntentMsg = { [N in IntentTypeName]: Msg<N> }[IntentTypeName];
/** An intent as the host's callers write it: the message name and its fields, without the request id. */
export type IntentBody = { [N in IntentTypeName]: Omit<Body<N>, 'id'> & { type: N } }[IntentTypeName];

/**
 * The fields of each intent type without the envelope and the request id: the message schemas' own fields, so an
 * IntentBody validates as its message would, without copying it into a message first (the backtest checks every
 * intent this way; a copy made with `{ ...intent, type, seq, id }` cost more than the check).
 */
export const intentBodySchemas = lazyRecord(
  Object.fromEntries(INTENT_TYPES.map((n) => [n, () => (schemas[n] as z.ZodObject).omit({ type: true, seq: true, id: true })])),
) as unknown as { [N in IntentTypeName]: z.ZodType<Omit<Msg<N>, 'type' | 'seq' | 'id'>, Omit<Body<N>, 'id'>> };
export type IntentResult = Msg<'INTENT_RESULT'>;
export type IntentResultBody = Body<'INTENT_RESULT'>;

export const TYPE_NAME: Readonly<Record<number, MsgTypeName>> = Object.fromEntries(
  Object.entries(MsgType).map(([k, v]) => [v, k as MsgTypeName]),
);
