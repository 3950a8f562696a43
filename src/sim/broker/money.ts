/**
 * The simulated broker's money, over its book `b`, in the account currency's minor units inside (no float drift) and
 * converted at the edges: a position's profit, an order's margin, the floating profit, free margin and margin level,
 * the account as MT5 reports it, the tick value, and the daily swap in each SYMBOL_SWAP_MODE.
 */
import { fromMinor, roundTo, toMinor } from '../../engine/money.js';
import type { Account } from '../../protocol/messages.js';
import { ORDER_TYPE, SYMBOL_CALC_MODE, SYMBOL_SWAP_MODE } from '../../protocol/mt5.js';
import type { PosState, SimSymbolSpec } from '../broker-types.js';
import type { BrokerBook } from './book.js';

/** SYMBOL_TRADE_TICK_VALUE at the current quotes (0 while no conversion rate is known). */
export function tickValueOf(b: BrokerBook, s: SimSymbolSpec): number {
  let x: number;
  try {
    x = s.tickSize * s.contractSize * b.rate(s.currencyProfit, b.cfg.account.currency);
  } catch {
    return 0; // no conversion rate yet (no quote): MT5 reports 0 too
  }
  return tickRounded(x);
}

/**
 * x to 12 significant digits (0.00001 × 100000 is 0.9999999999999999 in binary, MT5 shows 1.0). A function of x alone,
 * so the last answer is kept: a risk-sized strategy asks at every decision, mostly for the same product, and
 * `toPrecision` was ~0.3 µs of it (~0.3 s of a million-bar backtest decided bar by bar).
 */
export function tickRounded(x: number): number {
  if (x !== lastTickX || x !== x) {
    lastTickValue = Number(x.toPrecision(12));
    lastTickX = x;
  }
  return lastTickValue;
}
let lastTickX = NaN;
let lastTickValue = NaN;

/** Profit of `volume` lots of a position (default all of it) at a close price, in account currency, in minor units. */
export function profitMinor(b: BrokerBook, p: { symbol: string; type: number; volume: number; priceOpen: number }, closePrice: number, volume = p.volume): number {
  const s = b.specOf(p.symbol)!;
  const dir = p.type === ORDER_TYPE.BUY ? 1 : -1;
  // price difference in points, cleaned of binary noise when both prices sit on the grid (1.10012 − 1.10002 is
  // 9.99999…e-5); a netting position's average price is off the grid, and its fraction of a point is money
  const raw = (closePrice - p.priceOpen) / s.point;
  const whole = Math.round(raw);
  const points = Math.abs(raw - whole) < 1e-6 ? whole : raw;
  const profitCcy = dir * points * s.point * s.contractSize * volume;
  return toMinor(profitCcy * b.toAccount(s.currencyProfit), b.digits);
}

/** Margin `volume` lots of a symbol need at `price`, in account currency, in minor units. */
export function marginMinorFor(b: BrokerBook, symbol: string, volume: number, price: number): number {
  const s = b.specOf(symbol)!;
  const lev = b.cfg.account.leverage;
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
  const x = m * b.toAccount(s.currencyMargin);
  // toMinor is a function of x alone here (the digits are the account's): a margin on a half cent takes its slow,
  // exact path, and the same entry's margin is asked by the risk gate, the order's check and its position
  if (x !== b.lastMargin) {
    b.lastMarginMinor = toMinor(x, b.digits);
    b.lastMargin = x;
  }
  return b.lastMarginMinor;
}

/** A position's floating profit at the current quote (0 without one), in minor units. */
export function floatingMinor(b: BrokerBook, p: PosState): number {
  const q = b.quoteOfSym(p.symbol);
  if (!q) return 0;
  return profitMinor(b, p, p.type === ORDER_TYPE.BUY ? q.bid : q.ask);
}

/** The account as MT5 reports it (AccountInfo*). */
export function account(b: BrokerBook): Account {
  let profit = 0;
  let swap = 0;
  let margin = 0;
  const L = b.positions.list;
  for (let i = 0; i < L.length; i++) {
    const p = L[i]!;
    profit += floatingMinor(b, p);
    swap += p.swapMinor;
    margin += p.marginMinor;
  }
  const equity = b.balanceMinor + profit + swap;
  const a = b.cfg.account;
  return {
    login: a.login,
    server: a.server,
    currency: a.currency,
    currencyDigits: b.digits,
    leverage: a.leverage,
    marginMode: a.marginMode,
    tradeMode: a.tradeMode ?? 0,
    balance: fromMinor(b.balanceMinor, b.digits),
    credit: 0,
    equity: fromMinor(equity, b.digits),
    profit: fromMinor(profit + swap, b.digits),
    margin: fromMinor(margin, b.digits),
    freeMargin: fromMinor(equity - margin, b.digits),
    marginLevel: margin > 0 ? roundTo((equity / margin) * 100, 2) : 0,
    stopOutLevel: a.stopOutLevel ?? 50,
    tradeAllowed: b.algoTrading,
    serverTime: Math.floor(b.nowMsc / 1000),
  };
}

/** balance, equity and freeMargin exactly as account() gives them, without building the account (a backtest's risk gate reads them at every entry). */
export function accountFigures(b: BrokerBook): { balance: number; equity: number; freeMargin: number } {
  let profit = 0, swap = 0, margin = 0;
  const L = b.positions.list;
  for (let i = 0; i < L.length; i++) {
    const p = L[i]!;
    profit += floatingMinor(b, p);
    swap += p.swapMinor;
    margin += p.marginMinor;
  }
  const equity = b.balanceMinor + profit + swap;
  return { balance: fromMinor(b.balanceMinor, b.digits), equity: fromMinor(equity, b.digits), freeMargin: fromMinor(equity - margin, b.digits) };
}

/** Free margin in minor units: equity − margin, as account() sums them. */
export function freeMarginMinor(b: BrokerBook): number {
  let m = b.balanceMinor;
  const L = b.positions.list;
  for (let i = 0; i < L.length; i++) m += floatingMinor(b, L[i]!) + L[i]!.swapMinor - L[i]!.marginMinor;
  return m;
}

/**
 * Is the margin level (equity / margin × 100, Infinity without margin) above `level`? Asked at every quote with a
 * position open, without building an Account; answered inside, as a boolean: a margin level returned from a call
 * V8 does not inline was a new heap number each time (~9 MB of garbage a million-bar backtest).
 */
export function marginLevelAbove(b: BrokerBook, level: number): boolean {
  let floating = 0, margin = 0;
  const L = b.positions.list;
  for (let i = 0; i < L.length; i++) {
    const p = L[i]!;
    floating += floatingMinor(b, p) + p.swapMinor;
    margin += p.marginMinor;
  }
  return (margin > 0 ? ((b.balanceMinor + floating) / margin) * 100 : Infinity) > level;
}

/**
 * The rollover at the end of server day `weekday` (0 Sunday … 6 Saturday): each position's swap for the night in the
 * unit the symbol's `swapMode` names (nightSwapMinor), triple on `swapRollover3Days` (that triple is the weekend's two
 * nights, as MT5 charges it). The rollovers at the end of a Saturday or a Sunday charge nothing — a bar file with
 * weekend bars (or a week opening on Sunday evening) has them, and they would charge the weekend a second time —
 * unless the symbol trades every day of the week (a market open at weekends, as crypto: every night is charged) or
 * that day is its triple day. A symbol whose swap no quote converts into the account currency is charged nothing that
 * night and named in the error thrown after the others are charged (one such symbol never costs the others their swap).
 */
export function rollover(b: BrokerBook, weekday: number): void {
  const L = b.positions.list;
  if (L.length === 0) return; // (every server day of a backtest: nothing is made for a night with nothing open)
  const weekend = weekday === 0 || weekday === 6;
  let failed: Map<string, string> | undefined;
  for (let i = 0; i < L.length; i++) {
    const p = L[i]!;
    const s = b.specOf(p.symbol)!;
    if (weekend && weekday !== s.swapRollover3Days && !tradesAtWeekends(s)) continue;
    try {
      // charged at once: a position's night swap reads no other position's swap (a list of the charges made first
      // was ~5 MB of garbage in a 1 M-bar backtest)
      const minor = nightSwapMinor(b, s, p, weekday === s.swapRollover3Days ? 3 : 1);
      if (minor) p.swapMinor += minor;
    } catch (e) {
      (failed ??= new Map()).set(p.symbol, (e as Error).message); // this symbol's positions only: the others are charged
    }
  }
  if (failed) throw new Error(`no swap charged on ${[...failed].map(([sym, why]) => `${sym} (${why})`).join(', ')}; the other positions were charged`);
}

/**
 * Why the simulated broker cannot charge a symbol's swap as its broker does, or undefined when it can: the reopen
 * modes (MT5 closes the position at the rollover and reopens it at a price moved by the swap's points: new deals and
 * tickets the simulator does not make) and a mode this version does not know. Such a symbol is charged no swap.
 */
export function swapModeProblem(s: Pick<SimSymbolSpec, 'symbol' | 'swapMode'>): string | undefined {
  const m = s.swapMode ?? SYMBOL_SWAP_MODE.POINTS;
  if (m === SYMBOL_SWAP_MODE.REOPEN_CURRENT || m === SYMBOL_SWAP_MODE.REOPEN_BID) {
    return `${s.symbol}: its broker charges swap by reopening positions at the rollover (SYMBOL_SWAP_MODE ${m}, ${m === SYMBOL_SWAP_MODE.REOPEN_BID ? 'at the bid' : 'at the close price'} ± the swap in points); the simulated broker does not reopen positions and charges this symbol no swap`;
  }
  if (!Number.isInteger(m) || m < 0 || m > 9) return `${s.symbol}: SYMBOL_SWAP_MODE ${m} is not one this version knows (0–9); the simulated broker charges this symbol no swap`;
  return undefined;
}

/**
 * The swap of `nights` nights (3 on the triple day) of position `p`, in account currency minor units, as MT5 computes it for the
 * symbol's SYMBOL_SWAP_MODE (absent: points, as an EA that does not send it meant) from swapLong/swapShort (`v`):
 * points — v × point × contract size × lots, in the profit currency; money — v × lots, in the base (CURRENCY_SYMBOL),
 * margin, deposit or profit currency; annual interest — v % × price × contract size × lots / 360 (a banking year), in
 * the profit currency, on the price the position would close at now (INTEREST_CURRENT: the bid for a buy, the ask
 * for a sell) or its open price (INTEREST_OPEN). Each amount is converted to the account currency at the current
 * quotes (b.rate) and then rounded to the account's minor unit. 0 for a mode swapModeProblem names.
 */
export function nightSwapMinor(b: BrokerBook, s: SimSymbolSpec, p: PosState, nights = 1): number {
  const v = (p.type === ORDER_TYPE.BUY ? s.swapLong : s.swapShort) * nights;
  if (!v) return 0;
  const acct = b.cfg.account.currency;
  let amount: number, ccy: string;
  switch (s.swapMode ?? SYMBOL_SWAP_MODE.POINTS) {
    case SYMBOL_SWAP_MODE.POINTS:
      amount = v * s.point * s.contractSize * p.volume;
      ccy = s.currencyProfit;
      break;
    case SYMBOL_SWAP_MODE.CURRENCY_SYMBOL:
      amount = v * p.volume;
      ccy = s.currencyBase;
      break;
    case SYMBOL_SWAP_MODE.CURRENCY_MARGIN:
      amount = v * p.volume;
      ccy = s.currencyMargin;
      break;
    case SYMBOL_SWAP_MODE.CURRENCY_DEPOSIT:
      amount = v * p.volume;
      ccy = acct;
      break;
    case SYMBOL_SWAP_MODE.CURRENCY_PROFIT:
      amount = v * p.volume;
      ccy = s.currencyProfit;
      break;
    case SYMBOL_SWAP_MODE.INTEREST_CURRENT:
    case SYMBOL_SWAP_MODE.INTEREST_OPEN: {
      let price = p.priceOpen;
      if (s.swapMode === SYMBOL_SWAP_MODE.INTEREST_CURRENT) {
        const q = b.quoteOfSym(p.symbol);
        if (!q) throw new Error(`${p.symbol}: no quote to compute its interest swap on`);
        price = p.type === ORDER_TYPE.BUY ? q.bid : q.ask;
      }
      amount = ((v / 100) * price * s.contractSize * p.volume) / 360;
      ccy = s.currencyProfit;
      break;
    }
    default: // DISABLED, and the modes swapModeProblem names
      return 0;
  }
  return toMinor(amount * (ccy === acct ? 1 : b.rate(ccy, acct)), b.digits);
}

/** A symbol with trade sessions on both Saturday and Sunday (its swap is charged every night). */
function tradesAtWeekends(s: SimSymbolSpec): boolean {
  let sat = false, sun = false;
  for (const [d] of s.sessions ?? []) {
    if (d === 6) sat = true;
    else if (d === 0) sun = true;
  }
  return sat && sun;
}
