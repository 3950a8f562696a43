/**
 * Checked fast paths for the messages that come by the thousand (TICKS, BAR, ACCOUNT, POSITIONS, ORDERS, INTENT_RESULT,
 * TRADE_TX, HISTORY) and for the intents a backtest executes: each says true only for what its zod schema accepts,
 * and then the message as it is — tickets sent as numbers made bigints in place — equals zod's output (property
 * tests in tests/protocol/protocol.test.ts hold each to its schema). False sends the message to zod, which accepts
 * it (an unknown key, which zod strips) or names the field that is wrong. `validateMessage` (codec.ts) uses them.
 */
import { RESULT_CLASSES } from './retcodes.js';
import { TIMEFRAMES, isIntentId } from './messages.js';

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Fast path for TICKS, the one message that arrives hundreds of thousands of times a second. It accepts
 * exactly what `schemas.TICKS` accepts and produces the same value (a property test holds them equal);
 * anything it does not accept goes to zod, which produces the error that names the field.
 */
export function fastTicks(o: Record<string, unknown>): boolean {
  let keys = 0;
  for (const _ in o) keys++;
  if (keys !== 4 || !isInt(o.type) || !isInt(o.seq) || (o.seq as number) < 1) return false;
  const sym = o.symbol;
  if (typeof sym !== 'string' || sym.length < 1 || sym.length > 64) return false;
  const ticks = o.ticks;
  if (!Array.isArray(ticks) || ticks.length < 1) return false;
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i];
    if (!Array.isArray(t) || t.length !== 6) return false;
    if (!isInt(t[0]) || !isNum(t[1]) || !isNum(t[2]) || !isNum(t[3]) || !isNum(t[4]) || !isInt(t[5])) return false;
  }
  return true;
}

const isStr = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max;
const TF = new Set<unknown>(TIMEFRAMES);

/** Exactly `n` own enumerable keys (an unknown key goes to zod, which strips it). */
function keyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/**
 * Fast path for BAR, the message every strategy waits for: accepts exactly what `schemas.BAR` accepts with no
 * unknown keys, and the value is the same (a property test holds them equal). Anything else goes to zod.
 */
export function fastBar(o: Record<string, unknown>): boolean {
  if (keyCount(o) !== 5 || !isInt(o.type) || !isInt(o.seq) || (o.seq as number) < 1) return false;
  return isStr(o.symbol, 1, 64) && TF.has(o.timeframe) && isBarTuple(o.bar);
}

/** What `barTuple` accepts. */
function isBarTuple(b: unknown): boolean {
  if (!Array.isArray(b) || b.length !== 8) return false;
  return isInt(b[0]) && isNum(b[1]) && isNum(b[2]) && isNum(b[3]) && isNum(b[4]) && isNum(b[5]) && isInt(b[6]) && isNum(b[7]);
}

/**
 * Fast path for HISTORY (as `fastBar`): a strategy's warm-up, hundreds of bars, answered for every strategy that
 * starts — zod took 0.1–0.2 ms over 500 bars, and ~10 ms the first time.
 */
export function fastHistory(o: Record<string, unknown>): boolean {
  if (keyCount(o) !== 6 || !isInt(o.type) || !isInt(o.seq) || (o.seq as number) < 1 || !isInt(o.re) || o.re < 0) return false;
  if (!isStr(o.symbol, 1, 64) || !TF.has(o.timeframe)) return false;
  const bars = o.bars;
  if (!Array.isArray(bars)) return false;
  for (let i = 0; i < bars.length; i++) if (!isBarTuple(bars[i])) return false;
  return true;
}

const ACCOUNT_NUMS = ['balance', 'credit', 'equity', 'profit', 'margin', 'freeMargin', 'marginLevel', 'stopOutLevel'] as const;

/** The account fields as `accountSchema` checks them (the ACCOUNT message sent before every BAR). */
function fastAccountFields(a: unknown): boolean {
  if (a === null || typeof a !== 'object' || Array.isArray(a)) return false;
  const o = a as Record<string, unknown>;
  let n = 17;
  if ('name' in o) {
    if (o.name !== undefined && typeof o.name !== 'string') return false;
    n++;
  }
  if ('company' in o) {
    if (o.company !== undefined && typeof o.company !== 'string') return false;
    n++;
  }
  if (keyCount(o) !== n) return false;
  if (!isInt(o.login) || typeof o.server !== 'string' || !isStr(o.currency, 3, 8)) return false;
  const cd = o.currencyDigits, lev = o.leverage, mm = o.marginMode, tm = o.tradeMode;
  if (!isInt(cd) || cd < 0 || cd > 8 || !isInt(lev) || lev <= 0 || !isInt(mm) || mm < 0 || mm > 2 || !isInt(tm) || tm < 0 || tm > 2) return false;
  for (let i = 0; i < ACCOUNT_NUMS.length; i++) if (!isNum(o[ACCOUNT_NUMS[i]!])) return false;
  return typeof o.tradeAllowed === 'boolean' && isInt(o.serverTime);
}

/** Fast path for ACCOUNT (as `fastBar`): the terminal sends one before every BAR. */
export function fastAccount(o: Record<string, unknown>): boolean {
  return keyCount(o) === 3 && isInt(o.type) && isInt(o.seq) && (o.seq as number) >= 1 && fastAccountFields(o.account);
}

/** What `ticket()` accepts: a bigint in range, or an exact nonnegative integer number (≤ 2^53, made a bigint). */
const isWireTicket = (v: unknown): boolean => (typeof v === 'bigint' ? v >= 0n && v <= 0xffff_ffff_ffff_ffffn : typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2 ** 53);
const POSITION_NUMS = ['volume', 'priceOpen', 'priceCurrent', 'sl', 'tp', 'swap', 'profit'] as const;

/** A position as `positionSchema` checks it. */
function fastPosition(p: unknown): boolean {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return false;
  const o = p as Record<string, unknown>;
  if (keyCount(o) !== 15 || !isWireTicket(o.ticket) || !isWireTicket(o.identifier) || !isStr(o.symbol, 1, 64)) return false;
  const type = o.type;
  if (!isInt(type) || type < 0 || type > 1 || !isInt(o.time) || !isInt(o.timeMsc) || !isInt(o.magic) || typeof o.comment !== 'string') return false;
  for (let i = 0; i < POSITION_NUMS.length; i++) if (!isNum(o[POSITION_NUMS[i]!])) return false;
  return true;
}

/**
 * Fast path for POSITIONS (as `fastBar`): the terminal sends every open position before every result, so with
 * hundreds of positions zod's check was most of the host's decoding. Accepted, the tickets sent as numbers are
 * made bigints in place, as `ticket()` makes them (the value is then zod's output).
 */
export function fastPositions(o: Record<string, unknown>): boolean {
  if (keyCount(o) !== 3 || !isInt(o.type) || !isInt(o.seq) || (o.seq as number) < 1) return false;
  const list = o.positions;
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) if (!fastPosition(list[i])) return false;
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as Record<string, unknown>;
    if (typeof p.ticket === 'number') p.ticket = BigInt(p.ticket);
    if (typeof p.identifier === 'number') p.identifier = BigInt(p.identifier);
  }
  return true;
}

const ORDER_NUMS = ['volume', 'priceOpen', 'stopLimit', 'sl', 'tp'] as const;

/** A pending order as `orderSchema` checks it. */
function fastOrder(p: unknown): boolean {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return false;
  const o = p as Record<string, unknown>;
  if (keyCount(o) !== 12 || !isWireTicket(o.ticket) || !isStr(o.symbol, 1, 64)) return false;
  const type = o.type;
  if (!isInt(type) || type < 0 || type > 8 || !isInt(o.timeSetup) || !isInt(o.expiration) || !isInt(o.magic) || typeof o.comment !== 'string') return false;
  for (let i = 0; i < ORDER_NUMS.length; i++) if (!isNum(o[ORDER_NUMS[i]!])) return false;
  return true;
}

/**
 * Fast path for ORDERS (as `fastPositions`): the terminal sends its pending orders with its positions before every
 * result — mostly an empty list, which zod took tens of µs to check, on the path of the bar that comes after it.
 * Accepted, the tickets sent as numbers are made bigints in place, as `ticket()` makes them.
 */
export function fastOrders(o: Record<string, unknown>): boolean {
  if (keyCount(o) !== 3 || !isInt(o.type) || !isInt(o.seq) || (o.seq as number) < 1) return false;
  const list = o.orders;
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) if (!fastOrder(list[i])) return false;
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as Record<string, unknown>;
    if (typeof p.ticket === 'number') p.ticket = BigInt(p.ticket);
  }
  return true;
}

const isTicket = (v: unknown): v is bigint => typeof v === 'bigint' && v >= 0n && v <= 0xffff_ffff_ffff_ffffn;
const isNonNeg = (v: unknown): v is number => isNum(v) && v >= 0;

/**
 * Fast path for the intents a backtest executes by the ten thousand — OPEN, CLOSE and MODIFY as the engine writes
 * them (the name in `type`): true when `intentBodySchemas[type]` accepts the body as it is, with no key besides
 * its fields and `type` and tickets already bigint, so that zod's output equals the body without `type` (a
 * property test holds the two equal). Anything else, and every other intent type, goes to zod.
 */
export function fastIntentBody(o: Record<string, unknown>): boolean {
  const id = o.intentId, magic = o.magic;
  if (!isIntentId(id) || !isInt(magic) || magic < 0) return false;
  switch (o.type) {
    case 'OPEN': {
      let n = 9;
      if ('price' in o) {
        if (o.price !== undefined && !isNum(o.price)) return false;
        n++;
      }
      const side = o.side, volume = o.volume;
      return keyCount(o) === n && isStr(o.symbol, 1, 64) && isInt(side) && (side === 0 || side === 1) && isNum(volume) && volume > 0 &&
        isNonNeg(o.sl) && isNonNeg(o.tp) && isInt(o.deviation) && o.deviation >= 0;
    }
    case 'CLOSE':
      return keyCount(o) === 6 && isTicket(o.ticket) && isNonNeg(o.volume) && isInt(o.deviation) && o.deviation >= 0;
    case 'MODIFY':
      return keyCount(o) === 6 && isTicket(o.ticket) && isNonNeg(o.sl) && isNonNeg(o.tp);
    default:
      return false;
  }
}

const CLASSES = new Set<unknown>(RESULT_CLASSES);
const makeBig = (o: Record<string, unknown>, k: string): void => {
  if (typeof o[k] === 'number') o[k] = BigInt(o[k]);
};
const INTENT_RESULT_NUMS = ['volume', 'price', 'bid', 'ask'] as const;
const INTENT_RESULT_TICKETS = ['order', 'deal', 'position'] as const;
const RETCODE_EXTERNAL = ['retcodeExternal'] as const;
const COMMENT = ['comment'] as const;
const isString = (v: unknown): boolean => typeof v === 'string';

/**
 * Fast path for INTENT_RESULT (the answer to every intent): as `fastBar`, optional fields absent or undefined; a
 * CLOSE_ALL's `results` list goes to zod. Accepted, its tickets sent as numbers are made bigints in place.
 */
export function fastIntentResult(o: Record<string, unknown>): boolean {
  if (!isInt(o.type) || !isInt(o.seq) || (o.seq as number) < 1 || !isInt(o.re) || o.re < 0 || !isIntentId(o.intentId) || !isInt(o.retcode) || !CLASSES.has(o.class) || typeof o.duplicate !== 'boolean') return false;
  if ('results' in o) return false;
  const a = optionals(o, RETCODE_EXTERNAL, isInt), b = optionals(o, INTENT_RESULT_TICKETS, isWireTicket), c = optionals(o, INTENT_RESULT_NUMS, isNum), d = optionals(o, COMMENT, isString);
  if (a < 0 || b < 0 || c < 0 || d < 0 || keyCount(o) !== 7 + a + b + c + d) return false;
  for (let i = 0; i < INTENT_RESULT_TICKETS.length; i++) makeBig(o, INTENT_RESULT_TICKETS[i]!);
  return true;
}

const TX_INTS = ['txType', 'orderType', 'orderState', 'dealType', 'timeMsc'] as const;
const TX_NUMS = ['price', 'sl', 'tp', 'volume'] as const;
const TX_OPTIONAL_NUMS = ['profit', 'swap', 'commission'] as const;
const TX_OPTIONAL_INTS = ['dealEntry', 'magic'] as const;

/** Fast path for TRADE_TX (every trade transaction the terminal reports), as `fastIntentResult`. */
export function fastTradeTx(o: Record<string, unknown>): boolean {
  if (!isInt(o.type) || !isInt(o.seq) || (o.seq as number) < 1 || !isWireTicket(o.deal) || !isWireTicket(o.order) || !isWireTicket(o.position) || typeof o.symbol !== 'string') return false;
  for (let i = 0; i < TX_INTS.length; i++) if (!isInt(o[TX_INTS[i]!])) return false;
  for (let i = 0; i < TX_NUMS.length; i++) if (!isNum(o[TX_NUMS[i]!])) return false;
  const a = optionals(o, TX_OPTIONAL_INTS, isInt), b = optionals(o, TX_OPTIONAL_NUMS, isNum), c = optionals(o, COMMENT, isString);
  if (a < 0 || b < 0 || c < 0 || keyCount(o) !== 15 + a + b + c) return false;
  makeBig(o, 'deal');
  makeBig(o, 'order');
  makeBig(o, 'position');
  return true;
}

/**
 * The optional fields `keys` of `o` as `ok` checks them (absent, or present as undefined, is fine): how many are present,
 * or -1 when one holds a value `ok` refuses.
 */
function optionals(o: Record<string, unknown>, keys: readonly string[], ok: (v: unknown) => boolean): number {
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!(k in o)) continue;
    if (o[k] !== undefined && !ok(o[k])) return -1;
    n++;
  }
  return n;
}
