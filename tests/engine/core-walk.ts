/**
 * A seeded random walk over a real trading core with fake runners (fake-runner.ts): accounts, closed trades and
 * auto-pauses, costs, deals counted and forgotten, decisions that change managed positions, exits sent and answered,
 * resumes, the kill switch, strategies added and removed, restarts from a state, and the texts the core writes. The
 * core-state tests share it: the engine's (deltas rebuild the state) and the host's (the on-disk check passes them).
 */
import { TradingCore, type CoreState } from '../../src/engine/core/trading-core.js';
import { seeded } from '../helpers.js';
import { T0, fakeRunner, policy, venue } from './fake-runner.js';

export interface CoreWalk {
  /** strategies s0… the walk may add; the first `startWith` are added at the start */
  ids: number;
  startWith: number;
  steps?: number;
  /** a deal noted, and whether the core took it as new */
  noted?(key: string, time: number, isNew: boolean): void;
  /** the deals read up to `to` */
  dealsRead?(to: number, core: TradingCore): void;
  /** the state a restart starts from, a copy of its own (undefined: no restart yet) */
  restartFrom(): CoreState | undefined;
  /** a text the core wrote (`changedStateText`) */
  text(t: { text: string; delta: boolean }, core: TradingCore, step: number): void;
}

export function walkCore(seed: number, w: CoreWalk): void {
  const r = seeded(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let core = new TradingCore(policy);
  const runners = new Map<string, ReturnType<typeof fakeRunner>>();
  const ids = Array.from({ length: w.ids }, (_, k) => `s${k}`);
  const add = (id: string) => {
    const runner = fakeRunner(id, 100 + ids.indexOf(id), r);
    runners.set(id, runner);
    core.add(id, runner as never);
  };
  for (const id of ids.slice(0, w.startWith)) add(id);
  let now = T0, intents = 0;
  for (let step = 0; step < (w.steps ?? 3000); step++) {
    now += Math.floor(r() * 900);
    const x = r();
    const live = [...runners.keys()];
    if (x < 0.08) core.observeAccount(now, 10_000 + r() * 500, 10_000 + r() * 800);
    else if (x < 0.18 && live.length) core.observeClosed(runners.get(pick(live))!.magic, BigInt(step), now, (r() - 0.6) * 40, r() < 0.2);
    else if (x < 0.22 && live.length) core.observeCost(runners.get(pick(live))!.magic, now, -r() * 3);
    else if (x < 0.32) {
      const k = `t#${Math.floor(r() * 400)}`, t = now - Math.floor(r() * 4 * 86_400);
      const isNew = core.noteDeal(k, t);
      w.noted?.(k, t, isNew);
    } else if (x < 0.36) {
      const to = now - Math.floor(r() * 3_600);
      core.dealsRead(to);
      w.dealsRead?.(to, core);
    } else if (x < 0.52 && live.length) core.onBar(pick(live), { time: now, open: 1, high: 1, low: 1, close: 1, tickVolume: 1, realVolume: 0 }, { bid: 1, ask: 1, positions: [] } as never, venue);
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
    } else if (x < 0.78) {
      // a restart: a new core from the state as the start reads it, the runners built again (their managed positions restored by the core)
      const from = w.restartFrom();
      if (!from) continue;
      core = new TradingCore(policy, undefined, from);
      const again = [...runners.keys()];
      runners.clear();
      for (const id of again) add(id);
    } else {
      const t = core.changedStateText(r() < 0.85);
      if (t) w.text(t, core, step);
    }
  }
}
