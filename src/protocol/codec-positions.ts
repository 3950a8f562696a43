/**
 * A reader for the POSITIONS frame straight from its bytes. The terminal sends its whole position list before every
 * intent result (the EA from OnTrade), so with hundreds of positions this frame was most of what the host decoded and
 * allocated: msgpackr extracts every string of a large frame — each of the fifteen keys of each position too — and
 * grows each object key by key (bench:host at 1,000 strategies, 30 s: 514 of 930 MB allocated, 0.9 s of 5.1 s busy).
 * Here a position is one object of a fixed shape, its keys matched by their bytes, nothing else allocated.
 *
 * It reads one form only: the map {type: 27, seq, positions} in that order (as the EA and encodeMessage write it),
 * each position a map of exactly the fifteen fields of positionSchema in any order, tickets unsigned integers,
 * strings ASCII (fixstr, str8, str16), numbers finite (float64 or integers; not float32). It returns what
 * decodeMessage returns for the frame otherwise (msgpackr, then the checked fast path or zod: the fields in the
 * schema's order, tickets bigints — property-tested), or undefined for anything else, which then goes the general
 * way and gets its error message there.
 */
import type { Msg, Position } from './messages.js';
import { MAX_SYMBOL_LENGTH, MsgType } from './messages.js';

/** The fields of a position (positionSchema), in the schema's order: the bit of each is its index. */
const FIELDS = ['ticket', 'identifier', 'symbol', 'type', 'volume', 'priceOpen', 'priceCurrent', 'sl', 'tp', 'time', 'timeMsc', 'magic', 'comment', 'swap', 'profit'] as const;
const ALL = (1 << FIELDS.length) - 1;
const KEY_BYTES = FIELDS.map((f) => Buffer.from(f, 'latin1'));
/** after the map's header (of 3): "type", 27 */
const TYPE = Buffer.from([0xa4, 0x74, 0x79, 0x70, 0x65, MsgType.POSITIONS]);
const SEQ = Buffer.from([0xa3, 0x73, 0x65, 0x71]);
const POSITIONS_KEY = Buffer.from([0xa9, ...Buffer.from('positions', 'latin1')]);

/** Not the form this reader knows: the frame goes the general way. */
const NO = Symbol('no');
type No = typeof NO;

/**
 * Where the frame's "seq" starts if it begins as a POSITIONS frame (a map of 3 — fixmap as the EA writes it, map16 as
 * msgpackr does —, "type", 27), else -1.
 */
function afterType(data: Uint8Array): number {
  const at = data[0] === 0x83 ? 1 : data[0] === 0xde && data[1] === 0 && data[2] === 3 ? 3 : -1;
  if (at < 0 || data.length < at + TYPE.length) return -1;
  for (let i = 0; i < TYPE.length; i++) if (data[at + i] !== TYPE[i]) return -1;
  return at + TYPE.length;
}

class Reader {
  pos: number;
  private readonly view: DataView;
  /** the same bytes as a Buffer (its native latin1Slice makes a string in one call) */
  private readonly buf: Buffer & { latin1Slice(start: number, end: number): string };
  constructor(readonly b: Uint8Array, pos: number) {
    this.pos = pos;
    this.buf = (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)) as Buffer & { latin1Slice(start: number, end: number): string };
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** bytes `x` here (moved past them), or false */
  match(x: Uint8Array): boolean {
    const b = this.b, p = this.pos;
    if (p + x.length > b.length) return false;
    for (let i = 0; i < x.length; i++) if (b[p + i] !== x[i]) return false;
    this.pos = p + x.length;
    return true;
  }

  /**
   * a finite number as msgpackr gives it: a float64, or an integer (int64AsType auto: a number within ±2^53); float32,
   * a bigint or anything else: NO
   */
  num(): number | No {
    const b = this.b, v = this.view, p = this.pos;
    if (p >= b.length) return NO;
    const t = b[p]!;
    if (t < 0x80) return (this.pos = p + 1), t;
    if (t >= 0xe0) return (this.pos = p + 1), t - 0x100;
    const size = t === 0xcc || t === 0xd0 ? 1 : t === 0xcd || t === 0xd1 ? 2 : t === 0xce || t === 0xd2 ? 4 : t === 0xcf || t === 0xd3 || t === 0xcb ? 8 : 0;
    if (!size || p + 1 + size > b.length) return NO;
    let x: number;
    switch (t) {
      case 0xcb: x = v.getFloat64(p + 1); if (!Number.isFinite(x)) return NO; break;
      case 0xcc: x = b[p + 1]!; break;
      case 0xcd: x = v.getUint16(p + 1); break;
      case 0xce: x = v.getUint32(p + 1); break;
      case 0xd0: x = v.getInt8(p + 1); break;
      case 0xd1: x = v.getInt16(p + 1); break;
      case 0xd2: x = v.getInt32(p + 1); break;
      default: {
        const big = t === 0xcf ? v.getBigUint64(p + 1) : v.getBigInt64(p + 1);
        if (big < -(2n ** 53n) || big > 2n ** 53n) return NO;
        x = Number(big);
      }
    }
    this.pos = p + 1 + size;
    return x;
  }

  /**
   * a ticket as `ticket()` takes it — an unsigned 64-bit integer, or a number that is an exact integer from 0 to 2^53 —
   * made a bigint; else NO
   */
  ticket(): bigint | No {
    const b = this.b, p = this.pos;
    if (p + 9 <= b.length && (b[p] === 0xcf || b[p] === 0xd3)) {
      const big = b[p] === 0xcf ? this.view.getBigUint64(p + 1) : this.view.getBigInt64(p + 1);
      if (big < 0n) return NO;
      this.pos = p + 9;
      return big;
    }
    const x = this.num();
    return x === NO || !Number.isInteger(x) || x < 0 || x > 2 ** 53 ? NO : BigInt(x);
  }

  /** the size of a map (fixmap, map16, map32); else NO */
  mapSize(): number | No {
    return this.count(0x80, 0xde);
  }

  /** the length of an array (fixarray, array16, array32); else NO */
  arrayLength(): number | No {
    return this.count(0x90, 0xdc);
  }

  /** a map's or an array's count: its fix form's first byte (16 of them), its 16-bit form's (the 32-bit one's follows) */
  private count(fix: number, x16: number): number | No {
    const b = this.b, p = this.pos;
    if (p >= b.length) return NO;
    const t = b[p]!;
    if (t >= fix && t < fix + 16) return (this.pos = p + 1), t - fix;
    if (t === x16 && p + 3 <= b.length) return (this.pos = p + 3), this.view.getUint16(p + 1);
    if (t === x16 + 1 && p + 5 <= b.length) return (this.pos = p + 5), this.view.getUint32(p + 1);
    return NO;
  }

  /** an ASCII string (fixstr, str8, str16); else NO */
  str(): string | No {
    const b = this.b, p = this.pos;
    if (p >= b.length) return NO;
    const t = b[p]!;
    let n: number, at: number;
    if (t >= 0xa0 && t < 0xc0) (n = t - 0xa0), (at = p + 1);
    else if (t === 0xd9 && p + 1 < b.length) (n = b[p + 1]!), (at = p + 2);
    else if (t === 0xda && p + 2 < b.length) (n = this.view.getUint16(p + 1)), (at = p + 3);
    else return NO;
    const end = at + n;
    if (end > b.length) return NO;
    for (let i = at; i < end; i++) if (b[i]! >= 0x80) return NO;
    this.pos = end;
    return this.buf.latin1Slice(at, end);
  }

  /** the field each key of the last position was: a list's positions come with their keys in one order */
  private readonly order = new Int8Array(FIELDS.length).fill(-1);

  /** which field's key is here, the `i`-th of its map (moved past it), or -1 */
  field(i: number): number {
    const b = this.b, p = this.pos;
    const t = b[p];
    if (t === undefined || t < 0xa0 || t >= 0xc0) return -1;
    const n = t - 0xa0;
    const guess = this.order[i]!;
    if (guess >= 0 && this.keyAt(p + 1, n, guess)) {
      this.pos = p + 1 + n;
      return guess;
    }
    for (let k = 0; k < KEY_BYTES.length; k++) {
      if (!this.keyAt(p + 1, n, k)) continue;
      this.pos = p + 1 + n;
      this.order[i] = k;
      return k;
    }
    return -1;
  }

  /** the `n` bytes at `at` are field `k`'s name */
  private keyAt(at: number, n: number, k: number): boolean {
    const key = KEY_BYTES[k]!, b = this.b;
    if (key.length !== n || at + n > b.length) return false;
    for (let i = 0; i < n; i++) if (b[at + i] !== key[i]) return false;
    return true;
  }

  position(): Position | No {
    if (this.mapSize() !== FIELDS.length) return NO;
    let ticket = 0n, identifier = 0n, symbol = '', type = 0, volume = 0, priceOpen = 0, priceCurrent = 0, sl = 0, tp = 0, time = 0, timeMsc = 0, magic = 0, comment = '', swap = 0, profit = 0;
    let seen = 0;
    for (let i = 0; i < FIELDS.length; i++) {
      const k = this.field(i);
      if (k < 0 || seen & (1 << k)) return NO;
      seen |= 1 << k;
      if (k < 2) {
        const v = this.ticket();
        if (v === NO) return NO;
        if (k === 0) ticket = v;
        else identifier = v;
      } else if (k === 2 || k === 12) {
        const v = this.str();
        if (v === NO) return NO;
        if (k === 2) symbol = v;
        else comment = v;
      } else {
        const v = this.num();
        if (v === NO) return NO;
        switch (k) {
          case 3: type = v; break;
          case 4: volume = v; break;
          case 5: priceOpen = v; break;
          case 6: priceCurrent = v; break;
          case 7: sl = v; break;
          case 8: tp = v; break;
          case 9: time = v; break;
          case 10: timeMsc = v; break;
          case 11: magic = v; break;
          case 13: swap = v; break;
          default: profit = v;
        }
      }
    }
    // zod's checks that are not the kind's: int() is a safe integer, type 0 or 1, the symbol 1–64 characters
    if (seen !== ALL || (type !== 0 && type !== 1) || !Number.isSafeInteger(time) || !Number.isSafeInteger(timeMsc) || !Number.isSafeInteger(magic)) return NO;
    if (symbol.length < 1 || symbol.length > MAX_SYMBOL_LENGTH) return NO;
    return { ticket, identifier, symbol, type, volume, priceOpen, priceCurrent, sl, tp, time, timeMsc, magic, comment, swap, profit };
  }
}

/**
 * The POSITIONS message in `data`, as decodeMessage would return it, or undefined when the frame is not in the form
 * this reader knows (see the file's comment): decodeMessage then decodes it as any other frame.
 */
export function readPositionsFrame(data: Uint8Array): Msg<'POSITIONS'> | undefined {
  const at = afterType(data);
  if (at < 0) return undefined;
  const r = new Reader(data, at);
  if (!r.match(SEQ)) return undefined;
  const seq = r.num();
  if (seq === NO || !Number.isSafeInteger(seq) || seq < 1 || !r.match(POSITIONS_KEY)) return undefined;
  const n = r.arrayLength();
  if (n === NO || n > data.length) return undefined;
  const positions: Position[] = [];
  for (let i = 0; i < n; i++) {
    const p = r.position();
    if (p === NO) return undefined;
    positions.push(p);
  }
  if (r.pos !== data.length) return undefined;
  return { type: MsgType.POSITIONS, seq, positions };
}
