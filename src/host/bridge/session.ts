/**
 * One WebSocket connection that completed HELLO: its inbound queue and the host's requests on it.
 *
 *  - Inbound messages are queued and handled in order on the next turn; when ticks of a symbol pile up
 *    unhandled, only the newest TICKS message is kept. Trade messages are never dropped. A BAR is handled at once
 *    (with everything queued before it). The results among one turn's messages are recorded in one journal write
 *    (the owner's holdResults / releaseResults; execution/router.ts).
 *  - PING is answered here; HISTORY/SPEC/SNAPSHOT replies and ERRORs are matched to the pending request by id.
 *  - Everything else goes to the session's owner (the terminal it belongs to).
 */
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { ERROR_CODES } from '../../protocol/errors.js';
import { DIRECTION, MsgType, TYPE_NAME, type AnyMsg, type Body, type IntentBody, type Msg, type MsgTypeName } from '../../protocol/messages.js';
import { encodeIntent, encodeMessage, type SeqChecker, type SeqCounter } from '../../protocol/codec.js';
import type { Logger } from '../logger.js';
import { RequestError } from './request-error.js';

/** What a session hands on: the terminal (account) it belongs to. */
export interface SessionOwner {
  readonly key: string;
  /** a message for the account mirror or the intent router (what the session does not answer itself) */
  handle(msg: AnyMsg): void;
  /** the terminal's sequence numbers skipped `missing` messages */
  onGap(missing: number, session: Session): void;
  /** the session closed */
  detach(session: Session): void;
  /** a turn's messages are about to be handled: results' records and log lines may be held until releaseResults */
  holdResults?(): void;
  /** the turn's messages are handled: what was held is written (one journal write) and logged */
  releaseResults?(): void;
}

export interface SessionContext {
  log: Logger;
  requestTimeoutMs: number;
}

export type RequestName = 'HISTORY_REQUEST' | 'SPEC_REQUEST' | 'SNAPSHOT_REQUEST';
const REPLY: Readonly<Record<RequestName, number>> = { HISTORY_REQUEST: MsgType.HISTORY, SPEC_REQUEST: MsgType.SPEC, SNAPSHOT_REQUEST: MsgType.SNAPSHOT };

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
  /** TICKS messages joined to an earlier one of their symbol before they were handled. */
  coalesced = 0;
  received = 0;
  rttMs = 0;
  closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly hello: Msg<'HELLO'>,
    readonly terminal: SessionOwner,
    private readonly ctx: SessionContext,
    conn: { id: string; inSeq: SeqChecker; out: SeqCounter },
  ) {
    this.id = conn.id;
    this.inSeq = conn.inSeq;
    this.out = conn.out;
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

  /** Send an order intent under the next request id (encodeIntent: the bytes `send` would write, without its copies). */
  sendIntent(intent: IntentBody): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeIntent(intent, this.out.next(), this.nextRequestId()));
  }

  /** Send a request and wait for its reply (matched by id) for `timeoutMs` (default: the bridge's request timeout). */
  request(name: RequestName, body: object, timeoutMs = this.ctx.requestTimeoutMs): Promise<AnyMsg> {
    const id = this.nextRequestId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('TIMEOUT', `${name} ${id} to ${this.terminal.key}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, expect: REPLY[name] });
      this.send(name, { ...body, id } as never);
    });
  }

  /** @internal a decoded frame: order-checked now, handled on the next turn (a BAR at once, with what came before it) */
  accept(msg: AnyMsg): void {
    this.lastSeen = performance.now();
    this.received++;
    const gap = this.inSeq.check(msg.seq);
    if (gap !== null) {
      this.ctx.log.warn({ terminal: this.terminal.key, seq: msg.seq, missing: gap }, 'sequence gap from terminal: resyncing');
      this.terminal.onGap(gap, this);
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
    // the results among them are recorded in one journal write, and before a bar's close with its intents (router.ts)
    this.terminal.holdResults?.();
    try {
      for (const m of q) {
        try {
          this.dispatch(m);
        } catch (e) {
          this.ctx.log.error({ terminal: this.terminal.key, type: TYPE_NAME[m.type], err: (e as Error).stack }, 'handler failed');
        }
      }
    } finally {
      this.terminal.releaseResults?.();
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
          this.ctx.log.warn({ terminal: this.terminal.key, re: m.re, type: TYPE_NAME[m.type] }, 'reply to no pending request');
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
        this.ctx.log.warn({ terminal: this.terminal.key, code: m.code, re: m.re, message: m.message }, 'terminal reported an error');
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
        this.send('ERROR', { code: ERROR_CODES.ALREADY_HELLO, message: 'HELLO is only valid as the first message' });
        return;
      default:
        if (DIRECTION[TYPE_NAME[m.type]!] === 'host→ea') {
          this.send('ERROR', { code: ERROR_CODES.WRONG_DIRECTION, message: `${TYPE_NAME[m.type]} is sent by the host, not the terminal` });
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
