import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { createLogger, type Logger } from '../../common/logger';
import { resolveConfig, type GatewayConfig, type GatewayConfigInput } from './config';
import type { GatewayContext } from './context';
import { createApolloEngine } from './engine/apollo';
import type { ExecutionEngine } from './engine/types';
import { gatewayPlugins } from './plugins';
import { createCacheStore, type CacheStore } from '../../common/cache';
import type { EntityCache } from './cache/entity-cache';

export interface Gateway {
  config: GatewayConfig;
  engine: ExecutionEngine;
  yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
  /** In-process request handling, e.g. `gateway.fetch('http://gw/graphql', …)` in tests. */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Assembles the gateway: validated config → execution engine (supergraph loaded) → Yoga
 * with the plugin list. Never listens (see index.ts).
 */
export async function createGateway(
  input: GatewayConfigInput,
  deps: {
    logger?: Logger;
    /** Span processors for the gateway's tracer, e.g. an OTLP exporter's (gateway/src/ops/tracing.ts). */
    spanProcessors?: readonly SpanProcessor[];
    /** The process's cache store for the entity cache (scripts/stack.ts shares it with the upstream cache); not closed here. */
    cacheStore?: CacheStore;
    onEntityCache?: (cache: EntityCache) => void;
  } = {},
): Promise<Gateway> {
  const config = resolveConfig(input);
  const logger = deps.logger ?? createLogger({ name: 'gateway', level: config.logLevel });
  const engine = createApolloEngine({
    supergraphPath: config.supergraphPath,
    watchSupergraph: config.watchSupergraph,
    watchIntervalMs: config.watchIntervalMs,
    subgraphUrls: config.subgraphUrls,
    subgraphTimeoutMs: config.subgraphTimeoutMs,
    executor: config.executor,
    dedupeInFlight: config.dedupeInFlight,
    logger,
  });
  const schema = await engine.start();
  // The entity cache's store: the caller's (shared with the upstream cache), else our own.
  const ownedStore =
    config.cache.enabled && !deps.cacheStore
      ? createCacheStore({ redisUrl: config.cache.redisUrl, logger: logger.child({ component: 'entity-cache' }), redis: { keyPrefix: config.cache.keyPrefix, commandTimeoutMs: config.cache.commandTimeoutMs } })
      : undefined;
  const cacheStore = deps.cacheStore ?? ownedStore;
  const development = config.mode === 'development';
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    graphqlEndpoint: '/graphql',
    landingPage: false,
    cors: config.corsOrigins.length ? { origin: [...config.corsOrigins], credentials: true, maxAge: 600 } : false,
    // Parsed documents are cached by query text: keep that cache bounded (body limit × entries).
    parserAndValidationCache: true,
    // The body limit is the gateway's own (plugins/use-limits.ts: 413 PAYLOAD_TOO_LARGE, counted
    // only for bodies without Content-Length); Yoga's would stream every body through a counter.
    maxRequestBodySize: false,
    graphiql: development ? { title: 'Amtsgraph', defaultQuery: EXAMPLE_QUERY } : false,
    // Self-contained GraphiQL (no CDN): works on machines without internet access. Loaded on the
    // first GraphiQL request: the package inlines GraphiQL's bundle (≈ 77 MB of RSS once loaded).
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
    maskedErrors: {
      isDev: false,
      maskError(error, message) {
        if (error instanceof GraphQLError && typeof error.extensions?.code === 'string') return error;
        if (error instanceof GraphQLError && !error.originalError) return error;
        logger.error({ err: error }, 'unexpected error while handling a request');
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    plugins: gatewayPlugins({ config, engine, schema, logger, spanProcessors: deps.spanProcessors, cacheStore, onEntityCache: deps.onEntityCache }),
  });
  return {
    config,
    engine,
    yoga,
    fetch: (input, init) => Promise.resolve(yoga.fetch(input as string, init as never)) as unknown as Promise<Response>,
    async stop() {
      await engine.stop();
      // Runs the plugins' onDispose hooks (e.g. the audit store closes its file or Redis client).
      await yoga.dispose();
      await ownedStore?.close();
    },
  };
}

export const EXAMPLE_QUERY = `# Solingen across five subgraphs
{
  municipality(ags: "05122000") {
    name
    population
    areaKm2
    district { name }
    state { name }
    taxOffice { name }
    responsibleAuthority(leikaKey: "99050012104000") { name }
    wasteCalendar(street: "Hauptstraße", from: "2026-01-01", to: "2026-01-31") { date fraction }
    council { meetings(first: 3) { name start } }
    warnings { headline severity }
  }
}
`;
