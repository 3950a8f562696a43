/**
 * The live venue as the risk gate reads it (engine/core VenueFacts): the terminal's last account and positions,
 * margin estimated from the symbol's spec, the symbol's trading hours, and the correlations of the
 * correlated-exposure limit.
 */
import type { VenueFacts } from '../../engine/core/trading-core.js';
import { marginEstimate, sessionOpenAt } from '../../engine/sessions.js';
import type { Position } from '../../protocol/messages.js';
import type { Terminal } from '../bridge/server.js';
import type { MarketFeed } from './market-feed.js';

const NO_POSITIONS: readonly Position[] = Object.freeze([]);

export function liveVenueFacts(terminal: () => Terminal | undefined, market: MarketFeed): VenueFacts {
  return {
    now: 0,
    account: () => {
      const a = terminal()?.account;
      return a ? { balance: a.balance, equity: a.equity, freeMargin: a.freeMargin } : { balance: 0, equity: 0, freeMargin: 0 };
    },
    positions: () => terminal()?.positions ?? NO_POSITIONS,
    marginFor: (symbol, volume, side) => {
      const spec = market.specs.get(symbol), a = terminal()?.account;
      const price = (side === 0 ? market.ask.get(symbol) : market.bid.get(symbol)) ?? 0;
      // estimated from the spec where the currencies make it exact; otherwise the broker's 10019 decides
      return spec && a ? (marginEstimate(spec, a, volume, price) ?? 0) : 0;
    },
    marketOpen: (symbol) => {
      const spec = market.specs.get(symbol);
      return spec ? sessionOpenAt(spec.sessions, terminal()?.serverTime ?? 0) : true;
    },
    // kept per symbol until the next bar or position list: a bar's entries ask once
    correlations: (symbol) => market.closes.correlationsWith(symbol, terminal()?.positions ?? NO_POSITIONS),
  };
}
