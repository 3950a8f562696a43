/**
 * The broker's facts in the live host (issue 21, item 1) and the anomaly guard's actions (item 3), against the
 * simulated terminal over the real bridge: the broker's time zone inferred from what the terminal reports (or
 * set in config) and used by the session filter; intrabar strategies judged on the forming bar of the ticks, each
 * entry sent once; the tick value refreshed from the terminal while ticks come; a spread spike reducing or closing
 * the strategies' positions when configured so.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars, type BarSeries } from '../../src/engine/bars.js';
import type { Decision } from '../../src/engine/runner.js';
import { StrategyManager } from '../../src/host/trading/manager.js';
import type { LiveOptions } from '../../src/host/trading/manager.js';
import type { ManagerOptions } from '../../src/host/trading/context.js';
import { silentLogger } from '../../src/host/logger.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import type { IntentBody } from '../../src/protocol/messages.js';
import { replayBars } from '../../src/sim/replay.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import type { SimTerminalOptions } from '../../src/sim/terminal.js';
import { makeBroker, startRig, until } from '../helpers.js';

const eurusd = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 2000);
const example = (f: string) => JSON.parse(readFileSync(`examples/${f}.json`, 'utf8'));

async function setup(o: { symbol?: string; data?: BarSeries; sim?: Partial<SimTerminalOptions>; mgr?: Partial<ManagerOptions & LiveOptions>; at?: number } = {}) {
  const symbol = o.symbol ?? 'EURUSD';
  const data = o.data ?? eurusd;
  const at = o.at ?? 600;
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-live-'));
  const store = await Store.open(dir);
  const rig = await startRig({ ledger: new PersistentLedger(store), symbols: [], bars: [] });
  const broker = makeBroker({}, [symbolSpec(symbol, { commissionPerLot: 0 })]);
  broker.quote(symbol, data.open[at]!, data.open[at]! + 10 * broker.spec(symbol)!.point, data.time[at]! * 1000);
  const { sim, terminal } = await rig.connect({ broker, ...o.sim });
  const mgr = new StrategyManager(store, silentLogger, { warmupBars: 500, now: () => Math.floor(broker.time / 1000), ...o.mgr });
  const sent: { id: string; intent: IntentBody }[] = [];
  mgr.on('sent', (id: string, intent: IntentBody) => sent.push({ id, intent }));
  mgr.attach(terminal);
  sim.setHistory(symbol, 'H1', data, at);
  await until(() => terminal.connected, 5000, 'connected');
  return { dir, store, rig, broker, sim, terminal, mgr, sent, data, symbol };
}

describe("the broker's time zone", () => {
  it('is inferred from the offset the terminal reports (a GMT+0 broker) and used by the session filter; status says which', async () => {
    const s = await setup({ sim: { serverTimeOffset: 0 } });
    try {
      await s.mgr.start(example('ema-cross-trend'));
      await until(() => s.mgr.get('ema-cross-trend')?.runner !== undefined, 10_000, 'prepared');
      expect(s.mgr.brokerZone()).toMatchObject({ zone: { kind: 'fixed', offsetSec: 0 }, source: 'inferred' });
      expect(s.mgr.status().brokerTime).toEqual({ zone: 'GMT+0 (no DST)', source: 'inferred' });
      const sessions: { T: number; detail: string }[] = [];
      s.mgr.on('decision', (_id: string, d: Decision) => {
        const f = d.filters.find((x) => x.filter === 'session');
        if (f) sessions.push({ T: d.time, detail: f.detail });
      });
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1100, defaultSpread: 10 });
      expect(sessions.length).toBeGreaterThan(3);
      // server time is UTC at this broker: the filter's UTC hour is the server hour (the default zone would be 2–3 h off)
      for (const x of sessions) expect(x.detail.slice(11, 13)).toBe(String(new Date(x.T * 1000).getUTCHours()).padStart(2, '0'));
      // the readings are kept: a restarted host starts from them
      expect(JSON.parse(readFileSync(join(s.dir, 'broker-clock.json'), 'utf8'))).toEqual([expect.objectContaining({ offsetSec: 0 })]);
    } finally {
      await s.rig.close();
    }
  });

  it('set in config, it is used whatever the terminal reports', async () => {
    const s = await setup({ sim: { serverTimeOffset: 0 }, mgr: { brokerZone: { kind: 'eu-dst', standardOffsetSec: 7200 } } });
    try {
      await s.mgr.start(example('ema-cross-trend'));
      await until(() => s.mgr.get('ema-cross-trend')?.runner !== undefined, 10_000, 'prepared');
      expect(s.mgr.brokerZone()).toMatchObject({ zone: { kind: 'eu-dst', standardOffsetSec: 7200 }, source: 'config' });
      expect(s.mgr.get('ema-cross-trend')!.runner!.tz).toEqual({ kind: 'eu-dst', standardOffsetSec: 7200 });
    } finally {
      await s.rig.close();
    }
  });
});

describe('intrabar strategies', () => {
  it('are judged on the forming bar of the ticks: entries leave before their bar closes, each once', async () => {
    const ex = example('ema-cross-trend');
    const strategy = { ...ex, strategyId: 'intrabar', rules: { ...ex.rules, filters: {}, options: { evaluation: 'intrabar' } } };
    const s = await setup({ mgr: { intrabarMs: 0 } });
    try {
      let closedUpTo = 0; // the close time of the last closed bar the host got
      // before the manager's own listener: a decision sent while a bar is being handled is that bar's, not an early one
      s.terminal.prependListener('bar', (m: { bar: number[] }) => (closedUpTo = m.bar[0]! + 3600));
      const early: string[] = [];
      s.mgr.on('sent', (_id: string, i: IntentBody) => {
        if (i.type !== 'OPEN') return;
        const T = parseInt(i.intentId.split('-')[1]!, 36); // the decision's time: the close of the bar it was taken on
        if (T > closedUpTo) early.push(i.intentId);
      });
      await s.mgr.start(strategy);
      await until(() => s.mgr.get('intrabar')?.runner !== undefined, 10_000, 'prepared');
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1600, defaultSpread: 10 });
      const opens = s.sent.filter((x) => x.intent.type === 'OPEN').map((x) => x.intent.intentId);
      expect(early.length).toBeGreaterThan(0); // decided on a forming bar
      expect(new Set(opens).size).toBe(opens.length); // never the same entry twice (the bar's close decides under the same id)
      // the broker opened one position per entry sent and done
      const deals = s.sim.broker.deals().filter((d) => d.entry === 0);
      expect(deals.length).toBeLessThanOrEqual(opens.length);
      expect(deals.length).toBeGreaterThan(0);
    } finally {
      await s.rig.close();
    }
  });
});

describe("the symbol's contract facts", () => {
  it('the tick value follows the terminal while ticks come (USDJPY on a USD account moves with its price)', async () => {
    // USDJPY bars: EURUSD's shape around 110, then the price driven to 150 by the replay
    const data: BarSeries = { ...eurusd, open: eurusd.open.map((x) => x * 100), high: eurusd.high.map((x) => x * 100), low: eurusd.low.map((x) => x * 100), close: eurusd.close.map((x) => x * 100) } as BarSeries;
    const s = await setup({ symbol: 'USDJPY', data });
    try {
      await s.mgr.start({ ...example('ema-cross-trend'), symbol: 'USDJPY' });
      await until(() => s.mgr.get('ema-cross-trend')?.runner !== undefined, 10_000, 'prepared');
      const first = s.mgr.market.specs.get('USDJPY')!.tickValue;
      expect(first).toBeCloseTo(s.broker.tickValue('USDJPY')!, 9);
      const scaled = { ...data, open: data.open.map((x) => x * 1.3), high: data.high.map((x) => x * 1.3), low: data.low.map((x) => x * 1.3), close: data.close.map((x) => x * 1.3) } as BarSeries;
      await replayBars(s.sim, { symbol: 'USDJPY', timeframe: 'H1', bars: scaled, from: 600, to: 640, defaultSpread: 10 });
      await until(() => Math.abs(s.mgr.market.specs.get('USDJPY')!.tickValue - s.broker.tickValue('USDJPY')!) < 1e-9, 5000, 'refreshed');
      expect(s.mgr.market.specs.get('USDJPY')!.tickValue).toBeLessThan(first * 0.85); // 1.3× the price, 1/1.3 the tick value
      // the runner sizes on the same object: it sees the refreshed facts
      expect(s.mgr.get('ema-cross-trend')!.runner!.symbol.tickValue).toBe(s.mgr.market.specs.get('USDJPY')!.tickValue);
    } finally {
      await s.rig.close();
    }
  });
});

describe('the anomaly guard', () => {
  for (const action of ['reduce', 'close'] as const) {
    it(`a spread spike ${action === 'reduce' ? 'halves' : 'closes'} the strategies' positions on the symbol when configured to ${action}`, async () => {
      const s = await setup({ mgr: { anomaly: { spread: action, slippage: 'log', latency: 'log', rejects: 'log' } } });
      try {
        await s.mgr.start(example('ema-cross-trend'));
        await until(() => s.mgr.get('ema-cross-trend')?.runner !== undefined, 10_000, 'prepared');
        const magic = s.mgr.get('ema-cross-trend')!.runner!.magic;
        const r = await s.terminal.sendIntent({ type: 'OPEN', intentId: 'seed-1', symbol: 'EURUSD', side: 0, volume: 0.2, sl: 0, tp: 0, deviation: 20, magic });
        expect(r.class).toBe('done');
        await until(() => s.terminal.positions.length === 1, 5000, 'position');
        const t0 = s.broker.time;
        const bid = 1.1;
        for (let k = 0; k < 30; k++) s.sim.quote('EURUSD', bid, bid + 0.0001 * (1 + (k % 3)), t0 + k * 1000, true); // 10–30-point spreads
        await new Promise((res) => setTimeout(res, 300));
        expect(s.terminal.positions[0]!.volume).toBe(0.2); // nothing yet
        s.sim.quote('EURUSD', bid, bid + 0.0030, t0 + 31_000, true); // a 300-point spread
        if (action === 'close') await until(() => s.terminal.positions.length === 0, 5000, 'closed');
        else await until(() => s.terminal.positions[0]?.volume === 0.1, 5000, 'halved');
        expect(s.store.data.audit.some((a) => a.event === 'anomaly guard')).toBe(true);
        // and entries on the symbol are skipped while it holds (a reduce or close blocks too)
        expect(s.mgr.activeAnomalies('EURUSD').map((a) => a.kind)).toContain('spread');
      } finally {
        await s.rig.close();
      }
    });
  }
});
