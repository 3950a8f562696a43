/**
 * The simulated broker's state as a restart keeps it (BrokerState), taken from its book `b` and put into a new one.
 */
import type { Deal } from '../../protocol/messages.js';
import type { BrokerState } from '../broker-types.js';
import type { BrokerBook } from './book.js';

/** The broker's state now (see BrokerState): copies, nothing shared with the broker. */
export function brokerState(b: BrokerBook): BrokerState {
  const deals: Deal[] = [];
  for (let i = 0; i < b.dealStore.length; i++) deals.push(b.dealStore.get(i));
  return {
    balanceMinor: b.balanceMinor, nextTicket: b.nextTicket, nowMsc: b.nowMsc, requestCounter: b.requestCounter,
    quotes: [...b.quotes].map(([s, q]) => [s, q.bid, q.ask, q.timeMsc]),
    positions: [...b.positions.values()].map((p) => ({ ...p })),
    orders: [...b.orders.values()].map((o) => ({ ...o })),
    openedLater: [...b.openedLater],
    deals,
  };
}

/**
 * Put a new broker (no deal, position, order or quote yet) where `state()` of another one with the same account
 * and symbols was. A quote of a symbol this broker does not know is an error, as is a broker already used.
 */
export function restoreBrokerState(b: BrokerBook, st: BrokerState): void {
  if (b.dealStore.length || b.positions.size || b.orders.size || b.quotes.size) throw new Error('restore: the broker is already in use');
  for (const [s] of st.quotes) if (!b.specs.has(s)) throw new Error(`restore: no symbol ${s}`);
  b.balanceMinor = st.balanceMinor;
  b.nextTicket = st.nextTicket;
  b.nowMsc = st.nowMsc;
  b.requestCounter = st.requestCounter;
  for (const [s, bid, ask, timeMsc] of st.quotes) b.setQuote(s, { bid, ask, timeMsc });
  for (const p of st.positions) b.positions.set(p.ticket, { ...p });
  for (const o of st.orders) b.orders.set(o.ticket, { ...o });
  for (const t of st.openedLater) b.openedLater.add(t);
  const ds = b.dealStore;
  for (const d of st.deals) {
    const i = ds.add(d.ticket, d.symbol, d.comment), c = ds.chunk(i), k = ds.slot(i);
    c.order[k] = d.order;
    c.positionId[k] = d.positionId;
    c.type[k] = d.type;
    c.entry[k] = d.entry;
    c.volume[k] = d.volume;
    c.price[k] = d.price;
    c.commission[k] = d.commission;
    c.swap[k] = d.swap;
    c.profit[k] = d.profit;
    c.timeMsc[k] = d.timeMsc;
    c.magic[k] = d.magic;
    c.reason[k] = d.reason;
  }
}
