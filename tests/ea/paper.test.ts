/**
 * Paper trading on live prices with the real EA (its MQL5 source built and run by the mql-test-harness) and the
 * real host (`startHost`): the EA streams ticks and bars, the strategies trade on the host's simulated broker, and
 * not one OrderSend reaches the EA — with `start --paper` (the whole host) and with a `mode: paper` strategy in a
 * live host beside a live one (whose orders do reach it).
 */
import { describe, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/start.js';
import { DEAL_ENTRY, DEAL_REASON } from '../../src/protocol/mt5.js';
import type { SimBroker } from '../../src/sim/broker.js';
import type { HarnessTerminal } from '../../tools/mql-test-harness/src/terminal.js';
import { until } from '../helpers.js';
import { H1, bridgeEaSuite, h1Bars, twoSymbolBroker, wholeHostWithEa } from './helpers.js';

const { binary } = bridgeEaSuite();

/** Buys on every bar (close > 0), holds at most an hour, 10-pip take profit: opens and closes on every few bars. */
const always = (id: string, mode?: 'live' | 'paper') => ({
  strategyId: id, symbol: 'EURUSD', timeframe: 'H1', ...(mode ? { mode } : {}),
  rules: {
    entry: { long: { conditions: [{ indicator: 'close', condition: 'greater_than', value: 0 }] } },
    exit: { maxHoldingHours: 1, takeProfit: { type: 'pips', value: 10 } },
    riskManagement: { lotSize: 0.1, maxPositions: 1 },
  },
});

interface PaperRig { host: RunningHost; ea: HarnessTerminal; broker: SimBroker; dir: string; intentLines: () => number }

async function rig(paper: boolean, dir?: string): Promise<PaperRig> {
  const broker = twoSymbolBroker();
  const { host, ea, lines, dir: d } = await wholeHostWithEa(binary(), broker, paper, dir);
  // the terminal's history: 100 closed H1 bars, the price at the last one's close
  ea.addBars('EURUSD', 'H1', h1Bars(0, 100));
  ea.tick('EURUSD', H1.close[99]!, H1.close[99]! + 0.00002, H1.time[100]! * 1000);
  ea.tick('GBPUSD', 1.27, 1.27003, H1.time[100]! * 1000);
  expect(await ea.start()).toBe(0);
  await until(() => host.manager.status().terminalConnected === true, 10_000, 'terminal connected');
  // the INTENT frames the host sent the EA: every one is in the bridge's intent ledger first (written before it goes)
  const intentLines = () => lines.filter((l) => l.includes('"intent sent"') || l.includes('"msg":"intent result"')).length;
  return { host, ea, broker, dir: d, intentLines };
}

/** Bars 100..100+n close one by one, with ticks inside each (the live prices the paper broker trades on). */
async function playBars(r: PaperRig, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const t0 = H1.time[i]! * 1000;
    for (const [k, px] of [H1.open[i]!, H1.high[i]!, H1.low[i]!, H1.close[i]!].entries()) {
      r.ea.tick('EURUSD', px, px + 0.00002, t0 + (k + 1) * 600_000);
    }
    await new Promise((res) => setTimeout(res, 30));
    r.ea.tick('EURUSD', H1.close[i]!, H1.close[i]! + 0.00002, H1.time[i + 1]! * 1000);
    r.ea.addBars('EURUSD', 'H1', h1Bars(i, i + 1));
    await new Promise((res) => setTimeout(res, 150));
  }
}

describe('paper trading on live prices (the real EA)', () => {
  it('start --paper: the EA streams prices, the paper broker trades on them, no OrderSend reaches the EA, everything says paper', async () => {
    const r = await rig(true);
    await r.host.manager.start(always('paper-host'));
    await until(() => r.host.manager.get('paper-host')?.runner !== undefined, 10_000, 'strategy ready');
    await playBars(r, 100, 8);
    const venue = r.host.paperVenue()!;
    const snap = await venue.snapshot();
    const ins = snap.deals.filter((d) => d.entry === DEAL_ENTRY.IN);
    const outs = snap.deals.filter((d) => d.entry === DEAL_ENTRY.OUT);
    expect(ins.length).toBeGreaterThanOrEqual(2);
    expect(outs.length).toBeGreaterThanOrEqual(1);
    // at the live prices: each fill is at a price the EA streamed (ask for a buy, bid for a sell; no slippage configured)
    const streamed = new Set<number>();
    for (let i = 99; i < 109; i++) for (const px of [H1.open[i]!, H1.high[i]!, H1.low[i]!, H1.close[i]!]) streamed.add(px).add(Math.round((px + 0.00002) * 1e5) / 1e5);
    for (const d of [...ins, ...outs]) expect(streamed.has(d.price), `deal ${d.ticket} at ${d.price}`).toBe(true);
    expect(snap.deals.every((d) => (d as { paper?: boolean }).paper === true)).toBe(true);
    expect(outs.some((d) => d.reason === DEAL_REASON.TP || d.reason === DEAL_REASON.EXPERT)).toBe(true);
    // nothing reached the broker: not one OrderSend in the EA, the real account untouched, no INTENT frame sent
    expect(r.ea.orderSends).toEqual([]);
    expect(r.broker.deals()).toEqual([]);
    expect(r.broker.positionList()).toEqual([]);
    expect(r.intentLines()).toBe(0);
    // and it says so
    const st = r.host.manager.status();
    expect(st.paper).toBe(true);
    expect(st.strategies).toEqual([{ id: 'paper-host', status: 'running', mode: 'paper' }]);
    expect((st.account as { currency: string }).currency).toBe(r.broker.account().currency);
    expect(r.host.manager.account()?.server).toMatch(/\(paper\)$/);
    for (const p of r.host.manager.positions()) expect((p as { paper?: boolean }).paper).toBe(true);
  }, 90_000);

  it('a mode: paper strategy in a live host trades on paper while the live one beside it reaches the EA', async () => {
    const r = await rig(false);
    await r.host.manager.start(always('on-paper', 'paper'));
    await r.host.manager.start({ ...always('on-live'), rules: { ...always('on-live').rules, riskManagement: { lotSize: 0.2, maxPositions: 1 } } });
    await until(() => r.host.manager.get('on-paper')?.runner !== undefined && r.host.manager.get('on-live')?.runner !== undefined, 10_000, 'strategies ready');
    await playBars(r, 100, 6);
    await new Promise((res) => setTimeout(res, 200));
    const venue = r.host.paperVenue()!;
    const paperDeals = (await venue.snapshot()).deals;
    // the paper strategy's orders: on the paper broker only (0.1 lot); the live one's: at the EA (0.2 lot)
    expect(paperDeals.filter((d) => d.entry === DEAL_ENTRY.IN).length).toBeGreaterThanOrEqual(2);
    expect(paperDeals.every((d) => d.volume === 0.1)).toBe(true);
    expect(r.ea.orderSends.length).toBeGreaterThanOrEqual(2);
    expect(r.ea.orderSends.every((o) => o.request.volume === 0.2)).toBe(true);
    expect(r.intentLines()).toBeGreaterThan(0); // the count of INTENT frames sees the live strategy's
    // the trader closes the paper position by hand: it closes on paper, and still nothing of it reaches the EA
    const sends = r.ea.orderSends.length;
    const open = venue.positions.find((p) => p.magic !== 0)!;
    expect(open).toBeDefined();
    const res = await r.host.manager.manualIntent({ type: 'CLOSE', intentId: 'manual-paper-close', magic: 0, ticket: open.ticket, volume: 0, deviation: 10 });
    expect(res).toMatchObject({ class: 'done', position: open.ticket });
    expect(venue.positions.some((p) => p.ticket === open.ticket)).toBe(false);
    expect(r.ea.orderSends.length).toBe(sends);
    const st = r.host.manager.status();
    expect(st.paper).toBe(false);
    expect(st).toMatchObject({ positions: r.broker.positionList().length, paperPositions: venue.positions.length });
    expect(st.strategies).toEqual([{ id: 'on-paper', status: 'running', mode: 'paper' }, { id: 'on-live', status: 'running', mode: 'live' }]);
  }, 90_000);
});
