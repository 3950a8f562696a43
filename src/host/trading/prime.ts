/**
 * Priming the signal path at start-up. A host that has just started runs its first signals through code V8 has
 * not compiled yet (functions compile on their first call) and then interprets until they have run often enough
 * to be optimised: measured on the host benchmark, the first bars on which strategies send orders took 2–5 ms in
 * the host against ~1 ms once the same code was warm. Low-latency trading systems warm their order path before
 * the market opens; this does it the same way, with the host's own classes end to end: a bridge server on its own
 * ephemeral loopback port and token, a simulated terminal in this process, a strategy manager with a throw-away
 * store (its intent journal included) in a temporary folder, and four strategies that open, modify and close
 * positions on synthetic bars, with the stops, exits and filters strategies commonly use. Nothing of it touches the real terminal, ledger or store; the folder is removed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BarSeries } from '../../engine/bars.js';
import { SimBroker } from '../../sim/broker.js';
import { symbolSpec } from '../../sim/symbols.js';
import { SimTerminal, barTupleAt } from '../../sim/terminal.js';
import { BridgeServer } from '../bridge/server.js';
import { silentLogger } from '../logger.js';
import { StrategyManager } from './manager.js';
import { PersistentLedger, Store } from '../state/store.js';
import { generateToken } from '../state/token.js';

export interface PrimeResult {
  /** Wall time of the whole priming, ms. */
  ms: number;
  bars: number;
  /** Intents the priming strategies sent and the simulated terminal answered. */
  intents: number;
  /** Those intents by type, and how many of them the simulated broker executed (result class `done`). */
  types: Record<string, number>;
  done: number;
}

const H1 = 3600;
/** Monday 2024-01-08 00:00, server time: the synthetic bars start here. */
const START = 1_704_672_000;

/**
 * Hourly bars swinging around 1.1 (a few pips of noise on a slow wave), so that a price/EMA cross happens every
 * few bars and the stops and targets below are hit now and then.
 */
export function primingBars(n: number): BarSeries {
  const col = () => new Float64Array(n);
  const s: BarSeries = {
    time: col(), open: col(), high: col(), low: col(), close: col(), tickVolume: col(), spread: col(), realVolume: col(),
    timeText: [], length: n, periodSec: H1, layout: 'mt5-copy-rates',
  };
  let prev = 1.1;
  for (let i = 0; i < n; i++) {
    const close = Math.round((1.1 + 0.004 * Math.sin(i / 5) + 0.0012 * Math.sin(i * 1.7)) * 1e5) / 1e5;
    s.time[i] = START + i * H1;
    s.open[i] = prev;
    s.high[i] = Math.round((Math.max(prev, close) + 0.0004) * 1e5) / 1e5;
    s.low[i] = Math.round((Math.min(prev, close) - 0.0004) * 1e5) / 1e5;
    s.close[i] = close;
    s.tickVolume[i] = 1000 + (i % 7) * 100;
    s.spread[i] = 10;
    s.timeText.push('');
    prev = close;
  }
  return s;
}

const CROSS = { direction: 'BOTH', logic: 'AND', conditions: [{ indicator: 'price', condition: 'crosses_above', indicatorRef: 'ema_3' }] };
const ALL_SESSIONS = ['Sydney', 'Tokyo', 'London', 'NewYork'];

/**
 * Four strategies that enter on a price/EMA(3) cross either way and between them take the engine's usual roads:
 * ATR, pip, percentage and fixed stops and targets; ATR and pip trailing stops, break-even, exit conditions, a
 * maximum holding time, the opposite-signal exit; the session, spread (reducing the size) and volatility filters;
 * and the refusal of a stop on the wrong side (the fixed prices suit only one side).
 */
const PRIMING_STRATEGIES = [
  {
    entry: CROSS,
    exit: { stopLoss: { type: 'atr', multiplier: 2, atrPeriod: 14 }, takeProfit: { type: 'rr_ratio', ratio: 2 }, trailing: { enabled: true, atrMult: 1, activationRR: 0.3 } },
    riskManagement: { lotSize: 0.1, maxPositions: 1 },
    filters: {
      sessionFilter: { allowedSessions: ALL_SESSIONS, action: 'SKIP' },
      spreadFilter: { enabled: true, maxSpread: 0.5, action: 'REDUCE_SIZE', sizeMultiplier: 0.5 },
    },
  },
  {
    entry: CROSS,
    exit: {
      stopLoss: { type: 'pips', value: 15 }, takeProfit: { type: 'pips', value: 25 }, breakEven: { atRR: 0.5, offsetPips: 1 },
      conditions: { logic: 'OR', conditions: [{ indicator: 'price', condition: 'crosses_below', indicatorRef: 'ema_5' }] },
    },
    riskManagement: { lotSize: 0.05, maxPositions: 2 },
    filters: { volatilityFilter: { atrPeriod: 14, minAtr: 0, maxAtr: 1000, optimalAtr: 15, action: 'SKIP' } },
  },
  {
    entry: CROSS,
    exit: { stopLoss: { type: 'pips', value: 12 }, takeProfit: { type: 'percentage', value: 0.2 }, maxHoldingHours: 3, exitOnOppositeSignal: false },
    riskManagement: { lotSize: 0.1, maxPositions: 1 },
    filters: { sessionFilter: { allowedSessions: ALL_SESSIONS, action: 'REDUCE_SIZE', sizeMultiplier: 0.5 } },
  },
  {
    entry: CROSS,
    exit: { stopLoss: { type: 'fixed', price: 1.05 }, takeProfit: { type: 'fixed', price: 1.15 }, exitOnOppositeSignal: true, trailing: { distance: 15, activation: 10 } },
    riskManagement: { lotSize: 0.01, maxPositions: 1 },
  },
].map((rules, k) => ({ strategyName: `signal-path priming ${k + 1}`, symbol: 'PRIME', timeframe: 'H1', rules }));

/**
 * Run the priming: `strategies` priming strategies (the four in turn) on one symbol (so bars carry several intents,
 * as a symbol with several strategies does), `bars` closed bars after a warm-up. Resolves when done; never throws for
 * a failure inside (the host trades without it, only slower on its first signals) — the error is in `error`.
 */
export async function primeSignalPath(
  opts: { bars?: number; strategies?: number; timeoutMs?: number; /** an empty folder to use (created, then removed); default a new temporary one */ dir?: string } = {},
): Promise<PrimeResult & { error?: string }> {
  const t0 = performance.now();
  const nBars = opts.bars ?? 150, nStrategies = opts.strategies ?? 4, warm = 60;
  const deadline = t0 + (opts.timeoutMs ?? 15_000);
  const series = primingBars(warm + nBars + 1);
  let dir: string | undefined;
  let server: BridgeServer | undefined, term: SimTerminal | undefined, store: Store | undefined;
  let intents = 0, bars = 0, done = 0;
  const types: Record<string, number> = {};
  try {
    if (opts.dir) {
      rmSync(opts.dir, { recursive: true, force: true }); // a priming killed half-way leaves its folder behind
      mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
      dir = opts.dir;
    } else dir = mkdtempSync(join(tmpdir(), 'mt5x-prime-'));
    store = await Store.open(dir);
    const broker = new SimBroker({
      account: { login: 1, server: 'Priming', currency: 'USD', leverage: 100, marginMode: 2, balance: 1e6 },
      symbols: [symbolSpec('EURUSD', { symbol: 'PRIME', sessions: [], commissionPerLot: 0 })],
      fixedRates: { EURUSD: 1.1 },
    });
    const token = generateToken();
    server = new BridgeServer({ token, host: '127.0.0.1', port: 0, symbols: [], bars: [], ledger: new PersistentLedger(store), logger: silentLogger });
    const port = await server.start();
    const mgr = new StrategyManager(store, silentLogger, {
      warmupBars: warm,
      limits: { maxDailyLossPercent: 100, maxDrawdownPercent: 100, maxLot: 100, maxPositionsAccount: 1e6, maxPositionsSymbol: 1e6, maxPositionsStrategy: 1e6, maxCorrelatedLots: 1e9, correlationThreshold: 1 },
      risk: { autoPause: null }, // a rehearsal on synthetic bars: its losses must not pause it half-way
    });
    let settled = 0, sent = 0, decisions = 0;
    mgr.on('decision', () => decisions++);
    mgr.on('sent', () => sent++);
    mgr.on('intent', (_id: string, intent: { type: string }, res: { class?: string } | Error) => {
      settled++;
      types[intent.type] = (types[intent.type] ?? 0) + 1;
      if (!(res instanceof Error) && res.class === 'done') done++;
    });
    const attached = new Promise<void>((res) => server!.once('terminal', (t) => (mgr.attach(t), res())));
    term = new SimTerminal({ url: `ws://127.0.0.1:${port}`, token, broker, reconnect: false });
    term.setHistory('PRIME', 'H1', series, warm);
    broker.quote('PRIME', series.open[warm]!, series.open[warm]! + 0.0001, series.time[warm]! * 1000);
    await term.connect();
    await attached;
    for (let k = 0; k < nStrategies; k++) await mgr.start({ ...PRIMING_STRATEGIES[k % PRIMING_STRATEGIES.length]!, strategyId: `prime-${k}` });
    const ready = () => mgr.list().every((r) => mgr.get(r.id)?.runner);
    while (!ready()) {
      if (performance.now() > deadline) throw new Error('the priming strategies were not ready in time');
      await new Promise((r) => setTimeout(r, 5));
    }
    for (let i = warm; i < warm + nBars; i++) {
      // bar i closes; the tick that opens bar i + 1 (as a terminal sends them)
      term.barClosed('PRIME', 'H1', barTupleAt(series, i));
      term.quote('PRIME', series.open[i + 1]!, series.open[i + 1]! + 0.0001, series.time[i + 1]! * 1000);
      bars++;
      // this bar's intents answered before the next bar (the decision event comes after the intents are sent)
      while (decisions < bars * nStrategies || settled < sent) {
        if (performance.now() > deadline) throw new Error(`bar ${i - warm + 1} of ${nBars}: intents not answered in time`);
        await new Promise((r) => setImmediate(r));
      }
    }
    intents = settled;
    return { ms: Math.round(performance.now() - t0), bars, intents, types, done };
  } catch (e) {
    return { ms: Math.round(performance.now() - t0), bars, intents, types, done, error: (e as Error).message };
  } finally {
    await term?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    try {
      await store?.coreStateWritten();
      store?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    } catch {
      // a folder left behind is wiped by the next priming that uses it
    }
  }
}
