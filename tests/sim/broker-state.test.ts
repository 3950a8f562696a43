/**
 * SimBroker.state() / restore(): a new broker restored from another's state is in the same place — balance,
 * positions (with swap), pending orders, deals, the next ticket — and goes on exactly as the original does (the
 * paper account's journal compaction rests on it: src/host/paper/journal.ts).
 */
import { describe, expect, it } from 'vitest';
import { ORDER_FILLING, ORDER_TYPE, TRADE_ACTION } from '../../src/protocol/mt5.js';
import { SimBroker } from '../../src/sim/broker.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { makeBroker } from '../helpers.js';

const T = Date.UTC(2024, 0, 8, 10); // a Monday, 10:00 server time
const specs = [symbolSpec('EURUSD', { commissionPerLot: 3.5 }), symbolSpec('GBPUSD')];

function act(b: SimBroker, step: number): void {
  const t = T + step * 60_000;
  b.quote('EURUSD', 1.1 + step * 0.0002, 1.10002 + step * 0.0002, t);
  b.quote('GBPUSD', 1.27 - step * 0.0001, 1.27003 - step * 0.0001, t);
  if (step % 3 === 0) b.orderSend({ action: TRADE_ACTION.DEAL, symbol: 'EURUSD', type: ORDER_TYPE.BUY, volume: 0.1, typeFilling: ORDER_FILLING.FOK, sl: 1.09, tp: 1.1 + step * 0.0002 + 0.0007 });
  if (step % 4 === 1) b.orderSend({ action: TRADE_ACTION.PENDING, symbol: 'GBPUSD', type: ORDER_TYPE.SELL_STOP, volume: 0.2, price: Math.round((1.27 - step * 0.0001 - 0.0003) * 1e5) / 1e5 });
  if (step === 5) b.rollover(1);
  if (step === 7) b.balanceOperation(250, 'deposit');
}

const view = (b: SimBroker) => ({ account: b.account(), positions: b.positionList(), orders: b.orderList(), deals: b.deals() });

describe('sim broker: state and restore', () => {
  it('a restored broker is the same account and trades on as the original', () => {
    const a = makeBroker({}, specs);
    for (let s = 0; s < 12; s++) act(a, s);
    const v = view(a);
    expect(v.positions.length).toBeGreaterThan(0);
    expect(v.orders.length).toBeGreaterThan(0);
    expect(v.deals.some((d) => d.commission < 0)).toBe(true);
    // through JSON with tagged bigints, as the journal writes it
    const text = JSON.stringify(a.state(), (_k, x) => (typeof x === 'bigint' ? { $n: x.toString() } : x));
    const st = JSON.parse(text, (_k, x) => (x && typeof x === 'object' && typeof x.$n === 'string' ? BigInt(x.$n) : x));
    const b = makeBroker({}, specs);
    b.restore(st);
    expect(view(b)).toEqual(v);
    for (let s = 12; s < 30; s++) (act(a, s), act(b, s));
    expect(view(b)).toEqual(view(a));
    expect(view(a).deals.length).toBeGreaterThan(v.deals.length);
    // a broker already in use is refused
    expect(() => a.restore(st)).toThrow(/already in use/);
  });
});
