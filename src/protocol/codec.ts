/**
 * Encoding and decoding of bridge messages: standard MessagePack only (no msgpackr records or extensions),
 * so the EA's small hand-written decoder and any independent decoder read every message.
 */
import { Packr } from 'msgpackr';
import type * as z from 'zod';
import {
  MAX_FRAME_BYTES,
  MsgType,
  TYPE_NAME,
  schemas,
  type AnyMsg,
  type Body,
  type IntentBody,
  type Msg,
  type MsgTypeName,
} from './messages.js';
import type { ErrorCode } from './errors.js';
import { fastAccount, fastBar, fastHistory, fastIntentResult, fastOrders, fastPositions, fastTicks, fastTradeTx } from './fast-paths.js';
import { readPositionsFrame } from './codec-positions.js';

// the checked fast paths of the hot messages (and of the intents a backtest executes) live in fast-paths.ts
export { fastAccount, fastBar, fastHistory, fastIntentBody, fastIntentResult, fastOrders, fastPositions, fastTicks, fastTradeTx } from './fast-paths.js';

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

/**
 * An order intent's frame: the same bytes as `encodeMessage(intent.type, seq, { ...fields, id })` — type, seq, the
 * intent's fields in their order, id — built without copying the intent twice (a bar's intents are encoded while the
 * bar's orders wait: 3–6 µs each with the copies, under 1 µs without; scratch, hot).
 */
export function encodeIntent(intent: IntentBody, seq: number, id: number): Buffer {
  const msg: Record<string, unknown> = { type: MsgType[intent.type], seq };
  for (const k in intent) if (k !== 'type') msg[k] = (intent as Record<string, unknown>)[k];
  msg.id = id;
  return packr.pack(msg);
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
  // the terminal's position list, sent before every result: read straight from its bytes (codec-positions.ts)
  const positions = readPositionsFrame(data);
  if (positions) return positions;
  return decodeGeneral(data);
}

/** decodeMessage without the POSITIONS reader: msgpackr, then the checked fast paths or zod (tests compare the two). */
export function decodeGeneral(data: Uint8Array): AnyMsg {
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (e) {
    throw new ProtocolError('MALFORMED', `not valid MessagePack: ${(e as Error).message}`);
  }
  return validateMessage(raw);
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
  const fast = type === MsgType.TICKS ? fastTicks(obj) : type === MsgType.BAR ? fastBar(obj) : type === MsgType.ACCOUNT ? fastAccount(obj) : type === MsgType.POSITIONS ? fastPositions(obj)
    : type === MsgType.ORDERS ? fastOrders(obj) : type === MsgType.INTENT_RESULT ? fastIntentResult(obj) : type === MsgType.TRADE_TX ? fastTradeTx(obj) : type === MsgType.HISTORY && fastHistory(obj);
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
