import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manageExits, managesPositions, NO_EXIT_DECISION, type ExitMarket, type ExitSymbol, type ManagedPosition } from '../../src/engine/exits.js';
import { manageExitsAsBefore } from './naive-exits.js';
import type { NormalizedStrategy } from '../../src/engine/strategy/normalize.js';

const S: ExitSymbol = { digits: 5, point: 0.00001, tickSize: 0.00001, stopsLevel: 0, freezeLevel: 0, volumeMin: 0.01, volumeStep: 0.01, pip: 0.0001 };
const pos = (o: Partial<ManagedPosition> = {}): ManagedPosition => ({
  ticket: 9007199254741003n, side: 0, entry: 1.1, initialVolume: 1, volume: 1, sl: 1.099, tp: 1.103, risk: 0.001, openTime: 0, partialsDone: 0, breakEvenDone: false, ...o,
});
const ex = (o: Partial<NormalizedStrategy['exit']>): NormalizedStrategy['exit'] => ({ exitOnOppositeSignal: true, ...o });
const mk = (bid: number, time = 3600, atr = NaN) => ({ bid, ask: bid + 0.00002, time, atr });

describe('exit manager', () => {
  it('rules that manage nothing (the runner then skips the manager) never make it act; each managing rule is seen', () => {
    const still = [ex({}), ex({ exitOnOppositeSignal: false }), ex({ stopLoss: { type: 'atr', multiplier: 2, atrPeriod: 14 }, takeProfit: { type: 'rr_ratio', ratio: 2 } })];
    for (const x of still) expect(managesPositions(x)).toBe(false);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.integer({ min: -500, max: 500 }), fc.integer({ min: 0, max: 10_000_000 }), fc.constantFrom(...still), (side, pips, time, x) => {
        const p = pos({ side: side as 0 | 1, sl: side === 0 ? 1.099 : 1.101, tp: side === 0 ? 1.103 : 1.097 });
        const d = manageExits(p, mk(1.1 + pips * 0.0001, time, 0.0005), x, S, 7, 'n');
        expect(d).toEqual({ intents: [], tags: [], notes: [] });
      }),
    );
    expect(managesPositions(ex({ maxHoldingHours: 1 }))).toBe(true);
    expect(managesPositions(ex({ breakEven: { atRR: 1, offsetPips: 0 } }))).toBe(true);
    expect(managesPositions(ex({ trailing: { distancePips: 5, atrPeriod: 14, activationPips: 0 } }))).toBe(true);
    expect(managesPositions(ex({ takeProfit: { type: 'partial', levels: [{ atRR: 1, percentage: 50 }, { atRR: 2, percentage: 50 }] } }))).toBe(true);
  });

  it('break-even at 1R with an offset, once, and only in the position\'s favour', () => {
    const p = pos();
    expect(manageExits(p, mk(1.1009), ex({ breakEven: { atRR: 1, offsetPips: 1 } }), S, 7, 'b').intents).toEqual([]);
    const d = manageExits(p, mk(1.101), ex({ breakEven: { atRR: 1, offsetPips: 1 } }), S, 7, 'b');
    expect(d.intents).toEqual([{ type: 'MODIFY', intentId: expect.stringMatching(/^b-[0-9a-z]{14}$/), magic: 7, ticket: p.ticket, sl: 1.1001, tp: 1.103 }]);
    expect(p.breakEvenDone).toBe(true);
    expect(manageExits(p, mk(1.1015), ex({ breakEven: { atRR: 1, offsetPips: 1 } }), S, 7, 'b').intents).toEqual([]);
    // a sell: the stop goes down to the entry
    const s = pos({ side: 1, entry: 1.1, sl: 1.101, tp: 1.097 });
    expect(manageExits(s, mk(1.0989), ex({ breakEven: { atRR: 1, offsetPips: 0 } }), S, 7, 'b').intents[0]).toMatchObject({ type: 'MODIFY', sl: 1.1 });
  });

  it('trails by pips or ATR after the activation threshold, never backwards', () => {
    const p = pos();
    const rules = ex({ trailing: { distancePips: 5, atrPeriod: 14, activationPips: 10 } });
    expect(manageExits(p, mk(1.1009), rules, S, 7, 't').intents).toEqual([]); // 9 pips: not yet
    expect(manageExits(p, mk(1.1012), rules, S, 7, 't').intents[0]).toMatchObject({ sl: 1.1007 });
    expect(manageExits(p, mk(1.1010), rules, S, 7, 't').intents).toEqual([]); // price fell back: stop stays
    expect(manageExits(p, mk(1.1020), rules, S, 7, 't').intents[0]).toMatchObject({ sl: 1.1015 });
    const q = pos();
    expect(manageExits(q, mk(1.1012, 3600, 0.0004), ex({ trailing: { atrMult: 2, atrPeriod: 14, activationPips: 0 } }), S, 7, 't').intents[0]).toMatchObject({ sl: 1.1004 });
  });

  it('partial exits at R levels with step-exact volumes; a remainder below the minimum closes all', () => {
    const p = pos({ initialVolume: 0.15, volume: 0.15 });
    const rules = ex({ takeProfit: { type: 'partial', levels: [{ atRR: 1, percentage: 50 }, { atRR: 2, percentage: 30 }, { atRR: 3, percentage: 20 }] } });
    const d1 = manageExits(p, mk(1.101), rules, S, 7, 'p');
    expect(d1.intents).toEqual([{ type: 'CLOSE', intentId: expect.stringMatching(/^p-[0-9a-z]{14}$/), magic: 7, ticket: p.ticket, volume: 0.07, deviation: 20 }]);
    expect(p.volume).toBe(0.08); // not 0.07999999999999999
    const d2 = manageExits(p, mk(1.1021), rules, S, 7, 'p');
    expect(d2.intents[0]).toMatchObject({ volume: 0.04 }); // 30 % of 0.15 = 0.045 → 0.04 (down)
    expect(p.volume).toBe(0.04);
    // the last level is the server-side TP: nothing more to send
    expect(manageExits(p, mk(1.1031), rules, S, 7, 'p').intents).toEqual([]);
    // 60 % of 0.02 = 0.012 → 0.01, leaving 0.01 (= the minimum): a real partial
    const two = pos({ initialVolume: 0.02, volume: 0.02 });
    expect(manageExits(two, mk(1.101), ex({ takeProfit: { type: 'partial', levels: [{ atRR: 1, percentage: 60 }, { atRR: 2, percentage: 40 }] } }), S, 7, 'p').intents[0]).toMatchObject({ volume: 0.01 });
    // minimum 0.02: 80 % of 0.05 = 0.04 would leave 0.01, which cannot stay open → the whole 0.05 closes
    const big = pos({ initialVolume: 0.05, volume: 0.05 });
    const lv = ex({ takeProfit: { type: 'partial', levels: [{ atRR: 1, percentage: 80 }, { atRR: 2, percentage: 20 }] } });
    expect(manageExits(big, mk(1.101), lv, { ...S, volumeMin: 0.02 }, 7, 'p').intents[0]).toMatchObject({ volume: 0.05 });
    // minimum 0.02: 50 % of 0.03 = 0.015 → 0.01 is itself below the minimum → that partial is skipped, said why
    const small = pos({ initialVolume: 0.03, volume: 0.03 });
    const d = manageExits(small, mk(1.101), ex({ takeProfit: { type: 'partial', levels: [{ atRR: 1, percentage: 50 }, { atRR: 2, percentage: 50 }] } }), { ...S, volumeMin: 0.02 }, 7, 'p');
    expect(d.intents).toEqual([]);
    expect(d.notes[0]).toMatch(/below the minimum volume 0.02: skipped/);
  });

  it('closes on the maximum holding time', () => {
    const d = manageExits(pos({ openTime: 0 }), mk(1.1, 8 * 3600), ex({ maxHoldingHours: 8 }), S, 7, 'h');
    expect(d.intents).toEqual([{ type: 'CLOSE', intentId: expect.stringMatching(/^h-[0-9a-z]{14}$/), magic: 7, ticket: 9007199254741003n, volume: 0, deviation: 20 }]);
    expect(manageExits(pos({ openTime: 0 }), mk(1.1, 8 * 3600 - 1), ex({ maxHoldingHours: 8 }), S, 7, 'h').intents).toEqual([]);
  });

  it('respects the stops level (moves the stop back) and the freeze level (refuses)', () => {
    const p = pos();
    const d = manageExits(p, mk(1.1012), ex({ trailing: { distancePips: 0.5, atrPeriod: 14, activationPips: 0 } }), { ...S, stopsLevel: 30 }, 7, 's');
    expect(d.intents[0]).toMatchObject({ sl: 1.1009 }); // 1.10115 is 5 points away; 30 needed
    expect(d.notes.join(' ')).toMatch(/inside the stops level: moved back to 1.1009/);
    const f = pos({ tp: 1.1013 });
    const r = manageExits(f, mk(1.1012), ex({ trailing: { distancePips: 5, atrPeriod: 14, activationPips: 0 } }), { ...S, freezeLevel: 20 }, 7, 's');
    expect(r.intents).toEqual([]);
    expect(r.notes.join(' ')).toMatch(/freeze level \(20 points\)/);
  });
});

describe('exit manager: the no-allocation form against the form before it', () => {
  // rules, symbols and a path of prices, times and ATRs for one position: every call's decision, and the position's
  // state after it (partials taken, break-even done, stop moved), as the form before gave them
  const rules = fc.record(
    {
      maxHoldingHours: fc.constantFrom(4, 48),
      takeProfit: fc.constantFrom({ type: 'partial' as const, levels: [{ atRR: 1, percentage: 50 }, { atRR: 2, percentage: 30 }] }, { type: 'partial' as const, levels: [{ atRR: 0.5, percentage: 0.5 }, { atRR: 1.5, percentage: 99 }] }, { type: 'rr_ratio' as const, ratio: 2 }),
      breakEven: fc.record({ atRR: fc.constantFrom(0.5, 1, 2), offsetPips: fc.constantFrom(0, 1, 3) }),
      trailing: fc.oneof(
        fc.record({ atrPeriod: fc.constant(14), activationPips: fc.constantFrom(0, 10), distancePips: fc.constantFrom(5, 15) }),
        fc.record({ atrPeriod: fc.constant(14), activationPips: fc.constantFrom(0, 10), atrMult: fc.constantFrom(1, 1.5), activationRR: fc.constantFrom(0, 1) }),
      ),
    },
    { requiredKeys: [] },
  ).map((o) => ex(o as Partial<NormalizedStrategy['exit']>));
  const symbol = fc.record({ stopsLevel: fc.constantFrom(0, 5, 30), freezeLevel: fc.constantFrom(0, 5, 30), volumeMin: fc.constantFrom(0.01, 0.1), volumeStep: fc.constantFrom(0.01, 0.1) }).map((o) => ({ ...S, ...o }));
  const step = fc.record({ pips: fc.integer({ min: -60, max: 120 }), hours: fc.integer({ min: 0, max: 6 }), atr: fc.constantFrom(NaN, 0, 0.0004, 0.0012) });
  it('gives the same decisions and leaves the same position state, call after call; nothing proposed or noted is the shared empty decision', () => {
    let empty = 0, acted = 0;
    fc.assert(
      // the stop at the start: the entry's (10 pips away, 1 R), one already moved 2 pips into profit, or none
      fc.property(rules, symbol, fc.integer({ min: 0, max: 1 }), fc.constantFrom(0.01, 0.1, 0.33, 1), fc.constantFrom(-10, 2, null), fc.array(step, { minLength: 1, maxLength: 40 }), (x, sym, side, volume, slPips, path) => {
        const dir = side === 0 ? 1 : -1;
        const sl = slPips === null ? 0 : Math.round((1.1 + dir * slPips * 0.0001) * 1e5) / 1e5;
        const start = pos({ side: side as 0 | 1, volume, initialVolume: volume, sl, tp: side === 0 ? 1.104 : 1.096 });
        const a = { ...start }, b = { ...start };
        let time = 0;
        const m: ExitMarket = { bid: 0, ask: 0, time: 0, atr: NaN };
        for (const st of path) {
          time += st.hours * 3600;
          const bid = Math.round((1.1 + st.pips * 0.0001) * 1e5) / 1e5;
          m.bid = bid;
          m.ask = Math.round((bid + 0.00002) * 1e5) / 1e5;
          m.time = time;
          m.atr = st.atr;
          const got = manageExits(a, m, x, sym, 7, 'q');
          const want = manageExitsAsBefore(b, { ...m }, x, sym, 7, 'q');
          expect(got).toEqual(want);
          expect(a).toEqual(b);
          if (want.intents.length === 0 && want.notes.length === 0) {
            expect(got).toBe(NO_EXIT_DECISION);
            empty++;
          } else acted++;
          if (a.volume <= 0) break;
        }
      }),
      { numRuns: 400 },
    );
    // both kinds of call were seen
    expect(empty).toBeGreaterThan(100);
    expect(acted).toBeGreaterThan(100);
  });
  it('a break-even the stops level keeps from moving the stop is tried again on the next call (as before)', () => {
    // long from 1.1, stop already at 1.1002, break-even at 0.5R to entry + 3 pips; 5 pips up with a 3-pip stops level:
    // the allowed stop (1.1002) is no better than the current one, so nothing moves and break-even is not done
    const x = ex({ breakEven: { atRR: 0.5, offsetPips: 3 } }), sym = { ...S, stopsLevel: 30 };
    for (const manage of [manageExits, manageExitsAsBefore]) {
      const p = pos({ sl: 1.1002 });
      const d = manage(p, mk(1.1005), x, sym, 7, 'r');
      expect(d.intents).toEqual([]);
      expect(d.notes).toEqual(['break-even at 0.5R: stop to 1.1003', 'stop 1.1003 is inside the stops level (30 points): no move']);
      expect(p.breakEvenDone).toBe(false);
      expect(manage(p, mk(1.1009), x, sym, 7, 'r').intents[0]).toMatchObject({ type: 'MODIFY', sl: 1.1003 });
    }
  });
  it('the shared empty decision cannot be added to', () => {
    expect(Object.isFrozen(NO_EXIT_DECISION) && Object.isFrozen(NO_EXIT_DECISION.intents) && Object.isFrozen(NO_EXIT_DECISION.tags) && Object.isFrozen(NO_EXIT_DECISION.notes)).toBe(true);
    expect(() => (NO_EXIT_DECISION.intents as unknown[]).push(1)).toThrow(TypeError);
  });
});
