/**
 * MT5 trade server return codes (MqlTradeResult.retcode) and how the host must treat each.
 * The EA reports the broker's retcode verbatim; the class tells the host what to do next.
 * This table is generated into mql5/Include/ExecutorBridge/Protocol.mqh (EB_RetcodeClass).
 */

/** What an intent result means for the host. */
export const RESULT_CLASSES = ['done', 'retry', 'final', 'ambiguous'] as const;
export type ResultClass = (typeof RESULT_CLASSES)[number];

interface RetcodeInfo {
  readonly name: string;
  readonly cls: ResultClass;
  readonly text: string;
}

export const RETCODES: Readonly<Record<number, RetcodeInfo>> = {
  10004: { name: 'REQUOTE', cls: 'retry', text: 'Requote' },
  10006: { name: 'REJECT', cls: 'final', text: 'Request rejected' },
  10007: { name: 'CANCEL', cls: 'final', text: 'Request canceled by trader' },
  10008: { name: 'PLACED', cls: 'done', text: 'Order placed' },
  10009: { name: 'DONE', cls: 'done', text: 'Request completed' },
  10010: { name: 'DONE_PARTIAL', cls: 'done', text: 'Only part of the request was completed' },
  10011: { name: 'ERROR', cls: 'ambiguous', text: 'Request processing error' },
  10012: { name: 'TIMEOUT', cls: 'ambiguous', text: 'Request canceled by timeout' },
  10013: { name: 'INVALID', cls: 'final', text: 'Invalid request' },
  10014: { name: 'INVALID_VOLUME', cls: 'final', text: 'Invalid volume in the request' },
  10015: { name: 'INVALID_PRICE', cls: 'final', text: 'Invalid price in the request' },
  10016: { name: 'INVALID_STOPS', cls: 'final', text: 'Invalid stops in the request' },
  10017: { name: 'TRADE_DISABLED', cls: 'final', text: 'Trade is disabled' },
  10018: { name: 'MARKET_CLOSED', cls: 'final', text: 'Market is closed' },
  10019: { name: 'NO_MONEY', cls: 'final', text: 'There is not enough money to complete the request' },
  10020: { name: 'PRICE_CHANGED', cls: 'retry', text: 'Prices changed' },
  10021: { name: 'PRICE_OFF', cls: 'retry', text: 'There are no quotes to process the request' },
  10022: { name: 'INVALID_EXPIRATION', cls: 'final', text: 'Invalid order expiration date in the request' },
  10023: { name: 'ORDER_CHANGED', cls: 'final', text: 'Order state changed' },
  10024: { name: 'TOO_MANY_REQUESTS', cls: 'retry', text: 'Too frequent requests' },
  10025: { name: 'NO_CHANGES', cls: 'final', text: 'No changes in request' },
  10026: { name: 'SERVER_DISABLES_AT', cls: 'final', text: 'Autotrading disabled by server' },
  10027: { name: 'CLIENT_DISABLES_AT', cls: 'final', text: 'Autotrading disabled by client terminal' },
  10028: { name: 'LOCKED', cls: 'retry', text: 'Request locked for processing' },
  10029: { name: 'FROZEN', cls: 'final', text: 'Order or position frozen' },
  10030: { name: 'INVALID_FILL', cls: 'final', text: 'Invalid order filling type' },
  10031: { name: 'CONNECTION', cls: 'ambiguous', text: 'No connection with the trade server' },
  10032: { name: 'ONLY_REAL', cls: 'final', text: 'Operation is allowed only for live accounts' },
  10033: { name: 'LIMIT_ORDERS', cls: 'final', text: 'The number of pending orders has reached the limit' },
  10034: { name: 'LIMIT_VOLUME', cls: 'final', text: 'The volume of orders and positions for the symbol has reached the limit' },
  10035: { name: 'INVALID_ORDER', cls: 'final', text: 'Incorrect or prohibited order type' },
  10036: { name: 'POSITION_CLOSED', cls: 'final', text: 'Position with the specified POSITION_IDENTIFIER has already been closed' },
  10038: { name: 'INVALID_CLOSE_VOLUME', cls: 'final', text: 'A close volume exceeds the current position volume' },
  10039: { name: 'CLOSE_ORDER_EXIST', cls: 'final', text: 'A close order already exists for a specified position' },
  10040: { name: 'LIMIT_POSITIONS', cls: 'final', text: 'The number of open positions has reached the limit' },
  10041: { name: 'REJECT_CANCEL', cls: 'final', text: 'The pending order activation request is rejected, the order is canceled' },
  10042: { name: 'LONG_ONLY', cls: 'final', text: 'Only long positions are allowed' },
  10043: { name: 'SHORT_ONLY', cls: 'final', text: 'Only short positions are allowed' },
  10044: { name: 'CLOSE_ONLY', cls: 'final', text: 'Only position closing is allowed' },
  10045: { name: 'FIFO_CLOSE', cls: 'final', text: 'Position closing is allowed only by FIFO rule' },
  10046: { name: 'HEDGE_PROHIBITED', cls: 'final', text: 'Opposite positions on a single symbol are disabled' },
};

/** Named constants for the codes the host and the simulator use. */
export const RC = {
  REQUOTE: 10004,
  REJECT: 10006,
  PLACED: 10008,
  DONE: 10009,
  DONE_PARTIAL: 10010,
  ERROR: 10011,
  TIMEOUT: 10012,
  INVALID: 10013,
  INVALID_VOLUME: 10014,
  INVALID_PRICE: 10015,
  INVALID_STOPS: 10016,
  TRADE_DISABLED: 10017,
  MARKET_CLOSED: 10018,
  NO_MONEY: 10019,
  PRICE_OFF: 10021,
  INVALID_EXPIRATION: 10022,
  NO_CHANGES: 10025,
  CLIENT_DISABLES_AT: 10027,
  FROZEN: 10029,
  INVALID_FILL: 10030,
  CONNECTION: 10031,
  INVALID_ORDER: 10035,
  POSITION_CLOSED: 10036,
  INVALID_CLOSE_VOLUME: 10038,
  LONG_ONLY: 10042,
  SHORT_ONLY: 10043,
  CLOSE_ONLY: 10044,
  HEDGE_PROHIBITED: 10046,
} as const;

/**
 * Unknown codes are 'ambiguous': the host must reconcile with the terminal before it retries,
 * never resend blindly (a lost result must not become a second order).
 */
export function retcodeClass(retcode: number): ResultClass {
  return RETCODES[retcode]?.cls ?? 'ambiguous';
}

export function retcodeText(retcode: number): string {
  const info = RETCODES[retcode];
  return info ? `${retcode} ${info.name}: ${info.text}` : `${retcode} (unknown retcode)`;
}
