/** MetaTrader 5 enum values used on the wire and by the simulator (values as in the MQL5 documentation). */

export const ORDER_TYPE = {
  BUY: 0,
  SELL: 1,
  BUY_LIMIT: 2,
  SELL_LIMIT: 3,
  BUY_STOP: 4,
  SELL_STOP: 5,
  BUY_STOP_LIMIT: 6,
  SELL_STOP_LIMIT: 7,
  CLOSE_BY: 8,
} as const;

export const ORDER_FILLING = { FOK: 0, IOC: 1, RETURN: 2, BOC: 3 } as const;
/** SYMBOL_FILLING_MODE bits. RETURN has no bit in old builds; the simulator uses 4 for "RETURN allowed". */
/** SYMBOL_FILLING_MODE bits. RETURN has none: it depends on the execution mode (bit 4 is BOC, Book or Cancel). */
export const SYMBOL_FILLING = { FOK: 1, IOC: 2, BOC: 4 } as const;

export const TRADE_ACTION = { DEAL: 1, PENDING: 5, SLTP: 6, MODIFY: 7, REMOVE: 8, CLOSE_BY: 10 } as const;

export const POSITION_TYPE = { BUY: 0, SELL: 1 } as const;
export const DEAL_TYPE = { BUY: 0, SELL: 1, BALANCE: 2, CREDIT: 3, CHARGE: 4, CORRECTION: 5, BONUS: 6 } as const;

/** Deal types that move money without a trade: deposits and withdrawals, credit, charges, corrections, bonuses. */
export function isBalanceOperation(dealType: number): boolean {
  return dealType >= DEAL_TYPE.BALANCE && dealType <= DEAL_TYPE.BONUS;
}
export const DEAL_ENTRY = { IN: 0, OUT: 1, INOUT: 2, OUT_BY: 3 } as const;
export const DEAL_REASON = { CLIENT: 0, MOBILE: 1, WEB: 2, EXPERT: 3, SL: 4, TP: 5, SO: 6 } as const;
export const ORDER_STATE = { STARTED: 0, PLACED: 1, CANCELED: 2, PARTIAL: 3, FILLED: 4, REJECTED: 5, EXPIRED: 6 } as const;

export const TRADE_TRANSACTION = {
  ORDER_ADD: 0,
  ORDER_UPDATE: 1,
  ORDER_DELETE: 2,
  HISTORY_ADD: 3,
  HISTORY_UPDATE: 4,
  HISTORY_DELETE: 5,
  DEAL_ADD: 6,
  DEAL_UPDATE: 7,
  DEAL_DELETE: 8,
  POSITION: 9,
  REQUEST: 10,
} as const;

export const ACCOUNT_MARGIN_MODE = { RETAIL_NETTING: 0, EXCHANGE: 1, RETAIL_HEDGING: 2 } as const;
export const SYMBOL_TRADE_MODE = { DISABLED: 0, LONGONLY: 1, SHORTONLY: 2, CLOSEONLY: 3, FULL: 4 } as const;
export const SYMBOL_TRADE_EXECUTION = { REQUEST: 0, INSTANT: 1, MARKET: 2, EXCHANGE: 3 } as const;
export const SYMBOL_CALC_MODE = { FOREX: 0, FUTURES: 1, CFD: 2, CFDINDEX: 3, CFDLEVERAGE: 4, FOREX_NO_LEVERAGE: 5 } as const;
/**
 * ENUM_SYMBOL_SWAP_MODE: the unit of SYMBOL_SWAP_LONG/SHORT, as SPEC's swapMode codes. The EA translates MT5's value by
 * its MQL5 identifier (EB_SwapModeCode in Protocol.mqh), so these codes hold whatever MT5's numbers are; they are the
 * MetaTrader5 Python package's numbers, CURRENCY_PROFIT (added to MT5 later) last.
 */
export const SYMBOL_SWAP_MODE = {
  DISABLED: 0, POINTS: 1, CURRENCY_SYMBOL: 2, CURRENCY_MARGIN: 3, CURRENCY_DEPOSIT: 4,
  INTEREST_CURRENT: 5, INTEREST_OPEN: 6, REOPEN_CURRENT: 7, REOPEN_BID: 8, CURRENCY_PROFIT: 9,
} as const;
export const TICK_FLAG = { BID: 2, ASK: 4, LAST: 8, VOLUME: 16, BUY: 32, SELL: 64 } as const;

/** MqlTradeRequest, field names in camelCase. */
export interface TradeRequest {
  action: number;
  magic?: number;
  order?: bigint;
  symbol?: string;
  volume?: number;
  price?: number;
  stoplimit?: number;
  sl?: number;
  tp?: number;
  deviation?: number;
  type?: number;
  typeFilling?: number;
  expiration?: number;
  comment?: string;
  position?: bigint;
  positionBy?: bigint;
}

/** MqlTradeResult, field names in camelCase. */
export interface TradeResult {
  retcode: number;
  deal: bigint;
  order: bigint;
  volume: number;
  price: number;
  bid: number;
  ask: number;
  comment: string;
  requestId: number;
  retcodeExternal: number;
}
