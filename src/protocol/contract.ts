/**
 * The parts of the bridge contract that are not message fields: how an intent id is carried in an order comment,
 * and which MetaTrader 5 period each protocol timeframe is. Generated into the EA's Protocol.mqh
 * (tools/compile-mql/protocol-gen.ts) and imported by the host, the simulator and the mql-test-harness.
 */
import { isIntentId, type Timeframe } from './messages.js';

/** Prefix of the order comment that carries the intent id (reconciliation finds intents by it). */
export const INTENT_COMMENT_PREFIX = 'ix:';

/** The order comment of an intent: the prefix and the id (an id of ≤ 24 characters keeps it under MT5's 31). */
export function intentComment(intentId: string): string {
  return INTENT_COMMENT_PREFIX + intentId;
}

/**
 * The intent id an order, deal or position comment carries, or undefined when it carries none (the trader's own
 * trade, or a comment the broker rewrote) or one that is not a valid intent id.
 */
export function parseIntentComment(comment: string): string | undefined {
  if (!comment.startsWith(INTENT_COMMENT_PREFIX)) return undefined;
  const id = comment.slice(INTENT_COMMENT_PREFIX.length);
  return isIntentId(id) ? id : undefined;
}

/** MQL5 ENUM_TIMEFRAMES value of each protocol timeframe (the constant is named PERIOD_<timeframe> in MQL5). */
export const TIMEFRAME_PERIOD: Readonly<Record<Timeframe, number>> = {
  M1: 1, M5: 5, M15: 15, M30: 30, H1: 16385, H4: 16388, D1: 16408, W1: 32769, MN1: 49153,
};
