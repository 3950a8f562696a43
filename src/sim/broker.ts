/**
 * The simulated MT5 trade server: one model of a broker for paper trading, backtests and the MQL5 harness.
 *
 * It speaks MT5's own terms: `orderSend(MqlTradeRequest) → MqlTradeResult` with the real retcodes, and
 * quotes pushed in with `quote()`, which triggers SL/TP, pending orders and stop-out on the price path.
 * It has no clock and no I/O: time is the time of the last quote. Documented in docs/sim.md.
 */
import {
  fromMinor,
  isOnTick,
  minorScale,
  roundPrice,
  roundTo,
  stepsToVolume,
  toMinor,
  volumeSteps,
} from '../engine/money.js';
import type { Account, Deal, Order, Position, SymbolSpec } from '../protocol/messages.js';
import {
  ACCOUNT_MARGIN_MODE,
  DEAL_ENTRY,
  DEAL_REASON,
  DEAL_TYPE,
  ORDER_FILLING,
  ORDER_TYPE,
  SYMBOL_CALC_MODE,
  SYMBOL_TRADE_EXECUTION,
  SYMBOL_TRADE_MODE,
  TRADE_ACTION,
  TRADE_TRANSACTION,
  type TradeRequest,
  type TradeResult,
} from '../protocol/mt5.js';
import { RC } from '../protocol/retcodes.js';
import { DealStore, type DealColumns } from './deal-store.js';
import { SteadyMap } from '../engine/steady-map.js';
import type { BrokerConfig, BrokerState, BrokerTx, OrderState, PosState, Quote, SimSymbolSpec, Trigger } from './broker-types.js';
import { inFreeze, levelTime, marketFillingAllowed, orderTriggered, stopsValid, volumeProblem } from './trade-rules.js';

export type { BrokerConfig, BrokerState, BrokerTx, SimSymbolSpec } from './broker-types.js';
export { marketFillingAllowed } from './trade-rules.js';
import { sessionOpenAt } from '../engine/sessions.js';



export class SimBroker {
  readonly cfg: BrokerConfig;
  private readonly specs = new Map<string, SimSymbolSpec>();
  private readonly quotes = new Map<string, Quote>();
  /** (A SteadyMap: a backtest holds one position at a time, and a Map got a new table at every close.) */
  private readonly positions = new SteadyMap<bigint, PosState>();
  private readonly orders = new Map<bigint, OrderState>();
  /**
   * Positions whose opening deal is not the ticket right after theirs (opened by a triggered pending order): a
   * market order's position T opens with deal T + 1, which `openedPosition` finds in the deal store. Growing
   * bigint-keyed indexes of every deal and every closed position cost ~1 µs a deal; the deal store is already
   * in ticket order, so it is searched instead.
   */
  private readonly openedLater = new Set<bigint>();
  /** Every deal, in ticket order (tickets only grow), as columns: `deal()` searches it. */
  private readonly dealStore = new DealStore();
  private balanceMinor: number;
  private readonly digits: number;
  /** 10^digits: fromMinor(m, digits) is m / scale. */
  private readonly scale: number;
  private nextTicket: bigint;
  private nowMsc = 0;
  private requestCounter = 0;
  algoTrading: boolean;
  /** Called for every transaction, in order, as OnTradeTransaction would be. */
  onTx: ((tx: BrokerTx) => void) | undefined;

  constructor(cfg: BrokerConfig) {
    this.cfg = cfg;
    for (const s of cfg.symbols) this.specs.set(s.symbol, s);
    this.digits = cfg.account.currencyDigits ?? 2;
    this.scale = minorScale(this.digits);
    this.balanceMinor = toMinor(cfg.account.balance, this.digits);
    this.nextTicket = cfg.ticketStart ?? 1000n;
    this.algoTrading = cfg.algoTrading ?? true;
  }

  // ------------------------------------------------------------------------------------------ queries

  get time(): number {
    return this.nowMsc;
  }

  /** Margin an order would need, in account currency. */
  marginFor(symbol: string, volume: number, price: number): number {
    return fromMinor(this.marginMinorFor(symbol, volume, price), this.digits);
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
    let m = this.balanceMinor;
    for (const p of this.positions.values()) m += this.floatingMinor(p) + p.swapMinor;
    return fromMinor(m, this.digits);
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
    return { ...spec, tickValue: this.tickValueOf(s) };
  }

  /** SYMBOL_TRADE_TICK_VALUE now (spec().tickValue without building the spec); undefined for an unknown symbol. */
  tickValue(symbol: string): number | undefined {
    const s = this.specOf(symbol);
    return s ? this.tickValueOf(s) : undefined;
  }

  private tickValueOf(s: SimSymbolSpec): number {
    try {
      // 12 significant digits: 0.00001 × 100000 is 0.9999999999999999 in binary, MT5 shows 1.0
      return Number((s.tickSize * s.contractSize * this.rate(s.currencyProfit, this.cfg.account.currency)).toPrecision(12));
    } catch {
      return 0; // no conversion rate yet (no quote): MT5 reports 0 too
    }
  }

  /** Conversion rate from one currency to another using the simulated quotes (bid of FROMTO, or 1/ask of TOFROM). */
  rate(from: string, to: string): number {
    if (from === to) return 1;
    const direct = this.quotes.get(this.pair(from, to));
    if (direct) return direct.bid;
    const inverse = this.quotes.get(this.pair(to, from));
    if (inverse) return 1 / inverse.ask;
    const fixed = this.cfg.fixedRates?.[from + to];
    if (fixed) return fixed;
    const fixedInv = this.cfg.fixedRates?.[to + from];
    if (fixedInv) return 1 / fixedInv;
    throw new Error(`no conversion rate ${from}→${to}: quote ${from}${to} or ${to}${from}, or set fixedRates`);
  }

  /** `from + to`, the one string for each pair (a string made per conversion had to be hashed per lookup). */
  private pair(from: string, to: string): string {
    let m = this.pairs.get(from);
    if (!m) this.pairs.set(from, (m = new Map()));
    let k = m.get(to);
    if (k === undefined) m.set(to, (k = from + to));
    return k;
  }

  private readonly pairs = new Map<string, Map<string, string>>();

  /**
   * The spec and the quote of the symbol last asked for (a backtest asks for one symbol's several times a bar: each
   * a Map lookup by string). The specs never change; a quote object is replaced only through setQuote.
   */
  private specSym: string | undefined;
  private specLast: SimSymbolSpec | undefined;
  private quoteSym: string | undefined;
  private quoteLast: Quote | undefined;

  private specOf(symbol: string): SimSymbolSpec | undefined {
    if (symbol === this.specSym) return this.specLast;
    this.specSym = symbol;
    return (this.specLast = this.specs.get(symbol));
  }

  private quoteOfSym(symbol: string): Quote | undefined {
    if (symbol === this.quoteSym) return this.quoteLast;
    this.quoteSym = symbol;
    return (this.quoteLast = this.quotes.get(symbol));
  }

  private setQuote(symbol: string, q: Quote): void {
    this.quotes.set(symbol, q);
    this.quoteSym = undefined;
  }
  /** The last margin converted into minor units, and its result (an entry's margin is asked three times at one price). */
  private lastMargin = NaN;
  private lastMarginMinor = 0;

  /** Profit of `volume` lots of a position (default all of it) at a close price, in account currency, in minor units. */
  private profitMinor(p: { symbol: string; type: number; volume: number; priceOpen: number }, closePrice: number, volume = p.volume): number {
    const s = this.specOf(p.symbol)!;
    const dir = p.type === ORDER_TYPE.BUY ? 1 : -1;
    // price difference in points, cleaned of binary noise when both prices sit on the grid (1.10012 − 1.10002 is
    // 9.99999…e-5); a netting position's average price is off the grid, and its fraction of a point is money
    const raw = (closePrice - p.priceOpen) / s.point;
    const whole = Math.round(raw);
    const points = Math.abs(raw - whole) < 1e-6 ? whole : raw;
    const profitCcy = dir * points * s.point * s.contractSize * volume;
    return toMinor(profitCcy * this.rate(s.currencyProfit, this.cfg.account.currency), this.digits);
  }

  private marginMinorFor(symbol: string, volume: number, price: number): number {
    const s = this.specOf(symbol)!;
    const lev = this.cfg.account.leverage;
    let m: number;
    switch (s.calcMode) {
      case SYMBOL_CALC_MODE.FOREX:
        m = (volume * s.contractSize) / lev;
        break;
      case SYMBOL_CALC_MODE.FOREX_NO_LEVERAGE:
        m = volume * s.contractSize;
        break;
      case SYMBOL_CALC_MODE.CFDLEVERAGE:
        m = (volume * s.contractSize * price) / lev;
        break;
      default: // CFD, CFD index, futures (simplified: price based, no leverage)
        m = volume * s.contractSize * price;
    }
    const x = m * this.rate(s.currencyMargin, this.cfg.account.currency);
    // toMinor is a function of x alone here (the digits are the account's): a margin on a half cent takes its slow,
    // exact path, and the same entry's margin is asked by the risk gate, the order's check and its position
    if (x !== this.lastMargin) {
      this.lastMarginMinor = toMinor(x, this.digits);
      this.lastMargin = x;
    }
    return this.lastMarginMinor;
  }

  private floatingMinor(p: PosState): number {
    const q = this.quoteOfSym(p.symbol);
    if (!q) return 0;
    return this.profitMinor(p, p.type === ORDER_TYPE.BUY ? q.bid : q.ask);
  }

  account(): Account {
    let profit = 0;
    let swap = 0;
    let margin = 0;
    for (const p of this.positions.values()) {
      profit += this.floatingMinor(p);
      swap += p.swapMinor;
      margin += p.marginMinor;
    }
    const equity = this.balanceMinor + profit + swap;
    const a = this.cfg.account;
    return {
      login: a.login,
      server: a.server,
      currency: a.currency,
      currencyDigits: this.digits,
      leverage: a.leverage,
      marginMode: a.marginMode,
      tradeMode: a.tradeMode ?? 0,
      balance: fromMinor(this.balanceMinor, this.digits),
      credit: 0,
      equity: fromMinor(equity, this.digits),
      profit: fromMinor(profit + swap, this.digits),
      margin: fromMinor(margin, this.digits),
      freeMargin: fromMinor(equity - margin, this.digits),
      marginLevel: margin > 0 ? roundTo((equity / margin) * 100, 2) : 0,
      stopOutLevel: a.stopOutLevel ?? 50,
      tradeAllowed: this.algoTrading,
      serverTime: Math.floor(this.nowMsc / 1000),
    };
  }

  /** balance, equity and freeMargin exactly as account() gives them, without building the account (a backtest's risk gate reads them at every entry). */
  accountFigures(): { balance: number; equity: number; freeMargin: number } {
    let profit = 0, swap = 0, margin = 0;
    for (const p of this.positions.values()) {
      profit += this.floatingMinor(p);
      swap += p.swapMinor;
      margin += p.marginMinor;
    }
    const equity = this.balanceMinor + profit + swap;
    return { balance: fromMinor(this.balanceMinor, this.digits), equity: fromMinor(equity, this.digits), freeMargin: fromMinor(equity - margin, this.digits) };
  }

  /** The open positions with what the trading core reads of them (positionList() without the rest): the same values, in the same order. */
  positionFacts(): { ticket: bigint; symbol: string; magic: number; type: number; volume: number; profit: number }[] {
    const out = [];
    for (const p of this.positions.values()) out.push({ ticket: p.ticket, symbol: p.symbol, magic: p.magic, type: p.type, volume: p.volume, profit: fromMinor(this.floatingMinor(p), this.digits) });
    return out;
  }

  /**
   * Open positions carrying one magic number, with only the fields a strategy decides on (positionList()
   * without the profit and swap conversions; the backtest asks for it on every bar).
   */
  positionsOfMagic(magic: number): { ticket: bigint; type: number; volume: number; priceOpen: number; sl: number; tp: number; time: number }[] {
    const out = [];
    for (const p of this.positions.values()) {
      if (p.magic === magic) out.push({ ticket: p.ticket, type: p.type, volume: p.volume, priceOpen: p.priceOpen, sl: p.sl, tp: p.tp, time: Math.floor(p.timeMsc / 1000) });
    }
    return out;
  }

  positionList(): Position[] {
    return [...this.positions.values()].map((p) => this.toPosition(p));
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
    return p ? this.toPosition(p) : undefined;
  }

  private toPosition(p: PosState): Position {
    const q = this.quoteOfSym(p.symbol);
    return {
      ticket: p.ticket,
      identifier: p.identifier,
      symbol: p.symbol,
      type: p.type,
      volume: p.volume,
      priceOpen: p.priceOpen,
      priceCurrent: q ? (p.type === ORDER_TYPE.BUY ? q.bid : q.ask) : p.priceOpen,
      sl: p.sl,
      tp: p.tp,
      time: Math.floor(p.timeMsc / 1000),
      timeMsc: p.timeMsc,
      magic: p.magic,
      comment: p.comment,
      swap: fromMinor(p.swapMinor, this.digits),
      profit: fromMinor(this.floatingMinor(p), this.digits),
    };
  }

  orderList(): Order[] {
    return [...this.orders.values()].map((o) => ({
      ticket: o.ticket,
      symbol: o.symbol,
      type: o.type,
      volume: o.volume,
      priceOpen: o.priceOpen,
      stopLimit: o.stopLimit,
      sl: o.sl,
      tp: o.tp,
      timeSetup: Math.floor(o.timeSetupMsc / 1000),
      expiration: o.expiration,
      magic: o.magic,
      comment: o.comment,
    }));
  }

  /** Deals from a server time (s) on, oldest first (new objects). */
  deals(fromSec = 0): Deal[] {
    const st = this.dealStore, out: Deal[] = [];
    for (let i = 0; i < st.length; i++) if (st.time(i) >= fromSec) out.push(st.get(i));
    return out;
  }

  /** Deals made so far (the index the next one will have). */
  get dealCount(): number {
    return this.dealStore.length;
  }

  /**
   * The money of the deals from row `from` on, without building Deal objects: for each deal with money (an exit
   * deal, DEAL_ENTRY_OUT / INOUT / OUT_BY, or an entry deal's commission) its magic, position id, server time (s),
   * amount (profit + swap + commission), whether it closed something, and whether the position is still open.
   */
  forEachMoney(from: number, fn: (magic: number, positionId: bigint, time: number, amount: number, closing: boolean, stillOpen: boolean) => void): void {
    const st = this.dealStore;
    for (let i = from; i < st.length; i++) {
      const c = st.chunk(i), k = st.slot(i);
      const entry = c.entry[k]!;
      const pid = c.positionId[k]!;
      const closing = entry === DEAL_ENTRY.OUT || entry === DEAL_ENTRY.INOUT || entry === DEAL_ENTRY.OUT_BY;
      if (!closing && (entry !== DEAL_ENTRY.IN || c.commission[k] === 0)) continue;
      fn(c.magic[k]!, pid, Math.floor(c.timeMsc[k]! / 1000), closing ? c.profit[k]! + c.swap[k]! + c.commission[k]! : c.commission[k]!, closing, this.positions.has(pid));
    }
  }

  /** Every deal in turn, oldest first, built as it is reached (no list of them all). */
  dealView(): Iterable<Deal> {
    return this.dealStore.view();
  }

  /** Every deal in turn, oldest first, in one object refilled for each (DealStore.rows: copy what you keep). */
  dealRows(): Iterable<Deal> {
    return this.dealStore.rows();
  }

  /** The deal store itself, to read its columns (tradesFromStore): the live store — read only, never written through. */
  dealColumns(): DealColumns {
    return this.dealStore;
  }

  /** A deal by ticket (a new object), or undefined. */
  deal(ticket: bigint): Deal | undefined {
    const i = this.dealStore.indexOf(ticket);
    return i < 0 ? undefined : this.dealStore.get(i);
  }

  /** The position id of a deal, or undefined (`deal(ticket)?.positionId` without building the deal). */
  dealPositionId(ticket: bigint): bigint | undefined {
    const st = this.dealStore, i = st.indexOf(ticket);
    return i < 0 ? undefined : st.chunk(i).positionId[st.slot(i)];
  }

  /** Was `ticket` ever a position (open now or not)? Its opening deal carries it as order and position id. */
  private openedPosition(ticket: bigint): boolean {
    if (typeof ticket !== 'bigint') return false; // (a request without a valid ticket names no position)
    if (this.openedLater.has(ticket)) return true;
    const st = this.dealStore, i = st.indexOf(ticket + 1n);
    if (i < 0) return false;
    const c = st.chunk(i), k = st.slot(i);
    return c.order[k] === ticket && c.positionId[k] === ticket && c.entry[k] === DEAL_ENTRY.IN;
  }

  isClosedPosition(ticket: bigint): boolean {
    return !this.positions.has(ticket) && this.openedPosition(ticket);
  }

  // ------------------------------------------------------------------------------------------ market

  /**
   * Push a new quote. With `continuous`, the price is taken to have moved through every level between the
   * previous and this quote (a path generated from a bar): SL, TP and pending orders crossed on the way fill
   * at their level. Without it (a gap, a real tick), they fill at this quote: stops worse, limits better.
   */
  quote(symbol: string, bid: number, ask: number, timeMsc: number, continuous = false): void {
    if (!(bid > 0) || !(ask >= bid)) throw new Error(`bad quote for ${symbol}: bid ${bid} ask ${ask}`);
    const prev = this.quoteOfSym(symbol); // only known symbols have quotes
    if (!prev && !this.specs.has(symbol)) throw new Error(`unknown symbol ${symbol}`);
    if (timeMsc > this.nowMsc) this.nowMsc = timeMsc;
    if (prev && this.positions.size === 0 && this.orders.size === 0) {
      // nothing open or pending: nothing can trigger, so only the price moves (the common case in backtests)
      prev.bid = bid;
      prev.ask = ask;
      prev.timeMsc = timeMsc;
      return;
    }
    this.expireOrders();
    if (!prev) {
      const q: Quote = { bid, ask, timeMsc };
      this.setQuote(symbol, q);
      this.fireTriggers(symbol, null, q);
    } else if (!continuous) {
      // the symbol's quote object moves to the new price (no allocation per quote)
      prev.bid = bid;
      prev.ask = ask;
      prev.timeMsc = timeMsc;
      this.fireTriggers(symbol, null, prev);
    } else {
      this.walkSegment(symbol, prev, bid, ask, timeMsc);
    }
    this.checkStopOut();
  }

  /**
   * `quote(symbol, pts[3k], pts[3k + 1], pts[3k + 2])` (a gap, not a continuous move), the numbers read from a
   * Float64Array so that a backtest's bar loop boxes none; with nothing open or pending only the price moves, here.
   */
  quoteAt(symbol: string, pts: Float64Array, k: number): void {
    const bid = pts[3 * k]!, ask = pts[3 * k + 1]!, timeMsc = pts[3 * k + 2]!;
    const prev = this.quoteOfSym(symbol);
    if (prev && this.positions.size === 0 && this.orders.size === 0 && bid > 0 && ask >= bid) {
      if (timeMsc > this.nowMsc) this.nowMsc = timeMsc;
      prev.bid = bid;
      prev.ask = ask;
      prev.timeMsc = timeMsc;
      return;
    }
    this.quote(symbol, bid, ask, timeMsc, false);
  }

  /**
   * The balance at `out[i]` and the equity at `out[i + 1]` (the `balance` and `equity` getters without a number
   * boxed on the way out: a backtest reads both every bar).
   */
  accountInto(out: Float64Array, i: number): void {
    // fromMinor's division written out (a call that is not inlined would box its result)
    let m = this.balanceMinor;
    out[i] = m / this.scale;
    if (this.positions.size === 0) {
      out[i + 1] = out[i]!;
      return;
    }
    for (const p of this.positions.values()) m += this.floatingMinor(p) + p.swapMinor;
    out[i + 1] = m / this.scale;
  }

  /**
   * Continue a path (backtests): `n` points of (bid, ask, timeMsc) in `pts`, each reached continuously from the one
   * before — exactly `quote(symbol, bid, ask, timeMsc, true)` for each in turn. When no pending order exists and
   * no SL or TP of a position on the symbol lies within the range of the points (and of the current quote), nothing
   * can fire on the way, so the price only moves, with the stop-out check at every point as `quote` does. The
   * points come in a Float64Array so that no number is boxed on the way. Returns whether a position was open after
   * any of the points (the bar's exposure).
   */
  path(symbol: string, pts: Float64Array, n: number): boolean {
    const q = this.quoteOfSym(symbol);
    let quiet = q !== undefined && this.orders.size === 0;
    let loB = 0, hiA = 0; // the path's lowest bid and highest ask (with positions open)
    if (quiet && this.positions.size > 0) {
      let hiB = q!.bid, loA = q!.ask;
      loB = q!.bid;
      hiA = q!.ask;
      for (let k = 0; k < n; k++) {
        const b = pts[3 * k]!, a = pts[3 * k + 1]!;
        if (b < loB) loB = b;
        if (b > hiB) hiB = b;
        if (a < loA) loA = a;
        if (a > hiA) hiA = a;
      }
      for (const p of this.positions.values()) {
        if (p.symbol !== symbol) continue;
        // a buy closes on the bid: SL below, TP above; a sell on the ask: SL above, TP below (inclusive, as levelTime)
        if (p.type === ORDER_TYPE.BUY ? (p.sl > 0 && loB <= p.sl) || (p.tp > 0 && hiB >= p.tp) : (p.sl > 0 && hiA >= p.sl) || (p.tp > 0 && loA <= p.tp)) {
          quiet = false;
          break;
        }
      }
    }
    let exposed = false;
    const watchStopOut = quiet && this.positions.size > 0 && !this.cannotStopOut(symbol, loB, hiA);
    for (let k = 0; k < n; k++) {
      const bid = pts[3 * k]!, ask = pts[3 * k + 1]!, t = pts[3 * k + 2]!;
      if (!quiet) this.quote(symbol, bid, ask, t, true);
      else {
        if (!(bid > 0) || !(ask >= bid)) throw new Error(`bad quote for ${symbol}: bid ${bid} ask ${ask}`);
        if (t > this.nowMsc) this.nowMsc = t;
        q!.bid = bid;
        q!.ask = ask;
        q!.timeMsc = t;
        if (watchStopOut) this.checkStopOut();
      }
      if (this.positions.size > 0) exposed = true;
    }
    return exposed;
  }

  /**
   * Can no point of a quiet path (lowest bid `loB`, highest ask `hiA`) bring a stop-out? Only decided when every
   * position is on `symbol` with profit in the account currency (no conversion rate moves with the path): each
   * position's floating profit only grows with its closing price, so the equity at any point is at least the sum of each position at its worst price of the
   * path — if even that leaves the margin level above the stop-out level, `checkStopOut` would do nothing at any
   * point. Otherwise (false) the path checks at every point.
   */
  private cannotStopOut(symbol: string, loB: number, hiA: number): boolean {
    if (this.specOf(symbol)!.currencyProfit !== this.cfg.account.currency) return false;
    let low = this.balanceMinor, margin = 0;
    for (const p of this.positions.values()) {
      if (p.symbol !== symbol) return false;
      low += this.profitMinor(p, p.type === ORDER_TYPE.BUY ? loB : hiA) + p.swapMinor;
      margin += p.marginMinor;
    }
    return margin <= 0 || (low / margin) * 100 > (this.cfg.account.stopOutLevel ?? 50);
  }

  /** Triggers hit at `q` (gap semantics): positions' SL/TP first, then pending orders, repeated until stable. */
  private fireTriggers(symbol: string, _from: Quote | null, q: Quote): void {
    for (let guard = 0; guard < 1000; guard++) {
      const t = this.firstTriggerAt(symbol, q);
      if (!t) return;
      this.execTrigger(t, q, false);
    }
  }

  private firstTriggerAt(symbol: string, q: Quote): Trigger | undefined {
    for (const p of this.positions.values()) {
      if (p.symbol !== symbol) continue;
      const px = p.type === ORDER_TYPE.BUY ? q.bid : q.ask;
      if (p.type === ORDER_TYPE.BUY) {
        if (p.sl > 0 && px <= p.sl) return { kind: 'sl', pos: p, level: p.sl };
        if (p.tp > 0 && px >= p.tp) return { kind: 'tp', pos: p, level: p.tp };
      } else {
        if (p.sl > 0 && px >= p.sl) return { kind: 'sl', pos: p, level: p.sl };
        if (p.tp > 0 && px <= p.tp) return { kind: 'tp', pos: p, level: p.tp };
      }
    }
    for (const o of this.orders.values()) {
      if (o.symbol !== symbol) continue;
      if (orderTriggered(o, q.bid, q.ask)) return { kind: 'order', order: o, level: o.priceOpen };
    }
    return undefined;
  }

  /** Walk bid/ask linearly from `a` to `b`, firing each level crossed in the order the price reaches it. */
  private walkSegment(symbol: string, a: Quote, bBid: number, bAsk: number, bTime: number): void {
    let from: Quote = a;
    for (let guard = 0; guard < 1000; guard++) {
      let bestT = Infinity;
      let best: Trigger | undefined;
      for (const p of this.positions.values()) {
        if (p.symbol !== symbol) continue;
        const buy = p.type === ORDER_TYPE.BUY;
        const p0 = buy ? from.bid : from.ask;
        const p1 = buy ? bBid : bAsk;
        if (p.sl > 0) {
          // a buy's SL is below (reached going down), a sell's above (going up)
          const t = levelTime(p0, p1, p.sl, buy ? -1 : 1);
          if (t < bestT) {
            bestT = t;
            best = { kind: 'sl', pos: p, level: p.sl };
          }
        }
        if (p.tp > 0) {
          const t = levelTime(p0, p1, p.tp, buy ? 1 : -1);
          if (t < bestT) {
            bestT = t;
            best = { kind: 'tp', pos: p, level: p.tp };
          }
        }
      }
      for (const o of this.orders.values()) {
        if (o.symbol !== symbol) continue;
        const onAsk = o.type === ORDER_TYPE.BUY_LIMIT || o.type === ORDER_TYPE.BUY_STOP || o.type === ORDER_TYPE.BUY_STOP_LIMIT;
        const p0 = onAsk ? from.ask : from.bid;
        const p1 = onAsk ? bAsk : bBid;
        let t: number;
        if (orderTriggered(o, from.bid, from.ask)) t = 0;
        else if ((p1 - p0) * (o.priceOpen - p0) > 0) t = p0 === p1 ? -1 : (o.priceOpen - p0) / (p1 - p0);
        else t = -1;
        if (t >= 0 && t <= 1 && t < bestT) {
          bestT = t;
          best = { kind: 'order', order: o, level: o.priceOpen };
        }
      }
      if (!best) break;
      const at: Quote = {
        bid: from.bid + (bBid - from.bid) * bestT,
        ask: from.ask + (bAsk - from.ask) * bestT,
        timeMsc: bTime,
      };
      this.setQuote(symbol, at);
      // t = 0: already beyond the level where this segment starts (a gap): fill at market
      this.execTrigger(best, at, bestT > 0);
      from = this.quoteOfSym(symbol)!;
    }
    if (from === a) {
      // nothing fired: the quote object stays, only the price moves (no Map write per quote)
      a.bid = bBid;
      a.ask = bAsk;
      a.timeMsc = bTime;
    } else this.setQuote(symbol, { bid: bBid, ask: bAsk, timeMsc: bTime });
  }

  /** Execute a triggered SL/TP/pending order. On a continuous path the fill is at the level itself. */
  private execTrigger(trig: Trigger, q: Quote, atLevel: boolean): void {
    const spec = this.specOf(trig.kind === 'order' ? trig.order.symbol : trig.pos.symbol)!;
    if (trig.kind === 'order') {
      const o = trig.order;
      this.orders.delete(o.ticket);
      if (o.type === ORDER_TYPE.BUY_STOP_LIMIT || o.type === ORDER_TYPE.SELL_STOP_LIMIT) {
        // the stop price was reached: the order becomes a limit order at its stop-limit price
        const lim: OrderState = { ...o, type: o.type === ORDER_TYPE.BUY_STOP_LIMIT ? ORDER_TYPE.BUY_LIMIT : ORDER_TYPE.SELL_LIMIT, priceOpen: o.stopLimit, stopLimit: 0 };
        this.orders.set(lim.ticket, lim);
        this.emitOrder(TRADE_TRANSACTION.ORDER_UPDATE, lim);
        return;
      }
      const buy = o.type === ORDER_TYPE.BUY_LIMIT || o.type === ORDER_TYPE.BUY_STOP;
      const market = buy ? q.ask : q.bid;
      const px = roundPrice(atLevel ? o.priceOpen : market, spec.tickSize, spec.digits);
      this.emitOrder(TRADE_TRANSACTION.ORDER_DELETE, o);
      // netting: the fill adds to, reduces, closes or reverses the symbol's one position, as a market deal does
      const net = this.cfg.account.marginMode === ACCOUNT_MARGIN_MODE.RETAIL_NETTING ? this.netPosition(o.symbol) : undefined;
      this.fillDeal(o.symbol, buy ? 0 : 1, o.volume, px, o.ticket, o.magic, o.comment, o.sl, o.tp, DEAL_REASON.EXPERT, net);
      return;
    }
    const p = trig.pos;
    const market = p.type === ORDER_TYPE.BUY ? q.bid : q.ask;
    const px = roundPrice(atLevel ? trig.level : market, spec.tickSize, spec.digits);
    const tag = trig.kind === 'sl' ? `[sl ${trig.level.toFixed(spec.digits)}]` : `[tp ${trig.level.toFixed(spec.digits)}]`;
    this.fillDeal(p.symbol, p.type === ORDER_TYPE.BUY ? 1 : 0, p.volume, px, this.newTicket(), p.magic, tag, 0, 0, trig.kind === 'sl' ? DEAL_REASON.SL : DEAL_REASON.TP, p);
  }

  private expireOrders(): void {
    if (this.orders.size === 0) return;
    const now = Math.floor(this.nowMsc / 1000);
    for (const o of [...this.orders.values()]) {
      if (o.expiration > 0 && now >= o.expiration) {
        this.orders.delete(o.ticket);
        this.emitOrder(TRADE_TRANSACTION.ORDER_DELETE, o);
      }
    }
  }

  /** Free margin in minor units: equity − margin, as account() sums them. */
  private freeMarginMinor(): number {
    let m = this.balanceMinor;
    for (const p of this.positions.values()) m += this.floatingMinor(p) + p.swapMinor - p.marginMinor;
    return m;
  }

  /**
   * Is the margin level (equity / margin × 100, Infinity without margin) above `level`? Asked at every quote with a
   * position open, without building an Account; answered inside, as a boolean: a margin level returned from a call
   * V8 does not inline was a new heap number each time (~9 MB of garbage a million-bar backtest).
   */
  private marginLevelAbove(level: number): boolean {
    let floating = 0, margin = 0;
    for (const p of this.positions.values()) {
      floating += this.floatingMinor(p) + p.swapMinor;
      margin += p.marginMinor;
    }
    return (margin > 0 ? ((this.balanceMinor + floating) / margin) * 100 : Infinity) > level;
  }

  /** Close the most losing position while margin level is at or below the stop-out level. */
  private checkStopOut(): void {
    const so = this.cfg.account.stopOutLevel ?? 50;
    for (let guard = 0; guard < 10000 && this.positions.size > 0; guard++) {
      if (this.marginLevelAbove(so)) return;
      const a = this.account();
      if (a.margin <= 0 || a.marginLevel > so) return;
      let worst: PosState | undefined;
      let worstP = Infinity;
      for (const p of this.positions.values()) {
        const f = this.floatingMinor(p);
        if (f < worstP) {
          worstP = f;
          worst = p;
        }
      }
      if (!worst) return;
      const q = this.quotes.get(worst.symbol)!;
      this.fillDeal(
        worst.symbol, worst.type === ORDER_TYPE.BUY ? 1 : 0, worst.volume, worst.type === ORDER_TYPE.BUY ? q.bid : q.ask, this.newTicket(),
        worst.magic, `[so ${a.marginLevel.toFixed(2)}%]`, 0, 0, DEAL_REASON.SO, worst,
      );
    }
  }

  /** Daily rollover at server midnight: swap in points per lot, triple on `swapRollover3Days`. */
  rollover(weekday: number): void {
    for (const p of this.positions.values()) {
      const s = this.specOf(p.symbol)!;
      const pts = p.type === ORDER_TYPE.BUY ? s.swapLong : s.swapShort;
      if (!pts) continue;
      const mult = weekday === s.swapRollover3Days ? 3 : 1;
      const money = pts * mult * s.point * s.contractSize * p.volume * this.rate(s.currencyProfit, this.cfg.account.currency);
      p.swapMinor += toMinor(money, this.digits);
    }
  }

  // ------------------------------------------------------------------------------------------ trading

  /** MT5 OrderSend: validate the request like a trade server and execute it. Never throws. */
  orderSend(req: TradeRequest): TradeResult {
    const res: TradeResult = {
      retcode: 0, deal: 0n, order: 0n, volume: 0, price: 0, bid: 0, ask: 0, comment: '',
      requestId: ++this.requestCounter, retcodeExternal: 0,
    };
    if (!this.algoTrading) return this.fail(res, RC.CLIENT_DISABLES_AT, 'AutoTrading disabled by client');
    switch (req.action) {
      case TRADE_ACTION.DEAL:
        return this.actionDeal(req, res);
      case TRADE_ACTION.PENDING:
        return this.actionPending(req, res);
      case TRADE_ACTION.SLTP:
        return this.actionSltp(req, res);
      case TRADE_ACTION.MODIFY:
        return this.actionModify(req, res);
      case TRADE_ACTION.REMOVE: {
        const o = req.order !== undefined ? this.orders.get(req.order) : undefined;
        if (!o) return this.fail(res, RC.INVALID, `order ${req.order ?? 0} not found`);
        const q = this.quotes.get(o.symbol);
        const s = this.specs.get(o.symbol)!;
        if (q && inFreeze(s, o.type, o.priceOpen, q)) return this.fail(res, RC.FROZEN, 'order is within the freeze level');
        this.orders.delete(o.ticket);
        this.emitOrder(TRADE_TRANSACTION.ORDER_DELETE, o);
        res.retcode = RC.DONE;
        res.order = o.ticket;
        return res;
      }
      default:
        return this.fail(res, RC.INVALID, `unsupported action ${req.action}`);
    }
  }

  /** `res` as a refusal: its retcode and comment. */
  private fail(res: TradeResult, retcode: number, comment: string): TradeResult {
    res.retcode = retcode;
    res.comment = comment;
    return res;
  }

  /**
   * The checks every trade action makes on its symbol: the symbol's spec, or the refusal. The quote they checked is
   * `checked` (a field, not a pair built per order).
   */
  private checked!: Quote;

  private commonChecks(
    symbol: string | undefined,
    res: TradeResult,
  ): SimSymbolSpec | TradeResult {
    const spec = symbol ? this.specOf(symbol) : undefined;
    if (!spec) return this.fail(res, RC.INVALID, `unknown symbol '${symbol ?? ''}'`);
    const q = this.quoteOfSym(spec.symbol);
    if (!q) return this.fail(res, RC.PRICE_OFF, 'no quotes');
    res.bid = q.bid;
    res.ask = q.ask;
    if (spec.tradeMode === SYMBOL_TRADE_MODE.DISABLED) return this.fail(res, RC.TRADE_DISABLED, 'trade is disabled for the symbol');
    if (!this.inSession(spec)) return this.fail(res, RC.MARKET_CLOSED, 'market is closed');
    this.checked = q;
    return spec;
  }



  /** Whether a market deal may use `filling`: docs/protocol.md "Filling modes". */
  private checkFilling(spec: SimSymbolSpec, filling: number | undefined): boolean {
    return marketFillingAllowed(spec.fillingMode, spec.executionMode, filling ?? ORDER_FILLING.FOK);
  }



  private actionDeal(req: TradeRequest, res: TradeResult): TradeResult {
    const c = this.commonChecks(req.symbol, res);
    if ('retcode' in c) return c;
    const spec = c, q = this.checked;
    if (req.type !== ORDER_TYPE.BUY && req.type !== ORDER_TYPE.SELL) return this.fail(res, RC.INVALID_ORDER, `order type ${req.type} is not a market order`);
    const side = req.type;
    const volErr = volumeProblem(spec, req.volume);
    if (volErr) return this.fail(res, RC.INVALID_VOLUME, volErr);
    const volume = stepsToVolume(volumeSteps(req.volume!, spec.volumeStep), spec.volumeStep);
    if (!this.checkFilling(spec, req.typeFilling)) return this.fail(res, RC.INVALID_FILL, 'Unsupported filling mode');
    if (spec.rejectVolumeAbove !== undefined && volume > spec.rejectVolumeAbove) return this.fail(res, RC.REJECT, 'Request rejected: no liquidity for this volume');

    let target: PosState | undefined; // the existing position this deal changes
    if (req.position !== undefined && req.position !== 0n) {
      target = this.positions.get(req.position);
      if (!target) {
        return this.isClosedPosition(req.position)
          ? this.fail(res, RC.POSITION_CLOSED, `position ${req.position} is already closed`)
          : this.fail(res, RC.INVALID, `position ${req.position} not found`);
      }
      if (target.symbol !== spec.symbol) return this.fail(res, RC.INVALID, `position ${req.position} is ${target.symbol}, not ${spec.symbol}`);
      if (target.type === side) return this.fail(res, RC.INVALID, 'closing deal must be opposite to the position');
      if (volume > target.volume + 1e-12) return this.fail(res, RC.INVALID_CLOSE_VOLUME, `close volume ${volume} exceeds position volume ${target.volume}`);
      const rest = volumeSteps(target.volume, spec.volumeStep) - volumeSteps(volume, spec.volumeStep);
      if (rest > 0 && stepsToVolume(rest, spec.volumeStep) < spec.volumeMin - 1e-12) {
        return this.fail(res, RC.INVALID_VOLUME, `remaining volume ${stepsToVolume(rest, spec.volumeStep)} would be below the minimum ${spec.volumeMin}`);
      }
      if (inFreeze(spec, target.type, target.sl, q) || inFreeze(spec, target.type, target.tp, q)) {
        return this.fail(res, RC.FROZEN, 'position SL/TP within the freeze level');
      }
    } else if (this.cfg.account.marginMode === ACCOUNT_MARGIN_MODE.RETAIL_NETTING) {
      const pos = this.netPosition(spec.symbol);
      // netting: one position per symbol; a deal adds to it, or reduces, closes or reverses it
      if (pos) target = pos;
    }
    const reduces = target !== undefined && target.type !== side;

    // symbol trade mode
    const opensOrAdds = !reduces || volume > target!.volume + 1e-12;
    if (opensOrAdds) {
      if (spec.tradeMode === SYMBOL_TRADE_MODE.CLOSEONLY) return this.fail(res, RC.CLOSE_ONLY, 'only position closing is allowed');
      if (spec.tradeMode === SYMBOL_TRADE_MODE.LONGONLY && side === ORDER_TYPE.SELL) return this.fail(res, RC.LONG_ONLY, 'only long positions are allowed');
      if (spec.tradeMode === SYMBOL_TRADE_MODE.SHORTONLY && side === ORDER_TYPE.BUY) return this.fail(res, RC.SHORT_ONLY, 'only short positions are allowed');
    }

    // price: instant execution requotes when the market moved beyond the deviation
    const market = side === ORDER_TYPE.BUY ? q.ask : q.bid;
    if (spec.executionMode === SYMBOL_TRADE_EXECUTION.INSTANT && req.price !== undefined && req.price > 0) {
      const dev = (req.deviation ?? 0) * spec.point;
      if (Math.abs(market - req.price) > dev + spec.point * 1e-6) return this.fail(res, RC.REQUOTE, 'Requote');
    }
    const slip = (this.cfg.slippagePoints ?? 0) * spec.point;
    const price = roundPrice(side === ORDER_TYPE.BUY ? market + slip : market - slip, spec.tickSize, spec.digits);

    const sl = req.sl ?? 0;
    const tp = req.tp ?? 0;
    if (opensOrAdds) {
      if ((sl > 0 && !isOnTick(sl, spec.tickSize, spec.digits)) || (tp > 0 && !isOnTick(tp, spec.tickSize, spec.digits))) {
        return this.fail(res, RC.INVALID_STOPS, 'SL/TP not on the tick size');
      }
      if (!stopsValid(spec, side, side === ORDER_TYPE.BUY ? q.bid : q.ask, sl, tp)) {
        return this.fail(res, RC.INVALID_STOPS, 'Invalid stops');
      }
      const addVolume = reduces ? volume - target!.volume : volume;
      const need = this.marginMinorFor(spec.symbol, addVolume, price);
      const free = this.freeMarginMinor(); // account().freeMargin in minor units, without building the account
      const commission = toMinor((spec.commissionPerLot ?? 0) * volume, this.digits);
      if (need + commission > free) {
        return this.fail(res, RC.NO_MONEY, `not enough money: margin ${fromMinor(need, this.digits)} > free margin ${fromMinor(free, this.digits)}`);
      }
    }

    const orderTicket = this.newTicket();
    const dealTicket = this.fillDeal(spec.symbol, side, volume, price, orderTicket, req.magic ?? 0, req.comment ?? '', sl, tp, DEAL_REASON.EXPERT, target);
    res.retcode = RC.DONE;
    res.order = orderTicket;
    res.deal = dealTicket;
    res.volume = volume;
    res.price = price;
    res.comment = 'Request executed';
    return res;
  }

  private netPosition(symbol: string): PosState | undefined {
    for (const p of this.positions.values()) if (p.symbol === symbol) return p;
    return undefined;
  }

  private actionPending(req: TradeRequest, res: TradeResult): TradeResult {
    const c = this.commonChecks(req.symbol, res);
    if ('retcode' in c) return c;
    const spec = c, q = this.checked;
    const type = req.type ?? -1;
    if (type < ORDER_TYPE.BUY_LIMIT || type > ORDER_TYPE.SELL_STOP_LIMIT) return this.fail(res, RC.INVALID_ORDER, `order type ${type} is not a pending order`);
    const volErr = volumeProblem(spec, req.volume);
    if (volErr) return this.fail(res, RC.INVALID_VOLUME, volErr);
    const price = req.price ?? 0;
    const stopLimit = req.stoplimit ?? 0;
    const sl = req.sl ?? 0;
    const tp = req.tp ?? 0;
    const expiration = req.expiration ?? 0;
    const bad = this.validatePending(spec, q, type, price, stopLimit, sl, tp, expiration);
    if (bad) return this.fail(res, bad[0], bad[1]);
    // pending orders rest in the book: RETURN is always accepted, FOK/IOC only where the symbol allows them
    const filling = req.typeFilling ?? ORDER_FILLING.RETURN;
    if (filling !== ORDER_FILLING.RETURN && !this.checkFilling(spec, filling)) return this.fail(res, RC.INVALID_FILL, 'Unsupported filling mode');
    const o: OrderState = {
      ticket: this.newTicket(), symbol: spec.symbol, type, volume: stepsToVolume(volumeSteps(req.volume!, spec.volumeStep), spec.volumeStep),
      priceOpen: price, stopLimit, sl, tp, timeSetupMsc: this.nowMsc, expiration, magic: req.magic ?? 0, comment: req.comment ?? '',
    };
    this.orders.set(o.ticket, o);
    this.emitOrder(TRADE_TRANSACTION.ORDER_ADD, o);
    res.retcode = RC.DONE;
    res.order = o.ticket;
    res.volume = o.volume;
    res.price = price;
    res.comment = 'Request executed';
    return res;
  }

  /** Checks shared by placing and modifying a pending order: [retcode, reason] or null when valid. */
  private validatePending(
    spec: SimSymbolSpec, q: Quote, type: number, price: number, stopLimit: number, sl: number, tp: number, expiration: number,
  ): [number, string] | null {
    if (!(price > 0) || !isOnTick(price, spec.tickSize, spec.digits)) return [RC.INVALID_PRICE, `price ${price} is not a valid price on the tick size ${spec.tickSize}`];
    const buy = type === ORDER_TYPE.BUY_LIMIT || type === ORDER_TYPE.BUY_STOP || type === ORDER_TYPE.BUY_STOP_LIMIT;
    if (spec.tradeMode === SYMBOL_TRADE_MODE.CLOSEONLY) return [RC.CLOSE_ONLY, 'only position closing is allowed'];
    if (spec.tradeMode === SYMBOL_TRADE_MODE.LONGONLY && !buy) return [RC.LONG_ONLY, 'only long positions are allowed'];
    if (spec.tradeMode === SYMBOL_TRADE_MODE.SHORTONLY && buy) return [RC.SHORT_ONLY, 'only short positions are allowed'];
    const min = spec.stopsLevel * spec.point;
    const eps = spec.point * 1e-6;
    const ok =
      type === ORDER_TYPE.BUY_LIMIT ? price <= q.ask - min + eps && price < q.ask
      : type === ORDER_TYPE.SELL_LIMIT ? price >= q.bid + min - eps && price > q.bid
      : type === ORDER_TYPE.BUY_STOP || type === ORDER_TYPE.BUY_STOP_LIMIT ? price >= q.ask + min - eps && price > q.ask
      : price <= q.bid - min + eps && price < q.bid;
    if (!ok) return [RC.INVALID_PRICE, `price ${price} is on the wrong side of the market or within the stops level`];
    if (type === ORDER_TYPE.BUY_STOP_LIMIT || type === ORDER_TYPE.SELL_STOP_LIMIT) {
      if (!(stopLimit > 0) || !isOnTick(stopLimit, spec.tickSize, spec.digits)) return [RC.INVALID_PRICE, 'stop-limit price missing or off the tick size'];
    }
    const entry = stopLimit > 0 ? stopLimit : price;
    if (!stopsValid(spec, buy ? ORDER_TYPE.BUY : ORDER_TYPE.SELL, entry, sl, tp)) return [RC.INVALID_STOPS, 'Invalid stops'];
    if (expiration > 0 && expiration <= Math.floor(this.nowMsc / 1000)) return [RC.INVALID_EXPIRATION, 'expiration is in the past'];
    return null;
  }



  private actionSltp(req: TradeRequest, res: TradeResult): TradeResult {
    const p = req.position !== undefined ? this.positions.get(req.position) : undefined;
    if (!p) {
      return req.position !== undefined && this.isClosedPosition(req.position)
        ? this.fail(res, RC.POSITION_CLOSED, `position ${req.position} is already closed`)
        : this.fail(res, RC.INVALID, `position ${req.position ?? 0} not found`);
    }
    const c = this.commonChecks(p.symbol, res);
    if ('retcode' in c) return c;
    const spec = c, q = this.checked;
    const sl = req.sl ?? 0;
    const tp = req.tp ?? 0;
    if (sl === p.sl && tp === p.tp) return this.fail(res, RC.NO_CHANGES, 'No changes');
    if ((sl > 0 && !isOnTick(sl, spec.tickSize, spec.digits)) || (tp > 0 && !isOnTick(tp, spec.tickSize, spec.digits))) {
      return this.fail(res, RC.INVALID_STOPS, 'SL/TP not on the tick size');
    }
    if (inFreeze(spec, p.type, p.sl, q) || inFreeze(spec, p.type, p.tp, q)) return this.fail(res, RC.FROZEN, 'position SL/TP within the freeze level');
    if (!stopsValid(spec, p.type, p.type === ORDER_TYPE.BUY ? q.bid : q.ask, sl, tp)) return this.fail(res, RC.INVALID_STOPS, 'Invalid stops');
    p.sl = sl;
    p.tp = tp;
    this.emit({
      txType: TRADE_TRANSACTION.POSITION, deal: 0n, order: 0n, position: p.ticket, symbol: p.symbol, orderType: p.type,
      orderState: 0, dealType: 0, price: p.priceOpen, sl, tp, volume: p.volume, timeMsc: this.nowMsc,
    });
    res.retcode = RC.DONE;
    res.comment = 'Request executed';
    return res;
  }

  private actionModify(req: TradeRequest, res: TradeResult): TradeResult {
    const o = req.order !== undefined ? this.orders.get(req.order) : undefined;
    if (!o) return this.fail(res, RC.INVALID, `order ${req.order ?? 0} not found`);
    const c = this.commonChecks(o.symbol, res);
    if ('retcode' in c) return c;
    const spec = c, q = this.checked;
    const price = req.price ?? o.priceOpen;
    const sl = req.sl ?? 0;
    const tp = req.tp ?? 0;
    const expiration = req.expiration ?? o.expiration;
    if (price === o.priceOpen && sl === o.sl && tp === o.tp && expiration === o.expiration) return this.fail(res, RC.NO_CHANGES, 'No changes');
    if (inFreeze(spec, o.type, o.priceOpen, q)) return this.fail(res, RC.FROZEN, 'order is within the freeze level');
    const bad = this.validatePending(spec, q, o.type, price, o.stopLimit, sl, tp, expiration);
    if (bad) return this.fail(res, bad[0], bad[1]);
    o.priceOpen = price;
    o.sl = sl;
    o.tp = tp;
    o.expiration = expiration;
    this.emitOrder(TRADE_TRANSACTION.ORDER_UPDATE, o);
    res.retcode = RC.DONE;
    res.order = o.ticket;
    res.price = price;
    res.comment = 'Request executed';
    return res;
  }

  private inSession(spec: SimSymbolSpec): boolean {
    return sessionOpenAt(spec.sessions, Math.floor(this.nowMsc / 1000));
  }

  private newTicket(): bigint {
    return this.nextTicket++;
  }

  // ------------------------------------------------------------------------------------------ deals

  /** A market deal: the position opened, added to, reduced, closed or reversed, the balance settled; its ticket. */
  private fillDeal(
    symbol: string, side: 0 | 1, volume: number, price: number, order: bigint, magic: number, comment: string,
    sl: number, tp: number, reason: number, position: PosState | undefined,
  ): bigint {
    const spec = this.specOf(symbol)!;
    const commissionMinor = -toMinor((spec.commissionPerLot ?? 0) * volume, this.digits);
    const pos = position; // the position this deal changes (undefined: it opens one)
    let entry: number = DEAL_ENTRY.IN;
    let profitMinor = 0;
    let swapMinor = 0;
    let positionId: bigint;
    const step = spec.volumeStep;
    if (!pos) {
      const p: PosState = {
        ticket: order, identifier: order, symbol, type: side, volume, priceOpen: price,
        sl, tp, timeMsc: this.nowMsc, magic, comment, swapMinor: 0,
        marginMinor: this.marginMinorFor(symbol, volume, price),
      };
      this.positions.set(p.ticket, p);
      positionId = p.ticket;
    } else if (pos.type === side) {
      // netting: add to the position, volume-weighted average price
      const total = stepsToVolume(volumeSteps(pos.volume, step) + volumeSteps(volume, step), step);
      pos.priceOpen = (pos.priceOpen * pos.volume + price * volume) / total;
      pos.volume = total;
      pos.marginMinor += this.marginMinorFor(symbol, volume, price);
      if (sl > 0) pos.sl = sl;
      if (tp > 0) pos.tp = tp;
      positionId = pos.ticket;
    } else {
      positionId = pos.ticket;
      const posSteps = volumeSteps(pos.volume, step);
      const dealSteps = volumeSteps(volume, step);
      const closeSteps = Math.min(posSteps, dealSteps);
      const closeVol = stepsToVolume(closeSteps, step);
      profitMinor = this.profitMinor(pos, price, closeVol);
      // the swap accumulated on the closed part is realised with this deal
      swapMinor = posSteps > 0 ? Math.round((pos.swapMinor * closeSteps) / posSteps) : 0;
      pos.swapMinor -= swapMinor;
      const marginPart = Math.round((pos.marginMinor * closeSteps) / posSteps);
      pos.marginMinor -= marginPart;
      if (dealSteps < posSteps) {
        entry = DEAL_ENTRY.OUT;
        pos.volume = stepsToVolume(posSteps - dealSteps, step);
      } else if (dealSteps === posSteps) {
        entry = DEAL_ENTRY.OUT;
        this.positions.delete(pos.ticket);
      } else {
        // netting reversal: same position id, opposite direction, the rest of the volume
        entry = DEAL_ENTRY.INOUT;
        const rest = stepsToVolume(dealSteps - posSteps, step);
        pos.type = side;
        pos.volume = rest;
        pos.priceOpen = price;
        pos.sl = sl;
        pos.tp = tp;
        pos.timeMsc = this.nowMsc;
        pos.marginMinor = this.marginMinorFor(symbol, rest, price);
      }
    }
    this.balanceMinor += profitMinor + swapMinor + commissionMinor;
    // a row of the deal store, no Deal object (see DealStore)
    const ticket = this.newTicket();
    const st = this.dealStore, i = st.add(ticket, symbol, comment), c = st.chunk(i), k = st.slot(i);
    const dealType = side === ORDER_TYPE.BUY ? DEAL_TYPE.BUY : DEAL_TYPE.SELL;
    const profit = fromMinor(profitMinor, this.digits);
    c.order[k] = order;
    c.positionId[k] = positionId;
    c.type[k] = dealType;
    c.entry[k] = entry;
    c.volume[k] = volume;
    c.price[k] = price;
    c.commission[k] = fromMinor(commissionMinor, this.digits);
    c.swap[k] = fromMinor(swapMinor, this.digits);
    c.profit[k] = profit;
    c.timeMsc[k] = this.nowMsc;
    c.magic[k] = magic;
    c.reason[k] = reason;
    if (!pos && ticket !== order + 1n) this.openedLater.add(order); // see openedLater
    if (this.onTx) {
      // (a backtest listens to no transactions: it builds none)
      const p = this.positions.get(positionId);
      this.emit({
        txType: TRADE_TRANSACTION.DEAL_ADD, deal: ticket, order, position: positionId, symbol,
        orderType: side, orderState: 4, dealType, price, sl: p?.sl ?? 0, tp: p?.tp ?? 0,
        volume, dealEntry: entry, profit, swap: c.swap[k]!, commission: c.commission[k]!, magic, comment, timeMsc: this.nowMsc,
      });
    }
    return ticket;
  }

  /** The broker's state now (see BrokerState): copies, nothing shared with the broker. */
  state(): BrokerState {
    const deals: Deal[] = [];
    for (let i = 0; i < this.dealStore.length; i++) deals.push(this.dealStore.get(i));
    return {
      balanceMinor: this.balanceMinor, nextTicket: this.nextTicket, nowMsc: this.nowMsc, requestCounter: this.requestCounter,
      quotes: [...this.quotes].map(([s, q]) => [s, q.bid, q.ask, q.timeMsc]),
      positions: [...this.positions.values()].map((p) => ({ ...p })),
      orders: [...this.orders.values()].map((o) => ({ ...o })),
      openedLater: [...this.openedLater],
      deals,
    };
  }

  /**
   * Put a new broker (no deal, position, order or quote yet) where `state()` of another one with the same account
   * and symbols was. A quote of a symbol this broker does not know is an error, as is a broker already used.
   */
  restore(st: BrokerState): void {
    if (this.dealStore.length || this.positions.size || this.orders.size || this.quotes.size) throw new Error('restore: the broker is already in use');
    for (const [s] of st.quotes) if (!this.specs.has(s)) throw new Error(`restore: no symbol ${s}`);
    this.balanceMinor = st.balanceMinor;
    this.nextTicket = st.nextTicket;
    this.nowMsc = st.nowMsc;
    this.requestCounter = st.requestCounter;
    for (const [s, bid, ask, timeMsc] of st.quotes) this.setQuote(s, { bid, ask, timeMsc });
    for (const p of st.positions) this.positions.set(p.ticket, { ...p });
    for (const o of st.orders) this.orders.set(o.ticket, { ...o });
    for (const t of st.openedLater) this.openedLater.add(t);
    const ds = this.dealStore;
    for (const d of st.deals) {
      const i = ds.add(d.ticket, d.symbol, d.comment), c = ds.chunk(i), k = ds.slot(i);
      c.order[k] = d.order;
      c.positionId[k] = d.positionId;
      c.type[k] = d.type;
      c.entry[k] = d.entry;
      c.volume[k] = d.volume;
      c.price[k] = d.price;
      c.commission[k] = d.commission;
      c.swap[k] = d.swap;
      c.profit[k] = d.profit;
      c.timeMsc[k] = d.timeMsc;
      c.magic[k] = d.magic;
      c.reason[k] = d.reason;
    }
  }

  /** A deposit or withdrawal (DEAL_TYPE_BALANCE). */
  balanceOperation(amount: number, comment = 'balance'): Deal {
    const minor = toMinor(amount, this.digits);
    this.balanceMinor += minor;
    const st = this.dealStore, i = st.add(this.newTicket(), '', comment), c = st.chunk(i), k = st.slot(i);
    // a chunk's rows start zeroed (order, position id, volume, price, commission, swap, magic, reason: 0)
    c.type[k] = DEAL_TYPE.BALANCE;
    c.entry[k] = DEAL_ENTRY.IN;
    c.profit[k] = fromMinor(minor, this.digits);
    c.timeMsc[k] = this.nowMsc;
    return st.get(i);
  }

  private emitOrder(txType: number, o: OrderState): void {
    this.emit({
      txType, deal: 0n, order: o.ticket, position: 0n, symbol: o.symbol, orderType: o.type,
      orderState: txType === TRADE_TRANSACTION.ORDER_DELETE ? 2 : 1, dealType: 0, price: o.priceOpen, sl: o.sl, tp: o.tp,
      volume: o.volume, comment: o.comment, timeMsc: this.nowMsc,
    });
  }

  private emit(tx: BrokerTx): void {
    this.onTx?.(tx);
  }
}

