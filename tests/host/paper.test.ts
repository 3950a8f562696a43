/**
 * Paper trading on live prices (`start --paper`) with the real host (`startHost`) and the simulated MT5 terminal
 * over the real bridge socket as the market: the paper account trades on its prices, the terminal receives no
 * intent, the local API says paper, and the paper account is the same after a restart (journal.jsonl) — also
 * after a crash that tore its last line; a damaged line stops the start with the file and line named.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { startHost, type RunningHost } from '../../src/host/start.js';
import type { PaperVenue } from '../../src/host/paper/venue.js';
import { PAPER_TICKET_START, paperCommission } from '../../src/host/paper/account.js';
import { testHooks } from '../../src/host/paper/journal-lines.js';
import { DEAL_ENTRY } from '../../src/protocol/mt5.js';
import { replayBars } from '../../src/sim/replay.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import type { SimBroker } from '../../src/sim/broker.js';
import { apiCaller, freePort, makeBroker, until } from '../helpers.js';

const DATA = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 1400);
const HISTORY = 1200;

/** Buys on every bar, holds at most two hours, 15-pip take profit: opens and closes every few bars. */
const always = {
  strategyId: 'paper-a', symbol: 'EURUSD', timeframe: 'H1',
  rules: {
    entry: { long: { conditions: [{ indicator: 'close', condition: 'greater_than', value: 0 }] } },
    exit: { maxHoldingHours: 2, takeProfit: { type: 'pips', value: 15 } },
    riskManagement: { lotSize: 0.1, maxPositions: 1 },
  },
};

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

interface Rig { host: RunningHost; sim: SimTerminal; intents: () => number; api: ReturnType<typeof apiCaller> }

async function paperHost(dir: string, ports: { bridge: number; api: number }, sim?: SimTerminal, symbol = 'EURUSD', broker0?: SimBroker, config: Record<string, unknown> = {}, wholeHostOnPaper = true): Promise<Rig> {
  // a strategy that buys on every bar loses five in a row now and then: seed 004's auto-pause would stop it
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ risk: { autoPause: false }, ...config }));
  const broker = sim?.broker ?? broker0 ?? makeBroker({}, [symbolSpec('EURUSD', { commissionPerLot: 0 })]);
  const host = await startHost({
    env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(ports.bridge), MT5X_API_PORT: String(ports.api), MT5X_NO_KEYCHAIN: '1', MT5X_PRIME_AT_START: 'false', MT5X_LOG_LEVEL: 'warn' },
    logDestination: new Writable({ write(_c, _e, cb) { cb(); } }),
    out: () => {},
    now: () => Math.floor(broker.time / 1000),
    paper: wholeHostOnPaper,
  });
  const creds = await openCredentialStore(dir, { preferKeychain: false });
  let received = 0;
  if (!sim) {
    sim = new SimTerminal({ url: `ws://127.0.0.1:${ports.bridge}`, token: creds.get('bridgeToken')!, broker, reconnectMinMs: 50, reconnectMaxMs: 200 });
    sim.setHistory(symbol, 'H1', DATA, HISTORY);
    broker.quote(symbol, DATA.open[HISTORY]!, DATA.open[HISTORY]! + 0.0001, DATA.time[HISTORY]! * 1000);
    await sim.connect();
  }
  const s = sim;
  s.on('intent', () => received++);
  await until(() => host.manager.status().terminalConnected === true, 10_000, 'terminal connected');
  const api = apiCaller(() => `http://127.0.0.1:${ports.api}`, () => creds.get('apiToken')!);
  return { host, sim: s, intents: () => received, api };
}

describe('start --paper on the simulated terminal', () => {
  it('trades on the terminal\'s prices, sends it no intent, says paper, and is the same paper account after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-host-'));
    const ports = { bridge: await freePort(), api: await freePort() };
    const r = await paperHost(dir, ports);
    stops.push(() => r.sim.close());
    let stopped = false;
    stops.push(() => (stopped ? Promise.resolve() : r.host.stop()));
    await r.host.manager.start(always);
    await until(() => r.host.manager.get('paper-a')?.runner !== undefined, 10_000, 'strategy ready');
    await replayBars(r.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: DATA, from: HISTORY, to: HISTORY + 40, defaultSpread: 10 });
    await new Promise((res) => setTimeout(res, 100));
    const venue = r.host.paperVenue()!;
    const before = await venue.snapshot();
    const ins = before.deals.filter((d) => d.entry === DEAL_ENTRY.IN), outs = before.deals.filter((d) => d.entry === DEAL_ENTRY.OUT);
    expect(ins.length).toBeGreaterThanOrEqual(5);
    expect(outs.length).toBeGreaterThanOrEqual(4);
    expect(before.account.balance).not.toBe(r.sim.broker.account().balance); // it made or lost money on paper
    expect(outs.some((d) => d.swap < 0)).toBe(true); // a position held over the server's midnight paid swap
    // each fill at a price the terminal quoted (the real account's broker saw the same quotes)
    for (const d of before.deals) expect(d.ticket > PAPER_TICKET_START).toBe(true);
    // nothing reached the terminal
    expect(r.intents()).toBe(0);
    expect(r.sim.ea.orderSends).toBe(0);
    expect(r.sim.broker.deals()).toEqual([]);
    // the local API says paper
    const acc = await r.api('GET', '/account');
    expect(acc.body).toMatchObject({ paper: true, currency: 'USD' });
    expect(acc.body.server).toMatch(/\(paper\)$/);
    const pos = await r.api('GET', '/positions');
    expect(pos.body.length).toBe(venue.positions.length);
    for (const p of pos.body) expect(p.paper).toBe(true);
    expect(r.host.manager.status()).toMatchObject({ paper: true, strategies: [{ id: 'paper-a', status: 'running', mode: 'paper' }] });
    // the history says paper too: every closed trade and every deal, in JSON and CSV
    const hist = await r.api('GET', '/history/trades');
    expect(hist.status).toBe(200);
    expect(hist.body.trades.length).toBe(outs.length);
    for (const t of hist.body.trades) expect(t.paper).toBe(true);
    const hd = await r.api('GET', '/history/deals');
    expect(hd.body.deals.length).toBe(before.deals.length);
    for (const d of hd.body.deals) expect(d.paper).toBe(true);
    // restart: the same paper account — balance, positions, deals, tickets
    await r.host.stop();
    stopped = true;
    const r2 = await paperHost(dir, ports, r.sim);
    stops.push(() => r2.host.stop());
    const v2 = r2.host.paperVenue()!;
    const after = await v2.snapshot();
    expect(after.account.balance).toBe(before.account.balance);
    expect(after.positions.map((p) => [p.ticket, p.volume, p.priceOpen, p.sl, p.tp])).toEqual(before.positions.map((p) => [p.ticket, p.volume, p.priceOpen, p.sl, p.tp]));
    expect(after.deals).toEqual(before.deals);
    // and it trades on: new tickets follow the old ones
    await until(() => r2.host.manager.get('paper-a')?.runner !== undefined, 10_000, 'strategy ready again');
    await replayBars(r2.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: DATA, from: HISTORY + 40, to: HISTORY + 60, defaultSpread: 10 });
    await new Promise((res) => setTimeout(res, 100));
    const later = (await v2.snapshot()).deals;
    expect(later.length).toBeGreaterThan(before.deals.length);
    expect(later[before.deals.length]!.ticket > before.deals[before.deals.length - 1]!.ticket).toBe(true);
    expect(r2.intents()).toBe(0);
    expect(r2.sim.broker.deals()).toEqual([]);
  }, 60_000);

  it('a live host: a mode-paper strategy\'s closed trades are in the history (marked) and its figures in the performance, apart from the account\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-mode-'));
    const ports = { bridge: await freePort(), api: await freePort() };
    const r = await paperHost(dir, ports, undefined, 'EURUSD', undefined, {}, false);
    stops.push(() => r.sim.close());
    stops.push(() => r.host.stop());
    await r.host.manager.start({ ...always, mode: 'paper' });
    await r.host.manager.start({ ...always, strategyId: 'live-a' });
    await until(() => r.host.manager.get('paper-a')?.runner !== undefined && r.host.manager.get('live-a')?.runner !== undefined, 10_000, 'strategies ready');
    await replayBars(r.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: DATA, from: HISTORY, to: HISTORY + 40, defaultSpread: 10 });
    await new Promise((res) => setTimeout(res, 200));
    const paperDeals = (await r.host.paperVenue()!.snapshot()).deals, liveDeals = r.sim.broker.deals();
    const paperOuts = paperDeals.filter((d) => d.entry === DEAL_ENTRY.OUT).length, liveOuts = liveDeals.filter((d) => d.entry === DEAL_ENTRY.OUT).length;
    expect(paperOuts).toBeGreaterThanOrEqual(4);
    expect(liveOuts).toBeGreaterThanOrEqual(4);
    // the history: both venues' closed trades, the paper ones marked, each with its strategy
    const hist = await r.api('GET', '/history/trades');
    expect(hist.status).toBe(200);
    const trades = hist.body.trades as { strategyId: string; paper?: true; closeTime: number }[];
    expect(trades.filter((t) => t.paper).length).toBe(paperOuts);
    expect(trades.filter((t) => t.paper).every((t) => t.strategyId === 'paper-a')).toBe(true);
    expect(trades.filter((t) => !t.paper).length).toBe(liveOuts);
    expect(trades.filter((t) => !t.paper).every((t) => t.strategyId === 'live-a')).toBe(true);
    expect(trades.map((t) => t.closeTime)).toEqual([...trades.map((t) => t.closeTime)].sort((a, b) => a - b));
    const csv = await r.api('GET', '/history/trades?format=csv&strategy=paper-a');
    expect(String(csv.body).trim().split('\r\n').slice(1).map((l) => l.split(',').at(-1))).toEqual(Array(paperOuts).fill('true'));
    const hd = await r.api('GET', '/history/deals');
    expect(hd.body.deals.length).toBe(paperDeals.length + liveDeals.length);
    expect(hd.body.deals.filter((d: { paper?: true }) => d.paper).length).toBe(paperDeals.length);
    // the performance: the account's curve and totals from its own trades; the paper strategy's figures apart, marked
    const perf = await r.api('GET', '/performance');
    expect(perf.body.totals.trades).toBe(liveOuts);
    expect(perf.body.balance.at(-1).balance).toBe(r.sim.broker.account().balance);
    expect(perf.body.strategies).toEqual(expect.arrayContaining([
      expect.objectContaining({ strategyId: 'paper-a', paper: true, trades: paperOuts }),
      expect.objectContaining({ strategyId: 'live-a', trades: liveOuts }),
    ]));
    expect(perf.body.strategies.find((x: { strategyId: string }) => x.strategyId === 'live-a').paper).toBeUndefined();
  }, 60_000);

  it('a torn last line of the paper journal is dropped; a damaged line stops the start, naming the file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-journal-'));
    const ports = { bridge: await freePort(), api: await freePort() };
    const r = await paperHost(dir, ports);
    stops.push(() => r.sim.close());
    await r.host.manager.start(always);
    await until(() => r.host.manager.get('paper-a')?.runner !== undefined, 10_000, 'strategy ready');
    await replayBars(r.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: DATA, from: HISTORY, to: HISTORY + 10, defaultSpread: 10 });
    await new Promise((res) => setTimeout(res, 100));
    const before = await r.host.paperVenue()!.snapshot();
    expect(before.deals.length).toBeGreaterThan(0);
    await r.host.stop();
    const file = join(dir, 'paper', 'journal.jsonl');
    // a crash while an intent line was written: the intent never executed
    appendFileSync(file, '{"k":"intent","quotes":[["EURUSD",1.1');
    const r2 = await paperHost(dir, ports, r.sim);
    const after = await r2.host.paperVenue()!.snapshot();
    expect(after.deals).toEqual(before.deals);
    expect(after.account.balance).toBe(before.account.balance);
    await r2.host.stop();
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true); // the torn piece is gone: the next line starts clean
    // a damaged line in the middle
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = '{"k":"intent", damaged';
    writeFileSync(file, lines.join('\n'));
    await expect(startHost({
      env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(ports.bridge), MT5X_API_PORT: String(ports.api), MT5X_NO_KEYCHAIN: '1', MT5X_PRIME_AT_START: 'false', MT5X_LOG_LEVEL: 'silent' },
      out: () => {}, paper: true,
    })).rejects.toThrow(`${file}, line 3:`);
    expect(readFileSync(file, 'utf8').split('\n')[2]).toBe('{"k":"intent", damaged'); // nothing rewritten
  }, 60_000);

  it('charges commission per lot per side: the backtest\'s preset by default, `paperCommission` when set; the balance agrees to the cent, and a restart replays it', async () => {
    // the default is the backtest's (the preset's), a per-symbol figure wins, a symbol without a preset pays none
    expect(paperCommission('EURUSD', undefined)).toBe(symbolSpec('EURUSD').commissionPerLot);
    expect(paperCommission('EURUSD', undefined)).toBe(3.5);
    expect(paperCommission('EURUSD.m', undefined)).toBe(3.5);
    expect(paperCommission('EURUSDm', undefined)).toBe(3.5); // a suffix with no separator (sim/symbols.ts resolveSymbol)
    expect(paperCommission('US30', undefined)).toBe(0);
    expect(paperCommission('EURUSD', 2)).toBe(2);
    expect(paperCommission('EURUSD', { XAUUSD: 9 })).toBe(3.5);
    expect(paperCommission('EURUSD', { EURUSD: 6 })).toBe(6);
    for (const [config, perSide] of [[{}, 0.35], [{ paperCommission: { EURUSD: 6 } }, 0.6]] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-commission-'));
      const ports = { bridge: await freePort(), api: await freePort() };
      const r = await paperHost(dir, ports, undefined, 'EURUSD', undefined, config);
      stops.push(() => r.sim.close());
      const start = r.sim.broker.account().balance; // the paper account is seeded with the terminal's balance
      await r.host.manager.start(always); // 0.1 lot a trade
      await until(() => r.host.manager.get('paper-a')?.runner !== undefined, 10_000, 'strategy ready');
      await replayBars(r.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: DATA, from: HISTORY, to: HISTORY + 12, defaultSpread: 10 });
      await new Promise((res) => setTimeout(res, 100));
      const snap = await r.host.paperVenue()!.snapshot();
      const trades = snap.deals.filter((d) => d.entry === DEAL_ENTRY.IN || d.entry === DEAL_ENTRY.OUT);
      expect(trades.filter((d) => d.entry === DEAL_ENTRY.OUT).length).toBeGreaterThanOrEqual(2); // round trips
      for (const d of trades) expect([d.volume, d.commission]).toEqual([0.1, -perSide]); // 0.1 lot × 3.5 (or 6) per lot per side
      // the balance is the seed plus every deal's money, to the cent (in cents: no float drift)
      const cents = (x: number) => Math.round(x * 100);
      const sum = snap.deals.reduce((t, d) => t + cents(d.profit) + cents(d.swap) + cents(d.commission), 0);
      expect(cents(snap.account.balance)).toBe(cents(start) + sum);
      expect(trades.reduce((t, d) => t + cents(d.commission), 0)).toBe(-trades.length * cents(perSide));
      const open = snap.positions.length;
      await r.host.stop();
      // restart with another commission: the deals made replay at the commission they were charged
      const r2 = await paperHost(dir, ports, r.sim, 'EURUSD', undefined, { paperCommission: 1 });
      const again = await r2.host.paperVenue()!.snapshot();
      expect(again.deals).toEqual(snap.deals);
      expect(again.account.balance).toBe(snap.account.balance);
      expect(again.positions.length).toBe(open);
      await r2.host.stop();
      expect(r.intents() + r2.intents()).toBe(0);
    }
  }, 60_000);

  it('the journal is compacted every paperCompactEvery lines into a snapshot line, stays bounded, and a restart after it is the same paper account', async () => {
    // the same bars on two paper accounts: one compacted every 10 lines, one never (the default is 10 000)
    const run = async (config: Record<string, unknown>) => {
      const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-compact-'));
      const ports = { bridge: await freePort(), api: await freePort() };
      const r = await paperHost(dir, ports, undefined, 'EURUSD', undefined, config);
      stops.push(() => r.sim.close());
      await r.host.manager.start(always);
      await until(() => r.host.manager.get('paper-a')?.runner !== undefined, 10_000, 'strategy ready');
      let most = 0;
      const file = join(dir, 'paper', 'journal.jsonl');
      for (let at = HISTORY; at < HISTORY + 60; at += 5) {
        await replayBars(r.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: DATA, from: at, to: at + 5, defaultSpread: 10 });
        await new Promise((res) => setTimeout(res, 20));
        most = Math.max(most, readFileSync(file, 'utf8').split('\n').filter(Boolean).length);
      }
      await new Promise((res) => setTimeout(res, 100));
      return { r, dir, ports, most, file, snap: await r.host.paperVenue()!.snapshot(), compactions: r.host.paperVenue()!.compactions };
    };
    const plain = await run({});
    const small = await run({ paperCompactEvery: 10 });
    const same = (a: Awaited<ReturnType<PaperVenue['snapshot']>>, b: Awaited<ReturnType<PaperVenue['snapshot']>>) => {
      expect(a.deals).toEqual(b.deals);
      expect(a.account.balance).toBe(b.account.balance);
      expect(a.positions.map((p) => [p.ticket, p.volume, p.priceOpen, p.sl, p.tp, p.swap])).toEqual(b.positions.map((p) => [p.ticket, p.volume, p.priceOpen, p.sl, p.tp, p.swap]));
    };
    expect(plain.compactions).toBe(0);
    expect(plain.most).toBeGreaterThan(40); // the uncompacted journal grows with every fill and intent
    expect(small.compactions).toBeGreaterThanOrEqual(3);
    // bounded: a snapshot line, the threshold's lines, and those written while a compaction's fsyncs run (10 here when
    // quiet; 18 in a full run at a load average of 10) — against the 72 lines of the account never compacted
    expect(small.most).toBeLessThanOrEqual(3 * 10);
    expect(small.snap.deals.filter((d) => d.entry === DEAL_ENTRY.OUT).length).toBeGreaterThanOrEqual(5);
    same(small.snap, plain.snap); // compaction changes nothing the account did
    // memory keeps what a restart would have: every intent of the journal (in its snapshot or on a line after it)
    const journal = readFileSync(small.file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { k: string; intents?: { intent: { intentId: string } }[]; intent?: { intentId: string } });
    const onDisk = journal.flatMap((l) => (l.k === 'snapshot' ? l.intents!.map((x) => x.intent.intentId) : l.k === 'intent' ? [l.intent!.intentId] : []));
    expect(onDisk.length).toBeGreaterThan(0);
    for (const id of onDisk) expect(small.r.host.paperVenue()!.intentEntry(id), id).toBeDefined();
    // restart the compacted one: balance, positions, deals as they were, from a journal that starts with a snapshot
    await small.r.host.stop();
    expect(JSON.parse(readFileSync(small.file, 'utf8').split('\n')[0]!).k).toBe('snapshot');
    const again = await paperHost(small.dir, small.ports, small.r.sim, 'EURUSD', undefined, { paperCompactEvery: 10 });
    stops.push(() => again.host.stop());
    same((await again.host.paperVenue()!.snapshot()), small.snap);
    // an intent the snapshot remembers is answered from it, not executed again
    const kept = JSON.parse(readFileSync(small.file, 'utf8').split('\n')[0]!, (_k, x) => (x && typeof x === 'object' && typeof x.$n === 'string' ? BigInt(x.$n) : x));
    expect(kept.intents.length).toBeGreaterThan(0);
    const last = kept.intents.at(-1);
    const dup = await again.host.paperVenue()!.sendIntent(last.intent);
    expect(dup).toMatchObject({ duplicate: true, retcode: last.result.retcode });
    expect((await again.host.paperVenue()!.snapshot()).deals).toEqual(small.snap.deals);
    // and it trades on exactly as the never-compacted account does on the same bars: tickets follow on
    await until(() => again.host.manager.get('paper-a')?.runner !== undefined, 10_000, 'strategy ready again');
    stops.push(() => plain.r.host.stop());
    for (const r of [again, plain.r]) await replayBars(r.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: DATA, from: HISTORY + 60, to: HISTORY + 75, defaultSpread: 10 });
    await new Promise((res) => setTimeout(res, 100));
    const [a, b] = [await again.host.paperVenue()!.snapshot(), await plain.r.host.paperVenue()!.snapshot()];
    expect(a.deals.length).toBeGreaterThan(small.snap.deals.length);
    same(a, b);
    expect(again.intents() + small.r.intents() + plain.r.intents()).toBe(0);
  }, 60_000);

  /**
   * A host on paper compacting every `every` lines, its account seeded and given EURUSD's prices by one replayed bar
   * (then none), with a strategy that never enters.
   */
  async function quietPaperAccount(prefix: string, every: number) {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const ports = { bridge: await freePort(), api: await freePort() };
    const r = await paperHost(dir, ports, undefined, 'EURUSD', undefined, { paperCompactEvery: every });
    stops.push(() => r.sim.close());
    stops.push(() => r.host.stop());
    const venue = r.host.paperVenue()!;
    await until(() => venue.connected, 10_000, 'paper account seeded');
    await r.host.manager.start({ ...always, strategyId: 'quiet', rules: { ...always.rules, entry: { long: { conditions: [{ indicator: 'close', condition: 'less_than', value: 0 }] } } } });
    await until(() => r.host.manager.get('quiet')?.runner !== undefined, 10_000, 'strategy ready');
    await replayBars(r.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: DATA, from: HISTORY, to: HISTORY + 1, defaultSpread: 10 });
    return { dir, venue };
  }

  it('intents sent while a compaction is under way are remembered after it (a resend is answered, not executed again)', async () => {
    const { venue } = await quietPaperAccount('mt5x-paper-window-', 10);
    const open = (intentId: string) => ({ type: 'OPEN' as const, intentId, magic: 7, symbol: 'EURUSD', side: 0 as const, volume: 0.01, sl: 0, tp: 0, deviation: 50 });
    // each intent is sent as the one before it is answered: the line of the one that reaches the threshold queues a
    // compaction, and the next is still pending when that compaction takes its snapshot and settles while it is written
    // three rounds of 20, each waiting for its compaction (one is queued by the lines of its round, or by those written
    // while the one before ran: however slow this machine's disk is today)
    const ids = Array.from({ length: 60 }, (_, k) => `ix-window-${k}`);
    for (let round = 0; round < 3; round++) {
      for (const id of ids.slice(round * 20, round * 20 + 20)) expect(await venue.sendIntent(open(id)), id).toMatchObject({ class: 'done' });
      await until(() => venue.compactions >= round + 1, 15_000, `compaction ${round + 1}`);
    }
    await new Promise((res) => setTimeout(res, 200));
    for (const id of ids) expect(venue.intentEntry(id), id).toBeDefined();
    const deals = (await venue.snapshot()).deals.length;
    for (const id of ids) expect(await venue.sendIntent(open(id)), id).toMatchObject({ duplicate: true });
    expect((await venue.snapshot()).deals.length).toBe(deals);
  }, 90_000);

  it('a compaction that ends with a compaction\'s worth of lines written meanwhile queues the next at once: a quiet account\'s journal is short', async () => {
    const every = 10;
    const { dir, venue } = await quietPaperAccount('mt5x-paper-quiet-', every);
    // the end of a compaction held open (journal-lines.ts testHooks, test-only): intents one after another until one
    // is held; then a burst of intents — twice a compaction's worth of lines written while it has not ended — and
    // nothing after them; then it ends. Exact: no timing, no retries.
    const file = join(dir, 'paper', 'journal.jsonl');
    const open = (id: string) => venue.sendIntent({ type: 'OPEN', intentId: id, magic: 7, symbol: 'EURUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 50 });
    let end: (() => void) | undefined;
    testHooks.compactionWritten = () => new Promise<void>((res) => (end = res));
    try {
      let n = 0;
      while (!end && n < 5 * every) {
        expect(await open(`ix-quiet-${n++}`)).toMatchObject({ class: 'done' });
        await new Promise((res) => setImmediate(res)); // the compaction queued by the line that reached `every` runs
      }
      await until(() => end !== undefined, 10_000, 'a compaction written, its end held');
      const held = venue.compactions;
      testHooks.compactionWritten = undefined; // the next ones end as they come
      const burst = await Promise.all(Array.from({ length: 2 * every }, () => open(`ix-quiet-${n++}`)));
      for (const x of burst) expect(x).toMatchObject({ class: 'done' });
      expect(venue.compactions, 'still held: the burst came before its end').toBe(held);
      end!();
      // it ends with twice a compaction's worth of lines after its snapshot, and no line comes after them: the next
      // compaction is queued by its end (before the fix, by the account's next line only, which never comes)
      const after = () => readFileSync(file, 'utf8').split('\n').filter(Boolean).length - 1;
      await until(() => venue.compactions >= held + 2 && after() < every, 10_000, `a second compaction, and fewer than ${every} lines after its snapshot`);
      expect(JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!).k).toBe('snapshot');
    } finally {
      testHooks.compactionWritten = undefined;
      end?.();
    }
  }, 60_000);

  it('a cross (EURGBP on a USD account): the paper broker learns and streams the symbols that convert its money', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-cross-'));
    const ports = { bridge: await freePort(), api: await freePort() };
    const t0 = DATA.time[HISTORY]! * 1000;
    const broker = makeBroker({}, ['EURGBP', 'EURUSD', 'GBPUSD'].map((s) => symbolSpec(s, { commissionPerLot: 0 })));
    broker.quote('EURUSD', 1.1, 1.10002, t0);
    broker.quote('GBPUSD', 1.27, 1.27003, t0);
    const r = await paperHost(dir, ports, undefined, 'EURGBP', broker);
    stops.push(() => r.sim.close());
    stops.push(() => r.host.stop());
    await r.host.manager.start({ ...always, strategyId: 'cross', symbol: 'EURGBP' });
    await until(() => r.host.manager.get('cross')?.runner !== undefined, 10_000, 'strategy ready');
    // the terminal was asked to stream the converters too; their prices reach the paper broker
    await until(() => (r.sim as unknown as { symbols: Set<string> }).symbols.has('GBPUSD'), 5000, 'GBPUSD subscribed');
    r.sim.quote('EURUSD', 1.1001, 1.10012, t0 + 1);
    r.sim.quote('GBPUSD', 1.2701, 1.27013, t0 + 1);
    await replayBars(r.sim, { symbol: 'EURGBP', timeframe: 'H1', bars: DATA, from: HISTORY, to: HISTORY + 12, defaultSpread: 10 });
    await new Promise((res) => setTimeout(res, 100));
    const snap = await r.host.paperVenue()!.snapshot();
    const outs = snap.deals.filter((d) => d.symbol === 'EURGBP' && d.entry === DEAL_ENTRY.OUT);
    expect(outs.length).toBeGreaterThanOrEqual(2);
    // profit in GBP, booked in USD at GBPUSD's bid: as the real account's broker books it
    for (const d of outs) expect(d.profit).not.toBe(0);
    expect(snap.account.margin + snap.account.freeMargin).toBeCloseTo(snap.account.equity, 2);
    expect(r.intents()).toBe(0);
    expect(r.sim.broker.deals()).toEqual([]);
  }, 60_000);
});
