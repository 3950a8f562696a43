/**
 * `mt5-executor token` and `mt5-executor login`: show the tokens the EA and the dashboard need, store the
 * platform credentials. Both use the data folder `start` uses (--data-dir, MT5X_DATA_DIR, the default).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ConfigError, loadConfig } from '../host/config.js';
import { openCredentialStore, storeDescription, weakSecretProblems, type CredentialStore } from '../host/state/credentials.js';
import { resolveDataDir } from '../host/state/data-dir.js';
import { loadOrCreateApiToken, loadOrCreateToken, tokenInstructions } from '../host/state/token.js';
import { usageHint } from './kit.js';

type Write = (text: string) => void;

/** Where the secrets are, in words, with the reason when the OS keychain could not be used. */

function configOrProblems(env: NodeJS.ProcessEnv, err: Write): ReturnType<typeof loadConfig> | undefined {
  try {
    return loadConfig({ env });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`mt5-executor: configuration problems:\n${e.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return undefined;
  }
}

/** `token [--api]`: the bridge token with the EA inputs for the port actually configured, or the API token. */
export async function tokenCommand(opts: { dataDir?: string; api?: boolean }, out: Write, err: Write, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const dir = resolveDataDir(opts.dataDir, env, (l) => err(`mt5-executor: ${l}\n`));
  const config = configOrProblems({ ...env, MT5X_DATA_DIR: dir }, err);
  if (!config) return 1;
  const store = await openCredentialStore(config.dataDir, { env });
  if (opts.api) {
    out(`Local API token (http://${config.api.host}:${config.api.port}): send it as "Authorization: Bearer <token>"\n\n    ${loadOrCreateApiToken(store).token}\n`);
    return 0;
  }
  const { token } = loadOrCreateToken(store, config.dataDir);
  out(tokenInstructions(token, config.bridge.port, storeDescription(store, config.dataDir)) + '\n');
  return 0;
}

/** Read one line from the terminal, shown or not (backspace works; Ctrl-C cancels). */
export function readLine(prompt: string, opts: { hidden: boolean }, input: NodeJS.ReadableStream = process.stdin, echo: NodeJS.WritableStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    const muted = new Writable({ write: (_c, _e, cb) => cb() });
    const rl = createInterface({ input, output: opts.hidden ? muted : echo, terminal: true });
    echo.write(prompt);
    rl.once('line', (line) => {
      echo.write('\n');
      rl.close();
      resolve(line);
    });
    rl.once('SIGINT', () => {
      echo.write('\n');
      rl.close();
      reject(new Error('cancelled'));
    });
  });
}

/**
 * `login`: the platform API key (--key or MT5X_API_KEY) and secret — from standard input with --secret-stdin, from
 * MT5X_API_SECRET, or typed at a hidden prompt when run in a terminal; never from the command line.
 */
export async function loginCommand(
  opts: { dataDir?: string; key?: string; secretStdin?: boolean; development?: boolean },
  out: Write, err: Write, env: NodeJS.ProcessEnv = process.env, stdin: NodeJS.ReadStream = process.stdin,
): Promise<number> {
  const fail = (m: string) => {
    err(`mt5-executor: ${m}\n${usageHint('login')}\n`);
    return 2;
  };
  const tty = Boolean(stdin.isTTY) && !opts.secretStdin;
  let key = opts.key ?? env.MT5X_API_KEY;
  if (!key && tty) key = (await readLine('Platform API key: ', { hidden: false }, stdin)).trim();
  if (!key) return fail('give the API key: --key KEY (or MT5X_API_KEY); the secret comes on standard input with --secret-stdin (or MT5X_API_SECRET), never as an argument');
  let secret = opts.secretStdin ? readFileSync(0, 'utf8').trim() : env.MT5X_API_SECRET;
  if (!secret && tty) secret = (await readLine('Platform API secret (not shown): ', { hidden: true }, stdin)).trim();
  if (!secret) return fail('give the API secret: type it when asked (in a terminal), or on standard input with --secret-stdin, or in MT5X_API_SECRET');
  const weak = weakSecretProblems(secret);
  if (weak.length && !opts.development) return fail(`the API secret looks weak: ${weak.join('; ')} (use the secret the platform issued; --development accepts it for a test platform)`);
  const dir = resolveDataDir(opts.dataDir, env, (l) => err(`mt5-executor: ${l}\n`));
  const store = await openCredentialStore(dir, { env });
  store.set('apiKey', key);
  store.set('apiSecret', secret);
  out(`credentials stored in the ${storeDescription(store, dir)}\n`);
  return 0;
}
