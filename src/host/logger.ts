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
const redact = { paths: [...SECRET_KEYS.map((k) => `["${k}"]`), ...SECRET_KEYS.map((k) => `*["${k}"]`)], censor: '[redacted]' };

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

/** No command under way: the line as it is. */
const NO_CONTEXT = Object.freeze({});
/**
 * The command's context under the line's own fields, in a new object: pino's default merge wrote the line's fields
 * into the context's object itself, so every later line of the same command carried them too.
 */
const mergeContext = (line: object, context: object) => (context === NO_CONTEXT ? line : { ...context, ...line });

const baseOptions = (level: string) => ({ level, base: { app: 'mt5-executor' }, redact, mixin: () => logContext.getStore() ?? NO_CONTEXT, mixinMergeStrategy: mergeContext });

/**
 * Structured JSON logs (pino). Level from LOG_LEVEL, default 'info'; tests pass 'silent'. With a `bus`, every
 * line also goes to it (besides the destination or standard output).
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: NodeJS.WritableStream, bus?: LogBus): Logger {
  const options = baseOptions(level);
  if (bus && level !== 'silent') return pino(options, pino.multistream([{ level: level as pino.Level, stream: destination ?? process.stdout }, { level: level as pino.Level, stream: bus }]));
  return destination ? pino(options, destination) : pino(options);
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
  return pino(baseOptions(o.level), pino.multistream(streams));
}
