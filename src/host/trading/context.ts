/**
 * What the parts of the live driver share (src/host/trading/): the strategies the host runs, the terminal they run
 * on, the trading core, and the host's clock, log and state. The strategy manager (manager.ts) owns them and hands
 * itself to its parts — the core's driver (core-driver.ts), the market feed (market-feed.ts) and the supervision
 * (supervision.ts) — as this interface.
 */
import type { RiskLimits } from '../../engine/safety.js';
import type { StrategyRunner } from '../../engine/runner.js';
import type { RiskPolicy } from '../../engine/core/risk-gate.js';
import type { TradingCore, VenueFacts } from '../../engine/core/trading-core.js';
import type { SignalModel } from '../../engine/ml/model.js';
import type { NormalizedStrategy } from '../../engine/strategy/normalize.js';
import type { IntentBody } from '../../protocol/messages.js';
import type { Terminal } from '../bridge/server.js';
import type { Logger } from '../logger.js';
import type { Store, StrategyRecord } from '../state/store.js';
import type { SupervisorDecision } from './supervisor.js';

export class ManagerError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'INVALID' | 'LOCKED' | 'STATE' | 'NO_TERMINAL', message: string) {
    super(message);
    this.name = 'ManagerError';
  }
}

/** A strategy the host runs: its record (as stored), its normalized form, and its runner once prepared. */
export interface Running {
  record: StrategyRecord;
  strategy: NormalizedStrategy;
  runner: StrategyRunner | undefined;
}

export interface ManagerOptions {
  /** Limits override; default by account type (ACCOUNT_TRADE_MODE real → live limits, else demo). */
  limits?: RiskLimits;
  /** What a breach does, auto-pause and the kill-switch lock (default: block, seed 004's auto-pause, 1 h). */
  risk?: Partial<Omit<RiskPolicy, 'limits'>>;
  /** History bars used to warm the indicators up (default 1,000). */
  warmupBars?: number;
  now?: () => number;
  /** Loads a strategy's signal-quality model by the name in options.ml.model (throws with the reason). */
  loadModel?: (name: string) => SignalModel;
  /** The decision log, a JSON line at a time (engine/core/decision-log.ts): the lines a backtest writes for the same bars. */
  decisionLog?: (line: string) => void;
  /** The platform's LLM supervisor, asked about entries that hit a trigger (docs/ML.md). */
  supervisor?: { evaluate(context: Record<string, unknown>): Promise<SupervisorDecision> };
  /** The whole host trades on paper (`start --paper`, config `paper`): every venue it attaches is a paper account; said before a terminal connects too. */
  paper?: boolean;
  /** Paper trading (src/host/paper): the venue, on the attached terminal's prices, where strategies in `mode: paper` trade. */
  paperVenue?: (live: Terminal) => Terminal | undefined;
}

/** The manager as its parts see it. */
export interface TradingContext {
  readonly store: Store;
  readonly log: Logger;
  readonly core: TradingCore;
  readonly opts: ManagerOptions;
  readonly strategies: ReadonlyMap<string, Running>;
  /** The terminal the strategies run on, once one has connected. */
  terminal(): Terminal | undefined;
  /**
   * Where a strategy's orders go and its positions are: the terminal, or for `mode: paper` the paper venue — none
   * when this host has no paper venue (the strategy is then not prepared: a paper strategy never trades live).
   */
  venueOf(s: NormalizedStrategy): Terminal | undefined;
  /** The paper account of `mode: paper` strategies in a live host (undefined without one). */
  paperAccount(): Terminal | undefined;
  /** Unix time, s. */
  now(): number;
  /** The broker's server time (the gate's clock), s; Unix time when no terminal is connected. */
  serverNow(): number;
  /** A server time as Unix time (0 stays 0). */
  toUnix(serverSec: number): number;
  limits(): RiskLimits;
  /** The venue's facts at this moment, for the risk gate. */
  venueNow(): VenueFacts;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  /** An alert: logged, audited, and told to the listeners ('alert'). */
  alert(message: string): void;
  /** Send a strategy's intent to the terminal and feed its result back to the core. */
  send(strategyId: string, intent: IntentBody): void;
  /** The core's state changed: written once this turn of the event loop. */
  persistCore(): void;
  /** A strategy came, went, or changed: the indexes are rebuilt when next needed. */
  changed(): void;
}
