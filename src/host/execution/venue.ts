/**
 * What the execution side needs of a terminal (the venue): a way to put an intent on the wire and to ask for the
 * terminal's state. The bridge's terminal link implements it; execution/ never reaches into the bridge server.
 */
import type { IntentBody, Msg } from '../../protocol/messages.js';

export interface VenuePort {
  /** the terminal's key, `login@server` */
  readonly key: string;
  /** a number that changes with every session (a result or snapshot from an older session is not this one's) */
  readonly epoch: number;
  readonly connected: boolean;
  /** The intent's frame to the terminal now (nothing recorded); false when there is no session. */
  send(intent: IntentBody): boolean;
  /** Hold outgoing frames until `uncork` (one socket write for a batch). */
  cork(): void;
  uncork(): void;
  /** The broker's server time (s) as last seen. */
  serverTime(): number;
  /** Account, positions, orders and deals from `dealsFrom` (server time, s); rejects after `timeoutMs`. */
  snapshot(dealsFrom: number, timeoutMs?: number): Promise<Msg<'SNAPSHOT'>>;
}
