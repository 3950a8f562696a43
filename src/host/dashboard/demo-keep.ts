/**
 * The dashboard of a paper run or the demo (`npm start` prints its link; `demo --keep` keeps it up after the
 * replay): the local API with the dashboard on a free 127.0.0.1 port with a random token, over the run's own strategy
 * manager and state — the strategies, positions, trades and decisions of the run as they happen.
 */
import { LocalApi } from '../api/local-api.js';
import { CommandProcessor } from '../platform/commands.js';
import type { LogBus, Logger } from '../logger.js';
import type { StrategyManager } from '../trading/manager.js';
import type { Store } from '../state/store.js';
import { generateToken } from '../state/token.js';
import { VERSION } from '../version.js';
import { Dashboard } from './dashboard.js';

export interface ServedDashboard {
  /** A one-time sign-in link. */
  link: string;
  stop(): Promise<void>;
}

export async function serveDashboard(o: { manager: StrategyManager; store: Store; log: Logger; bus: LogBus; linkTtlMs: number }): Promise<ServedDashboard> {
  const dashboard = new Dashboard({ manager: o.manager, store: o.store, log: o.log, version: VERSION });
  const processor = new CommandProcessor(o.manager, o.store, () => {}, o.log);
  const api = new LocalApi({ host: '127.0.0.1', port: 0, token: generateToken(), manager: o.manager, processor, store: o.store, log: o.log, bus: o.bus, version: VERSION, dashboard });
  await api.start();
  return { link: dashboard.loginLink(o.linkTtlMs).url, stop: () => api.stop() };
}
