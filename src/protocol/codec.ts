/**
 * Encoding and decoding of bridge messages: standard MessagePack only (no msgpackr records or extensions),
 * so the EA's small hand-written decoder and any independent decoder read every message.
 */
import { Packr } from 'msgpackr';
import type { z } from 'zod';
import {
  MAX_FRAME_BYTES,
  isIntentId,
  TIMEFRAMES,
  MsgType,
  TYPE_NAME,
  schemas,
  type AnyMsg,
  type Body,
  type Msg,
  type MsgTypeName,
} from './messages.js';
import type { ErrorCode } from './errors.js';

// msgpackr's typings lack 'auto', which it supports (number while exact, bigint above).
const packr = new Packr({
  useRecords: false, // records are a msgpackr extension: never on the wire
  moreTypes: false, // no extension types for Map/Set/Error/typed arrays
  structuredClone: false,
  bundleStrings: false,
  encodeUndefinedAsNil: true, // `undefined` would otherwise become an extension; types forbid it anyway
  mapsAsObjects: true,
  int64AsType: 'auto' as 'number', // number while exact (≤ 2^53), bigint above: tickets never lose a digit
});

/** A frame that is not a valid message. `code` goes into the ERROR reply. */
export class ProtocolError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'MALFORMED' | 'UNKNOWN_TYPE' | 'TOO_LARGE' | 'SEQ_GAP'>,
    message: string,
    readonly msgType?: number,
    readonly requestId?: number,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function encodeMessage<N extends MsgTypeName>(name: N, seq: number, body: Body<N>): Buffer {
  // `type` and `seq` first: a reader can dispatch on the first two keys.
  return packr.pack({ type: MsgType[name], seq, ...body });
}

/** Encode any value as standard MessagePack (used by tests and tools). */
export function encodeRaw(value: unknown): Buffer {
  return packr.pack(value);
}

function pathOf(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(message)';
}

/** Format zod issues as "field ticks[0][1]: expected number, received string; …". */
export function describeIssues(error: z.ZodError, max = 5): string {
  const parts = error.issues.slice(0, max).map((i) => `${pathOf(i.path)}: ${i.message}`);
  if (error.issues.length > max) parts.push(`… ${error.issues.length - max} more`);
  return parts.join('; ');
}

/**
 * Decode and validate one frame. Throws ProtocolError with a message that names the field that is wrong.
 */
export function decodeMessage(data: Uint8Array, maxBytes = MAX_FRAME_BYTES): AnyMsg {
  if (data.length > maxBytes) {
    throw new ProtocolError('TOO_LARGE', `frame of ${data.length} bytes exceeds the limit of ${maxBytes}`);
  }
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (e) {
    throw new ProtocolError('MALFORMED', `not valid MessagePack: ${(e as Error).message}`);
  }
  return validateMessage(raw);
}

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

export function validateMessage(raw: unknown): AnyMsg {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ProtocolError('MALFORMED', `expected a map with "type" and "seq", got ${raw === null ? 'nil' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  const obj = raw as Record<string, unknown>;
  const type = obj.type;
  // echoed as the ERROR's `re`, which must itself decode: only an id the schema would accept (not 1.5, -1, 2^60)
  const reqId = Number.isSafeInteger(obj.id) && (obj.id as number) >= 0 ? (obj.id as number) : undefined;
  if (typeof type !== 'number') throw new ProtocolError('MALFORMED', 'field "type": expected an integer message type', undefined, reqId);
  const name = TYPE_NAME[type];
  if (!name) throw new ProtocolError('UNKNOWN_TYPE', `unknown message type ${type}`, type, reqId);
  const fast = type === MsgType.TICKS ? fastTicks(obj) : type === MsgType.BAR ? fastBar(obj) : type === MsgType.ACCOUNT ? fastAccount(obj) : type === MsgType.POSITIONS ? fastPositions(obj) : type === MsgType.HISTORY && fastHistory(obj);
  if (fast) return obj as unknown as AnyMsg;
  const parsed = schemas[name].safeParse(obj);
  if (!parsed.success) {
    throw new ProtocolError('MALFORMED', `${name}: ${describeIssues(parsed.error)}`, type, reqId);
  }
  return parsed.data as AnyMsg;
}

export function isType<N extends MsgTypeName>(msg: AnyMsg, name: N): msg is Msg<N> & AnyMsg {
  return msg.type === MsgType[name];
}

/** Per-direction sequence numbers: the sender counts 1, 2, 3 …; the receiver reports gaps. */
export class SeqCounter {
  private n = 0;
  next(): number {
    return ++this.n;
  }
  get last(): number {
    return this.n;
  }
}

export class SeqChecker {
  private expected = 1;
  gaps = 0;
  /** Returns null when in order, else the number of messages missing (negative when repeated/out of order). */
  check(seq: number): number | null {
    if (seq === this.expected) {
      this.expected++;
      return null;
    }
    const missing = seq - this.expected;
    this.gaps++;
    if (seq > this.expected) this.expected = seq + 1;
    return missing;
  }
}
