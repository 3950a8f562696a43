/**
 * Paper trading on live prices: a venue that looks like a terminal to the strategy manager (it is a `Terminal`)
 * but trades on the host's simulated broker. The real terminal (the EA) is its market: its ticks move the
 * simulated broker's prices (an SL or TP fills as the live price reaches it), its bars, symbol specs, history and
 * clock pass through, and its account seeds the paper account (currency, leverage, margin mode, account type and
 * — unless configured — the starting balance). Intents never reach the EA: SimEaLogic executes them on the
 * SimBroker with the EA's own rules, and the venue answers with the events the EA would send (TRADE_TX, then
 * positions, orders and account, then the result). Everything it reports says paper: positions, deals and the
 * account carry `paper: true`, the account's server is named "(paper)". The paper account itself — the simulated
 * broker, seeded, replayed, trading — is account.ts's; it is kept in `<data folder>/paper/journal.jsonl`
 * (journal-lines.ts, journal.ts) and rebuilt from it at the next start.
 */
import type { IntentBody, IntentResult, Msg, Position, SymbolSpec, Timeframe, AnyMsg, Body, Deal } from '../../protocol/messages.js';
import { MsgType, intentBodySchemas, intentIdSchema, isIntentId } from '../../protocol/messages.js';
import { SYMBOL_SWAP_MODE } from '../../protocol/mt5.js';
import type { SimBroker } from '../../sim/broker.js';
import { RequestError, Terminal, type BridgeServer } from '../bridge/server.js';
import { MemoryLedger, type LedgerEntry } from '../state/ledger.js';
import type { Logger } from '../logger.js';
import { PaperAccount, type PaperAccountOptions } from './account.js';

/** The paper account's own options (account.ts: its folder, log, balance, commission, compactions) and the venue's. */
export interface PaperVenueOptions extends PaperAccountOptions {
  /** The real terminal: the market. */
  live: Terminal;
  /** The bridge the real terminal belongs to (the Terminal base class keeps it; the venue sends nothing through it). */
  server: BridgeServer;
  /**
   * Seed a new paper account only when a strategy first needs a symbol of it (a live host whose strategies may
   * come in mode paper: no paper account until one does); default: at the terminal's first connection.
   */
  lazy?: boolean;
}

/** Marked paper: what the venue reports. */
export type PaperMarked<T> = T & { paper: true };

export class PaperVenue extends Terminal {
  /** This terminal is a paper account (the manager and the API report it). */
  readonly paper = true;
  readonly live: Terminal;
  /** The paper account: the simulated broker, its symbols, its intents, its journal (account.ts). */
  private readonly paperAccount: PaperAccount;
  private readonly vlog: Logger;

  constructor(private readonly o: PaperVenueOptions) {
    // the base class's router is not used: every intent method is the paper broker's own (below)
    super(`paper:${o.live.key}`, { ledger: new MemoryLedger(), log: o.log, intentTimeoutMs: o.server.opts.intentTimeoutMs, reaskMs: 0 }, o.live.symbols, o.live.bars);
    this.live = o.live;
    this.vlog = o.log;
    this.paperAccount = new PaperAccount(this.key, o, {
      tx: (tx) => this.emit('tx', { ...tx, type: MsgType.TRADE_TX, seq: 0, paper: true } as unknown as Msg<'TRADE_TX'>),
      changed: (tell) => this.refresh(tell),
    });
    const paper = this.paperAccount;
    if (paper.restore()) {
      this.vlog.info({ dir: o.dir, balance: this.account?.balance, positions: this.positions.length, lines: paper.lines.length }, 'paper account restored');
    }
    const live = o.live;
    live.on('connected', (session: unknown) => {
      this.serverTime = live.serverTime;
      if (!paper.seed && !o.lazy) paper.seedFrom(live);
      this.refresh(true);
      this.emit('connected', session);
    });
    live.on('disconnected', () => this.emit('disconnected'));
    live.on('ticks', (m: Msg<'TICKS'>) => {
      for (const t of m.ticks) paper.quote(m.symbol, t[1], t[2], t[0]);
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

  /** Compactions of the journal done (tests and the log read it). */
  get compactions(): number {
    return this.paperAccount.compactions;
  }

  override get connected(): boolean {
    return this.live.connected && this.paperAccount.broker !== undefined;
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
    const { converters } = this.paperAccount;
    return converters.size ? [...new Set([...symbols, ...converters])] : symbols;
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
    const paper = this.paperAccount;
    if (!paper.seed) paper.seedFrom(this.live);
    if (!paper.simSpecs.has(symbol) && paper.seed) {
      paper.learn(spec, false);
      const acct = paper.seed.currency;
      let added = false;
      // a swap in the base currency (SYMBOL_SWAP_MODE_CURRENCY_SYMBOL) needs that one converted too
      const swapInBase = spec.swapMode === SYMBOL_SWAP_MODE.CURRENCY_SYMBOL ? [spec.currencyBase] : [];
      for (const c of new Set([spec.currencyProfit, spec.currencyMargin, ...swapInBase])) {
        const pair = [c + acct, acct + c];
        if (!c || c === acct || pair.some((p) => paper.simSpecs.has(p))) continue;
        const found = await this.firstSpec(pair);
        if (found) (paper.learn(found, true), (added = true));
        else this.vlog.warn({ symbol, currency: c, tried: pair }, `paper broker: no symbol converts ${c} into ${acct}: ${c === spec.currencyProfit || c === spec.currencyMargin ? `orders on ${symbol} are refused` : `no swap is charged (its swap is in ${c})`}`);
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

  /** Account, positions, orders and deals of the paper account. */
  override async snapshot(dealsFrom = 0): Promise<Msg<'SNAPSHOT'>> {
    const b = this.mustBroker();
    const deals = b.deals(dealsFrom).map((d): PaperMarked<Deal> => ({ ...d, paper: true }));
    return { type: MsgType.SNAPSHOT, seq: 0, re: 0, account: this.account!, positions: this.positions, orders: this.orders, deals, dealsMore: false } as Msg<'SNAPSHOT'>;
  }

  // ------------------------------------------------------------------------------------------ orders (to the paper broker)

  override whenSettled(intentId: string): Promise<IntentResult> {
    const e = this.paperAccount.entries.get(intentId);
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
    return this.paperAccount.entries.get(intentId);
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
    const paper = this.paperAccount;
    const existing = paper.entries.get(id);
    if (existing) return existing.result ? Promise.resolve({ ...existing.result, duplicate: true }) : this.whenSettled(id);
    if (!paper.broker) return Promise.reject(new RequestError('DISCONNECTED', 'the paper account is not seeded yet: no terminal has connected'));
    const { type, ...fields } = intent;
    const check = intentBodySchemas[type]?.safeParse(fields);
    if (!check?.success) return Promise.reject(new RequestError('BAD_INTENT', `${type}: ${check?.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? 'unknown intent type'}`));
    const entry: LedgerEntry = { intentId: id, terminal: this.key, intent, state: 'pending', createdAt: this.serverTime, attempts: 1 };
    paper.entries.set(id, entry);
    return new Promise((resolve) => {
      setImmediate(() => {
        const result = paper.execute(intent, true);
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
    const b = this.paperAccount.broker;
    if (!b) throw new RequestError('DISCONNECTED', 'the paper account is not seeded yet: no terminal has connected');
    return b;
  }

  /** The account, positions and orders as the paper broker has them now; with `emit`, told as the EA tells them. */
  private refresh(emit: boolean): void {
    const b = this.paperAccount.broker;
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
    if (!emit || this.paperAccount.replaying) return;
    this.emit('positions', this.positions);
    this.emit('orders', this.orders);
    this.emit('account', this.account);
  }

  /** Stop writing; resolves when a compaction under way has ended (the folder may then be opened again). */
  close(): Promise<void> {
    return this.paperAccount.close();
  }
}
