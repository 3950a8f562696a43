/**
 * The connection to the web platform (docs/platform.md):
 *  - bootstrap: GET /api/executor/config with X-API-Key / X-API-Secret; refused credentials give a clear error
 *    and a calm retry (backoff from 30 s up to 30 min — never a request storm); a network error or a 5xx is
 *    retried quickly (1 s doubling up to 30 s, with jitter) so the host is back within 30 s of the platform;
 *  - commands over Pusher: pusher-js subscribed to `private-executor-{executorId}`, authorised through
 *    POST /api/pusher/auth with the same headers, event `command-received`;
 *  - heartbeat: POST /api/executor/{id}/heartbeat every N s; its `pendingCommands` is the fallback delivery;
 *  - statuses: PATCH /api/executor/{id}/command through a persisted outbox, drained in order with backoff (capped
 *    at 30 s, with jitter), so no status or result is lost across a platform outage or a host restart; a Pusher
 *    (re)connection or a successful heartbeat drains it at once;
 *  - trade records (deals no command's status carries, ./trade-reports.ts): POST /api/executor/{id}/trades through
 *    the same outbox, in the same order.
 * The API secret is never logged and never part of an error message.
 */
import { EventEmitter } from 'node:events';
import PusherModule from 'pusher-js';
import { redact } from '../state/credentials.js';
import type { Logger } from '../logger.js';
import { executorConfigSchema, heartbeatResponseSchema, type CommandStatusUpdate, type ExecutorConfig, type TradeReport } from './contract.js';
import type { OutboxEntry, Store } from '../state/store.js';

/** The outbox status of a trade record (not a command's status: it goes to POST …/trades). */
const TRADE_RECORD = 'trade';

// pusher-js's typings declare a default export; its CommonJS build exports the class itself
type PusherClass = typeof import('pusher-js').default;
type Pusher = InstanceType<PusherClass>;
const PusherCtor = ((PusherModule as unknown as { default?: PusherClass }).default ?? PusherModule) as unknown as PusherClass;

/** A wait of about `ms`: between 75 % and 100 % of it, so many executors do not retry in step. */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.75 + 0.25 * random()));
}

export class PlatformAuthError extends Error {
  constructor(readonly status: number) {
    super(`the platform refused the API key and secret (HTTP ${status}): run 'mt5-executor login' with the key and secret the platform shows for this executor`);
    this.name = 'PlatformAuthError';
  }
}

export interface PlatformOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  store: Store;
  log: Logger;
  heartbeatSeconds?: number;
  /** Backoff after refused credentials: first wait (default 30 s), doubling up to maxAuthRetryMs (30 min). */
  authRetryMs?: number;
  maxAuthRetryMs?: number;
  /** Outbox backoff: first wait (default 1 s), doubling up to maxRetryMs. */
  outboxRetryMs?: number;
  /** Bootstrap after a network error or a 5xx: first wait (default 1 s), doubling up to maxRetryMs. */
  networkRetryMs?: number;
  /** Longest wait after a network error, for the bootstrap and the outbox (default 30 s). */
  maxRetryMs?: number;
  /** Pusher connection overrides (tests point pusher-js at a local Pusher-protocol server). */
  pusher?: { wsHost?: string; wsPort?: number; forceTLS?: boolean; enabledTransports?: ('ws' | 'wss')[] };
  /** Extra heartbeat fields (status of the host). */
  heartbeatBody?: () => Record<string, unknown>;
}

/** Events: 'command' (raw command, via: 'pusher' | 'heartbeat'), 'auth-error' (PlatformAuthError), 'connected' (ExecutorConfig). */
export class PlatformClient extends EventEmitter {
  config: ExecutorConfig | undefined;
  private pusher: Pusher | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private outboxDelay: number;
  private stopped = false;
  /** Requests made (for the tests of the retry policy). */
  requests = 0;

  constructor(private readonly o: PlatformOptions) {
    super();
    this.outboxDelay = o.outboxRetryMs ?? 1000;
  }

  private get maxRetryMs(): number {
    return this.o.maxRetryMs ?? 30_000;
  }

  /** The platform answered (a heartbeat, a Pusher connection): send what is queued now, not at the next backoff. */
  private platformIsBack(): void {
    if (!this.o.store.outbox.length || this.stopped || !this.config) return;
    this.outboxDelay = this.o.outboxRetryMs ?? 1000;
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.kickOutbox(0);
  }

  private headers(): Record<string, string> {
    return { 'X-API-Key': this.o.apiKey, 'X-API-Secret': this.o.apiSecret, 'Content-Type': 'application/json' };
  }

  private url(path: string): string {
    return new URL(path, this.o.baseUrl.endsWith('/') ? this.o.baseUrl : this.o.baseUrl + '/').toString();
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    this.requests++;
    try {
      return await fetch(this.url(path), { method, headers: this.headers(), ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      throw new Error(redact(`${method} ${path}: ${(e as Error).message}`, [this.o.apiSecret, this.o.apiKey]));
    }
  }

  /** Bootstrap, then Pusher and the heartbeat. Refused credentials: retried calmly in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    // two policies: refused credentials wait calmly (a person must act); an unreachable platform is retried
    // quickly, capped, so the host is back soon after the platform is
    let authWait = this.o.authRetryMs ?? 30_000;
    let netWait = this.o.networkRetryMs ?? 1000;
    for (;;) {
      try {
        await this.bootstrap();
        break;
      } catch (e) {
        if (this.stopped) return;
        const err = e as Error;
        let wait: number;
        if (err instanceof PlatformAuthError) {
          this.emit('auth-error', err);
          wait = authWait;
          authWait = Math.min(authWait * 2, this.o.maxAuthRetryMs ?? 30 * 60_000);
        } else {
          wait = jittered(netWait);
          netWait = Math.min(netWait * 2, this.maxRetryMs);
        }
        this.o.log.error({ err: err.message, retryInMs: wait }, 'platform bootstrap failed');
        await new Promise<void>((res) => (this.retryTimer = setTimeout(res, wait)));
        if (this.stopped) return;
      }
    }
    this.connectPusher();
    const every = (this.config?.heartbeatSeconds ?? this.o.heartbeatSeconds ?? 30) * 1000;
    this.heartbeatTimer = setInterval(() => void this.heartbeat().catch((e: Error) => this.o.log.warn({ err: e.message }, 'heartbeat failed')), every);
    await this.heartbeat().catch((e: Error) => this.o.log.warn({ err: e.message }, 'heartbeat failed'));
    this.kickOutbox(0);
    this.emit('connected', this.config);
  }

  /** Bootstrapped and the Pusher connection is up (commands still arrive by heartbeat when it is not). */
  get connected(): boolean {
    return this.config !== undefined && this.pusher?.connection.state === 'connected';
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.drainTimer);
    this.pusher?.disconnect();
    this.pusher = undefined;
  }

  private async bootstrap(): Promise<void> {
    const r = await this.call('GET', 'api/executor/config');
    if (r.status === 401 || r.status === 403) throw new PlatformAuthError(r.status);
    if (!r.ok) throw new Error(`GET api/executor/config: HTTP ${r.status}`);
    const parsed = executorConfigSchema.safeParse(await r.json());
    if (!parsed.success) throw new Error(`GET api/executor/config: unexpected answer: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.config = parsed.data;
    this.o.log.info({ executorId: parsed.data.executorId }, 'platform connected');
  }

  private connectPusher(): void {
    const c = this.config!;
    const p = new PusherCtor(c.pusher.key, {
      cluster: c.pusher.cluster,
      ...(c.pusher.wsHost ? { wsHost: c.pusher.wsHost } : {}),
      ...(c.pusher.wsPort ? { wsPort: c.pusher.wsPort } : {}),
      ...(c.pusher.forceTLS !== undefined ? { forceTLS: c.pusher.forceTLS } : {}),
      ...this.o.pusher,
      channelAuthorization: { endpoint: this.url('api/pusher/auth'), transport: 'ajax', headers: { 'X-API-Key': this.o.apiKey, 'X-API-Secret': this.o.apiSecret } },
    } as ConstructorParameters<PusherClass>[1]);
    const channel = p.subscribe(`private-executor-${c.executorId}`);
    channel.bind('command-received', (data: unknown) => this.emit('command', data, 'pusher'));
    channel.bind('pusher:subscription_error', (e: unknown) => this.o.log.warn({ err: redact(JSON.stringify(e), [this.o.apiSecret]) }, 'Pusher subscription refused: commands come by heartbeat'));
    p.connection.bind('state_change', (s: { current: string }) => {
      this.o.log.info({ state: s.current }, 'Pusher');
      if (s.current === 'connected') this.platformIsBack();
    });
    this.pusher = p;
  }

  /** Pusher is subscribed (commands arrive in real time). */
  get pusherSubscribed(): boolean {
    const ch = this.pusher?.channel(`private-executor-${this.config?.executorId}`);
    return !!ch?.subscribed;
  }

  /**
   * The platform's list of strategies that should be running on this executor, for recovery:
   * GET /api/executor/{id}/active-strategies. The contract names the list but not its shape (docs/platform.md):
   * accepted are an array or `{ strategies: [...] }` of items that are the strategy parameters themselves or
   * `{ strategyId?, parameters }`. `undefined` when the platform has no such endpoint (404).
   */
  async activeStrategies(): Promise<{ id: string; parameters: unknown }[] | undefined> {
    if (!this.config) return undefined;
    const r = await this.call('GET', `api/executor/${encodeURIComponent(this.config.executorId)}/active-strategies`);
    if (r.status === 404) return undefined;
    if (!r.ok) throw new Error(`active strategies: HTTP ${r.status}`);
    const body = (await r.json()) as unknown;
    const list = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { strategies?: unknown }).strategies) ? (body as { strategies: unknown[] }).strategies : undefined;
    if (!list) throw new Error('active strategies: expected an array or { strategies: [...] }');
    return list.flatMap((x) => {
      if (!x || typeof x !== 'object') return [];
      const o = x as Record<string, unknown>;
      const parameters = o.parameters && typeof o.parameters === 'object' ? o.parameters : o;
      const id = [o.strategyId, o.id, (parameters as Record<string, unknown>).strategyId].find((v): v is string => typeof v === 'string');
      return id ? [{ id, parameters }] : [];
    });
  }

  async heartbeat(): Promise<void> {
    if (!this.config) return;
    const r = await this.call('POST', `api/executor/${encodeURIComponent(this.config.executorId)}/heartbeat`, { at: new Date().toISOString(), ...(this.o.heartbeatBody?.() ?? {}) });
    if (!r.ok) throw new Error(`heartbeat: HTTP ${r.status}`);
    const parsed = heartbeatResponseSchema.safeParse(await r.json());
    if (!parsed.success) throw new Error('heartbeat: unexpected answer');
    this.platformIsBack();
    for (const cmd of parsed.data.pendingCommands) this.emit('command', cmd, 'heartbeat');
  }

  /** Queue a status for the platform (persisted first) and try to send it. */
  report(u: CommandStatusUpdate): void {
    this.queue(u);
  }

  /**
   * Queue a trade record (persisted first) and try to send it. In the outbox it is an entry of status `trade`
   * whose `result` is the report; it goes to POST /api/executor/{id}/trades as the report itself.
   */
  reportTrade(r: TradeReport): void {
    this.queue({ commandId: `deal-${r.deal}`, status: TRADE_RECORD, result: r, at: new Date().toISOString() });
  }

  private queue(u: OutboxEntry): void {
    try {
      this.o.store.pushOutbox(u); // one journal line, not a whole-state rewrite
    } catch (e) {
      this.o.store.pushOutbox(u, 'soft');
      this.o.log.error({ err: (e as Error).message }, 'outbox write failed: the status is queued in memory only');
    }
    this.kickOutbox(0);
  }

  get outboxLength(): number {
    return this.o.store.outbox.length;
  }

  private kickOutbox(delay: number): void {
    if (this.stopped || !this.config || this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      void this.drain();
    }, delay);
  }

  /** Send queued statuses in order; stop at the first failure and retry later with backoff. */
  private async drain(): Promise<void> {
    if (this.draining || !this.config) return;
    this.draining = true;
    try {
      while (this.o.store.outbox.length && !this.stopped) {
        const box = this.o.store.outbox;
        const u = box[0]!;
        const { seq: _seq, ...update } = u; // seq orders the journal; the platform gets the documented fields
        const executor = encodeURIComponent(this.config.executorId);
        let r: Response;
        try {
          r = u.status === TRADE_RECORD ? await this.call('POST', `api/executor/${executor}/trades`, u.result) : await this.call('PATCH', `api/executor/${executor}/command`, update);
        } catch (e) {
          this.o.log.warn({ err: (e as Error).message, queued: box.length }, 'platform unreachable: statuses stay queued');
          break;
        }
        if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429)) {
          // accepted, or refused for good (a status the platform will never take): either way, next
          if (!r.ok && u.status === TRADE_RECORD) this.o.log.error({ http: r.status, trade: u.result }, 'the platform refused a trade record; dropped (the deal stays in the terminal\'s history)');
          else if (!r.ok) this.o.log.error({ commandId: u.commandId, status: u.status, http: r.status }, 'the platform refused a command status; dropped');
          try {
            this.o.store.shiftOutbox();
          } catch (e) {
            this.o.store.shiftOutbox('soft');
            this.o.log.error({ err: (e as Error).message }, 'outbox write failed');
          }
          this.outboxDelay = this.o.outboxRetryMs ?? 1000;
        } else {
          this.o.log.warn({ http: r.status, queued: box.length }, 'platform not accepting statuses: retrying later');
          break;
        }
      }
    } finally {
      this.draining = false;
    }
    if (this.o.store.outbox.length && !this.stopped) {
      this.kickOutbox(jittered(this.outboxDelay));
      this.outboxDelay = Math.min(this.outboxDelay * 2, this.maxRetryMs);
    }
  }
}
