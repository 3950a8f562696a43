/**
 * The real host as a child process (the CLI bundle built by tests/global-setup.ts) on a data folder of its own,
 * for tests that kill it: start, kill -9, call its local API with its token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openCredentialStore } from '../src/host/state/credentials.js';
import { freePort } from './helpers.js';
// @ts-expect-error a JavaScript build module without types
import { programFiles } from '../tools/release/bundle.mjs';

export interface HostProcess {
  dir: string;
  bridgePort: number;
  base: string;
  /** Start `mt5-executor start`; resolves when /health answers (30 s at most). */
  start(): Promise<void>;
  /** The running child, if any. */
  child(): ChildProcess | undefined;
  kill9(): Promise<void>;
  /** SIGTERM (the host stops cleanly); kill -9 if it has not exited within 15 s. */
  stop(): Promise<void>;
  call(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: { status: string; result?: { ticket?: string; class?: string }; error?: string } }>;
  health(): Promise<{ terminalConnected: boolean }>;
  bridgeToken(): Promise<string>;
  /**
   * With `monitor`: the host's own event-loop delay since the last reset (ms) and memory (MB), measured inside it
   * by tests/fuzz/loop-monitor.mjs; `reset` starts a new window.
   */
  loopStats(reset?: boolean): Promise<LoopStats>;
}

export interface LoopStats {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  rssMB: number;
  maxRssMB: number;
}

export interface HostProcessOptions {
  /** Preload tests/fuzz/loop-monitor.mjs: the host measures its event-loop delay and memory (see loopStats). */
  monitor?: boolean;
  /** Extra environment for the host. */
  env?: Record<string, string>;
  /** Extra node options before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export async function hostProcess(config: Record<string, unknown> = {}, opts: HostProcessOptions = {}): Promise<HostProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-host-'));
  const [bridgePort, apiPort] = [await freePort(), await freePort()];
  const { api, ...rest } = config as { api?: object };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ logLevel: 'warn', bridge: { port: bridgePort }, ...rest, api: { port: apiPort, rateLimitPerMinute: 100_000, ...api } }));
  const env = { ...process.env, MT5X_DATA_DIR: dir, MT5X_NO_KEYCHAIN: '1', ...opts.env };
  // a private copy of the program — its entry, the chunks it imports and its dashboard beside it: another test run
  // rebuilding dist/ meanwhile cannot hand a restart a half-written or missing file
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const f of (programFiles as (o: string) => string[])('dist/mt5-executor.js')) copyFileSync(f, join(bin, basename(f)));
  symlinkSync(resolve('dist/dashboard'), join(bin, 'dashboard'));
  const base = `http://127.0.0.1:${apiPort}`;
  let apiToken = '';
  let child: ChildProcess | undefined;
  const auth = () => ({ authorization: `Bearer ${apiToken}` });
  return {
    dir, bridgePort, base,
    child: () => child,
    async start() {
      const preload = opts.monitor ? ['--import', pathToFileURL('tests/fuzz/loop-monitor.mjs').href] : [];
      child = spawn(process.execPath, [...preload, ...(opts.nodeArgs ?? []), join(bin, 'mt5-executor.js'), 'start'], { env, stdio: ['ignore', 'pipe', 'pipe', ...(opts.monitor ? (['ipc'] as const) : [])] });
      // MT5X_HOST_LOG=<file>: the host's log lines are appended there (for debugging a fault run)
      if (process.env.MT5X_HOST_LOG) child.stdout!.pipe(createWriteStream(process.env.MT5X_HOST_LOG, { flags: 'a' }));
      else child.stdout!.resume();
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      const end = Date.now() + 30_000;
      for (;;) {
        try {
          if (!apiToken) apiToken = (await openCredentialStore(dir, { preferKeychain: false })).get('apiToken') ?? '';
          if (apiToken && (await fetch(`${base}/health`, { headers: auth() })).ok) return;
        } catch {
          /* not up yet */
        }
        if (Date.now() > end || child.exitCode !== null) throw new Error(`the host did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill9() {
      const c = child!;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(t);
    },
    call: (method, path, body, key) =>
      fetch(base + path, { method, headers: { ...auth(), 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
        .then(async (r) => ({ status: r.status, body: (await r.json()) as { status: string; result?: { ticket?: string; class?: string }; error?: string } })),
    health: async () => (await (await fetch(`${base}/health`, { headers: auth() })).json()) as { terminalConnected: boolean },
    bridgeToken: async () => (await openCredentialStore(dir, { preferKeychain: false })).get('bridgeToken')!,
    loopStats(reset = false) {
      const c = child;
      if (!opts.monitor || !c?.connected) return Promise.reject(new Error('loopStats: start the host with { monitor: true }'));
      return new Promise<LoopStats>((res) => {
        c.once('message', (m) => res(m as LoopStats));
        c.send(reset ? 'loop-stats-reset' : 'loop-stats');
      });
    },
  };
}

/**
 * An idle Node process with the same loop monitor, measured over the same window as the host: the stall this
 * machine's scheduler causes by itself (a shared 2-core VM), so a host figure can be told apart from it.
 */
export function loopControl(): { stats(reset?: boolean): Promise<LoopStats>; stop(): void } {
  const c = spawn(process.execPath, ['--import', pathToFileURL('tests/fuzz/loop-monitor.mjs').href, '-e', 'setInterval(() => {}, 1e9)'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return {
    stats: (reset = false) =>
      new Promise<LoopStats>((res) => {
        c.once('message', (m) => res(m as LoopStats));
        c.send(reset ? 'loop-stats-reset' : 'loop-stats');
      }),
    stop: () => void c.kill('SIGKILL'),
  };
}
