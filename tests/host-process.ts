/**
 * The real host as a child process (the CLI bundle built by tests/global-setup.ts) on a data folder of its own,
 * for tests that kill it: start, kill -9, call its local API with its token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCredentialStore } from '../src/host/state/credentials.js';
import { freePort } from './helpers.js';

export interface HostProcess {
  dir: string;
  bridgePort: number;
  base: string;
  /** Start `mt5-executor start`; resolves when /health answers (30 s at most). */
  start(): Promise<void>;
  /** The running child, if any. */
  child(): ChildProcess | undefined;
  kill9(): Promise<void>;
  call(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: { status: string; result?: { ticket?: string; class?: string }; error?: string } }>;
  health(): Promise<{ terminalConnected: boolean }>;
  bridgeToken(): Promise<string>;
}

export async function hostProcess(config: Record<string, unknown> = {}): Promise<HostProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-host-'));
  const [bridgePort, apiPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ logLevel: 'warn', bridge: { port: bridgePort }, api: { port: apiPort, rateLimitPerMinute: 100_000 }, ...config }));
  const env = { ...process.env, MT5X_DATA_DIR: dir, MT5X_NO_KEYCHAIN: '1' };
  const base = `http://127.0.0.1:${apiPort}`;
  let apiToken = '';
  let child: ChildProcess | undefined;
  const auth = () => ({ authorization: `Bearer ${apiToken}` });
  return {
    dir, bridgePort, base,
    child: () => child,
    async start() {
      child = spawn(process.execPath, ['dist/mt5-executor.js', 'start'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.resume();
      const end = Date.now() + 30_000;
      for (;;) {
        try {
          if (!apiToken) apiToken = (await openCredentialStore(dir, { preferKeychain: false })).get('apiToken') ?? '';
          if (apiToken && (await fetch(`${base}/health`, { headers: auth() })).ok) return;
        } catch {
          /* not up yet */
        }
        if (Date.now() > end) throw new Error('the host did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill9() {
      const c = child!;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    },
    call: (method, path, body, key) =>
      fetch(base + path, { method, headers: { ...auth(), 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
        .then(async (r) => ({ status: r.status, body: (await r.json()) as { status: string; result?: { ticket?: string; class?: string }; error?: string } })),
    health: async () => (await (await fetch(`${base}/health`, { headers: auth() })).json()) as { terminalConnected: boolean },
    bridgeToken: async () => (await openCredentialStore(dir, { preferKeychain: false })).get('bridgeToken')!,
  };
}
