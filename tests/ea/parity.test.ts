/**
 * EA parity: the real EA (mql5/Experts/ExecutorBridge.mq5, built by the mql-test-harness) and SimEaLogic
 * (src/sim/ea-logic.ts, inside the simulated terminal) are given the same intents, each through the real host over
 * a real socket, each trading on its own SimBroker of the same configuration and quotes. Their results — retcodes,
 * classes, volumes, prices, tickets, duplicate flags — and what the intents did to positions, orders and deals must be
 * the same. Intent frames go out raw (a fresh request id, no host ledger), so a re-used intent id reaches the terminal.
 */
import { describe, expect, it } from 'vitest';
import type { Terminal } from '../../src/host/bridge/server.js';
import { MsgType, type AnyMsg, type IntentBody, type IntentResult } from '../../src/protocol/messages.js';
import { RC } from '../../src/protocol/retcodes.js';
import type { SimBroker } from '../../src/sim/broker.js';
import { MONDAY_10H, startRig, type Rig } from '../helpers.js';
import { bridgeEaSuite, cleanups, twoSymbolBroker } from './helpers.js';

const suite = bridgeEaSuite();

/** One side: a terminal the host talks to, the broker behind it, and a way to move its quotes. */
interface Side {
  name: string;
  terminal: Terminal;
  broker: SimBroker;
  quote(symbol: string, bid: number, ask: number, timeMsc: number): Promise<void>;
  results: Map<number, IntentResult>;
}

/** Records every INTENT_RESULT the host receives from `terminal`, by the request id it answers. */
function recordResults(terminal: Terminal): Map<number, IntentResult> {
  const results = new Map<number, IntentResult>();
  const handle = terminal.handle.bind(terminal);
  terminal.handle = (m: AnyMsg) => {
    if (m.type === MsgType.INTENT_RESULT) results.set(m.re, m);
    handle(m);
  };
  return results;
}

/** Send the intent's frame as is (no ledger: a re-used id reaches the terminal) and wait for its result. */
async function ask(side: Side, intent: IntentBody): Promise<IntentResult> {
  const s = side.terminal.session!;
  const id = s.nextRequestId();
  const { type, ...body } = intent;
  s.send(type, { ...body, id } as never);
  const end = Date.now() + 5000;
  while (!side.results.has(id)) {
    if (Date.now() > end) throw new Error(`${side.name}: no result for ${intent.intentId}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return side.results.get(id)!;
}

/** What a result says, without the envelope (seq, request id) that differs by construction. */
function core(r: IntentResult): object {
  const { type: _t, seq: _s, re: _r, ...rest } = r;
  return rest;
}

/** What the broker shows (positions, orders, trade deals), the fields the intents decide. */
function book(b: SimBroker): object {
  return {
    positions: b.positionList().map((p) => ({ ticket: p.ticket, symbol: p.symbol, type: p.type, volume: p.volume, priceOpen: p.priceOpen, sl: p.sl, tp: p.tp, magic: p.magic, comment: p.comment })),
    orders: b.orderList().map((o) => ({ ticket: o.ticket, symbol: o.symbol, type: o.type, volume: o.volume, priceOpen: o.priceOpen, sl: o.sl, tp: o.tp, comment: o.comment })),
    deals: b.deals().filter((d) => d.type === 0 || d.type === 1).map((d) => ({ ticket: d.ticket, order: d.order, positionId: d.positionId, type: d.type, entry: d.entry, volume: d.volume, price: d.price, comment: d.comment })),
  };
}

describe('EA parity: the real EA and SimEaLogic', () => {
  it('give the same results and the same book for opens, modifies, partial and full closes, pendings, a re-used intent id and invalid volumes and stops', async () => {
    // the real EA in the harness
    const rig = await suite.eaRig();
    const real: Side = {
      name: 'EA', terminal: rig.terminal, broker: rig.broker, results: recordResults(rig.terminal),
      quote: async (symbol, bid, ask, t) => {
        rig.ea.tick(symbol, bid, ask, t);
        await rig.ea.waitFor(() => rig.broker.quoteOf(symbol)?.bid === bid, 2000, 'quote');
      },
    };
    // SimEaLogic in the simulated terminal, on a broker of the same configuration and quotes
    const simRig: Rig = await startRig({ symbols: ['EURUSD', 'GBPUSD'] });
    cleanups.push(() => simRig.close());
    const simBroker = twoSymbolBroker();
    simBroker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    simBroker.quote('GBPUSD', 1.27, 1.27003, MONDAY_10H);
    const { terminal: simTerminal } = await simRig.connect({ broker: simBroker });
    const sim: Side = {
      name: 'SimEaLogic', terminal: simTerminal, broker: simBroker, results: recordResults(simTerminal),
      quote: async (symbol, bid, ask, t) => simBroker.quote(symbol, bid, ask, t),
    };
    expect(book(real.broker)).toEqual(book(sim.broker));

    const sides = [real, sim];
    const log: { intent: string; ea: object; sim: object }[] = [];
    /** the same intent to both sides (built from each side's own earlier results); their results must agree */
    const both = async (make: (side: Side, past: Map<string, IntentResult>) => IntentBody): Promise<[IntentResult, IntentResult]> => {
      const out = [] as unknown as [IntentResult, IntentResult];
      for (const [k, side] of sides.entries()) {
        const intent = make(side, pasts[k]!);
        const r = await ask(side, intent);
        if (!r.duplicate) pasts[k]!.set(intent.intentId, r);
        out[k] = r;
      }
      log.push({ intent: out[0].intentId, ea: core(out[0]), sim: core(out[1]) });
      expect(core(out[0]), `result of ${out[0].intentId}`).toEqual(core(out[1]));
      expect(book(real.broker), `book after ${out[0].intentId}`).toEqual(book(sim.broker));
      return out;
    };
    const pasts = [new Map<string, IntentResult>(), new Map<string, IntentResult>()];
    const pos = (past: Map<string, IntentResult>, id: string) => past.get(id)!.position!;
    const open = (intentId: string, over: Partial<IntentBody & { type: 'OPEN' }> = {}) => () =>
      ({ type: 'OPEN', intentId, magic: 7001, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10, ...over }) as IntentBody;

    const [o1] = await both(open('o-1', { sl: 1.09, tp: 1.12 }));
    expect(o1).toMatchObject({ retcode: RC.DONE, class: 'done', volume: 0.1, price: 1.10002, duplicate: false });
    await both(open('o-2', { symbol: 'GBPUSD', side: 1, volume: 0.3 }));
    // the same intent id again: the stored result, marked duplicate, nothing executed
    const [d1] = await both(open('o-1', { sl: 1.09, tp: 1.12 }));
    expect(d1).toMatchObject({ duplicate: true, order: o1.order });
    await both((_, p) => ({ type: 'MODIFY', intentId: 'm-1', magic: 7001, ticket: pos(p, 'o-1'), sl: 1.095, tp: 1.115 }));
    // invalid stops: an SL above the bid of a buy
    const [m2] = await both((_, p) => ({ type: 'MODIFY', intentId: 'm-2', magic: 7001, ticket: pos(p, 'o-1'), sl: 1.2, tp: 0 }));
    expect(m2.retcode).toBe(RC.INVALID_STOPS);
    const [s1] = await both(open('s-1', { sl: 1.2 }));
    expect(s1.retcode).toBe(RC.INVALID_STOPS);
    // invalid volumes: off the step, above the maximum
    const [v1] = await both(open('v-1', { volume: 0.123 }));
    expect(v1.retcode).toBe(RC.INVALID_VOLUME);
    const [v2] = await both(open('v-2', { volume: 1e6 }));
    expect(v2.retcode).toBe(RC.INVALID_VOLUME);
    // the market moves; a partial close, the same close id again, a full close
    for (const side of sides) await side.quote('EURUSD', 1.1011, 1.10113, MONDAY_10H + 60_000);
    const [c1] = await both((_, p) => ({ type: 'CLOSE', intentId: 'c-1', magic: 7001, ticket: pos(p, 'o-1'), volume: 0.04, deviation: 10 }));
    expect(c1).toMatchObject({ retcode: RC.DONE, volume: 0.04, price: 1.1011 });
    const [c1again] = await both((_, p) => ({ type: 'CLOSE', intentId: 'c-1', magic: 7001, ticket: pos(p, 'o-1'), volume: 0.04, deviation: 10 }));
    expect(c1again.duplicate).toBe(true);
    const [c3] = await both((_, p) => ({ type: 'CLOSE', intentId: 'c-3', magic: 7001, ticket: pos(p, 'o-1'), volume: 0.07, deviation: 10 }));
    expect(c3.retcode).toBe(RC.INVALID_CLOSE_VOLUME); // more than the 0.06 left
    await both((_, p) => ({ type: 'CLOSE', intentId: 'c-2', magic: 7001, ticket: pos(p, 'o-2'), volume: 0, deviation: 10 }));
    const [c4] = await both((_, p) => ({ type: 'CLOSE', intentId: 'c-4', magic: 7001, ticket: pos(p, 'o-2'), volume: 0, deviation: 10 }));
    expect(c4).toMatchObject({ retcode: RC.POSITION_CLOSED, class: 'final' });
    // a pending order: placed, moved, cancelled
    await both(() => ({ type: 'PLACE_PENDING', intentId: 'p-1', magic: 7001, symbol: 'GBPUSD', orderType: 2, volume: 0.2, price: 1.25, stopLimit: 0, sl: 1.24, tp: 1.3, expiration: 0 }));
    await both((_, p) => ({ type: 'MODIFY_ORDER', intentId: 'mo-1', magic: 7001, ticket: p.get('p-1')!.order!, price: 1.255, sl: 1.245, tp: 1.3, expiration: 0 }));
    await both((_, p) => ({ type: 'CANCEL', intentId: 'x-1', magic: 7001, ticket: p.get('p-1')!.order! }));
    // everything left, closed in one intent
    await both(open('o-3', { symbol: 'GBPUSD', side: 1 }));
    const [all] = await both(() => ({ type: 'CLOSE_ALL', intentId: 'all-1', magic: 0, symbol: '', onlyMagic: false, deviation: 20 }));
    expect(all).toMatchObject({ retcode: RC.DONE, class: 'done' });
    expect(all.results).toHaveLength(2);
    expect(real.broker.positionList()).toEqual([]);
    expect(log).toHaveLength(18);
  });
});
