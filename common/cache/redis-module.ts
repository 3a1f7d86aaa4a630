import type * as Redis from 'redis';

/**
 * The `redis` client package, loaded when a Redis connection is first made: a gateway or
 * subgraph configured without Redis does not pay for it (≈ 19 MB of RSS once loaded).
 */
export function redisModule(): typeof Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('redis') as typeof Redis;
}
