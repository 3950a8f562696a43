/**
 * The start's check of the core's state on disk (src/host/state/core-state-shape.ts) never refuses what a real core
 * writes: over random runs of a trading core — accounts, closed trades and auto-pauses, costs, deals counted and
 * forgotten, managed positions opened and changed, exits sent, retried and answered, the kill switch, strategies
 * added and removed, restarts — every text it gives (whole or delta) passes (damaged ones: core-state-file.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { TradingCore, type CoreState } from '../../src/engine/core/trading-core.js';
import { coreDeltaProblem, coreStateProblem } from '../../src/host/state/core-state-shape.js';
import { seeded } from '../helpers.js';
import { T0, fakeRunner as runner, policy, venue } from '../engine/fake-runner.js';

describe("the check of the core's state on disk", () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: every text a real core writes, whole or delta, passes it`, () => {
      const r = seeded(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      let core = new TradingCore(policy);
      const runners = new Map<string, ReturnType<typeof runner>>();
      const ids = Array.from({ length: 10 }, (_, k) => `s${k}`);
      const add = (id: string) => {
        const x = runner(id, 100 + ids.indexOf(id), r);
        runners.set(id, x);
        core.add(id, x as never);
      };
      for (const id of ids.slice(0, 7)) add(id);
      let now = T0;
      let last: string | undefined;
      const seen = { whole: 0, delta: 0, attempts: 0, inflight: 0, managed: 0, halted: 0 };
      for (let step = 0; step < 3000; step++) {
        now += Math.floor(r() * 900);
        const x = r();
        const live = [...runners.keys()];
        if (x < 0.08) core.observeAccount(now, 10_000 + r() * 500, 10_000 + r() * 800);
        else if (x < 0.2 && live.length) core.observeClosed(runners.get(pick(live))!.magic, BigInt(step), now, (r() - 0.6) * 40, r() < 0.2);
        else if (x < 0.24 && live.length) core.observeCost(runners.get(pick(live))!.magic, now, -r() * 3);
        else if (x < 0.32) core.noteDeal(`t#${Math.floor(r() * 400)}`, now - Math.floor(r() * 4 * 86_400));
        else if (x < 0.35) core.dealsRead(now - Math.floor(r() * 3_600));
        else if (x < 0.5 && live.length) core.onBar(pick(live), { time: now, open: 1, high: 1, low: 1, close: 1, tickVolume: 1, realVolume: 0 }, { bid: 1, ask: 1, positions: [] } as never, venue);
        else if (x < 0.58 && live.length) {
          const id = pick(live);
          const ticket = runners.get(id)!.managedPositions()[0]?.ticket ?? BigInt(step);
          core.orders.admit(id, { type: 'CLOSE', intentId: `${id.padEnd(7, 'x')}-${String(step).padStart(14, '0')}`, magic: runners.get(id)!.magic, ticket, volume: 0, deviation: 20 }, { purpose: 'close', ticket });
        } else if (x < 0.68) {
          const flying = (core.orders.state().inflight as { id: string }[]).map((f) => f.id);
          if (flying.length) core.onResult(pick(flying), pick(['done', 'retry', 'final', 'ambiguous'] as const), pick([10009, 10004, 10006, 10036]), 'answer');
        } else if (x < 0.69) core.emergencyStop(now, 'test', 600);
        else if (x < 0.7) core.unlockKillSwitch();
        else if (x < 0.72 && live.length) core.resume(pick(live));
        else if (x < 0.74 && live.length) {
          const id = pick(live);
          core.remove(id);
          runners.delete(id);
        } else if (x < 0.76) {
          const id = pick(ids);
          if (!runners.has(id)) add(id);
        } else if (x < 0.78 && last) {
          // a restart from the whole state as the start reads it
          core = new TradingCore(policy, undefined, JSON.parse(last) as CoreState);
          const again = [...runners.keys()];
          runners.clear();
          for (const id of again) add(id);
        } else {
          const t = core.changedStateText(r() < 0.85);
          if (!t) continue;
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
        }
      }
      // the runs reached every part the check looks at
      for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
    });
  }
});
