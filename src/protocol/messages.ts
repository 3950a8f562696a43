/**
 * The EA⇄host contract: every message in both directions, defined once.
 *
 * Wire form: one MessagePack map per WebSocket binary frame. Every message carries `type` (a MsgType id)
 * and `seq` (1, 2, 3 … per direction per connection). Requests carry `id`; their replies carry `re`.
 * Field descriptions here are the documentation: docs/protocol.md and the MQL5 constants in
 * mql5/Include/ExecutorBridge/Protocol.mqh are generated from this file (npm run gen:protocol).
 */
import * as z from 'zod';
import { ERROR_CODES } from './errors.js';
import { lazyRecord, once } from './lazy.js';
import { RESULT_CLASSES } from './retcodes.js';

export { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './version.js';
/** Largest WebSocket message either side accepts, in bytes. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Largest number of bars in one HISTORY reply (ask again from the last bar for more). */
export const MAX_HISTORY_BARS = 50_000;
/** Longest client intent id: it is written into the MT5 order comment (31 chars max) with a prefix. */
export const MAX_INTENT_ID_LENGTH = 24;

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

export const TIMEFRAMES = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1', 'W1', 'MN1'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];
export const TIMEFRAME_SECONDS: Readonly<Record<Timeframe, number>> = {
  M1: 60, M5: 300, M15: 900, M30: 1800, H1: 3600, H4: 14400, D1: 86400, W1: 604800, MN1: 2592000,
};

/** Positions of the fields in a tick tuple (arrays keep tick streams small and fast to decode). */
export const TICK_FIELDS = ['timeMsc', 'bid', 'ask', 'last', 'volume', 'flags'] as const;
/** Positions of the fields in a bar tuple. `time` is the bar's open time in broker server time. */
export const BAR_FIELDS = ['time', 'open', 'high', 'low', 'close', 'tickVolume', 'spread', 'realVolume'] as const;

// ---------------------------------------------------------------------------------------------- parts

const int = () => z.number().int();
const num = () => z.number().finite();
/** A 64-bit ticket: uint64 on the wire (any MessagePack integer accepted), bigint in TypeScript. */
// A number here is exact: decoders hand integers up to 2^53 (inclusive) over as numbers, larger ones as bigint.
export const ticket = () =>
  z
    .union([
      z.bigint().nonnegative().max(2n ** 64n - 1n),
      z.number().nonnegative().max(2 ** 53).refine(Number.isInteger, 'expected an integer ticket'),
    ])
    .transform((v) => (typeof v === 'bigint' ? v : BigInt(v)));
/** The longest symbol name the protocol carries (the EA's buffers are sized by it). */
export const MAX_SYMBOL_LENGTH = 64;
const symbol = () => z.string().min(1).max(MAX_SYMBOL_LENGTH);
const timeframe = () => z.enum(TIMEFRAMES);
const requestId = () => int().nonnegative().describe('request id chosen by the sender; the reply carries it in `re`');
const replyTo = () => int().nonnegative().describe('the `id` of the request this answers');
/** The characters an intent id may have (it goes into the order comment). */
export const INTENT_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
export const intentIdSchema = z
  .string()
  .min(1)
  .max(MAX_INTENT_ID_LENGTH)
  .regex(INTENT_ID_PATTERN, 'letters, digits, _ . - only');
/**
 * Exactly what `intentIdSchema` accepts, without zod (a property test holds the two equal): its characters checked one
 * by one (INTENT_ID_PATTERN's test was ~0.4 µs an intent, every intent of a backtest passing it).
 */
export const isIntentId = (v: unknown): v is string => {
  if (typeof v !== 'string' || v.length < 1 || v.length > MAX_INTENT_ID_LENGTH) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // A–Z, a–z, 0–9, _ . -
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45)) return false;
  }
  return true;
};

// The named parts of the messages, each built on its first call (lazy.ts `once`) and the same object on every call:
// building them cost a backtest, which reads no message, ~20 ms of its start (the generator names a part by identity).
export const tickTuple = once(() =>
  z.tuple([
    int().describe('time_msc, broker server time, ms since 1970'),
    num().describe('bid'),
    num().describe('ask'),
    num().describe('last deal price (0 for FX)'),
    num().describe('volume'),
    int().describe('TICK_FLAG_* bits'),
  ]),
);
export const barTuple = once(() =>
  z.tuple([
    int().describe('open time, broker server time, s since 1970'),
    num(),
    num(),
    num(),
    num(),
    num().describe('tick volume'),
    int().describe('spread in points'),
    num().describe('real volume'),
  ]),
);

export const accountSchema = once(() =>
  z.object({
    login: int().describe('ACCOUNT_LOGIN'),
    server: z.string().describe('ACCOUNT_SERVER'),
    name: z.string().optional().describe('ACCOUNT_NAME'),
    company: z.string().optional().describe('ACCOUNT_COMPANY'),
    currency: z.string().min(3).max(8).describe('deposit currency, e.g. USD'),
    currencyDigits: int().min(0).max(8).describe('ACCOUNT_CURRENCY_DIGITS (2 for USD)'),
    leverage: int().positive().describe('ACCOUNT_LEVERAGE'),
    marginMode: int().min(0).max(2).describe('ACCOUNT_MARGIN_MODE: 0 retail netting, 1 exchange, 2 retail hedging'),
    tradeMode: int().min(0).max(2).describe('ACCOUNT_TRADE_MODE: 0 demo, 1 contest, 2 real'),
    balance: num(),
    credit: num(),
    equity: num(),
    profit: num().describe('floating profit of open positions'),
    margin: num(),
    freeMargin: num(),
    marginLevel: num().describe('equity / margin × 100; 0 when no margin is used'),
    stopOutLevel: num().describe('ACCOUNT_MARGIN_SO_SO in %'),
    tradeAllowed: z.boolean().describe('terminal Algo Trading on and account trading allowed'),
    serverTime: int().describe('TimeTradeServer(), s since 1970'),
  }),
);

export const positionSchema = once(() =>
  z.object({
    ticket: ticket().describe('POSITION_TICKET (uint64)'),
    identifier: ticket().describe('POSITION_IDENTIFIER (uint64)'),
    symbol: symbol(),
    type: int().min(0).max(1).describe('POSITION_TYPE: 0 buy, 1 sell'),
    volume: num(),
    priceOpen: num(),
    priceCurrent: num(),
    sl: num().describe('0 = none'),
    tp: num().describe('0 = none'),
    time: int().describe('open time, server time, s'),
    timeMsc: int().describe('open time, server time, ms'),
    magic: int(),
    comment: z.string(),
    swap: num(),
    profit: num().describe('floating profit in account currency'),
  }),
);

export const orderSchema = once(() =>
  z.object({
    ticket: ticket().describe('ORDER_TICKET (uint64)'),
    symbol: symbol(),
    type: int().min(0).max(8).describe('ORDER_TYPE: 2 buy limit, 3 sell limit, 4 buy stop, 5 sell stop, 6 buy stop limit, 7 sell stop limit'),
    volume: num().describe('ORDER_VOLUME_CURRENT'),
    priceOpen: num(),
    stopLimit: num().describe('ORDER_PRICE_STOPLIMIT, 0 = none'),
    sl: num(),
    tp: num(),
    timeSetup: int().describe('server time, s'),
    expiration: int().describe('server time, s; 0 = good till cancelled'),
    magic: int(),
    comment: z.string(),
  }),
);

export const dealSchema = once(() =>
  z.object({
    ticket: ticket().describe('DEAL_TICKET (uint64)'),
    order: ticket().describe('DEAL_ORDER'),
    positionId: ticket().describe('DEAL_POSITION_ID'),
    symbol: z.string(),
    type: int().describe('DEAL_TYPE: 0 buy, 1 sell, 2 balance, …'),
    entry: int().min(0).max(3).describe('DEAL_ENTRY: 0 in, 1 out, 2 in/out (reversal), 3 out by'),
    volume: num(),
    price: num(),
    commission: num(),
    swap: num(),
    profit: num().describe('in account currency'),
    time: int().describe('server time, s'),
    timeMsc: int().describe('server time, ms'),
    magic: int(),
    comment: z.string(),
    reason: int().describe('DEAL_REASON: 0 client, 3 expert, 4 SL, 5 TP, 6 stop out, …'),
  }),
);

export const symbolSpecSchema = once(() =>
  z.object({
    symbol: symbol(),
    description: z.string().optional(),
    digits: int().min(0).max(10).describe('SYMBOL_DIGITS'),
    point: num().positive().describe('SYMBOL_POINT'),
    tickSize: num().positive().describe('SYMBOL_TRADE_TICK_SIZE'),
    tickValue: num().nonnegative().describe('SYMBOL_TRADE_TICK_VALUE: value of one tick for one lot, in account currency, now'),
    contractSize: num().positive().describe('SYMBOL_TRADE_CONTRACT_SIZE'),
    volumeMin: num().positive().describe('SYMBOL_VOLUME_MIN'),
    volumeMax: num().positive().describe('SYMBOL_VOLUME_MAX'),
    volumeStep: num().positive().describe('SYMBOL_VOLUME_STEP'),
    stopsLevel: int().nonnegative().describe('SYMBOL_TRADE_STOPS_LEVEL, points'),
    freezeLevel: int().nonnegative().describe('SYMBOL_TRADE_FREEZE_LEVEL, points'),
    fillingMode: int().min(0).max(7).describe('SYMBOL_FILLING_MODE bits: 1 FOK, 2 IOC, 4 BOC (RETURN has no bit: see "Filling modes")'),
    executionMode: int().min(0).max(3).describe('SYMBOL_TRADE_EXEMODE: 0 request, 1 instant, 2 market, 3 exchange'),
    tradeMode: int().min(0).max(4).describe('SYMBOL_TRADE_MODE: 0 disabled, 1 long only, 2 short only, 3 close only, 4 full'),
    calcMode: int().min(0).max(5).describe('SYMBOL_TRADE_CALC_MODE: 0 forex, 1 futures, 2 CFD, 3 CFD index, 4 CFD leverage, 5 forex no leverage'),
    currencyBase: z.string(),
    currencyProfit: z.string(),
    currencyMargin: z.string(),
    swapLong: num().describe('SYMBOL_SWAP_LONG: per lot per night, in the unit swapMode names (points when it is absent)'),
    swapShort: num().describe('SYMBOL_SWAP_SHORT, as swapLong'),
    swapMode: int()
      .nonnegative()
      .optional()
      .describe('SYMBOL_SWAP_MODE: 0 disabled, 1 points, 2 money in the base currency, 3 in the margin currency, 4 in the deposit currency, 5 annual % of the current price, 6 annual % of the open price, 7 reopen at the close price, 8 reopen at the bid, 9 money in the profit currency — codes of this protocol, which the EA gives by the MQL5 identifier (EB_SwapModeCode), not MT5\'s numbers; any other value: a mode not listed (MT5\'s own number); absent (an EA before it was sent): 1'),
    swapRollover3Days: int().min(0).max(6).describe('SYMBOL_SWAP_ROLLOVER3DAYS: weekday of triple swap, 0 = Sunday'),
    sessions: z
      .array(z.tuple([int().min(0).max(6), int().min(0).max(1440), int().min(0).max(1440)]))
      .describe('trade sessions as [weekday 0=Sunday, from minute, to minute) in server time'),
  }),
);

const intentResultCore = once(() => ({
  retcode: int().describe('MqlTradeResult.retcode, verbatim'),
  class: z.enum(RESULT_CLASSES).describe('done | retry | final | ambiguous (see docs/protocol.md "Result classes")'),
  retcodeExternal: int().optional().describe('MqlTradeResult.retcode_external'),
  order: ticket().optional().describe('MqlTradeResult.order'),
  deal: ticket().optional().describe('MqlTradeResult.deal'),
  position: ticket().optional().describe('the position the deal opened, changed or closed'),
  volume: num().optional().describe('volume filled'),
  price: num().optional().describe('fill price'),
  bid: num().optional(),
  ask: num().optional(),
  comment: z.string().optional().describe('broker comment, verbatim'),
}));

const intentBase = once(() => ({
  id: requestId(),
  intentId: intentIdSchema.describe('client intent id: executed at most once per terminal, written into the order comment'),
  magic: int().nonnegative().describe('expert magic number'),
}));

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
