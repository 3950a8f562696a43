import { StrategyError, normalizeStrategy } from '../src/engine/strategy/normalize.js';
import { createServer as createNetServer } from 'node:net';
import { BridgeServer, type BridgeOptions, type Terminal } from '../src/host/bridge/server.js';
import { generateToken } from '../src/host/state/token.js';
import type { Body, MsgTypeName } from '../src/protocol/messages.js';
import { SimBroker, type BrokerConfig, type SimSymbolSpec } from '../src/sim/broker.js';
import { symbolSpec } from '../src/sim/symbols.js';
import { SimTerminal, type SimTerminalOptions } from '../src/sim/terminal.js';

/** Tickets above 2^53: any code path that turns a ticket into a float loses the last digits. */
export const BIG_TICKET = 2n ** 53n + 11n;

/** Monday 2024-01-08 10:00:00 server time, in ms. */
export const MONDAY_10H = Date.UTC(2024, 0, 8, 10, 0, 0);

export function makeBroker(over: Partial<BrokerConfig> = {}, symbols: SimSymbolSpec[] = [symbolSpec('EURUSD', { commissionPerLot: 0 })]): SimBroker {
  return new SimBroker({
    account: { login: 1001, server: 'Sim-Test', currency: 'USD', leverage: 100, marginMode: 2, balance: 10_000 },
    symbols,
    ticketStart: BIG_TICKET,
    ...over,
  });
}

export interface Rig {
  server: BridgeServer;
  token: string;
  url: string;
  terminals: SimTerminal[];
  connect(opts?: Partial<SimTerminalOptions>): Promise<{ sim: SimTerminal; terminal: Terminal }>;
  close(): Promise<void>;
}

/** A real host bridge server on an ephemeral loopback port, and simulated terminals connecting to it. */
export async function startRig(opts: Partial<BridgeOptions> = {}): Promise<Rig> {
  const token = generateToken();
  const server = new BridgeServer({ token, port: 0, symbols: ['EURUSD'], bars: [['EURUSD', 'H1']], ...opts });
  const port = await server.start();
  const url = `ws://127.0.0.1:${port}`;
  const terminals: SimTerminal[] = [];
  return {
    server, token, url, terminals,
    async connect(o = {}) {
      const broker = o.broker ?? makeBroker();
      const sim = new SimTerminal({ url, token, broker, reconnectMinMs: 30, reconnectMaxMs: 200, ...o });
      terminals.push(sim);
      await sim.connect();
      const a = broker.account();
      const terminal = server.terminal(`${a.login}@${a.server}`);
      await until(() => terminal.connected);
      return { sim, terminal };
    },
    async close() {
      for (const t of terminals) await t.close();
      await server.stop();
    },
  };
}

/**
 * Wait for `cond`, polling every 5 ms. The default wait is long (15 s): it returns as soon as the condition holds, and
 * a shared 2-core VM has run these suites 10–18× slower than usual — the wait guards against a hang, not speed.
 */
export async function until(cond: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One valid body for every message type (tickets above 2^53). */
export function sampleBodies(): { [N in MsgTypeName]: Body<N> } {
  const account = {
    login: 51001234, server: 'Broker-Live3', name: 'A Trader', company: 'Broker Ltd', currency: 'USD', currencyDigits: 2,
    leverage: 500, marginMode: 2, tradeMode: 0, balance: 10000.5, credit: 0, equity: 10012.25, profit: 11.75, margin: 21.7,
    freeMargin: 9990.55, marginLevel: 46139.4, stopOutLevel: 50, tradeAllowed: true, serverTime: 1704715200,
  };
  const position = {
    ticket: BIG_TICKET, identifier: BIG_TICKET, symbol: 'EURUSD', type: 0, volume: 0.1, priceOpen: 1.08603, priceCurrent: 1.0872,
    sl: 1.082, tp: 1.09, time: 1704715200, timeMsc: 1704715200123, magic: 7001, comment: 'ix:abc', swap: -0.7, profit: 11.7,
  };
  const order = {
    ticket: BIG_TICKET + 1n, symbol: 'EURUSD', type: 2, volume: 0.2, priceOpen: 1.08, stopLimit: 0, sl: 1.075, tp: 1.09,
    timeSetup: 1704715200, expiration: 0, magic: 7001, comment: 'ix:def',
  };
  const deal = {
    ticket: 2n ** 64n - 1n, order: BIG_TICKET, positionId: BIG_TICKET, symbol: 'EURUSD', type: 0, entry: 0, volume: 0.1,
    price: 1.08603, commission: -0.35, swap: 0, profit: 0, time: 1704715200, timeMsc: 1704715200123, magic: 7001, comment: 'ix:abc', reason: 3,
  };
  const spec = { ...symbolSpec('EURUSD'), tickValue: 1 };
  delete (spec as { commissionPerLot?: number }).commissionPerLot;
  delete (spec as { defaultSpread?: number }).defaultSpread;
  const result = { retcode: 10009, class: 'done' as const, order: BIG_TICKET, deal: BIG_TICKET + 2n, position: BIG_TICKET, volume: 0.1, price: 1.08605, bid: 1.08603, ask: 1.08605, comment: 'Request executed' };
  return {
    HELLO: { protocol: 1, token: 'x'.repeat(32), ea: 'ExecutorBridge 0.1', terminal: { build: 4755, name: 'MetaTrader 5', company: 'Broker Ltd', instance: 'abc123' }, account, serverTimeOffset: 7200 },
    WELCOME: { protocol: 1, sessionId: 's1', heartbeatMs: 5000, maxFrame: 4194304, symbols: ['EURUSD', 'XAUUSD'], bars: [['EURUSD', 'H1']] },
    REJECT: { code: 'BAD_TOKEN', message: 'wrong token' },
    SUBSCRIBE: { symbols: ['EURUSD'], bars: [['EURUSD', 'M15']] },
    TICKS: { symbol: 'EURUSD', ticks: [[1704715200123, 1.08603, 1.08605, 0, 0, 6], [1704715200456, 1.08604, 1.08606, 0, 0, 6]] },
    BAR: { symbol: 'EURUSD', timeframe: 'H1', bar: [1704715200, 1.086, 1.0871, 1.0855, 1.0868, 4992, 10, 0] },
    HISTORY_REQUEST: { id: 7, symbol: 'EURUSD', timeframe: 'H1', from: 1704067200, count: 500 },
    HISTORY: { re: 7, symbol: 'EURUSD', timeframe: 'H1', bars: [[1704715200, 1.086, 1.0871, 1.0855, 1.0868, 4992, 10, 0]] },
    SPEC_REQUEST: { id: 8, symbol: 'EURUSD' },
    SPEC: { re: 8, spec },
    SNAPSHOT_REQUEST: { id: 9, dealsFrom: 1704067200 },
    SNAPSHOT: { re: 9, account, positions: [position], orders: [order], deals: [deal] },
    ACCOUNT: { account },
    POSITIONS: { positions: [position] },
    ORDERS: { orders: [order] },
    TRADE_TX: { txType: 6, deal: BIG_TICKET + 2n, order: BIG_TICKET, position: BIG_TICKET, symbol: 'EURUSD', orderType: 0, orderState: 4, dealType: 0, price: 1.08605, sl: 1.082, tp: 1.09, volume: 0.1, dealEntry: 0, profit: 0, comment: 'ix:abc', timeMsc: 1704715200123 },
    OPEN: { id: 10, intentId: 'demo-1704715200-o', magic: 7001, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 1.082, tp: 1.09, deviation: 20 },
    PLACE_PENDING: { id: 11, intentId: 'p1', magic: 7001, symbol: 'EURUSD', orderType: 2, volume: 0.2, price: 1.08, stopLimit: 0, sl: 1.075, tp: 1.09, expiration: 0 },
    CLOSE: { id: 12, intentId: 'c1', magic: 7001, ticket: BIG_TICKET, volume: 0.05, deviation: 20 },
    MODIFY: { id: 13, intentId: 'm1', magic: 7001, ticket: BIG_TICKET, sl: 1.083, tp: 1.091 },
    MODIFY_ORDER: { id: 14, intentId: 'mo1', magic: 7001, ticket: BIG_TICKET + 1n, price: 1.079, sl: 1.074, tp: 1.089, expiration: 0 },
    CANCEL: { id: 15, intentId: 'x1', magic: 7001, ticket: BIG_TICKET + 1n },
    CLOSE_ALL: { id: 16, intentId: 'all1', magic: 7001, symbol: '', onlyMagic: false, deviation: 30 },
    INTENT_RESULT: { re: 10, intentId: 'demo-1704715200-o', duplicate: false, ...result, results: [{ ticket: BIG_TICKET, ...result }] },
    PING: { ts: 123456 },
    PONG: { ts: 123456 },
    ERROR: { re: 7, code: 'NOT_FOUND', message: 'no history for EURUSD H1' },
  };
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** A minimal strategy in the platform's format: `entry` rules, a fixed lot, and `extra` rules sections. */
export const baseStrategy = (entry: object, extra: object = {}) => ({
  strategyId: 't', symbol: 'EURUSD', timeframe: 'H1', rules: { entry, riskManagement: { lotSize: 0.1 }, ...extra },
});

/** Every problem `normalizeStrategy` finds, as "path: message" (empty: valid). */
export function strategyProblems(input: unknown): string[] {
  try {
    normalizeStrategy(input);
  } catch (e) {
    if (e instanceof StrategyError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

/** A caller of the local HTTP API at `base()` with the bearer token `token()`; JSON bodies parsed. */
export function apiCaller(base: () => string, token: () => string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(base() + path, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text.startsWith('{') || text.startsWith('[') ? (JSON.parse(text) as unknown) : text } as { status: number; headers: Headers; body: any };
  };
}

/** A seeded pseudo-random sequence in [0, 1) (mulberry32): the same choices on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
