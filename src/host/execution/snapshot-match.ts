/** Finding an intent in a terminal snapshot by the intent id its order comment carries. */
import { intentComment } from '../../protocol/contract.js';
import type { IntentResult, Msg } from '../../protocol/messages.js';

/** What of intent `intentId` the terminal shows (its deal, else its pending order, else its position), if anything. */
export function findIntent(snap: Msg<'SNAPSHOT'>, intentId: string): Partial<IntentResult> | undefined {
  const tag = intentComment(intentId);
  const deal = snap.deals.find((d) => d.comment === tag);
  if (deal) return { order: deal.order, deal: deal.ticket, position: deal.positionId, volume: deal.volume, price: deal.price };
  const order = snap.orders.find((o) => o.comment === tag);
  if (order) return { order: order.ticket, volume: order.volume, price: order.priceOpen };
  const pos = snap.positions.find((p) => p.comment === tag);
  if (pos) return { position: pos.ticket, volume: pos.volume, price: pos.priceOpen };
  return undefined;
}
