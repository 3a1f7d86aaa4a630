import { redisModule } from './redis-module';
import { silentLogger, type Logger } from '../logger';
import { createDegradationGuard } from './degradation';
import { positiveInt, type CacheStore, type CacheStoreStats } from './store';

/**
 * The shared cache store: Redis through node-redis v4 (store.ts has the contract).
 *
 * Built so that Redis can never take a request down with it:
 *
 * - the client connects in the background; until it is ready every operation is skipped
 *   (served uncached), nothing waits for the connection;
 * - `disableOfflineQueue`: commands are never queued while disconnected;
 * - every command is bounded by `commandTimeoutMs` (default 50 ms), and consecutive
 *   failures open a circuit for a while (degradation.ts);
 * - reconnects back off exponentially from `reconnectMinDelayMs` to `reconnectMaxDelayMs`
 *   (with jitter), forever: when Redis returns, caching resumes by itself;
 * - connection loss and recovery are logged once per state change; skipped operations are
 *   logged rate-limited by the guard.
 *
 * All keys get `keyPrefix` (default `amtsgraph:`), so one Redis can serve several
 * installations and tests can use (and clean up) a prefix of their own.
 */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  keyPrefix?: string;
  /** Bound on one GET/SET/DEL in ms. Default 50. */
  commandTimeoutMs?: number;
  /** Bound on `deleteByPrefix` (a SCAN over the keyspace) in ms. Default 5000. */
  scanTimeoutMs?: number;
  /** TCP connect timeout in ms. Default 1000. */
  connectTimeoutMs?: number;
  /** First reconnect delay in ms; doubles per attempt. Default 100. */
  reconnectMinDelayMs?: number;
  /** Longest reconnect delay in ms. Default 5000. */
  reconnectMaxDelayMs?: number;
  /** Consecutive failed commands that pause Redis use for `circuitOpenMs`. Defaults 3 and 1000. */
  failureThreshold?: number;
  circuitOpenMs?: number;
  /** Minimum time between two "unavailable" warnings. Default 30000 ms. */
  warnIntervalMs?: number;
  logger?: Logger;
}

export interface RedisStore extends CacheStore {
  readonly kind: 'redis';
  /** Resolves `true` once connected, `false` when not connected within `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean>;
}

/** The URL without its password, for logs and console output. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/** `*`, `?`, `[`, `]` and `\` are glob characters in SCAN MATCH; the prefix is matched literally. */
const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  if (!/^rediss?:\/\//.test(options.url)) {
    throw new Error(`redis store url must start with redis:// or rediss://, received "${redactRedisUrl(options.url)}"`);
  }
  const keyPrefix = options.keyPrefix ?? 'amtsgraph:';
  const logger = options.logger ?? silentLogger;
  const minDelay = positiveInt('redis store reconnectMinDelayMs', options.reconnectMinDelayMs, 100);
  const maxDelay = positiveInt('redis store reconnectMaxDelayMs', options.reconnectMaxDelayMs, 5_000);
  const scanTimeoutMs = positiveInt('redis store scanTimeoutMs', options.scanTimeoutMs, 5_000);
  const where = redactRedisUrl(options.url);
  const guard = createDegradationGuard({
    store: 'redis',
    timeoutMs: options.commandTimeoutMs,
    failureThreshold: options.failureThreshold,
    openMs: options.circuitOpenMs,
    warnIntervalMs: options.warnIntervalMs,
    logger,
  });
  const counts = { hits: 0, misses: 0, sets: 0, deletes: 0 };

  const client = redisModule().createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: positiveInt('redis store connectTimeoutMs', options.connectTimeoutMs, 1_000),
      // Exponential back-off with jitter, never giving up: no reconnect storm while Redis is
      // down, and caching resumes on its own when it is back.
      reconnectStrategy: (retries) => Math.min(maxDelay, minDelay * 2 ** Math.min(retries, 16)) + Math.floor(Math.random() * minDelay),
    },
  });

  let everReady = false;
  let lost = false;
  let closed = false;
  // node-redis emits 'error' for every failed (re)connect attempt; without a listener the
  // process would crash. State changes are logged once each; the rest is counted by the guard.
  client.on('error', (error: Error) => {
    if (closed || lost) return;
    lost = true;
    logger.warn(
      { store: 'redis', url: where, cause: `${error.name}: ${error.message}` },
      everReady ? 'redis connection lost; reconnecting with back-off, serving uncached meanwhile' : 'redis not reachable yet; retrying with back-off, serving uncached meanwhile',
    );
  });
  client.on('ready', () => {
    // A connect attempt that was already under way when close() ran.
    if (closed) {
      if (client.isOpen) client.disconnect().catch(() => {});
      return;
    }
    if (lost || !everReady) logger.info({ store: 'redis', url: where }, 'redis connected; caching in redis');
    everReady = true;
    lost = false;
  });
  // connect() keeps retrying by the strategy above and only settles when connected or closed.
  client.connect().catch(() => {});

  const ready = () => client.isReady;
  const k = (key: string) => keyPrefix + key;

  /** One GET, counted as hit or miss; `unavailable` when Redis is down or too slow. */
  const read = async <V extends string | Buffer>(get: () => Promise<V | null>): Promise<{ status: 'hit'; value: V } | { status: 'miss' } | { status: 'unavailable' }> => {
    const result = await guard.run(ready(), get);
    if (!result.ok) return { status: 'unavailable' };
    if (result.value === null) {
      counts.misses += 1;
      return { status: 'miss' };
    }
    counts.hits += 1;
    return { status: 'hit', value: result.value };
  };

  return {
    kind: 'redis',
    shared: true,
    description: `redis ${where} (prefix ${keyPrefix})`,
    get: (key) => read(() => client.get(k(key))),
    getBytes: (key) => read(() => client.get(redisModule().commandOptions({ returnBuffers: true }), k(key))),
    async set(key, value, ttlMs) {
      if (!(ttlMs > 0)) return false;
      const result = await guard.run(ready(), () => client.set(k(key), value, { PX: Math.max(1, Math.round(ttlMs)) }));
      if (result.ok) counts.sets += 1;
      return result.ok;
    },
    async delete(key) {
      const result = await guard.run(ready(), () => client.del(k(key)));
      if (!result.ok) return false;
      counts.deletes += result.value;
      return result.value > 0;
    },
    async deleteByPrefix(prefix) {
      const result = await guard.run(
        ready(),
        async () => {
          let deleted = 0;
          let batch: string[] = [];
          for await (const key of client.scanIterator({ MATCH: `${escapeGlob(k(prefix))}*`, COUNT: 500 })) {
            batch.push(key);
            if (batch.length >= 500) {
              deleted += await client.del(batch);
              batch = [];
            }
          }
          if (batch.length > 0) deleted += await client.del(batch);
          return deleted;
        },
        scanTimeoutMs,
      );
      if (!result.ok) return null;
      counts.deletes += result.value;
      return result.value;
    },
    async ttl(key) {
      const result = await guard.run(ready(), () => client.pTTL(k(key)));
      return result.ok && result.value >= 0 ? result.value : null;
    },
    available: () => guard.allows(ready()),
    stats(): CacheStoreStats {
      const degradation = guard.stats();
      return {
        kind: 'redis',
        shared: true,
        available: guard.allows(ready()),
        ...counts,
        unavailable: degradation.unavailable,
        timeouts: degradation.timeouts,
        errors: degradation.errors,
        entries: null,
        evictions: 0,
      };
    },
    whenReady(timeoutMs) {
      if (client.isReady) return Promise.resolve(true);
      if (closed) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          resolve(client.isReady);
        }, timeoutMs);
        client.once('ready', onReady);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (client.isOpen) {
        // disconnect() (not quit()): no round trip to a Redis that may be gone. A reconnect
        // attempt in progress ends by itself after its current back-off delay.
        await client.disconnect().catch(() => {});
      }
    },
  };
}
