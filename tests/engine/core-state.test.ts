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
import { walkCore } from './core-walk.js';
import { T0, fakeRunner, policy } from './fake-runner.js';

const plain = (s: CoreState): unknown => JSON.parse(JSON.stringify(s));

describe('the core\'s state by change', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: the last whole state and the deltas after it rebuild the core's state at every text`, () => {
      let written: unknown;
      // the deals counted, as the core must keep them: first sight counts, tickets older than two days before the newest read forgotten
      let seen = new Map<string, number>();
      let readTo = 0;
      let texts = 0, deltas = 0;
      walkCore(seed, {
        ids: 12,
        startWith: 8,
        noted(k, t, isNew) {
          expect(isNew).toBe(!seen.has(k));
          if (!seen.has(k)) seen.set(k, t);
        },
        dealsRead(to, core) {
          if (to > readTo) {
            readTo = to;
            seen = new Map([...seen].filter(([, t]) => t >= to - 2 * 86_400));
          }
          expect(core.state().deals).toEqual({ seen: Object.fromEntries(seen), readTo });
        },
        restartFrom() {
          // from the state on disk
          if (!written) return undefined;
          seen = new Map(Object.entries((written as CoreState).deals!.seen));
          readTo = (written as CoreState).deals!.readTo;
          return structuredClone(written) as CoreState;
        },
        text(t, core, step) {
          texts++;
          if (t.delta) deltas++;
          written = t.delta ? applyCoreStateDelta(written as CoreState, JSON.parse(t.text) as CoreStateDelta) : JSON.parse(t.text);
          expect(written, `step ${step}`).toEqual(plain(core.state()));
        },
      });
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
