/**
 * The paper account behind the paper venue (venue.ts): the host's simulated broker, with the EA's own rules on it
 * (SimEaLogic), seeded from the live account, knowing the symbols learned from the live terminal's specs (and those
 * that convert their currencies into the account's), trading on the live ticks. Every change is a journal line
 * (journal-lines.ts, journal.ts) written before it takes effect, and a start replays them into a new broker — from
 * the latest snapshot when the journal was compacted. It tells the venue what changed; the venue tells the manager.
 */
import type { IntentBody, IntentResult, IntentResultBody, SymbolSpec } from '../../protocol/messages.js';
import { MsgType } from '../../protocol/messages.js';
import { SimBroker, type BrokerConfig, type BrokerTx, type SimSymbolSpec } from '../../sim/broker.js';
import { SimEaLogic } from '../../sim/ea-logic.js';
import { resolveSymbol } from '../../sim/symbols.js';
import { swapModeProblem } from '../../sim/broker/money.js';
import { RC } from '../../protocol/retcodes.js';
import type { Terminal } from '../bridge/server.js';
import type { LedgerEntry } from '../state/ledger.js';
import type { Logger } from '../logger.js';
import type { JournalLine, JournalQuote, SnapshotLine } from './journal.js';
import { JournalLines, applyQuotes, brokerQuotes } from './journal-lines.js';
import { chargeNight, newestDay, replayNight, type NightCharges } from './rollover.js';

/** Journal lines between compactions by default (config `paperCompactEvery`). */
export const PAPER_COMPACT_EVERY = 10_000;
/** Intents whose results a compaction keeps (a repeated id is answered from them), as many as the EA's memory holds. */
const KEPT_INTENTS = 4096;

/** Paper tickets start at 2^62: never the number of a real ticket on the same account, never rounded (> 2^53). */
export const PAPER_TICKET_START = 1n << 62n;

export interface PaperAccountOptions {
  /** The paper account's folder (`<data folder>/paper`). */
  dir: string;
  log: Logger;
  /** Starting balance of a new paper account (default: the real account's balance when it is first seeded). */
  balance?: number;
  /**
   * Commission per lot per deal side, account currency (config `paperCommission`): one figure, or per symbol (a
   * symbol not named: the default). Default: the backtest's — the simulator's preset for the symbol (src/sim/symbols.ts),
   * 0 for a symbol without one. Written with the symbol's spec when the paper account learns it, so a restart replays
   * every deal at the commission it was charged.
   */
  commission?: number | Record<string, number>;
  /** Journal lines between compactions (default PAPER_COMPACT_EVERY): the journal is rewritten as one snapshot line. */
  compactEvery?: number;
}

/** What the paper account tells its venue. */
export interface PaperAccountEvents {
  /** A transaction on the paper broker, as it happens (none while the journal is replayed). */
  tx(tx: BrokerTx): void;
  /** The account, positions or orders may have changed; `tell`: to be told as the EA tells them (false after a rebuild). */
  changed(tell: boolean): void;
}

/**
 * The commission the paper broker charges on `symbol`, per lot per deal side: the configured figure (per symbol,
 * else for all), else the backtest's default — the simulator's preset for the symbol (its name, or its name without
 * a broker suffix such as ".m"), else 0.
 */
export function paperCommission(symbol: string, configured: number | Record<string, number> | undefined): number {
  if (typeof configured === 'number') return configured;
  const named = configured?.[symbol];
  if (named !== undefined) return named;
  return resolveSymbol(symbol)?.spec.commissionPerLot ?? 0;
}

export class PaperAccount {
  /** Every intent the account answers for: settled ones (with their results) and the one under way. */
  readonly entries = new Map<string, LedgerEntry>();
  /** Every symbol the paper broker knows, as it knows it (with the commission it charges). */
  readonly simSpecs = new Map<string, SimSymbolSpec>();
  /** Symbols learned only to convert profits and margins into the account currency (streamed with the strategies'). */
  readonly converters = new Set<string>();
  private seedAccount: BrokerConfig['account'] | undefined;
  private simBroker: SimBroker | undefined;
  private ea: SimEaLogic | undefined;
  private replayingLines = false;
  private requestId = 0;
  /** The broker day (server time) of the last tick, for the daily swap rollover. */
  private day = -1;
  private txSeen = 0;
  /** The journal's lines: written, kept for a rebuild, compacted (journal-lines.ts). */
  private readonly record: JournalLines;

  /** `key`: the venue's terminal key, named in the intents' entries. */
  constructor(private readonly key: string, private readonly o: PaperAccountOptions, private readonly events: PaperAccountEvents) {
    this.record = new JournalLines({
      dir: o.dir, log: o.log, compactEvery: o.compactEvery ?? PAPER_COMPACT_EVERY,
      snapshot: () => this.snapshotLine(), compacted: (line, settled) => this.forgetCompacted(line, settled),
    });
  }

  /** The simulated broker: undefined until the account is seeded (a new one at each rebuild). */
  get broker(): SimBroker | undefined {
    return this.simBroker;
  }

  /** The account it was seeded with (undefined: not seeded yet). */
  get seed(): BrokerConfig['account'] | undefined {
    return this.seedAccount;
  }

  /** Whether the journal is being replayed (nothing it does is news). */
  get replaying(): boolean {
    return this.replayingLines;
  }

  /** Compactions of the journal done. */
  get compactions(): number {
    return this.record.compactions;
  }

  /** The journal's lines, as read at the start. */
  get lines(): readonly JournalLine[] {
    return this.record.lines;
  }

  /** Rebuild the account from its journal, when the journal has one (its seed, or a snapshot): whether it had. */
  restore(): boolean {
    const seed = this.record.lines[0];
    if (seed?.k !== 'seed' && seed?.k !== 'snapshot') return false;
    this.seedAccount = seed.account;
    this.rebuild();
    return true;
  }

  /** Seed the account from the live terminal's account (written first: unwritten, not seeded, and tried again later). */
  seedFrom(live: Terminal): void {
    const a = live.account;
    if (!a) return;
    this.seedAccount = {
      login: a.login, server: `${a.server} (paper)`, currency: a.currency, currencyDigits: a.currencyDigits, leverage: a.leverage || 100,
      marginMode: a.marginMode === 0 ? 0 : 2, tradeMode: (a.tradeMode === 1 || a.tradeMode === 2 ? a.tradeMode : 0), balance: this.o.balance ?? a.balance,
      stopOutLevel: a.stopOutLevel,
    };
    if (!this.record.keep({ k: 'seed', v: 1, account: this.seedAccount, at: live.serverTime })) {
      this.seedAccount = undefined; // tried again at the next connection or symbol
      return;
    }
    this.rebuild();
    this.o.log.info({ currency: this.seedAccount.currency, balance: this.seedAccount.balance, leverage: this.seedAccount.leverage, dir: this.o.dir }, 'paper account seeded from the terminal\'s account');
  }

  /** Learn a symbol from the terminal's spec (`convert`: only to convert a currency); throws if it cannot be written. */
  learn(spec: SymbolSpec, convert: boolean): void {
    const { tickValue: _tv, ...rest } = spec;
    const sim: SimSymbolSpec = { ...rest, commissionPerLot: paperCommission(spec.symbol, this.o.commission) };
    if (!this.record.keep({ k: 'spec', spec: sim, ...(convert ? { convert } : {}) })) throw new Error(`the paper account could not learn ${spec.symbol}: its journal could not be written`);
    this.rebuild(); // a SimBroker knows its symbols from the start: the account is replayed with this one added
    this.o.log.info({ symbol: spec.symbol, convert, commissionPerLot: sim.commissionPerLot, swapMode: sim.swapMode }, 'paper broker: symbol added from the terminal\'s spec');
    const swapProblem = convert ? undefined : swapModeProblem(sim);
    if (swapProblem) this.o.log.warn({ symbol: spec.symbol, swapMode: sim.swapMode }, `paper broker: ${swapProblem}`);
  }

  /** A live tick: the paper broker trades on it (an SL or TP it reaches fills, at this price: a real tick is no path). */
  quote(symbol: string, bid: number, ask: number, timeMsc: number): void {
    const b = this.broker;
    if (!b || !this.simSpecs.has(symbol)) return;
    const day = Math.floor(timeMsc / 86_400_000);
    if (this.day >= 0 && day > this.day && b.openCount > 0) {
      // the server day changed: swap for each night that passed (a host down over days, or a market closed for some),
      // as MT5 charges it at each rollover; one journal line per night with what it charged, so a replay charges the
      // same (rollover.ts). No position, nothing to charge: a position opens with a line that has its day.
      for (let d = this.day; d < day; d++) {
        const weekday = (d + 4) % 7; // (1970-01-01 was a Thursday)
        this.record.keep({ k: 'rollover', weekday, day: d + 1, swap: this.rollover(weekday) });
      }
    }
    if (day > this.day) this.day = day;
    const before = this.txSeen;
    try {
      b.quote(symbol, bid, ask, timeMsc);
    } catch (e) {
      this.o.log.warn({ symbol, bid, ask, err: (e as Error).message }, 'paper broker: tick not used');
      return;
    }
    if (this.txSeen !== before) {
      const line: JournalLine = { k: 'quote', quotes: this.quotes() };
      // the changed symbol last: replayed, the others are in place before it fills
      line.quotes.sort((x, y) => Number(x[0] === symbol) - Number(y[0] === symbol));
      this.record.keep(line);
      this.events.changed(true);
    }
  }

  /** Execute on the broker (live: written first; replay: at the written quotes). */
  execute(intent: IntentBody, live: boolean, quotes?: readonly JournalQuote[]): IntentResult {
    let body: IntentResultBody;
    // live: written (and synced) before it executes — a crash after the line still has it; unwritten, not executed
    if (live && !this.record.keep({ k: 'intent', quotes: this.quotes(), intent })) {
      body = { re: 0, intentId: intent.intentId, duplicate: false, retcode: RC.INVALID, class: 'final', comment: 'paper account: its journal could not be written; not executed' };
      return { ...body, type: MsgType.INTENT_RESULT, seq: 0 } as unknown as IntentResult;
    }
    if (!live && quotes) applyQuotes(this.broker!, quotes);
    try {
      body = this.ea!.handleIntent(intent, ++this.requestId);
    } catch (e) {
      // the simulated broker cannot value it (a currency no symbol it knows converts): refused, and said why
      body = { re: this.requestId, intentId: intent.intentId, duplicate: false, retcode: RC.INVALID, class: 'final', comment: `paper broker: ${(e as Error).message}` };
    }
    if (live) this.events.changed(true);
    return { ...body, type: MsgType.INTENT_RESULT, seq: 0 } as unknown as IntentResult;
  }

  /** Stop writing; resolves when a compaction under way has ended (the folder may then be opened again). */
  close(): Promise<void> {
    return this.record.close();
  }

  /** A new SimBroker with every symbol learned so far, and the journal replayed into it. */
  private rebuild(): void {
    for (const l of this.record.lines) {
      for (const { spec, convert } of l.k === 'spec' ? [l] : l.k === 'snapshot' ? l.specs : []) {
        if (!this.simSpecs.has(spec.symbol)) this.simSpecs.set(spec.symbol, spec);
        if (convert) this.converters.add(spec.symbol);
      }
    }
    const broker = new SimBroker({ account: this.seedAccount!, symbols: [...this.simSpecs.values()], ticketStart: PAPER_TICKET_START });
    this.record.brokerReplaced();
    const ea = new SimEaLogic(broker);
    broker.onTx = (tx) => this.onTx(tx);
    const previous = this.broker;
    this.simBroker = broker;
    this.ea = ea;
    this.replayingLines = true;
    try {
      for (const l of this.record.lines) {
        if (l.k === 'snapshot') this.restoreSnapshot(broker, l);
        else if (l.k === 'quote') applyQuotes(broker, l.quotes);
        else if (l.k === 'rollover') this.replayRollover(broker, l);
        else if (l.k === 'intent') this.settleReplayed(l.intent, this.execute(l.intent, false, l.quotes));
      }
    } finally {
      this.replayingLines = false;
    }
    // the server day the lines know (also before the first midnight of a run): the nights since are charged at the next tick
    this.day = Math.max(this.day, newestDay(this.record.lines));
    // the prices the old broker had seen since its last line (they filled nothing: nothing to write)
    if (previous) for (const s of this.simSpecs.keys()) {
      const q = previous.quoteOf(s);
      if (q) this.quote(s, q.bid, q.ask, q.timeMsc);
    }
    this.events.changed(false);
  }

  /** The account as a compaction left it: the broker's state, the rollover day, the latest intents' results. */
  private restoreSnapshot(broker: SimBroker, l: SnapshotLine): void {
    broker.restore(l.broker);
    this.day = l.day;
    this.requestId = l.requestId;
    for (const { intent, result } of l.intents) this.settleReplayed(intent, result);
  }

  /** A replayed intent, settled with its result (a repeated id is answered from it). */
  private settleReplayed(intent: IntentBody, result: IntentResult): void {
    this.entries.set(intent.intentId, { intentId: intent.intentId, terminal: this.key, intent, state: 'settled', createdAt: 0, attempts: 1, result, settledBy: 'result' });
  }

  /** The account now as one snapshot line (journal-lines.ts compacts the journal into it); undefined while not seeded or replaying. */
  private snapshotLine(): { line: SnapshotLine; settled: Set<string> } | undefined {
    const b = this.broker;
    if (!b || !this.seedAccount || this.replayingLines) return undefined;
    const intents: SnapshotLine['intents'] = [];
    // the intents settled now (their lines are before the snapshot); one settled later has its line after it
    const settled = new Set<string>();
    for (const e of this.entries.values()) {
      if (e.state !== 'settled') continue;
      settled.add(e.intentId);
      if (e.result) intents.push({ intent: e.intent, result: e.result });
    }
    const line: SnapshotLine = {
      k: 'snapshot', v: 1, account: this.seedAccount, specs: [...this.simSpecs.values()].map((spec) => ({ spec, ...(this.converters.has(spec.symbol) ? { convert: true } : {}) })),
      broker: b.state(), day: this.day, requestId: this.requestId, intents: intents.slice(-KEPT_INTENTS),
    };
    return { line, settled };
  }

  /**
   * The journal was compacted into `line`: memory keeps what a restart would have — the intents the snapshot kept,
   * those of the lines after it, and those not settled yet.
   */
  private forgetCompacted(line: SnapshotLine, settled: ReadonlySet<string>): void {
    const kept = new Set(line.intents.map((x) => x.intent.intentId));
    for (const id of settled) if (!kept.has(id)) this.entries.delete(id);
  }

  /** The quotes of every symbol the broker knows (they convert profits and margins): written with each change. */
  private quotes(): JournalQuote[] {
    return brokerQuotes(this.broker, this.simSpecs.keys());
  }

  /** The night's swap on the paper positions, and what it charged each (a currency no known symbol converts: none, and said). */
  private rollover(weekday: number): NightCharges {
    const { swap, err } = chargeNight(this.broker!, weekday);
    if (err) this.o.log.warn({ err: err.message }, 'paper broker: no swap charged');
    return swap;
  }

  /** A rollover line replayed (rollover.ts): what it charged, or an older line by the rule of its time. */
  private replayRollover(broker: SimBroker, l: Extract<JournalLine, { k: 'rollover' }>): void {
    try {
      replayNight(broker, l);
    } catch {
      // as when it was live (its warning was logged then)
    }
  }

  private onTx(tx: BrokerTx): void {
    this.txSeen++;
    if (this.replayingLines) return;
    this.events.tx(tx);
  }
}
