/** Symbol trade sessions (SymbolSpec.sessions: [weekday 0=Sunday, from minute, to minute) in server time). */

/** Is a symbol's trade session open at a server time (s)? No sessions listed means always open. */
export function sessionOpenAt(sessions: readonly (readonly [number, number, number])[], serverSec: number): boolean {
  if (!sessions.length) return true;
  const day = new Date(serverSec * 1000).getUTCDay(); // server time is stored as if it were UTC
  const minute = Math.floor((((serverSec % 86400) + 86400) % 86400) / 60);
  return sessions.some(([d, from, to]) => d === day && minute >= from && minute < to);
}

/**
 * Margin an order needs, in account currency, when the symbol's currencies make it exact without other
 * quotes (forex with the account in the base or quote currency; CFDs margined in the account currency);
 * undefined otherwise — then the broker's own check (retcode 10019) is the margin check.
 */
export function marginEstimate(
  spec: { calcMode: number; contractSize: number; currencyBase: string; currencyProfit: string; currencyMargin: string },
  account: { currency: string; leverage: number },
  volume: number,
  price: number,
): number | undefined {
  const lev = account.leverage;
  if (spec.calcMode === 0) {
    const base = (volume * spec.contractSize) / lev; // in the margin (base) currency
    if (spec.currencyMargin === account.currency) return base;
    if (spec.currencyProfit === account.currency && spec.currencyMargin === spec.currencyBase) return base * price;
    return undefined;
  }
  if (spec.currencyMargin !== account.currency) return undefined;
  if (spec.calcMode === 4) return (volume * spec.contractSize * price) / lev;
  if (spec.calcMode === 5) return volume * spec.contractSize;
  return volume * spec.contractSize * price;
}
