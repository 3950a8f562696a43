/**
 * The simulated broker's open positions, in the order they opened, as a dense array (`list`), found by ticket. The
 * broker's per-quote loops — the SL/TP and stop-out checks, the floating profit — run over the array with an index:
 * a loop over a Map's values made an iterator object at every quote while a position was open (~8 MB a million-bar
 * backtest in the stop-out check alone). A ticket is looked up in the array while few positions are open (a backtest
 * holds one at a time, and a Map's set and delete for each cost more than the scan) and through a Map, kept from the
 * moment more than `SCAN_MAX` are open, beyond.
 */
import type { PosState } from '../broker-types.js';

/** Open positions up to which a ticket is found by scanning the list. */
const SCAN_MAX = 8;

export class OpenPositions {
  /** By ticket, once more than SCAN_MAX positions were open at a time (then kept, in step with the list). */
  private byTicket: Map<bigint, PosState> | undefined;
  /** The open positions in the order they opened: read only. */
  readonly list: PosState[] = [];

  get size(): number {
    return this.list.length;
  }

  /** The index of the position with this ticket in `list`, or -1. */
  private indexOf(ticket: bigint): number {
    const L = this.list;
    if (this.byTicket) {
      const p = this.byTicket.get(ticket);
      return p === undefined ? -1 : L.indexOf(p);
    }
    for (let i = 0; i < L.length; i++) if (L[i]!.ticket === ticket) return i;
    return -1;
  }

  get(ticket: bigint): PosState | undefined {
    if (this.byTicket) return this.byTicket.get(ticket);
    const L = this.list;
    for (let i = 0; i < L.length; i++) if (L[i]!.ticket === ticket) return L[i];
    return undefined;
  }

  has(ticket: bigint): boolean {
    return this.get(ticket) !== undefined;
  }

  /** Position `p`, whose ticket is `ticket` (one already there with that ticket is replaced in its place). */
  set(ticket: bigint, p: PosState): this {
    if (p.ticket !== ticket) throw new Error(`open positions: position ${p.ticket} set under ticket ${ticket}`);
    const i = this.indexOf(ticket);
    if (i >= 0) this.list[i] = p;
    else this.list.push(p);
    if (this.byTicket) this.byTicket.set(ticket, p);
    else if (this.list.length > SCAN_MAX) this.byTicket = new Map(this.list.map((q) => [q.ticket, q]));
    return this;
  }

  delete(ticket: bigint): boolean {
    const i = this.indexOf(ticket);
    if (i < 0) return false;
    const L = this.list;
    if (i === L.length - 1) L.pop();
    else L.splice(i, 1);
    this.byTicket?.delete(ticket);
    return true;
  }

  /** The positions in order (do not open or close positions while iterating). */
  values(): IterableIterator<PosState> {
    return this.list.values();
  }
}
