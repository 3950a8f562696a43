/**
 * The simulated broker's swap in each SYMBOL_SWAP_MODE, against figures computed by hand. The account is in USD; the
 * position is 0.5 lot of EURGBP (base EUR, profit GBP), bought at its ask 0.88002; EURUSD (bid 1.1) and GBPUSD (bid
 * 1.25) convert EUR and GBP to USD. Rollover at the end of a Monday (one night) unless said.
 */
import { describe, expect, it } from 'vitest';
import { ORDER_FILLING, ORDER_TYPE, SYMBOL_SWAP_MODE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import type { SimBroker, SimSymbolSpec } from '../../src/sim/broker.js';
import { swapModeProblem } from '../../src/sim/broker/money.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { MONDAY_10H, makeBroker } from '../helpers.js';

const T = MONDAY_10H;

function broker(over: Partial<SimSymbolSpec>, extra: SimSymbolSpec[] = []): SimBroker {
  const b = makeBroker({}, [
    symbolSpec('EURGBP', { commissionPerLot: 0, ...over }),
    symbolSpec('EURUSD', { commissionPerLot: 0 }),
    symbolSpec('GBPUSD', { commissionPerLot: 0 }),
    ...extra,
  ]);
  b.quote('EURUSD', 1.1, 1.10002, T);
  b.quote('GBPUSD', 1.25, 1.25003, T);
  b.quote('EURGBP', 0.88, 0.88002, T);
  return b;
}
const deal = (b: SimBroker, type: number, symbol = 'EURGBP', volume = 0.5) =>
  expect(b.orderSend({ action: TRADE_ACTION.DEAL, symbol, type, volume, typeFilling: ORDER_FILLING.FOK }).retcode).toBe(10009);
const swapOf = (b: SimBroker, symbol = 'EURGBP') => b.positionList().find((p) => p.symbol === symbol)!.swap;

/** One night's swap of 0.5 lot bought, in USD. */
function night(over: Partial<SimSymbolSpec>, weekday = 1): number {
  const b = broker(over);
  deal(b, ORDER_TYPE.BUY);
  b.rollover(weekday);
  return swapOf(b);
}

describe('sim broker: swap in each SYMBOL_SWAP_MODE', () => {
  it('points (1), and a spec without a mode (an EA that does not send it): swap × point × contract size × lots, in the profit currency', () => {
    // -4 × 0.00001 × 100,000 × 0.5 = -2 GBP × 1.25 = -2.50 USD
    expect(night({ swapMode: SYMBOL_SWAP_MODE.POINTS, swapLong: -4 })).toBe(-2.5);
    expect(night({ swapMode: undefined, swapLong: -4 })).toBe(-2.5);
  });

  it('money in the base (2), margin (3), deposit (4) and profit (9) currency: swap × lots, converted', () => {
    expect(night({ swapMode: SYMBOL_SWAP_MODE.CURRENCY_SYMBOL, swapLong: -3 })).toBe(-1.65); // -1.5 EUR × 1.1
    // a margin currency other than the base (as some CFDs): -2 × 0.5 = -1 GBP × 1.25
    expect(night({ swapMode: SYMBOL_SWAP_MODE.CURRENCY_MARGIN, swapLong: -2, currencyMargin: 'GBP' })).toBe(-1.25);
    expect(night({ swapMode: SYMBOL_SWAP_MODE.CURRENCY_MARGIN, swapLong: -2 })).toBe(-1.1); // margin EUR: -1 EUR × 1.1
    expect(night({ swapMode: SYMBOL_SWAP_MODE.CURRENCY_DEPOSIT, swapLong: -3 })).toBe(-1.5); // -1.5 USD as it is
    expect(night({ swapMode: SYMBOL_SWAP_MODE.CURRENCY_PROFIT, swapLong: -2.4 })).toBe(-1.5); // -1.2 GBP × 1.25
  });

  it('annual interest on the open price (6) and on the current price (5), over a 360-day year, in the profit currency', () => {
    // 0.88002 × 100,000 × 0.5 = 44,001 GBP × -2.5 % / 360 = -3.055625 GBP × 1.25 = -3.8195… → -3.82 USD
    expect(night({ swapMode: SYMBOL_SWAP_MODE.INTEREST_OPEN, swapLong: -2.5 })).toBe(-3.82);
    // the price now: a buy at the bid, a sell at the ask
    const b = broker({ swapMode: SYMBOL_SWAP_MODE.INTEREST_CURRENT, swapLong: -2.5, swapShort: 1 });
    deal(b, ORDER_TYPE.BUY);
    b.quote('EURGBP', 0.9, 0.90002, T + 60_000);
    b.rollover(1);
    // 0.9 × 50,000 = 45,000 × -2.5 % / 360 = -3.125 GBP × 1.25 = -3.90625 → -3.91
    expect(swapOf(b)).toBe(-3.91);
    const s = broker({ swapMode: SYMBOL_SWAP_MODE.INTEREST_CURRENT, swapLong: -2.5, swapShort: 1 });
    deal(s, ORDER_TYPE.SELL);
    s.quote('EURGBP', 0.9, 0.90002, T + 60_000);
    s.rollover(1);
    // 0.90002 × 50,000 = 45,001 × 1 % / 360 = 1.250027… GBP × 1.25 = 1.5625… → +1.56
    expect(swapOf(s)).toBe(1.56);
  });

  it('triple on the triple-swap weekday in every mode, before the rounding', () => {
    expect(night({ swapMode: SYMBOL_SWAP_MODE.CURRENCY_DEPOSIT, swapLong: -3, swapRollover3Days: 3 }, 3)).toBe(-4.5);
    // 3 × 44,001 × -2.5 % / 360 × 1.25 = -11.4585… → -11.46
    expect(night({ swapMode: SYMBOL_SWAP_MODE.INTEREST_OPEN, swapLong: -2.5, swapRollover3Days: 5 }, 5)).toBe(-11.46);
    // one night -0.005 GBP × 1.25 = -0.00625 (-0.01 rounded, -0.03 as three rounded nights); tripled first: -0.01875 → -0.02
    expect(night({ swapMode: SYMBOL_SWAP_MODE.CURRENCY_PROFIT, swapLong: -0.01, swapRollover3Days: 2 }, 2)).toBe(-0.02);
  });

  it('disabled (0) charges nothing; the reopen modes (7, 8) and an unknown mode are named as not simulated and charge nothing', () => {
    expect(night({ swapMode: SYMBOL_SWAP_MODE.DISABLED, swapLong: -7 })).toBe(0);
    expect(swapModeProblem({ symbol: 'EURGBP', swapMode: SYMBOL_SWAP_MODE.DISABLED })).toBeUndefined();
    expect(swapModeProblem({ symbol: 'EURGBP' })).toBeUndefined();
    for (const m of [SYMBOL_SWAP_MODE.REOPEN_CURRENT, SYMBOL_SWAP_MODE.REOPEN_BID, 12]) {
      expect(night({ swapMode: m, swapLong: -7 })).toBe(0);
      expect(swapModeProblem({ symbol: 'EURGBP', swapMode: m })).toMatch(/^EURGBP: .*charges this symbol no swap$/);
    }
    expect(swapModeProblem({ symbol: 'X', swapMode: SYMBOL_SWAP_MODE.REOPEN_BID })).toMatch(/reopening positions at the rollover.*at the bid/);
  });

  it('a currency no quote converts leaves that symbol\'s positions uncharged, charges the others, and says which', () => {
    // XAGXYZ's swap is in its base currency XAG, which nothing converts to USD; EURGBP's is in points
    const b = broker({ swapLong: -4 }, [{ ...symbolSpec('EURUSD', { commissionPerLot: 0 }), symbol: 'XAGXYZ', currencyBase: 'XAG', currencyProfit: 'USD', currencyMargin: 'USD', swapMode: SYMBOL_SWAP_MODE.CURRENCY_SYMBOL, swapLong: -1 }]);
    b.quote('XAGXYZ', 1.1, 1.10002, T);
    deal(b, ORDER_TYPE.BUY, 'XAGXYZ'); // the one that cannot be charged first: the others are charged all the same
    deal(b, ORDER_TYPE.BUY);
    expect(() => b.rollover(1)).toThrow(/no swap charged on XAGXYZ \(.*no conversion rate XAG→USD.*\); the other positions were charged/);
    expect(swapOf(b, 'XAGXYZ')).toBe(0);
    expect(swapOf(b)).toBe(night({ swapLong: -4 }));
    expect(swapOf(b)).toBeLessThan(0);
  });
});
