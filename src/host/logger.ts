import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs (pino). Level from LOG_LEVEL, default 'info'; tests pass 'silent'. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: NodeJS.WritableStream): Logger {
  return destination ? pino({ level, base: { app: 'mt5-executor' } }, destination) : pino({ level, base: { app: 'mt5-executor' } });
}

export const silentLogger: Logger = pino({ level: 'silent' });
