/**
 * After a (re)connection: intents without a result are looked for in the terminal's state and settled from it, or
 * sent again (resync); then intents the terminal shows but the ledger does not know are adopted (adoptOrphans).
 * Takes the router (ledger, log, venue); a `current()` check says whether the session it started on is still up.
 */
import { INTENT_COMMENT_PREFIX, parseIntentComment } from '../../protocol/contract.js';
import { MsgType, type IntentBody, type IntentResult, type Msg } from '../../protocol/messages.js';
import { RC } from '../../protocol/retcodes.js';
import type { LedgerEntry } from '../state/ledger.js';
import { reconciled, type IntentRouter } from './router.js';
import { findIntent } from './snapshot-match.js';

export interface Orphans {
  /** intent ids found on the terminal without a ledger entry, now recorded as settled */
  adopted: string[];
  /** positions and orders without an intent id: the trader's own */
  foreign: number;
}

/**
 * Settle the terminal's open intents (those already written to the ledger) after a connection, then adopt orphans.
 * `onResync` is called when there were open intents; returns the orphans, or undefined when the session ended
 * before the orphan check (or its snapshot failed).
 */
export async function reconcileAfterConnect(router: IntentRouter, current: () => boolean, onResync?: () => void): Promise<Orphans | undefined> {
  // before anything new is sent on this session; entries still being written are sent by their writer
  const open = router.ledger.open(router.key).filter((e) => e.state !== 'recording');
  if (open.length > 0) {
    onResync?.();
    await resync(router, open, current);
  }
  return current() ? adoptOrphans(router, current) : undefined;
}

/** Settle intents that have no result: find them in the terminal's state by comment, else send them again. */
export async function resync(router: IntentRouter, open: LedgerEntry[], current: () => boolean): Promise<void> {
  const { venue, log } = router;
  const unsent = open.filter((e) => e.state === 'pending');
  const uncertain = open.filter((e) => e.state !== 'pending');
  let snap: Msg<'SNAPSHOT'> | undefined;
  if (uncertain.length > 0) {
    const from = Math.min(...uncertain.map((e) => e.createdAt)) - 3600;
    try {
      snap = await venue.snapshot(Math.max(0, from));
    } catch (e) {
      log.error({ terminal: router.key, err: (e as Error).message }, 'resync snapshot failed; open intents stay unsettled');
      return;
    }
  }
  if (!current()) return;
  for (const e of uncertain) {
    const found = snap && findIntent(snap, e.intentId);
    if (found) router.settle(reconciled(e.intentId, found), 'reconcile');
    else if (e.result?.class === 'ambiguous') {
      // the broker answered ambiguously and nothing of it exists: it did not execute (waiters and the core told)
      router.notExecuted(e);
    } else router.transmit(e);
  }
  for (const e of unsent) router.transmit(e);
}

/**
 * At every connection: positions, pending orders and recent deals whose comment carries an intent id the ledger does
 * not know (a state restored from an older backup, a ledger from another machine) are recorded as settled, so that
 * id can never execute again; the rest without an intent id are the trader's own and left alone. Both are logged.
 */
export async function adoptOrphans(router: IntentRouter, current: () => boolean): Promise<Orphans | undefined> {
  const { venue, ledger, log, key } = router;
  let snap: Msg<'SNAPSHOT'>;
  try {
    snap = await venue.snapshot(Math.max(0, venue.serverTime() - 7 * 86400));
  } catch (e) {
    log.warn({ terminal: key, err: (e as Error).message }, 'orphan check: no snapshot');
    return undefined;
  }
  if (!current()) return undefined;
  const adopted: string[] = [];
  let foreign = 0;
  /** false when the comment carries no intent id at all */
  const adopt = (comment: string, intent: IntentBody, found: Partial<IntentResult>): boolean => {
    if (!comment.startsWith(INTENT_COMMENT_PREFIX)) return false;
    const intentId = parseIntentComment(comment);
    if (intentId === undefined || ledger.get(intentId) || adopted.includes(intentId)) return true;
    const result: IntentResult = { type: MsgType.INTENT_RESULT, seq: 0, re: 0, intentId, retcode: RC.DONE, class: 'done', duplicate: true, comment: 'adopted from terminal state', ...found };
    const w = ledger.add({ intentId, terminal: key, intent: { ...intent, intentId } as IntentBody, state: 'settled', createdAt: venue.serverTime(), attempts: 0, result, settledBy: 'reconcile', adopted: true });
    if (w) w.catch((e: Error) => log.error({ terminal: key, intentId, err: e.message }, 'ledger write failed for an adopted intent'));
    adopted.push(intentId);
    return true;
  };
  for (const d of snap.deals) {
    if (d.entry !== 0 || (d.type !== 0 && d.type !== 1)) continue;
    adopt(d.comment, { type: 'OPEN', intentId: '', magic: d.magic, symbol: d.symbol, side: d.type, volume: d.volume, sl: 0, tp: 0, deviation: 0 }, { order: d.order, deal: d.ticket, position: d.positionId, volume: d.volume, price: d.price });
  }
  for (const p of snap.positions) {
    if (!adopt(p.comment, { type: 'OPEN', intentId: '', magic: p.magic, symbol: p.symbol, side: p.type, volume: p.volume, sl: p.sl, tp: p.tp, deviation: 0 }, { position: p.ticket, volume: p.volume, price: p.priceOpen })) foreign++;
  }
  for (const o of snap.orders) {
    if (!adopt(o.comment, { type: 'PLACE_PENDING', intentId: '', magic: o.magic, symbol: o.symbol, orderType: o.type, volume: o.volume, price: o.priceOpen, stopLimit: o.stopLimit, sl: o.sl, tp: o.tp, expiration: o.expiration }, { order: o.ticket, volume: o.volume, price: o.priceOpen })) foreign++;
  }
  if (adopted.length) log.warn({ terminal: key, adopted }, `adopted ${adopted.length} intent(s) found on the terminal but not in the ledger: recorded as settled, never executed again`);
  if (foreign) log.info({ terminal: key, count: foreign }, "positions/orders without an intent id: the trader's own, left alone");
  return { adopted, foreign };
}
