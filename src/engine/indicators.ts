/**
 * Indicators that equal MetaTrader 5's own (docs/indicators.md; formulas from MetaQuotes' Examples sources).
 *
 * Streaming: `push(bar)` commits a closed bar with O(1) work in the length of history (windowed formulas
 * that MT5 computes over their window — Bollinger σ, CCI deviation, Stochastic/WPR/Ichimoku extremes —
 * do O(period) work per bar, as MT5 does, to keep its arithmetic). `peek(bar, out)` computes the values a
 * forming bar would have without touching the state of closed bars. `out` holds the values of the last
 * committed bar, NaN where MT5 draws nothing yet (before PLOT_DRAW_BEGIN).
 * MT5's order of floating-point operations is kept (EMA `p*k + prev*(1-k)`, running SMA
 * `prev + (p - p[-N]) / N`, SMMA `(prev*(N-1) + p) / N`, CCI `Σ|…| * (0.015/N)`, …).
 *
 * One file per family in indicators/: base.ts (bars, applied prices, ring buffers, the Indicator class),
 * moving-averages.ts, oscillators.ts (RSI, MACD, Bollinger, Stochastic), trend.ts (ATR, ADX), more.ts (the rest).
 */
export { APPLIED_PRICES, Indicator, MAX_RING_CAPACITY, appliedPrice, priceByCode, priceCode, type AppliedPrice, type BarIn } from './indicators/base.js';
export { MaCore, MovingAverage, VolumeMa, type MaMethod } from './indicators/moving-averages.js';
export * from './indicators/oscillators.js';
export * from './indicators/trend.js';
export * from './indicators/more.js';
