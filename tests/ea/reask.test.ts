/**
 * The re-ask on a live session with the real EA (built by the mql-test-harness) behind a lossy link (a fixture standing
 * in for the network, on real sockets): RESULT frames and INTENT frames are lost on the way; every intent still settles
 * without a reconnection, and the EA executes each intent id once (its intent ring answers a re-sent id).
 */
import { describe, expect, it } from 'vitest';
import { generateToken } from '../../src/host/state/token.js';
import { INTENT_TYPES, MsgType, type IntentResult } from '../../src/protocol/messages.js';
import { HarnessTerminal } from '../../tools/mql-test-harness/src/terminal.js';
import { MONDAY_10H, until } from '../helpers.js';
import { bridgeEaSuite, cleanups, h1Bars, lossyLink, seeded, startHost, twoSymbolBroker } from './helpers.js';

const suite = bridgeEaSuite();
const INTENT_TYPE_IDS = new Set<number>(INTENT_TYPES.map((n) => MsgType[n]));

describe('the real EA behind a lossy link', () => {
  it('loses 25 % of RESULT frames and 25 % of INTENT frames: every intent settles on one connection, each executed once', async () => {
    const token = generateToken();
    const server = await startHost(token, 0, { reaskMs: 150, intentTimeoutMs: 30_000, requestTimeoutMs: 3000 });
    const rnd = seeded(5);
    const lostResults = new Set<string>();
    let lostIntents = 0;
    const link = await lossyLink(`ws://127.0.0.1:${server.port}`, {
      drop: (m, dir) => {
        if (dir === 'up' && m.type === MsgType.INTENT_RESULT && rnd() < 0.25) return !!lostResults.add(m.intentId);
        if (dir === 'down' && INTENT_TYPE_IDS.has(m.type) && rnd() < 0.25) return !!++lostIntents;
        return false;
      },
    });
    const broker = twoSymbolBroker();
    const ea = new HarnessTerminal({ binary: suite.binary(), broker, chartSymbol: 'EURUSD', inputs: { InpPort: Number(new URL(link.url).port), InpToken: token, InpTimerMs: 5 } });
    cleanups.push(async () => {
      await ea.stop();
      await link.close();
      await server.stop();
    });
    ea.tick('EURUSD', 1.1, 1.10002, MONDAY_10H);
    ea.tick('GBPUSD', 1.27, 1.27003, MONDAY_10H);
    ea.addBars('EURUSD', 'H1', h1Bars(0, 100));
    expect(await ea.start()).toBe(0);
    const terminal = server.terminal('1001@Sim-Test');
    await until(() => terminal.connected, 5000, 'EA connected');
    let disconnects = 0;
    terminal.on('disconnected', () => disconnects++);

    const opens: IntentResult[] = [];
    for (let i = 0; i < 30; i++) opens.push(await terminal.sendIntent({ type: 'OPEN', intentId: `eo-${i}`, magic: 7, symbol: 'EURUSD', side: i % 2, volume: 0.1, sl: 0, tp: 0, deviation: 10 }));
    const closes: IntentResult[] = [];
    for (let i = 0; i < 15; i++) closes.push(await terminal.sendIntent({ type: 'CLOSE', intentId: `ec-${i}`, magic: 7, ticket: opens[i]!.position!, volume: 0.04, deviation: 10 }));
    expect([...opens, ...closes].every((r) => r.class === 'done')).toBe(true);
    // frames were lost both ways, and none of it needed a reconnection
    expect(lostResults.size).toBeGreaterThan(3);
    expect(lostIntents).toBeGreaterThan(3);
    expect(link.stats.connections).toBe(1);
    expect(disconnects).toBe(0);
    expect(terminal.resyncs).toBe(0);
    // exactly once: one OrderSend per intent, 45 deals, 30 positions of which 15 reduced
    expect(ea.orderSends.filter((o) => !o.injected)).toHaveLength(45);
    expect(broker.deals().filter((d) => d.type === 0 || d.type === 1)).toHaveLength(45);
    expect(broker.positionList()).toHaveLength(30);
    expect(broker.positionList().filter((p) => Math.abs(p.volume - 0.06) < 1e-9)).toHaveLength(15);
    expect(server.ledger.open(terminal.key)).toHaveLength(0);
    const s = terminal.router.reask.stats;
    process.stdout.write(`re-ask with the real EA: results lost ${lostResults.size}, intents lost ${lostIntents}, asks ${s.asks}, found ${s.found}, resent ${s.resent}\n`);
  });
});
