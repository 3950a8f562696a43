/**
 * The bridge server: the EA (or the simulated terminal) connects here over WebSocket on 127.0.0.1.
 *
 *  - HELLO first, within `helloTimeoutMs`, with the token (constant-time check) and a supported version;
 *    otherwise REJECT with a reason and close. Browsers (any Origin header) are refused at the upgrade.
 *  - One session per terminal (account login @ server): a new HELLO for the same terminal replaces the old
 *    connection (a half-open socket cannot block a reconnect). Many terminals at once.
 *  - PING both ways every `heartbeatMs`; a session silent for `deadAfterMs` is dropped.
 *  - Requests (history, spec, snapshot) are correlated by id with timeouts.
 *  - Inbound messages are queued and handled in order on the next turn; when ticks of a symbol pile up
 *    unhandled, only the newest TICKS message is kept. Trade messages are never dropped.
 *  - A malformed frame gets an ERROR reply and a log line; the session lives on unless it keeps doing it.
 *  - Intents are recorded in the ledger before they are sent; a re-used intent id never executes twice;
 *    after a reconnect, intents without a result are reconciled against a terminal snapshot, then re-sent.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  DIRECTION,
  MAX_FRAME_BYTES,
  MIN_PROTOCOL_VERSION,
  MsgType,
  PROTOCOL_VERSION,
  TYPE_NAME,
  intentIdSchema,
  isIntentId,
  type Account,
  type AnyMsg,
  type Body,
  type IntentBody,
  type IntentResult,
  type Msg,
  type MsgTypeName,
  type Order,
  type Position,
  type Timeframe,
} from '../../protocol/messages.js';
import { ProtocolError, SeqChecker, SeqCounter, decodeMessage, encodeMessage } from '../../protocol/codec.js';
import { RC } from '../../protocol/retcodes.js';
import { INTENT_COMMENT_PREFIX, intentComment } from '../../sim/ea-logic.js';
import { MemoryLedger, type IntentLedger, type LedgerEntry } from '../state/ledger.js';
import { silentLogger, type Logger } from '../logger.js';
import { tokenMatches } from '../state/token.js';

export const DEFAULT_BRIDGE_PORT = 17551;

export interface BridgeOptions {
  token: string;
  host?: string;
  port?: number;
  /** Binding to anything but loopback must be asked for explicitly. */
  allowRemote?: boolean;
  logger?: Logger;
  heartbeatMs?: number;
  deadAfterMs?: number;
  helloTimeoutMs?: number;
  requestTimeoutMs?: number;
  intentTimeoutMs?: number;
  maxFrame?: number;
  ledger?: IntentLedger;
  // ---- accounts hook (src/host/trading/accounts.ts): one ledger per account --------------------------------
  /** The ledger of the terminal of account `key` (login@server); default: `ledger` for every terminal. */
  ledgerFor?: (key: string) => IntentLedger;
  // ---- end of the accounts hook ------------------------------------------------------------------------------
  /** Malformed frames tolerated per 10 s before the session is closed. */
  maxErrors?: number;
  /** Ticks and bars to ask every terminal for (can be changed per terminal with `subscribe`). */
  symbols?: string[];
  bars?: [string, Timeframe][];
}

export class RequestError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/**
 * The largest frame read from a connection that has not completed HELLO. A HELLO is a few hundred bytes; an
 * unauthenticated peer gets no more than this decoded (a 4 MiB frame of nils or empty maps would otherwise
 * block the event loop for seconds or exhaust memory before the token is even looked at).
 */
export const PRE_HELLO_MAX_BYTES = 16 * 1024;

const CLOSE = { REPLACED: 4000, BAD_TOKEN: 4001, VERSION: 4002, BAD_HELLO: 4003, ABUSE: 1008, SHUTDOWN: 1001 } as const;

/** Someone waiting for an intent's result, until `deadline` (performance.now() ms). */
type Waiter = { resolve: (r: IntentResult) => void; reject: (e: Error) => void; deadline: number; promise: Promise<IntentResult> };

/**
 * A terminal (one MT5 account) as the rest of the host sees it. It outlives connections: consumers keep
 * the same object across EA reconnects. Events: connected, disconnected, ticks, bar, tx, account, positions,
 * orders, result, gap.
 */
export class Terminal extends EventEmitter {
  session: Session | undefined;
  account: Account | undefined;
  /** The terminal's open positions: a new array at every change, never changed in place (readers cache by identity). */
  positions: Position[] = [];
  orders: Order[] = [];
  hello: Msg<'HELLO'> | undefined;
  symbols: string[];
  bars: [string, Timeframe][];
  private readonly waiters = new Map<string, Waiter>();
  /** Latest broker server time seen (s), from ticks or account updates. */
  serverTime = 0;
  resyncs = 0;
  /** This account's intent ledger (accounts hook: BridgeOptions.ledgerFor). */
  private readonly ledger: IntentLedger;

  /**
   * The result of an intent already in the ledger, whenever it comes: at once if settled, else when a result or
   * the reconciliation after a reconnection settles it (no time limit: an order's fate is not decided by a timer).
   */
  whenSettled(intentId: string): Promise<IntentResult> {
    const e = this.intentEntry(intentId);
    if (!e) return Promise.reject(new RequestError('BAD_INTENT', `intent ${intentId} is not in the ledger`));
    if (e.state === 'settled' && e.result) return Promise.resolve(e.result);
    return new Promise((res) => {
      const on = (r: IntentResult) => {
        if (r.intentId !== intentId || r.class === 'ambiguous') return;
        this.off('result', on);
        res(r);
      };
      this.on('result', on);
    });
  }

  /** The ledger entry of an intent id on this terminal, if one was ever recorded. */
  intentEntry(intentId: string): LedgerEntry | undefined {
    const e = this.ledger.get(intentId);
    return e && e.terminal === this.key ? e : undefined;
  }

  constructor(
    readonly key: string,
    private readonly server: BridgeServer,
    symbols: string[],
    bars: [string, Timeframe][],
  ) {
    super();
    this.symbols = [...symbols];
    this.bars = bars.map(([s, t]) => [s, t]);
    this.ledger = server.ledgerFor(key); // accounts hook
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  /** Change what the terminal streams (sent now if connected, and on every reconnect). */
  subscribe(symbols: string[], bars: [string, Timeframe][]): void {
    this.symbols = [...symbols];
    this.bars = bars.map(([s, t]) => [s, t]);
    this.session?.send('SUBSCRIBE', { symbols: this.symbols, bars: this.bars });
  }

  request<N extends 'HISTORY_REQUEST' | 'SPEC_REQUEST' | 'SNAPSHOT_REQUEST'>(
    name: N,
    body: Omit<Body<N>, 'id'>,
  ): Promise<AnyMsg> {
    if (!this.session) return Promise.reject(new RequestError('DISCONNECTED', `terminal ${this.key} is not connected`));
    return this.session.request(name, body);
  }

  async history(symbol: string, timeframe: Timeframe, from: number, count: number): Promise<Msg<'HISTORY'>> {
    return (await this.request('HISTORY_REQUEST', { symbol, timeframe, from, count })) as Msg<'HISTORY'>;
  }

  async spec(symbol: string): Promise<Msg<'SPEC'>['spec']> {
    return ((await this.request('SPEC_REQUEST', { symbol })) as Msg<'SPEC'>).spec;
  }

  /** Account, positions, orders and the deals from `dealsFrom` (server time, s), paged by the EA to fit its frames. */
  async snapshot(dealsFrom = 0): Promise<Msg<'SNAPSHOT'>> {
    let page = (await this.request('SNAPSHOT_REQUEST', { dealsFrom })) as Msg<'SNAPSHOT'>;
    const deals = [...page.deals];
    while (page.dealsMore && page.deals.length > 0) {
      page = (await this.request('SNAPSHOT_REQUEST', { dealsFrom, dealsOffset: deals.length })) as Msg<'SNAPSHOT'>;
      for (const d of page.deals) deals.push(d);
    }
    return { ...page, deals, dealsMore: false };
  }

  /**
   * Send an order intent. Recorded in the ledger first; sent now if connected, else on reconnect.
   * The same intent id again returns the first one's result (marked duplicate) and sends nothing.
   * Rejects with RequestError('TIMEOUT') after `intentTimeoutMs`; the intent stays in the ledger and is
   * settled by a late result or by reconciliation.
   */
  sendIntent(intent: IntentBody): Promise<IntentResult> {
    const id = intent.intentId;
    if (!isIntentId(id)) {
      // zod words the error
      const idCheck = intentIdSchema.safeParse(id);
      return Promise.reject(new RequestError('BAD_INTENT', `intentId '${id}': ${idCheck.success ? 'invalid' : (idCheck.error.issues[0]?.message ?? 'invalid')}`));
    }
    const ledger = this.ledger;
    const existing = ledger.get(intent.intentId);
    if (existing) {
      if (existing.terminal !== this.key) {
        return Promise.reject(new RequestError('BAD_INTENT', `intent id ${intent.intentId} was already used on terminal ${existing.terminal}`));
      }
      if (existing.state === 'settled' && existing.result) return Promise.resolve({ ...existing.result, duplicate: true });
      return this.waiterFor(intent.intentId).promise;
    }
    const entry: LedgerEntry = {
      intentId: intent.intentId, terminal: this.key, intent, state: 'pending', createdAt: this.serverTime, attempts: 0,
    };
    const written = ledger.add(entry); // recorded before anything goes to the terminal
    const w = this.waiterFor(intent.intentId);
    if (this.batching > 0 && !written) {
      entry.state = 'recording'; // its line is held: written, then sent, when the batch ends
      this.held.push({ entry, w });
    } else if (written) {
      entry.state = 'recording'; // not sendable (nor resent by a resync) until it is on disk
      written.then(
        () => {
          entry.state = 'pending';
          if (this.session) this.transmit(entry);
        },
        (e: Error) => this.notRecorded(entry, w, e),
      );
    } else if (this.session) this.transmit(entry);
    return w.promise;
  }

  private batching = 0;
  private held: { entry: LedgerEntry; w: Waiter }[] = [];

  /**
   * Run `fn` with its intents batched (a bar on which several strategies act): their ledger lines are written
   * in one write when `fn` returns, and only then do they go out, in one socket write. One write and one
   * syscall per bar instead of three per intent; a failed ledger write rejects every intent of the batch and
   * sends none.
   */
  batch<T>(fn: () => T): T {
    if (this.batching++ === 0) this.ledger.hold?.();
    try {
      return fn();
    } finally {
      if (--this.batching === 0) this.endBatch();
    }
  }

  private endBatch(): void {
    const held = this.held;
    this.held = [];
    const ledger = this.ledger;
    try {
      ledger.flush?.();
    } catch (e) {
      for (const { entry, w } of held) this.notRecorded(entry, w, e as Error);
      return;
    }
    if (!held.length) return;
    const s = this.session;
    s?.cork();
    const out: LedgerEntry[] = [];
    try {
      for (const { entry } of held) {
        entry.state = 'pending';
        if (this.session) {
          this.put(entry);
          out.push(entry);
        }
      }
    } finally {
      s?.uncork();
      // then their 'sent' records (one journal write) and their log lines: neither holds the bar's orders back
      ledger.hold?.();
      const attempts = out.map((entry) => this.markSent(entry));
      try {
        ledger.flush?.();
      } catch (e) {
        this.server.log.error({ terminal: this.key, err: (e as Error).message }, 'ledger write failed (intents marked sent)');
      }
      out.forEach((entry, k) => this.logSent(entry, attempts[k]!));
    }
  }

  /** The ledger could not record an intent: it is not sent, and its caller hears why. */
  private notRecorded(entry: LedgerEntry, w: Waiter, e: Error): void {
    this.server.log.error({ terminal: this.key, intentId: entry.intentId, err: e.message }, 'ledger write failed: intent not sent');
    this.waiters.delete(entry.intentId);
    w.reject(new RequestError('LEDGER', `the ledger could not be written (${e.message}): the intent was not sent`));
  }

  private waiterFor(intentId: string): Waiter {
    const existing = this.waiters.get(intentId);
    if (existing) return existing;
    let resolve!: (r: IntentResult) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<IntentResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // every waiter has a listener: if its caller is gone (a throw between recording and returning the promise), its
    // timeout must not become an unhandled rejection that ends the process
    promise.catch(() => {});
    const w: Waiter = { resolve, reject, promise, deadline: performance.now() + this.server.opts.intentTimeoutMs };
    this.waiters.set(intentId, w);
    if (!this.expiry) this.armExpiry(w.deadline);
    return w;
  }

  /**
   * One timer for every waiter instead of one each (a timer per order cost as much as the ledger entry): every
   * waiter gets the same timeout, so the Map's insertion order is deadline order and the first entry expires first.
   */
  private expiry: NodeJS.Timeout | undefined;

  private armExpiry(deadline: number): void {
    this.expiry = setTimeout(this.expire, Math.max(0, deadline - performance.now()));
  }

  private readonly expire = (): void => {
    this.expiry = undefined;
    const now = performance.now(), ms = this.server.opts.intentTimeoutMs;
    for (const [intentId, w] of this.waiters) {
      if (w.deadline > now) {
        this.armExpiry(w.deadline);
        return;
      }
      this.waiters.delete(intentId);
      w.reject(new RequestError('TIMEOUT', `no result for intent ${intentId} within ${ms} ms; it stays in the ledger and will be reconciled`));
    }
  };

  /** Apply a ledger change; a persistent ledger's write failure is logged (the in-memory state is already changed). */
  private record(intentId: string, patch: Partial<LedgerEntry>): void {
    const w = this.ledger.update(intentId, patch);
    if (w) w.catch((e: Error) => this.server.log.error({ terminal: this.key, intentId, err: e.message }, 'ledger write failed'));
  }

  private transmit(entry: LedgerEntry): void {
    this.put(entry);
    this.logSent(entry, this.markSent(entry));
  }

  /** The intent's frame to the socket (nothing recorded). */
  private put(entry: LedgerEntry): void {
    const s = this.session!;
    const { type, ...body } = entry.intent;
    s.send(type, { ...body, id: s.nextRequestId() } as Body<typeof type>);
  }

  /**
   * Record the send; returns how many sends came before it. Recorded after the send: a process that dies in between
   * leaves it 'pending', which a restart treats exactly like 'sent' (both become 'unknown' and are looked for on the
   * terminal before any re-send).
   */
  private markSent(entry: LedgerEntry): number {
    const attempt = entry.attempts;
    this.record(entry.intentId, { state: 'sent', sentAt: this.serverTime, attempts: attempt + 1 });
    return attempt;
  }

  /** `attempt` counts the sends before this one (0 for the first). */
  private logSent(entry: LedgerEntry, attempt: number): void {
    this.server.log.info({ terminal: this.key, intentId: entry.intentId, type: entry.intent.type, attempt }, 'intent sent');
  }

  /** @internal a result arrived from the terminal */
  settle(result: IntentResult, by: 'result' | 'reconcile'): void {
    const ledger = this.ledger;
    const entry = ledger.get(result.intentId);
    if (!entry) {
      this.server.log.warn({ terminal: this.key, intentId: result.intentId, retcode: result.retcode }, 'result for an intent not in the ledger');
      return;
    }
    if (entry.state === 'settled') return; // a duplicate reply to a re-sent intent: the first result stands
    this.record(result.intentId, { state: result.class === 'ambiguous' ? 'unknown' : 'settled', result, settledBy: by });
    this.server.log.info(
      { terminal: this.key, intentId: result.intentId, retcode: result.retcode, class: result.class, by, duplicate: result.duplicate },
      'intent result',
    );
    const w = this.waiters.get(result.intentId);
    if (w) {
      this.waiters.delete(result.intentId);
      w.resolve(result);
    }
    this.emit('result', result);
  }

  /** @internal a session finished its handshake for this terminal */
  async attach(session: Session): Promise<void> {
    this.session = session;
    this.hello = session.hello;
    this.account = session.hello.account;
    this.serverTime = Math.max(this.serverTime, session.hello.account.serverTime);
    // before anything new is sent on this session; entries still being written are sent by their writer
    const open = this.ledger.open(this.key).filter((e) => e.state !== 'recording');
    this.emit('connected', session);
    if (open.length > 0) await this.resync(session, open);
    if (this.session === session) await this.adoptOrphans(session);
  }

  /** Ids adopted from the terminal at the last connection (see adoptOrphans). */
  adopted: string[] = [];

  /**
   * At every connection: positions, pending orders and recent deals whose comment carries an intent id the
   * ledger does not know (a state restored from an older backup, a ledger from another machine) are recorded
   * as settled, so that id can never execute again; the rest without an intent id are the trader's own and
   * left alone. Both are logged.
   */
  private async adoptOrphans(session: Session): Promise<void> {
    let snap: Msg<'SNAPSHOT'>;
    try {
      snap = await this.snapshot(Math.max(0, this.serverTime - 7 * 86400));
    } catch (e) {
      this.server.log.warn({ terminal: this.key, err: (e as Error).message }, 'orphan check: no snapshot');
      return;
    }
    if (this.session !== session) return;
    const ledger = this.ledger;
    const adopted: string[] = [];
    let foreign = 0;
    const adopt = (comment: string, intent: IntentBody, found: Partial<IntentResult>): boolean => {
      if (!comment.startsWith(INTENT_COMMENT_PREFIX)) return false;
      const intentId = comment.slice(INTENT_COMMENT_PREFIX.length);
      if (!intentIdSchema.safeParse(intentId).success || ledger.get(intentId) || adopted.includes(intentId)) return true;
      const result: IntentResult = { type: MsgType.INTENT_RESULT, seq: 0, re: 0, intentId, retcode: RC.DONE, class: 'done', duplicate: true, comment: 'adopted from terminal state', ...found };
      const w = ledger.add({ intentId, terminal: this.key, intent: { ...intent, intentId } as IntentBody, state: 'settled', createdAt: this.serverTime, attempts: 0, result, settledBy: 'reconcile', adopted: true });
      if (w) w.catch((e: Error) => this.server.log.error({ terminal: this.key, intentId, err: e.message }, 'ledger write failed for an adopted intent'));
      adopted.push(intentId);
      return true;
    };
    for (const d of snap.deals) {
      if (d.entry !== 0 || (d.type !== 0 && d.type !== 1)) continue;
      adopt(d.comment, { type: 'OPEN', intentId: '', magic: d.magic, symbol: d.symbol, side: d.type, volume: d.volume, sl: 0, tp: 0, deviation: 0 }, { order: d.order, deal: d.ticket, position: d.positionId, volume: d.volume, price: d.price });
    }
    for (const p of snap.positions) {
      if (!adopt(p.comment, { type: 'OPEN', intentId: '', magic: p.magic, symbol: p.symbol, side: p.type, volume: p.volume, sl: p.sl, tp: p.tp, deviation: 0 }, { position: p.ticket, volume: p.volume, price: p.priceOpen })) foreign++;
    }
    for (const o of snap.orders) {
      if (!adopt(o.comment, { type: 'PLACE_PENDING', intentId: '', magic: o.magic, symbol: o.symbol, orderType: o.type, volume: o.volume, price: o.priceOpen, stopLimit: o.stopLimit, sl: o.sl, tp: o.tp, expiration: o.expiration }, { order: o.ticket, volume: o.volume, price: o.priceOpen })) foreign++;
    }
    this.adopted = adopted;
    if (adopted.length) this.server.log.warn({ terminal: this.key, adopted }, `adopted ${adopted.length} intent(s) found on the terminal but not in the ledger: recorded as settled, never executed again`);
    if (foreign) this.server.log.info({ terminal: this.key, count: foreign }, 'positions/orders without an intent id: the trader\'s own, left alone');
    this.emit('orphans', { adopted, foreign });
  }

  /** Settle intents that have no result: find them in the terminal's state by comment, else send them again. */
  private async resync(session: Session, open: LedgerEntry[]): Promise<void> {
    this.resyncs++;
    const unsent = open.filter((e) => e.state === 'pending');
    const uncertain = open.filter((e) => e.state !== 'pending');
    let snap: Msg<'SNAPSHOT'> | undefined;
    if (uncertain.length > 0) {
      const from = Math.min(...uncertain.map((e) => e.createdAt)) - 3600;
      try {
        snap = await this.snapshot(Math.max(0, from));
      } catch (e) {
        this.server.log.error({ terminal: this.key, err: (e as Error).message }, 'resync snapshot failed; open intents stay unsettled');
        return;
      }
    }
    if (this.session !== session) return;
    for (const e of uncertain) {
      const found = snap && findIntent(snap, e.intentId);
      if (found) {
        this.settle({ type: MsgType.INTENT_RESULT, seq: 0, re: 0, intentId: e.intentId, retcode: RC.DONE, class: 'done', duplicate: true, comment: 'reconciled from terminal state', ...found }, 'reconcile');
      } else if (e.result?.class === 'ambiguous') {
        // the broker answered ambiguously and nothing of it exists: it did not execute
        this.record(e.intentId, { state: 'settled', settledBy: 'reconcile' });
      } else {
        this.transmit(e);
      }
    }
    for (const e of unsent) this.transmit(e);
  }

  /** @internal */
  detach(session: Session): void {
    if (this.session !== session) return;
    this.session = undefined;
    for (const e of this.ledger.open(this.key)) {
      if (e.state === 'sent') this.record(e.intentId, { state: 'unknown' });
    }
    this.emit('disconnected');
  }

  /** @internal */
  handle(msg: AnyMsg): void {
    switch (msg.type) {
      case MsgType.TICKS: {
        const last = msg.ticks[msg.ticks.length - 1]!;
        const t = Math.floor(last[0] / 1000);
        if (t > this.serverTime) this.serverTime = t;
        this.emit('ticks', msg);
        break;
      }
      case MsgType.BAR:
        this.emit('bar', msg);
        break;
      case MsgType.ACCOUNT:
        this.account = msg.account;
        if (msg.account.serverTime > this.serverTime) this.serverTime = msg.account.serverTime;
        this.emit('account', msg.account);
        break;
      case MsgType.POSITIONS:
        this.positions = msg.positions;
        this.emit('positions', msg.positions);
        break;
      case MsgType.ORDERS:
        this.orders = msg.orders;
        this.emit('orders', msg.orders);
        break;
      case MsgType.TRADE_TX:
        this.emit('tx', msg);
        break;
      case MsgType.INTENT_RESULT:
        this.settle(msg, 'result');
        break;
      default:
        break;
    }
  }

  /** @internal */
  failAll(reason: string): void {
    clearTimeout(this.expiry);
    this.expiry = undefined;
    for (const [id, w] of this.waiters) {
      w.reject(new RequestError('SHUTDOWN', reason));
      this.waiters.delete(id);
    }
  }
}

function findIntent(snap: Msg<'SNAPSHOT'>, intentId: string): Partial<IntentResult> | undefined {
  const tag = intentComment(intentId);
  const deal = snap.deals.find((d) => d.comment === tag);
  if (deal) return { order: deal.order, deal: deal.ticket, position: deal.positionId, volume: deal.volume, price: deal.price };
  const order = snap.orders.find((o) => o.comment === tag);
  if (order) return { order: order.ticket, volume: order.volume, price: order.priceOpen };
  const pos = snap.positions.find((p) => p.comment === tag);
  if (pos) return { position: pos.ticket, volume: pos.volume, price: pos.priceOpen };
  return undefined;
}

/** One WebSocket connection that completed HELLO. */
/** The most ticks of one symbol a turn of the event loop hands on (the newest: older ones only moved a forming bar's high and low). */
const MAX_COALESCED_TICKS = 4096;

export class Session {
  readonly id: string;
  readonly out: SeqCounter;
  readonly inSeq: SeqChecker;
  lastSeen = performance.now();
  private reqId = 0;
  private readonly pending = new Map<number, { resolve: (m: AnyMsg) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; expect: number }>();
  private queue: AnyMsg[] = [];
  private readonly tickSlot = new Map<string, number>();
  private scheduled = false;
  /** TICKS messages replaced by a newer one before they were handled. */
  coalesced = 0;
  received = 0;
  rttMs = 0;
  closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly hello: Msg<'HELLO'>,
    readonly terminal: Terminal,
    private readonly server: BridgeServer,
    pre: Connection,
  ) {
    this.id = pre.id;
    this.inSeq = pre.inSeq;
    this.out = pre.out;
  }

  nextRequestId(): number {
    return ++this.reqId;
  }

  /** Hold outgoing frames in the socket until `uncork()` (nested calls count), then write them together. */
  cork(): void {
    (this.ws as unknown as { _socket?: { cork(): void } })._socket?.cork();
  }

  uncork(): void {
    (this.ws as unknown as { _socket?: { uncork(): void } })._socket?.uncork();
  }

  send<N extends MsgTypeName>(name: N, body: Body<N>): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeMessage(name, this.out.next(), body));
  }

  request(name: 'HISTORY_REQUEST' | 'SPEC_REQUEST' | 'SNAPSHOT_REQUEST', body: object): Promise<AnyMsg> {
    const id = this.nextRequestId();
    const expect = { HISTORY_REQUEST: MsgType.HISTORY, SPEC_REQUEST: MsgType.SPEC, SNAPSHOT_REQUEST: MsgType.SNAPSHOT }[name];
    return new Promise((resolve, reject) => {
      const ms = this.server.opts.requestTimeoutMs;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('TIMEOUT', `${name} ${id} to ${this.terminal.key}: no reply within ${ms} ms`));
      }, ms);
      this.pending.set(id, { resolve, reject, timer, expect });
      this.send(name, { ...body, id } as never);
    });
  }

  /** @internal a decoded frame: order-checked now, handled on the next turn (a BAR at once, with what came before it) */
  accept(msg: AnyMsg): void {
    this.lastSeen = performance.now();
    this.received++;
    const gap = this.inSeq.check(msg.seq);
    if (gap !== null) {
      this.server.log.warn({ terminal: this.terminal.key, seq: msg.seq, missing: gap }, 'sequence gap from terminal: resyncing');
      this.terminal.emit('gap', gap);
      // a fresh snapshot refreshes the account, positions and orders mirror (see dispatch SNAPSHOT)
      // (deals are not needed for that: from the terminal's current time, not its whole history)
      this.terminal.snapshot(this.terminal.serverTime).catch((e: Error) => this.server.log.warn({ terminal: this.terminal.key, err: e.message }, 'resync after gap failed'));
    }
    if (msg.type === MsgType.TICKS) {
      const slot = this.tickSlot.get(msg.symbol);
      if (slot !== undefined) {
        this.coalesced++;
        // one message per symbol and turn: the ticks join it (the quote is the last one; the forming bar of an
        // intrabar strategy and the spread guard see them all), bounded so a flood cannot grow it without end
        const prev = this.queue[slot] as Msg<'TICKS'>;
        const ticks = prev.ticks.length + msg.ticks.length > MAX_COALESCED_TICKS ? [...prev.ticks, ...msg.ticks].slice(-MAX_COALESCED_TICKS) : [...prev.ticks, ...msg.ticks];
        this.queue[slot] = { ...msg, ticks } as AnyMsg;
      } else {
        this.tickSlot.set(msg.symbol, this.queue.length);
        this.queue.push(msg);
      }
    } else {
      this.queue.push(msg);
      // a closed bar is what strategies wait for: handled now, after everything queued before it, instead of after
      // the rest of the chunk is decoded (the ticks the terminal sent after it wait for the next turn, as before)
      if (msg.type === MsgType.BAR) {
        this.drain();
        return;
      }
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    this.tickSlot.clear();
    for (const m of q) {
      try {
        this.dispatch(m);
      } catch (e) {
        this.server.log.error({ terminal: this.terminal.key, type: TYPE_NAME[m.type], err: (e as Error).stack }, 'handler failed');
      }
    }
  };

  private dispatch(m: AnyMsg): void {
    switch (m.type) {
      case MsgType.PING:
        this.send('PONG', { ts: m.ts });
        return;
      case MsgType.PONG:
        this.rttMs = performance.now() - m.ts;
        return;
      case MsgType.HISTORY:
      case MsgType.SPEC:
      case MsgType.SNAPSHOT: {
        const p = this.pending.get(m.re);
        if (!p || p.expect !== m.type) {
          this.server.log.warn({ terminal: this.terminal.key, re: m.re, type: TYPE_NAME[m.type] }, 'reply to no pending request');
          return;
        }
        clearTimeout(p.timer);
        this.pending.delete(m.re);
        if (m.type === MsgType.SNAPSHOT) {
          this.terminal.handle({ type: MsgType.ACCOUNT, seq: 0, account: m.account });
          this.terminal.handle({ type: MsgType.POSITIONS, seq: 0, positions: m.positions });
          this.terminal.handle({ type: MsgType.ORDERS, seq: 0, orders: m.orders });
        }
        p.resolve(m);
        return;
      }
      case MsgType.ERROR: {
        this.server.log.warn({ terminal: this.terminal.key, code: m.code, re: m.re, message: m.message }, 'terminal reported an error');
        if (m.re !== undefined) {
          const p = this.pending.get(m.re);
          if (p) {
            clearTimeout(p.timer);
            this.pending.delete(m.re);
            p.reject(new RequestError(m.code, m.message));
          }
        }
        return;
      }
      case MsgType.HELLO:
        this.send('ERROR', { code: 'ALREADY_HELLO', message: 'HELLO is only valid as the first message' });
        return;
      default:
        if (DIRECTION[TYPE_NAME[m.type]!] === 'host→ea') {
          this.send('ERROR', { code: 'WRONG_DIRECTION', message: `${TYPE_NAME[m.type]} is sent by the host, not the terminal` });
          return;
        }
        this.terminal.handle(m);
    }
  }

  /** @internal */
  closedNow(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError('DISCONNECTED', `terminal ${this.terminal.key} disconnected`));
    }
    this.pending.clear();
    this.queue = [];
    this.terminal.detach(this);
  }
}

/** A raw connection before (and under) a session. */
interface Connection {
  id: string;
  ws: WebSocket;
  out: SeqCounter;
  inSeq: SeqChecker;
  session: Session | undefined;
  errors: number[];
  remote: string;
}

export class BridgeServer extends EventEmitter {
  readonly opts: Required<Omit<BridgeOptions, 'ledger' | 'ledgerFor' | 'logger' | 'allowRemote' | 'symbols' | 'bars'>> & { symbols: string[]; bars: [string, Timeframe][] };
  readonly ledger: IntentLedger;
  readonly log: Logger;
  readonly terminals = new Map<string, Terminal>();
  private wss: WebSocketServer | undefined;
  private readonly conns = new Set<Connection>();
  private heartbeat: NodeJS.Timeout | undefined;
  private connCounter = 0;
  port = 0;
  /** Lines about misbehaving peers (malformed frames, refused or unauthenticated connections) in this window. */
  private noise = { windowStart: -Infinity, lines: 0, suppressed: 0 };
  /** At most this many such lines per 10 s; the rest are counted and reported in one line (no log flood). */
  static readonly NOISE_LINES_PER_10S = 30;

  constructor(opts: BridgeOptions) {
    super();
    const host = opts.host ?? '127.0.0.1';
    if (!LOOPBACK.has(host) && !opts.allowRemote) {
      throw new Error(`refusing to bind the bridge to ${host}: it accepts order intents, so it listens on 127.0.0.1 unless allowRemote is set explicitly`);
    }
    if (!opts.token || opts.token.length < 16) throw new Error('bridge token must be at least 16 characters');
    const heartbeatMs = opts.heartbeatMs ?? 5000;
    this.opts = {
      token: opts.token,
      host,
      port: opts.port ?? DEFAULT_BRIDGE_PORT,
      heartbeatMs,
      deadAfterMs: opts.deadAfterMs ?? heartbeatMs * 3,
      helloTimeoutMs: opts.helloTimeoutMs ?? 5000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      intentTimeoutMs: opts.intentTimeoutMs ?? 15_000,
      maxFrame: opts.maxFrame ?? MAX_FRAME_BYTES,
      maxErrors: opts.maxErrors ?? 20,
      symbols: opts.symbols ?? [],
      bars: opts.bars ?? [],
    };
    this.ledger = opts.ledger ?? new MemoryLedger();
    this.ledgerFor = opts.ledgerFor ?? (() => this.ledger); // accounts hook
    this.log = opts.logger ?? silentLogger;
  }

  /** The ledger a terminal of account `key` records its intents in (accounts hook). */
  readonly ledgerFor: (key: string) => IntentLedger;

  async start(): Promise<number> {
    const wss = new WebSocketServer({
      host: this.opts.host,
      port: this.opts.port,
      maxPayload: this.opts.maxFrame,
      perMessageDeflate: false,
      clientTracking: false,
      verifyClient: (info: { origin: string; req: IncomingMessage }, cb: (ok: boolean, code?: number, msg?: string) => void) => {
        // a web page could otherwise reach 127.0.0.1 from the trader's browser
        if (info.req.headers.origin) {
          this.log.warn({ origin: info.req.headers.origin }, 'refused a browser connection to the bridge');
          cb(false, 403, 'Forbidden');
          return;
        }
        cb(true);
      },
    });
    this.wss = wss;
    wss.on('connection', (ws, req) => this.onConnection(ws, req));
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    wss.on('error', (e) => this.log.error({ err: e.message }, 'bridge server error'));
    const addr = wss.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    this.heartbeat = setInterval(() => this.beat(), Math.max(50, Math.floor(this.opts.heartbeatMs / 2)));
    this.heartbeat.unref();
    this.log.info({ host: this.opts.host, port: this.port, protocol: PROTOCOL_VERSION }, 'bridge listening');
    return this.port;
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.conns) {
      if (c.session) this.sendTo(c, 'REJECT', { code: 'SHUTDOWN', message: 'the host is shutting down' });
      c.ws.close(CLOSE.SHUTDOWN, 'host shutting down');
    }
    for (const t of this.terminals.values()) t.failAll('the host is shutting down');
    const wss = this.wss;
    this.wss = undefined;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
    // sockets that did not finish the close handshake in time
    for (const c of this.conns) c.ws.terminate();
    this.conns.clear();
  }

  /** The terminal for an account key `login@server`, created on first use (so intents can wait for it). */
  terminal(key: string): Terminal {
    let t = this.terminals.get(key);
    if (!t) {
      t = new Terminal(key, this, this.opts.symbols, this.opts.bars);
      this.terminals.set(key, t);
    }
    return t;
  }

  sessions(): Session[] {
    return [...this.conns].flatMap((c) => (c.session && !c.session.closed ? [c.session] : []));
  }

  private sendTo<N extends MsgTypeName>(c: Connection, name: N, body: Body<N>): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(encodeMessage(name, c.out.next(), body));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const c: Connection = {
      id: `s${++this.connCounter}`, ws, out: new SeqCounter(), inSeq: new SeqChecker(), session: undefined, errors: [],
      remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
    };
    this.conns.add(c);
    this.warnLimited(c, { conn: c.id, remote: c.remote }, 'terminal connecting', 'info');
    // until HELLO, the socket itself takes no frame above PRE_HELLO_MAX_BYTES: ws closes it (1009) on the frame's
    // header, before buffering the payload (ws 8 reads this per-receiver limit; the length check below stays as
    // the guard should it ever not)
    const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
    if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = PRE_HELLO_MAX_BYTES;
    const helloTimer = setTimeout(() => {
      if (!c.session) {
        this.warnLimited(c, { conn: c.id }, 'no HELLO in time: closing');
        this.sendTo(c, 'REJECT', { code: 'BAD_HELLO', message: `send HELLO within ${this.opts.helloTimeoutMs} ms of connecting` });
        ws.close(CLOSE.BAD_HELLO, 'no HELLO');
      }
    }, this.opts.helloTimeoutMs);
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (!isBinary) {
        this.malformed(c, new ProtocolError('MALFORMED', 'text frame: the bridge speaks MessagePack in binary frames'));
        return;
      }
      if (!c.session && buf.length > PRE_HELLO_MAX_BYTES) {
        // not decoded at all: the peer has not shown the token yet
        clearTimeout(helloTimer);
        this.warnLimited(c, { conn: c.id, bytes: buf.length }, 'first frame too large for a HELLO: closing');
        this.sendTo(c, 'REJECT', { code: 'BAD_HELLO', message: `the first frame must be a HELLO of at most ${PRE_HELLO_MAX_BYTES} bytes, got ${buf.length} bytes` });
        ws.close(CLOSE.BAD_HELLO, 'first frame too large');
        return;
      }
      let msg: AnyMsg;
      try {
        msg = decodeMessage(buf, this.opts.maxFrame);
      } catch (e) {
        if (c.session) c.session.lastSeen = performance.now();
        if (!c.session) {
          // a first frame we cannot read (a HELLO with a bad field, or not a HELLO at all): say what is wrong and
          // close — an unauthenticated peer gets no second try on this connection
          clearTimeout(helloTimer);
          const why = e instanceof Error ? e.message : String(e);
          this.warnLimited(c, { conn: c.id, err: why }, 'unreadable first frame: closing');
          this.sendTo(c, 'REJECT', { code: 'BAD_HELLO', message: e instanceof ProtocolError && e.msgType === MsgType.HELLO ? why : `the first message must be a valid HELLO: ${why}` });
          ws.close(CLOSE.BAD_HELLO, 'bad HELLO');
          return;
        }
        this.malformed(c, e instanceof ProtocolError ? e : new ProtocolError('MALFORMED', String(e)));
        return;
      }
      if (c.session) {
        c.session.accept(msg);
        return;
      }
      clearTimeout(helloTimer);
      this.onHello(c, msg);
    });
    ws.on('error', (e) => this.warnLimited(c, { conn: c.id, err: e.message }, 'bridge socket error'));
    ws.on('close', (code, reason) => {
      clearTimeout(helloTimer);
      this.conns.delete(c);
      const s = c.session;
      const line = { conn: c.id, terminal: s?.terminal.key, code, reason: reason.toString() };
      const text = code === 1009 ? 'frame over the size limit: connection closed' : 'terminal disconnected';
      if (s) this.log.info(line, text);
      else this.warnLimited(c, line, text, 'info');
      s?.closedNow();
    });
  }

  /**
   * A warning about a peer's misbehaviour, rate-limited across all connections: a flood of bad frames or
   * connections writes at most NOISE_LINES_PER_10S lines per 10 s, then one line with the number suppressed.
   */
  private warnLimited(_c: Connection | undefined, obj: Record<string, unknown>, msg: string, level: 'warn' | 'info' = 'warn'): void {
    const now = performance.now();
    const n = this.noise;
    if (now - n.windowStart >= 10_000) {
      if (n.suppressed) this.log.warn({ suppressed: n.suppressed }, `${n.suppressed} warning(s) about misbehaving bridge connections suppressed in the last 10 s`);
      n.windowStart = now;
      n.lines = 0;
      n.suppressed = 0;
    }
    if (n.lines >= BridgeServer.NOISE_LINES_PER_10S) {
      n.suppressed++;
      return;
    }
    n.lines++;
    this.log[level](obj, msg);
  }

  private malformed(c: Connection, e: ProtocolError): void {
    const now = performance.now();
    c.errors = c.errors.filter((t) => now - t < 10_000);
    c.errors.push(now);
    this.warnLimited(c, { conn: c.id, terminal: c.session?.terminal.key, code: e.code, err: e.message }, 'malformed frame');
    const reply: Body<'ERROR'> = { code: e.code, message: e.message };
    if (e.requestId !== undefined) reply.re = e.requestId;
    this.sendTo(c, 'ERROR', reply);
    if (c.errors.length > this.opts.maxErrors) {
      this.warnLimited(c, { conn: c.id }, `more than ${this.opts.maxErrors} malformed frames in 10 s: closing`);
      c.ws.close(CLOSE.ABUSE, 'too many malformed frames');
    }
  }

  private onHello(c: Connection, msg: AnyMsg): void {
    const reject = (code: 'BAD_TOKEN' | 'VERSION' | 'BAD_HELLO', message: string, closeCode: number) => {
      this.warnLimited(c, { conn: c.id, code }, `terminal rejected: ${message}`);
      this.sendTo(c, 'REJECT', { code, message });
      c.ws.close(closeCode, code);
    };
    if (msg.type !== MsgType.HELLO) {
      reject('BAD_HELLO', `the first message must be HELLO, got ${TYPE_NAME[msg.type]}`, CLOSE.BAD_HELLO);
      return;
    }
    c.inSeq.check(msg.seq);
    if (!tokenMatches(msg.token, this.opts.token)) {
      reject('BAD_TOKEN', 'wrong bridge token: copy the token the host printed (or `mt5-executor token`) into the EA input "Token"', CLOSE.BAD_TOKEN);
      return;
    }
    if (msg.protocol < MIN_PROTOCOL_VERSION || msg.protocol > PROTOCOL_VERSION) {
      reject('VERSION', `protocol version ${msg.protocol} is not supported: this host speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}; install the EA that ships with this host`, CLOSE.VERSION);
      return;
    }
    const key = `${msg.account.login}@${msg.account.server}`;
    const terminal = this.terminal(key);
    const old = terminal.session;
    if (old) {
      this.log.warn({ terminal: key }, 'terminal reconnected while its old session was open: replacing it');
      old.send('REJECT', { code: 'REPLACED', message: 'a newer connection for this account replaced this one' });
      old.ws.close(CLOSE.REPLACED, 'replaced');
      old.closedNow();
    }
    const session = new Session(c.ws, msg, terminal, this, c);
    c.session = session;
    const rx = (c.ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
    if (rx && typeof rx._maxPayload === 'number') rx._maxPayload = this.opts.maxFrame;
    session.send('WELCOME', {
      protocol: PROTOCOL_VERSION, sessionId: c.id, heartbeatMs: this.opts.heartbeatMs, maxFrame: this.opts.maxFrame,
      symbols: terminal.symbols, bars: terminal.bars,
    });
    this.log.info(
      { conn: c.id, terminal: key, build: msg.terminal.build, ea: msg.ea, hedging: msg.account.marginMode === 2, currency: msg.account.currency },
      'terminal connected',
    );
    if (terminal.hello === undefined) this.emit('terminal', terminal); // first connection: listeners subscribe now
    terminal.attach(session).catch((e) => this.log.error({ terminal: key, err: (e as Error).message }, 'attach failed'));
    this.emit('session', session);
  }

  private beat(): void {
    const now = performance.now();
    for (const c of this.conns) {
      const s = c.session;
      if (!s) continue;
      if (now - s.lastSeen > this.opts.deadAfterMs) {
        this.log.warn({ terminal: s.terminal.key, silentMs: Math.round(now - s.lastSeen) }, 'terminal silent too long: dropping the session');
        c.ws.terminate();
        s.closedNow();
        continue;
      }
      s.send('PING', { ts: Math.round(now) });
    }
  }
}
