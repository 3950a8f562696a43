/**
 * A terminal (one MT5 account) as the rest of the host sees it: the account mirror (account, positions, orders,
 * server time), its market data events, its requests (history, spec, snapshot) and its intents, which it hands to
 * the execution router (src/host/execution). It outlives connections: consumers keep the same object across EA
 * reconnects. Events: connected, disconnected, ticks, bar, tx, account, positions, orders, result, gap, orphans.
 */
import { EventEmitter } from 'node:events';
import { MsgType, type Account, type AnyMsg, type Body, type IntentBody, type IntentResult, type Msg, type Order, type Position, type Timeframe } from '../../protocol/messages.js';
import { reconcileAfterConnect } from '../execution/reconcile.js';
import { IntentRouter } from '../execution/router.js';
import type { VenuePort } from '../execution/venue.js';
import type { Logger } from '../logger.js';
import type { IntentLedger, LedgerEntry } from '../state/ledger.js';
import { RequestError } from './request-error.js';
import type { RequestName, Session, SessionOwner } from './session.js';

export interface TerminalContext {
  ledger: IntentLedger;
  log: Logger;
  intentTimeoutMs: number;
  /** see execution/reask.ts */
  reaskMs: number;
}

export class Terminal extends EventEmitter implements SessionOwner {
  session: Session | undefined;
  account: Account | undefined;
  /** The terminal's open positions: a new array at every change, never changed in place (readers cache by identity). */
  positions: Position[] = [];
  orders: Order[] = [];
  hello: Msg<'HELLO'> | undefined;
  symbols: string[];
  bars: [string, Timeframe][];
  /** Latest broker server time seen (s), from ticks or account updates. */
  serverTime = 0;
  /** Connections that found open intents to reconcile. */
  resyncs = 0;
  /** Ids adopted from the terminal at the last connection (see execution/reconcile.ts adoptOrphans). */
  adopted: string[] = [];
  /** Sessions so far (the venue's epoch). */
  private epoch = 0;
  /** The session (epoch) whose position list the mirror holds: the EA sends it after WELCOME, a snapshot brings it too. */
  private positionsOf = -1;
  readonly router: IntentRouter;
  private readonly log: Logger;

  constructor(
    readonly key: string,
    ctx: TerminalContext,
    symbols: string[],
    bars: [string, Timeframe][],
  ) {
    super();
    this.symbols = [...symbols];
    this.bars = bars.map(([s, t]) => [s, t]);
    this.log = ctx.log;
    this.router = new IntentRouter(ctx.ledger, ctx.log, this.venue(), {
      intentTimeoutMs: ctx.intentTimeoutMs, reaskMs: ctx.reaskMs, onResult: (r) => this.emit('result', r),
    });
  }

  /** This terminal as the execution side's venue port. */
  private venue(): VenuePort {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const t = this;
    return {
      key: t.key,
      get epoch() {
        return t.epoch;
      },
      get connected() {
        return t.session !== undefined;
      },
      send(intent: IntentBody): boolean {
        const s = t.session;
        if (!s) return false;
        s.sendIntent(intent);
        return true;
      },
      cork: () => t.session?.cork(),
      uncork: () => t.session?.uncork(),
      serverTime: () => t.serverTime,
      snapshot: (from, timeoutMs) => t.snapshot(from, timeoutMs),
    };
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  // ---------------------------------------------------------------------------------------------- intents

  /** Send an order intent (see IntentRouter.send). */
  sendIntent(intent: IntentBody): Promise<IntentResult> {
    return this.router.send(intent);
  }

  /** The result of an intent already in the ledger, whenever it comes (see IntentRouter.whenSettled). */
  whenSettled(intentId: string): Promise<IntentResult> {
    return this.router.whenSettled(intentId);
  }

  /** The ledger entry of an intent id on this terminal, if one was ever recorded. */
  intentEntry(intentId: string): LedgerEntry | undefined {
    return this.router.entry(intentId);
  }

  /** @internal a turn's messages are handled: results' records held, then written in one write (IntentRouter.holdResults) */
  holdResults(): void {
    this.router.holdResults();
  }

  /** @internal */
  releaseResults(): void {
    this.router.releaseResults();
  }

  /** Run `fn` with its intents batched: one ledger write and one socket write (see IntentRouter.batch). */
  batch<T>(fn: () => T): T {
    return this.router.batch(fn);
  }

  // ---------------------------------------------------------------------------------------------- requests

  /** Change what the terminal streams (sent now if connected, and on every reconnect). */
  subscribe(symbols: string[], bars: [string, Timeframe][]): void {
    this.symbols = [...symbols];
    this.bars = bars.map(([s, t]) => [s, t]);
    this.session?.send('SUBSCRIBE', { symbols: this.symbols, bars: this.bars });
  }

  request<N extends RequestName>(name: N, body: Omit<Body<N>, 'id'>, timeoutMs?: number): Promise<AnyMsg> {
    if (!this.session) return Promise.reject(new RequestError('DISCONNECTED', `terminal ${this.key} is not connected`));
    return this.session.request(name, body, timeoutMs);
  }

  async history(symbol: string, timeframe: Timeframe, from: number, count: number): Promise<Msg<'HISTORY'>> {
    return (await this.request('HISTORY_REQUEST', { symbol, timeframe, from, count })) as Msg<'HISTORY'>;
  }

  async spec(symbol: string): Promise<Msg<'SPEC'>['spec']> {
    return ((await this.request('SPEC_REQUEST', { symbol })) as Msg<'SPEC'>).spec;
  }

  /**
   * Resolves once the mirror holds this session's account, positions and orders — at once when the EA has sent its
   * position list since it connected, else after a snapshot (the pre-trade checks count the positions: just after a
   * (re)connection the mirror still has the last session's list, or none after a restart).
   */
  async currentState(timeoutMs?: number): Promise<void> {
    if (this.positionsOf === this.epoch && this.session) return;
    await this.snapshot(this.serverTime, timeoutMs);
  }

  /** Account, positions, orders and the deals from `dealsFrom` (server time, s), paged by the EA to fit its frames. */
  async snapshot(dealsFrom = 0, timeoutMs?: number): Promise<Msg<'SNAPSHOT'>> {
    let page = (await this.request('SNAPSHOT_REQUEST', { dealsFrom }, timeoutMs)) as Msg<'SNAPSHOT'>;
    const deals = [...page.deals];
    while (page.dealsMore && page.deals.length > 0) {
      page = (await this.request('SNAPSHOT_REQUEST', { dealsFrom, dealsOffset: deals.length }, timeoutMs)) as Msg<'SNAPSHOT'>;
      for (const d of page.deals) deals.push(d);
    }
    return { ...page, deals, dealsMore: false };
  }

  // ---------------------------------------------------------------------------------------------- sessions

  /** @internal a session finished its handshake for this terminal */
  async attach(session: Session): Promise<void> {
    this.session = session;
    this.epoch++;
    this.hello = session.hello;
    this.account = session.hello.account;
    this.serverTime = Math.max(this.serverTime, session.hello.account.serverTime);
    const current = () => this.session === session;
    this.emit('connected', session);
    const orphans = await reconcileAfterConnect(this.router, current, () => this.resyncs++);
    if (orphans) {
      this.adopted = orphans.adopted;
      this.emit('orphans', orphans);
    }
  }

  /** @internal */
  detach(session: Session): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.router.disconnected();
    this.emit('disconnected');
  }

  /** @internal the terminal's messages skipped some: a fresh snapshot refreshes the account, positions and orders */
  onGap(missing: number): void {
    this.emit('gap', missing);
    // deals are not needed for that: from the terminal's current time, not its whole history
    this.snapshot(this.serverTime).catch((e: Error) => this.log.warn({ terminal: this.key, err: e.message }, 'resync after gap failed'));
  }

  /** @internal a message for the mirror or the router */
  handle(msg: AnyMsg): void {
    switch (msg.type) {
      case MsgType.TICKS: {
        const t = Math.floor(msg.ticks[msg.ticks.length - 1]![0] / 1000);
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
        this.positionsOf = this.epoch;
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
        this.router.settle(msg, 'result');
        break;
      default:
        break;
    }
  }

  /** @internal */
  failAll(reason: string): void {
    this.router.failAll(reason);
  }
}
