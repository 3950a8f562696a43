/**
 * The paper account's nightly swap as its journal keeps it (account.ts). A `rollover` line records what each open
 * position was charged (`swap`: ticket and minor units), and a replay adds the same amounts: a later change of the
 * broker's swap rule (src/sim/broker/money.ts) leaves the nights already charged as they were charged. A line
 * without `swap` was written before the lines recorded it: it replays by the rule before commit 7cb12a0, which wrote
 * nearly all such lines — every night charged, the ends of a Saturday and a Sunday too. Known gap: the code from 7cb12a0
 * to this change (Monday 7 Dec 2026 only) charged nothing for a Saturday's or a Sunday's end, and its lines carry no
 * mark: a host of that code restarted that Monday after a weekend down wrote such lines, and they replay charging
 * those two nights.
 *
 * The server day the account has reached is the newest day its lines know (a rollover's day, a snapshot's day, the
 * time of every quote written, the seed's time): a restart before the first midnight of a run still knows it, and
 * charges every night since.
 */
import { SYMBOL_SWAP_MODE } from '../../protocol/mt5.js';
import { nightSwapMinor } from '../../sim/broker/money.js';
import type { SimBroker } from '../../sim/broker.js';
import type { JournalLine } from './journal.js';

const DAY_MS = 86_400_000;

/** What a night charged: [position ticket, swap in the account's minor units], only positions charged something. */
export type NightCharges = [bigint, number][];

/**
 * The night's swap at the end of server day `weekday` (0 Sunday … 6 Saturday) by the broker's rule, and what it
 * charged each position; `err`: the broker stopped part way (a currency no known symbol converts) — what it had
 * charged by then is in `swap`, so a replay charges the same.
 */
export function chargeNight(broker: SimBroker, weekday: number): { swap: NightCharges; err?: Error } {
  const before = new Map<bigint, number>();
  for (const p of broker.positions.values()) before.set(p.ticket, p.swapMinor);
  let err: Error | undefined;
  try {
    broker.rollover(weekday);
  } catch (e) {
    err = e as Error;
  }
  const swap: NightCharges = [];
  for (const p of broker.positions.values()) {
    const minor = p.swapMinor - (before.get(p.ticket) ?? 0);
    if (minor !== 0) swap.push([p.ticket, minor]);
  }
  return err ? { swap, err } : { swap };
}

/** A `rollover` line replayed: the amounts it records, or (a line without them) the rule of the code that wrote it. Throws as that code did. */
export function replayNight(broker: SimBroker, line: Extract<JournalLine, { k: 'rollover' }>): void {
  if (line.swap) {
    for (const [ticket, minor] of line.swap) {
      const p = broker.positions.get(ticket);
      if (p) p.swapMinor += minor;
    }
    return;
  }
  // the broker's rule before 7cb12a0: every night charged, in points (there were no other modes then), by the broker's
  // own arithmetic (money.ts nightSwapMinor)
  for (const p of broker.positions.values()) {
    const s = broker.specOf(p.symbol)!;
    p.swapMinor += nightSwapMinor(broker, { ...s, swapMode: SYMBOL_SWAP_MODE.POINTS }, p, line.weekday === s.swapRollover3Days ? 3 : 1);
  }
}

/** The newest server day (days since 1970, server time) the lines know; -1 when none says. */
export function newestDay(lines: readonly JournalLine[]): number {
  let day = -1;
  const at = (ms: number) => {
    if (ms > 0) day = Math.max(day, Math.floor(ms / DAY_MS));
  };
  for (const l of lines) {
    if (l.k === 'seed') at(l.at * 1000);
    else if (l.k === 'rollover') day = Math.max(day, l.day);
    else if (l.k === 'snapshot') {
      day = Math.max(day, l.day);
      for (const q of l.broker.quotes) at(q[3]);
    } else if (l.k === 'quote' || l.k === 'intent') for (const q of l.quotes) at(q[3]);
  }
  return day;
}
