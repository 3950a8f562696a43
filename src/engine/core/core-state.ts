/**
 * The trading core's persisted state written by change: a whole state now and then, and between two of them
 * deltas — what changed since the text before — that restore the same state when applied in order.
 *
 * A delta carries the small parts whole (the risk baselines, the kill-switch lock, the intents in flight) and the
 * large ones by key: the risk figures, pauses and managed positions of the strategies touched since, and the deals
 * counted or forgotten since, in order. `ChangeLog` collects those keys as the core changes; `applyCoreStateDelta`
 * applies a delta to a state (the store, on restore). tests/engine/core-state.test.ts holds the two equal — the
 * state rebuilt from a whole one and its deltas is the core's `state()` — over random runs.
 */
import type { ManagedPosition } from '../exits.js';
import type { OrderManagerState } from './order-manager.js';
import type { RiskState, StrategyRiskState } from './risk-gate.js';

/** A runner's managed position as the state keeps it (the ticket as a decimal string). */
export type SerialManagedPosition = Omit<ManagedPosition, 'ticket'> & { ticket: string };

/** The trading core's whole state (TradingCore.state / restore): one serialisable object. */
export interface CoreState {
  v: 1;
  risk: RiskState;
  orders: OrderManagerState;
  /** The runners' managed positions by strategy (partials taken, break-even done…). */
  managed: Record<string, SerialManagedPosition[]>;
  /** Strategies the core has paused or stopped, with the reason. */
  halted: Record<string, { status: 'paused' | 'stopped'; reason: string; at: number }>;
  /** The deals counted (ticket → server time) and the server time up to which the deal history was read. */
  deals?: { seen: Record<string, number>; readTo: number };
}

type SerialManaged = CoreState['managed'][string];

/** What changed since the text before (a whole state or a delta). */
export interface CoreStateDelta {
  /** The risk state but its strategies' figures. */
  risk: Omit<RiskState, 'strategies'>;
  /** The risk figures of the strategies touched since (null: none any more). */
  rs: Record<string, StrategyRiskState | null>;
  orders: OrderManagerState;
  /** The core's pauses and stops of the strategies touched since (null: none any more). */
  halted: Record<string, CoreState['halted'][string] | null>;
  /** The managed positions of the strategies touched since (null: none). */
  managed: Record<string, SerialManaged | null>;
  /** Deals counted since ([key, server time]) and forgotten ([keep-from]: tickets older are forgotten), in order. */
  deals: ([string, number] | [number])[];
  readTo: number;
}

/** How many deal changes a delta may carry at most: past it the next text is a whole state (a core nobody persists stays small). */
const MAX_DEAL_OPS = 20_000;

/** The keys a delta must carry: touched since the last text. */
export class ChangeLog {
  readonly risk = new Set<string>();
  readonly managed = new Set<string>();
  readonly halted = new Set<string>();
  deals: ([string, number] | [number])[] = [];
  /** A delta cannot say it (a restore replaced the state; too many deal changes): the next text is a whole state. */
  wholeNeeded = true;

  deal(k: string, time: number): void {
    if (this.wholeNeeded) return;
    if (this.deals.length >= MAX_DEAL_OPS) {
      this.wholeNeeded = true;
      this.deals = [];
      return;
    }
    this.deals.push([k, time]);
  }

  forgotDeals(keepFrom: number): void {
    if (!this.wholeNeeded) this.deals.push([keepFrom]);
  }

  /** A text was made: start again (a whole state: nothing owed). */
  reset(): void {
    this.risk.clear();
    this.managed.clear();
    this.halted.clear();
    this.deals = [];
    this.wholeNeeded = false;
  }
}

/** A state with a delta applied (a new object; `state` is not changed). */
export function applyCoreStateDelta(state: CoreState, d: CoreStateDelta): CoreState {
  const strategies = { ...state.risk.strategies };
  for (const [id, st] of Object.entries(d.rs)) {
    if (st) strategies[id] = st;
    else delete strategies[id];
  }
  const managed = { ...state.managed };
  for (const [id, list] of Object.entries(d.managed)) {
    if (list) managed[id] = list;
    else delete managed[id];
  }
  const halted = { ...state.halted };
  for (const [id, h] of Object.entries(d.halted)) {
    if (h) halted[id] = h;
    else delete halted[id];
  }
  const seen = { ...(state.deals?.seen ?? {}) };
  for (const op of d.deals) {
    if (op.length === 2) seen[op[0]] = op[1];
    else for (const k in seen) if (seen[k]! < op[0]) delete seen[k];
  }
  return { v: 1, risk: { ...d.risk, strategies }, orders: d.orders, managed, halted, deals: { seen, readTo: d.readTo } };
}
