import { z } from 'zod';
import { ConfigError } from '../../../common/env';

const ttlSeconds = z.number().int().min(1).max(86_400);

/**
 * The response cache (cache/response-cache.ts): whole answers of public queries, in the
 * entity cache's store. `true`/`false`, or `{ enabled, ttlSeconds }`; on by default whenever
 * `cache.enabled` is. `ttlSeconds` defaults to `rootTtlSeconds` (resolved below).
 */
const responsesSchema = z.union([
  z.boolean().transform((enabled) => ({ enabled, ttlSeconds: undefined })),
  z
    .object({
      enabled: z.boolean().default(true),
      /** Upper bound of an entry's TTL (the request's fetches may make it shorter). Default: `rootTtlSeconds`. */
      ttlSeconds: ttlSeconds.optional(),
    })
    .strict(),
]);

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
    defaultTtlSeconds: ttlSeconds.default(60),
    /** Per entity type: `{ Municipality: { ttlSeconds: 3600 } }`. */
    types: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a GraphQL type name'), z.object({ ttlSeconds }).strict()).default({}),
    /** Cache root-field fetches of public queries (key: subgraph + operation + variables). */
    rootFields: z.boolean().default(true),
    /** TTL of root-field entries (also capped by the subgraph's Cache-Control). */
    rootTtlSeconds: ttlSeconds.default(60),
    /** Serve `POST /cache/invalidate` (scope `ops:cache`). */
    invalidationEndpoint: z.boolean().default(true),
    /** Bound of each Redis command of the entity cache, in ms. */
    commandTimeoutMs: z.number().int().min(1).max(10_000).default(50),
    /** Whole answers of public queries (cache/response-cache.ts); see `responsesSchema`. */
    responses: responsesSchema.default(true),
  })
  .strict()
  .transform((config) => ({
    ...config,
    responses: { enabled: config.responses.enabled, ttlSeconds: config.responses.ttlSeconds ?? config.rootTtlSeconds },
  }))
  .default({});

export type CacheConfig = Readonly<z.output<typeof cacheSchema>>;

export function freezeCache(config: z.output<typeof cacheSchema>): CacheConfig {
  return Object.freeze({ ...config, types: Object.freeze({ ...config.types }), responses: Object.freeze({ ...config.responses }) });
}

/**
 * ENTITY_CACHE (`on`/`off`), ENTITY_CACHE_TTL_SECONDS, ENTITY_CACHE_PRIVATE, REDIS_URL,
 * RESPONSE_CACHE (`on`/`off`; only with ENTITY_CACHE=on), RESPONSE_CACHE_TTL_SECONDS.
 */
export function cacheFromEnv(env: NodeJS.ProcessEnv): z.input<typeof cacheSchema> {
  const flag = env.ENTITY_CACHE;
  if (flag !== undefined && flag !== '' && flag !== 'on' && flag !== 'off') {
    throw new ConfigError(`ENTITY_CACHE must be "on" or "off", received "${flag}"`);
  }
  const ttl = readTtl('ENTITY_CACHE_TTL_SECONDS', env);
  const privateMode = env.ENTITY_CACHE_PRIVATE;
  if (privateMode !== undefined && privateMode !== '' && privateMode !== 'skip' && privateMode !== 'per-subject') {
    throw new ConfigError(`ENTITY_CACHE_PRIVATE must be "skip" or "per-subject", received "${privateMode}"`);
  }
  const responses = env.RESPONSE_CACHE;
  if (responses !== undefined && responses !== '' && responses !== 'on' && responses !== 'off') {
    throw new ConfigError(`RESPONSE_CACHE must be "on" or "off", received "${responses}"`);
  }
  const responseTtl = readTtl('RESPONSE_CACHE_TTL_SECONDS', env);
  return {
    enabled: flag === 'on',
    redisUrl: env.REDIS_URL || undefined,
    defaultTtlSeconds: ttl,
    private: (privateMode || undefined) as 'skip' | 'per-subject' | undefined,
    responses: { enabled: responses !== 'off', ttlSeconds: responseTtl },
  };
}

function readTtl(name: string, env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 86_400) {
    throw new ConfigError(`${name} must be a whole number of seconds from 1 to 86400, received "${raw}"`);
  }
  return Number(raw);
}
