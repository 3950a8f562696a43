/**
 * Deals made while the host was away reach the risk gate: the host stops (its bridge goes), the terminal stays up
 * and the broker closes a strategy's position at its stop loss; at the next connection the new host reads the
 * terminal's deal history from where its trading core last knew it and counts the loss against the strategy's own
 * daily limit — once, whatever reconnects after (core-driver.ts catchUpDeals, missed-deals.ts).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { strategyMagic } from '../../src/engine/runner.js';
import { BridgeServer } from '../../src/host/bridge/server.js';
import { silentLogger } from '../../src/host/logger.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import { generateToken } from '../../src/host/state/token.js';
import { StrategyManager } from '../../src/host/trading/manager.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { makeBroker, until } from '../helpers.js';

const bars = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 1200);
const strategyJson = { ...JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8')), strategyId: 'away' };
strategyJson.rules.riskManagement = { ...strategyJson.rules.riskManagement, maxDailyLoss: 100 };

describe('deals made while the host was away', () => {
  it('an SL hit during the downtime counts against the strategy\'s daily loss at the next connection, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-away-'));
    const token = generateToken();
    const broker = makeBroker({}, [symbolSpec('EURUSD')]);
    const t0 = bars.time[1000]! * 1000;
    broker.quote('EURUSD', bars.open[1000]!, bars.open[1000]! + 0.0001, t0);
    const now = () => Math.floor(broker.time / 1000);
    /** A host: its store, bridge and strategy manager on `dir` (a port of 0 the first time, the same one after). */
    const host = async (port: number) => {
      const store = await Store.open(dir);
      const server = new BridgeServer({ token, port, symbols: [], bars: [], ledger: new PersistentLedger(store) });
      const p = await server.start();
      const mgr = new StrategyManager(store, silentLogger, { warmupBars: 300, now });
      mgr.attach(server.terminal('1001@Sim-Test'));
      return { store, server, mgr, port: p, stop: async () => (await server.stop(), store.close()) };
    };
    const today = (mgr: StrategyManager) => ((mgr.performance().strategies as { id: string; todayRealized: number }[]).find((x) => x.id === 'away')?.todayRealized);

    let h = await host(0);
    const sim = new SimTerminal({ url: `ws://127.0.0.1:${h.port}`, token, broker, reconnectMinMs: 30, reconnectMaxMs: 100 });
    sim.setHistory('EURUSD', 'H1', bars, 1000);
    try {
      await sim.connect();
      const t = h.server.terminal('1001@Sim-Test');
      await until(() => t.connected && t.account !== undefined, 5000, 'terminal');
      await h.mgr.start(strategyJson);
      // a position of the strategy (its magic), 1 lot, stop loss 20 pips below
      const magic = strategyMagic(normalizeStrategy(strategyJson));
      const ask = bars.open[1000]! + 0.0001;
      const sl = Math.round((ask - 0.002) * 1e5) / 1e5;
      const open = await t.sendIntent({ type: 'OPEN', intentId: 'away-open', magic, symbol: 'EURUSD', side: 0, volume: 1, sl, tp: 0, deviation: 10 });
      expect(open.class).toBe('done');
      await until(() => h.mgr.positions().length === 1, 5000, 'position reported');
      const entryCost = broker.deals().at(-1)!.commission; // an entry's commission counts in the day at once
      await until(() => today(h.mgr) === entryCost, 5000, 'the entry commission counted');
      expect(entryCost).toBeLessThan(0);

      // the host goes away; the broker hits the stop loss meanwhile
      await h.stop();
      await until(() => !sim.connected, 5000, 'terminal saw the host go');
      broker.quote('EURUSD', sl - 0.0005, sl - 0.0004, t0 + 600_000);
      expect(broker.positionList()).toHaveLength(0);
      const slDeal = broker.deals().at(-1)!;
      const loss = Math.round((entryCost + slDeal.profit + slDeal.swap + slDeal.commission) * 100) / 100;
      expect(loss).toBeLessThan(-100); // beyond the strategy's limit of 100

      // a new host on the same folder: at the connection, the deal made while it was away is counted
      h = await host(h.port);
      const t2 = h.server.terminal('1001@Sim-Test');
      await until(() => t2.connected, 10_000, 'terminal reconnected');
      await until(() => today(h.mgr) !== undefined && today(h.mgr) !== entryCost, 10_000, 'the missed deal counted');
      expect(today(h.mgr)).toBe(loss);
      expect(h.mgr.core.gate.strategyDailyLossReason('away', now(), { maxDailyLoss: 100 }, 0)).toMatch(/today's loss .* has reached its limit 100/);

      // another reconnection reads the history again: nothing counted twice
      const connects = sim.connects;
      sim.drop();
      await until(() => sim.connects > connects && t2.connected, 10_000, 'reconnected again');
      await new Promise((r) => setTimeout(r, 300));
      expect(today(h.mgr)).toBe(loss);
      // and a restart of the host on the same day neither
      await h.stop();
      h = await host(h.port);
      await until(() => h.server.terminal('1001@Sim-Test').connected, 10_000, 'reconnected after a restart');
      await new Promise((r) => setTimeout(r, 300));
      expect(today(h.mgr)).toBe(loss);
    } finally {
      await sim.close();
      await h.stop().catch(() => undefined);
    }
  }, 60_000);
});
