/**
 * The simulated terminal behind a harness-built EA. It runs the EA binary as a child process and answers
 * its terminal calls (account, symbols, ticks, rates, positions, orders, history, OrderSend) over the
 * JSON-lines channel on the child's stdin/stdout. Trading goes to the broker the test passes in — the
 * project's one broker model (src/sim/broker.ts) — never to a second one written here.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { TIMEFRAME_PERIOD } from '../../../src/protocol/contract.js';
import { TIMEFRAME_SECONDS, type BarTuple, type TickTuple, type Timeframe } from '../../../src/protocol/messages.js';
import { TRADE_ACTION, type TradeRequest, type TradeResult } from '../../../src/protocol/mt5.js';
import { RC } from '../../../src/protocol/retcodes.js';

/** What the harness needs of a broker: the shape of SimBroker. */
export interface BrokerLike {
  algoTrading: boolean;
  /** set by the harness: every transaction becomes an OnTradeTransaction event */
  onTx: ((tx: never) => void) | undefined;
  readonly time: number;
  account(): object;
  spec(symbol: string): object | undefined;
  quoteOf(symbol: string): { bid: number; ask: number; timeMsc: number } | undefined;
  quote(symbol: string, bid: number, ask: number, timeMsc: number, continuous?: boolean): void;
  positionList(): object[];
  orderList(): object[];
  deals(fromSec?: number): Array<{ time: number; positionId: bigint }>;
  deal(ticket: bigint): object | undefined;
  orderSend(req: TradeRequestLike): TradeResultLike;
}

// The MT5 request/result shapes and the timeframes are the project's protocol definitions, not copies.
export type TradeRequestLike = TradeRequest;
export type TradeResultLike = TradeResult;

/** MQL5 ENUM_TIMEFRAMES values of the protocol's timeframes (the protocol's table, not a copy). */
export const PERIOD: Readonly<Record<string, number>> = TIMEFRAME_PERIOD;
const PERIOD_SECONDS: Readonly<Record<number, number>> = Object.fromEntries(
  Object.entries(TIMEFRAME_PERIOD).map(([tf, p]) => [p, TIMEFRAME_SECONDS[tf as Timeframe]]),
);

export type Bar = BarTuple;
export type Tick = TickTuple;

export interface OrderSendRecord {
  request: TradeRequestLike;
  result: TradeResultLike;
  /** rejected by the harness's fault injection, not by the broker */
  injected: boolean;
  /** MqlTradeRequest.type_time (not part of the broker's request shape) */
  typeTime: number;
}

export interface HarnessTerminalOptions {
  binary: string;
  broker: BrokerLike;
  /** the chart the EA is attached to: its ticks raise OnTick */
  chartSymbol: string;
  /** input overrides by name */
  inputs?: Record<string, string | number | boolean>;
  terminal?: { build?: number; name?: string; company?: string; dataPath?: string };
  /** broker server time minus UTC, s */
  serverTimeOffset?: number;
  /** simulate the terminal's timer resolution (the real one fires every 10–16 ms at best) */
  timerResolutionMs?: number;
  /** Sleep(n) lasts a multiple of this, as with Windows' default 15.6 ms timer (e.g. 16; default: as asked) */
  sleepGranularityMs?: number;
  /** SocketIsReadable answers 1 with nothing to read, as the terminal may */
  speculativeReadable?: boolean;
  /** terminal events (tick, book, trade transaction) beyond this many queued are dropped (default 1024) */
  eventQueue?: number;
  /** the terminal's MQL5\Files folder (default: a fresh temporary one per terminal); the same folder for two runs is an EA restart */
  filesDir?: string;
  /** a broker that rewrites order comments: what positions, orders and deals show instead of the comment sent */
  rewriteComment?: (comment: string) => string;
  /**
   * After every OrderSend, the next `lag` reads of positions and of the deal history still show the state from
   * before it (a DONE result does not mean the terminal's own lists have caught up).
   */
  stateLag?: number;
  env?: Record<string, string>;
}

/** What the runtime measured (HarnessTerminal.stats). */
export interface HarnessStats {
  rpcs: number;
  /** the longest time the program spent in one event handler, terminal calls excluded, µs */
  maxHandlerUs: number;
  maxHandler: string;
  /** handler calls so far */
  books: number;
  txs: number;
  ticks: number;
  timers: number;
  /** terminal events dropped because the queue was full */
  dropped: number;
  /** the most time one handler spent in Sleep, µs */
  maxSleepUs: number;
  /** the longest single SocketConnect or SocketSend, µs, and which */
  maxSocketUs: number;
  maxSocketCall: string;
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
const big = (v: unknown): bigint => (typeof v === 'string' && v !== '' ? BigInt(v) : typeof v === 'number' ? BigInt(v) : 0n);

export class HarnessTerminal extends EventEmitter {
  readonly opts: HarnessTerminalOptions;
  readonly broker: BrokerLike;
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly ticks = new Map<string, Tick[]>();
  private readonly bars = new Map<string, Bar[]>();
  private readonly failFillingModes = new Map<number, number>();
  /** symbols with a MarketBookAdd subscription (their quotes raise OnBookEvent) */
  readonly books = new Set<string>();
  /** symbols the terminal has no current quote for (SymbolInfoTick fails: not synchronised yet, a lost link) */
  readonly noQuote = new Set<string>();
  private pingCounter = 0;
  private readonly pings = new Map<number, (stats: HarnessStats) => void>();
  private readonly ownFilesDir: string | undefined;
  readonly filesDir: string;
  /** OrderSend moments the positions and history reads lag behind (opts.stateLag) */
  private lagLeft = 0;
  private lagged: { positions: object[]; deals: Set<bigint> } | undefined;
  readonly orderSends: OrderSendRecord[] = [];
  readonly prints: string[] = [];
  readonly alerts: string[] = [];
  stderr = '';
  initCode: number | undefined;
  rpcs = 0;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(opts: HarnessTerminalOptions) {
    super();
    this.opts = opts;
    this.broker = opts.broker;
    this.broker.onTx = (tx: object) => this.send({ e: 'tx', ...tx });
    if (opts.filesDir) this.filesDir = opts.filesDir;
    else this.filesDir = this.ownFilesDir = mkdtempSync(path.join(os.tmpdir(), 'mqlrt-files-'));
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Start the EA; resolves with OnInit's return code. */
  start(): Promise<number> {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...(this.opts.env ?? {}), MQLRT_SYMBOL: this.opts.chartSymbol };
    for (const [k, v] of Object.entries(this.opts.inputs ?? {})) env[`MQL_INPUT_${k}`] = typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
    if (this.opts.timerResolutionMs) env.MQLRT_TIMER_RESOLUTION_MS = String(this.opts.timerResolutionMs);
    if (this.opts.sleepGranularityMs) env.MQLRT_SLEEP_GRANULARITY_MS = String(this.opts.sleepGranularityMs);
    if (this.opts.speculativeReadable) env.MQLRT_SPECULATIVE_READABLE = '1';
    if (this.opts.eventQueue) env.MQLRT_EVENT_QUEUE = String(this.opts.eventQueue);
    env.MQLRT_FILES_DIR = this.filesDir;
    const child = spawn(this.opts.binary, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdin.on('error', () => undefined); // the EA may exit while a line is on its way
    child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      if (this.stderr.length > 1_000_000) this.stderr = this.stderr.slice(-500_000);
    });
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => this.onLine(line));
    return new Promise((resolve, reject) => {
      const onInit = (rc: number): void => {
        child.off('exit', onExit);
        resolve(rc);
      };
      const onExit = (code: number | null, signal: string | null): void => {
        this.off('init', onInit);
        reject(new Error(`the EA exited before OnInit returned (code ${code}, signal ${signal}): ${this.stderr.slice(-2000)}`));
      };
      this.once('init', onInit);
      child.once('exit', onExit);
    });
  }

  private send(msg: object): void {
    if (!this.running) return;
    this.child!.stdin.write(`${json(msg)}\n`);
  }

  private onLine(line: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.stderr += `[harness] not a JSON line from the EA: ${line}\n`;
      return;
    }
    if (typeof m.c === 'string') {
      this.rpcs++;
      let r: unknown;
      try {
        r = this.call(m.c, (m.a ?? {}) as Record<string, unknown>);
      } catch (e) {
        this.stderr += `[harness] ${m.c} failed: ${(e as Error).stack}\n`;
        r = null;
      }
      this.send({ r: r ?? null });
      return;
    }
    switch (m.n) {
      case 'print':
        this.prints.push(String(m.s));
        this.emit('print', String(m.s));
        return;
      case 'alert':
        this.alerts.push(String(m.s));
        this.emit('alert', String(m.s));
        return;
      case 'init':
        this.initCode = Number(m.rc);
        this.emit('init', this.initCode);
        return;
      case 'pong': {
        const r = this.pings.get(Number(m.id));
        this.pings.delete(Number(m.id));
        r?.(m as unknown as HarnessStats);
        return;
      }
      default:
        this.emit('note', m);
    }
  }

  // ------------------------------------------------------------------------------------ the terminal
  private call(fn: string, a: Record<string, unknown>): unknown {
    const b = this.broker;
    switch (fn) {
      case 'account':
        return b.account();
      case 'terminal':
        return {
          build: this.opts.terminal?.build ?? 4755,
          name: this.opts.terminal?.name ?? 'MetaTrader 5 (mql-test-harness)',
          company: this.opts.terminal?.company ?? 'mql-test-harness',
          dataPath: this.opts.terminal?.dataPath ?? 'C:\\Users\\trader\\AppData\\Roaming\\MetaQuotes\\Terminal\\HARNESS',
          tradeAllowed: b.algoTrading,
          timeMsc: b.time,
          serverTimeOffset: this.opts.serverTimeOffset ?? 7200,
        };
      case 'symbol': {
        const sym = String(a.symbol);
        const spec = b.spec(sym) as Record<string, unknown> | undefined;
        if (!spec) return { exists: false };
        const q = b.quoteOf(sym);
        const out: Record<string, unknown> = { ...spec, exists: true };
        if (q && !this.noQuote.has(sym)) {
          out.bid = q.bid;
          out.ask = q.ask;
          out.timeMsc = q.timeMsc;
          out.spread = Math.round((q.ask - q.bid) / Number(spec.point));
        }
        return out;
      }
      case 'ticks': {
        const list = this.ticks.get(String(a.symbol));
        if (!list) return [];
        const from = Number(a.from ?? 0);
        const to = Number(a.to ?? 0);
        let lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (list[mid]![0] < from) lo = mid + 1;
          else hi = mid;
        }
        const out: Tick[] = [];
        const count = Number(a.count ?? 0);
        for (let i = lo; i < list.length; i++) {
          if (to > 0 && list[i]![0] > to) break;
          out.push(list[i]!);
          if (count > 0 && out.length >= count) break;
          if (out.length >= 100_000) break;
        }
        return out;
      }
      case 'rates':
        return this.rates(String(a.symbol), Number(a.period), a);
      case 'positions':
        return this.rewrite(this.lag()?.positions ?? b.positionList());
      case 'orders':
        return this.rewrite(b.orderList());
      case 'history': {
        const lag = this.lag();
        const seen = (d: object): boolean => !lag || lag.deals.has((d as { ticket: bigint }).ticket);
        if (a.deal !== undefined) {
          const d = b.deal(big(a.deal));
          return d && seen(d) ? this.rewrite([d]) : [];
        }
        if (a.position !== undefined) {
          const id = big(a.position);
          return this.rewrite(b.deals(0).filter((d) => d.positionId === id && seen(d)));
        }
        const to = Number(a.to ?? 0);
        return this.rewrite(b.deals(Number(a.from ?? 0)).filter((d) => (to <= 0 || d.time <= to) && seen(d)));
      }
      case 'bookAdd': {
        const sym = String(a.symbol);
        if (!b.spec(sym)) return false;
        this.books.add(sym);
        return true;
      }
      case 'bookRelease':
        return this.books.delete(String(a.symbol));
      case 'orderSend':
      case 'orderCheck':
        return this.orderSend(a, fn === 'orderCheck');
      default:
        throw new Error(`the harness terminal does not implement ${fn}`);
    }
  }

  /** the broker's comment rewriting (opts.rewriteComment) on what the terminal shows */
  private rewrite(list: object[]): object[] {
    const f = this.opts.rewriteComment;
    if (!f) return list;
    return list.map((x) => ('comment' in x ? { ...x, comment: f(String((x as { comment: unknown }).comment)) } : x));
  }

  /** the state from before the last OrderSend while opts.stateLag reads are left */
  private lag(): { positions: object[]; deals: Set<bigint> } | undefined {
    if (this.lagLeft <= 0) return undefined;
    this.lagLeft--;
    return this.lagged;
  }

  private rates(symbol: string, period: number, a: Record<string, unknown>): Bar[] | null {
    const closed = this.bars.get(`${symbol}|${period}`);
    if (!closed) return null;
    const sec = PERIOD_SECONDS[period] ?? 60;
    const all: Bar[] = [...closed];
    const q = this.broker.quoteOf(symbol);
    const last = closed[closed.length - 1];
    if (last && q) all.push([last[0] + sec, q.bid, q.bid, q.bid, q.bid, 1, 0, 0]); // the bar still forming
    if (a.pos !== undefined) {
      const pos = Number(a.pos);
      const count = Number(a.count);
      const end = all.length - pos;
      return all.slice(Math.max(0, end - count), Math.max(0, end));
    }
    const start = Number(a.start);
    if (a.stop !== undefined) {
      const stop = Number(a.stop);
      return all.filter((x) => x[0] >= start && x[0] <= stop);
    }
    const upTo = all.filter((x) => x[0] <= start);
    return upTo.slice(Math.max(0, upTo.length - Number(a.count)));
  }

  private orderSend(a: Record<string, unknown>, checkOnly: boolean): Record<string, unknown> {
    const req: TradeRequestLike = {
      action: Number(a.action),
      magic: Number(a.magic ?? 0),
      symbol: String(a.symbol ?? ''),
      volume: Number(a.volume ?? 0),
      price: Number(a.price ?? 0),
      stoplimit: Number(a.stoplimit ?? 0),
      sl: Number(a.sl ?? 0),
      tp: Number(a.tp ?? 0),
      deviation: Number(a.deviation ?? 0),
      type: Number(a.type ?? 0),
      typeFilling: Number(a.type_filling ?? 0),
      expiration: Number(a.expiration ?? 0),
      comment: String(a.comment ?? ''),
    };
    const order = big(a.order);
    const position = big(a.position);
    const positionBy = big(a.position_by);
    if (order) req.order = order;
    if (position) req.position = position;
    if (positionBy) req.positionBy = positionBy;
    if (!req.price) delete req.price;
    let result: TradeResultLike;
    let injected = false;
    const fail = this.failFillingModes.get(req.typeFilling ?? -1) ?? 0;
    if (this.opts.stateLag && !checkOnly) {
      this.lagged = { positions: this.broker.positionList(), deals: new Set(this.broker.deals(0).map((d) => (d as unknown as { ticket: bigint }).ticket)) };
      this.lagLeft = this.opts.stateLag;
    }
    if (checkOnly) {
      result = { retcode: 0, deal: 0n, order: 0n, volume: 0, price: 0, bid: 0, ask: 0, comment: 'OrderCheck is not simulated', requestId: 0, retcodeExternal: 0 };
    } else if ((req.action === TRADE_ACTION.DEAL || req.action === TRADE_ACTION.PENDING) && fail > 0) {
      // the dealer refuses this filling mode although the symbol advertises it
      this.failFillingModes.set(req.typeFilling!, fail - 1);
      injected = true;
      const q = req.symbol ? this.broker.quoteOf(req.symbol) : undefined;
      result = { retcode: RC.INVALID_FILL, deal: 0n, order: 0n, volume: 0, price: 0, bid: q?.bid ?? 0, ask: q?.ask ?? 0, comment: 'Unsupported filling mode', requestId: 0, retcodeExternal: 0 };
    } else {
      result = this.broker.orderSend(req);
    }
    this.orderSends.push({ request: req, result, injected, typeTime: Number(a.type_time ?? 0) });
    this.emit('orderSend', req, result);
    return {
      retcode: result.retcode, deal: result.deal.toString(), order: result.order.toString(), volume: result.volume, price: result.price,
      bid: result.bid, ask: result.ask, comment: result.comment, request_id: result.requestId, retcode_external: result.retcodeExternal,
    };
  }

  // ------------------------------------------------------------------------------------ what a test drives
  /** A tick: the broker trades on it, CopyTicksRange sees it; OnTick runs on the chart symbol, OnBookEvent on a symbol with a book subscription. */
  tick(symbol: string, bid: number, ask: number, timeMsc: number): void {
    this.broker.quote(symbol, bid, ask, timeMsc);
    let list = this.ticks.get(symbol);
    if (!list) this.ticks.set(symbol, (list = []));
    list.push([timeMsc, bid, ask, 0, 0, 6]);
    if (symbol === this.opts.chartSymbol) this.send({ e: 'tick' });
    if (this.books.has(symbol)) this.send({ e: 'book', symbol });
  }

  /** Many ticks of a symbol at once, oldest first (the broker quotes the last): no event is raised. */
  addTicks(symbol: string, ticks: Tick[]): void {
    let list = this.ticks.get(symbol);
    if (!list) this.ticks.set(symbol, (list = []));
    for (const t of ticks) list.push(t);
    const last = ticks[ticks.length - 1];
    if (last) this.broker.quote(symbol, last[1], last[2], last[0]);
  }

  /** Closed bars of a symbol/timeframe (appended; CopyRates serves them, the newest last). */
  addBars(symbol: string, timeframe: string, bars: Bar[]): void {
    const key = `${symbol}|${PERIOD[timeframe]}`;
    const list = this.bars.get(key) ?? [];
    list.push(...bars);
    this.bars.set(key, list);
  }

  /** `count` book events of `symbol` in one burst (OnBookEvent, no new quote). */
  bookBurst(symbol: string, count: number): void {
    if (!this.running) return;
    this.child!.stdin.write(`${JSON.stringify({ e: 'book', symbol })}\n`.repeat(count));
  }

  /** The trader changes the inputs: OnDeinit(REASON_PARAMETERS), then OnInit with them; resolves with its code. */
  reinit(inputs: Record<string, string | number | boolean>): Promise<number> {
    return new Promise((resolve) => {
      this.once('init', resolve);
      this.send({ e: 'reinit', inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v)])) });
    });
  }

  /** What the runtime measured so far (after every event sent before is handled). */
  stats(): Promise<HarnessStats> {
    return this.sync();
  }

  /** Forget the longest handler time measured so far. */
  resetStats(): void {
    this.send({ e: 'resetStats' });
  }

  /** The next `times` market or pending orders sent with ORDER_FILLING `mode` get RC.INVALID_FILL from the dealer. */
  failFilling(mode: number, times = 1): void {
    this.failFillingModes.set(mode, times);
  }

  /** Resolves once the EA has handled every event sent before. */
  sync(timeoutMs = 10_000): Promise<HarnessStats> {
    const id = ++this.pingCounter;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        reject(new Error(`the EA did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(id, (stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      this.send({ e: 'ping', id });
    });
  }

  /** Wait until `pred` holds (checked on every line from the EA and every 5 ms). */
  async waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; EA output:\n${this.prints.slice(-20).join('\n')}\n${this.stderr.slice(-2000)}`);
      if (!this.running && !pred()) throw new Error(`the EA exited while waiting for ${what}: ${this.stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Remove the EA as the terminal does: OnDeinit, then exit. */
  async stop(reason = 1): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.child) return { code: 0, signal: null };
    if (this.running) this.send({ e: 'stop', reason });
    const killer = setTimeout(() => this.child?.kill('SIGKILL'), 5000);
    const r = await this.exited!;
    clearTimeout(killer);
    if (this.ownFilesDir) rmSync(this.ownFilesDir, { recursive: true, force: true });
    return r;
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }
}
