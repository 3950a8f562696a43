/**
 * The real host (`startHost`: config, credential store, state, bridge, manager, local API, dashboard) with the
 * simulated MT5 terminal connected over the real bridge socket, for the dashboard's tests.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import { startHost, type RunningHost } from '../../src/host/start.js';
import { replayBars } from '../../src/sim/replay.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { freePort, makeBroker, until } from '../helpers.js';

export const HISTORY_BARS = 1200;

export interface DashboardRig {
  host: RunningHost;
  base: string;
  apiToken: string;
  /** The sign-in link `start` printed. */
  startLink: string;
  broker: ReturnType<typeof makeBroker>;
  sim: SimTerminal;
  logLines: string[];
  /** Replay bars [from, to) of the data through the simulated terminal (lockstep: fills are deterministic). */
  replay(from: number, to: number, barsPerSecond?: number): Promise<void>;
  close(): Promise<void>;
}

/** `paper`: the host runs as `start --paper` (every order to its paper account, none to the simulated terminal). */
export async function startDashboardRig(opts: { paper?: boolean } = {}): Promise<DashboardRig> {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-dash-'));
  const [bridgePort, apiPort] = [await freePort(), await freePort()];
  const logLines: string[] = [];
  const printed: string[] = [];
  const broker = makeBroker({}, [symbolSpec('EURUSD')]);
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { logLines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
  const host = await startHost({
    env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_PORT: String(apiPort), MT5X_NO_KEYCHAIN: '1', MT5X_LOG_LEVEL: 'info', MT5X_PRIME_AT_START: 'false' },
    logDestination: sink,
    out: (l) => printed.push(l),
    now: () => Math.floor(broker.time / 1000),
    ...(opts.paper ? { paper: true } : {}),
  });
  const creds = await openCredentialStore(dir, { preferKeychain: false });
  const data = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 3000);
  const sim = new SimTerminal({ url: `ws://127.0.0.1:${bridgePort}`, token: creds.get('bridgeToken')!, broker });
  sim.setHistory('EURUSD', 'H1', data, HISTORY_BARS);
  broker.quote('EURUSD', data.open[HISTORY_BARS]!, data.open[HISTORY_BARS]! + 0.0001, data.time[HISTORY_BARS]! * 1000);
  await sim.connect();
  await until(() => host.manager.status().terminalConnected === true, 5000, 'terminal');
  const link = printed.map((l) => /Dashboard: (\S+)/.exec(l)?.[1]).find(Boolean);
  if (!link) throw new Error(`start printed no dashboard link: ${printed.join(' | ')}`);
  return {
    host, base: `http://127.0.0.1:${apiPort}`, apiToken: creds.get('apiToken')!, startLink: link, broker, sim, logLines,
    replay: async (from, to, barsPerSecond) => {
      await replayBars(sim, { symbol: 'EURUSD', timeframe: 'H1', bars: data, from, to, defaultSpread: 10, ...(barsPerSecond ? { barsPerSecond } : {}) });
    },
    close: async () => {
      await sim.close();
      await host.stop();
    },
  };
}
