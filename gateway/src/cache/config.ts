import { z } from 'zod';
import { ConfigError } from '../../../common/env';

/**
 * The gateway entity cache (gateway/src/cache/): off by default. The store is the one the
 * process shares with the subgraphs' upstream cache (scripts/stack.ts passes it in); a gateway
 * started alone creates its own from `redisUrl` (REDIS_URL), else an in-memory store.
 */
export const cacheSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Redis of a gateway started alone (REDIS_URL); ignored when the stack passes a store. */
    redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
    /** Key prefix in Redis (before the `entity:` namespace). */
    keyPrefix: z.string().regex(/^[A-Za-z0-9_.:-]*$/, 'must be letters, digits, "_", ".", ":" or "-"').default('amtsgraph:'),
    /**
     * Fetches whose selection touches a field or type under `@authenticated`, `@requiresScopes`
     * or `@policy`: `skip` (never cached) or `per-subject` (one entry per verified caller; only
     * with a store that is not shared, since the entry holds that caller's personal data).
     */
    private: z.enum(['skip', 'per-subject']).default('skip'),
    /** TTL of entries of types without their own `types.<Type>.ttlSeconds`. */
    defaultTtlSeconds: z.number().int().min(1).max(86_400).default(60),
    /** Per entity type: `{ Municipality: { ttlSeconds: 3600 } }`. */
    types: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a GraphQL type name'), z.object({ ttlSeconds: z.number().int().min(1).max(86_400) }).strict()).default({}),
    /** Cache root-field fetches of public queries (key: subgraph + operation + variables). */
    rootFields: z.boolean().default(true),
    /** TTL of root-field entries (also capped by the subgraph's Cache-Control). */
    rootTtlSeconds: z.number().int().min(1).max(86_400).default(60),
    /** Serve `POST /cache/invalidate` (scope `ops:cache`). */
    invalidationEndpoint: z.boolean().default(true),
    /** Bound of each Redis command of the entity cache, in ms. */
    commandTimeoutMs: z.number().int().min(1).max(10_000).default(50),
  })
  .strict()
  .default({});

export type CacheConfig = Readonly<z.output<typeof cacheSchema>>;

export function freezeCache(config: z.output<typeof cacheSchema>): CacheConfig {
  return Object.freeze({ ...config, types: Object.freeze({ ...config.types }) });
}

/** ENTITY_CACHE (`on`/`off`), ENTITY_CACHE_TTL_SECONDS, ENTITY_CACHE_PRIVATE, REDIS_URL. */
export function cacheFromEnv(env: NodeJS.ProcessEnv): z.input<typeof cacheSchema> {
  const flag = env.ENTITY_CACHE;
  if (flag !== undefined && flag !== '' && flag !== 'on' && flag !== 'off') {
    throw new ConfigError(`ENTITY_CACHE must be "on" or "off", received "${flag}"`);
  }
  const ttl = env.ENTITY_CACHE_TTL_SECONDS;
  if (ttl !== undefined && ttl !== '' && (!/^\d+$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > 86_400)) {
    throw new ConfigError(`ENTITY_CACHE_TTL_SECONDS must be a whole number of seconds from 1 to 86400, received "${ttl}"`);
  }
  const privateMode = env.ENTITY_CACHE_PRIVATE;
  if (privateMode !== undefined && privateMode !== '' && privateMode !== 'skip' && privateMode !== 'per-subject') {
    throw new ConfigError(`ENTITY_CACHE_PRIVATE must be "skip" or "per-subject", received "${privateMode}"`);
  }
  return {
    enabled: flag === 'on',
    redisUrl: env.REDIS_URL || undefined,
    defaultTtlSeconds: ttl ? Number(ttl) : undefined,
    private: (privateMode || undefined) as 'skip' | 'per-subject' | undefined,
  };
}
