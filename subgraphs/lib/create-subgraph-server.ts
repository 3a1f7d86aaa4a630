import { setMaxListeners } from 'node:events';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError, type DocumentNode } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { ANONYMOUS, IDENTITY_HEADER, verifyIdentity, type Identity } from '../../common/identity';
import type { Logger } from '../../common/logger';
import type { HttpCache } from './http-cache';
import type { ResilienceRegistry } from './resilience';
import { silentLogger } from '../../common/logger';

/** W3C traceparent; anything else is not forwarded to the upstream. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Settings every subgraph factory takes besides its upstream URL(s); `scripts/stack.ts`,
 * `subgraphs/registry.ts` and `lib/run.ts` pass them the same way to all of them.
 */
export interface CommonSubgraphConfig {
  /** Per-request timeout towards the upstream, in ms (the transport's default when absent). */
  timeoutMs?: number;
  /**
   * Secret that verifies the gateway-signed identity header. Unset: no check and every caller
   * anonymous (unit tests only; row-level rules then refuse all restricted records).
   */
  identitySecret?: Uint8Array;
  logger?: Logger;
  /** The process's upstream HTTP cache (scripts/stack.ts); absent: no caching. Personal-data subgraphs ignore it. */
  cache?: HttpCache;
  /** The process's upstream resilience registry (breaker + retries); absent: retries only, no breaker. */
  resilience?: ResilienceRegistry;
}

export interface SubgraphRequestContext {
  /** W3C trace context of the incoming request, forwarded to REST calls. */
  traceHeaders: Record<string, string>;
  /** The caller as the gateway verified and signed it (ANONYMOUS when no secret is configured). */
  identity: Identity;
  /**
   * Aborts when the caller went away before the answer was sent (the gateway's request
   * deadline, its subgraph timeout, a closed connection); pass it to REST calls
   * (`RequestOptions.signal`) so that they are cancelled too.
   */
  signal: AbortSignal;
  logger: Logger;
}

export interface SubgraphServerOptions<TContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  /** Builds the per-request context, including fresh DataLoaders. */
  createContext: (base: SubgraphRequestContext) => TContext;
  logger?: Logger;
  /**
   * Secret of the gateway-signed identity header (common/identity.ts). When set, every
   * GraphQL request without a valid header is refused with HTTP 401 UNAUTHENTICATED.
   */
  identitySecret?: Uint8Array;
}

export type SubgraphServer = YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;

/**
 * Assembles a subgraph: `@apollo/subgraph` schema served by graphql-yoga at `/graphql`.
 * Errors that carry an `extensions.code` (the catalogue in common/errors.ts) reach the
 * gateway as they are; anything else is masked as INTERNAL_SERVER_ERROR and logged.
 * Never listens: see listen.ts.
 */
export function createSubgraphServer<TContext>(options: SubgraphServerOptions<TContext>): SubgraphServer {
  const logger = options.logger ?? silentLogger;
  const identities = new WeakMap<Request, Identity>();
  const secret = options.identitySecret;
  const unauthenticated = (message: string) =>
    new Response(JSON.stringify({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }), {
      status: 401,
      headers: { 'content-type': 'application/json' },
    });
  const verifyGatewayIdentity: Plugin = {
    async onRequest({ request, url, endResponse }) {
      if (!secret || url.pathname !== '/graphql') return;
      const header = request.headers.get(IDENTITY_HEADER);
      if (!header) {
        endResponse(unauthenticated(`Subgraph ${options.name} only answers the Amtsgraph gateway (missing ${IDENTITY_HEADER}).`));
        return;
      }
      try {
        identities.set(request, await verifyIdentity(header, secret));
      } catch {
        endResponse(unauthenticated(`Subgraph ${options.name}: the ${IDENTITY_HEADER} header is not validly signed by the gateway.`));
      }
    },
  };
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }]);
  return createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: false,
    landingPage: false,
    logging: false,
    healthCheckEndpoint: '/healthz',
    plugins: [verifyGatewayIdentity],
    maskedErrors: {
      maskError(error, message) {
        if (error instanceof GraphQLError) {
          // Resolver errors from the catalogue (amtsError) keep their code.
          if (typeof error.extensions?.code === 'string') return error;
          // graphql-js' own errors (e.g. variable coercion) have no cause or a GraphQLError
          // cause: a client mistake, not a crash.
          if (!error.originalError || error.originalError instanceof GraphQLError) {
            return new GraphQLError(error.message, {
              nodes: error.nodes,
              path: error.path,
              extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
            });
          }
        }
        const original = error instanceof GraphQLError ? error.originalError ?? error : error;
        logger.error({ err: original, subgraph: options.name }, 'unexpected resolver error');
        return new GraphQLError(message, {
          path: error instanceof GraphQLError ? error.path : undefined,
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
      },
    },
    context: ({ request }) => {
      const traceHeaders: Record<string, string> = {};
      const traceparent = request.headers.get('traceparent');
      if (traceparent && TRACEPARENT.test(traceparent)) {
        traceHeaders.traceparent = traceparent;
        const tracestate = request.headers.get('tracestate');
        if (tracestate && tracestate.length <= 512) traceHeaders.tracestate = tracestate;
      }
      const identity = identities.get(request) ?? ANONYMOUS;
      // @whatwg-node/server aborts request.signal when the node response closes before it
      // finished, i.e. when the caller closed the connection; never after an answer. On node its
      // signal is a stand-in object: once anything passes it to AbortSignal.any, it aborts only
      // the native signal behind it, so its own 'abort' listeners and `aborted` stay silent.
      // AbortSignal.any here makes that switch at once and hands out a native signal that follows.
      const signal = AbortSignal.any([request.signal]);
      // Every REST call of this request that waits (for a shared single-flight answer, a
      // concurrency slot, a back-off) listens on it until it settles: as many listeners as calls
      // in flight, which the gateway's query limits bound, not a leak for Node to warn about.
      setMaxListeners(0, signal);
      signal.addEventListener('abort', () => logger.warn({ subgraph: options.name }, 'subgraph request cancelled: the caller went away'), {
        once: true,
      });
      return options.createContext({ traceHeaders, identity, signal, logger }) as Record<string, unknown>;
    },
  }) as unknown as SubgraphServer;
}
