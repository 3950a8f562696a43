import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
// @ts-expect-error pino-roll ships no type declarations: a function that resolves to its rotating stream
import rollImport from 'pino-roll';

export type { Logger };

/** Key names whose values never reach a log line, wherever they appear (one level deep too). */
const SECRET_KEYS = ['token', 'apiKey', 'apiSecret', 'secret', 'password', 'authorization', 'x-api-key', 'x-api-secret'];
const CENSOR = '[redacted]';
const isEnumerable = Object.prototype.propertyIsEnumerable;

/** Does `o` carry one of the secret keys as its own enumerable property (as a log line would write it)? */
function holdsSecret(o: object): boolean {
  for (const k of SECRET_KEYS) if (isEnumerable.call(o, k)) return true;
  return false;
}

/** `o` with its secret keys censored: a copy (prototype and every property kept: an Error stays an Error for pino's serializer). */
function censored<T extends object>(o: T): T {
  const c = Object.create(Object.getPrototypeOf(o), Object.getOwnPropertyDescriptors(o)) as T;
  for (const k of SECRET_KEYS) if (isEnumerable.call(o, k)) Object.defineProperty(c, k, { value: CENSOR, enumerable: true, writable: true, configurable: true });
  return c;
}

/**
 * A log line's object with every secret-named key censored — at the top (unless its value is undefined: pino leaves
 * such a key out) and in each object one level down — as pino's `redact` with the paths `["token"]` and
 * `*["token"]` (…) wrote it. The object is copied only where a secret is found: most lines hold none, and pino's
 * redaction copied and walked every field of every line (a quarter of what the host allocated at 1,000 strategies,
 * `parsePath` at every field). Never changes the caller's object. tests/host/logger.test.ts: equal to pino's redact.
 */
export function redactLine<T extends object>(obj: T): T {
  const o = obj as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k of SECRET_KEYS) {
    if (isEnumerable.call(o, k) && o[k] !== undefined) (out ??= { ...o })[k] = CENSOR;
  }
  for (const k in o) {
    if (!isEnumerable.call(o, k)) continue;
    const v = o[k];
    if (v !== null && typeof v === 'object' && !SECRET_KEYS.includes(k) && holdsSecret(v)) (out ??= { ...o })[k] = censored(v);
  }
  return (out ?? obj) as T;
}

/**
 * An object interpolated into a message (`%o`, `%j`) censored as pino's `redact` did there: its own secret keys
 * whatever their value, and those of each value one level down (an array's items too). Only when a line has such
 * arguments (none of the host's lines do today).
 */
function redactInterpolated(a: object): object {
  const c = (Array.isArray(a) ? [...a] : censored(a)) as Record<string, unknown>;
  for (const k of SECRET_KEYS) if (isEnumerable.call(a, k)) c[k] = CENSOR;
  for (const k in c) {
    const v = c[k];
    if (v !== null && typeof v === 'object' && holdsSecret(v)) c[k] = censored(v);
  }
  return c;
}

/** A child logger's bindings censored as a line's object is (pino gives a child's bindings no formatter of ours). */
function redactingChildren(l: Logger): Logger {
  const child = l.child;
  l.child = function (this: Logger, bindings, options) {
    return child.call(this, redactLine(bindings), options);
  } as typeof child;
  return l;
}

/** The context's fields merged under the line's own, without changing either (pino's default merges into the mixin's object). */
const NO_CONTEXT = Object.freeze({});
/**
 * What a line is about, carried through async calls: every line logged while a command executes — by the
 * manager, the bridge, anyone — gets its commandId (and type) without being passed a child logger.
 */
export const logContext = new AsyncLocalStorage<{ commandId?: string; commandType?: string }>();

/** Every log line as written, for the local API's /logs/stream. Listeners get the JSON line. */
export class LogBus extends EventEmitter {
  write(line: string): boolean {
    // nobody streaming (the usual case): no copy of the line
    if (this.listenerCount('line')) this.emit('line', line.endsWith('\n') ? line.slice(0, -1) : line);
    return true;
  }
}

/**
 * Secrets censored by redactLine: in each line's object (after the context is merged in), a child logger's bindings,
 * and objects interpolated into the message (`%o`, `%j`).
 */
const baseOptions = (level: string): pino.LoggerOptions => ({
  level,
  base: { app: 'mt5-executor' },
  formatters: { log: redactLine, bindings: redactLine },
  hooks: {
    logMethod(args: unknown[], method) {
      // interpolated values follow the message: after a leading object, from the third argument
      for (let i = typeof args[0] === 'object' && args[0] !== null ? 2 : 1; i < args.length; i++) {
        const a = args[i];
        if (a !== null && typeof a === 'object') args[i] = redactInterpolated(a);
      }
      return method.apply(this, args as Parameters<typeof method>);
    },
  },
  mixin: () => logContext.getStore() ?? NO_CONTEXT,
  mixinMergeStrategy: (line: object, context: object) => (context === NO_CONTEXT ? line : { ...context, ...line }),
});

/**
 * Structured JSON logs (pino). Level from LOG_LEVEL, default 'info'; tests pass 'silent'. With a `bus`, every
 * line also goes to it (besides the destination or standard output).
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: NodeJS.WritableStream, bus?: LogBus): Logger {
  const options = baseOptions(level);
  if (bus && level !== 'silent') return redactingChildren(pino(options, pino.multistream([{ level: level as pino.Level, stream: destination ?? process.stdout }, { level: level as pino.Level, stream: bus }])));
  return redactingChildren(destination ? pino(options, destination) : pino(options));
}

export const silentLogger: Logger = pino({ level: 'silent' });

/** The host's log file: `<data folder>/logs/mt5-executor.N.log`, a new N past LOG_FILE_BYTES, LOG_FILES_KEPT older ones kept. */
export const LOG_FILE_BYTES = 10 * 1024 * 1024;
export const LOG_FILES_KEPT = 5;
export const logFileBase = (dataDir: string) => join(dataDir, 'logs', 'mt5-executor');

export interface HostLogOptions {
  level: string;
  /** Where the console lines go (default standard output). */
  destination?: NodeJS.WritableStream;
  bus?: LogBus;
  /** The data folder: every line also as JSON to its log file, rotated by size (pino-roll). */
  dataDir?: string;
  /**
   * Readable lines (pino-pretty) on the console instead of JSON: by default when standard output is a terminal;
   * MT5X_LOG_FORMAT=json or =pretty decides otherwise. Colours follow NO_COLOR.
   */
  pretty?: boolean;
  /** Rotation size in bytes (tests use a small one). */
  rotateBytes?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * The running host's logger: the console (pretty on a terminal, JSON lines otherwise), the rotating JSON log file
 * in the data folder, and the bus of the local API's live log. The same redaction on all three: a secret is
 * censored before a line is written anywhere.
 */
export async function createHostLogger(o: HostLogOptions): Promise<Logger> {
  const env = o.env ?? process.env;
  if (o.level === 'silent') return silentLogger;
  const console = o.destination ?? process.stdout;
  const fmt = env.MT5X_LOG_FORMAT;
  const wantPretty = o.pretty ?? (fmt === 'pretty' ? true : fmt === 'json' ? false : (console as NodeJS.WriteStream).isTTY === true);
  const level = o.level as pino.Level;
  const streams: pino.StreamEntry[] = [{
    level,
    stream: wantPretty
      ? pretty({ destination: console, colorize: !env.NO_COLOR && (console as NodeJS.WriteStream).isTTY === true, ignore: 'pid,hostname,app', translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', sync: true })
      : console,
  }];
  if (o.dataDir) {
    const roll = rollImport as unknown as (opts: Record<string, unknown>) => Promise<NodeJS.WritableStream>;
    const file = await roll({
      file: logFileBase(o.dataDir), extension: '.log', size: `${Math.max(1, Math.round((o.rotateBytes ?? LOG_FILE_BYTES) / 1024))}k`,
      limit: { count: LOG_FILES_KEPT, removeOtherLogFiles: true }, mkdir: true, sync: true, // a line is on disk when logged (a crash loses none)
    });
    streams.push({ level, stream: file });
  }
  if (o.bus) streams.push({ level, stream: o.bus });
  return redactingChildren(pino(baseOptions(o.level), pino.multistream(streams)));
}
