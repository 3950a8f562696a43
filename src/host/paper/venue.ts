/**
 * Paper trading on live prices: a venue that looks like a terminal to the strategy manager (it is a `Terminal`)
 * but trades on the host's simulated broker. The real terminal (the EA) is its market: its ticks move the
 * simulated broker's prices (an SL or TP fills as the live price reaches it), its bars, symbol specs, history and
 * clock pass through, and its account seeds the paper account (currency, leverage, margin mode, account type and
 * — unless configured — the starting balance). Intents never reach the EA: SimEaLogic executes them on the
 * SimBroker with the EA's own rules, and the venue answers with the events the EA would send (TRADE_TX, then
 * positions, orders and account, then the result). Everything it reports says paper: positions, deals and the
 * account carry `paper: true`, the account's server is named "(paper)". The account is kept in
 * `<data folder>/paper/journal.jsonl` (journal.ts) and rebuilt from it at the next start.
 */
import type { IntentBody, IntentResult, IntentResultBody, Msg, Position, SymbolSpec, Timeframe, AnyMsg, Body, Deal } from '../../protocol/messages.js';
import { MsgType, intentBodySchemas, intentIdSchema, isIntentId } from '../../protocol/messages.js';
import { SimBroker, type BrokerConfig, type BrokerTx, type SimSymbolSpec } from '../../sim/broker.js';
import { SimEaLogic } from '../../sim/ea-logic.js';
import { SYMBOLS } from '../../sim/symbols.js';
import { RC } from '../../protocol/retcodes.js';
import { RequestError, Terminal, type BridgeServer } from '../bridge/server.js';
import { MemoryLedger, type LedgerEntry } from '../state/ledger.js';
import type { Logger } from '../logger.js';
import { EncodedDeals, PaperJournal, type JournalLine, type JournalQuote, type SnapshotLine } from './journal.js';

/** Journal lines between compactions by default (config `paperCompactEvery`). */
export const PAPER_COMPACT_EVERY = 10_000;
/** Intents whose results a compaction keeps (a repeated id is answered from them), as many as the EA's memory holds. */
const KEPT_INTENTS = 4096;

/** Paper tickets start at 2^62: never the number of a real ticket on the same account, never rounded (> 2^53). */
export const PAPER_TICKET_START = 1n << 62n;

export interface PaperVenueOptions {
  /** The real terminal: the market. */
  live: Terminal;
  /** The bridge the real terminal belongs to (the Terminal base class keeps it; the venue sends nothing through it). */
  server: BridgeServer;
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
  /**
   * Seed a new paper account only when a strategy first needs a symbol of it (a live host whose strategies may
   * come in mode paper: no paper account until one does); default: at the terminal's first connection.
   */
  lazy?: boolean;
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
  const preset = SYMBOLS[symbol] ?? SYMBOLS[symbol.toUpperCase().replace(/[^A-Z].*$/, '')];
  return preset?.commissionPerLot ?? 0;
}

/** Marked paper: what the venue reports. */
export type PaperMarked<T> = T & { paper: true };

export class PaperVenue extends Terminal {
  /** This terminal is a paper account (the manager and the API report it). */
  readonly paper = true;
  readonly live: Terminal;
  private readonly journal: PaperJournal;
  private readonly vlog: Logger;
  private seed: BrokerConfig['account'] | undefined;
  private readonly simSpecs = new Map<string, SimSymbolSpec>();
  private lines: JournalLine[];
  private broker: SimBroker | undefined;
  private ea: SimEaLogic | undefined;
  private replaying = false;
  private readonly entries = new Map<string, LedgerEntry>();
  private requestId = 0;
  /** The broker day (server time) of the last tick, for the daily swap rollover. */
  private day = -1;
  private txSeen = 0;
  /** Lines written since the journal's first (its seed or snapshot), and whether a compaction is on its way. */
  private linesSince = 0;
  private compactQueued = false;
  /** The broker's deals as the journal's snapshot encodes them, kept between compactions (they never change). */
  private encodedDeals = new EncodedDeals();
  private closed = false;
  /** Compactions done (tests and the log read it). */
  compactions = 0;
  /** Symbols learned only to convert profits and margins into the account currency (streamed with the strategies'). */
  private readonly converters = new Set<string>();

  constructor(private readonly o: PaperVenueOptions) {
    // the base class's router is not used: every intent method is the paper broker's own (below)
    super(`paper:${o.live.key}`, { ledger: new MemoryLedger(), log: o.log, intentTimeoutMs: o.server.opts.intentTimeoutMs, reaskMs: 0 }, o.live.symbols, o.live.bars);
    this.live = o.live;
    this.vlog = o.log;
    this.journal = new PaperJournal(o.dir);
    this.lines = this.journal.read();
    const seed = this.lines[0];
    this.linesSince = Math.max(0, this.lines.length - 1);
    if (seed?.k === 'seed' || seed?.k === 'snapshot') {
      this.seed = seed.account;
      this.rebuild();
      this.vlog.info({ dir: o.dir, balance: this.account?.balance, positions: this.positions.length, lines: this.lines.length }, 'paper account restored');
    }
    const live = o.live;
    live.on('connected', (session: unknown) => {
      this.serverTime = live.serverTime;
      if (!this.seed && !o.lazy) this.seedFrom(live);
      this.refresh(true);
      this.emit('connected', session);
    });
    live.on('disconnected', () => this.emit('disconnected'));
    live.on('ticks', (m: Msg<'TICKS'>) => {
      for (const t of m.ticks) this.quote(m.symbol, t[1], t[2], t[0]);
      this.serverTime = live.serverTime;
      this.emit('ticks', m);
    });
    live.on('bar', (m: Msg<'BAR'>) => {
      this.serverTime = live.serverTime;
      this.refresh(true); // first, so whoever handles BAR sees current equity (as the EA and SimTerminal do)
      this.emit('bar', m);
    });
    live.on('account', () => {
      this.serverTime = live.serverTime;
      this.refresh(true);
    });
    live.on('gap', (g: unknown) => this.emit('gap', g));
  }

  override get connected(): boolean {
    return this.live.connected && this.broker !== undefined;
  }

  /** The paper account's state is its own: always current. */
  override currentState(): Promise<void> {
    return Promise.resolve();
  }

  // ------------------------------------------------------------------------------------------ the market (from the live terminal)

  override subscribe(symbols: string[], bars: [string, Timeframe][]): void {
    this.symbols = [...symbols];
    this.bars = bars.map(([s, t]) => [s, t]);
    this.live.subscribe(this.withConverters(symbols), bars);
  }

  private withConverters(symbols: string[]): string[] {
    return this.converters.size ? [...new Set([...symbols, ...this.converters])] : symbols;
  }

  override request<N extends 'HISTORY_REQUEST' | 'SPEC_REQUEST' | 'SNAPSHOT_REQUEST'>(name: N, body: Omit<Body<N>, 'id'>): Promise<AnyMsg> {
    return this.live.request(name, body);
  }

  override history(symbol: string, timeframe: Timeframe, from: number, count: number): Promise<Msg<'HISTORY'>> {
    return this.live.history(symbol, timeframe, from, count);
  }

  /**
   * The terminal's spec; the paper broker learns the symbol from it (kept in the journal), and the symbols that
   * convert its profit and margin currencies into the account's when they differ (EURGBP on a USD account:
   * GBPUSD and EURUSD, as the terminal names them without suffix), whose prices then stream with the rest.
   */
  override async spec(symbol: string): Promise<SymbolSpec> {
    const spec = await this.live.spec(symbol);
    if (!this.seed) this.seedFrom(this.live);
    if (!this.simSpecs.has(symbol) && this.seed) {
      this.learn(spec, false);
      const acct = this.seed.currency;
      let added = false;
      for (const c of new Set([spec.currencyProfit, spec.currencyMargin])) {
        const pair = [c + acct, acct + c];
        if (!c || c === acct || pair.some((p) => this.simSpecs.has(p))) continue;
        const found = await this.firstSpec(pair);
        if (found) (this.learn(found, true), (added = true));
        else this.vlog.warn({ symbol, currency: c, tried: pair }, `paper broker: no symbol converts ${c} into ${acct}: orders on ${symbol} are refused`);
      }
      if (added && !this.o.lazy) this.live.subscribe(this.withConverters(this.symbols), this.bars);
    }
    return spec;
  }

  private async firstSpec(names: string[]): Promise<SymbolSpec | undefined> {
    for (const n of names) {
      try {
        return await this.live.spec(n);
      } catch {
        // not in the terminal's Market Watch: the next name
      }
    }
    return undefined;
  }

  private learn(spec: SymbolSpec, convert: boolean): void {
    const { tickValue: _tv, ...rest } = spec;
    const sim: SimSymbolSpec = { ...rest, commissionPerLot: paperCommission(spec.symbol, this.o.commission) };
    if (!this.keepLine({ k: 'spec', spec: sim, ...(convert ? { convert } : {}) })) throw new Error(`the paper account could not learn ${spec.symbol}: its journal could not be written`);
    this.rebuild(); // a SimBroker knows its symbols from the start: the account is replayed with this one added
    this.vlog.info({ symbol: spec.symbol, convert, commissionPerLot: sim.commissionPerLot }, 'paper broker: symbol added from the terminal\'s spec');
  }

  /** Account, positions, orders and deals of the paper account. */
  override async snapshot(dealsFrom = 0): Promise<Msg<'SNAPSHOT'>> {
    const b = this.mustBroker();
    const deals = b.deals(dealsFrom).map((d): PaperMarked<Deal> => ({ ...d, paper: true }));
    return { type: MsgType.SNAPSHOT, seq: 0, re: 0, account: this.account!, positions: this.positions, orders: this.orders, deals, dealsMore: false } as Msg<'SNAPSHOT'>;
  }

  // ------------------------------------------------------------------------------------------ orders (to the paper broker)

  override whenSettled(intentId: string): Promise<IntentResult> {
    const e = this.entries.get(intentId);
    if (!e) return Promise.reject(new RequestError('BAD_INTENT', `intent ${intentId} is not in the paper account's record`));
    if (e.result) return Promise.resolve(e.result);
    return new Promise((res) => {
      const on = (r: IntentResult) => {
        if (r.intentId !== intentId) return;
        this.off('result', on);
        res(r);
      };
      this.on('result', on);
    });
  }

  override intentEntry(intentId: string): LedgerEntry | undefined {
    return this.entries.get(intentId);
  }

  override batch<T>(fn: () => T): T {
    return fn();
  }

  /**
   * Execute an intent on the paper broker, as the EA would on the real one (its rules: filling modes, the id in the
   * comment, a repeated id answered from memory) — on the next turn of the event loop, so the caller's decision
   * finishes first, as it does when the EA is on the other end of a socket. Nothing is sent to the EA.
   */
  override sendIntent(intent: IntentBody): Promise<IntentResult> {
    const id = intent.intentId;
    if (!isIntentId(id)) {
      const idCheck = intentIdSchema.safeParse(id);
      return Promise.reject(new RequestError('BAD_INTENT', `intentId '${id}': ${idCheck.success ? 'invalid' : (idCheck.error.issues[0]?.message ?? 'invalid')}`));
    }
    const existing = this.entries.get(id);
    if (existing) return existing.result ? Promise.resolve({ ...existing.result, duplicate: true }) : this.whenSettled(id);
    if (!this.broker) return Promise.reject(new RequestError('DISCONNECTED', 'the paper account is not seeded yet: no terminal has connected'));
    const { type, ...fields } = intent;
    const check = intentBodySchemas[type]?.safeParse(fields);
    if (!check?.success) return Promise.reject(new RequestError('BAD_INTENT', `${type}: ${check?.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? 'unknown intent type'}`));
    const entry: LedgerEntry = { intentId: id, terminal: this.key, intent, state: 'pending', createdAt: this.serverTime, attempts: 1 };
    this.entries.set(id, entry);
    return new Promise((resolve) => {
      setImmediate(() => {
        const result = this.execute(intent, true);
        entry.state = 'settled';
        entry.result = result;
        entry.settledBy = 'result';
        entry.sentAt = this.serverTime;
        this.vlog.info({ terminal: this.key, intentId: id, retcode: result.retcode, class: result.class, paper: true }, 'paper intent result');
        this.emit('result', result);
        resolve(result);
      });
    });
  }

  // ------------------------------------------------------------------------------------------ internals

  private mustBroker(): SimBroker {
    if (!this.broker) throw new RequestError('DISCONNECTED', 'the paper account is not seeded yet: no terminal has connected');
    return this.broker;
  }

  private seedFrom(live: Terminal): void {
    const a = live.account;
    if (!a) return;
    this.seed = {
      login: a.login, server: `${a.server} (paper)`, currency: a.currency, currencyDigits: a.currencyDigits, leverage: a.leverage || 100,
      marginMode: a.marginMode === 0 ? 0 : 2, tradeMode: (a.tradeMode === 1 || a.tradeMode === 2 ? a.tradeMode : 0), balance: this.o.balance ?? a.balance,
      stopOutLevel: a.stopOutLevel,
    };
    if (!this.keepLine({ k: 'seed', v: 1, account: this.seed, at: live.serverTime })) {
      this.seed = undefined; // tried again at the next connection or symbol
      return;
    }
    this.rebuild();
    this.vlog.info({ currency: this.seed.currency, balance: this.seed.balance, leverage: this.seed.leverage, dir: this.o.dir }, 'paper account seeded from the terminal\'s account');
  }

  /** A new SimBroker with every symbol learned so far, and the journal replayed into it. */
  private rebuild(): void {
    for (const l of this.lines) {
      for (const { spec, convert } of l.k === 'spec' ? [l] : l.k === 'snapshot' ? l.specs : []) {
        if (!this.simSpecs.has(spec.symbol)) this.simSpecs.set(spec.symbol, spec);
        if (convert) this.converters.add(spec.symbol);
      }
    }
    const broker = new SimBroker({ account: this.seed!, symbols: [...this.simSpecs.values()], ticketStart: PAPER_TICKET_START });
    this.encodedDeals = new EncodedDeals(); // (a new broker: its deals are encoded anew at the next compaction)
    const ea = new SimEaLogic(broker);
    broker.onTx = (tx) => this.onTx(tx);
    const previous = this.broker;
    this.broker = broker;
    this.ea = ea;
    this.replaying = true;
    try {
      for (const l of this.lines) {
        if (l.k === 'snapshot') this.restoreSnapshot(broker, l);
        else if (l.k === 'quote') this.applyQuotes(l.quotes);
        else if (l.k === 'rollover') (this.rollover(l.weekday), (this.day = l.day));
        else if (l.k === 'intent') {
          const r = this.execute(l.intent, false, l.quotes);
          this.entries.set(l.intent.intentId, { intentId: l.intent.intentId, terminal: this.key, intent: l.intent, state: 'settled', createdAt: 0, attempts: 1, result: r, settledBy: 'result' });
        }
      }
    } finally {
      this.replaying = false;
    }
    // the prices the old broker had seen since its last line (they filled nothing: nothing to write)
    if (previous) for (const s of this.simSpecs.keys()) {
      const q = previous.quoteOf(s);
      if (q) this.quote(s, q.bid, q.ask, q.timeMsc);
    }
    this.refresh(false);
  }

  /** The account as a compaction left it: the broker's state, the rollover day, the latest intents' results. */
  private restoreSnapshot(broker: SimBroker, l: SnapshotLine): void {
    broker.restore(l.broker);
    this.day = l.day;
    this.requestId = l.requestId;
    for (const { intent, result } of l.intents) {
      this.entries.set(intent.intentId, { intentId: intent.intentId, terminal: this.key, intent, state: 'settled', createdAt: 0, attempts: 1, result, settledBy: 'result' });
    }
  }

  /**
   * Rewrite the journal as one snapshot line of the account now (journal.ts: temp file, sync, rename). Run on its own
   * turn of the event loop, so every line written before it has been applied to the broker. A failure is logged and
   * the journal stays as it was (tried again after as many lines more).
   */
  private compact(): void {
    const b = this.broker;
    if (!b || !this.seed || this.replaying || this.closed) {
      this.compactQueued = false;
      return;
    }
    const intents: SnapshotLine['intents'] = [];
    // the intents settled now (their lines are before the snapshot); one settled later has its line after it
    const settled = new Set<string>();
    for (const e of this.entries.values()) {
      if (e.state !== 'settled') continue;
      settled.add(e.intentId);
      if (e.result) intents.push({ intent: e.intent, result: e.result });
    }
    let line: SnapshotLine, enc: EncodedDeals;
    try {
      line = {
        k: 'snapshot', v: 1, account: this.seed, specs: [...this.simSpecs.values()].map((spec) => ({ spec, ...(this.converters.has(spec.symbol) ? { convert: true } : {}) })),
        broker: b.state(), day: this.day, requestId: this.requestId, intents: intents.slice(-KEPT_INTENTS),
      };
      // only the deals made since the last compaction are encoded now
      enc = line.broker.deals.length >= this.encodedDeals.count ? this.encodedDeals : (this.encodedDeals = new EncodedDeals());
      enc.add(line.broker.deals.slice(enc.count));
    } catch (e) {
      this.compactQueued = false;
      this.linesSince = 0;
      this.vlog.error({ err: (e as Error).message, file: this.journal.file }, 'paper account: its journal could not be compacted (it stays as it was, and grows)');
      return;
    }
    const lines = this.linesSince, at = this.lines.length;
    // written off the event loop (journal.ts); the lines of the meantime follow the snapshot; compactQueued stays
    // set until it ends (one at a time)
    this.journal.compactInBackground(line, enc).then(() => {
      this.lines = [line, ...this.lines.slice(at)];
      this.linesSince = this.lines.length - 1;
      this.compactions++;
      // memory keeps what a restart would have: the intents the snapshot kept, those of the lines after it, and
      // those not settled yet
      const kept = new Set(line.intents.map((x) => x.intent.intentId));
      for (const id of settled) if (!kept.has(id)) this.entries.delete(id);
      this.vlog.info({ file: this.journal.file, lines, deals: line.broker.deals.length, positions: line.broker.positions.length }, 'paper account: journal compacted');
    }, (e: Error) => {
      this.linesSince = 0;
      this.vlog.error({ err: e.message, file: this.journal.file }, 'paper account: its journal could not be compacted (it stays as it was, and grows)');
    }).finally(() => {
      this.compactQueued = false;
      // the lines written while it ran may already be a compaction's worth: queued now, not at the next line (an
      // account that goes quiet would otherwise keep them in its journal, and in memory, until it trades again)
      this.queueCompaction();
    });
  }

  private queueCompaction(): void {
    if (this.linesSince >= (this.o.compactEvery ?? PAPER_COMPACT_EVERY) && !this.compactQueued && !this.closed) {
      this.compactQueued = true;
      setImmediate(() => this.compact());
    }
  }

  /** The quotes of every symbol the broker knows (they convert profits and margins): written with each change. */
  private quotes(): JournalQuote[] {
    const out: JournalQuote[] = [];
    for (const s of this.simSpecs.keys()) {
      const q = this.broker?.quoteOf(s);
      if (q) out.push([s, q.bid, q.ask, q.timeMsc]);
    }
    return out;
  }

  /** Replay: move each symbol whose price differs to the written one. */
  private applyQuotes(quotes: readonly JournalQuote[]): void {
    const b = this.broker!;
    for (const [s, bid, ask, t] of quotes) {
      const q = b.quoteOf(s);
      if (q && q.bid === bid && q.ask === ask && q.timeMsc === t) continue;
      try {
        b.quote(s, bid, ask, t);
      } catch {
        // as when it was live (quote() logged it then)
      }
    }
  }

  /** A live tick: the paper broker trades on it (an SL or TP it reaches fills, at this price: a real tick is no path). */
  private quote(symbol: string, bid: number, ask: number, timeMsc: number): void {
    const b = this.broker;
    if (!b || !this.simSpecs.has(symbol)) return;
    const day = Math.floor(timeMsc / 86_400_000);
    if (this.day >= 0 && day > this.day) {
      // the server day changed: swap for the night, as MT5 charges it at the rollover
      const weekday = new Date(this.day * 86_400_000).getUTCDay();
      this.rollover(weekday);
      this.keepLine({ k: 'rollover', weekday, day });
    }
    if (day > this.day) this.day = day;
    const before = this.txSeen;
    try {
      b.quote(symbol, bid, ask, timeMsc);
    } catch (e) {
      this.vlog.warn({ symbol, bid, ask, err: (e as Error).message }, 'paper broker: tick not used');
      return;
    }
    if (this.txSeen !== before) {
      const line: JournalLine = { k: 'quote', quotes: this.quotes() };
      // the changed symbol last: replayed, the others are in place before it fills
      line.quotes.sort((x, y) => Number(x[0] === symbol) - Number(y[0] === symbol));
      this.keepLine(line);
      this.refresh(true);
    }
  }

  /** A line to the journal (synced) and to the lines replayed at a rebuild; false, and logged, when it cannot be written. */
  private keepLine(line: JournalLine): boolean {
    try {
      this.journal.append(line, true);
    } catch (e) {
      this.vlog.error({ err: (e as Error).message, file: this.journal.file, kind: line.k }, line.k === 'quote' || line.k === 'rollover'
        ? 'paper account: a fill or swap could not be written to its journal (a restart would not have it)'
        : 'paper account: its journal could not be written');
      return false;
    }
    if (line.k === 'seed') {
      this.lines = [line];
      this.linesSince = 0;
    } else {
      this.lines.push(line);
      this.linesSince++;
    }
    this.queueCompaction();
    return true;
  }

  /** The night's swap on the paper positions (a currency no known symbol converts: none, and said). */
  private rollover(weekday: number): void {
    try {
      this.broker!.rollover(weekday);
    } catch (e) {
      if (!this.replaying) this.vlog.warn({ err: (e as Error).message }, 'paper broker: no swap charged');
    }
  }

  /** Execute on the broker (live: written first; replay: at the written quotes). */
  private execute(intent: IntentBody, live: boolean, quotes?: readonly JournalQuote[]): IntentResult {
    let body: IntentResultBody;
    // live: written (and synced) before it executes — a crash after the line still has it; unwritten, not executed
    if (live && !this.keepLine({ k: 'intent', quotes: this.quotes(), intent })) {
      body = { re: 0, intentId: intent.intentId, duplicate: false, retcode: RC.INVALID, class: 'final', comment: 'paper account: its journal could not be written; not executed' };
      return { ...body, type: MsgType.INTENT_RESULT, seq: 0 } as unknown as IntentResult;
    }
    if (!live && quotes) this.applyQuotes(quotes);
    try {
      body = this.ea!.handleIntent(intent, ++this.requestId);
    } catch (e) {
      // the simulated broker cannot value it (a currency no symbol it knows converts): refused, and said why
      body = { re: this.requestId, intentId: intent.intentId, duplicate: false, retcode: RC.INVALID, class: 'final', comment: `paper broker: ${(e as Error).message}` };
    }
    if (live) this.refresh(true);
    return { ...body, type: MsgType.INTENT_RESULT, seq: 0 } as unknown as IntentResult;
  }

  private onTx(tx: BrokerTx): void {
    this.txSeen++;
    if (this.replaying) return;
    this.emit('tx', { ...tx, type: MsgType.TRADE_TX, seq: 0, paper: true } as unknown as Msg<'TRADE_TX'>);
  }

  /** The account, positions and orders as the paper broker has them now; with `emit`, told as the EA tells them. */
  private refresh(emit: boolean): void {
    const b = this.broker;
    if (!b) return;
    try {
      const a = b.account();
      this.account = { ...a, serverTime: Math.max(a.serverTime, this.live.serverTime), paper: true } as PaperMarked<typeof a>;
      this.positions = b.positionList().map((p): PaperMarked<Position> => ({ ...p, paper: true }));
      this.orders = b.orderList().map((o) => ({ ...o, paper: true }));
    } catch (e) {
      // a position in a currency no known symbol converts: the figures stay as they were (never a crash)
      this.vlog.warn({ err: (e as Error).message }, 'paper account: figures not updated');
      return;
    }
    if (!emit || this.replaying) return;
    this.emit('positions', this.positions);
    this.emit('orders', this.orders);
    this.emit('account', this.account);
  }

  /** Stop writing; resolves when a compaction under way has ended (the folder may then be opened again). */
  close(): Promise<void> {
    this.closed = true;
    return this.journal.idle().then(() => this.journal.close());
  }
}
