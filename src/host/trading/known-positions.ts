/**
 * The terminal's open positions as last reported — a deal names only its position, whose magic and volume say whose
 * it was and whether it is still open — and which positions each new list no longer has. The terminal sends its
 * whole list before every result (hundreds of positions at 1,000 strategies), in its own order, which a new position
 * joins at the end and a closed one leaves: a new list is walked beside the last one, ticket against ticket, and only
 * the positions out of step are looked for (no map of bigint tickets updated for every position of every list).
 */
import type { Position } from '../../protocol/messages.js';

/** Out-of-step positions of the last list looked for in the new one by a scan each; more, through a set. */
const SCAN_AT_MOST = 8;

export class KnownPositions {
  private last: readonly Position[] = [];

  /** A new list: `gone` is called once for each ticket of the last list not in this one, in the last list's order. */
  update(list: readonly Position[], gone: (ticket: bigint) => void): void {
    const last = this.last;
    this.last = list;
    const n = last.length, m = list.length;
    // in step while the tickets match; a position of the last list whose successor is the new list's next one was
    // left out (closed, or moved); a position of the new list that matches neither is new (or moved)
    let skipped: Position[] | undefined;
    let i = 0, j = 0;
    while (i < n && j < m) {
      const b = list[j]!.ticket;
      if (last[i]!.ticket === b) i++, j++;
      else if (i + 1 < n && last[i + 1]!.ticket === b) (skipped ??= []).push(last[i++]!);
      else j++;
    }
    while (i < n) (skipped ??= []).push(last[i++]!);
    if (!skipped) return;
    // a position left out is gone unless its ticket is anywhere in the new list (moved, or listed twice)
    if (skipped.length <= SCAN_AT_MOST) {
      const told: bigint[] = [];
      for (const p of skipped) {
        const t = p.ticket;
        if (told.includes(t) || has(list, t)) continue;
        told.push(t);
        gone(t);
      }
      return;
    }
    const now = new Set<bigint>();
    for (const p of list) now.add(p.ticket);
    for (const p of skipped) {
      if (now.has(p.ticket)) continue;
      now.add(p.ticket); // told once
      gone(p.ticket);
    }
  }

  /** The position of `ticket` in the last list (its last entry there), if it has one. */
  get(ticket: bigint): Position | undefined {
    const l = this.last;
    for (let k = l.length - 1; k >= 0; k--) if (l[k]!.ticket === ticket) return l[k];
    return undefined;
  }

  /** How many tickets the last list holds. */
  get size(): number {
    return new Set(this.last.map((p) => p.ticket)).size;
  }
}

function has(list: readonly Position[], ticket: bigint): boolean {
  for (let k = 0; k < list.length; k++) if (list[k]!.ticket === ticket) return true;
  return false;
}
