/**
 * The simulated MT5 trade server: one model of a broker for paper trading, backtests and the MQL5 harness.
 *
 * It speaks MT5's own terms: `orderSend(MqlTradeRequest) → MqlTradeResult` with the real retcodes, and
 * quotes pushed in with `quote()`, which triggers SL/TP, pending orders and stop-out on the price path.
 * It has no clock and no I/O: time is the time of the last quote. Documented in docs/sim.md.
 *
 * `SimBroker` is a `BrokerBook` (broker/book.ts: what the broker holds) with MT5's interface on it; the work is done
 * by the functions over the book in broker/: money.ts, deals.ts, positions.ts, price-path.ts, trade-requests.ts and
 * snapshot.ts. The book's members are for those functions; callers use the methods here. (The broker is its book,
 * not a holder of one: a `this.book` hop on every call the backtest makes per bar cost ~1.6 % more instructions in a
 * 300,000-bar backtest, counted by callgrind.)
 */
import { fromMinor } from '../engine/money.js';
import type { Account, Deal, Order, Position, SymbolSpec } from '../protocol/messages.js';
import type { TradeRequest, TradeResult } from '../protocol/mt5.js';
import type { DealColumns } from './deal-store.js';
import type { BrokerState, Quote } from './broker-types.js';
import { BrokerBook } from './broker/book.js';
import { account, accountFigures, floatingMinor, marginMinorFor, rollover, tickValueOf } from './broker/money.js';
import { balanceOperation, dealByTicket, dealPositionId, dealsFrom, forEachMoney, isClosedPosition } from './broker/deals.js';
import { orderList, positionFacts, positionList, positionsOfMagic, toPosition, type PositionView } from './broker/positions.js';
import { path, quote } from './broker/price-path.js';
import { orderSend } from './broker/trade-requests.js';
import { brokerState, restoreBrokerState } from './broker/snapshot.js';

export type { BrokerConfig, BrokerState, BrokerTx, SimSymbolSpec } from './broker-types.js';
export { marketFillingAllowed } from './trade-rules.js';

export class SimBroker extends BrokerBook {
  // ------------------------------------------------------------------------------------------ queries

  /** Server time (ms): the time of the latest quote. */
  get time(): number {
    return this.nowMsc;
  }

  /** Margin an order would need, in account currency. */
  marginFor(symbol: string, volume: number, price: number): number {
    return fromMinor(marginMinorFor(this, symbol, volume, price), this.digits);
  }

  /** Is the symbol's trade session open at the current server time? */
  sessionOpen(symbol: string): boolean {
    const s = this.specOf(symbol);
    return s ? this.inSession(s) : false;
  }

  /** Balance in account currency. */
  get balance(): number {
    return fromMinor(this.balanceMinor, this.digits);
  }

  /** Equity in account currency (account().equity without building the account). */
  get equity(): number {
    const b = this;
    let m = b.balanceMinor;
    const L = b.positions.list;
    for (let k = 0; k < L.length; k++) m += floatingMinor(b, L[k]!) + L[k]!.swapMinor;
    return fromMinor(m, b.digits);
  }

  /** Open positions (cheaper than positionList().length). */
  get openCount(): number {
    return this.positions.size;
  }

  symbolNames(): string[] {
    return [...this.specs.keys()];
  }

  quoteOf(symbol: string): Quote | undefined {
    return this.quoteOfSym(symbol);
  }

  /** SYMBOL_FILLING_MODE of a symbol (spec() without building the spec), undefined if unknown. */
  fillingMode(symbol: string): number | undefined {
    return this.specOf(symbol)?.fillingMode;
  }

  /** SYMBOL_TRADE_EXEMODE of a symbol, undefined if unknown. */
  executionMode(symbol: string): number | undefined {
    return this.specOf(symbol)?.executionMode;
  }

  /** The symbol spec as MT5 reports it, with SYMBOL_TRADE_TICK_VALUE at the current quotes. */
  spec(symbol: string): SymbolSpec | undefined {
    const s = this.specs.get(symbol);
    if (!s) return undefined;
    const { commissionPerLot: _c, defaultSpread: _d, ...spec } = s;
    return { ...spec, tickValue: tickValueOf(this, s) };
  }

  /** SYMBOL_TRADE_TICK_VALUE now (spec().tickValue without building the spec); undefined for an unknown symbol. */
  tickValue(symbol: string): number | undefined {
    const s = this.specOf(symbol);
    return s ? tickValueOf(this, s) : undefined;
  }

  account(): Account {
    return account(this);
  }

  /** balance, equity and freeMargin exactly as account() gives them, without building the account (a backtest's risk gate reads them at every entry). */
  accountFigures(): { balance: number; equity: number; freeMargin: number } {
    return accountFigures(this);
  }

  /** The open positions with what the trading core reads of them (positionList() without the rest): the same values, in the same order. */
  positionFacts(): { ticket: bigint; symbol: string; magic: number; type: number; volume: number; profit: number }[] {
    return positionFacts(this);
  }

  /** Open positions carrying one magic number, with only the fields a strategy decides on (see positions.ts). */
  /** The open positions of one magic number, as a strategy reads them; `prev` is given back when nothing in it changed (positions.ts). */
  positionsOfMagic(magic: number, prev?: readonly PositionView[]): readonly PositionView[] {
    return positionsOfMagic(this, magic, prev);
  }

  positionList(): Position[] {
    return positionList(this);
  }

  /**
   * What closing or modifying an open position needs — its symbol, side and volume — without building the Position
   * (position() converts profit and swap); undefined if no position has this ticket.
   */
  positionBasics(ticket: bigint): { readonly symbol: string; readonly type: number; readonly volume: number } | undefined {
    return this.positions.get(ticket);
  }

  /** One open position by ticket (positionList().find() without building the others); undefined if none. */
  position(ticket: bigint): Position | undefined {
    const p = this.positions.get(ticket);
    return p ? toPosition(this, p) : undefined;
  }

  orderList(): Order[] {
    return orderList(this);
  }

  /** Deals from a server time (s) on, oldest first (new objects). */
  deals(fromSec = 0): Deal[] {
    return dealsFrom(this, fromSec);
  }

  /** Deals made so far (the index the next one will have). */
  get dealCount(): number {
    return this.dealStore.length;
  }

  /** The money of the deals from row `from` on, without building Deal objects (see deals.ts). */
  forEachMoney(from: number, fn: (magic: number, positionId: bigint, time: number, amount: number, closing: boolean, stillOpen: boolean) => void): void {
    forEachMoney(this, from, fn);
  }

  /** Every deal in turn, oldest first, built as it is reached (no list of them all). */
  dealView(): Iterable<Deal> {
    return this.dealStore.view();
  }

  /** Every deal in turn, oldest first, in one object refilled for each (DealStore.rows: copy what you keep). */
  dealRows(): Iterable<Deal> {
    return this.dealStore.rows();
  }

  /** The deal store itself, to read its columns (tradeTableFromStore): the live store — read only, never written through. */
  dealColumns(): DealColumns {
    return this.dealStore;
  }

  /** A deal by ticket (a new object), or undefined. */
  deal(ticket: bigint): Deal | undefined {
    return dealByTicket(this, ticket);
  }

  /** The position id of a deal, or undefined (`deal(ticket)?.positionId` without building the deal). */
  dealPositionId(ticket: bigint): bigint | undefined {
    return dealPositionId(this, ticket);
  }

  /** Was `ticket` a position that is closed now? */
  isClosedPosition(ticket: bigint): boolean {
    return isClosedPosition(this, ticket);
  }

  // ------------------------------------------------------------------------------------------ market

  /** Push a new quote, continuous (a bar's path: levels fill at their level) or a gap (see price-path.ts). */
  quote(symbol: string, bid: number, ask: number, timeMsc: number, continuous = false): void {
    quote(this, symbol, bid, ask, timeMsc, continuous);
  }

  /**
   * `quote(symbol, pts[3k], pts[3k + 1], pts[3k + 2])` (a gap, not a continuous move), the numbers read from a
   * Float64Array so that a backtest's bar loop boxes none; with nothing open or pending only the price moves, here.
   */
  quoteAt(symbol: string, pts: Float64Array, k: number): void {
    const b = this;
    const bid = pts[3 * k]!, ask = pts[3 * k + 1]!, timeMsc = pts[3 * k + 2]!;
    const prev = b.quoteOfSym(symbol);
    if (prev && b.positions.size === 0 && b.orders.size === 0 && bid > 0 && ask >= bid) {
      if (timeMsc > b.nowMsc) b.nowMsc = timeMsc;
      prev.bid = bid;
      prev.ask = ask;
      prev.timeMsc = timeMsc;
      return;
    }
    quote(b, symbol, bid, ask, timeMsc, false);
  }

  /**
   * The balance at `out[i]` and the equity at `out[i + 1]` (the `balance` and `equity` getters without a number
   * boxed on the way out: a backtest reads both every bar).
   */
  accountInto(out: Float64Array, i: number): void {
    const b = this;
    // fromMinor's division written out (a call that is not inlined would box its result)
    let m = b.balanceMinor;
    out[i] = m / b.scale;
    if (b.positions.size === 0) {
      out[i + 1] = out[i]!;
      return;
    }
    const L = b.positions.list;
    for (let k = 0; k < L.length; k++) m += floatingMinor(b, L[k]!) + L[k]!.swapMinor;
    out[i + 1] = m / b.scale;
  }

  /** `n` continuous quotes of a bar's path in one call; whether a position was open after any (see price-path.ts). */
  path(symbol: string, pts: Float64Array, n: number): boolean {
    return path(this, symbol, pts, n);
  }

  /** The rollover at the end of server day `weekday` (0 Sunday … 6 Saturday; a weekend day charges nothing): broker/money.ts. */
  rollover(weekday: number): void {
    rollover(this, weekday);
  }

  // ------------------------------------------------------------------------------------------ trading

  /** MT5 OrderSend: validate the request like a trade server and execute it. Never throws. */
  orderSend(req: TradeRequest): TradeResult {
    return orderSend(this, req);
  }

  /** A deposit or withdrawal (DEAL_TYPE_BALANCE). */
  balanceOperation(amount: number, comment = 'balance'): Deal {
    return balanceOperation(this, amount, comment);
  }

  // ------------------------------------------------------------------------------------------ state

  /** The broker's state now (see BrokerState): copies, nothing shared with the broker. */
  state(): BrokerState {
    return brokerState(this);
  }

  /** Put a new broker where `state()` of another one with the same account and symbols was (see snapshot.ts). */
  restore(st: BrokerState): void {
    restoreBrokerState(this, st);
  }
}
