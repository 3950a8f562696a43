/**
 * Trade reports (seed 002, option B; docs/platform.md): every deal of a strategy's trade — a fill, an addition, a
 * partial close, a close, a reversal — and of a position a platform or local-API command opened, becomes a trade
 * report for the platform, once per deal (the deal ticket is the key):
 *  - a deal of a command's order (comment `ix:cmd-…`) is held a few seconds for that command's `executed` status,
 *    which carries it (`result.trades`: the CommandProcessor claims it); unclaimed, it goes as a trade record;
 *  - every other deal goes as a trade record at once (through the persisted outbox: `send`).
 * Facts come from the terminal's TRADE_TX (DEAL_ADD: profit, swap, commission, magic) as they happen, and — at
 * every connection of the terminal — from its deal history (SNAPSHOT from the last check, less an overlap), so the
 * deals of a time the host was down or the EA disconnected are reported too. The deals reported, the positions
 * being followed and the time checked up to are kept in their own file (written whole, atomically).
 *
 * Delivery is at least once: a deal is marked reported after its report is queued (the outbox is on disk), so a
 * crash between the two can queue it again after the restart — the platform keeps one record per `deal`.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DEAL_ENTRY, DEAL_TYPE, TRADE_TRANSACTION } from '../../protocol/mt5.js';
import type { Deal, Msg } from '../../protocol/messages.js';
import { strategyMagic } from '../../engine/runner.js';
import { INTENT_COMMENT_PREFIX } from '../../sim/ea-logic.js';
import type { Terminal } from '../bridge/server.js';
import type { Logger } from '../logger.js';
import type { StrategyManager } from '../trading/manager.js';
import type { TradeReport } from './contract.js';

/** The comment of an order a command sent (intent ids `cmd-…`, src/host/platform/commands.ts). */
const COMMAND_COMMENT = `${INTENT_COMMENT_PREFIX}cmd-`;
const EPS = 1e-9;

/** A position whose deals are reported: its owner, and its open volume as counted from its deals (when known). */
interface Followed {
  magic: number;
  strategyId: string | null;
  volume?: number;
}

interface ReporterState {
  version: 1;
  /** Broker server time (s) up to which the deal history was checked or deals were seen. 0: never. */
  checkedTo: number;
  /** Deal ticket → its server time (s): reported (queued, or carried by a command's status). */
  reported: Record<string, number>;
  /** Position id → what is known of it, while it is open. */
  positions: Record<string, Followed>;
}

/** A deal as both sources give it: a TRADE_TX (DEAL_ADD) or a deal of the terminal's history. */
type DealFacts = Pick<Deal, 'ticket' | 'order' | 'positionId' | 'symbol' | 'type' | 'entry' | 'volume' | 'price' | 'profit' | 'swap' | 'commission' | 'timeMsc' | 'magic' | 'comment'> & { reason?: number };

export interface TradeReporterOptions {
  /** The reporter's own state file (next to the host's state). */
  file: string;
  log: Logger;
  /** The strategy a magic number belongs to (stopped strategies included), if any. */
  strategyOf: (magic: number) => string | undefined;
  /** Queue a trade record for the platform (the persisted outbox). */
  send: (report: TradeReport) => void;
  /** How long a command's deal waits for the command's status to carry it (default 5 s). */
  holdMs?: number;
  /** At a connection, the history is read from the last check less this (default 1 h). */
  overlapSec?: number;
  /** With no earlier check (a first start), the history is read this far back (default 7 days). */
  firstLookBackSec?: number;
}

function emptyState(): ReporterState {
  return { version: 1, checkedTo: 0, reported: {}, positions: {} };
}

const ENTRY_NAME = { [DEAL_ENTRY.IN]: 'in', [DEAL_ENTRY.OUT]: 'out', [DEAL_ENTRY.INOUT]: 'inout', [DEAL_ENTRY.OUT_BY]: 'out_by' } as const;

/** Server time (ms since 1970, the broker's wall clock) as MT5 shows it: 'YYYY-MM-DD HH:MM:SS.mmm'. */
export function brokerTimeText(serverMs: number): string {
  return new Date(serverMs).toISOString().replace('T', ' ').replace('Z', '');
}

export class TradeReporter {
  private state: ReporterState;
  private terminal: Terminal | undefined;
  private readonly held = new Map<string, { report: TradeReport; timer: NodeJS.Timeout; serverSec: number }>();
  private readonly waiters = new Map<string, (r: TradeReport | undefined) => void>();
  private catching: Promise<void> | undefined;
  /** Deals found in the history (not seen as transactions) and reported, since this process started. */
  foundInHistory = 0;

  constructor(private readonly o: TradeReporterOptions) {
    this.state = this.load();
  }

  private load(): ReporterState {
    if (!existsSync(this.o.file)) return emptyState();
    const text = readFileSync(this.o.file, 'utf8');
    try {
      const s = JSON.parse(text) as ReporterState;
      if (s?.version !== 1 || typeof s.checkedTo !== 'number' || typeof s.reported !== 'object' || typeof s.positions !== 'object') throw new Error('not a trade-report state (version 1 with checkedTo, reported, positions)');
      return s;
    } catch (e) {
      // never silently: moved aside, named; the history of the last 7 days is read again (the platform keeps one
      // record per deal, so a deal reported before is not doubled there)
      const aside = `${this.o.file}.corrupt-${Date.now()}`;
      renameSync(this.o.file, aside);
      this.o.log.error({ file: this.o.file, movedTo: aside, err: (e as Error).message }, 'the trade-report state was unreadable: moved aside; the deal history of the last 7 days is checked again');
      return emptyState();
    }
  }

  private save(): void {
    const s = this.state;
    // what no later history check reaches is forgotten (the check starts at checkedTo less the overlap)
    const keepFrom = s.checkedTo - this.overlap - 86_400;
    for (const [k, at] of Object.entries(s.reported)) if (at < keepFrom) delete s.reported[k];
    const tmp = `${this.o.file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
      renameSync(tmp, this.o.file);
    } catch (e) {
      // the reports themselves are queued; what is lost is the memory of them: a restart may queue them again
      this.o.log.error({ file: this.o.file, err: (e as Error).message }, 'the trade-report state could not be written');
    }
  }

  private get overlap(): number {
    return this.o.overlapSec ?? 3600;
  }

  /** Report the deals of this terminal (call once; the Terminal object outlives reconnections). */
  attach(t: Terminal): void {
    this.terminal = t;
    t.on('tx', (tx: Msg<'TRADE_TX'>) => {
      if (tx.txType !== TRADE_TRANSACTION.DEAL_ADD) return;
      this.onDeal(
        {
          ticket: tx.deal, order: tx.order, positionId: tx.position, symbol: tx.symbol, type: tx.dealType, entry: tx.dealEntry ?? DEAL_ENTRY.IN,
          volume: tx.volume, price: tx.price, profit: tx.profit ?? 0, swap: tx.swap ?? 0, commission: tx.commission ?? 0, timeMsc: tx.timeMsc,
          magic: tx.magic ?? 0, comment: tx.comment ?? '',
        },
        'transaction',
      );
    });
    t.on('connected', () => void this.catchUp());
    if (t.connected) void this.catchUp();
  }

  /**
   * The report of `deal` for a command's status: at once if its transaction came, else when it comes within
   * `waitMs`; undefined if it did not come in time or was reported already (then it goes or went as a record).
   * A report returned here is the command's to deliver: it is not sent again as a record.
   */
  claim(deal: bigint, waitMs = 3000): Promise<TradeReport | undefined> {
    const key = deal.toString();
    const h = this.held.get(key);
    if (h) {
      clearTimeout(h.timer);
      this.held.delete(key);
      this.mark(key, h.serverSec, h.report);
      return Promise.resolve(h.report);
    }
    if (this.state.reported[key] !== undefined || waitMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        resolve(undefined);
      }, waitMs);
      this.waiters.set(key, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  /** Whether a deal was reported (queued or carried by a command's status). */
  reported(deal: bigint): boolean {
    return this.state.reported[deal.toString()] !== undefined;
  }

  /** Read the terminal's deal history from the last check and report what was not (one check at a time). */
  catchUp(): Promise<void> {
    this.catching ??= this.readHistory().finally(() => (this.catching = undefined));
    return this.catching;
  }

  private async readHistory(): Promise<void> {
    const t = this.terminal;
    if (!t?.connected) return;
    const from = this.state.checkedTo > 0 ? this.state.checkedTo - this.overlap : t.serverTime - (this.o.firstLookBackSec ?? 7 * 86_400);
    const followedBefore = Object.keys(this.state.positions); // (a position opened while the snapshot comes is not in it)
    let snap: Msg<'SNAPSHOT'>;
    try {
      snap = await t.snapshot(Math.max(0, from));
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'trade reports: the deal history could not be read; checked again at the next connection');
      return;
    }
    const deals = snap.deals.filter((d) => d.type === DEAL_TYPE.BUY || d.type === DEAL_TYPE.SELL).sort((a, b) => a.timeMsc - b.timeMsc || (a.ticket < b.ticket ? -1 : 1));
    const open = new Set(snap.positions.map((p) => p.identifier.toString()));
    const lastOf = new Map<string, bigint>();
    for (const d of deals) lastOf.set(d.positionId.toString(), d.ticket);
    let found = 0;
    for (const d of deals) {
      const pos = d.positionId.toString();
      // a deal left its position open if a later deal of it followed, or the position is still open
      if (this.onDeal(d, 'history', lastOf.get(pos) !== d.ticket || open.has(pos))) found++;
    }
    for (const pos of followedBefore) if (!open.has(pos)) delete this.state.positions[pos]; // closed before the history's window
    this.state.checkedTo = Math.max(this.state.checkedTo, snap.account.serverTime);
    this.save();
    this.foundInHistory += found;
    if (found) this.o.log.warn({ count: found, from: Math.max(0, from) }, 'trade reports: deals found in the terminal\'s history (made while the host was away) are reported');
  }

  /** Report one deal if it is ours and new. True when a report was made. */
  private onDeal(d: DealFacts, source: TradeReport['source'], stillOpenInHistory?: boolean): boolean {
    const key = d.ticket.toString();
    if (this.state.reported[key] !== undefined || this.held.has(key)) return false;
    if (d.type !== DEAL_TYPE.BUY && d.type !== DEAL_TYPE.SELL) return false;
    const posKey = d.positionId.toString();
    const t = this.terminal;
    // the terminal's position as it was before this transaction (its POSITIONS update comes after it)
    const live = t?.positions.find((p) => p.identifier === d.positionId);
    let followed = this.state.positions[posKey];
    if (!followed) {
      // a close by hand carries magic 0: the position's magic says whose it is
      const magic = live?.magic ?? d.magic;
      const strategyId = this.o.strategyOf(magic) ?? null;
      const fromUs = d.comment.startsWith(INTENT_COMMENT_PREFIX) || (live?.comment.startsWith(INTENT_COMMENT_PREFIX) ?? false);
      if (strategyId === null && !fromUs) return false; // the trader's own trade: not the executor's to report
      followed = { magic, strategyId };
    }
    const before = followed.volume ?? (source === 'transaction' ? live?.volume : undefined);
    let event: TradeReport['event'];
    let after: number | undefined;
    if (d.entry === DEAL_ENTRY.IN) {
      event = (before ?? 0) > EPS ? 'add' : 'open';
      after = (before ?? 0) + d.volume;
    } else if (d.entry === DEAL_ENTRY.INOUT) {
      event = 'reversal';
      after = before !== undefined ? d.volume - before : undefined;
    } else {
      after = before !== undefined ? before - d.volume : undefined;
      const open = after !== undefined ? after > EPS : (stillOpenInHistory ?? false);
      event = open ? 'partial_close' : 'close';
      if (!open) after = 0;
    }
    if (event === 'close') delete this.state.positions[posKey];
    else this.state.positions[posKey] = after !== undefined ? { ...followed, volume: Math.round(after * 1e8) / 1e8 } : { magic: followed.magic, strategyId: followed.strategyId };
    const report = this.build(d, followed, event, source);
    const serverSec = Math.floor(d.timeMsc / 1000);
    const waiter = this.waiters.get(key);
    if (waiter) {
      this.waiters.delete(key);
      this.mark(key, serverSec, report);
      waiter(report);
    } else if (source === 'transaction' && d.comment.startsWith(COMMAND_COMMENT)) {
      const timer = setTimeout(() => {
        this.held.delete(key);
        this.deliver(key, serverSec, report);
      }, this.o.holdMs ?? 5000);
      timer.unref?.();
      this.held.set(key, { report, timer, serverSec });
      this.save(); // the position's volume
    } else {
      this.deliver(key, serverSec, report);
    }
    return true;
  }

  private deliver(key: string, serverSec: number, report: TradeReport): void {
    this.o.send(report);
    this.mark(key, serverSec, report);
  }

  private mark(key: string, serverSec: number, report: TradeReport): void {
    this.state.reported[key] = serverSec;
    if (report.source === 'transaction' && serverSec > this.state.checkedTo) this.state.checkedTo = serverSec;
    this.save();
  }

  private build(d: DealFacts, owner: Followed, event: TradeReport['event'], source: TradeReport['source']): TradeReport {
    const t = this.terminal;
    const a = t?.account;
    const offsetMs = (t?.hello?.serverTimeOffset ?? 0) * 1000;
    const unixMs = d.timeMsc - offsetMs;
    return {
      deal: d.ticket.toString(),
      order: d.order.toString(),
      position: d.positionId.toString(),
      strategyId: owner.strategyId,
      magic: owner.magic,
      symbol: d.symbol,
      side: d.type === DEAL_TYPE.BUY ? 'BUY' : 'SELL',
      event,
      entry: ENTRY_NAME[d.entry as keyof typeof ENTRY_NAME] ?? 'in',
      volume: d.volume,
      price: d.price,
      profit: d.profit,
      swap: d.swap,
      commission: d.commission,
      currency: a?.currency ?? '',
      time: new Date(unixMs).toISOString(),
      timeUnixMs: unixMs,
      brokerTime: brokerTimeText(d.timeMsc),
      account: { login: a?.login ?? 0, server: a?.server ?? '' },
      mode: a?.tradeMode === 2 ? 'live' : 'paper',
      source,
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
    };
  }

  /** Stop: deals held for a command's status go as records now; whoever waits for a deal gets none. */
  stop(): void {
    for (const [key, h] of this.held) {
      clearTimeout(h.timer);
      this.deliver(key, h.serverSec, h.report);
    }
    this.held.clear();
    for (const w of this.waiters.values()) w(undefined);
    this.waiters.clear();
  }
}

/**
 * The strategy of a magic number among the manager's strategies (stopped ones included). Indexed: rebuilt when the
 * number of strategies changes, and for a magic it does not know at most once a second (a history check asks about
 * thousands of deals, most of them the trader's own; a host may run 1,000 strategies).
 */
export function strategyByMagic(mgr: Pick<StrategyManager, 'list' | 'get'>, now: () => number = Date.now): (magic: number) => string | undefined {
  let index = new Map<number, string>();
  let builtAt = -Infinity;
  let size = -1;
  const build = (list: ReturnType<StrategyManager['list']>) => {
    index = new Map();
    for (const r of list) {
      const s = mgr.get(r.id)?.strategy;
      if (s) index.set(strategyMagic(s), r.id);
    }
    builtAt = now();
    size = list.length;
  };
  return (magic) => {
    const list = mgr.list();
    if (list.length !== size || (!index.has(magic) && now() - builtAt > 1000)) build(list);
    return index.get(magic);
  };
}
