/**
 * EMERGENCY_STOP: stop every strategy, close every position and delete pending orders (CLOSE_ALL) — on the
 * terminal and on the paper account —, lock trading for the lock period, record it, and tell the platform (the
 * manager's 'kill' event). It acts first (the strategies stop deciding, CLOSE_ALL leaves) and writes after.
 */
import type { KillSwitchEvent } from '../../engine/safety.js';
import type { IntentBody, IntentResult } from '../../protocol/messages.js';
import type { TradingContext } from './context.js';

export async function emergencyStop(m: TradingContext, persistCoreNow: () => Promise<void>, reason: string, lockSec?: number): Promise<{ event: KillSwitchEvent; result: IntentResult | Error | undefined }> {
  const at = m.now();
  const k = m.core.emergencyStop(m.serverNow(), reason, lockSec);
  const event: KillSwitchEvent = { reason, at, lockedUntil: m.toUnix(k.lockedUntil), actions: ['stop_all_strategies', 'close_all_positions_and_delete_orders', 'notify_platform'] };
  m.log.warn({ reason, lockedUntil: event.lockedUntil }, 'KILL SWITCH: stopping every strategy, closing everything');
  // act first: the strategies stop deciding and CLOSE_ALL leaves; the records and the state are written after
  for (const r of m.strategies.values()) if (r.record.status !== 'stopped') r.runner = undefined;
  const t = m.terminal(), paper = m.paperAccount();
  let sent: Promise<IntentResult> | undefined;
  if (t) sent = t.sendIntent({ ...k.send.intent, intentId: `kill-${at.toString(36)}` } as IntentBody);
  // paper trading: the paper strategies' positions close too
  if (paper?.connected) paper.sendIntent({ ...k.send.intent, intentId: `kill-paper-${at.toString(36)}` } as IntentBody).catch((e: Error) => m.log.error({ err: e.message }, 'paper account: CLOSE_ALL failed'));
  const failures: string[] = [];
  for (const r of m.strategies.values()) {
    if (r.record.status === 'stopped') continue;
    r.record = { ...r.record, status: 'stopped', updatedAt: m.now() };
    try {
      await m.store.putStrategy(r.record);
    } catch (e) {
      failures.push(`strategy ${r.record.id}: ${(e as Error).message}`);
    }
  }
  m.changed();
  try {
    m.store.audit(at, 'kill switch', { reason, lockedUntil: event.lockedUntil });
    m.store.setSafety({ lockedUntil: event.lockedUntil, reason });
    await persistCoreNow();
    await m.store.write();
  } catch (e) {
    failures.push(`state: ${(e as Error).message}`);
  }
  if (failures.length) m.log.error({ failures }, 'the emergency stop acted, but recording it failed');
  let result: IntentResult | Error | undefined;
  if (sent) {
    try {
      result = await sent;
    } catch (e) {
      result = e as Error;
    }
  }
  m.emit('kill', event);
  return { event, result };
}
