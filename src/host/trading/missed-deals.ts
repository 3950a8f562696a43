/**
 * Deals made while the host was away — an SL or TP hit, a stop-out, a close by hand, a deposit — reach the trading
 * core at the next connection, so a strategy's own daily-loss limit and auto-pause rules count them: the terminal's
 * deal history from where the core last knew it (less an hour), each deal counted once by its ticket (the core keeps
 * the tickets it counted, live or from the history, and up to when it knows them: core state `deals`). A deal of a
 * strategy restored but not prepared yet (its magic not in the core) is held until it is.
 *
 * Only the current broker day's deals count: a strategy's day result starts over at midnight server time, and a
 * deal of an earlier day fed now would restart its day in the past. The account's own limits need none of this:
 * they follow the balance and equity the terminal reports.
 */
import { brokerDay } from '../../engine/safety.js';
import { DEAL_ENTRY } from '../../protocol/mt5.js';
import type { Msg } from '../../protocol/messages.js';
import { strategyMagic } from '../../engine/runner.js';
import type { Terminal } from '../bridge/server.js';
import type { TradingContext } from './context.js';

/** What the core needs of a deal, live (TRADE_TX) or from the history (SNAPSHOT). */
export interface DealFacts {
  ticket: bigint;
  type: number;
  entry: number;
  positionId: bigint;
  volume: number;
  profit: number;
  swap: number;
  commission: number;
  /** server time, s */
  time: number;
}

/** The snapshot's deals of its broker day, oldest first, with their position's magic and whether they left it open. */
export function missedDeals(snap: Msg<'SNAPSHOT'>): { deal: DealFacts; magic: number; stillOpen: boolean }[] {
  const today = brokerDay(snap.account.serverTime);
  const deals = [...snap.deals].sort((a, b) => a.timeMsc - b.timeMsc || (a.ticket < b.ticket ? -1 : 1));
  const open = new Set(snap.positions.map((p) => p.identifier));
  // a position's magic from its opening deal (a close by hand carries magic 0), else from the open position
  const magicOf = new Map<bigint, number>();
  for (const p of snap.positions) magicOf.set(p.identifier, p.magic);
  for (const d of deals) if (d.entry === DEAL_ENTRY.IN && d.magic) magicOf.set(d.positionId, d.magic);
  const last = new Map<bigint, bigint>();
  for (const d of deals) last.set(d.positionId, d.ticket);
  const out: { deal: DealFacts; magic: number; stillOpen: boolean }[] = [];
  for (const d of deals) {
    if (brokerDay(d.time) !== today) continue;
    out.push({
      deal: { ticket: d.ticket, type: d.type, entry: d.entry, positionId: d.positionId, volume: d.volume, profit: d.profit, swap: d.swap, commission: d.commission, time: d.time },
      magic: d.magic || (magicOf.get(d.positionId) ?? 0),
      stillOpen: open.has(d.positionId) || last.get(d.positionId) !== d.ticket,
    });
  }
  return out;
}

type Missed = ReturnType<typeof missedDeals>[number];

/** The catch-up at each connection of the live terminal. */
export class MissedDeals {
  /** Connected and caught up: the live deals are all the deals (the core's `dealsRead` may move with the clock). */
  live = false;
  /** Missed deals of strategies not prepared yet: counted once they are. */
  private held: Missed[] = [];

  constructor(
    private readonly ctx: TradingContext,
    /** count one deal (once per ticket); true if counted */
    private readonly count: (t: Terminal, d: DealFacts, magic: number, stillOpen: boolean) => boolean,
    private readonly persist: () => void,
  ) {}

  disconnected(): void {
    this.live = false;
  }

  async connected(t: Terminal): Promise<void> {
    this.live = false;
    const from = this.ctx.core.dealsKnownTo;
    if (from === 0) {
      // never read (a first start, or a state from before deals were counted): from now on
      this.live = true;
      return;
    }
    let snap: Msg<'SNAPSHOT'>;
    try {
      snap = await t.snapshot(Math.max(0, from - 3600));
    } catch (e) {
      this.ctx.log.warn({ err: (e as Error).message }, 'the deals made while the host was away could not be read: asked again at the next connection');
      return;
    }
    if (!t.connected) return;
    const n = this.feed(t, missedDeals(snap));
    this.ctx.core.dealsRead(snap.account.serverTime);
    this.live = true;
    if (n) this.ctx.log.warn({ count: n, from: from - 3600 }, 'deals made while the host was away are counted by the risk gate');
    this.persist();
  }

  /** A strategy was prepared (its magic is in the core now): the deals held for it are counted. */
  strategyReady(): void {
    const t = this.ctx.terminal();
    if (!t || !this.held.length) return;
    const held = this.held;
    this.held = [];
    const n = this.feed(t, held);
    if (n) this.ctx.log.warn({ count: n }, 'deals made while the host was away are counted by the risk gate (their strategy is prepared now)');
  }

  private feed(t: Terminal, list: Missed[]): number {
    let n = 0;
    for (const m of list) {
      if (!this.ctx.core.knowsMagic(m.magic) && this.ours(m.magic)) this.held.push(m);
      else if (this.count(t, m.deal, m.magic, m.stillOpen)) n++;
    }
    return n;
  }

  /** A strategy of this host (not stopped) has this magic. */
  private ours(magic: number): boolean {
    for (const r of this.ctx.strategies.values()) if (r.record.status !== 'stopped' && strategyMagic(r.strategy) === magic) return true;
    return false;
  }
}
