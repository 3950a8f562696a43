/**
 * The simulated broker's deals, over its book `b`: a market deal filled (the position opened, added to, reduced,
 * closed or reversed and the balance settled, a row of the deal store, DEAL_ADD reported), a balance operation, and
 * the reads of the deal store — by time, by ticket, their money, and whether a ticket was ever a position.
 */
import { fromMinor, stepsToVolume, toMinor, volumeSteps } from '../../engine/money.js';
import type { Deal } from '../../protocol/messages.js';
import { DEAL_ENTRY, DEAL_TYPE, ORDER_TYPE, TRADE_TRANSACTION } from '../../protocol/mt5.js';
import type { PosState } from '../broker-types.js';
import type { BrokerBook } from './book.js';
import { marginMinorFor, profitMinor } from './money.js';

/** A market deal: the position opened, added to, reduced, closed or reversed, the balance settled; its ticket. */
export function fillDeal(
  b: BrokerBook,
  symbol: string, side: 0 | 1, volume: number, price: number, order: bigint, magic: number, comment: string,
  sl: number, tp: number, reason: number, position: PosState | undefined,
): bigint {
  const spec = b.specOf(symbol)!;
  const commissionMinor = -toMinor((spec.commissionPerLot ?? 0) * volume, b.digits);
  const pos = position; // the position this deal changes (undefined: it opens one)
  let entry: number = DEAL_ENTRY.IN;
  let dealProfitMinor = 0;
  let swapMinor = 0;
  let positionId: bigint;
  const step = spec.volumeStep;
  if (!pos) {
    const p: PosState = {
      ticket: order, identifier: order, symbol, type: side, volume, priceOpen: price,
      sl, tp, timeMsc: b.nowMsc, magic, comment, swapMinor: 0,
      marginMinor: marginMinorFor(b, symbol, volume, price),
    };
    b.positions.set(p.ticket, p);
    positionId = p.ticket;
  } else if (pos.type === side) {
    // netting: add to the position, volume-weighted average price
    const total = stepsToVolume(volumeSteps(pos.volume, step) + volumeSteps(volume, step), step);
    pos.priceOpen = (pos.priceOpen * pos.volume + price * volume) / total;
    pos.volume = total;
    pos.marginMinor += marginMinorFor(b, symbol, volume, price);
    if (sl > 0) pos.sl = sl;
    if (tp > 0) pos.tp = tp;
    positionId = pos.ticket;
  } else {
    positionId = pos.ticket;
    const posSteps = volumeSteps(pos.volume, step);
    const dealSteps = volumeSteps(volume, step);
    const closeSteps = Math.min(posSteps, dealSteps);
    const closeVol = stepsToVolume(closeSteps, step);
    dealProfitMinor = profitMinor(b, pos, price, closeVol);
    // the swap accumulated on the closed part is realised with this deal
    swapMinor = posSteps > 0 ? Math.round((pos.swapMinor * closeSteps) / posSteps) : 0;
    pos.swapMinor -= swapMinor;
    const marginPart = Math.round((pos.marginMinor * closeSteps) / posSteps);
    pos.marginMinor -= marginPart;
    if (dealSteps < posSteps) {
      entry = DEAL_ENTRY.OUT;
      pos.volume = stepsToVolume(posSteps - dealSteps, step);
    } else if (dealSteps === posSteps) {
      entry = DEAL_ENTRY.OUT;
      b.positions.delete(pos.ticket);
    } else {
      // netting reversal: same position id, opposite direction, the rest of the volume
      entry = DEAL_ENTRY.INOUT;
      const rest = stepsToVolume(dealSteps - posSteps, step);
      pos.type = side;
      pos.volume = rest;
      pos.priceOpen = price;
      pos.sl = sl;
      pos.tp = tp;
      pos.timeMsc = b.nowMsc;
      pos.marginMinor = marginMinorFor(b, symbol, rest, price);
    }
  }
  b.balanceMinor += dealProfitMinor + swapMinor + commissionMinor;
  // a row of the deal store, no Deal object (see DealStore)
  const ticket = b.newTicket();
  const st = b.dealStore, i = st.add(ticket, symbol, comment), c = st.chunk(i), k = st.slot(i);
  const dealType = side === ORDER_TYPE.BUY ? DEAL_TYPE.BUY : DEAL_TYPE.SELL;
  const profit = fromMinor(dealProfitMinor, b.digits);
  c.order[k] = order;
  c.positionId[k] = positionId;
  c.type[k] = dealType;
  c.entry[k] = entry;
  c.volume[k] = volume;
  c.price[k] = price;
  c.commission[k] = fromMinor(commissionMinor, b.digits);
  c.swap[k] = fromMinor(swapMinor, b.digits);
  c.profit[k] = profit;
  c.timeMsc[k] = b.nowMsc;
  c.magic[k] = magic;
  c.reason[k] = reason;
  if (!pos && ticket !== order + 1n) b.openedLater.add(order); // see openedLater
  if (b.onTx) {
    // (a backtest listens to no transactions: it builds none)
    const p = b.positions.get(positionId);
    b.emit({
      txType: TRADE_TRANSACTION.DEAL_ADD, deal: ticket, order, position: positionId, symbol,
      orderType: side, orderState: 4, dealType, price, sl: p?.sl ?? 0, tp: p?.tp ?? 0,
      volume, dealEntry: entry, profit, swap: c.swap[k]!, commission: c.commission[k]!, magic, comment, timeMsc: b.nowMsc,
    });
  }
  return ticket;
}

/** A deposit or withdrawal (DEAL_TYPE_BALANCE). */
export function balanceOperation(b: BrokerBook, amount: number, comment = 'balance'): Deal {
  const minor = toMinor(amount, b.digits);
  b.balanceMinor += minor;
  const st = b.dealStore, i = st.add(b.newTicket(), '', comment), c = st.chunk(i), k = st.slot(i);
  // a chunk's rows start zeroed (order, position id, volume, price, commission, swap, magic, reason: 0)
  c.type[k] = DEAL_TYPE.BALANCE;
  c.entry[k] = DEAL_ENTRY.IN;
  c.profit[k] = fromMinor(minor, b.digits);
  c.timeMsc[k] = b.nowMsc;
  return st.get(i);
}

/** Was `ticket` ever a position (open now or not)? Its opening deal carries it as order and position id. */
export function openedPosition(b: BrokerBook, ticket: bigint): boolean {
  if (typeof ticket !== 'bigint') return false; // (a request without a valid ticket names no position)
  if (b.openedLater.has(ticket)) return true;
  const st = b.dealStore, i = st.indexOf(ticket + 1n);
  if (i < 0) return false;
  const c = st.chunk(i), k = st.slot(i);
  return c.order[k] === ticket && c.positionId[k] === ticket && c.entry[k] === DEAL_ENTRY.IN;
}

/** Was `ticket` a position that is closed now? */
export function isClosedPosition(b: BrokerBook, ticket: bigint): boolean {
  return !b.positions.has(ticket) && openedPosition(b, ticket);
}

/** Deals from a server time (s) on, oldest first (new objects). */
export function dealsFrom(b: BrokerBook, fromSec = 0): Deal[] {
  const st = b.dealStore, out: Deal[] = [];
  for (let i = 0; i < st.length; i++) if (st.time(i) >= fromSec) out.push(st.get(i));
  return out;
}

/**
 * The money of the deals from row `from` on, without building Deal objects: for each deal with money (an exit
 * deal, DEAL_ENTRY_OUT / INOUT / OUT_BY, or an entry deal's commission) its magic, position id, server time (s),
 * amount (profit + swap + commission), whether it closed something, and whether the position is still open.
 */
export function forEachMoney(b: BrokerBook, from: number, fn: (magic: number, positionId: bigint, time: number, amount: number, closing: boolean, stillOpen: boolean) => void): void {
  const st = b.dealStore;
  for (let i = from; i < st.length; i++) {
    const c = st.chunk(i), k = st.slot(i);
    const entry = c.entry[k]!;
    const pid = c.positionId[k]!;
    const closing = entry === DEAL_ENTRY.OUT || entry === DEAL_ENTRY.INOUT || entry === DEAL_ENTRY.OUT_BY;
    if (!closing && (entry !== DEAL_ENTRY.IN || c.commission[k] === 0)) continue;
    fn(c.magic[k]!, pid, Math.floor(c.timeMsc[k]! / 1000), closing ? c.profit[k]! + c.swap[k]! + c.commission[k]! : c.commission[k]!, closing, b.positions.has(pid));
  }
}

/** A deal by ticket (a new object), or undefined. */
export function dealByTicket(b: BrokerBook, ticket: bigint): Deal | undefined {
  const i = b.dealStore.indexOf(ticket);
  return i < 0 ? undefined : b.dealStore.get(i);
}

/** The position id of a deal, or undefined (`dealByTicket(b, ticket)?.positionId` without building the deal). */
export function dealPositionId(b: BrokerBook, ticket: bigint): bigint | undefined {
  const st = b.dealStore, i = st.indexOf(ticket);
  return i < 0 ? undefined : st.chunk(i).positionId[st.slot(i)];
}
