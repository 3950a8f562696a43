/**
 * The simulated broker's book: everything it holds (account, symbols, quotes, positions, orders, deals, tickets, its
 * clock) and the lookups every part of it makes — a symbol's spec and quote, currency conversion, the trade session,
 * the next ticket, the transactions reported. The broker's other files are functions over one book `b`; `SimBroker`
 * (../broker.ts) is a book with MT5's interface on it, and only those functions use the book's own members.
 */
import { minorScale, toMinor } from '../../engine/money.js';
import { sessionOpenAt } from '../../engine/sessions.js';
import { TRADE_TRANSACTION } from '../../protocol/mt5.js';
import type { BrokerConfig, BrokerTx, OrderState, PosState, Quote, SimSymbolSpec } from '../broker-types.js';
import { DealStore } from '../deal-store.js';
import { OpenPositions } from './open-positions.js';
import { StopOutBand } from './stop-out-band.js';

export class BrokerBook {
  readonly cfg: BrokerConfig;
  readonly specs = new Map<string, SimSymbolSpec>();
  readonly quotes = new Map<string, Quote>();
  /** By ticket, and as a dense list in the same order for the loops run at every quote (open-positions.ts). */
  readonly positions = new OpenPositions();
  readonly orders = new Map<bigint, OrderState>();
  /**
   * Positions whose opening deal is not the ticket right after theirs (opened by a triggered pending order): a
   * market order's position T opens with deal T + 1, which `openedPosition` (deals.ts) finds in the deal store.
   * Growing bigint-keyed indexes of every deal and every closed position cost ~1 µs a deal; the deal store is
   * already in ticket order, so it is searched instead.
   */
  readonly openedLater = new Set<bigint>();
  /** Every deal, in ticket order (tickets only grow), as columns: `dealByTicket()` searches it. */
  readonly dealStore = new DealStore();
  balanceMinor: number;
  readonly digits: number;
  /** 10^digits: fromMinor(m, digits) is m / scale. */
  readonly scale: number;
  nextTicket: bigint;
  nowMsc = 0;
  requestCounter = 0;
  /** The terminal's "Algo Trading" button: off → 10027 for every request. */
  algoTrading: boolean;
  /** Called for every transaction, in order, as OnTradeTransaction would be. */
  onTx: ((tx: BrokerTx) => void) | undefined;
  /** The last margin converted into minor units, and its result (an entry's margin is asked three times at one price). */
  lastMargin = NaN;
  lastMarginMinor = 0;
  /** Quotes in which the one open position cannot be stopped out (stop-out-band.ts; price-path.ts keeps it). */
  readonly stopOutBand = new StopOutBand();
  /** The quote `commonChecks` (trade-requests.ts) last checked (a field, not a pair built per order). */
  checked!: Quote;

  constructor(cfg: BrokerConfig) {
    this.cfg = cfg;
    for (const s of cfg.symbols) this.specs.set(s.symbol, s);
    this.digits = cfg.account.currencyDigits ?? 2;
    this.scale = minorScale(this.digits);
    this.balanceMinor = toMinor(cfg.account.balance, this.digits);
    this.nextTicket = cfg.ticketStart ?? 1000n;
    this.algoTrading = cfg.algoTrading ?? true;
    this.specLast = this.specs.get('');
  }

  /**
   * `rate(from, account currency)`, 1 for the account's own currency without the call (a position's profit is
   * converted at every quote while it is open).
   */
  toAccount(from: string): number {
    const acct = this.cfg.account.currency;
    return from === acct ? 1 : this.rate(from, acct);
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
  // (a string from the start, never undefined: a comparison that has only ever seen strings is a pointer comparison in
  // optimised code; one that has seen undefined was a call of the generic StrictEqual each time — ~1 M a 1 M-bar backtest)
  private specSym = '';
  private specLast: SimSymbolSpec | undefined;
  private quoteSym = '';
  private quoteLast: Quote | undefined;

  specOf(symbol: string): SimSymbolSpec | undefined {
    if (symbol === this.specSym) return this.specLast;
    this.specSym = symbol;
    return (this.specLast = this.specs.get(symbol));
  }

  quoteOfSym(symbol: string): Quote | undefined {
    if (symbol === this.quoteSym) return this.quoteLast;
    this.quoteSym = symbol;
    return (this.quoteLast = this.quotes.get(symbol));
  }

  setQuote(symbol: string, q: Quote): void {
    this.quotes.set(symbol, q);
    // the kept answer is the one the Map now gives
    this.quoteSym = symbol;
    this.quoteLast = q;
  }

  /** The symbol's one position (netting), or undefined. */
  netPosition(symbol: string): PosState | undefined {
    const L = this.positions.list;
    for (let i = 0; i < L.length; i++) if (L[i]!.symbol === symbol) return L[i];
    return undefined;
  }

  inSession(spec: SimSymbolSpec): boolean {
    return sessionOpenAt(spec.sessions, Math.floor(this.nowMsc / 1000));
  }

  newTicket(): bigint {
    return this.nextTicket++;
  }

  emitOrder(txType: number, o: OrderState): void {
    this.emit({
      txType, deal: 0n, order: o.ticket, position: 0n, symbol: o.symbol, orderType: o.type,
      orderState: txType === TRADE_TRANSACTION.ORDER_DELETE ? 2 : 1, dealType: 0, price: o.priceOpen, sl: o.sl, tp: o.tp,
      volume: o.volume, comment: o.comment, timeMsc: this.nowMsc,
    });
  }

  emit(tx: BrokerTx): void {
    this.onTx?.(tx);
  }
}
