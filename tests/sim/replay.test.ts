import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseBars } from '../../src/engine/bars.js';
import { StrategyRunner } from '../../src/engine/runner.js';
import { readStrategyFile } from '../../src/cli/strategy.js';
import { defaultDataDir } from '../../src/host/state/data-dir.js';
import { createLogger } from '../../src/host/logger.js';
import { encodeMessage } from '../../src/protocol/codec.js';
import type { Msg } from '../../src/protocol/messages.js';
import { replayBars, replayTicks } from '../../src/sim/replay.js';
import { makeBroker, sampleBodies, startRig, until, type Rig } from '../helpers.js';
import { symbolSpec } from '../../src/sim/symbols.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const bars = parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8'));

/** Run an example strategy through the engine and over the bridge on `n` bars; return a hash of the deal list. */
async function paperRun(n: number): Promise<{ hash: string; deals: number }> {
  const r = await startRig();
  try {
    const broker = makeBroker({}, [symbolSpec('EURUSD')]);
    const { sim, terminal } = await r.connect({ broker });
    const runner = new StrategyRunner(readStrategyFile('examples/rsi-bollinger-reversion.json'), broker.spec('EURUSD')!);
    let bid = 0, ask = 0;
    terminal.on('ticks', (m: Msg<'TICKS'>) => ([, bid, ask] = m.ticks.at(-1)!));
    terminal.on('bar', (m: Msg<'BAR'>) => {
      const [time, open, high, low, close, tickVolume, , realVolume] = m.bar;
      const positions = terminal.positions.filter((p) => p.magic === runner.magic);
      const d = runner.onBar({ time, open, high, low, close, tickVolume, realVolume }, { bid, ask, positions });
      for (const i of d.intents) void terminal.sendIntent(i);
    });
    await replayBars(sim, { symbol: 'EURUSD', timeframe: 'H1', bars, from: 0, to: n, defaultSpread: 10 });
    const deals = broker.deals().map((d) => `${d.ticket}|${d.time}|${d.type}|${d.entry}|${d.volume}|${d.price}|${d.profit}|${d.swap}|${d.commission}|${d.comment}`);
    return { hash: createHash('sha256').update(deals.join('\n')).digest('hex'), deals: deals.length };
  } finally {
    await r.close();
  }
}

describe('replay', () => {
  it('a lockstep paper run over the bridge is deterministic: the same data gives the same deals', async () => {
    const a = await paperRun(1500);
    const b = await paperRun(1500);
    expect(a.deals).toBeGreaterThan(10);
    expect(b.hash).toBe(a.hash);
  });

  it('an intent sent on a bar close fills at the next bar open plus spread', async () => {
    rig = await startRig();
    const broker = makeBroker({}, [symbolSpec('EURUSD', { commissionPerLot: 0 })]);
    const { sim, terminal } = await rig.connect({ broker });
    let sent = false;
    terminal.on('bar', (m: Msg<'BAR'>) => {
      if (sent || m.bar[0] !== bars.time[5]) return;
      sent = true;
      void terminal.sendIntent({ type: 'OPEN', intentId: 'next-open', magic: 1, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 });
    });
    await replayBars(sim, { symbol: 'EURUSD', timeframe: 'H1', bars, from: 0, to: 10, defaultSpread: 12 });
    const d = broker.deals()[0]!;
    expect(d.price).toBe(Math.round((bars.open[6]! + 12e-5) * 1e5) / 1e5); // the 2019 file has no spread column: default 12 points
    expect(d.time).toBe(bars.time[6]);
  });

  it('replays ticks as quotes, each a gap, streaming them to the host', async () => {
    rig = await startRig();
    const { sim, terminal } = await rig.connect();
    const seen: number[] = [];
    // ticks of a symbol that arrive in one turn are joined in one message (the session): the last of each is the newest
    terminal.on('ticks', (m: Msg<'TICKS'>) => seen.push(m.ticks.at(-1)![1]));
    const t0 = Date.UTC(2024, 0, 8, 10);
    const ticks = Array.from({ length: 50 }, (_, i) => ({ timeMsc: t0 + i * 10, bid: 1.1 + i * 1e-5, ask: 1.10002 + i * 1e-5 }));
    const started = performance.now();
    expect(await replayTicks(sim, 'EURUSD', ticks, { speed: 10 })).toBe(50); // 490 ms of market at 10× ≈ 49 ms
    expect(performance.now() - started).toBeGreaterThan(40);
    await sim.sync();
    expect(seen.at(-1)).toBe(ticks.at(-1)!.bid);
    expect(sim.broker.quoteOf('EURUSD')!.timeMsc).toBe(ticks.at(-1)!.timeMsc);
  });
});

describe('host behaviour', () => {
  it('times out a request the terminal never answers, and the session goes on', async () => {
    rig = await startRig({ requestTimeoutMs: 150 });
    const { sim, terminal } = await rig.connect({ reconnect: false });
    sim.freeze();
    await expect(terminal.spec('EURUSD')).rejects.toThrow(/SPEC_REQUEST \d+ to 1001@Sim-Test: no reply within 150 ms/);
  });

  it('logs a malformed frame with the connection and the reason, as structured JSON', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    rig = await startRig({ logger: createLogger('info', stream) });
    const ws = new WebSocket(rig.url);
    await new Promise((r) => ws.once('open', r));
    ws.send(encodeMessage('HELLO', 1, { ...sampleBodies().HELLO, token: rig.token }));
    ws.send(Buffer.from([0x93, 0x01]));
    await until(() => lines.some((l) => l.includes('malformed frame')));
    const entry = JSON.parse(lines.find((l) => l.includes('malformed frame'))!);
    expect(entry).toMatchObject({ level: 40, code: 'MALFORMED', terminal: '51001234@Broker-Live3' });
    expect(entry.err).toMatch(/not valid MessagePack|expected a map/);
    expect(lines.join('\n')).not.toContain(rig.token); // the token is never logged
    ws.close();
  });

  it('puts the data folder where each OS expects it', () => {
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\t\\AppData\\Roaming' }, 'win32')).toMatch(/\\mt5-executor$/);
    expect(defaultDataDir({ XDG_DATA_HOME: '/x/share' }, 'linux')).toBe('/x/share/mt5-executor');
    expect(defaultDataDir({ MT5_EXECUTOR_HOME: '/custom' }, 'linux')).toBe('/custom');
  });
});
