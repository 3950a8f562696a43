import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVolumeStepMultiple } from '../../src/engine/money.js';
import { atrSize, fixedLot, kellySize, moneyPerLot, riskPercentSize, tickValueInAccount, volatilityScaledSize, type SizingSymbol } from '../../src/engine/sizing.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { makeBroker } from '../helpers.js';

const sym = (tickSize: number, tickValue: number, step = 0.01, min = 0.01, max = 100): SizingSymbol => ({ tickSize, tickValue, volumeStep: step, volumeMin: min, volumeMax: max });

describe('sizing', () => {
  it('USDJPY on a USD account: the JPY tick value converted at 1/USDJPY', () => {
    const tv = tickValueInAccount(0.001, 100_000, 1 / 150); // 100 JPY per tick per lot = 0.6667 USD
    const r = riskPercentSize(sym(0.001, tv), 10_000, 1, 0.5); // 1 % = 100 USD over 50 pips (0.500 JPY)
    expect(r).toMatchObject({ ok: true, volume: 0.3 }); // 500 ticks × 0.6667 = 333.33 per lot → 0.30
    expect(r.ok && r.riskMoney).toBe(100);
  });

  it('XAUUSD on a USD account and EURUSD on a EUR account', () => {
    const gold = riskPercentSize(sym(0.01, tickValueInAccount(0.01, 100, 1)), 10_000, 1, 5); // $5 stop, 100 oz
    expect(gold).toMatchObject({ ok: true, volume: 0.2 }); // 500 ticks × 1 USD = 500 per lot
    const eur = riskPercentSize(sym(0.00001, tickValueInAccount(0.00001, 100_000, 1 / 1.25)), 10_000, 1, 0.002);
    expect(eur).toMatchObject({ ok: true, volume: 0.62 }); // 200 ticks × 0.8 EUR = 160 per lot → 0.625 → 0.62, never 0.63
    expect(eur.ok && eur.riskMoney).toBe(99.2);
  });

  it('agrees with the simulated broker: the money per lot over a stop is what the broker books at the stop', () => {
    const b = makeBroker({}, [symbolSpec('USDJPY', { commissionPerLot: 0 })]);
    b.quote('USDJPY', 150, 150, Date.UTC(2024, 0, 8, 10));
    const spec = b.spec('USDJPY')!;
    expect(moneyPerLot(spec, 0.5)).toBeCloseTo(333.33, 2);
    b.orderSend({ action: 1, symbol: 'USDJPY', type: 0, volume: 1, typeFilling: 0 });
    b.quote('USDJPY', 149.5, 149.5, Date.UTC(2024, 0, 8, 11));
    const p = b.positionList()[0]!;
    expect(p.profit).toBeCloseTo(-334.45, 2); // converted at the new rate 1/149.5: within 0.4 % of the estimate
  });

  it('refuses rather than rounding risk up, and clamps to the maximum', () => {
    const r = riskPercentSize(sym(0.00001, 1), 100, 0.5, 0.005); // 0.50 budget, 500 per lot: 0.001 lots
    expect(r).toMatchObject({ ok: false, code: 'BELOW_MIN_VOLUME' });
    expect(!r.ok && r.reason).toMatch(/the minimum volume 0.01 would risk 5 > the budget 0.5/);
    expect(riskPercentSize(sym(0.00001, 1, 0.01, 0.01, 5), 1e7, 10, 0.001)).toMatchObject({ ok: true, volume: 5 });
    expect(riskPercentSize(sym(0.00001, 1), 10_000, 1, 0)).toMatchObject({ ok: false, code: 'NO_STOP' });
  });

  it('fixed, ATR, Kelly, volatility-scaled, and the REDUCE_SIZE multiplier', () => {
    expect(fixedLot(sym(0.00001, 1), 0.1, 0.5)).toMatchObject({ ok: true, volume: 0.05 });
    expect(fixedLot(sym(0.00001, 1), 0.01, 0.5)).toMatchObject({ ok: false, code: 'BELOW_MIN_VOLUME' });
    expect(atrSize(sym(0.00001, 1), 10_000, 1, 0.001, 2)).toMatchObject({ ok: true, volume: 0.5 }); // stop 200 ticks
    // W 0.55, R 1.5: f* = 0.55 − 0.45/1.5 = 0.25; quarter Kelly = 6.25 % capped at 2 %
    expect(kellySize(sym(0.00001, 1), 10_000, 0.55, 1.5, 0.25, 2, 0.002)).toMatchObject({ ok: true, volume: 1 });
    expect(kellySize(sym(0.00001, 1), 10_000, 0.3, 1, 0.25, 2, 0.002)).toMatchObject({ ok: false });
    expect(volatilityScaledSize(sym(0.00001, 1), 0.1, 0.001, 0.002)).toMatchObject({ ok: true, volume: 0.05 });
  });

  it('never risks more than the budget and always lands on the step (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 100, max: 1e6, noNaN: true }), fc.double({ min: 0.1, max: 5, noNaN: true }),
        fc.double({ min: 0.0001, max: 0.05, noNaN: true }), fc.constantFrom(0.01, 0.1, 1), fc.double({ min: 0.1, max: 1, noNaN: true }),
        (equity, pct, stop, step, mult) => {
          const s = sym(0.00001, 1, step, step, 1000);
          const r = riskPercentSize(s, equity, pct, stop, mult);
          if (r.ok) {
            expect(moneyPerLot(s, stop) * r.volume).toBeLessThanOrEqual(((equity * pct) / 100) * mult * (1 + 1e-9));
            expect(isVolumeStepMultiple(r.volume, step)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
