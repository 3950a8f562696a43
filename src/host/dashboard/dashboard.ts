/**
 * The trader's dashboard, served by the local API on its own address (127.0.0.1). The page and its assets are
 * the only things served without authentication; everything else takes the API's bearer token or a dashboard
 * session cookie. A cookie-authenticated POST/PUT/PATCH/DELETE also needs the session's CSRF token
 * (X-CSRF-Token) and, when the browser names them, a same-origin Origin and Sec-Fetch-Site. Every response
 * carries a strict Content-Security-Policy: the page loads nothing but its own files.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { Logger } from '../logger.js';
import type { StrategyManager } from '../trading/manager.js';
import { findRepoFile } from '../paths.js';
import type { Store } from '../state/store.js';
import { Feed } from './feed.js';
import type { AccountRow } from './schemas.js';
import { PAGE_READS, registerRoutes, type AccountScope } from './routes.js';
import { LOGIN_CODE_TTL_MS, SESSION_TTL_MS, Sessions, cookieValue, sameSecret } from './session.js';

export const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "font-src 'self'",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export const OPENAPI_PATH = '/openapi.json';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml' };
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface DashboardOptions {
  manager: StrategyManager;
  store: Store;
  log: Logger;
  version: string;
  platformConnected?: () => boolean | null;
  /** Every account of the host (src/host/trading/accounts.ts summary): shown on the overview when there are several. */
  accounts?: () => AccountRow[];
  /** The account of `?account=login@server` (undefined: the primary); without it the pages show `manager` only. */
  account?: (key: string | undefined) => { manager: StrategyManager; store: Store } | undefined;
  /** The built page (default: dist/dashboard of the repository, or next to the program). */
  assetsDir?: string;
  sessions?: Sessions;
}

export type AuthResult = 'public' | 'session' | 'none' | 'refused';

export class Dashboard {
  readonly sessions: Sessions;
  /** The primary account's feed. */
  readonly feed: Feed;
  /** Each account's feed (its decisions, fills and event stream), made when a page first reads that account. */
  private readonly feeds = new Map<StrategyManager, Feed>();
  private readonly assets = new Map<string, { type: string; body: Buffer }>();
  /** The API's port, once it listens. */
  private portOf: () => number = () => 0;

  constructor(private readonly o: DashboardOptions) {
    this.sessions = o.sessions ?? new Sessions();
    this.feed = new Feed(o.manager, o.log);
    this.feeds.set(o.manager, this.feed);
    this.loadAssets();
  }

  /** Watch these accounts' managers from now on (each account as it attaches: its decisions are kept from then on). */
  follow(managers: Iterable<StrategyManager>): void {
    for (const m of managers) this.feedOf(m);
  }

  private feedOf(m: StrategyManager): Feed {
    let feed = this.feeds.get(m);
    if (!feed) this.feeds.set(m, (feed = new Feed(m, this.o.log)));
    return feed;
  }

  /** What a page reads for `?account=` (routes.ts): that account's manager, state and feed. */
  private scope(key: string | undefined): AccountScope | undefined {
    const a = this.o.account ? this.o.account(key) : key === undefined ? { manager: this.o.manager, store: this.o.store } : undefined;
    return a && { manager: a.manager, store: a.store, feed: this.feedOf(a.manager) };
  }

  private cookieName(): string {
    return `mt5x_session_${this.portOf()}`;
  }

  private origin(): string[] {
    const p = this.portOf();
    return [`http://127.0.0.1:${p}`, `http://localhost:${p}`, `http://[::1]:${p}`];
  }

  /** A one-time sign-in link for this host (the code lives `ttlMs`). */
  loginLink(ttlMs = LOGIN_CODE_TTL_MS): { url: string; expiresAt: number } {
    const { code, expiresAt } = this.sessions.mintCode(ttlMs);
    return { url: `http://127.0.0.1:${this.portOf()}/dashboard/login?code=${code}`, expiresAt };
  }

  /**
   * Called by the API's onRequest hook after the Host check: 'public' (the page's own files, the login),
   * 'session' (a valid cookie, and for a change a valid CSRF token from this origin), 'refused' (answered
   * 403 here), 'none' (no session: the bearer token decides).
   */
  authenticate(req: FastifyRequest, reply: FastifyReply): AuthResult {
    const path = req.url.split('?')[0]!;
    if (req.method === 'GET' && (path === '/dashboard' || path === '/dashboard/' || path === '/dashboard/login' || (path.startsWith('/dashboard/') && this.assets.has(path.slice(11))))) return 'public';
    if (req.headers.authorization) return 'none';
    const session = this.sessions.get(cookieValue(req.headers.cookie, this.cookieName()));
    if (!session) return 'none';
    if (!MUTATING.has(req.method)) return 'session';
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    const csrf = req.headers['x-csrf-token'];
    let why = '';
    if (origin !== undefined && !this.origin().includes(origin)) why = `a request from ${origin} may not change anything here`;
    else if (site !== undefined && site !== 'same-origin') why = `a ${site} request may not change anything here`;
    else if (typeof csrf !== 'string' || !sameSecret(csrf, session.csrfToken)) why = 'missing or wrong X-CSRF-Token (GET /dashboard/session gives it)';
    if (!why) return 'session';
    this.o.log.warn({ method: req.method, url: path, origin: origin ?? null }, 'dashboard request refused (CSRF)');
    void reply.code(403).send({ error: why });
    return 'refused';
  }

  /** Routes, the security headers and the OpenAPI generator; call before the API's own routes. */
  async register(app: FastifyInstance, port: () => number): Promise<void> {
    await app.register(swagger, {
      openapi: {
        info: { title: 'mt5-executor local API', version: this.o.version, description: 'Loopback only. Authenticate with `Authorization: Bearer <mt5-executor token --api>` or a dashboard session (cookie + X-CSRF-Token).' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      transform: jsonSchemaTransform,
    });
    this.portOf = port;
    app.addHook('onSend', async (req, reply, payload) => {
      reply.header('content-security-policy', CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      reply.header('cross-origin-opener-policy', 'same-origin');
      reply.header('cross-origin-resource-policy', 'same-origin');
      // a change made through the page: tell the open pages (they reload what they show)
      if (MUTATING.has(req.method) && reply.statusCode < 400) for (const f of this.feeds.values()) f.send('changed', { url: req.url.split('?')[0] });
      return payload;
    });
    app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
    app.get('/dashboard', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/dashboard/', 302));
    app.get<{ Params: { '*': string } }>('/dashboard/*', { config: PAGE_READS, schema: { hide: true } }, async (req, reply) => this.asset(req.params['*'] || 'index.html', reply));
    app.get<{ Querystring: { code?: string } }>('/dashboard/login', { schema: { hide: true } }, async (req, reply) => {
      const s = typeof req.query.code === 'string' ? this.sessions.redeem(req.query.code) : null;
      if (!s) {
        return reply.code(401).type('text/html; charset=utf-8').send('<!doctype html><title>mt5-executor</title><p>This sign-in link is used up or expired. Run <code>mt5-executor dashboard</code> for a new one.</p>');
      }
      this.o.log.info('dashboard: a browser signed in');
      reply.header('set-cookie', `${this.cookieName()}=${s.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`);
      return reply.redirect('/dashboard/', 303);
    });
    app.get('/dashboard/session', { schema: { hide: true } }, async (req, reply) => {
      const s = this.sessions.get(cookieValue(req.headers.cookie, this.cookieName()));
      if (!s) return reply.code(401).send({ error: 'no dashboard session: open a link from mt5-executor dashboard' });
      return { csrfToken: s.csrfToken, expiresAt: s.expiresAt };
    });
    app.post('/dashboard/logout', { schema: { hide: true } }, async (req, reply) => {
      const id = cookieValue(req.headers.cookie, this.cookieName());
      if (id) this.sessions.end(id);
      reply.header('set-cookie', `${this.cookieName()}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
      return { signedOut: true };
    });
    app.post('/dashboard/login-links', { schema: { hide: true } }, async (req, reply) => {
      // minted with the API token (the CLI), not from a browser session
      if (!req.headers.authorization) return reply.code(403).send({ error: 'login links are made with the API token (mt5-executor dashboard)' });
      return this.loginLink();
    });
    await registerRoutes(app, {
      scope: (key) => this.scope(key), version: this.o.version,
      platformConnected: this.o.platformConnected ?? (() => null), log: this.o.log, accounts: this.o.accounts ?? (() => []),
    });
  }

  close(): void {
    for (const f of this.feeds.values()) f.close();
  }

  private loadAssets(): void {
    let dir = this.o.assetsDir;
    if (!dir) {
      try {
        dir = findRepoFile(join('dist', 'dashboard'));
      } catch {
        this.o.log.warn('the dashboard is not built (npm run build): /dashboard/ will say so');
        return;
      }
    }
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      const ext = f.slice(f.lastIndexOf('.'));
      const type = TYPES[ext];
      if (type) this.assets.set(f, { type, body: readFileSync(join(dir, f)) });
    }
  }

  private asset(name: string, reply: FastifyReply): FastifyReply {
    const a = this.assets.get(name);
    if (!a) {
      if (name === 'index.html') return reply.code(503).type('text/plain').send('the dashboard is not built: run npm run build');
      return reply.code(404).send({ error: `no file ${name}` });
    }
    return reply.type(a.type).header('cache-control', 'no-cache').send(a.body);
  }
}
