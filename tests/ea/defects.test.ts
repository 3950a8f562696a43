/**
 * What an MQL5 expert finds wrong with an EA by reading it (issue 26), each pinned on the real EA source built by
 * the mql-test-harness: the runtime emulates the terminal behaviour each needs (a re-init that keeps globals,
 * Sleep's ~16 ms granularity, SocketIsReadable's speculative 1, every book event queued, a broker that rewrites
 * comments, lists that lag OrderSend) and measures how long the EA holds the terminal's thread.
 */
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { MsgType, type Msg } from '../../src/protocol/messages.js';
import { ORDER_FILLING, SYMBOL_FILLING, SYMBOL_TRADE_EXECUTION } from '../../src/protocol/mt5.js';
import { RC } from '../../src/protocol/retcodes.js';
import type { SimBroker } from '../../src/sim/broker.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { HarnessTerminal, type HarnessTerminalOptions } from '../../tools/mql-test-harness/src/terminal.js';
import { bridgeEaSuite, fixtureHost, h1Bars, open, runCleanups, cleanups, twoSymbolBroker, welcome } from './helpers.js';
import { MONDAY_10H, makeBroker, until } from '../helpers.js';

const suite = bridgeEaSuite();
const eaRig = suite.eaRig;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The EA on `broker` against a fixture host at `port`. */
async function eaAt(port: number, broker: SimBroker, over: Partial<HarnessTerminalOptions> = {}, inputs: Record<string, string | number> = {}): Promise<HarnessTerminal> {
  const ea = new HarnessTerminal({ binary: suite.binary(), broker, chartSymbol: 'EURUSD', ...over, inputs: { InpPort: port, InpToken: 't'.repeat(32), InpTimerMs: 5, ...inputs } });
  cleanups.push(() => ea.stop());
  ea.tick('EURUSD', 1.1, 1.10002, MONDAY_10H);
  expect(await ea.start()).toBe(0);
  return ea;
}

/** an intent as a fixture host sends it (the message type goes in the envelope, not the body) */
const body = (i: { type: string }): object => Object.fromEntries(Object.entries(i).filter(([k]) => k !== 'type'));
const results = (fx: { got: { type: number }[] }) => fx.got.filter((m): m is Msg<'INTENT_RESULT'> => m.type === MsgType.INTENT_RESULT);

describe('issue 26: connection', () => {
  it('A: re-initialised with the right token after BAD_TOKEN (the trader pastes it into the inputs), it connects', async () => {
    const r = await eaRig({ token: 'w'.repeat(32) });
    await r.ea.waitFor(() => r.ea.alerts.length > 0, 5000, 'the BAD_TOKEN alert');
    // the terminal re-runs OnDeinit/OnInit without unloading the EA: every global keeps its value
    expect(await r.ea.reinit({ InpToken: r.token })).toBe(0);
    const terminal = r.server.terminal('1001@Sim-Test');
    await until(() => terminal.connected, 5000, 'connected after the re-init');
    await r.ea.waitFor(() => r.ea.prints.some((p) => p.includes('connected to the host')), 5000, 'WELCOME');
  });

  it('B: a host that completes the handshake and then hangs: the host-lost policy still fires, and no WELCOME within 5 s means reconnect', async () => {
    const fx = await fixtureHost((ws, send, n) => {
      if (n === 1) {
        send('WELCOME' as never, welcome());
        setTimeout(() => ws.terminate(), 100); // the host goes away…
      } // …and what answers next accepts the WebSocket, then says nothing
    });
    const broker = twoSymbolBroker();
    const ea = await eaAt(fx.port, broker, {}, { InpHostLost: 2, InpHostLostGraceSec: 1, InpMagic: 5 });
    ea.tick('EURUSD', 1.1, 1.10002, MONDAY_10H + 1);
    expect(broker.orderSend({ action: 1, symbol: 'EURUSD', type: 0, volume: 0.1, magic: 5, comment: 'mine', typeFilling: 0 }).retcode).toBe(RC.DONE);
    await until(() => fx.connections >= 2, 5000, 'the EA reconnected to the hanging host');
    await ea.waitFor(() => ea.prints.some((p) => /policy close all/.test(p)), 5000, 'the host-lost policy');
    expect(broker.positionList()).toEqual([]);
    await ea.waitFor(() => ea.prints.some((p) => /sent no WELCOME within 5 s; reconnecting/.test(p)), 9000, 'the WELCOME deadline');
    await until(() => fx.connections >= 3, 5000, 'a new attempt after the deadline');
  }, 30_000);

  it('H: a connect or a send never blocks the terminal\'s thread 100 ms: a host that never answers the upgrade', async () => {
    const socks: Socket[] = [];
    const server = createServer((s) => socks.push(s)); // accepts, reads, never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => { for (const s of socks) s.destroy(); server.close(r); }));
    const ea = await eaAt((server.address() as { port: number }).port, twoSymbolBroker());
    await sleep(1500);
    const st = await ea.stats();
    expect(st.maxHandlerUs, `the longest handler: ${st.maxHandler}`).toBeLessThan(100_000);
    expect(st.maxSocketUs, `the longest: ${st.maxSocketCall}`).toBeLessThan(100_000);
    expect(socks.length).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('H: a send to a host that stopped reading gives up within 100 ms (SocketTimeouts) and reconnects, instead of hanging the EA', async () => {
    let paused = false;
    const fx = await fixtureHost((ws, send, n) => {
      send('WELCOME' as never, welcome({ symbols: ['EURUSD', 'GBPUSD'] }));
      if (n === 1) {
        (ws as unknown as { _socket: Socket })._socket.pause(); // the host stops reading
        paused = true;
      }
    });
    const broker = twoSymbolBroker();
    const ea = await eaAt(fx.port, broker);
    ea.tick('GBPUSD', 1.27, 1.27003, MONDAY_10H);
    await until(() => paused, 5000, 'the host paused');
    await sleep(50);
    // 150,000 ticks of GBPUSD to stream: far more than the socket buffers hold
    const ticks: Array<[number, number, number, number, number, number]> = [];
    for (let i = 1; i <= 150_000; i++) ticks.push([MONDAY_10H + i, 1.27 + (i % 100) * 1e-5, 1.27003 + (i % 100) * 1e-5, 0, 0, 6]);
    ea.addTicks('GBPUSD', ticks);
    await ea.waitFor(() => ea.prints.some((p) => /connection to the host lost \(send failed/.test(p)), 15_000, 'the send given up');
    const st = await ea.stats();
    expect(st.maxSocketUs, `the longest: ${st.maxSocketCall}`).toBeLessThan(100_000);
    await until(() => fx.connections >= 2, 5000, 'reconnected');
  }, 30_000);

  it('smaller: a REJECT is one loss, not two (the backoff doubles once: reconnect after 0.5 s, not 1 s)', async () => {
    const hellos: number[] = [];
    const fx = await fixtureHost((_ws, send, n) => {
      hellos.push(Date.now());
      if (n === 1) send('REJECT' as never, { code: 'SHUTDOWN', message: 'the host is shutting down' });
      else send('WELCOME' as never, welcome());
    });
    await eaAt(fx.port, twoSymbolBroker());
    await until(() => hellos.length >= 2, 5000, 'the second HELLO');
    expect(hellos[1]! - hellos[0]!).toBeLessThan(900);
  });

  it('smaller: two EAs on one account: the newest wins and the replaced one says so once and stops (no replace loop)', async () => {
    const first = await eaRig();
    const broker = first.broker;
    const second = new HarnessTerminal({ binary: suite.binary(), broker, chartSymbol: 'GBPUSD', inputs: { InpPort: first.port, InpToken: first.token, InpTimerMs: 5 } });
    cleanups.push(() => second.stop());
    expect(await second.start()).toBe(0);
    await first.ea.waitFor(() => first.ea.alerts.length > 0, 5000, 'the replaced EA\'s alert');
    expect(first.ea.alerts[0]).toMatch(/another ExecutorBridge connected for this account and replaced this one.*Only one may run per account/);
    await sleep(2000);
    expect(first.ea.prints.filter((p) => p.includes('connected to the host'))).toHaveLength(1);
    expect(second.prints.filter((p) => p.includes('connected to the host'))).toHaveLength(1);
    expect(first.ea.alerts).toHaveLength(1);
    expect(first.server.terminal('1001@Sim-Test').connected).toBe(true);
  }, 20_000);
});

describe('issue 26: reading', () => {
  it('smaller: a burst of 20,000 small messages is read in linear time (a consumed frame no longer copies the rest of the buffer)', async () => {
    let ws!: WebSocket;
    let sendPing!: (ts: number) => void;
    const fx = await fixtureHost((w, send) => {
      send('WELCOME' as never, welcome());
      ws = w;
      sendPing = (ts) => send('PING' as never, { ts });
    });
    const ea = await eaAt(fx.port, twoSymbolBroker());
    await until(() => ws !== undefined, 5000, 'connected');
    await ea.waitFor(() => ea.prints.some((p) => p.includes('connected to the host')), 5000, 'WELCOME');
    await ea.sync();
    ea.resetStats();
    // one TCP write: the EA's read buffer holds all of them at once
    (ws as unknown as { _socket: Socket })._socket.cork();
    for (let i = 0; i < 20_000; i++) sendPing(i);
    (ws as unknown as { _socket: Socket })._socket.uncork();
    await until(() => fx.got.filter((m) => m.type === MsgType.PONG).length === 20_000, 20_000, '20,000 PONGs');
    const st = await ea.stats();
    expect(st.maxHandlerUs, `the longest handler: ${st.maxHandler}`).toBeLessThan(200_000); // 1,000 messages a handler (the cap per read), however many are buffered
  });
});

describe('issue 26: streaming', () => {
  it('E: history that arrives after the subscription is a baseline, not a burst of old BARs', async () => {
    const { ea, terminal } = await eaRig({ bars: false });
    const bars: Msg<'BAR'>[] = [];
    terminal.on('bar', (m: Msg<'BAR'>) => bars.push(m));
    await sleep(100);
    ea.addBars('EURUSD', 'H1', h1Bars(0, 30)); // the terminal has loaded the history
    await sleep(400);
    expect(bars).toEqual([]);
    ea.addBars('EURUSD', 'H1', h1Bars(30, 31)); // a bar closes
    await until(() => bars.length === 1, 5000, 'the new BAR');
    await sleep(100);
    expect(bars.map((b) => b.bar)).toEqual(h1Bars(30, 31));
  });

  it('F: 1,000 book events in a burst are coalesced: they do not run the loop 1,000 times nor hold up OnTradeTransaction', async () => {
    const { ea, terminal, broker } = await eaRig();
    expect(ea.books.has('GBPUSD')).toBe(true);
    const txs: Msg<'TRADE_TX'>[] = [];
    terminal.on('tx', (m: Msg<'TRADE_TX'>) => txs.push(m));
    const before = await ea.stats();
    ea.bookBurst('GBPUSD', 1000);
    const r = broker.orderSend({ action: 1, symbol: 'GBPUSD', type: 0, volume: 0.1, magic: 0, comment: 'manual', typeFilling: 0 });
    expect(r.retcode).toBe(RC.DONE);
    await until(() => txs.some((t) => t.deal === r.deal), 5000, 'the TRADE_TX of the manual trade');
    const after = await ea.stats();
    expect(after.books - before.books).toBe(1000); // every book event was queued and handled…
    expect(after.dropped).toBe(0);
    // …but the loop (CopyTicksRange per symbol, CopyRates per bar stream, the state) ran a few times, not 1,000
    expect(after.rpcs - before.rpcs).toBeLessThan(400);
  });

  it('G: the reply wait honours its budget under a 16 ms Sleep', async () => {
    const { ea } = await eaRig({ terminal: { sleepGranularityMs: 16 }, inputs: { InpReplyWaitMs: 2 } });
    await ea.sync();
    ea.resetStats();
    for (let i = 1; i <= 20; i++) {
      ea.tick('EURUSD', 1.1 + i * 1e-5, 1.10002 + i * 1e-5, MONDAY_10H + i * 100);
      await sleep(10);
    }
    const st = await ea.stats();
    expect(st.ticks).toBeGreaterThan(0);
    // a 2 ms budget: no Sleep inside it (one lasts 16 ms here), and no handler near that long (a loose bound: the
    // machine is shared, so wall times have noise; the Sleep time is exact)
    expect(st.maxSleepUs).toBeLessThanOrEqual(2000);
    expect(st.maxHandlerUs, `the longest handler: ${st.maxHandler}`).toBeLessThan(40_000);
  });

  it('G: the reply wait waits even when SocketIsReadable answers 1 speculatively: an intent 4 ms after the ticks runs inside it', async () => {
    let asked = 0;
    const fx = await fixtureHost((ws, send) => {
      send('WELCOME' as never, welcome({ symbols: ['EURUSD'] }));
      ws.on('message', () => {
        if (asked > 0) return;
        const m = fx.got[fx.got.length - 1];
        if (m?.type === MsgType.TICKS && (m as Msg<'TICKS'>).ticks.some((t) => t[0] > MONDAY_10H)) {
          asked++;
          setTimeout(() => send('OPEN' as never, { id: 1, ...body(open('g-1')) }), 4);
        }
      });
    });
    const ea = await eaAt(fx.port, twoSymbolBroker(), { speculativeReadable: true }, { InpTimerMs: 3000, InpReplyWaitMs: 20 });
    // (the handshake goes on in later events: with this slow timer, ticks drive it)
    for (let i = 0; i < 100 && !ea.prints.some((p) => p.includes('connected to the host')); i++) {
      ea.tick('GBPUSD', 1.27, 1.27003, MONDAY_10H); // no event (not subscribed yet): only the next chart tick…
      ea.tick('EURUSD', 1.1, 1.10002, MONDAY_10H); // …at the same time and price: nothing new to stream
      await sleep(20);
    }
    await ea.waitFor(() => ea.prints.some((p) => p.includes('connected to the host')), 5000, 'WELCOME');
    await sleep(50);
    const t0 = Date.now();
    ea.tick('EURUSD', 1.1001, 1.10012, MONDAY_10H + 1000); // OnTick streams it, then waits for the answer
    await until(() => results(fx).length === 1, 5000, 'the result');
    expect(Date.now() - t0).toBeLessThan(1000); // not at the next timer event, 3 s away
    expect(results(fx)[0]).toMatchObject({ intentId: 'g-1', retcode: RC.DONE });
  }, 15_000);
});

describe('issue 26: intents', () => {
  it('C: MODIFY_ORDER keeps a stop-limit order\'s stop-limit price, its symbol and a DAY time type', async () => {
    const { ea, terminal, broker } = await eaRig();
    const r = await terminal.sendIntent({ type: 'PLACE_PENDING', intentId: 'sl-1', magic: 7001, symbol: 'EURUSD', orderType: 6, volume: 0.1, price: 1.105, stopLimit: 1.104, sl: 0, tp: 0, expiration: 0 });
    expect(r.retcode).toBe(RC.DONE);
    const m = await terminal.sendIntent({ type: 'MODIFY_ORDER', intentId: 'sl-2', magic: 7001, ticket: r.order!, price: 1.106, sl: 0, tp: 0, expiration: 0 });
    expect(m.retcode).toBe(RC.DONE);
    const req = ea.orderSends[ea.orderSends.length - 1]!;
    expect(req.request).toMatchObject({ action: 7, order: r.order, symbol: 'EURUSD', stoplimit: 1.104, price: 1.106 });
    expect(broker.orderList()[0]).toMatchObject({ priceOpen: 1.106, stopLimit: 1.104 });
    // a DAY order (the simulated broker keeps no time type: the terminal's view of it is a fixture here)
    const list = broker.orderList.bind(broker);
    broker.orderList = () => list().map((o) => ({ ...o, typeTime: 1 }));
    await terminal.sendIntent({ type: 'MODIFY_ORDER', intentId: 'sl-3', magic: 7001, ticket: r.order!, price: 1.107, sl: 0, tp: 0, expiration: 0 });
    expect(ea.orderSends[ea.orderSends.length - 1]!.typeTime).toBe(1); // ORDER_TIME_DAY, not GTC
  });

  it('I: a DONE result carries deal, order and position although the terminal\'s lists do not show the deal yet', async () => {
    const { terminal } = await eaRig({ terminal: { stateLag: 6 } });
    const r = await terminal.sendIntent(open('i-1'));
    expect(r.retcode).toBe(RC.DONE);
    expect(r.deal).toBeDefined();
    expect(r.order).toBeDefined();
    expect(r.position).toBe(r.order); // hedging: the position is identified by the order that opened it
  });

  it('K: CLOSE without a current quote is refused with 10021, never sent with an unset price', async () => {
    const { ea, terminal } = await eaRig();
    const r = await terminal.sendIntent(open('k-1', { symbol: 'GBPUSD' }));
    expect(r.retcode).toBe(RC.DONE);
    const sends = ea.orderSends.length;
    ea.noQuote.add('GBPUSD');
    const c = await terminal.sendIntent({ type: 'CLOSE', intentId: 'k-2', magic: 7001, ticket: r.position!, volume: 0, deviation: 10 });
    expect(c).toMatchObject({ retcode: RC.PRICE_OFF, class: 'retry' });
    expect(c.comment).toMatch(/no current quote for GBPUSD/);
    expect(ea.orderSends.length).toBe(sends);
    const o = await terminal.sendIntent(open('k-3', { symbol: 'GBPUSD' }));
    expect(o.retcode).toBe(RC.PRICE_OFF);
    expect(ea.orderSends.length).toBe(sends);
  });

  it('L: OPEN on a symbol outside Market Watch selects it and prices it at its quote', async () => {
    const broker = twoSymbolBroker({}, [['USDJPY', { commissionPerLot: 0 }]]);
    const { ea, terminal } = await eaRig({ broker });
    ea.tick('USDJPY', 150.1, 150.102, MONDAY_10H + 10); // not subscribed: no event, no Market Watch entry
    const r = await terminal.sendIntent(open('l-1', { symbol: 'USDJPY' }));
    expect(r.retcode).toBe(RC.DONE);
    expect(ea.orderSends[0]!.request).toMatchObject({ symbol: 'USDJPY', price: 150.102 });
  });

  it('M: a pending order refused with 10030 for RETURN is retried once with the symbol\'s own filling mode', async () => {
    const { ea, terminal } = await eaRig();
    ea.failFilling(ORDER_FILLING.RETURN, 1);
    const r = await terminal.sendIntent({ type: 'PLACE_PENDING', intentId: 'm-1', magic: 7001, symbol: 'EURUSD', orderType: 2, volume: 0.1, price: 1.09, stopLimit: 0, sl: 0, tp: 0, expiration: 0 });
    expect(r.retcode).toBe(RC.DONE);
    expect(ea.orderSends.map((s) => [s.request.typeFilling, s.result.retcode])).toEqual([[ORDER_FILLING.RETURN, 10030], [ORDER_FILLING.FOK, RC.DONE]]);
  });

  it('N: market orders take the filling mode the execution mode allows, first time (Instant: FOK; Exchange: RETURN; Market: the bits)', async () => {
    const { INSTANT, REQUEST, MARKET, EXCHANGE } = SYMBOL_TRADE_EXECUTION;
    const cases: Array<[number, number, number]> = [
      [INSTANT, 0, ORDER_FILLING.FOK],
      [REQUEST, SYMBOL_FILLING.IOC, ORDER_FILLING.FOK],
      [MARKET, SYMBOL_FILLING.IOC | SYMBOL_FILLING.BOC, ORDER_FILLING.IOC],
      [EXCHANGE, SYMBOL_FILLING.BOC, ORDER_FILLING.RETURN],
    ];
    for (const [executionMode, fillingMode, want] of cases) {
      const broker = makeBroker({}, [symbolSpec('EURUSD', { commissionPerLot: 0, executionMode, fillingMode }), symbolSpec('GBPUSD', { commissionPerLot: 0 })]);
      const { ea, terminal } = await eaRig({ broker });
      const r = await terminal.sendIntent(open(`n-${executionMode}`, { price: 1.10002 }));
      expect(r.retcode, `execution ${executionMode}`).toBe(RC.DONE);
      expect(ea.orderSends.map((s) => s.request.typeFilling), `execution ${executionMode}, mask ${fillingMode}`).toEqual([want]);
      await runCleanups();
    }
  }, 40_000);
});

describe('issue 26: state', () => {
  it('J: a snapshot of 50,000 deals crosses the bridge (paged under the frame limit), after which the session is still up', async () => {
    const broker = twoSymbolBroker();
    broker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    for (let i = 0; i < 25_000; i++) {
      broker.orderSend({ action: 1, symbol: 'EURUSD', type: 0, volume: 0.01, typeFilling: 0, magic: 0, comment: 'x' });
      const p = broker.positionList()[0]!;
      broker.orderSend({ action: 1, symbol: 'EURUSD', type: 1, volume: 0.01, typeFilling: 0, magic: 0, comment: 'x', position: p.ticket });
    }
    expect(broker.deals(0).length).toBe(50_000);
    // (each page makes the harness terminal serialise all 50,000 deals for HistorySelect: seconds on a busy machine,
    // which a real terminal does not take; a longer heartbeat keeps the host from calling that a lost EA)
    const { terminal } = await eaRig({ broker, host: { heartbeatMs: 15_000, requestTimeoutMs: 30_000 } });
    const snap = await terminal.snapshot(0);
    expect(snap.deals.length).toBe(50_000);
    expect(new Set(snap.deals.map((d) => d.ticket)).size).toBe(50_000);
    expect(terminal.connected).toBe(true);
    expect((await terminal.spec('EURUSD')).symbol).toBe('EURUSD'); // the session still answers
  }, 120_000);

  it('O: an EA restart with a broker that rewrites comments does not execute a re-sent intent id twice', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ea-files-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const broker = twoSymbolBroker();
    const sendOpenOnHello = (id: number) => (_ws: WebSocket, send: (n: never, b: object) => void) => {
      send('WELCOME' as never, welcome());
      send('OPEN' as never, { id, ...body(open('o-1')) });
    };
    const opts = { filesDir: dir, rewriteComment: () => '' }; // the broker drops the `ix:` comment
    const fx1 = await fixtureHost(sendOpenOnHello(1));
    const ea1 = await eaAt(fx1.port, broker, opts);
    await ea1.waitFor(() => results(fx1).length === 1, 5000, 'the first result');
    expect(results(fx1)[0]).toMatchObject({ duplicate: false, retcode: RC.DONE });
    await ea1.stop();
    // the terminal restarts; the host re-sends the intent it has no result for
    const fx2 = await fixtureHost(sendOpenOnHello(7));
    const ea2 = await eaAt(fx2.port, broker, opts);
    await until(() => results(fx2).length === 1, 5000, 'the answer after the restart');
    expect(results(fx2)[0]).toMatchObject({ re: 7, duplicate: true, retcode: RC.DONE, order: results(fx1)[0]!.order });
    expect(ea2.orderSends).toHaveLength(0);
    expect(broker.positionList()).toHaveLength(1);
  });

  it('O: an EA killed inside OrderSend does not execute the re-sent id after its restart; the answer says the outcome is unknown', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ea-files-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const broker = twoSymbolBroker();
    const fx1 = await fixtureHost((_ws, send) => {
      send('WELCOME' as never, welcome());
      send('OPEN' as never, { id: 1, ...body(open('o-2')) });
    });
    const ea1 = new HarnessTerminal({ binary: suite.binary(), broker, chartSymbol: 'EURUSD', filesDir: dir, inputs: { InpPort: fx1.port, InpToken: 't'.repeat(32), InpTimerMs: 5 } });
    cleanups.push(() => ea1.stop());
    ea1.on('orderSend', () => ea1.kill()); // the broker executed it; the EA never learns the result
    ea1.tick('EURUSD', 1.1, 1.10002, MONDAY_10H);
    await ea1.start();
    await ea1.exited;
    expect(broker.positionList()).toHaveLength(1);
    const fx2 = await fixtureHost((_ws, send) => {
      send('WELCOME' as never, welcome());
      send('OPEN' as never, { id: 2, ...body(open('o-2')) });
    });
    const ea2 = await eaAt(fx2.port, broker, { filesDir: dir });
    await until(() => results(fx2).length === 1, 5000, 'the answer after the restart');
    expect(results(fx2)[0]).toMatchObject({ re: 2, duplicate: true, retcode: 10011, class: 'ambiguous' });
    expect(results(fx2)[0]!.comment).toMatch(/outcome is unknown here/);
    expect(ea2.orderSends).toHaveLength(0);
    expect(broker.positionList()).toHaveLength(1);
  });
});
