/**
 * The terminal's open positions by ticket as last reported — a deal names only its position, whose magic and volume
 * say whose it was and whether it is still open — and which positions each new list no longer has. The terminal sends
 * its whole list before every result (hundreds of positions at 1,000 strategies): one map is kept up to date instead
 * of a new one built per list.
 */
import type { Position } from '../../protocol/messages.js';

export class KnownPositions {
  private readonly byTicket = new Map<bigint, { p: Position; list: number }>();
  private lists = 0;
  private last: readonly Position[] = [];

  /** A new list: `gone` is called for each position of the last list not in this one, in the last list's order. */
  update(list: readonly Position[], gone: (ticket: bigint) => void): void {
    const n = ++this.lists;
    for (const p of list) {
      const e = this.byTicket.get(p.ticket);
      if (e) (e.p = p), (e.list = n);
      else this.byTicket.set(p.ticket, { p, list: n });
    }
    for (const p of this.last) {
      const e = this.byTicket.get(p.ticket);
      if (e && e.list !== n) {
        this.byTicket.delete(p.ticket);
        gone(p.ticket);
      }
    }
    this.last = list;
  }

  /** The position of `ticket` in the last list (its last entry there), if it has one. */
  get(ticket: bigint): Position | undefined {
    return this.byTicket.get(ticket)?.p;
  }

  get size(): number {
    return this.byTicket.size;
  }
}
