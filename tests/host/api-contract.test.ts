/**
 * The local API as documented (docs/host.md, /openapi.json) against the real host (`startHost` with a config.json)
 * and the simulated terminal over the real bridge: every documented route exists and is in the OpenAPI document,
 * none answers without the token, and config keys that only the running host shows take effect
 * (`risk.killSwitchLockMinutes`, `api.rateLimitPerMinute`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/host/logger.js';
import { startHost, type RunningHost } from '../../src/host/start.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { apiCaller, freePort, makeBroker, until } from '../helpers.js';
import { connectEurusdTerminal } from './eurusd-terminal.js';

/** The routes of docs/host.md's "Local HTTP API" table, as `METHOD /path` (`:x` for a parameter). */
function documentedRoutes(): string[] {
  const doc = readFileSync('docs/host.md', 'utf8');
  const table = doc.slice(doc.indexOf('## Local HTTP API'));
  const rows = table.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split('|')[1]!);
  const out: string[] = [];
  for (const cell of rows) {
    // e.g. "`POST /strategies/:id/stop` `{closePositions}`, `/pause`, `/resume`; `PUT /strategies/:id`" and
    // "`GET /confirmations`; `POST` / `DELETE /confirmations/:intentId`"
    let alone = '';
    let last: [string, string] | undefined;
    for (const tok of cell.match(/`[^`]+`/g) ?? []) {
      const t = tok.slice(1, -1);
      const m = /^(GET|POST|PUT|PATCH|DELETE)(?: (\/[^\s[]*))?/.exec(t);
      if (m && !m[2]) alone = m[1]!;
      else if (m) {
        out.push(`${m[1]} ${m[2]}`);
        if (alone) out.push(`${alone} ${m[2]}`);
        alone = '';
        last = [m[1]!, m[2]!];
      } else if (t.startsWith('/') && last) out.push(`${last[0]} ${last[1].replace(/\/[^/]+$/, '')}${t}`);
    }
  }
  return [...new Set(out)];
}

describe('the local API as documented, on the real host', () => {
  let host: RunningHost;
  let dir: string;
  let base: string;
  let apiToken: string;
  let sim: SimTerminal;
  const broker = makeBroker({}, [symbolSpec('EURUSD')]);
  const api = apiCaller(() => base, () => apiToken);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mt5x-apic-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ risk: { killSwitchLockMinutes: 7 }, api: { rateLimitPerMinute: 1000 } }));
    const [bridgePort, apiPort] = [await freePort(), await freePort()];
    host = await startHost({
      env: { MT5X_DATA_DIR: dir, MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_PORT: String(apiPort), MT5X_NO_KEYCHAIN: '1', MT5X_PRIME_AT_START: 'false' },
      log: silentLogger, out: () => {}, now: () => Math.floor(broker.time / 1000),
    });
    ({ sim, apiToken, base } = await connectEurusdTerminal(host, dir, { bridge: bridgePort, api: apiPort }, broker));
  }, 30_000);

  afterAll(async () => {
    await sim?.close();
    await host?.stop();
  });

  it('every route of docs/host.md is in /openapi.json, and every route there refuses a request without the token or with a wrong one (401)', async () => {
    const documented = documentedRoutes();
    expect(documented.length).toBeGreaterThanOrEqual(20);
    expect(documented).toEqual(expect.arrayContaining(['GET /health', 'POST /strategies/:id/pause', 'POST /confirmations/:intentId', 'DELETE /strategies/:id']));
    const spec = (await api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(spec.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`));
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
    for (const r of served) {
      const [method, path] = r.split(' ') as [string, string];
      const url = base + path.replace(/:(\w+)/g, 'x1');
      const body = ['POST', 'PUT', 'PATCH'].includes(method) ? { body: '{}', headers: { 'content-type': 'application/json' } } : {};
      const none = await fetch(url, { method, ...body });
      const wrong = await fetch(url, { method, ...body, headers: { ...(body.headers ?? {}), authorization: 'Bearer not-the-token' } });
      expect([r, none.status, wrong.status]).toEqual([r, 401, 401]);
      await none.body?.cancel();
      await wrong.body?.cancel();
    }
  });

  it('risk.killSwitchLockMinutes: an emergency stop without lockMinutes locks trading for the configured 7 minutes', async () => {
    const before = Math.floor(broker.time / 1000);
    const stop = await api('POST', '/emergency-stop', { reason: 'config test' });
    expect(stop.status).toBe(200);
    const until = Date.parse(stop.body.result.lockedUntil as string) / 1000;
    expect(until - before).toBeGreaterThanOrEqual(7 * 60);
    expect(until - before).toBeLessThanOrEqual(7 * 60 + 5);
    const refused = await api('POST', '/strategies', JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8')));
    expect(refused.status).toBe(423);
  });
});
