import { ConfigError } from '../env';
import type { Logger } from '../logger';
import { createMemoryStore, type MemoryStoreOptions } from './memory-store';
import { createRedisStore, redactRedisUrl, type RedisStoreOptions } from './redis-store';
import type { CacheStore } from './store';

export { createDegradationGuard } from './degradation';
export { createMemoryStore } from './memory-store';
export { createRedisStore, redactRedisUrl, type RedisStore, type RedisStoreOptions } from './redis-store';
export { createSingleFlight, type SingleFlight } from './single-flight';
export { namespaced, type CacheStore, type CacheStoreStats, type StoreRead } from './store';

/**
 * One cache store per process: Redis when a URL is given, otherwise the in-memory store.
 * Callers share it through `namespaced(store, '<their namespace>')`.
 */
export interface CacheStoreConfig {
  /** `REDIS_URL`; absent: in-memory store (this process only). */
  redisUrl?: string;
  logger?: Logger;
  redis?: Omit<RedisStoreOptions, 'url' | 'logger'>;
  memory?: MemoryStoreOptions;
}

export function createCacheStore(config: CacheStoreConfig): CacheStore {
  if (config.redisUrl) return createRedisStore({ ...config.redis, url: config.redisUrl, logger: config.logger });
  return createMemoryStore(config.memory);
}

/**
 * `REDIS_URL` from an environment (pass `process.env`): `redis://` or `rediss://`, or unset.
 * A bad value is a ConfigError naming the variable, the expectation and the value (password
 * redacted).
 */
export function readRedisUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw === '') return undefined;
  let valid = /^rediss?:\/\//.test(raw);
  try {
    new URL(raw);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, received "${redactRedisUrl(raw)}"`);
  }
  return raw;
}
