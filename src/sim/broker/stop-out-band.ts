/**
 * A band of quotes in which no stop-out can happen, kept while the one open position, the balance and the stop-out
 * level stay as they were. The stop-out check runs at every quote while a position is open (a backtest's every bar,
 * up to four times); inside the band it is a few comparisons instead of the position's floating profit.
 *
 * The band is what `cannotStopOut` (price-path.ts) proves for a range of quotes, so it is exact — never a skipped
 * stop-out: a position's floating profit only grows with its closing price, so at any quote inside the band the equity
 * is at least the equity at the band's worst edge, which is above the stop-out level. Any change to what the equity
 * depends on (another deal, a swap, a partial close, a netting average, the balance) and the band no longer holds.
 */
import type { PosState } from '../broker-types.js';

/** How far a band reaches beyond the quotes it is made for, as a fraction of the price. */
export const BAND_REACH = 0.02;

export class StopOutBand {
  /** The position the band was made for and its figures then (undefined: no band). */
  private pos: PosState | undefined;
  private type = 0;
  private volume = 0;
  private priceOpen = 0;
  private swapMinor = 0;
  private marginMinor = 0;
  private balanceMinor = 0;
  private level = 0;
  /** No stop-out while the bid ≥ lo and the ask ≤ hi. */
  private lo = 0;
  private hi = 0;

  /** Is `p` (the one open position, on the band's symbol) as it was, and bid `loB` … ask `hiA` inside the band? */
  holds(p: PosState, balanceMinor: number, level: number, loB: number, hiA: number): boolean {
    return (
      p === this.pos && p.type === this.type && p.volume === this.volume && p.priceOpen === this.priceOpen && p.swapMinor === this.swapMinor &&
      p.marginMinor === this.marginMinor && balanceMinor === this.balanceMinor && level === this.level && loB >= this.lo && hiA <= this.hi
    );
  }

  /** No stop-out for `p` as it is now, with this balance and level, while bid ≥ lo and ask ≤ hi (proved by the caller). */
  remember(p: PosState, balanceMinor: number, level: number, lo: number, hi: number): void {
    this.pos = p;
    this.type = p.type;
    this.volume = p.volume;
    this.priceOpen = p.priceOpen;
    this.swapMinor = p.swapMinor;
    this.marginMinor = p.marginMinor;
    this.balanceMinor = balanceMinor;
    this.level = level;
    this.lo = lo;
    this.hi = hi;
  }
}
