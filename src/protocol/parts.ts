/**
 * The named parts of the EA⇄host messages (messages.ts): the timeframes, tick and bar tuples, account, position,
 * order, deal and symbol spec, the intent id, and the field builders the messages share. Each part is built on its
 * first call (lazy.ts `once`) and is the same object on every call.
 */
import * as z from 'zod';
import { once } from './lazy.js';
import { RESULT_CLASSES } from './retcodes.js';

/** Longest client intent id: it is written into the MT5 order comment (31 chars max) with a prefix. */
export const MAX_INTENT_ID_LENGTH = 24;

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

export const int = () => z.number().int();
export const num = () => z.number().finite();
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
export const symbol = () => z.string().min(1).max(MAX_SYMBOL_LENGTH);
export const timeframe = () => z.enum(TIMEFRAMES);
export const requestId = () => int().nonnegative().describe('request id chosen by the sender; the reply carries it in `re`');
export const replyTo = () => int().nonnegative().describe('the `id` of the request this answers');
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

export const intentResultCore = once(() => ({
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

export const intentBase = once(() => ({
  id: requestId(),
  intentId: intentIdSchema.describe('client intent id: executed at most once per terminal, written into the order comment'),
  magic: int().nonnegative().describe('expert magic number'),
}));
