/**
 * The start's check of the core's state on disk (src/host/state/core-state-shape.ts) never refuses what a real core
 * writes: over random runs of a trading core — accounts, closed trades and auto-pauses, costs, deals counted and
 * forgotten, managed positions opened and changed, exits sent, retried and answered, the kill switch, strategies
 * added and removed, restarts — every text it gives (whole or delta) passes (damaged ones: core-state-file.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { CoreState } from '../../src/engine/core/trading-core.js';
import { coreDeltaProblem, coreStateProblem } from '../../src/host/state/core-state-shape.js';
import { walkCore } from '../engine/core-walk.js';

describe("the check of the core's state on disk", () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: every text a real core writes, whole or delta, passes it`, () => {
      let last: string | undefined;
      const seen = { whole: 0, delta: 0, attempts: 0, inflight: 0, managed: 0, halted: 0 };
      walkCore(seed, {
        ids: 10,
        startWith: 7,
        // a restart from the whole state as the start reads it
        restartFrom: () => (last ? (JSON.parse(last) as CoreState) : undefined),
        text(t, core, step) {
          const parsed = JSON.parse(t.text) as Record<string, unknown>;
          expect((t.delta ? coreDeltaProblem : coreStateProblem)(parsed), `step ${step}: ${t.text.slice(0, 300)}`).toBeUndefined();
          seen[t.delta ? 'delta' : 'whole']++;
          const whole = JSON.parse(JSON.stringify(core.state())) as CoreState;
          expect(coreStateProblem(whole), `step ${step}`).toBeUndefined();
          last = JSON.stringify(whole);
          seen.attempts += whole.orders.attempts.length;
          seen.inflight += whole.orders.inflight.length + whole.orders.retry.length;
          seen.managed += Object.keys(whole.managed).length;
          seen.halted += Object.keys(whole.halted).length;
        },
      });
      // the runs reached every part the check looks at
      for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
    });
  }
});
