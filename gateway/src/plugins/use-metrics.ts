import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context';
import type { ExecutionEngine } from '../engine/types';
import type { GatewayMetrics, RequestOutcome } from '../ops/metrics';
import type { RequestSignatures } from '../ops/signature';

/**
 * Records the Prometheus metrics of ops/metrics.ts (the `/metrics` endpoint itself is served
 * by use-ops-page.ts, ahead of authentication, so that Prometheus' static token works):
 *
 * - every executed operation: count by signature id and outcome, duration (request arrival →
 *   end of execution), fields removed by authorization;
 * - every subgraph fetch: count, duration, failures by kind;
 * - every GraphQL request answered without execution, by the code of its first error (parse,
 *   validation, limits, CSRF, refused plan header) or, for requests ended before parsing
 *   (authentication, body limit), by the code their HTTP status stands for;
 * - the supergraph being served (id, load time).
 */
export interface MetricsOptions {
  engine: ExecutionEngine;
  metrics: GatewayMetrics;
  /** Signatures of operations as the client sent them (before authorization rewrites them). */
  signatures: RequestSignatures;
  removedFields?: (context: GatewayContext) => number;
  graphqlPath?: string;
}

/** What an HTTP status of a request refused before parsing stands for. */
const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  413: 'PAYLOAD_TOO_LARGE',
  503: 'INTERNAL_SERVER_ERROR',
};

export function outcomeOf(result: ExecutionResult): RequestOutcome {
  if (!result.errors?.length) return 'ok';
  return result.data ? 'partial' : 'error';
}

export function useMetrics(options: MetricsOptions): Plugin<GatewayContext> {
  const { engine, metrics } = options;
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const started = new WeakMap<Request, number>();
  /** Requests that reached execution or result processing (not to be counted again in onResponse). */
  const accounted = new WeakSet<Request>();

  engine.observeFetches((_context, fetch) => ({ done: (outcome) => metrics.recordFetch(fetch.subgraph, outcome) }));
  engine.onSchemaChange((_schema, info) => metrics.setSupergraph(info));
  const current = engine.supergraph();
  if (current) metrics.setSupergraph(current);

  return {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onParse({ context }) {
      return ({ result }) => {
        const request = (context as { request?: Request }).request;
        if (request && !(result instanceof Error) && result) options.signatures.rememberParsed(request, result as DocumentNode);
      };
    },
    onExecute({ args }) {
      const context = args.contextValue as GatewayContext;
      const signature = options.signatures.of(context.request, args.document, args.operationName ?? null);
      if (context.request) accounted.add(context.request);
      if (!signature) return;
      return {
        onExecuteDone({ result }) {
          if (!('errors' in result) && !('data' in result)) return;
          const begin = (context.request && started.get(context.request)) ?? performance.now();
          metrics.recordRequest(
            signature.id,
            signature.operationName,
            signature.operationType,
            outcomeOf(result as ExecutionResult),
            performance.now() - begin,
          );
          metrics.recordAuthorizationFiltered(options.removedFields?.(context) ?? 0);
        },
      };
    },
    onResultProcess({ request, result }) {
      if (accounted.has(request)) return;
      accounted.add(request);
      const first = Array.isArray(result) ? undefined : (result as ExecutionResult | undefined)?.errors?.[0];
      const code = first?.extensions?.code;
      if (first) metrics.recordRejected(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
    },
    onResponse({ request, response }) {
      if (accounted.has(request) || response.status < 400) return;
      if (new URL(request.url).pathname !== graphqlPath) return;
      metrics.recordRejected(STATUS_CODES[response.status] ?? 'other');
    },
  };
}
