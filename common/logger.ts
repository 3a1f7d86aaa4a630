import { Writable } from 'node:stream';
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

/**
 * A logger that keeps what it writes in memory, for tests that prove what is (and is not)
 * logged: `lines` holds the raw JSON lines, `records` the parsed ones (both live arrays).
 */
export function memoryLogger(level = 'info'): { logger: Logger; lines: string[]; records: Record<string, unknown>[] } {
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const logger = pino(
    { level },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line.trim()) continue;
          lines.push(line);
          records.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    }),
  );
  return { logger, lines, records };
}
