/**
 * `mt5-executor demo --keep`: after the replay, the dashboard on the demo's simulated terminal — its account,
 * positions, deals, trades and performance — until Ctrl-C. A strategy manager with no strategies of its own
 * (the demo's strategies ran in the demo), a state folder of its own in the temporary folder, the local API
 * on a free 127.0.0.1 port with a random token, and a one-time sign-in link.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LocalApi } from '../api.js';
import type { Terminal } from '../bridge.js';
import { CommandProcessor } from '../commands.js';
import { LogBus, createLogger } from '../logger.js';
import { StrategyManager } from '../manager.js';
import { Store } from '../store.js';
import { generateToken } from '../token.js';
import { VERSION } from '../version.js';
import { Dashboard } from './dashboard.js';

export async function keepDashboard(t: Terminal, o: { out: (line: string) => void; signal: AbortSignal }): Promise<void> {
  if (o.signal.aborted) return;
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-demo-dashboard-'));
  const store = await Store.open(dir);
  const bus = new LogBus();
  // log lines go to the dashboard's live log only (the demo's own output stays readable)
  const log = createLogger('info', new Writable({ write: (_c, _e, cb) => cb() }), bus);
  const manager = new StrategyManager(store, log, { now: () => t.serverTime || Math.floor(Date.now() / 1000) });
  manager.attach(t);
  const dashboard = new Dashboard({ manager, store, log, version: VERSION });
  const processor = new CommandProcessor(manager, store, () => {}, log);
  const api = new LocalApi({ host: '127.0.0.1', port: 0, token: generateToken(), manager, processor, store, log, bus, version: VERSION, dashboard });
  try {
    await api.start();
    o.out('');
    o.out(`Dashboard of the demo's account (one-time sign-in link; Ctrl-C ends the demo):\n\n    ${dashboard.loginLink(60 * 60_000).url}\n`);
    await new Promise<void>((r) => o.signal.addEventListener('abort', () => r(), { once: true }));
  } finally {
    await api.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
