import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../../common/logger';
import type { GatewayConfig } from '../config';
import type { ExecutionEngine } from '../engine/types';
import type { GraphQLSchema } from 'graphql';
import { useCorrelationId } from './use-correlation-id';
import { useErrorCodes } from './use-error-codes';
import { useExecutionEngine } from './use-execution-engine';
import { useHealth } from './use-health';
import { useLimits } from './use-limits';
import { useRequestDeadline } from './use-request-deadline';
import { useIdentityForwarding } from './use-identity-forwarding';
import { useAuthentication } from './use-authentication';
import { useAuthorization } from './use-authorization';
import { useAudit } from './use-audit';
import { createAuditStore } from '../audit/store';
import { createAuthenticator } from '../auth/authenticate';
import { resolveTrust } from '../auth/trust';
import { ANONYMOUS, IDENTITY_HEADER, identitySecret, signIdentity } from '../../../common/identity';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getAuthorizationOutcome } from '../authz/outcome';
import type { GatewayContext } from '../context';
import { createOpsRuntime } from '../ops/runtime';
import { useMetrics } from './use-metrics';
import { useOpsPage } from './use-ops-page';
import { usePlanMonitor } from './use-plan-monitor';
import { useTracing } from './use-tracing';
import { createRateLimiter, useRateLimit } from './use-rate-limit';
import { usePersistedOperations } from './use-persisted-operations';
import type { Identity } from '../../../common/identity';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { useEntityCache } from './use-entity-cache';
import { useResponseCache } from './use-response-cache';
import type { CacheStore } from '../../../common/cache';
import type { EntityCache } from '../cache/entity-cache';

export interface PluginDeps {
  config: GatewayConfig;
  engine: ExecutionEngine;
  schema: GraphQLSchema;
  logger: Logger;
  /** Span processors for the gateway's tracer (OTLP exporter; in-memory exporter in tests). */
  spanProcessors?: readonly SpanProcessor[];
  /** The process's cache store (shared with the upstream cache); required when `cache.enabled`. */
  cacheStore?: CacheStore;
  /** Receives the entity cache when enabled (tests, start script). */
  onEntityCache?: (cache: EntityCache) => void;
}

/**
 * The gateway's plugins, in order. Each feature is one file in this folder; this list is
 * the only place that decides the order (limits → authentication → rate limit → persisted
 * operations → authorization → cache →
 * audit → plan monitor → metrics, as features arrive).
 */
export function gatewayPlugins(deps: PluginDeps): Plugin[] {
  const { config } = deps;
  const secret = identitySecret(config.identitySecret);
  // One token verifier for the GraphQL endpoint and the operator endpoints (GET /audit, /ops/api, /metrics).
  const authenticate = createAuthenticator({
    trust: resolveTrust(config.authentication, config.mode),
    algorithms: config.authentication.algorithms,
    clockSkewSeconds: config.authentication.clockSkewSeconds,
    allowedPurposes: config.authentication.allowedPurposes,
  });
  // Plan store, metrics registry, tracer, catalogue: shared by the operator plugins (ops/).
  const ops = createOpsRuntime({ config: config.ops, logger: deps.logger.child({ plugin: 'ops' }), spanProcessors: deps.spanProcessors });
  const removedFields = (context: GatewayContext) => {
    const outcome = getAuthorizationOutcome(context);
    return outcome?.result === 'filtered' ? outcome.deniedPaths.length : 0;
  };
  // The identity authentication verified, per request (shared with the rate limit).
  const identities = new WeakMap<Request, Identity>();
  // The entity cache, once its plugin created it (plan monitor: hit ratio per operation).
  let entityCache: EntityCache | null = null;
  const probeHeaders = async () => ({ [IDENTITY_HEADER]: await signIdentity(ANONYMOUS, secret) });
  // Rate limit per token subject (anonymous and invalid tokens: per client IP); keys are
  // hashed with a key derived from the identity secret, which all replicas share.
  const rateLimiter = config.rateLimit.enabled
    ? createRateLimiter({ ...config.rateLimit, graphqlEndpoint: '/graphql', identityOf: (request) => identities.get(request), keySecret: secret, logger: deps.logger.child({ plugin: 'rate-limit' }) })
    : null;
  return [
    useHealth({ engine: deps.engine, probeHeaders: async () => ({ [IDENTITY_HEADER]: await signIdentity(ANONYMOUS, secret) }) }),
    useCorrelationId() as Plugin,
    // Deadline per GraphQL request (limits.requestDeadlineMs): context.signal, REQUEST_TIMEOUT.
    useRequestDeadline({ deadlineMs: config.limits.requestDeadlineMs }) as Plugin,
    // /ops (page + API, scope ops:read) and /metrics: before authentication, which would
    // refuse Prometheus' static token; they check their callers themselves.
    useOpsPage({
      engine: deps.engine,
      store: ops.store,
      traffic: ops.traffic,
      metrics: ops.metrics,
      metricsToken: config.ops.metrics.token ?? null,
      authenticate,
      probeHeaders,
      catalogue: ops.catalogue,
      page: config.ops.page,
      logger: deps.logger.child({ plugin: 'ops' }),
    }),
    useErrorCodes(),
    // Browsers may only send preflighted requests (JSON POST, or GET with this header).
    useCSRFPrevention({ requestHeaders: ['x-amtsgraph-csrf', 'apollo-require-preflight'] }),
    ...useLimits({ ...config.limits, blockFieldSuggestions: config.mode === 'production' }),
    // Production: no introspection (field suggestions are off via useLimits above).
    ...(config.mode === 'production' ? [{ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) } as Plugin] : []),
    // Authentication sets context.identity (ANONYMOUS without a token); refused requests end here.
    // An invalid token counts against the client IP first (429 instead of 401 once over).
    useAuthentication({
      config: config.authentication,
      mode: config.mode,
      authenticate,
      identities,
      onInvalidToken: rateLimiter ? (input) => rateLimiter.chargeInvalidToken(input) : undefined,
      logger: deps.logger.child({ plugin: 'authentication' }),
    }) as Plugin,
    // Rate limit per token subject (anonymous: per client IP): needs the identity, so it runs
    // in onRequest right after authentication, before anything is parsed (429 RATE_LIMITED).
    ...(rateLimiter ? [useRateLimit(rateLimiter)] : []),
    // Persisted operations / APQ (persisted/): resolves ids to query text before parsing.
    usePersistedOperations({ ...config.persistedOperations, allowArbitrary: config.persistedOperations.allowArbitrary ?? true, apq: config.persistedOperations.apq ?? true, logger: deps.logger.child({ plugin: 'persisted-operations' }) }),
    useIdentityForwarding({ secret }) as Plugin,
    // Removes what context.identity may not read before planning (authz/); records the outcome.
    useAuthorization({
      engine: deps.engine,
      schema: deps.schema,
      ...config.authorization,
      collectEntities: config.audit.store !== 'none',
      maxEntities: config.audit.maxEntities,
      logger: deps.logger.child({ plugin: 'authorization' }),
    }) as Plugin,
    // Entity cache in front of the subgraph fetches (cache/); POST /cache/invalidate (ops:cache).
    ...(config.cache.enabled && deps.cacheStore
      ? [
          useEntityCache({
            engine: deps.engine,
            store: deps.cacheStore,
            config: config.cache,
            metrics: ops.metrics,
            identify: async (request) => {
              const outcome = await authenticate({ authorization: request.headers.get('authorization'), purpose: null });
              return outcome.ok ? outcome.identity : null;
            },
            logger: deps.logger.child({ plugin: 'entity-cache' }),
            onCache: (cache) => {
              entityCache = cache;
              deps.onEntityCache?.(cache);
            },
          }) as Plugin,
          // Whole answers of public queries (cache/response-cache.ts): after authentication, rate
          // limit and persisted operations (all still apply to cached answers), after the entity
          // cache, whose per-request freshness bounds an entry's TTL.
          ...(config.cache.responses.enabled
            ? [
                useResponseCache({
                  engine: deps.engine,
                  store: deps.cacheStore,
                  ttlSeconds: config.cache.responses.ttlSeconds,
                  entityCache: () => entityCache,
                  metrics: ops.metrics,
                  logger: deps.logger.child({ plugin: 'response-cache' }),
                }) as Plugin,
              ]
            : []),
        ]
      : []),
    // One record per request that touched restricted data, written before the response (audit/).
    useAudit({
      store: createAuditStore(config.audit, deps.logger.child({ plugin: 'audit' })),
      endpoint: config.audit.endpoint,
      identify: async (request) => {
        const outcome = await authenticate({ authorization: request.headers.get('authorization'), purpose: null });
        return outcome.ok ? outcome.identity : null;
      },
      logger: deps.logger.child({ plugin: 'audit' }),
    }) as Plugin,
    // Spans + per-request logger and log line; plan monitor (/ops, plan header); metrics.
    useTracing({ engine: deps.engine, logger: deps.logger, tracing: ops.tracing, signatures: ops.signatures }) as Plugin,
    usePlanMonitor({ engine: deps.engine, store: ops.store, traffic: ops.traffic, signatures: ops.signatures, metrics: ops.metrics, removedFields, entityCache: (context) => entityCache?.requestCounts(context) ?? null }) as Plugin,
    ...(ops.metrics ? [useMetrics({ engine: deps.engine, metrics: ops.metrics, signatures: ops.signatures, removedFields }) as Plugin] : []),
    useExecutionEngine(deps.engine, deps.schema) as Plugin,
  ];
}
