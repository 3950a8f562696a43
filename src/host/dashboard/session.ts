/**
 * Dashboard sign-in: one-time login codes (minted by `mt5-executor dashboard` with the API token, or by the
 * host at start), exchanged once for a session cookie (HttpOnly, SameSite=Strict, expiring) that carries its
 * own CSRF token. Only SHA-256 digests of codes and session ids are kept; nothing is written to disk (a
 * restart signs every browser out).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const LOGIN_CODE_TTL_MS = 5 * 60_000;
export const SESSION_TTL_MS = 12 * 3600_000;
const MAX_CODES = 100;
const MAX_SESSIONS = 50;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64url');
const secret = () => randomBytes(24).toString('base64url');

export interface Session {
  csrfToken: string;
  expiresAt: number;
}

export class Sessions {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** A one-time login code, valid for `ttlMs`. */
  mintCode(ttlMs = LOGIN_CODE_TTL_MS): { code: string; expiresAt: number } {
    this.sweep();
    if (this.codes.size >= MAX_CODES) this.codes.delete(this.codes.keys().next().value!);
    const code = secret();
    const expiresAt = this.clock() + ttlMs;
    this.codes.set(digest(code), expiresAt);
    return { code, expiresAt };
  }

  /** Exchange a code for a session (the code is spent, whether it was still valid or not). */
  redeem(code: string): ({ id: string } & Session) | null {
    const key = digest(code);
    const until = this.codes.get(key);
    this.codes.delete(key);
    if (until === undefined || until < this.clock()) return null;
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const id = secret();
    const s: Session = { csrfToken: secret(), expiresAt: this.clock() + SESSION_TTL_MS };
    this.sessions.set(digest(id), s);
    return { id, ...s };
  }

  get(id: string | undefined): Session | null {
    if (!id) return null;
    const s = this.sessions.get(digest(id));
    if (!s) return null;
    if (s.expiresAt < this.clock()) {
      this.sessions.delete(digest(id));
      return null;
    }
    return s;
  }

  end(id: string): void {
    this.sessions.delete(digest(id));
  }

  private sweep(): void {
    const now = this.clock();
    for (const [k, t] of this.codes) if (t < now) this.codes.delete(k);
    for (const [k, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(k);
  }
}

/** Constant-time string comparison (digests first: lengths do not leak). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}
