/**
 * The core's state written by change (src/engine/core/core-state.ts): over random runs of a trading core — accounts,
 * closed trades, costs, deals counted and forgotten, decisions that change managed positions, intents sent and
 * answered, pauses, resumes, the kill switch, strategies added and removed, restarts — the state rebuilt from the
 * last whole text and the deltas after it is, at every text, the core's whole state.
 */
import { describe, expect, it } from 'vitest';
import { applyCoreStateDelta, type CoreStateDelta } from '../../src/engine/core/core-state.js';
import { TradingCore, type CoreState } from '../../src/engine/core/trading-core.js';
import { seeded } from '../helpers.js';
import { T0, fakeRunner, policy, venue } from './fake-runner.js';

const plain = (s: CoreState): unknown => JSON.parse(JSON.stringify(s));

describe('the core\'s state by change', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: the last whole state and the deltas after it rebuild the core's state at every text`, () => {
      const r = seeded(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      let core = new TradingCore(policy);
      const runners = new Map<string, ReturnType<typeof fakeRunner>>();
      const ids = Array.from({ length: 12 }, (_, k) => `s${k}`);
      const add = (id: string) => {
        const runner = fakeRunner(id, 100 + ids.indexOf(id), r);
        runners.set(id, runner);
        core.add(id, runner as never);
      };
      for (const id of ids.slice(0, 8)) add(id);
      let now = T0;
      let written: unknown;
      // the deals counted, as the core must keep them: first sight counts, tickets older than two days before the newest read forgotten
      let seen = new Map<string, number>();
      let readTo = 0;
      let texts = 0, deltas = 0, intents = 0;
      for (let step = 0; step < 3000; step++) {
        now += Math.floor(r() * 900);
        const x = r();
        const live = [...runners.keys()];
        if (x < 0.08) core.observeAccount(now, 10_000 + r() * 500, 10_000 + r() * 800);
        else if (x < 0.18 && live.length) core.observeClosed(runners.get(pick(live))!.magic, BigInt(step), now, (r() - 0.6) * 40, r() < 0.2);
        else if (x < 0.22 && live.length) core.observeCost(runners.get(pick(live))!.magic, now, -r() * 3);
        else if (x < 0.32) {
          const k = `t#${Math.floor(r() * 400)}`, t = now - Math.floor(r() * 4 * 86_400);
          expect(core.noteDeal(k, t)).toBe(!seen.has(k));
          if (!seen.has(k)) seen.set(k, t);
        } else if (x < 0.36) {
          const to = now - Math.floor(r() * 3_600);
          core.dealsRead(to);
          if (to > readTo) {
            readTo = to;
            seen = new Map([...seen].filter(([, t]) => t >= to - 2 * 86_400));
          }
          expect(core.state().deals).toEqual({ seen: Object.fromEntries(seen), readTo });
        }
        else if (x < 0.52 && live.length) core.onBar(pick(live), { time: now, open: 1, high: 1, low: 1, close: 1, tickVolume: 1, realVolume: 0 }, { bid: 1, ask: 1, positions: [] } as never, venue);
        else if (x < 0.6 && live.length) {
          const id = pick(live);
          const m = runners.get(id)!;
          const ticket = m.managedPositions()[0]?.ticket ?? BigInt(step);
          const intent = { type: 'CLOSE' as const, intentId: `${id.padEnd(7, 'x')}-${String(intents++).padStart(14, '0')}`, magic: m.magic, ticket, volume: 0, deviation: 20 };
          core.orders.admit(id, intent, { purpose: 'close', ticket });
        } else if (x < 0.68) {
          const flying = (core.orders.state().inflight as { id: string }[]).map((f) => f.id);
          if (flying.length) core.onResult(pick(flying), pick(['done', 'retry', 'final', 'ambiguous'] as const), pick([10009, 10004, 10006, 10036]), 'answer');
        } else if (x < 0.7 && live.length) core.resume(pick(live));
        else if (x < 0.71) core.emergencyStop(now, 'test', 600);
        else if (x < 0.72) core.unlockKillSwitch();
        else if (x < 0.74 && live.length) {
          const id = pick(live);
          core.remove(id);
          runners.delete(id);
        } else if (x < 0.76) {
          const id = pick(ids);
          if (!runners.has(id)) add(id);
        } else if (x < 0.78 && written) {
          // a restart: a new core from the state on disk, the runners built again (their managed positions restored by the core)
          core = new TradingCore(policy, undefined, structuredClone(written) as CoreState);
          seen = new Map(Object.entries((written as CoreState).deals!.seen));
          readTo = (written as CoreState).deals!.readTo;
          const again = [...runners.keys()];
          runners.clear();
          for (const id of again) add(id);
        } else {
          const t = core.changedStateText(r() < 0.85);
          if (!t) continue;
          texts++;
          if (t.delta) deltas++;
          written = t.delta ? applyCoreStateDelta(written as CoreState, JSON.parse(t.text) as CoreStateDelta) : JSON.parse(t.text);
          expect(written, `step ${step}`).toEqual(plain(core.state()));
        }
      }
      expect(texts).toBeGreaterThan(100);
      expect(deltas).toBeGreaterThan(texts / 2);
    });
  }

  it('the first text, and the first after a restore, is the whole state; a delta carries only what was touched', () => {
    const core = new TradingCore(policy);
    const r = seeded(9);
    const runners = ['a', 'b', 'c'].map((id, k) => fakeRunner(id, 10 + k, r));
    runners.forEach((x, k) => core.add(['a', 'b', 'c'][k]!, x as never));
    core.observeAccount(T0, 10_000, 10_000);
    expect(core.changedStateText(true)?.delta).toBe(false);
    core.observeClosed(11, 1n, T0 + 60, -5, false);
    core.noteDeal('t#1', T0 + 60);
    const d = JSON.parse(core.changedStateText(true)!.text) as CoreStateDelta;
    expect(Object.keys(d.rs)).toEqual(['b']);
    expect(d.deals).toEqual([['t#1', T0 + 60]]);
    expect(d.managed).toEqual({});
    expect(core.changedStateText(true)).toBeUndefined(); // nothing changed since
    core.restore(core.state());
    core.observeClosed(10, 2n, T0 + 120, -5, false);
    expect(core.changedStateText(true)?.delta).toBe(false);
  });
});
