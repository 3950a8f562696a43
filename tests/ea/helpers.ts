/** Building the project's MQL5 programs with the mql-test-harness (cached between runs and workers), and the rigs the EA tests share. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, expect } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { parseBars } from '../../src/engine/bars.js';
import { BridgeServer, type Terminal } from '../../src/host/bridge/server.js';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { generateToken } from '../../src/host/state/token.js';
import { startHost as startWholeHost, type RunningHost } from '../../src/host/start.js';
import { decodeMessage, encodeMessage } from '../../src/protocol/codec.js';
import { MsgType, TYPE_NAME, type AnyMsg } from '../../src/protocol/messages.js';
import type { SimBroker } from '../../src/sim/broker.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { barTupleAt } from '../../src/sim/terminal.js';
import { buildEa, type BuildResult } from '../../tools/mql-test-harness/src/build.js';
import { HarnessTerminal, type Bar, type HarnessTerminalOptions } from '../../tools/mql-test-harness/src/terminal.js';
import { MONDAY_10H, freePort, makeBroker, until } from '../helpers.js';

export const MQL5_DIR = path.resolve('mql5');
export const INCLUDE_ROOT = path.join(MQL5_DIR, 'Include');
export const BRIDGE_EA = path.join(MQL5_DIR, 'Experts', 'ExecutorBridge.mq5');
export const ECHO_EA = path.resolve('tests', 'mql', 'MsgPackEcho.mq5');

export function build(entry: string, sanitize = false): Promise<BuildResult> {
  return buildEa({ entry, includeRoot: INCLUDE_ROOT, sanitize });
}

/**
 * For a test file of the bridge EA: builds it once (beforeAll), stops what each test started (afterEach). `binary()`
 * is the built EA, `eaRig` the rig on it.
 */
export function bridgeEaSuite(): { binary: () => string; eaRig: (opts?: EaRigOptions) => Promise<EaRig> } {
  let binary = '';
  afterEach(runCleanups);
  beforeAll(async () => {
    binary = (await build(BRIDGE_EA)).binary;
  }, 120_000);
  return { binary: () => binary, eaRig: (opts = {}) => eaRig(binary, opts) };
}

/** What a test started; `runCleanups` (in afterEach) stops it, newest first. */
export const cleanups: Array<() => unknown> = [];
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export const H1 = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));
export const h1Bars = (from: number, to: number): Bar[] => {
  const out: Bar[] = [];
  for (let i = from; i < to; i++) out.push(barTupleAt(H1, i) as Bar);
  return out;
};

export function twoSymbolBroker(over: Parameters<typeof makeBroker>[0] = {}, extra: Parameters<typeof symbolSpec>[] = []): SimBroker {
  return makeBroker(over, [symbolSpec('EURUSD', { commissionPerLot: 0 }), symbolSpec('GBPUSD', { commissionPerLot: 0 }), ...extra.map((a) => symbolSpec(...a))]);
}

export interface EaRig {
  server: BridgeServer;
  token: string;
  port: number;
  ea: HarnessTerminal;
  broker: SimBroker;
  terminal: Terminal;
}

export async function startHost(token: string, port = 0, over: Partial<ConstructorParameters<typeof BridgeServer>[0]> = {}): Promise<BridgeServer> {
  const server = new BridgeServer({ token, port, symbols: ['EURUSD', 'GBPUSD'], bars: [['EURUSD', 'H1']], heartbeatMs: 2000, ...over });
  await server.start();
  return server;
}

/**
 * The whole host (`startHost` of src/host/start.ts, its API off, info logs into `lines`) on a fresh data folder, with
 * the real EA built by the harness (its binary: `binary`) on `broker` pointed at its bridge — not started: the test
 * gives it its history and first ticks, then `ea.start()`. Both stopped by the suite's cleanups.
 */
export async function wholeHostWithEa(binary: string, broker: SimBroker, paper: boolean, dir = mkdtempSync(path.join(tmpdir(), 'mt5x-ea-host-'))): Promise<{ host: RunningHost; ea: HarnessTerminal; lines: string[]; dir: string }> {
  const bridgePort = await freePort();
  const lines: string[] = [];
  const host = await startWholeHost({
    env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_ENABLED: 'false', MT5X_NO_KEYCHAIN: '1', MT5X_PRIME_AT_START: 'false', MT5X_LOG_LEVEL: 'info' },
    logDestination: new Writable({ write(c: Buffer, _e, cb) { lines.push(...c.toString().split('\n').filter(Boolean)); cb(); } }),
    out: () => {},
    now: () => Math.floor(broker.time / 1000),
    paper,
  });
  const token = (await openCredentialStore(dir, { preferKeychain: false })).get('bridgeToken')!;
  const ea = new HarnessTerminal({ binary, broker, chartSymbol: 'EURUSD', inputs: { InpPort: bridgePort, InpToken: token, InpTimerMs: 5 } });
  cleanups.push(async () => {
    await ea.stop();
    await host.stop();
  });
  return { host, ea, lines, dir };
}

export interface EaRigOptions {
  inputs?: Record<string, string | number>;
  broker?: SimBroker;
  /** a token other than the host's (the EA is then not expected to connect) */
  token?: string;
  /** H1 bars of EURUSD before the EA starts (default true) */
  bars?: boolean;
  host?: Partial<ConstructorParameters<typeof BridgeServer>[0]>;
  terminal?: Partial<HarnessTerminalOptions>;
}

/** The real host and the real EA (harness-built) on one SimBroker, connected and welcomed. */
export async function eaRig(binary: string, opts: EaRigOptions = {}): Promise<EaRig> {
  const token = generateToken();
  const server = await startHost(token, 0, opts.host);
  const broker = opts.broker ?? twoSymbolBroker();
  const ea = new HarnessTerminal({
    binary, broker, chartSymbol: 'EURUSD', ...opts.terminal,
    inputs: { InpPort: server.port, InpToken: opts.token ?? token, InpTimerMs: 5, ...opts.inputs },
  });
  const rig = { server, token, port: server.port, ea, broker, terminal: undefined as unknown as Terminal };
  cleanups.push(async () => {
    await ea.stop();
    await rig.server.stop();
  });
  ea.tick('EURUSD', 1.1, 1.10002, MONDAY_10H);
  ea.tick('GBPUSD', 1.27, 1.27003, MONDAY_10H);
  if (opts.bars !== false) ea.addBars('EURUSD', 'H1', h1Bars(0, 100));
  expect(await ea.start()).toBe(0);
  if (opts.token === undefined) {
    rig.terminal = server.terminal('1001@Sim-Test');
    await until(() => rig.terminal.connected, 5000, 'EA connected');
    await ea.waitFor(() => ea.prints.some((p) => p.includes('connected to the host')), 5000, 'WELCOME handled');
  }
  return rig;
}

export const open = (intentId: string, over: object = {}) => ({
  type: 'OPEN' as const, intentId, magic: 7001, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10, ...over,
});

export interface FixtureHost {
  port: number;
  /** every message the EA sent, decoded */
  got: AnyMsg[];
  raw: Buffer[];
  /** connections accepted so far */
  connections: number;
  wss: WebSocketServer;
}

/**
 * A protocol peer written in the test (a fixture in place of the host) to send what the real host never sends.
 * `onHello` runs on each HELLO with that connection's number (1, 2, …).
 */
export async function fixtureHost(onHello: (ws: WebSocket, send: (name: never, body: object) => void, connection: number) => void): Promise<FixtureHost> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const fx: FixtureHost = { port: (wss.address() as { port: number }).port, got: [], raw: [], connections: 0, wss };
  wss.on('connection', (ws) => {
    const n = ++fx.connections;
    let seq = 0;
    const send = (name: never, body: object): void => ws.send(encodeMessage(name, ++seq, body as never));
    ws.on('message', (d) => {
      fx.raw.push(d as Buffer);
      const m = decodeMessage(d as Buffer);
      fx.got.push(m);
      if (m.type === MsgType.HELLO) onHello(ws, send, n);
    });
  });
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });
  return fx;
}

/** The WELCOME a fixture host sends. */
export const welcome = (over: object = {}) => ({ protocol: 1, sessionId: 'fx', heartbeatMs: 5000, maxFrame: 4194304, symbols: [], bars: [], ...over });

/**
 * A lossy link between the simulated terminal and the host — a fixture standing in for the network, on real
 * sockets: every frame is passed on unchanged unless `drop` says to lose it (or `rewrite` changes it). Both sides
 * keep one connection the whole time.
 */
export async function lossyLink(target: string, rule: { drop?: (m: AnyMsg, dir: 'up' | 'down') => boolean; rewrite?: (m: AnyMsg, dir: 'up' | 'down') => AnyMsg | undefined }) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const stats = { dropped: 0, rewritten: 0, connections: 0 };
  const pass = (data: Buffer, dir: 'up' | 'down', to: WebSocket) => {
    const m = decodeMessage(data);
    if (rule.drop?.(m, dir)) {
      stats.dropped++;
      return;
    }
    const changed = rule.rewrite?.(m, dir);
    if (changed) stats.rewritten++;
    const { type, seq, ...body } = changed ?? m;
    to.send(changed ? encodeMessage(TYPE_NAME[type]!, seq, body as never) : data);
  };
  wss.on('connection', (down) => {
    stats.connections++;
    const up = new WebSocket(target, { perMessageDeflate: false });
    const early: Buffer[] = [];
    up.on('open', () => early.splice(0).forEach((d) => pass(d, 'up', up)));
    down.on('message', (d) => (up.readyState === WebSocket.OPEN ? pass(d as Buffer, 'up', up) : early.push(d as Buffer)));
    up.on('message', (d) => pass(d as Buffer, 'down', down));
    down.on('close', () => up.close());
    up.on('close', () => down.close());
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    stats,
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise((r) => wss.close(r));
    },
  };
}

export { seeded } from '../helpers.js';
