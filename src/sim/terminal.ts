/**
 * The simulated MT5 terminal: connects to the host exactly as the EA does (same handshake, same messages,
 * same intent handling through SimEaLogic) and trades against a SimBroker. The host cannot tell it apart
 * from the real EA. Market data is pushed in by a replayer (see replay.ts) or by a test.
 */
import { serverToUtc } from '../engine/time/broker-time.js';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { BarSeries } from '../engine/bars.js';
import { ERROR_CODES } from '../protocol/errors.js';
import { SeqChecker, SeqCounter, decodeMessage, encodeMessage } from '../protocol/codec.js';
import {
  INTENT_TYPES,
  MAX_FRAME_BYTES,
  MsgType,
  PROTOCOL_VERSION,
  TYPE_NAME,
  type AnyMsg,
  type BarTuple,
  type Body,
  type IntentMsg,
  type Msg,
  type MsgTypeName,
  type Timeframe,
} from '../protocol/messages.js';
import type { SimBroker, BrokerTx } from './broker.js';
import { SimEaLogic } from './ea-logic.js';
import { RC, retcodeClass } from '../protocol/retcodes.js';

export interface SimTerminalOptions {
  url: string;
  token: string;
  broker: SimBroker;
  /** Protocol version to announce (tests use a wrong one). */
  protocol?: number;
  build?: number;
  instance?: string;
  /** Broker server time minus UTC, s (GMT+2 by default, like most MT5 brokers in winter). */
  serverTimeOffset?: number;
  /** Reconnect with backoff after a drop, as the EA does. Default on. */
  reconnect?: boolean;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

interface History {
  series: BarSeries;
  /** bars [0, closed) are closed and may be served */
  closed: number;
}

const INTENT_IDS: ReadonlySet<number> = new Set(INTENT_TYPES.map((n) => MsgType[n]));

export class SimTerminal extends EventEmitter {
  readonly broker: SimBroker;
  readonly ea: SimEaLogic;
  readonly opts: SimTerminalOptions;
  private ws: WebSocket | undefined;
  private out = new SeqCounter();
  private inSeq = new SeqChecker();
  private symbols = new Set<string>();
  private barSubs = new Set<string>();
  private readonly histories = new Map<string, History>();
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoff: number;
  private stopped = false;
  private syncCounter = 0;
  private readonly syncs = new Map<number, () => void>();
  private dirty = false;
  /** Frozen: reads and answers nothing (a hung terminal or a half-open socket). */
  private frozen = false;
  welcome: Msg<'WELCOME'> | undefined;
  rejected: Msg<'REJECT'> | undefined;
  connects = 0;
  /** Frames received that were not valid messages (the host must never send one). */
  badFrames = 0;
  /** Fault injection: execute the next N intents, then drop the connection instead of sending the result. */
  loseResults = 0;
  /**
   * Fault injection: answer the next `n` intents 10012 TIMEOUT (ambiguous), as a broker whose trade server did not
   * answer in time does; `executes` says whether the broker executed them all the same (their positions and deals
   * are there) or not (nothing happened).
   */
  ambiguous = { n: 0, executes: false };
  /** Fault injection: leave the next N SNAPSHOT_REQUESTs unanswered (as if their frames were lost). */
  ignoreSnapshots = 0;

  constructor(opts: SimTerminalOptions) {
    super();
    this.opts = opts;
    this.broker = opts.broker;
    this.ea = new SimEaLogic(opts.broker);
    this.backoff = opts.reconnectMinMs ?? 200;
    this.broker.onTx = (tx) => this.onBrokerTx(tx);
  }

  get connected(): boolean {
    return this.welcome !== undefined && this.ws?.readyState === WebSocket.OPEN;
  }

  /** Connect and handshake. Resolves with WELCOME; rejects with the REJECT reason or a socket error. */
  connect(): Promise<Msg<'WELCOME'>> {
    this.stopped = false;
    this.frozen = false;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.opts.url, { perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });
      this.ws = ws;
      this.out = new SeqCounter();
      this.inSeq = new SeqChecker();
      this.welcome = undefined;
      let settled = false;
      ws.on('open', () => {
        const a = this.broker.account();
        this.send('HELLO', {
          protocol: this.opts.protocol ?? PROTOCOL_VERSION,
          token: this.opts.token,
          ea: 'SimTerminal 1.0',
          terminal: { build: this.opts.build ?? 4755, name: 'MetaTrader 5 (simulated)', company: 'mt5-executor sim', instance: this.opts.instance ?? 'sim-1' },
          account: a,
          // the broker's offset at its own clock: its bars are in GMT+2/+3 with New York's DST (the default zone)
          serverTimeOffset: this.opts.serverTimeOffset ?? (a.serverTime ? a.serverTime - serverToUtc(a.serverTime) : 7200),
        });
      });
      ws.on('message', (data) => {
        if (this.frozen) return; // whatever arrives now is lost with the connection
        let msg: AnyMsg;
        try {
          msg = decodeMessage(data as Buffer);
        } catch (e) {
          this.badFrames++;
          this.emit('bad-frame', e);
          return;
        }
        if (msg.type === MsgType.WELCOME && !settled) {
          settled = true;
          this.connects++;
          this.backoff = this.opts.reconnectMinMs ?? 200;
          this.inSeq.check(msg.seq);
          this.onWelcome(msg);
          resolve(msg);
          return;
        }
        if (msg.type === MsgType.REJECT) {
          this.rejected = msg;
          this.emit('rejected', msg);
          if (msg.code === 'BAD_TOKEN' || msg.code === 'VERSION') this.stopped = true; // retrying cannot help
          if (!settled) {
            settled = true;
            reject(new Error(`${msg.code}: ${msg.message}`));
          }
          return;
        }
        this.onMessage(msg);
      });
      ws.on('error', (e) => {
        if (!settled) {
          settled = true;
          reject(e);
        }
      });
      ws.on('close', () => {
        if (this.ws === ws) this.onClose();
        if (!settled) {
          settled = true;
          reject(new Error('connection closed before WELCOME'));
        }
      });
    });
  }

  private onWelcome(m: Msg<'WELCOME'>): void {
    this.welcome = m;
    this.symbols = new Set(m.symbols);
    this.barSubs = new Set(m.bars.map(([s, t]) => `${s}|${t}`));
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.send('PING', { ts: Math.round(performance.now()) }), m.heartbeatMs);
    this.heartbeat.unref();
    this.emit('connected', m);
  }

  private onClose(): void {
    clearInterval(this.heartbeat);
    this.welcome = undefined;
    this.emit('disconnected');
    for (const [, r] of this.syncs) r(); // never leave a replay waiting on a dead socket
    this.syncs.clear();
    if (this.stopped || this.opts.reconnect === false) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.reconnectMaxMs ?? 5000);
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch(() => undefined); // a failed attempt closes, which schedules the next one
    }, delay);
    this.reconnectTimer.unref();
  }

  /** Close for good (no reconnect). */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeat);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'terminal closing');
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }

  /** Cut the connection without a close handshake (a network drop); the terminal then reconnects. */
  drop(): void {
    this.ws?.terminate();
  }

  /** Stop reading and answering (a hung terminal, a half-open socket) until the next connection. */
  freeze(): void {
    this.frozen = true;
    clearInterval(this.heartbeat);
  }

  send<N extends MsgTypeName>(name: N, body: Body<N>): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(encodeMessage(name, this.out.next(), body));
  }

  /** Send raw bytes (tests of malformed frames). */
  sendRaw(data: Buffer | string, binary = true): void {
    this.ws?.send(data, { binary });
  }

  // ------------------------------------------------------------------------------------------ market data

  setHistory(symbol: string, timeframe: Timeframe, series: BarSeries, closed: number): void {
    this.histories.set(`${symbol}|${timeframe}`, { series, closed });
  }

  /** A new quote: the broker trades on it, and subscribed symbols stream it as a tick. */
  quote(symbol: string, bid: number, ask: number, timeMsc: number, continuous = false): void {
    this.broker.quote(symbol, bid, ask, timeMsc, continuous);
    if (this.symbols.has(symbol) && this.connected) {
      this.send('TICKS', { symbol, ticks: [[timeMsc, bid, ask, 0, 0, 6]] });
    }
    this.flushState();
  }

  /** A bar closed: the account (equity moved), then the bar if subscribed. */
  barClosed(symbol: string, timeframe: Timeframe, bar: BarTuple): void {
    const h = this.histories.get(`${symbol}|${timeframe}`);
    if (h) h.closed = Math.max(h.closed, indexOfTime(h.series, bar[0]) + 1);
    if (!this.connected) return;
    // first, so whoever handles BAR sees current equity and each position's current profit (a strategy's own daily
    // loss counts its floating P&L)
    this.send('POSITIONS', { positions: this.broker.positionList() });
    this.send('ACCOUNT', { account: this.broker.account() });
    if (this.barSubs.has(`${symbol}|${timeframe}`)) this.send('BAR', { symbol, timeframe, bar });
  }

  /** Resolves once the host has handled everything sent before (PING/PONG round trip in order). */
  sync(timeoutMs = 10_000): Promise<void> {
    if (!this.connected) return Promise.resolve();
    const ts = -++this.syncCounter; // negative: never confused with heartbeat pings
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.syncs.delete(ts);
        resolve();
      }, timeoutMs);
      timer.unref();
      this.syncs.set(ts, () => {
        clearTimeout(timer);
        resolve();
      });
      this.send('PING', { ts });
    });
  }

  // ------------------------------------------------------------------------------------------ inbound

  private onMessage(msg: AnyMsg): void {
    this.inSeq.check(msg.seq);
    if (INTENT_IDS.has(msg.type)) {
      if (this.ambiguous.n > 0) {
        this.ambiguous.n--;
        if (this.ambiguous.executes) this.ea.handle(msg as IntentMsg);
        this.flushState();
        this.send('INTENT_RESULT', { re: (msg as IntentMsg).id, intentId: (msg as IntentMsg).intentId, duplicate: false, retcode: RC.TIMEOUT, class: retcodeClass(RC.TIMEOUT), comment: 'Request canceled by timeout' });
        return;
      }
      const result = this.ea.handle(msg as IntentMsg);
      if (this.loseResults > 0) {
        this.loseResults--;
        this.drop(); // executed at the broker, but the result never reaches the host
        return;
      }
      this.flushState(); // positions/orders/account before the result, so the host's mirror is current
      this.send('INTENT_RESULT', result);
      this.emit('intent', msg, result);
      return;
    }
    switch (msg.type) {
      case MsgType.PING:
        this.send('PONG', { ts: msg.ts });
        return;
      case MsgType.PONG: {
        const r = this.syncs.get(msg.ts);
        if (r) {
          this.syncs.delete(msg.ts);
          r();
        }
        return;
      }
      case MsgType.SUBSCRIBE:
        this.symbols = new Set(msg.symbols);
        this.barSubs = new Set(msg.bars.map(([s, t]) => `${s}|${t}`));
        return;
      case MsgType.SPEC_REQUEST: {
        const spec = this.broker.spec(msg.symbol);
        if (spec) this.send('SPEC', { re: msg.id, spec });
        else this.send('ERROR', { re: msg.id, code: ERROR_CODES.NOT_FOUND, message: `symbol ${msg.symbol} is not in Market Watch` });
        return;
      }
      case MsgType.HISTORY_REQUEST: {
        const h = this.histories.get(`${msg.symbol}|${msg.timeframe}`);
        if (!h) {
          this.send('ERROR', { re: msg.id, code: ERROR_CODES.NOT_FOUND, message: `no history for ${msg.symbol} ${msg.timeframe}` });
          return;
        }
        const bars: BarTuple[] = [];
        const s = h.series;
        for (let i = lowerBound(s.time, msg.from); i < h.closed && bars.length < msg.count; i++) bars.push(barTupleAt(s, i));
        this.send('HISTORY', { re: msg.id, symbol: msg.symbol, timeframe: msg.timeframe, bars });
        return;
      }
      case MsgType.SNAPSHOT_REQUEST:
        if (this.ignoreSnapshots > 0) {
          this.ignoreSnapshots--;
          return;
        }
        this.send('SNAPSHOT', {
          re: msg.id, account: this.broker.account(), positions: this.broker.positionList(), orders: this.broker.orderList(),
          deals: this.broker.deals(msg.dealsFrom),
        });
        return;
      case MsgType.ERROR:
        this.emit('host-error', msg);
        return;
      default:
        this.send('ERROR', { code: ERROR_CODES.UNEXPECTED, message: `the terminal does not handle ${TYPE_NAME[msg.type]}` });
    }
  }

  private onBrokerTx(tx: BrokerTx): void {
    this.dirty = true;
    if (this.connected) this.send('TRADE_TX', tx);
  }

  /** After trade changes: positions, orders and account, as the EA sends them from OnTrade. */
  private flushState(): void {
    if (!this.dirty || !this.connected) return;
    this.dirty = false;
    this.send('POSITIONS', { positions: this.broker.positionList() });
    this.send('ORDERS', { orders: this.broker.orderList() });
    this.send('ACCOUNT', { account: this.broker.account() });
  }
}

export function barTupleAt(s: BarSeries, i: number): BarTuple {
  return [s.time[i]!, s.open[i]!, s.high[i]!, s.low[i]!, s.close[i]!, s.tickVolume[i]!, s.spread[i]!, s.realVolume[i]!];
}

function lowerBound(a: Float64Array, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOfTime(s: BarSeries, t: number): number {
  const i = lowerBound(s.time, t);
  return i < s.length && s.time[i] === t ? i : i - 1;
}

