/**
 * The EA's ring of recent intent results (ea-logic.ts): the last `size` intent ids, each with the result it got, so
 * that a re-sent id returns the stored result instead of executing again.
 *
 * A backtest sends an intent per entry and exit (~60,000 in a million bars) and looks each one up here. Kept as a
 * `Map` of result objects, each result lived for the next 4,096 intents — long enough for the garbage collector to
 * copy it to the old generation (~15 MB a million bars) — and the Map's lookups missed the CPU's caches (its table
 * and the keys all over the heap). Here the results are rows of typed columns and the ids are found through an
 * open-addressing table of 32-bit hashes: nothing is kept per intent but its id (and its comment when that is not
 * one of the broker's constant texts, which are the same string each time). A result with parts a row cannot hold
 * (CLOSE_ALL's `results`, tickets given as numbers) is kept as it is. `get` builds the stored result again with its
 * keys in the same order (the EA logic's: see rowMask), so a duplicate's answer is the object
 * `{ ...stored, re, duplicate: true }` was (tests/sim/result-ring.test.ts holds the two equal, key order included).
 */
import type { IntentResultBody } from '../protocol/messages.js';
import { fnv1a } from '../engine/ids.js';

type Cls = IntentResultBody['class'];
const CLASSES: readonly Cls[] = ['done', 'retry', 'final', 'ambiguous'];

/**
 * The optional keys a row can hold, as bits, in the order the EA logic writes them after the envelope (re, intentId,
 * duplicate) and retcode, class, comment: order, deal, volume, price, bid, ask, retcodeExternal (fillResult), position.
 */
const ORDER = 1, DEAL = 2, VOLUME = 4, PRICE = 8, BID = 16, ASK = 32, EXT = 64, POSITION = 128;

/** An id's FNV-1a hash (engine/ids.ts), as a signed 32-bit integer: what `get` and `add` take (one hash for both). */
export const ringHash = (id: string): number => fnv1a(id, 2166136261) | 0;
const hashOf = ringHash;

/**
 * A result as a row: the bits of the optional keys it has, or -1 when it is kept whole (CLOSE_ALL's `results`, a
 * ticket that is not a bigint, a class or comment a row cannot hold). The EA logic writes the keys in one order —
 * the envelope, retcode, class and comment, then the optional ones it has, in the order of the bits — so the bits give the keys back in that order.
 */
function rowMask(r: IntentResultBody): number {
  if (r.results !== undefined || typeof r.comment !== 'string' || CLASSES.indexOf(r.class) < 0) return -1;
  let mask = 0;
  if (r.order !== undefined) {
    if (typeof r.order !== 'bigint') return -1;
    mask |= ORDER;
  }
  if (r.deal !== undefined) {
    if (typeof r.deal !== 'bigint') return -1;
    mask |= DEAL;
  }
  if (r.volume !== undefined) mask |= VOLUME;
  if (r.price !== undefined) mask |= PRICE;
  if (r.bid !== undefined) mask |= BID;
  if (r.ask !== undefined) mask |= ASK;
  if (r.retcodeExternal !== undefined) mask |= EXT;
  if (r.position !== undefined) {
    if (typeof r.position !== 'bigint') return -1;
    mask |= POSITION;
  }
  return mask;
}

export class ResultRing {
  private readonly ids: (string | undefined)[];
  /** Each slot's id hash. */
  private readonly hash: Int32Array;
  /** Open addressing, linear probing: slot + 1 of an id with that hash, 0 = empty. */
  private readonly table: Int32Array;
  private readonly tmask: number;
  /** Kept as it is (not a row), or undefined. */
  private readonly whole: (IntentResultBody | undefined)[];
  private readonly mask: Int16Array;
  private readonly retcode: Float64Array;
  private readonly cls: Uint8Array;
  private readonly comment: (string | undefined)[];
  private readonly tickets: BigUint64Array;
  private readonly nums: Float64Array;
  /** The next slot to write (the oldest once the ring is full). */
  private next = 0;

  constructor(readonly size: number) {
    if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`result ring size must be a positive integer, not ${size}`);
    let t = 2;
    while (t < size * 2) t *= 2;
    this.table = new Int32Array(t);
    this.tmask = t - 1;
    this.ids = new Array<string | undefined>(size).fill(undefined);
    this.hash = new Int32Array(size);
    this.whole = new Array<IntentResultBody | undefined>(size).fill(undefined);
    this.mask = new Int16Array(size);
    this.retcode = new Float64Array(size);
    this.cls = new Uint8Array(size);
    this.comment = new Array<string | undefined>(size).fill(undefined);
    this.tickets = new BigUint64Array(size * 3);
    this.nums = new Float64Array(size * 5);
  }

  /** The slot of `id`, or -1. */
  private find(id: string, h: number): number {
    const table = this.table, m = this.tmask;
    for (let p = h & m; ; p = (p + 1) & m) {
      const e = table[p]!;
      if (e === 0) return -1;
      const s = e - 1;
      if (this.hash[s] === h && this.ids[s] === id) return s;
    }
  }

  /** The stored result of `id` (`h` its ringHash) answered to request `re` (a new object, `duplicate: true`), or undefined. */
  get(id: string, re: number, h = hashOf(id)): IntentResultBody | undefined {
    const s = this.find(id, h);
    if (s < 0) return undefined;
    const w = this.whole[s];
    if (w) return { ...w, re, duplicate: true };
    const m = this.mask[s]!, n = s * 5, t = s * 3;
    const r: Record<string, unknown> = { re, intentId: id, duplicate: true, retcode: this.retcode[s], class: CLASSES[this.cls[s]!], comment: this.comment[s] };
    if (m & ORDER) r.order = this.tickets[t];
    if (m & DEAL) r.deal = this.tickets[t + 1];
    if (m & VOLUME) r.volume = this.nums[n];
    if (m & PRICE) r.price = this.nums[n + 1];
    if (m & BID) r.bid = this.nums[n + 2];
    if (m & ASK) r.ask = this.nums[n + 3];
    if (m & EXT) r.retcodeExternal = this.nums[n + 4];
    if (m & POSITION) r.position = this.tickets[t + 2];
    return r as IntentResultBody;
  }

  /** Keep `result` as the result of `id` (`h` its ringHash; a new id: the caller looked it up first), forgetting the oldest when full. */
  add(id: string, result: IntentResultBody, h = hashOf(id)): void {
    const s = this.next;
    this.next = s + 1 === this.size ? 0 : s + 1;
    if (this.ids[s] !== undefined) this.remove(s);
    this.ids[s] = id;
    this.hash[s] = h;
    const table = this.table, m = this.tmask;
    let p = h & m;
    while (table[p] !== 0) p = (p + 1) & m;
    table[p] = s + 1;
    const mask = rowMask(result);
    if (mask < 0) {
      this.whole[s] = result;
      return;
    }
    this.whole[s] = undefined;
    this.mask[s] = mask;
    this.retcode[s] = result.retcode;
    this.cls[s] = CLASSES.indexOf(result.class);
    this.comment[s] = result.comment;
    const n = s * 5, t = s * 3;
    if (mask & ORDER) this.tickets[t] = result.order as bigint;
    if (mask & DEAL) this.tickets[t + 1] = result.deal as bigint;
    if (mask & VOLUME) this.nums[n] = result.volume!;
    if (mask & PRICE) this.nums[n + 1] = result.price!;
    if (mask & BID) this.nums[n + 2] = result.bid!;
    if (mask & ASK) this.nums[n + 3] = result.ask!;
    if (mask & EXT) this.nums[n + 4] = result.retcodeExternal!;
    if (mask & POSITION) this.tickets[t + 2] = result.position as bigint;
  }

  /** Take slot s out of the table (backward-shift deletion: no tombstones, probes stay short). */
  private remove(s: number): void {
    const table = this.table, m = this.tmask;
    let p = this.hash[s]! & m;
    while (table[p] !== s + 1) p = (p + 1) & m;
    // close the gap: a later entry of the cluster moves back unless its home lies cyclically within (p, q]
    for (let q = (p + 1) & m; table[q] !== 0; q = (q + 1) & m) {
      const home = this.hash[table[q]! - 1]! & m;
      if (p <= q ? home <= p || home > q : home <= p && home > q) {
        table[p] = table[q]!;
        p = q;
      }
    }
    table[p] = 0;
    this.ids[s] = undefined;
    this.whole[s] = undefined;
    this.comment[s] = undefined;
  }
}
