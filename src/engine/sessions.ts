/** Symbol trade sessions (SymbolSpec.sessions: [weekday 0=Sunday, from minute, to minute) in server time). */

/** Is a symbol's trade session open at a server time (s)? No sessions listed means always open. */
export function sessionOpenAt(sessions: readonly (readonly [number, number, number])[], serverSec: number): boolean {
  if (!sessions.length) return true;
  // server time is stored as if it were UTC. The weekday as Date computes it (WeekDay(t) = (Day(t) + 4) mod 7 of
  // the time clipped to whole ms; 1970-01-01 was a Thursday) without building a Date: the broker asks on every order.
  const ms = Math.trunc(serverSec * 1000);
  if (!(Math.abs(ms) <= 8.64e15)) return false; // outside Date's range (an Invalid Date has no weekday)
  const day = (((Math.floor(ms / 86_400_000) + 4) % 7) + 7) % 7;
  const minute = Math.floor((((serverSec % 86400) + 86400) % 86400) / 60);
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i]!;
    if (s[0] === day && minute >= s[1] && minute < s[2]) return true;
  }
  return false;
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
