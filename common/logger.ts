import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One JSON logger for every process. Components receive it (or a child of it) instead of
 * writing to the console. Tests pass `level: 'silent'`.
 */
export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Never log authorization headers or tokens, should anything pass a request object.
    redact: ['req.headers.authorization', 'headers.authorization', '*.authorization'],
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
