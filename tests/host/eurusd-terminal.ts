/**
 * The local-API tests' terminal: a running host's tokens, and a simulated terminal on its bridge with the first 1,500
 * bars of EURUSD H1 2015–2022 (1,200 of them as history, quoted at the next bar's open), connected.
 */
import { readFileSync } from 'node:fs';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { openCredentialStore } from '../../src/host/state/credentials.js';
import type { RunningHost } from '../../src/host/start.js';
import type { SimBroker } from '../../src/sim/broker.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { until } from '../helpers.js';

export interface EurusdTerminal {
  sim: SimTerminal;
  apiToken: string;
  bridgeToken: string;
  /** The local API's address. */
  base: string;
}

export async function connectEurusdTerminal(host: RunningHost, dir: string, ports: { bridge: number; api: number }, broker: SimBroker): Promise<EurusdTerminal> {
  const c = await openCredentialStore(dir, { preferKeychain: false });
  const apiToken = c.get('apiToken')!, bridgeToken = c.get('bridgeToken')!;
  const data = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 1500);
  const sim = new SimTerminal({ url: `ws://127.0.0.1:${ports.bridge}`, token: bridgeToken, broker });
  sim.setHistory('EURUSD', 'H1', data, 1200);
  broker.quote('EURUSD', data.open[1200]!, data.open[1200]! + 0.0001, data.time[1200]! * 1000);
  await sim.connect();
  await until(() => host.manager.status().terminalConnected === true, 5000, 'terminal');
  return { sim, apiToken, bridgeToken, base: `http://127.0.0.1:${ports.api}` };
}
