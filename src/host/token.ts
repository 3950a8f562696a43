/**
 * The bridge token: a random secret the EA must present in HELLO. Generated on first run and kept in the
 * host's data folder (file mode 0600) so it can be shown again for pasting into the EA's `Token` input.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_FILE = 'bridge-token';

export function generateToken(): string {
  return randomBytes(24).toString('base64url'); // 32 characters, 192 bits
}

/** Read the token from `dataDir`, creating it on first run. `created` tells the caller to show instructions. */
export function loadOrCreateToken(dataDir: string): { token: string; created: boolean; file: string } {
  const file = join(dataDir, TOKEN_FILE);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, created: false, file };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = generateToken();
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, created: true, file };
}

/** Constant-time comparison (digests first, so the length of the expected token does not leak either). */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function tokenInstructions(token: string, port: number, file: string): string {
  return [
    'Bridge token for the MT5 EA (kept in ' + file + '):',
    '',
    '    ' + token,
    '',
    'In MetaTrader 5: Tools > Options > Expert Advisors > "Allow WebRequest for listed URL": add 127.0.0.1.',
    `Attach ExecutorBridge to one chart and set its inputs: Host = 127.0.0.1, Port = ${port}, Token = the line above.`,
  ].join('\n');
}
