/**
 * What the backtest's figures read of its closed trades (metrics.ts, report-stats.ts), summed as each trade is added
 * to its table (trade-table.ts), in close order. A pass over the trades after the run is code run once: its loop ran
 * unoptimised (a heap number per sum per trade) until compiled on the stack, ~10 ms for the 1 M-bar bench's 43,000
 * trades — and the metrics and the report's statistics made one each. Added trade by trade, the sums are made by
 * the table's `push`, called for every trade and compiled early. Every sum adds the same trades in the same order as
 * the passes it replaces (a different order can change the last digit).
 */

/** The columns the figures read (a TradeTable's). */
export interface TradeColumns {
  length: number;
  profit: Float64Array;
  openTime: Float64Array;
  closeTime: Float64Array;
  /** 0 BUY, 1 SELL. */
  side: Uint8Array;
  /** The exit reason's index in the table's names. */
  reason: Int32Array;
}

export class TradeFigures {
  /** Trades added. */
  count = 0;
  /** Trades with a profit above 0, and the sum of their profits. */
  wins = 0;
  grossProfit = 0;
  /** Trades with a profit of 0 or less, and the sum of their profits. */
  losses = 0;
  lossSum = 0;
  /** The sum of all profits. */
  net = 0;
  /** The sum of the holding times (close − open), s. */
  hold = 0;
  /** The longest run of trades with a profit of 0 or less, and the run so far. */
  longestLosing = 0;
  private losing = 0;
  /** The largest profit (0 without a win), the largest loss (0 without one). */
  maxWin = 0;
  minLoss = 0;
  /** Long (BUY) and short (SELL) trades: counts, wins, sums of profits. */
  longs = 0;
  longWins = 0;
  longSum = 0;
  shorts = 0;
  shortWins = 0;
  shortSum = 0;
  /**
   * The longest run of wins with its profit (the most profitable of the longest), and of losses (a trade that is
   * not a win) with its loss (the deepest of the longest); and the runs so far.
   */
  maxWinRun = 0;
  maxWinRunProfit = 0;
  maxLossRun = 0;
  maxLossRunLoss = 0;
  private winRun = 0;
  private winRunProfit = 0;
  private lossRun = 0;
  private lossRunLoss = 0;
  /** Trades by exit reason (the table's `reason` index), and the reasons in the order each was first met. */
  readonly byReason: number[] = [];
  readonly reasonOrder: number[] = [];

  /** The figures of a table's rows, from the first on. */
  static of(t: TradeColumns): TradeFigures {
    const f = new TradeFigures();
    for (let k = 0; k < t.length; k++) f.add(t, k);
    return f;
  }

  /** Row k of `t`, the next trade in close order. */
  add(t: TradeColumns, k: number): void {
    const p = t.profit[k]!;
    this.count++;
    if (p > 0) {
      this.wins++;
      this.grossProfit += p;
      this.maxWin = Math.max(this.maxWin, p);
    } else if (p <= 0) {
      this.losses++;
      this.lossSum += p;
      this.minLoss = Math.min(this.minLoss, p);
    }
    this.losing = p <= 0 ? this.losing + 1 : 0;
    if (this.losing > this.longestLosing) this.longestLosing = this.losing;
    this.net += p;
    this.hold += t.closeTime[k]! - t.openTime[k]!;
    const side = t.side[k];
    if (side === 0) {
      this.longs++;
      if (p > 0) this.longWins++;
      this.longSum += p;
    } else if (side === 1) {
      this.shorts++;
      if (p > 0) this.shortWins++;
      this.shortSum += p;
    }
    if (p > 0) {
      this.winRun++;
      this.winRunProfit += p;
      this.lossRun = 0;
      this.lossRunLoss = 0;
      if (this.winRun > this.maxWinRun || (this.winRun === this.maxWinRun && this.winRunProfit > this.maxWinRunProfit)) {
        this.maxWinRun = this.winRun;
        this.maxWinRunProfit = this.winRunProfit;
      }
    } else {
      this.lossRun++;
      this.lossRunLoss += p;
      this.winRun = 0;
      this.winRunProfit = 0;
      if (this.lossRun > this.maxLossRun || (this.lossRun === this.maxLossRun && this.lossRunLoss < this.maxLossRunLoss)) {
        this.maxLossRun = this.lossRun;
        this.maxLossRunLoss = this.lossRunLoss;
      }
    }
    const r = t.reason[k]!;
    const seen = this.byReason[r] ?? 0;
    if (seen === 0) this.reasonOrder.push(r);
    this.byReason[r] = seen + 1;
  }
}
