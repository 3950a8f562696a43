/**
 * What an order command (OPEN/CLOSE/MODIFY_POSITION, CLOSE_ALL) waits for, or is refused for, before its intent is
 * sent (docs/platform.md): one a previous run of the host left unfinished and never sent is refused once stale (the
 * trader may have acted since); the platform's order, or one being finished, waits a while for a terminal when
 * none is connected — typically just after a host restart, before the EA is back.
 */
import type { Logger } from '../logger.js';
import type { Store } from '../state/store.js';
import { ManagerError } from '../trading/context.js';
import type { StrategyManager } from '../trading/manager.js';

/** An order a previous run left unsent is not sent after this long (CommandProcessorOptions.staleAfterMs). */
export const STALE_AFTER_MS = 120_000;
/** How long an order waits for a terminal (CommandProcessorOptions.terminalWaitMs). */
export const TERMINAL_WAIT_MS = 30_000;

/** The host stops while an order waits for a terminal: the command stays `executing`, for the next run to finish. */
export class HostStopping extends Error {}

export interface OrderWaitContext {
  mgr: StrategyManager;
  store: Store;
  log: Logger;
  now: () => Date;
  terminalWaitMs?: number | undefined;
  staleAfterMs?: number | undefined;
}

/**
 * Throws ManagerError STATE for a stale unsent order, HostStopping when the host stops during the wait; returns when
 * the order may go on (a terminal connected, or the wait ran out: the send then fails NO_TERMINAL, nothing sent).
 */
export async function beforeOrder(c: OrderWaitContext, commandId: string, intentId: string, from: { platform: boolean; leftAt: number | undefined }): Promise<void> {
  const now = c.now().getTime();
  const staleMs = c.staleAfterMs ?? STALE_AFTER_MS;
  // one in the ledger is the reconciliation's to settle: it may have executed
  if (from.leftAt !== undefined && !c.store.intent(intentId) && now - from.leftAt > staleMs) {
    throw new ManagerError('STATE', `not executed: the host stopped before this order was sent, ${Math.round((now - from.leftAt) / 1000)} s ago (more than ${staleMs / 1000} s); send it again if it is still wanted`);
  }
  // a person at the local API is answered at once
  if ((from.platform || from.leftAt !== undefined) && !c.mgr.attachedTerminal()?.connected) {
    const wait = c.terminalWaitMs ?? TERMINAL_WAIT_MS;
    c.log.info({ commandId, waitMs: wait }, 'no terminal is connected: the order waits for one');
    if ((await c.mgr.untilConnected(wait)) === 'stopping') throw new HostStopping();
  }
}
