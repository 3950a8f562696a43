/**
 * The supervisor client against a FIXTURE standing in for the web platform's
 * POST /api/executor/{id}/supervisor/evaluate (a test fixture, not the platform).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SupervisorClient, contextHash, minimalContext, supervisorTriggers, type SupervisorAudit } from '../../src/host/trading/supervisor.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function fixturePlatform(handler: Handler) {
  const seen: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

const reply = (o: object) => (_req: IncomingMessage, _b: string, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(o));
};
const status = (code: number, body = '{}') => (_req: IncomingMessage, _b: string, res: ServerResponse) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(body);
};

const SECRET = 'sk_live_fixture_secret_0123456789';
function client(url: string, mode: 'observe' | 'enforce', audits: SupervisorAudit[] = [], extra: object = {}) {
  return new SupervisorClient({ baseUrl: url, executorId: 'ex-1', apiKey: 'key-1', apiSecret: SECRET, mode, budgetMs: 3000, audit: (a) => audits.push(a), ...extra });
}

const context = (over: object = {}) => ({
  symbol: 'EURUSD', timeframe: 'H1', proposedAction: { side: 'BUY', volume: 0.1, slPips: 20, tpPips: 40 },
  risk: { dailyLossPct: 1.7, dailyLossLimitPct: 2 }, filters: { spreadPips: 1.8, maxSpreadPips: 2 },
  ml: { score: 0.52, regime: 'range', anomalies: [] }, positions: { count: 2, exposureBySymbol: { EURUSD: 0.2, GBPUSD: 0.1 } },
  triggers: ['ml_score_low', 'daily_loss_near_limit'],
  ...over,
});

const ok = { action: 'allow', reason: 'fine', risks: [], suggestions: [], mode: 'enforce', policyVersion: 'p7', ttlMs: 60_000 };

describe('supervisor client (platform fixture)', () => {
  it('allow: posts the minimised context with the executor credentials and caches the answer for ttlMs', async () => {
    const fx = await fixturePlatform(reply(ok));
    let now = 1_000_000;
    const audits: SupervisorAudit[] = [];
    const c = client(fx.url, 'enforce', audits, { now: () => now });
    const d = await c.evaluate(context());
    expect(d).toMatchObject({ action: 'allow', proceed: true, source: 'platform', policyVersion: 'p7', mode: 'enforce' });
    expect(fx.seen[0]!.url).toBe('/api/executor/ex-1/supervisor/evaluate');
    expect(fx.seen[0]!.headers['x-api-key']).toBe('key-1');
    expect(fx.seen[0]!.headers['x-api-secret']).toBe(SECRET);
    const sent = JSON.parse(fx.seen[0]!.body) as { context: object; timeoutMs: number };
    expect(sent.timeoutMs).toBe(3000);
    expect(sent.context).toEqual(minimalContext(context()));
    // the same context within the TTL: answered from the cache, no second request
    now += 59_000;
    expect((await c.evaluate(context())).source).toBe('cache');
    expect(fx.seen).toHaveLength(1);
    now += 2_000;
    expect((await c.evaluate(context())).source).toBe('platform');
    expect(fx.seen).toHaveLength(2);
    expect(audits.map((a) => a.source)).toEqual(['platform', 'cache', 'platform']);
  });

  it('deny and require_confirmation are binding in enforce mode only', async () => {
    const fx = await fixturePlatform((_q, body, res) => {
      const side = (JSON.parse(body) as { context: { proposedAction: { side: string } } }).context.proposedAction.side;
      reply({ ...ok, action: side === 'BUY' ? 'deny' : 'require_confirmation', reason: 'too close to the daily limit', risks: ['daily loss'], mode: 'enforce' })(_q, body, res);
    });
    const c = client(fx.url, 'enforce');
    expect(await c.evaluate(context())).toMatchObject({ action: 'deny', proceed: false, needsConfirmation: false, risks: ['daily loss'] });
    expect(await c.evaluate(context({ proposedAction: { side: 'SELL', volume: 0.1 } }))).toMatchObject({ action: 'require_confirmation', proceed: false, needsConfirmation: true });
    const fx2 = await fixturePlatform(reply({ ...ok, action: 'deny', mode: 'observe' }));
    expect(await client(fx2.url, 'enforce').evaluate(context())).toMatchObject({ action: 'deny', proceed: true, mode: 'observe' });
  });

  it('timeout: gives up at the budget; observe allows, enforce needs confirmation', async () => {
    const fx = await fixturePlatform(() => undefined); // never answers
    const t0 = Date.now();
    const d = await client(fx.url, 'observe').evaluate(context());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - t0).toBeLessThan(6000); // not a socket's own, longer time out (wide: a loaded CI machine)
    expect(d).toMatchObject({ action: 'allow', proceed: true, source: 'fallback', error: 'no answer within 3000 ms' });
    const e = await client(fx.url, 'enforce').evaluate(context());
    expect(e).toMatchObject({ action: 'require_confirmation', proceed: false, needsConfirmation: true, source: 'fallback' });
  });

  it('429, 504, 401, malformed and unreachable fall back by mode, with the reason; fallbacks are not cached', async () => {
    const cases: [ReturnType<typeof status>, RegExp][] = [
      [status(429), /429: rate-limited/],
      [status(504), /504: the supervisor timed out/],
      [status(401), /refused the executor's credentials/],
      [reply({ action: 'maybe', reason: 'x' }), /malformed reply: action/],
      [status(200, 'not json'), /malformed reply/],
    ];
    for (const [h, why] of cases) {
      const fx = await fixturePlatform(h);
      const audits: SupervisorAudit[] = [];
      const c = client(fx.url, 'enforce', audits, { enforceFallback: 'deny' });
      const d = await c.evaluate(context());
      expect(d).toMatchObject({ action: 'deny', proceed: false, source: 'fallback', policyVersion: 'local-fallback' });
      expect(d.error).toMatch(why);
      await c.evaluate(context());
      expect(fx.seen).toHaveLength(2); // asked again: a fallback is never cached
      expect(audits[0]!.error).toMatch(why);
    }
    const down = await client('http://127.0.0.1:1', 'observe').evaluate(context());
    expect(down).toMatchObject({ action: 'allow', source: 'fallback' });
    expect(down.error).toMatch(/network error/);
  });

  it('never sends credentials, tickets or account numbers, whatever the caller passes', async () => {
    const fx = await fixturePlatform(reply(ok));
    await client(fx.url, 'observe').evaluate(context({ ticket: 9007199254741003n.toString(), login: 51001234, apiSecret: SECRET, positions: { count: 1, exposureBySymbol: { EURUSD: 0.1 }, tickets: ['9007199254741003'] } }));
    const body = fx.seen[0]!.body;
    expect(body).not.toContain('9007199254741003');
    expect(body).not.toContain('51001234');
    expect(body).not.toContain(SECRET);
    expect(body).not.toMatch(/ticket|login|apiSecret/);
  });

  it('triggers: borderline filters, ML score, daily loss, correlation, anomalies', () => {
    expect(supervisorTriggers({ spreadPips: 1.9, maxSpreadPips: 2, mlScore: 0.7, dailyLossPct: 1, dailyLossLimitPct: 2 })).toEqual(['borderline_filter']);
    expect(supervisorTriggers({ spreadPips: 1.0, maxSpreadPips: 2, mlScore: 0.59 })).toEqual(['ml_score_low']);
    expect(supervisorTriggers({ dailyLossPct: 1.7, dailyLossLimitPct: 2, correlatedExposure: 0.9, correlatedExposureLimit: 1, anomalies: ['spread'] })).toEqual(['daily_loss_near_limit', 'correlation_exposure', 'anomaly']);
    expect(supervisorTriggers({ dailyLossPct: 1.5, dailyLossLimitPct: 2, mlScore: 0.6 })).toEqual([]);
    expect(contextHash(minimalContext(context()))).toBe(contextHash(minimalContext({ ...context(), symbol: 'EURUSD' })));
    expect(contextHash(minimalContext(context()))).not.toBe(contextHash(minimalContext(context({ symbol: 'GBPUSD' }))));
  });
});
