/**
 * A band of quotes in which no stop-out can happen, kept while the one open position, the balance and the stop-out
 * level stay as they were. The stop-out check runs at every quote while a position is open (a backtest's every bar,
 * up to four times); inside the band it is a few comparisons instead of the position's floating profit.
 *
 * The band is what `cannotStopOut` (price-path.ts) proves for a range of quotes, so it is exact — never a skipped
 * stop-out: a position's floating profit only grows with its closing price, so at any quote inside the band the equity
 * is at least the equity at the band's worst edge, which is above the stop-out level. Any change to what the equity
 * depends on (another deal, a swap, a partial close, a netting average, the balance) and the band no longer holds.
 *
 * It also relies on what is fixed once the book is built and so is not in its key: the symbol's spec (book.ts: specs
 * never change; paper trading builds a new broker when it learns a symbol) and the account's currency and digits. A
 * spec made updatable in place would have to drop the band.
 *
 * Plain fields, read and written by price-path.ts where it checks (no number crosses a call: a double passed to a call
 * V8 does not inline is a new heap number).
 */
import type { PosState } from '../broker-types.js';

/** How far a band reaches beyond the quotes it is made for, as a fraction of the price. */
export const BAND_REACH = 0.02;

export class StopOutBand {
  /** False: no band is made or trusted, the check is the exact one at every quote (tests compare the two). */
  enabled = true;
  /** The position the band was made for and its figures then (undefined: no band). */
  pos: PosState | undefined;
  type = 0;
  volume = 0;
  priceOpen = 0;
  swapMinor = 0;
  marginMinor = 0;
  balanceMinor = 0;
  level = 0;
  /** No stop-out while the bid ≥ lo and the ask ≤ hi. */
  lo = 0;
  hi = 0;
}
