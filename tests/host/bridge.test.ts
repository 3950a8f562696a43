import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { EncryptedFileStore } from '../../src/host/state/credentials.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { BridgeServer, type Terminal } from '../../src/host/bridge/server.js';
import { loadOrCreateToken, tokenMatches } from '../../src/host/state/token.js';
import { createLogger } from '../../src/host/logger.js';
import { decodeMessage, encodeMessage, encodeRaw } from '../../src/protocol/codec.js';
import { MsgType, type AnyMsg, type Msg } from '../../src/protocol/messages.js';
import { RC } from '../../src/protocol/retcodes.js';
import { parseBars } from '../../src/engine/bars.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import type { IntentBody } from '../../src/protocol/messages.js';
import type { LedgerEntry } from '../../src/host/state/ledger.js';
import { MONDAY_10H, makeBroker, sampleBodies, startRig, until, type Rig } from '../helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** A hand-driven client: speaks the protocol frame by frame, records what the host sends. */
async function rawClient(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const got: AnyMsg[] = [];
  let closeCode = 0;
  ws.on('message', (d) => got.push(decodeMessage(d as Buffer)));
  ws.on('close', (c) => (closeCode = c));
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  let seq = 0;
  return {
    ws, got,
    get closeCode() { return closeCode; },
    hello(token: string, over: object = {}) {
      ws.send(encodeMessage('HELLO', ++seq, { ...sampleBodies().HELLO, token, ...over }));
    },
    send(bytes: Buffer | Uint8Array | string, binary = true) {
      ws.send(bytes, { binary });
    },
    sendMsg(name: Parameters<typeof encodeMessage>[0], body: object, seqOverride?: number) {
      ws.send(encodeMessage(name, seqOverride ?? ++seq, body as never));
    },
    nextSeq: () => ++seq,
  };
}

function openIntent(intentId: string, volume = 0.1) {
  return { type: 'OPEN' as const, intentId, magic: 1, symbol: 'EURUSD', side: 0, volume, sl: 0, tp: 0, deviation: 10 };
}

describe('bridge: intents of one bar in a batch', () => {
  const opens = (tag: string): IntentBody[] =>
    [0, 1, 0].map((side, k) => ({ type: 'OPEN', intentId: `${tag}-${k}`, magic: 77, symbol: 'EURUSD', side, volume: 0.1, sl: 0, tp: 0, deviation: 20 }));

  it('holds their ledger lines and frames until the batch ends, then records and sends each once', async () => {
    const store = await Store.open(mkdtempSync(join(tmpdir(), 'mt5x-batch-')));
    rig = await startRig({ ledger: new PersistentLedger(store) });
    const broker = makeBroker();
    broker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    const { sim, terminal } = await rig.connect({ broker });
    // the journal as the bar's frames go to the socket: the three intents recorded, none yet marked sent
    const atWrite: string[] = [], states: string[] = [];
    const sock = (terminal as unknown as { session: { ws: { _socket: Record<string, (...a: unknown[]) => unknown> } } }).session.ws._socket;
    for (const k of ['_writev', '_write']) {
      const f = sock[k];
      if (f) sock[k] = function (this: unknown, ...a: unknown[]) {
        atWrite.push(existsSync(store.journalFile) ? readFileSync(store.journalFile, 'utf8') : '');
        states.push(['b-0', 'b-1', 'b-2'].map((id) => store.data.intents[id]?.state ?? 'none').join());
        return f.apply(this, a);
      };
    }
    let during = '';
    const results = terminal.batch(() => {
      const p = opens('b').map((i) => terminal.sendIntent(i));
      during = existsSync(store.journalFile) ? readFileSync(store.journalFile, 'utf8') : '';
      return p;
    });
    expect(during).toBe(''); // nothing written (so nothing sent) inside the batch
    const lines = readFileSync(store.journalFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { op: string; entry?: { intentId: string }; patch?: { state?: string } });
    expect(lines.slice(0, 3).map((l) => `${l.op} ${l.entry?.intentId}`)).toEqual(['add b-0', 'add b-1', 'add b-2']);
    expect(lines.slice(3).map((l) => l.patch?.state)).toEqual(['sent', 'sent', 'sent']);
    expect(atWrite).toHaveLength(1); // one socket write for the bar
    expect(states).toEqual(['pending,pending,pending']); // marked sent after the frames went out
    expect(atWrite[0]!.trim().split('\n').map((l) => (JSON.parse(l) as { op: string }).op)).toEqual(['add', 'add', 'add']);
    const r = await Promise.all(results);
    expect(r.map((x) => x.class)).toEqual(['done', 'done', 'done']);
    expect(sim.ea.orderSends).toBe(3);
    expect(sim.broker.openCount).toBe(3);
    store.close();
  });

  it("logs 'intent sent' after the batch's socket write, with each intent's attempt", async () => {
    const events: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n').filter(Boolean)) events.push(`log ${(JSON.parse(l) as { msg: string }).msg} ${l}`); cb(); } });
    rig = await startRig({ logger: createLogger('info', sink) });
    const { terminal } = await rig.connect();
    const sock = (terminal as unknown as { session: { ws: { _socket: { _writev?: (...a: unknown[]) => unknown; _write: (...a: unknown[]) => unknown } } } }).session.ws._socket;
    for (const k of ['_writev', '_write'] as const) {
      const f = sock[k];
      if (f) sock[k] = function (this: unknown, ...a: unknown[]) { events.push('socket write'); return f.apply(this, a); };
    }
    const results = terminal.batch(() => opens('lg').map((i) => terminal.sendIntent(i)));
    const sent = events.filter((e) => e.startsWith('log intent sent'));
    expect(sent).toHaveLength(3);
    expect(events.indexOf('socket write')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('socket write')).toBeLessThan(events.indexOf(sent[0]!));
    expect(sent.map((e) => JSON.parse(e.slice(e.indexOf('{'))) as { intentId: string; type: string; attempt: number }).map((l) => `${l.intentId} ${l.type} ${l.attempt}`)).toEqual(['lg-0 OPEN 0', 'lg-1 OPEN 0', 'lg-2 OPEN 0']);
    await Promise.all(results);
  });

  it('a failed ledger write rejects every intent of the batch and sends none', async () => {
    const store = await Store.open(mkdtempSync(join(tmpdir(), 'mt5x-batch-')));
    const ledger = new PersistentLedger(store);
    rig = await startRig({ ledger });
    const { sim, terminal } = await rig.connect();
    store.close();
    rmSync(store.journalFile, { force: true });
    mkdirSync(store.journalFile); // the journal cannot be opened for appending now
    const results = terminal.batch(() => opens('f').map((i) => terminal.sendIntent(i).then(() => 'sent', (e: Error) => e.message)));
    const r = await Promise.all(results);
    for (const m of r) expect(m).toMatch(/the ledger could not be written .*: the intent was not sent/);
    await new Promise((res) => setTimeout(res, 100));
    expect(sim.ea.orderSends).toBe(0);
    for (const k of [0, 1, 2]) expect(ledger.get(`f-${k}`)).toBeUndefined(); // not recorded: the ids stay usable
  });

  it('the persistent ledger refuses an id it holds, whatever it was asked for before (get, then add, as the router does)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-ledger-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const store = await Store.open(dir);
    const ledger = new PersistentLedger(store);
    const entry = (id: string): LedgerEntry => ({ intentId: id, terminal: 't', intent: openIntent(id), state: 'pending', createdAt: 1, attempts: 0 });
    expect(ledger.get('a')).toBeUndefined();
    ledger.add(entry('a'));
    expect(() => ledger.add(entry('a'))).toThrow(/already in the ledger/);
    expect(ledger.get('a')?.intentId).toBe('a');
    expect(() => ledger.add(entry('a'))).toThrow(/already in the ledger/);
    expect(ledger.get('b')).toBeUndefined();
    expect(() => ledger.add(entry('a'))).toThrow(/already in the ledger/); // 'b' was asked for, not 'a'
    ledger.add(entry('b'));
    expect(() => ledger.add(entry('b'))).toThrow(/already in the ledger/);
    // a batch whose write fails forgets its ids: they can be added again
    ledger.hold();
    expect(ledger.get('c')).toBeUndefined();
    ledger.add(entry('c'));
    store.close();
    rmSync(store.journalFile, { force: true });
    mkdirSync(store.journalFile);
    expect(() => ledger.flush()).toThrow();
    expect(ledger.get('c')).toBeUndefined();
    expect(store.intents().map((e) => e.intentId)).toEqual(['a', 'b']);
  });
});

describe('bridge: the results of one turn, held', () => {
  type Line = { op: string; entry?: { intentId: string }; intentId?: string; patch?: { state?: string } };
  /** A rig with a persistent ledger and a log sink; every journal write and every socket write of the host, in order. */
  async function heldRig() {
    const store = await Store.open(mkdtempSync(join(tmpdir(), 'mt5x-held-')));
    onTestFinished(() => store.close());
    const events: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n').filter(Boolean)) { const j = JSON.parse(l) as { msg: string; intentId?: string }; events.push(`log ${j.msg}${j.intentId ? ` ${j.intentId}` : ''}`); } cb(); } });
    rig = await startRig({ ledger: new PersistentLedger(store), logger: createLogger('info', sink), reaskMs: 0 });
    const broker = makeBroker();
    broker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    const { sim, terminal } = await rig.connect({ broker });
    const writer = (store as unknown as { journalWriter: { append(text: string): void } }).journalWriter;
    const append = writer.append.bind(writer);
    writer.append = (text: string) => {
      events.push(`journal ${text.trim().split('\n').map((l) => { const j = JSON.parse(l) as Line; return j.op === 'add' ? `add ${j.entry!.intentId}` : `${j.patch?.state} ${j.intentId}`; }).join(', ')}`);
      append(text);
    };
    const sock = (terminal as unknown as { session: { ws: { _socket: Record<string, (...a: unknown[]) => unknown> } } }).session.ws._socket;
    for (const k of ['_writev', '_write']) {
      const f = sock[k];
      if (f) sock[k] = function (this: unknown, ...a: unknown[]) { events.push('socket write'); return f.apply(this, a); };
    }
    // the terminal's answers held back, to be sent together (one chunk: the simulated terminal's socket corked)
    const answers: [string, unknown][] = [];
    const send = sim.send.bind(sim) as (name: string, body: unknown) => void;
    let hold = true;
    (sim as unknown as { send: typeof send }).send = (name, body) => (hold && name === 'INTENT_RESULT' ? void answers.push([name, body]) : send(name, body));
    const together = (also?: () => void) => {
      hold = false;
      const s = (sim as unknown as { ws: { _socket: { cork(): void; uncork(): void } } }).ws._socket;
      s.cork();
      for (const [n, b] of answers.splice(0)) send(n, b);
      also?.();
      s.uncork();
    };
    return { store, sim, terminal, events, answers, together };
  }

  it("writes the journal lines of the results before a bar's close in the bar's one write, before its intents; their log lines follow its socket write", async () => {
    const { store, sim, terminal, events, answers, together } = await heldRig();
    const first = terminal.batch(() => ['h-0', 'h-1', 'h-2'].map((id) => terminal.sendIntent(openIntent(id))));
    await until(() => answers.length === 3);
    // a bar's close: one more intent, decided as the trading core's driver does (in a batch, on the 'bar' event)
    let next: Promise<unknown> | undefined;
    let settledAtBar = '';
    terminal.once('bar', () => {
      settledAtBar = ['h-0', 'h-1', 'h-2'].map((id) => store.data.intents[id]?.state).join();
      next = terminal.batch(() => terminal.sendIntent(openIntent('h-3')));
    });
    events.length = 0;
    together(() => sim.barClosed('EURUSD', 'H1', [Math.floor(MONDAY_10H / 1000), 1.1, 1.1, 1.1, 1.1, 1, 0, 0]));
    await Promise.all(first);
    await until(() => next !== undefined);
    await next;
    await until(() => events.includes('log intent sent h-3'));
    expect(settledAtBar).toBe('settled,settled,settled'); // the results were applied before the bar was decided
    const upTo = events.slice(0, events.indexOf('log intent sent h-3') + 1);
    expect(upTo).toEqual([
      'journal settled h-0, settled h-1, settled h-2, add h-3', // one write: the results first, then the new intent
      'socket write',
      'log intent result h-0', 'log intent result h-1', 'log intent result h-2',
      'journal sent h-3',
      'log intent sent h-3',
    ]);
  });

  it('writes the journal lines of results that come together in one write, settling each at once', async () => {
    const { terminal, events, answers, together } = await heldRig();
    const first = terminal.batch(() => ['g-0', 'g-1', 'g-2'].map((id) => terminal.sendIntent(openIntent(id))));
    await until(() => answers.length === 3);
    events.length = 0;
    together();
    const r = await Promise.all(first);
    expect(r.map((x) => `${x.intentId} ${x.class}`)).toEqual(['g-0 done', 'g-1 done', 'g-2 done']);
    await until(() => events.filter((e) => e.startsWith('log intent result')).length === 3);
    expect(events.filter((e) => e.startsWith('journal') || e.startsWith('log'))).toEqual([
      'journal settled g-0, settled g-1, settled g-2',
      'log intent result g-0', 'log intent result g-1', 'log intent result g-2',
    ]);
    expect(terminal.intentEntry('g-1')?.state).toBe('settled');
  });
});

describe('bridge: intent timeouts', () => {
  it('rejects each unanswered intent with TIMEOUT its own intentTimeoutMs after it was sent; answered ones are not touched', async () => {
    rig = await startRig({ intentTimeoutMs: 250, reaskMs: 0 }); // no re-ask: this is about the timeout
    const broker = makeBroker();
    broker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    const { sim, terminal } = await rig.connect({ broker });
    const mute = new Set(['to-a', 'to-b']);
    const send = (sim as unknown as { send: (name: string, body: { intentId?: string }) => void }).send.bind(sim);
    (sim as unknown as { send: typeof send }).send = (name, body) => (name === 'INTENT_RESULT' && mute.has(body.intentId ?? '') ? undefined : send(name, body));
    const t0 = performance.now();
    const settled = (p: Promise<unknown>) => p.then((r) => ({ ok: r, at: performance.now() }), (e: Error) => ({ err: e, at: performance.now() }));
    const a = settled(terminal.sendIntent(openIntent('to-a')));
    await new Promise((r) => setTimeout(r, 120));
    const tb = performance.now();
    const b = settled(terminal.sendIntent(openIntent('to-b')));
    const c = await terminal.sendIntent(openIntent('to-c'));
    expect(c.class).toBe('done');
    const ra = (await a) as { err?: Error; at: number };
    const rb = (await b) as { err?: Error; at: number };
    expect(ra.err).toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/no result for intent to-a within 250 ms/) });
    expect(rb.err).toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/no result for intent to-b within 250 ms/) });
    expect(ra.at - t0).toBeGreaterThanOrEqual(245);
    expect(rb.at - tb).toBeGreaterThanOrEqual(245);
    expect(rb.at - ra.at).toBeGreaterThanOrEqual(60); // b kept its own deadline, not a's
    expect(ra.at - t0).toBeLessThan(2000);
    // the intents stay in the ledger for reconciliation
    expect(rig.server.ledger.get('to-a')?.state).toBe('sent');
  });
});

describe('bridge: orphans', () => {
  it('adopts intents found on the terminal but not in the ledger, so their ids never execute again; leaves the trader\'s own alone', async () => {
    rig = await startRig();
    const broker = makeBroker();
    broker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    // executed before this ledger knew of them (a state restored from an older backup, say)
    const lost = broker.orderSend({ action: 1, symbol: 'EURUSD', type: 0, volume: 0.1, magic: 7, comment: 'ix:lost-1', typeFilling: 0 });
    broker.orderSend({ action: 5, symbol: 'EURUSD', type: 2, volume: 0.1, price: 1.05, magic: 7, comment: 'ix:lost-2' });
    broker.orderSend({ action: 1, symbol: 'EURUSD', type: 1, volume: 0.2, magic: 0, comment: 'manual', typeFilling: 0 });
    const t = rig.server.terminal('1001@Sim-Test');
    const seen = new Promise<{ adopted: string[]; foreign: number }>((r) => t.once('orphans', r));
    const { sim, terminal } = await rig.connect({ broker });
    const o = await seen;
    expect(o.adopted.sort()).toEqual(['lost-1', 'lost-2']);
    expect(o.foreign).toBe(1);
    expect(rig.server.ledger.get('lost-1')).toMatchObject({ state: 'settled', adopted: true, intent: { type: 'OPEN', symbol: 'EURUSD', side: 0, volume: 0.1, magic: 7 } });
    expect(rig.server.ledger.get('lost-1')!.result!.deal).toBe(lost.deal);
    const sends = sim.ea.orderSends;
    const again = await terminal.sendIntent(openIntent('lost-1'));
    expect(again).toMatchObject({ duplicate: true, deal: lost.deal });
    expect(sim.ea.orderSends).toBe(sends); // nothing executed
    expect(broker.positionList()).toHaveLength(2);
  });
});

describe('bridge: handshake and security', () => {
  it('accepts the sim terminal, sends the subscriptions, answers SPEC, HISTORY and SNAPSHOT requests', async () => {
    rig = await startRig();
    const { sim, terminal } = await rig.connect();
    expect(sim.welcome?.symbols).toEqual(['EURUSD']);
    expect(sim.welcome?.bars).toEqual([['EURUSD', 'H1']]);
    expect(terminal.hello?.account.login).toBe(1001);
    sim.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    const spec = await terminal.spec('EURUSD');
    expect(spec).toMatchObject({ symbol: 'EURUSD', digits: 5, volumeStep: 0.01, tickValue: 1 });
    await expect(terminal.spec('NOPE')).rejects.toThrow(/NOPE is not in Market Watch/);
    const bars = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));
    sim.setHistory('EURUSD', 'H1', bars, 100);
    const h = await terminal.history('EURUSD', 'H1', bars.time[10]!, 500);
    expect(h.bars.length).toBe(90); // only closed bars: 10..99
    expect(h.bars[0]![4]).toBe(bars.close[10]);
    const snap = await terminal.snapshot();
    expect(snap.account.balance).toBe(10_000);
    const ticks: number[] = [];
    terminal.on('ticks', (m: Msg<'TICKS'>) => { for (const tk of m.ticks) ticks.push(tk[1]); });
    sim.quote('EURUSD', 1.1001, 1.10012, MONDAY_10H + 1000);
    await until(() => ticks.includes(1.1001));
  });

  it('rejects a wrong token with a clear reason and closes 4001', async () => {
    rig = await startRig();
    const c = await rawClient(rig.url);
    c.hello('wrong-token-wrong-token');
    await until(() => c.closeCode !== 0);
    expect(c.closeCode).toBe(4001);
    const r = c.got[0] as Msg<'REJECT'>;
    expect(r.type).toBe(MsgType.REJECT);
    expect(r.code).toBe('BAD_TOKEN');
    expect(r.message).toMatch(/wrong bridge token/);
    expect(rig.server.sessions().length).toBe(0);
  });

  it('rejects an unsupported protocol version, naming the supported range', async () => {
    rig = await startRig();
    await expect(rig.connect({ protocol: 99 })).rejects.toThrow(/VERSION: protocol version 99 is not supported: this host speaks 1..1/);
  });

  it('rejects a first message that is not HELLO, and a connection that never says HELLO', async () => {
    rig = await startRig({ helloTimeoutMs: 150 });
    const a = await rawClient(rig.url);
    a.sendMsg('PING', { ts: 1 });
    await until(() => a.closeCode !== 0);
    expect(a.closeCode).toBe(4003);
    expect((a.got[0] as Msg<'REJECT'>).message).toMatch(/first message must be HELLO, got PING/);
    const b = await rawClient(rig.url);
    await until(() => b.closeCode !== 0);
    expect(b.closeCode).toBe(4003);
    expect((b.got[0] as Msg<'REJECT'>).message).toMatch(/within 150 ms/);
  });

  it('refuses browsers (an Origin header) and refuses to bind beyond loopback unless asked', async () => {
    rig = await startRig();
    const ws = new WebSocket(rig.url, { headers: { Origin: 'https://evil.example' } });
    const status = await new Promise<number>((res) => ws.on('unexpected-response', (_req, resp) => res(resp.statusCode ?? 0)));
    expect(status).toBe(403);
    expect(() => new BridgeServer({ token: 'x'.repeat(32), host: '0.0.0.0' })).toThrow(/refusing to bind the bridge to 0.0.0.0/);
    expect(() => new BridgeServer({ token: 'short' })).toThrow(/at least 16/);
  });

  it('keeps the token in the credential store (never plain text), migrates an old plain file, compares in constant time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-'));
    const store = new EncryptedFileStore(dir, undefined);
    const a = loadOrCreateToken(store, dir);
    const b = loadOrCreateToken(new EncryptedFileStore(dir, undefined), dir);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.token).toBe(a.token);
    expect(a.token.length).toBeGreaterThanOrEqual(32);
    expect(readdirSync(dir).map((f) => readFileSync(join(dir, f), 'latin1')).join('')).not.toContain(a.token);
    const old = mkdtempSync(join(tmpdir(), 'mt5x-'));
    writeFileSync(join(old, 'bridge-token'), 'legacy-token-0123456789abcdef\n');
    expect(loadOrCreateToken(new EncryptedFileStore(old, undefined), old)).toEqual({ token: 'legacy-token-0123456789abcdef', created: false });
    expect(existsSync(join(old, 'bridge-token'))).toBe(false);
    expect(tokenMatches(a.token, a.token)).toBe(true);
    expect(tokenMatches(a.token.slice(0, -1), a.token)).toBe(false);
  });
});

describe('bridge: bad frames', () => {
  it('closes on a frame over the size limit (1009) and keeps serving other terminals', async () => {
    rig = await startRig({ maxFrame: 64 * 1024 });
    const c = await rawClient(rig.url);
    c.hello(rig.token);
    await until(() => c.got.length > 0);
    c.send(Buffer.alloc(70 * 1024));
    await until(() => c.closeCode !== 0);
    expect(c.closeCode).toBe(1009);
    const { terminal, sim } = await rig.connect({ broker: makeBroker({ account: { login: 2002, server: 'S', currency: 'USD', leverage: 100, marginMode: 2, balance: 1 } }) });
    sim.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    expect((await terminal.spec('EURUSD')).symbol).toBe('EURUSD');
  });

  it('answers garbage with ERROR naming the problem, never crashes, and the session lives on (property)', async () => {
    rig = await startRig({ maxErrors: 1_000_000 });
    const c = await rawClient(rig.url);
    c.hello(rig.token);
    await until(() => c.got.length > 0);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.anything().map((v) => encodeRaw(v)),
          fc.record({ type: fc.constantFrom(...Object.values(MsgType).filter((t) => t !== MsgType.PING && t !== MsgType.PONG)), seq: fc.nat(), junk: fc.anything() }).map((v) => encodeRaw(v)),
        ),
        async (frame) => {
          c.send(frame);
          sent++;
        },
      ),
      { numRuns: 300 },
    );
    c.send('hello as text', false);
    sent++;
    // replies come in order: once the text frame's reply is here, every earlier one is too
    await until(() => c.got.some((m) => m.type === MsgType.ERROR && /text frame/.test(m.message)), 5000, 'error replies');
    const errors = c.got.filter((m): m is Msg<'ERROR'> => m.type === MsgType.ERROR);
    expect(errors.length).toBeGreaterThanOrEqual(sent - 2); // a random frame may, rarely, be a valid message
    expect(errors.every((e) => e.message.length > 0 && e.code.length > 0)).toBe(true);
    // still alive: a PING gets its PONG
    c.sendMsg('PING', { ts: 4242 }, 99_999);
    await until(() => c.got.some((m) => m.type === MsgType.PONG && m.ts === 4242));
    expect(c.closeCode).toBe(0);
  });

  it('closes a connection that keeps sending garbage (1008), and answers messages sent the wrong way', async () => {
    rig = await startRig({ maxErrors: 5 });
    const c = await rawClient(rig.url);
    c.hello(rig.token);
    await until(() => c.got.length > 0);
    c.sendMsg('OPEN', sampleBodies().OPEN);
    await until(() => c.got.some((m) => m.type === MsgType.ERROR));
    expect((c.got.find((m) => m.type === MsgType.ERROR) as Msg<'ERROR'>).code).toBe('WRONG_DIRECTION');
    for (let i = 0; i < 10; i++) c.send(Buffer.from([0xc1]));
    await until(() => c.closeCode !== 0);
    expect(c.closeCode).toBe(1008);
  });

  it('reports a sequence gap and resyncs with a snapshot', async () => {
    rig = await startRig();
    const c = await rawClient(rig.url);
    let gap = 0;
    rig.server.on('terminal', (t: Terminal) => t.on('gap', (n: number) => (gap = n)));
    c.hello(rig.token);
    await until(() => c.got.length > 0);
    c.sendMsg('PING', { ts: 1 }, 5); // expected 2
    await until(() => gap !== 0);
    expect(gap).toBe(3);
    await until(() => c.got.some((m) => m.type === MsgType.SNAPSHOT_REQUEST));
  });
});

describe('bridge: sessions', () => {
  it('drops a silent (half-open) session after the dead timeout; a new connection of the same account replaces an old one', async () => {
    rig = await startRig({ heartbeatMs: 100, deadAfterMs: 350 });
    const { sim, terminal } = await rig.connect({ reconnect: false });
    let dropped = false;
    terminal.on('disconnected', () => (dropped = true));
    sim.freeze(); // the socket stays open but nothing is read or answered
    await until(() => dropped, 3000, 'dead-session detection');
    expect(terminal.connected).toBe(false);
    // replacement: two live connections of one account
    const broker = makeBroker({ account: { login: 3003, server: 'S', currency: 'USD', leverage: 100, marginMode: 2, balance: 1 } });
    const first = await rig.connect({ broker, reconnect: false });
    const second = await rig.connect({ broker, reconnect: false });
    await until(() => first.sim.rejected?.code === 'REPLACED');
    expect(second.terminal).toBe(first.terminal); // the same Terminal object outlives the connection
    expect(second.terminal.session?.ws).toBeDefined();
    expect(rig.server.sessions().filter((s) => s.terminal.key === '3003@S').length).toBe(1);
  });

  it('serves several terminals (accounts) at once and routes intents to the right one', async () => {
    rig = await startRig();
    const a = await rig.connect();
    const b = await rig.connect({ broker: makeBroker({ account: { login: 4004, server: 'Other', currency: 'USD', leverage: 50, marginMode: 0, balance: 500 } }) });
    a.sim.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    b.sim.quote('EURUSD', 1.2, 1.20002, MONDAY_10H);
    const ra = await a.terminal.sendIntent(openIntent('multi-a'));
    const rb = await b.terminal.sendIntent(openIntent('multi-b', 0.02));
    expect([ra.price, rb.price]).toEqual([1.10002, 1.20002]);
    expect(a.sim.broker.positionList().map((p) => p.volume)).toEqual([0.1]);
    expect(b.sim.broker.positionList().map((p) => p.volume)).toEqual([0.02]);
    expect(b.terminal.hello?.account.marginMode).toBe(0);
  });

  it('keeps only the newest unhandled ticks per symbol under backpressure, and never drops trade messages', async () => {
    rig = await startRig();
    const { sim, terminal } = await rig.connect();
    let lastBid = 0, tickMsgs = 0, txs = 0;
    terminal.on('ticks', (m: Msg<'TICKS'>) => {
      tickMsgs++;
      lastBid = m.ticks.at(-1)![1];
    });
    terminal.on('tx', () => txs++);
    const tx = sampleBodies().TRADE_TX;
    // one synchronous burst: all of it arrives before the host's next turn
    for (let i = 1; i <= 2000; i++) {
      sim.send('TICKS', { symbol: 'EURUSD', ticks: [[MONDAY_10H + i, 1 + i / 1e5, 1 + i / 1e5, 0, 0, 6]] });
      if (i % 100 === 0) sim.send('TRADE_TX', tx);
    }
    await sim.sync();
    expect(txs).toBe(20);
    expect(lastBid).toBe(1 + 2000 / 1e5);
    expect(tickMsgs).toBeLessThan(2000);
    expect(terminal.session!.coalesced).toBe(2000 - tickMsgs);
  });
});

describe('bridge: intents', () => {
  it('a duplicate intent id executes once (host ledger) and a re-sent frame executes once (terminal ring)', async () => {
    rig = await startRig();
    const { sim, terminal } = await rig.connect();
    sim.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    const [r1, r2] = await Promise.all([terminal.sendIntent(openIntent('dup-1')), terminal.sendIntent(openIntent('dup-1'))]);
    expect(r1).toBe(r2);
    const r3 = await terminal.sendIntent(openIntent('dup-1'));
    expect(r3.duplicate).toBe(true);
    expect(r3.order).toBe(r1.order);
    expect(sim.ea.orderSends).toBe(1);
    // the same intent id arriving twice at the terminal (a transport retry): executed once
    const results: Msg<'INTENT_RESULT'>[] = [];
    terminal.on('result', (r: Msg<'INTENT_RESULT'>) => results.push(r));
    const s = terminal.session!;
    const body = { ...sampleBodies().OPEN, intentId: 'dup-2', symbol: 'EURUSD', sl: 0, tp: 0 };
    s.send('OPEN', { ...body, id: s.nextRequestId() });
    s.send('OPEN', { ...body, id: s.nextRequestId() });
    await sim.sync();
    await until(() => sim.broker.positionList().length === 2);
    expect(sim.ea.orderSends).toBe(2);
    expect(sim.broker.deals().length).toBe(2);
  });

  it('an intent executed whose result was lost is settled from the terminal snapshot after reconnect, not sent again', async () => {
    rig = await startRig();
    const { sim, terminal } = await rig.connect();
    sim.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    sim.loseResults = 1;
    const r = await terminal.sendIntent(openIntent('lost-result'));
    expect(r.class).toBe('done');
    expect(rig.server.ledger.get('lost-result')!.settledBy).toBe('reconcile');
    expect(r.order).toBe(sim.broker.deals()[0]!.order);
    expect(sim.connects).toBe(2);
    expect(sim.ea.orderSends).toBe(1);
    expect(sim.broker.positionList().length).toBe(1);
  });

  it('an intent that never reached the terminal is sent again after reconnect and executes once', async () => {
    rig = await startRig();
    const { sim, terminal } = await rig.connect();
    sim.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    sim.freeze(); // the terminal reads nothing
    const p = terminal.sendIntent(openIntent('never-arrived'));
    await new Promise((res) => setTimeout(res, 50));
    expect(rig.server.ledger.get('never-arrived')!.state).toBe('sent');
    sim.drop(); // the frame dies with the connection; the terminal reconnects
    const r = await p;
    expect(r.retcode).toBe(RC.DONE);
    expect(rig.server.ledger.get('never-arrived')).toMatchObject({ state: 'settled', settledBy: 'result', attempts: 2 });
    expect(sim.ea.orderSends).toBe(1);
    // ledger == terminal
    expect(sim.broker.positionList().map((x) => x.comment)).toEqual(['ix:never-arrived']);
  });

  it('an intent sent while no terminal is connected waits in the ledger and goes out on connect', async () => {
    rig = await startRig();
    const t = rig.server.terminal('1001@Sim-Test');
    const p = t.sendIntent(openIntent('early'));
    expect(rig.server.ledger.get('early')!.state).toBe('pending');
    const broker = makeBroker();
    broker.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    await rig.connect({ broker });
    expect((await p).retcode).toBe(RC.DONE);
  });

  it('rejects a malformed intent id before anything is recorded', async () => {
    rig = await startRig();
    const { terminal } = await rig.connect();
    await expect(terminal.sendIntent(openIntent('bad id!'))).rejects.toThrow(/intentId 'bad id!': letters, digits/);
    expect(rig.server.ledger.get('bad id!')).toBeUndefined();
  });

  it('CLOSE_ALL closes every position and deletes pending orders, one result each', async () => {
    rig = await startRig();
    const { sim, terminal } = await rig.connect();
    sim.quote('EURUSD', 1.1, 1.10002, MONDAY_10H);
    await terminal.sendIntent(openIntent('ca-1'));
    await terminal.sendIntent({ ...openIntent('ca-2'), side: 1 });
    await terminal.sendIntent({ type: 'PLACE_PENDING', intentId: 'ca-3', magic: 1, symbol: 'EURUSD', orderType: 2, volume: 0.1, price: 1.09, stopLimit: 0, sl: 0, tp: 0, expiration: 0 });
    const r = await terminal.sendIntent({ type: 'CLOSE_ALL', intentId: 'ca-all', magic: 0, symbol: '', onlyMagic: false, deviation: 10 });
    expect(r.class).toBe('done');
    expect(r.results?.length).toBe(3);
    expect(sim.broker.positionList().length).toBe(0);
    expect(sim.broker.orderList().length).toBe(0);
    await until(() => terminal.positions.length === 0 && terminal.orders.length === 0);
  });
});
