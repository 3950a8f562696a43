/**
 * The LLM supervisor client. The executor never calls an LLM: at defined triggers it asks the platform
 * (POST /api/executor/{id}/supervisor/evaluate, X-API-Key / X-API-Secret) within a 3–6 s budget.
 *  - triggers (supervisorTriggers): a filter at the edge of its limit, ML score < 0.6, daily loss > 80 % of
 *    its limit, high correlation exposure, anomalies;
 *  - the context is built by whitelisting (minimalContext): no credentials, tickets, account numbers or ids;
 *  - answers are cached by a hash of the context for the platform's ttlMs;
 *  - no answer in time, 429, 5xx (504: the LLM timed out), a malformed reply or a network error → fallback by
 *    the local mode: observe → allow (and log), enforce → require_confirmation (or deny, if so configured);
 *  - every decision goes to the audit callback (the host writes it into its audit trail).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

export type SupervisorMode = 'off' | 'observe' | 'enforce';
export type SupervisorAction = 'allow' | 'deny' | 'require_confirmation';

export interface SupervisorContext {
  symbol: string;
  timeframe: string;
  proposedAction: { side: 'BUY' | 'SELL'; volume: number; slPips?: number; tpPips?: number };
  /** the limits' use: today's loss and its limit, positions against their limits, correlated lots against theirs */
  risk: {
    dailyLossPct: number; dailyLossLimitPct: number;
    drawdownPct?: number; drawdownLimitPct?: number;
    positions?: number; maxPositions?: number;
    correlatedLots?: number; maxCorrelatedLots?: number;
  };
  filters: { spreadPips?: number; maxSpreadPips?: number; atrPips?: number; minAtrPips?: number; maxAtrPips?: number; session?: string };
  ml: { score?: number; regime?: string; anomalies: string[] };
  positions: { count: number; exposureBySymbol: Record<string, number> };
  triggers: string[];
}

export interface TriggerInput {
  spreadPips?: number;
  maxSpreadPips?: number;
  atrPips?: number;
  minAtrPips?: number;
  maxAtrPips?: number;
  mlScore?: number;
  dailyLossPct?: number;
  dailyLossLimitPct?: number;
  correlatedExposure?: number;
  correlatedExposureLimit?: number;
  anomalies?: string[];
}

/** Why to ask the supervisor about this entry; empty = do not ask. */
export function supervisorTriggers(t: TriggerInput): string[] {
  const out: string[] = [];
  const edge = (v: number | undefined, lim: number | undefined, upper: boolean) =>
    v !== undefined && lim !== undefined && lim > 0 && (upper ? v >= lim * 0.9 && v <= lim : v <= lim * 1.1 && v >= lim);
  if (edge(t.spreadPips, t.maxSpreadPips, true) || edge(t.atrPips, t.maxAtrPips, true) || edge(t.atrPips, t.minAtrPips, false)) out.push('borderline_filter');
  if (t.mlScore !== undefined && t.mlScore < 0.6) out.push('ml_score_low');
  if (t.dailyLossPct !== undefined && t.dailyLossLimitPct !== undefined && t.dailyLossLimitPct > 0 && t.dailyLossPct > 0.8 * t.dailyLossLimitPct) out.push('daily_loss_near_limit');
  if (t.correlatedExposure !== undefined && t.correlatedExposureLimit !== undefined && t.correlatedExposure > 0.8 * t.correlatedExposureLimit) out.push('correlation_exposure');
  if (t.anomalies?.length) out.push('anomaly');
  return out;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : undefined);
const str = (v: unknown, max = 32): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);

/** Copy only the whitelisted fields: whatever else a caller passes (tickets, logins, keys) never leaves. */
export function minimalContext(raw: Record<string, unknown>): SupervisorContext {
  const g = (o: unknown, k: string): unknown => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined);
  const pa = raw.proposedAction;
  const ctx: SupervisorContext = {
    symbol: str(raw.symbol, 64) ?? '',
    timeframe: str(raw.timeframe, 8) ?? '',
    proposedAction: { side: g(pa, 'side') === 'SELL' ? 'SELL' : 'BUY', volume: num(g(pa, 'volume')) ?? 0 },
    risk: { dailyLossPct: num(g(raw.risk, 'dailyLossPct')) ?? 0, dailyLossLimitPct: num(g(raw.risk, 'dailyLossLimitPct')) ?? 0 },
    filters: {},
    ml: { anomalies: [] },
    positions: { count: num(g(raw.positions, 'count')) ?? 0, exposureBySymbol: {} },
    triggers: Array.isArray(raw.triggers) ? raw.triggers.filter((x): x is string => typeof x === 'string').map((x) => x.slice(0, 40)).slice(0, 10) : [],
  };
  for (const k of ['slPips', 'tpPips'] as const) {
    const v = num(g(pa, k));
    if (v !== undefined) ctx.proposedAction[k] = v;
  }
  for (const k of ['spreadPips', 'maxSpreadPips', 'atrPips', 'minAtrPips', 'maxAtrPips'] as const) {
    const v = num(g(raw.filters, k));
    if (v !== undefined) ctx.filters[k] = v;
  }
  for (const k of ['drawdownPct', 'drawdownLimitPct', 'positions', 'maxPositions', 'correlatedLots', 'maxCorrelatedLots'] as const) {
    const v = num(g(raw.risk, k));
    if (v !== undefined) ctx.risk[k] = v;
  }
  const session = str(g(raw.filters, 'session'));
  if (session) ctx.filters.session = session;
  const score = num(g(raw.ml, 'score'));
  if (score !== undefined) ctx.ml.score = score;
  const regime = str(g(raw.ml, 'regime'));
  if (regime) ctx.ml.regime = regime;
  const an = g(raw.ml, 'anomalies');
  if (Array.isArray(an)) ctx.ml.anomalies = an.filter((x): x is string => typeof x === 'string').map((x) => x.slice(0, 40)).slice(0, 10);
  const ex = g(raw.positions, 'exposureBySymbol');
  if (ex && typeof ex === 'object') {
    for (const [k, v] of Object.entries(ex).slice(0, 50)) {
      const n = num(v);
      if (/^[A-Za-z0-9._]{1,32}$/.test(k) && n !== undefined) ctx.positions.exposureBySymbol[k] = n;
    }
  }
  return ctx;
}

/** A stable hash of a context: keys sorted, so the same facts give the same key. */
export function contextHash(ctx: SupervisorContext): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canon(ctx))).digest('hex').slice(0, 32);
}

const replySchema = z.object({
  action: z.enum(['allow', 'deny', 'require_confirmation']),
  reason: z.string().max(2000),
  risks: z.array(z.string()).default([]),
  suggestions: z.array(z.string()).default([]),
  score: z.number().min(0).max(1).optional(),
  mode: z.enum(['observe', 'enforce', 'off']),
  policyVersion: z.string().max(100),
  ttlMs: z.number().int().nonnegative().max(86_400_000).optional(),
});

export interface SupervisorDecision {
  action: SupervisorAction;
  /** what the executor does: the platform's action in enforce mode; allow in observe/off mode */
  proceed: boolean;
  needsConfirmation: boolean;
  reason: string;
  risks: string[];
  suggestions: string[];
  score?: number;
  mode: SupervisorMode;
  policyVersion: string;
  source: 'platform' | 'cache' | 'fallback';
  latencyMs: number;
  contextHash: string;
  /** why the fallback was taken */
  error?: string;
}

export interface SupervisorAudit {
  at: number;
  contextHash: string;
  triggers: string[];
  action: SupervisorAction;
  proceed: boolean;
  mode: SupervisorMode;
  source: SupervisorDecision['source'];
  policyVersion: string;
  latencyMs: number;
  reason: string;
  error?: string;
}

export interface SupervisorOptions {
  baseUrl: string;
  executorId: string;
  apiKey: string;
  apiSecret: string;
  /** the local mode: decides the fallback when the platform gives no usable answer */
  mode: 'observe' | 'enforce';
  /** time budget per call, clamped to 3–6 s (default 4 s) */
  budgetMs?: number;
  /** in enforce mode without an answer: ask the trader (default) or deny */
  enforceFallback?: 'require_confirmation' | 'deny';
  /** largest TTL honoured, ms (default 10 min) */
  maxTtlMs?: number;
  audit?: (a: SupervisorAudit) => void;
  now?: () => number;
  fetch?: typeof fetch;
}

/** The local answer when the platform gives none: observe → allow; enforce → ask the trader (or deny). */
export function fallbackDecision(
  mode: 'observe' | 'enforce', enforceFallback: 'require_confirmation' | 'deny', error: string, contextHash = '', latencyMs = 0,
): SupervisorDecision {
  const observe = mode === 'observe';
  const action: SupervisorAction = observe ? 'allow' : enforceFallback;
  return {
    action, proceed: observe, needsConfirmation: action === 'require_confirmation', mode, source: 'fallback',
    reason: observe ? `supervisor unavailable (${error}): allowed, observe mode` : `supervisor unavailable (${error}): ${action === 'deny' ? 'denied' : 'needs the trader\'s confirmation'} by the local conservative policy`,
    risks: [], suggestions: [], policyVersion: 'local-fallback', latencyMs, contextHash, error,
  };
}

export class SupervisorClient {
  private readonly cache = new Map<string, { until: number; d: SupervisorDecision }>();
  readonly budgetMs: number;
  calls = 0;

  constructor(private readonly o: SupervisorOptions) {
    this.budgetMs = Math.min(6000, Math.max(3000, o.budgetMs ?? 4000));
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  async evaluate(raw: Record<string, unknown>): Promise<SupervisorDecision> {
    const ctx = minimalContext(raw);
    const hash = contextHash(ctx);
    const t0 = this.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > t0) return this.done(ctx, { ...hit.d, source: 'cache', latencyMs: 0 });
    const url = new URL(`api/executor/${encodeURIComponent(this.o.executorId)}/supervisor/evaluate`, this.o.baseUrl.endsWith('/') ? this.o.baseUrl : `${this.o.baseUrl}/`);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.budgetMs);
    let error: string;
    try {
      this.calls++;
      const res = await (this.o.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { 'X-API-Key': this.o.apiKey, 'X-API-Secret': this.o.apiSecret, 'Content-Type': 'application/json' },
        body: JSON.stringify({ context: ctx, timeoutMs: this.budgetMs }),
        signal: ac.signal,
      });
      const text = await res.text();
      if (res.status === 200) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const p = replySchema.safeParse(body);
        if (p.success) {
          const r = p.data;
          const proceed = r.mode !== 'enforce' || r.action === 'allow';
          const d: SupervisorDecision = {
            action: r.action, proceed, needsConfirmation: r.mode === 'enforce' && r.action === 'require_confirmation', reason: r.reason,
            risks: r.risks, suggestions: r.suggestions, mode: r.mode, policyVersion: r.policyVersion, source: 'platform',
            latencyMs: this.now() - t0, contextHash: hash, ...(r.score !== undefined ? { score: r.score } : {}),
          };
          const ttl = Math.min(r.ttlMs ?? 0, this.o.maxTtlMs ?? 600_000);
          if (ttl > 0) this.cache.set(hash, { until: this.now() + ttl, d });
          return this.done(ctx, d);
        }
        error = `malformed reply: ${p.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`;
      } else if (res.status === 401 || res.status === 403) {
        error = `HTTP ${res.status}: the platform refused the executor's credentials (run mt5-executor login)`;
      } else if (res.status === 429) {
        error = 'HTTP 429: rate-limited by the platform';
      } else if (res.status === 504) {
        error = 'HTTP 504: the supervisor timed out on the platform';
      } else {
        error = `HTTP ${res.status}`;
      }
    } catch (e) {
      error = ac.signal.aborted ? `no answer within ${this.budgetMs} ms` : `network error: ${(e as Error).message}`;
    } finally {
      clearTimeout(timer);
    }
    return this.done(ctx, this.fallback(hash, this.now() - t0, error));
  }

  private fallback(hash: string, latencyMs: number, error: string): SupervisorDecision {
    return fallbackDecision(this.o.mode, this.o.enforceFallback ?? 'require_confirmation', error, hash, latencyMs);
  }

  private done(ctx: SupervisorContext, d: SupervisorDecision): SupervisorDecision {
    this.o.audit?.({
      at: this.now(), contextHash: d.contextHash, triggers: ctx.triggers, action: d.action, proceed: d.proceed, mode: d.mode, source: d.source,
      policyVersion: d.policyVersion, latencyMs: d.latencyMs, reason: d.reason, ...(d.error ? { error: d.error } : {}),
    });
    return d;
  }
}
