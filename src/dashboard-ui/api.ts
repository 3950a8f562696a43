/** The page's link to the host: JSON requests with the session's CSRF token, and the event stream. */
import type { SessionInfo } from '../host/dashboard/schemas.js';

let csrf = '';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body: unknown) {
    super(message);
  }
}

export async function signIn(): Promise<SessionInfo | null> {
  const r = await fetch('/dashboard/session', { credentials: 'same-origin' });
  if (!r.ok) return null;
  const s = (await r.json()) as SessionInfo;
  csrf = s.csrfToken;
  return s;
}

/** The account the pages read and act on (login@server); undefined: the primary. */
let account: string | undefined;

/** The host's own routes, the same whichever account is shown (the account list among them: never a 404 for it). */
const HOST_WIDE = /^\/(accounts|health|logs|metrics|dashboard\/)/;

/** `path` for the chosen account (its `?account=`); the primary's without one, and the host's own routes as they are. */
export function forAccount(path: string): string {
  return account === undefined || HOST_WIDE.test(path) ? path : `${path}${path.includes('?') ? '&' : '?'}account=${encodeURIComponent(account)}`;
}

/** Show and act on another account: every request from now on carries it, and the event stream is its own. */
export function chooseAccount(key: string | undefined): void {
  if (key === account) return;
  account = key;
  if (source) {
    source.close();
    source = undefined;
    if (listeners.size) connect();
  }
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  path = forAccount(path);
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!r.ok && r.status !== 202) {
    const msg = parsed && typeof parsed === 'object' && 'error' in parsed ? String((parsed as { error: unknown }).error) : `${r.status} ${r.statusText}`;
    throw new ApiError(r.status, msg, parsed);
  }
  return parsed as T;
}

type Listener = (type: string, data: unknown) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;
export const TYPES = ['hello', 'account', 'positions', 'orders', 'fill', 'decision', 'confirmation', 'kill', 'connection', 'changed'];

/** Subscribe to the host's events (one EventSource for the page; it reconnects by itself). */
export function onEvent(l: Listener): () => void {
  listeners.add(l);
  if (!source) connect();
  return () => listeners.delete(l);
}

function connect(): void {
  const s = (source = new EventSource(forAccount('/events')));
  for (const t of TYPES) {
    s.addEventListener(t, (e) => {
      let data: unknown = null;
      try {
        data = JSON.parse((e as MessageEvent<string>).data);
      } catch {
        /* keep null */
      }
      for (const x of listeners) x(t, data);
    });
  }
}
