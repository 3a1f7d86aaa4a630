import { redisModule } from '../../../common/cache/redis-module';
import type { Logger } from '../../../common/logger';
import { matchesFilter, RecentRecords, type AuditQueryResult, type AuditRecord, type AuditStore } from './record';

/**
 * Audit records in a Redis stream (`XADD <stream> * record <json>`, node-redis v4). `append`
 * resolves when Redis acknowledged the entry. Commands are not queued while Redis is away
 * (`disableOfflineQueue`) and each waits at most `timeoutMs`, so an outage makes appends
 * fail fast, and the gateway withholds personal data instead of waiting (fail closed).
 * Stream ids are millisecond timestamps, so time filters become id ranges.
 */
export interface RedisAuditStoreOptions {
  url: string;
  stream: string;
  timeoutMs: number;
  logger: Logger;
}

/** Entries read per XREVRANGE round trip when querying. */
const PAGE = 1_000;

export function createRedisAuditStore(options: RedisAuditStoreOptions): AuditStore {
  const { logger, stream, timeoutMs } = options;
  const client = redisModule().createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: timeoutMs, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000) },
  });
  let lastErrorLog = 0;
  client.on('error', (error: Error) => {
    // Reconnect attempts repeat the same error; log it at most every 10 s.
    if (Date.now() - lastErrorLog < 10_000) return;
    lastErrorLog = Date.now();
    logger.warn({ err: error.message, stream }, 'audit Redis connection error');
  });
  let connecting: Promise<unknown> | null = null;
  const ready = () => {
    if (client.isReady) return Promise.resolve();
    connecting ??= client.connect().catch((error: Error) => {
      connecting = null;
      throw error;
    });
    return connecting.then(() => undefined);
  };
  const withTimeout = <T>(work: () => Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`audit Redis ${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([ready().then(work), timeout]).finally(() => clearTimeout(timer));
  };

  return {
    kind: 'redis',
    location: `redis stream ${stream}`,
    async append(record) {
      await withTimeout(() => client.xAdd(stream, '*', { record: JSON.stringify(record) }), 'XADD');
    },
    async query(filter): Promise<AuditQueryResult> {
      // Newest first, page by page, until `limit` matches or the `since` boundary.
      const start = filter.since ? String(filter.since.getTime()) : '-';
      let end = filter.until ? `(${filter.until.getTime()}` : '+';
      const newestFirst: AuditRecord[] = [];
      let truncated = false;
      for (;;) {
        const page = await withTimeout(() => client.xRevRange(stream, end, start, { COUNT: PAGE }), 'XREVRANGE');
        for (const entry of page) {
          const record = JSON.parse(String(entry.message.record)) as AuditRecord;
          if (!matchesFilter(record, filter)) continue;
          if (newestFirst.length === filter.limit) {
            truncated = true;
            break;
          }
          newestFirst.push(record);
        }
        if (truncated || page.length < PAGE) break;
        end = `(${page[page.length - 1]!.id}`;
      }
      const recent = new RecentRecords(filter.limit);
      for (const record of newestFirst.reverse()) recent.push(record);
      return { records: recent.result().records, truncated };
    },
    async close() {
      if (!client.isOpen) return;
      // QUIT waits for a connection; a client that is still (re)connecting is dropped at once.
      if (client.isReady) await client.quit().catch(() => client.disconnect());
      else await client.disconnect().catch(() => {});
    },
  };
}
