import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';

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
    this.emit('line', line.endsWith('\n') ? line.slice(0, -1) : line);
    return true;
  }
}

/**
 * Structured JSON logs (pino). Level from LOG_LEVEL, default 'info'; tests pass 'silent'. With a `bus`, every
 * line also goes to it (besides the destination or standard output).
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: NodeJS.WritableStream, bus?: LogBus): Logger {
  const options = { level, base: { app: 'mt5-executor' }, redact, mixin: () => logContext.getStore() ?? {} };
  if (bus && level !== 'silent') return pino(options, pino.multistream([{ level: level as pino.Level, stream: destination ?? process.stdout }, { level: level as pino.Level, stream: bus }]));
  return destination ? pino(options, destination) : pino(options);
}

export const silentLogger: Logger = pino({ level: 'silent' });
