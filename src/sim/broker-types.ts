/**
 * The simulated broker's types: a symbol with its costs, the broker's configuration, the transactions it reports,
 * its positions, orders and quotes, and its state as a restart keeps it.
 */
import type { Deal, SymbolSpec } from '../protocol/messages.js';

/** A symbol as the simulator needs it: the protocol's spec plus costs. `tickValue` is computed live. */
export interface SimSymbolSpec extends Omit<SymbolSpec, 'tickValue'> {
  /** Commission per lot per deal side, in account currency (charged as a negative amount). */
  commissionPerLot?: number;
  /** Spread in points used when a quote gives none. */
  defaultSpread?: number;
  /** Liquidity limit: market orders above this volume are rejected by the dealer (10006). */
  rejectVolumeAbove?: number;
}

export interface BrokerConfig {
  account: {
    login: number;
    server: string;
    currency: string;
    currencyDigits?: number;
    leverage: number;
    marginMode: 0 | 2;
    tradeMode?: 0 | 1 | 2;
    balance: number;
    stopOutLevel?: number;
  };
  symbols: SimSymbolSpec[];
  /** Adverse slippage in points applied to market orders sent by request (not to SL/TP). */
  slippagePoints?: number;
  /** First ticket number; tests start above 2^53 to prove tickets are never rounded. */
  ticketStart?: bigint;
  /** Terminal "Algo Trading" button; off → 10027 for every request. */
  algoTrading?: boolean;
  /** Conversion rates for currencies no simulated symbol quotes, e.g. { EURUSD: 1.1 }. */
  fixedRates?: Record<string, number>;
}

/** A transaction as MT5's OnTradeTransaction reports it (the fields the protocol forwards). */
export interface BrokerTx {
  txType: number;
  deal: bigint;
  order: bigint;
  position: bigint;
  symbol: string;
  orderType: number;
  orderState: number;
  dealType: number;
  price: number;
  sl: number;
  tp: number;
  volume: number;
  dealEntry?: number;
  profit?: number;
  swap?: number;
  commission?: number;
  magic?: number;
  comment?: string;
  timeMsc: number;
}

export interface Quote {
  bid: number;
  ask: number;
  timeMsc: number;
}

export interface PosState {
  ticket: bigint;
  identifier: bigint;
  symbol: string;
  type: 0 | 1;
  volume: number;
  priceOpen: number;
  sl: number;
  tp: number;
  timeMsc: number;
  magic: number;
  comment: string;
  swapMinor: number;
  /** Margin in account currency minor units, fixed at open (see docs/sim.md). */
  marginMinor: number;
}

export interface OrderState {
  ticket: bigint;
  symbol: string;
  type: number;
  volume: number;
  priceOpen: number;
  stopLimit: number;
  sl: number;
  tp: number;
  timeSetupMsc: number;
  expiration: number;
  magic: number;
  comment: string;
}

/**
 * Everything a SimBroker holds beyond its configuration (`SimBroker.state()`), to start another one in the same place
 * (`restore`): the paper account's journal is compacted into it (src/host/paper/journal.ts). Plain data (bigints
 * for tickets): the caller serialises it.
 */
export interface BrokerState {
  balanceMinor: number;
  nextTicket: bigint;
  nowMsc: number;
  requestCounter: number;
  quotes: [string, number, number, number][];
  positions: PosState[];
  orders: OrderState[];
  openedLater: bigint[];
  deals: Deal[];
}

export type Trigger =
  | { kind: 'sl' | 'tp'; pos: PosState; level: number }
  | { kind: 'order'; order: OrderState; level: number };
