/**
 * The bridge token: a random secret the EA must present in HELLO. Generated on first use and kept in the
 * credential store (OS keychain, else the encrypted file) — never in plain text — so `mt5-executor token` can
 * show it again for pasting into the EA's `Token` input.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialStore } from './credentials.js';

export const TOKEN_NAME = 'bridgeToken';

export function generateToken(): string {
  return randomBytes(24).toString('base64url'); // 32 characters, 192 bits
}

/**
 * The token from the credential store, created on first use. A plain-text token file left by an older version
 * (`<data>/bridge-token`) is moved into the store and deleted.
 */
export function loadOrCreateToken(store: CredentialStore, dataDir: string): { token: string; created: boolean } {
  const existing = store.get(TOKEN_NAME);
  if (existing) return { token: existing, created: false };
  const legacy = join(dataDir, 'bridge-token');
  if (existsSync(legacy)) {
    const t = readFileSync(legacy, 'utf8').trim();
    if (t.length >= 16) {
      store.set(TOKEN_NAME, t);
      unlinkSync(legacy);
      return { token: t, created: false };
    }
  }
  const token = generateToken();
  store.set(TOKEN_NAME, token);
  return { token, created: true };
}

export const API_TOKEN_NAME = 'apiToken';

/** The local HTTP API's bearer token (separate from the bridge token), created on first use. */
export function loadOrCreateApiToken(store: CredentialStore): { token: string; created: boolean } {
  const existing = store.get(API_TOKEN_NAME);
  if (existing) return { token: existing, created: false };
  const token = generateToken();
  store.set(API_TOKEN_NAME, token);
  return { token, created: true };
}

/** Constant-time comparison (digests first, so the length of the expected token does not leak either). */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function tokenInstructions(token: string, port: number, where: string): string {
  return [
    `Bridge token for the MT5 EA (kept in the ${where}):`,
    '',
    '    ' + token,
    '',
    'In MetaTrader 5: Tools > Options > Expert Advisors > "Allow WebRequest for listed URL": add 127.0.0.1.',
    `Attach ExecutorBridge to one chart and set its inputs: Host = 127.0.0.1, Port = ${port}, Token = the line above.`,
  ].join('\n');
}
