/**
 * The simulated broker's open positions: by ticket (a SteadyMap: a backtest holds one position at a time, and a Map
 * got a new table at every close) and, in the same order, as a dense array (`list`). The broker's per-quote loops —
 * the SL/TP and stop-out checks, the floating profit — run over the array with an index: a loop over a Map's values
 * made an iterator object at every quote while a position was open (~8 MB a million-bar backtest in the stop-out
 * check alone).
 */
import { SteadyMap } from '../../engine/steady-map.js';
import type { PosState } from '../broker-types.js';

export class OpenPositions {
  private readonly byTicket = new SteadyMap<bigint, PosState>();
  /** The open positions in the order they opened (the Map's order): read only. */
  readonly list: PosState[] = [];

  get size(): number {
    return this.list.length;
  }

  get(ticket: bigint): PosState | undefined {
    return this.byTicket.get(ticket);
  }

  has(ticket: bigint): boolean {
    return this.byTicket.has(ticket);
  }

  /** Position `p` under its own ticket (a position already there with that ticket is replaced in its place). */
  set(ticket: bigint, p: PosState): this {
    const old = this.byTicket.get(ticket);
    this.byTicket.set(ticket, p);
    if (old === undefined) this.list.push(p);
    else this.list[this.list.indexOf(old)] = p;
    return this;
  }

  delete(ticket: bigint): boolean {
    const old = this.byTicket.get(ticket);
    if (old === undefined) return false;
    this.byTicket.delete(ticket);
    const L = this.list, i = L.indexOf(old);
    if (i === L.length - 1) L.pop();
    else L.splice(i, 1);
    return true;
  }

  /** The positions in order (a copy is not made: do not open or close positions while iterating). */
  values(): IterableIterator<PosState> {
    return this.list.values();
  }
}
