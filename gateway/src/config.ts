import path from 'node:path';
import { z } from 'zod';
import { ConfigError, readHost, readLogLevel, readPort, readUrl, subgraphUrl } from '../../common/env';
import { identitySecretValue } from '../../common/secrets';
import { GATEWAY_PORT, SUBGRAPH_NAMES } from '../../common/services';
import { PURPOSE_PATTERN } from './auth/claims';
import { authenticationProblems, authenticationSchema, CALLER_ALGORITHMS, freezeAuthentication } from './auth/config';
import { auditFromEnv, auditSchema, freezeAudit } from './audit/config';
import { authorizationFromEnv, authorizationSchema, freezeAuthorization } from './authz/config';
import { freezeOps, opsFromEnv, opsSchema } from './ops/config';
import { cacheFromEnv, cacheSchema, freezeCache } from './cache/config';

/**
 * Gateway configuration: input type → defaults → validation → frozen object. Environment
 * variables are read only in `configFromEnv`.
 */
const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(GATEWAY_PORT),
    /** The composed supergraph the gateway serves. */
    supergraphPath: z.string().min(1).default(path.join(__dirname, '..', '..', 'schema', 'supergraph.graphql')),
    /** Reload the supergraph when its file changes (keeps the old one if the new one is invalid). */
    watchSupergraph: z.boolean().default(true),
    /** Poll interval of the supergraph watch, in ms. */
    watchIntervalMs: z.number().int().min(50).max(60_000).default(500),
    /** Per-subgraph URL overrides; the supergraph's own URLs are used for the others. */
    subgraphUrls: z.record(z.string(), z.string().url()).default({}),
    /** Timeout of one subgraph fetch, in ms. */
    subgraphTimeoutMs: z.number().int().min(1).max(120_000).default(10_000),
    /**
     * Who executes query plans: `amtsgraph` (engine/plan-executor/, compiled per operation) or
     * `apollo` (@apollo/gateway's own executor, kept as the fallback). Planning is Apollo's in both.
     */
    executor: z.enum(['amtsgraph', 'apollo']).default('amtsgraph'),
    /**
     * Identical subgraph queries in flight at the same time share one request (partitioned by
     * the caller's identity; never mutations).
     */
    dedupeInFlight: z.boolean().default(true),
    /** `development` shows GraphiQL and error details; `production` hides both. */
    mode: z.enum(['development', 'production']).default('development'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Limits on one request (plugins/use-limits.ts). */
    limits: z
      .object({
        maxBodyBytes: z.number().int().min(1024).default(100_000),
        maxTokens: z.number().int().min(10).default(5_000),
        maxDepth: z.number().int().min(2).default(12),
        maxAliases: z.number().int().min(0).default(30),
        maxDirectives: z.number().int().min(0).default(50),
        maxCost: z.number().int().min(10).default(5_000),
        /**
         * Total time one GraphQL request may take, in ms (plugins/use-request-deadline.ts):
         * then the client gets REQUEST_TIMEOUT and the request's subgraph fetches are cancelled.
         */
        requestDeadlineMs: z.number().int().min(1).max(600_000).default(15_000),
      })
      .strict()
      .default({}),
    /**
     * Per-client rate limit on the GraphQL endpoint (plugins/use-rate-limit.ts), keyed by the
     * token subject, anonymous callers by client IP. `enabled` defaults to true in production.
     */
    rateLimit: z
      .object({
        enabled: z.boolean().optional(),
        anonymousPerMinute: z.number().int().min(1).max(1_000_000).default(60),
        authenticatedPerMinute: z.number().int().min(1).max(1_000_000).default(600),
        /** Proxies in front of the gateway whose x-forwarded-for entry is trusted (0: use the socket address). */
        trustedProxies: z.number().int().min(0).max(10).default(0),
        /** Shared counters for all replicas; unset = in memory. Falls back to memory while Redis is down. */
        redisUrl: z.string().url().refine((u) => /^rediss?:\/\//.test(u), 'must be a redis:// or rediss:// URL').optional(),
        /** Most clients tracked in memory (least recently seen are forgotten first). */
        maxClients: z.number().int().min(100).max(10_000_000).default(100_000),
      })
      .strict()
      .default({}),
    /**
     * Persisted operations (gateway/src/persisted/): manifests of allowed operations,
     * whether other operations may run (`allowArbitrary`, default: not in production) and
     * automatic persisted queries (`apq`, default: development only; bounded LRU).
     */
    persistedOperations: z
      .object({
        manifests: z.array(z.string().min(1)).default([]),
        allowArbitrary: z.boolean().optional(),
        apq: z.boolean().optional(),
        apqMaxEntries: z.number().int().min(1).max(1_000_000).default(1_000),
      })
      .strict()
      .default({}),
    /**
     * Secret (at least 32 bytes) that signs the caller's identity for the subgraphs
     * (common/identity.ts); subgraphs hold the same secret.
     */
    identitySecret: z.string().min(32, 'must be at least 32 characters'),
    /** Browser origins allowed to call the gateway (CORS); none by default (same origin only). */
    corsOrigins: z.array(z.string().url()).default([]),
    /** Caller authentication: trusted keys, issuer, audience, algorithms, purposes (auth/config.ts). */
    authentication: authenticationSchema,
    /** Field-level authorization: mode, purposes of the purpose-bound policy, policies (authz/config.ts). */
    authorization: authorizationSchema,
    /** Audit trail of personal-data access: store, file, Redis stream (audit/config.ts). */
    audit: auditSchema,
    /** Operator features: plan monitor, /ops page, /metrics, tracing (ops/config.ts). */
    ops: opsSchema,
    /** Entity cache in front of the subgraph fetches (cache/config.ts); off by default. */
    cache: cacheSchema,
  })
  .strict();

export type GatewayConfigInput = z.input<typeof configSchema>;
export type GatewayConfig = Readonly<z.output<typeof configSchema>>;

export function resolveConfig(input: GatewayConfigInput): GatewayConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const option = issue.path.join('.') || '(root)';
      return `gateway option "${option}": ${issue.message}`;
    });
    throw new ConfigError(`Invalid gateway configuration:\n- ${problems.join('\n- ')}`);
  }
  const authProblems = authenticationProblems(parsed.data.authentication, parsed.data.mode);
  if (authProblems.length) {
    const problems = authProblems.map((p) => `gateway option "${p.option}": ${p.message}`);
    throw new ConfigError(`Invalid gateway configuration:\n- ${problems.join('\n- ')}`);
  }
  return Object.freeze({
    ...parsed.data,
    subgraphUrls: Object.freeze({ ...parsed.data.subgraphUrls }),
    limits: Object.freeze({ ...parsed.data.limits }),
    // Production defaults: rate limit on, only persisted operations, no APQ registration.
    rateLimit: Object.freeze({ ...parsed.data.rateLimit, enabled: parsed.data.rateLimit.enabled ?? parsed.data.mode === 'production' }),
    persistedOperations: Object.freeze({
      ...parsed.data.persistedOperations,
      manifests: Object.freeze([...parsed.data.persistedOperations.manifests]) as string[],
      allowArbitrary: parsed.data.persistedOperations.allowArbitrary ?? parsed.data.mode !== 'production',
      apq: parsed.data.persistedOperations.apq ?? parsed.data.mode !== 'production',
    }),
    corsOrigins: Object.freeze([...parsed.data.corsOrigins]) as string[],
    authentication: freezeAuthentication(parsed.data.authentication),
    authorization: freezeAuthorization(parsed.data.authorization),
    audit: freezeAudit(parsed.data.audit),
    ops: freezeOps(parsed.data.ops),
    cache: freezeCache(parsed.data.cache),
  });
}

/** Reads GATEWAY_PORT, AMTSGRAPH_HOST, SUPERGRAPH_PATH, `<NAME>_SUBGRAPH_URL`, NODE_ENV, LOG_LEVEL, AUTH_*, AUTHZ_*, AUDIT_*, ops (ops/config.ts). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const subgraphUrls: Record<string, string> = {};
  for (const name of SUBGRAPH_NAMES) subgraphUrls[name] = subgraphUrl(name, env);
  const watch = env.SUPERGRAPH_WATCH;
  if (watch !== undefined && watch !== '' && watch !== 'true' && watch !== 'false') {
    throw new ConfigError(`SUPERGRAPH_WATCH must be "true" or "false", received "${watch}"`);
  }
  const timeout = env.SUBGRAPH_TIMEOUT_MS;
  if (timeout !== undefined && !/^\d+$/.test(timeout)) {
    throw new ConfigError(`SUBGRAPH_TIMEOUT_MS must be a whole number of milliseconds, received "${timeout}"`);
  }
  return resolveConfig({
    host: readHost(env),
    port: readPort('GATEWAY_PORT', GATEWAY_PORT, env),
    supergraphPath: env.SUPERGRAPH_PATH || undefined,
    watchSupergraph: env.SUPERGRAPH_WATCH !== 'false',
    subgraphUrls,
    subgraphTimeoutMs: timeout ? Number(timeout) : undefined,
    executor: readExecutor(env),
    dedupeInFlight: readBool('SUBGRAPH_DEDUPE', env),
    mode: env.NODE_ENV === 'production' ? 'production' : 'development',
    logLevel: readLogLevel('info', env),
    identitySecret: identitySecretValue(env),
    corsOrigins: env.CORS_ORIGINS ? env.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) : undefined,
    authentication: authenticationFromEnv(env),
    authorization: authorizationFromEnv(env),
    audit: auditFromEnv(env),
    ops: opsFromEnv(env, env.NODE_ENV === 'production' ? 'production' : 'development'),
    rateLimit: rateLimitFromEnv(env),
    persistedOperations: persistedOperationsFromEnv(env),
    cache: cacheFromEnv(env),
  });
}

export { readUrl };

function readExecutor(env: NodeJS.ProcessEnv): 'amtsgraph' | 'apollo' | undefined {
  const value = env.GATEWAY_EXECUTOR;
  if (value === undefined || value === '') return undefined;
  if (value !== 'amtsgraph' && value !== 'apollo') {
    throw new ConfigError(`GATEWAY_EXECUTOR must be "amtsgraph" or "apollo", received "${value}"`);
  }
  return value;
}

const list = (raw: string) => raw.split(',').map((item) => item.trim()).filter(Boolean);

/**
 * AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE (all three required in production),
 * AUTH_ALGORITHMS, AUTH_CLOCK_SKEW_SECONDS, AUTH_ALLOWED_PURPOSES. Unset = defaults (in
 * development: the local dev issuer in .amtsgraph/).
 */
function authenticationFromEnv(env: NodeJS.ProcessEnv): GatewayConfigInput['authentication'] {
  const jwksUrl = env.AUTH_JWKS_URL || undefined;
  if (jwksUrl !== undefined && (!z.string().url().safeParse(jwksUrl).success || !/^https?:\/\//.test(jwksUrl))) {
    throw new ConfigError(`AUTH_JWKS_URL must be an http(s) URL such as https://login.example.de/.well-known/jwks.json, received "${jwksUrl}"`);
  }
  const skew = env.AUTH_CLOCK_SKEW_SECONDS;
  if (skew !== undefined && skew !== '' && (!/^\d+$/.test(skew) || Number(skew) > 300)) {
    throw new ConfigError(`AUTH_CLOCK_SKEW_SECONDS must be a whole number of seconds from 0 to 300, received "${skew}"`);
  }
  const algorithms = env.AUTH_ALGORITHMS ? list(env.AUTH_ALGORITHMS) : undefined;
  const unknown = algorithms?.filter((a) => !(CALLER_ALGORITHMS as readonly string[]).includes(a)) ?? [];
  if (algorithms && (unknown.length || !algorithms.length)) {
    throw new ConfigError(
      `AUTH_ALGORITHMS must be a comma-separated list of ${CALLER_ALGORITHMS.join(', ')} ("none" and HS* are never accepted), received "${env.AUTH_ALGORITHMS}"`,
    );
  }
  return {
    jwksUrl,
    issuer: env.AUTH_ISSUER || undefined,
    audience: env.AUTH_AUDIENCE || undefined,
    algorithms: algorithms as (typeof CALLER_ALGORITHMS)[number][] | undefined,
    clockSkewSeconds: skew ? Number(skew) : undefined,
    allowedPurposes: readAllowedPurposes(env),
  };
}

/** AUTH_ALLOWED_PURPOSES (comma-separated), or undefined for the default list. Also used by `npm run token`. */
export function readAllowedPurposes(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const raw = env.AUTH_ALLOWED_PURPOSES;
  if (raw === undefined || raw === '') return undefined;
  const purposes = list(raw);
  const bad = purposes.filter((p) => !PURPOSE_PATTERN.test(p));
  if (!purposes.length || bad.length) {
    throw new ConfigError(
      `AUTH_ALLOWED_PURPOSES must be a comma-separated list of lower-case identifiers (a-z, 0-9, _ and -), received "${raw}"`,
    );
  }
  return purposes;
}

const readBool = (name: string, env: NodeJS.ProcessEnv): boolean | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name} must be "true" or "false", received "${raw}"`);
  return raw === 'true';
};

const readWhole = (name: string, env: NodeJS.ProcessEnv, example: string): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number such as ${example}, received "${raw}"`);
  return Number(raw);
};

/**
 * RATE_LIMIT_ENABLED, RATE_LIMIT_ANONYMOUS_PER_MINUTE, RATE_LIMIT_AUTHENTICATED_PER_MINUTE,
 * RATE_LIMIT_TRUSTED_PROXIES, RATE_LIMIT_REDIS_URL (falls back to REDIS_URL).
 */
function rateLimitFromEnv(env: NodeJS.ProcessEnv): GatewayConfigInput['rateLimit'] {
  return {
    enabled: readBool('RATE_LIMIT_ENABLED', env),
    anonymousPerMinute: readWhole('RATE_LIMIT_ANONYMOUS_PER_MINUTE', env, '60'),
    authenticatedPerMinute: readWhole('RATE_LIMIT_AUTHENTICATED_PER_MINUTE', env, '600'),
    trustedProxies: readWhole('RATE_LIMIT_TRUSTED_PROXIES', env, '1'),
    redisUrl: env.RATE_LIMIT_REDIS_URL || env.REDIS_URL || undefined,
  };
}

/** PERSISTED_MANIFESTS (comma-separated manifest files), PERSISTED_ALLOW_ARBITRARY, PERSISTED_APQ. */
function persistedOperationsFromEnv(env: NodeJS.ProcessEnv): GatewayConfigInput['persistedOperations'] {
  return {
    manifests: env.PERSISTED_MANIFESTS ? list(env.PERSISTED_MANIFESTS) : undefined,
    allowArbitrary: readBool('PERSISTED_ALLOW_ARBITRARY', env),
    apq: readBool('PERSISTED_APQ', env),
  };
}
