/**
 * `mt5-executor dashboard`: asks the running host (with the API token) for a one-time sign-in link and opens
 * it in the default browser (or prints it with --print). The link signs one browser in; it is spent on use.
 */
import { spawn } from 'node:child_process';
import { loadConfig } from '../config.js';
import { openCredentialStore } from '../state/credentials.js';
import { loadOrCreateApiToken } from '../state/token.js';

export interface DashboardCommandOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Print the link instead of opening a browser. */
  print?: boolean;
  out: (line: string) => void;
}

function openBrowser(url: string): boolean {
  const [cmd, args] = process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : process.platform === 'darwin' ? ['open', [url]] : ['xdg-open', [url]];
  try {
    const p = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    p.on('error', () => {});
    p.unref();
    return true;
  } catch {
    return false;
  }
}

export async function dashboardCommand(o: DashboardCommandOptions): Promise<number> {
  const config = loadConfig({ ...(o.configFile ? { file: o.configFile } : {}), ...(o.env ? { env: o.env } : {}) });
  if (!config.api.enabled) {
    o.out('mt5-executor dashboard: the local API is disabled (api.enabled = false); the dashboard is served by it');
    return 1;
  }
  const creds = await openCredentialStore(config.dataDir, { preferKeychain: (o.env ?? process.env).MT5X_NO_KEYCHAIN !== '1' });
  const token = loadOrCreateApiToken(creds).token;
  const base = `http://127.0.0.1:${config.api.port}`;
  let r: Response;
  try {
    r = await fetch(`${base}/dashboard/login-links`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  } catch {
    o.out(`mt5-executor dashboard: no host answers on ${base}: start it first (mt5-executor start)`);
    return 1;
  }
  if (!r.ok) {
    o.out(`mt5-executor dashboard: the host at ${base} refused (${r.status}): ${await r.text()}`);
    return 1;
  }
  const { url, expiresAt } = (await r.json()) as { url: string; expiresAt: number };
  o.out(`Dashboard sign-in link (one use, until ${new Date(expiresAt).toLocaleTimeString()}):\n\n    ${url}\n`);
  if (!o.print && !openBrowser(url)) o.out('(no browser could be opened: open the link above)');
  return 0;
}
