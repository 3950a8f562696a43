/**
 * A runner as the trading core sees it, driven at random, for tests of the core's state (tests/engine/core-state.test.ts,
 * tests/host/core-state-shape.test.ts); with the venue and policy those tests give the core.
 */
import { NO_POLICY } from '../../src/engine/core/risk-gate.js';
import type { ManagedPosition } from '../../src/engine/exits.js';
import { DEFAULT_AUTO_PAUSE } from '../../src/engine/safety.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';

export const T0 = Date.UTC(2024, 0, 8, 10) / 1000;

/**
 * A runner as the core sees it: its managed positions change only when it decides (or an intent of it is refused,
 * or they are restored) — as StrategyRunner's do.
 */
export function fakeRunner(id: string, magic: number, r: () => number) {
  const managed = new Map<bigint, ManagedPosition>();
  const strategy = normalizeStrategy({
    strategyId: id, symbol: 'EURUSD', timeframe: 'H1',
    rules: { entry: { direction: 'BOTH', conditions: [{ indicator: 'ema_5', condition: 'crosses_above', indicatorRef: 'ema_13' }] }, exit: { stopLoss: { type: 'pips', value: 15 } }, riskManagement: { lotSize: 0.1, ...(magic % 2 ? { maxDailyLoss: 50 } : {}) } },
  });
  let bars = 0;
  return {
    magic, strategy,
    get managing() {
      return managed.size > 0;
    },
    managedPositions: () => [...managed.values()].map((m) => ({ ...m })),
    restoreManaged: (list: readonly ManagedPosition[]) => {
      for (const m of list) managed.set(m.ticket, { ...m });
    },
    onRejected: (tag: { ticket?: bigint }) => {
      const m = tag.ticket !== undefined ? managed.get(tag.ticket) : undefined;
      if (m) m.breakEvenDone = false;
    },
    onBar: () => {
      bars++;
      const x = r();
      if (x < 0.3) {
        const ticket = BigInt(magic * 1000 + bars);
        managed.set(ticket, { ticket, side: 0, entry: 1.1, initialVolume: 0.2, volume: 0.2, sl: 1.09, tp: 1.12, risk: 0.01, openTime: T0 + bars, partialsDone: 0, breakEvenDone: false });
      } else if (x < 0.5 && managed.size) {
        const m = [...managed.values()][Math.floor(r() * managed.size)]!;
        m.partialsDone++;
        m.volume = Math.round(m.volume * 50) / 100;
        m.breakEvenDone = true;
      } else if (x < 0.6) {
        managed.clear();
      }
      return { time: T0 + bars * 3600, evaluation: { signal: null }, filters: [], intents: [], tags: [], notes: [] };
    },
  };
}

export const venue = { now: T0, account: () => ({ balance: 10_000, equity: 10_000, freeMargin: 10_000 }), positions: () => [], marginFor: () => 0, marketOpen: () => true };
export const policy = { ...NO_POLICY, autoPause: { ...DEFAULT_AUTO_PAUSE, consecutiveLosses: 3 } };
