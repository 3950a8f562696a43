import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEAL_REASON, ORDER_FILLING, ORDER_TYPE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import type { SimBroker } from '../../src/sim/broker.js';
import { marginLevelAbove } from '../../src/sim/broker/money.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { MONDAY_10H, makeBroker } from '../helpers.js';

const T = MONDAY_10H;
const px = (x: number) => Math.round(x * 1e5) / 1e5;

/** One step of a price walk: a gap quote, a continuous quote, a bar's path in one call, a night's swap, a partial close, a withdrawal. */
type Step = { kind: 'gap' | 'move' | 'path' | 'night' | 'partial' | 'withdraw'; d: number[] };

function run(b: SimBroker, steps: Step[], t0: number): void {
  let last = 1.1, t = t0;
  const pts = new Float64Array(9);
  for (const s of steps) {
    t += 60_000;
    if (s.kind === 'night') b.rollover(2);
    else if (s.kind === 'withdraw') b.balanceOperation(-Math.floor(b.account().balance * 0.6));
    else if (s.kind === 'partial') {
      const p = b.positionList()[0];
      if (p && p.volume > 0.1) b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', position: p.ticket, type: p.type === 0 ? 1 : 0, volume: 0.1, typeFilling: ORDER_FILLING.FOK });
    } else if (s.kind === 'path') {
      for (let k = 0; k < 3; k++) {
        const bid = px(Math.max(0.5, last + s.d[k]! * 1e-4));
        pts[3 * k] = bid;
        pts[3 * k + 1] = px(bid + 0.00002);
        pts[3 * k + 2] = t + k;
      }
      b.path('EURUSD', pts, 3);
      last = pts[6]!;
    } else {
      last = px(Math.max(0.5, last + s.d[0]! * 1e-4));
      b.quote('EURUSD', last, px(last + 0.00002), t, s.kind === 'move');
    }
  }
}

describe('sim broker: the stop-out band', () => {
  it('stops out at exactly the quotes the exact check does, and no quote leaves a position at or below the stop-out level (property)', () => {
    let stoppedOut = 0, rode = 0;
    fc.assert(
      fc.property(
        fc.record({
          balance: fc.constantFrom(120, 300, 1000, 100_000),
          leverage: fc.constantFrom(50, 100, 500),
          level: fc.constantFrom(20, 50, 100),
          side: fc.constantFrom(ORDER_TYPE.BUY, ORDER_TYPE.SELL),
          volume: fc.constantFrom(0.1, 0.3, 1),
          swapLong: fc.constantFrom(0, -7, -300, -30_000), // (the last drains a 100,000 account in a few nights)
          steps: fc.array(
            fc.record({ kind: fc.constantFrom<Step['kind']>('gap', 'move', 'path', 'path', 'night', 'partial', 'withdraw'), d: fc.array(fc.integer({ min: -400, max: 400 }), { minLength: 3, maxLength: 3 }) }),
            { maxLength: 40 },
          ),
        }),
        ({ balance, leverage, level, side, volume, swapLong, steps }) => {
          const make = () => {
            const b = makeBroker(
              { account: { login: 1, server: 'P', currency: 'USD', leverage, marginMode: 2, balance, stopOutLevel: level } },
              [symbolSpec('EURUSD', { commissionPerLot: 0, swapLong, swapShort: swapLong })],
            );
            b.quote('EURUSD', 1.1, 1.10002, T);
            b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: side, volume, typeFilling: ORDER_FILLING.FOK });
            return b;
          };
          const banded = make(), exact = make();
          // the twin never trusts a band: every stop-out check is the exact one
          exact.stopOutBand.enabled = false;
          run(banded, steps, T);
          run(exact, steps, T);
          expect(banded.deals()).toEqual(exact.deals());
          expect(banded.positionList()).toEqual(exact.positionList());
          expect(banded.account()).toEqual(exact.account());
          // (a night's swap, a partial close or a withdrawal is checked at the next quote, as MT5 checks at ticks)
          const quoted = steps.length === 0 || ['gap', 'move', 'path'].includes(steps.at(-1)!.kind);
          if (banded.openCount > 0 && quoted) {
            rode++;
            expect(marginLevelAbove(banded, level)).toBe(true);
          }
          if (banded.deals().some((d) => d.reason === DEAL_REASON.SO)) stoppedOut++;
        },
      ),
      { numRuns: 600 },
    );
    // both ways were walked: positions stopped out, and positions that rode the whole walk
    expect(stoppedOut).toBeGreaterThan(20);
    expect(rode).toBeGreaterThan(20);
  });
});

describe('sim broker: the stop-out band is made again when what it was made for changes', () => {
  const setup = () => {
    const b = makeBroker({ account: { login: 1, server: 'P', currency: 'USD', leverage: 50, marginMode: 2, balance: 1000, stopOutLevel: 100 } }, [symbolSpec('EURUSD', { commissionPerLot: 0, swapLong: -30_000 })]);
    b.quote('EURUSD', 1.1, 1.10002, T);
    b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: ORDER_TYPE.BUY, volume: 0.1, typeFilling: ORDER_FILLING.FOK });
    b.quote('EURUSD', 1.1, 1.10002, T + 1000); // margin 220, equity ~1000: a band of ±2 % is proved here
    return b;
  };
  const stopOuts = (b: SimBroker) => b.deals().filter((d) => d.reason === DEAL_REASON.SO).length;

  it('a withdrawal', () => {
    const b = setup();
    b.balanceOperation(-600);
    b.quote('EURUSD', 1.0815, 1.08152, T + 2000); // −185 pips: equity ~215 < margin 220 (level 100 %): inside the old band
    expect(stopOuts(b)).toBe(1);
  });

  it("a night's swap", () => {
    const b = setup();
    for (let k = 0; k < 20; k++) b.rollover(2); // −30,000 points × 0.1 lot: −30 USD a night, −600 in all
    b.quote('EURUSD', 1.0815, 1.08152, T + 2000); // −185 pips − 600 swap: stopped out
    expect(stopOuts(b)).toBe(1);
  });
});
