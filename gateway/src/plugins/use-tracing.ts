import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../../common/logger';
import type { GatewayContext } from '../context';
import type { ExecutionEngine } from '../engine/types';
import type { OperationSignature, RequestSignatures } from '../ops/signature';
import type { GatewayTracing } from '../ops/tracing';
import { outcomeOf } from './use-metrics';

/**
 * Request telemetry: OpenTelemetry spans and one JSON log line per GraphQL request.
 *
 * Spans (when `tracing` is given): `graphql.request` (SERVER; child of the caller's
 * `traceparent` when valid) → `graphql.parse`, `graphql.validate`, `graphql.plan` (until the
 * engine resolved the plan), `graphql.execute` → `subgraph.fetch` (CLIENT, one per fetch).
 * Each fetch carries the W3C `traceparent` of its own span; the subgraph forwards it to its
 * REST calls, so the upstream sees the same trace id. Attributes hold operation name and
 * type, signature id, subgraph, HTTP status: never query text, variables or subjects.
 *
 * Logs: every request context gets `logger`, a child logger bound to the correlation id
 * (and trace id), for everything logged while serving it; at the end one line
 * `request completed` with correlation id, status, duration, outcome, signature id and the
 * error codes. No query text, variables, tokens or subjects are logged.
 */
export interface TracingOptions {
  engine: ExecutionEngine;
  logger: Logger;
  /** Null: no spans, only the request logger and log lines. */
  tracing: GatewayTracing | null;
  /** Signatures of operations as the client sent them (before authorization rewrites them). */
  signatures: RequestSignatures;
  graphqlPath?: string;
}

interface RequestTrace {
  root: Span | null;
  started: number;
  plan: Span | null;
  execute: Span | null;
  signature: OperationSignature | null;
  outcome: string | null;
  errorCodes: string[];
}

const MAX_LOGGED_CODES = 10;

export function useTracing(options: TracingOptions): Plugin<GatewayContext> {
  const { engine, tracing, logger } = options;
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const requests = new WeakMap<Request, RequestTrace>();
  const contexts = new WeakMap<object, RequestTrace>();

  const end = (span: Span | null, failed = false) => {
    if (!span) return;
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };

  if (tracing) {
    engine.onQueryPlan((context, plan) => {
      const state = contexts.get(context);
      if (!state?.root || !state.plan) return;
      state.plan.setAttribute('amtsgraph.plan.fetches', plan.fetchCount);
      end(state.plan);
      state.plan = null;
      state.execute = tracing.startChildSpan('graphql.execute', state.root);
    });
    engine.observeFetches((context, fetch) => {
      const state = contexts.get(context);
      const parent = state?.execute ?? state?.root;
      if (!parent) return;
      const span = tracing.startChildSpan(
        'subgraph.fetch',
        parent,
        { 'amtsgraph.subgraph': fetch.subgraph, 'amtsgraph.fetch.entity': fetch.entity },
        SpanKind.CLIENT,
      );
      return {
        headers: tracing.headersFor(span),
        done(outcome) {
          if (outcome.status !== null) span.setAttribute('http.response.status_code', outcome.status);
          if (outcome.failure) span.setAttribute('amtsgraph.fetch.failure', outcome.failure);
          if (outcome.errorCodes.length) span.setAttribute('amtsgraph.fetch.error_codes', [...new Set(outcome.errorCodes)]);
          end(span, outcome.failure !== null || outcome.errorCodes.length > 0);
        },
      };
    });
  }

  return {
    // Flushes and stops the span processors when the gateway stops (yoga.dispose()).
    onDispose: () => tracing?.shutdown(),
    onRequest({ request, url }) {
      if (url.pathname !== graphqlPath) return;
      const root = tracing?.startRequestSpan('graphql.request', request.headers, { 'http.request.method': request.method, 'url.path': url.pathname }) ?? null;
      requests.set(request, { root, started: performance.now(), plan: null, execute: null, signature: null, outcome: null, errorCodes: [] });
    },
    onParse({ context }) {
      const request = (context as { request: Request }).request;
      const state = requests.get(request);
      const span = tracing && state?.root ? tracing.startChildSpan('graphql.parse', state.root) : null;
      return ({ result }) => {
        if (result && !(result instanceof Error)) options.signatures.rememberParsed(request, result as DocumentNode);
        end(span, result instanceof Error);
      };
    },
    onValidate({ context }) {
      const state = requests.get((context as { request: Request }).request);
      if (!tracing || !state?.root) return;
      const span = tracing.startChildSpan('graphql.validate', state.root);
      return ({ valid }) => end(span, !valid);
    },
    onContextBuilding({ context, extendContext }) {
      const state = requests.get(context.request);
      const traceId = state?.root?.spanContext().traceId;
      extendContext({
        logger: logger.child({ correlationId: context.correlationId, ...(traceId ? { traceId } : {}) }),
      } as Partial<GatewayContext>);
    },
    onExecute({ args }) {
      const context = args.contextValue as GatewayContext;
      const state = context.request ? requests.get(context.request) : undefined;
      if (!state) return;
      contexts.set(context, state);
      state.signature = options.signatures.of(context.request, args.document, args.operationName ?? null);
      if (tracing && state.root) {
        const signature = state.signature;
        if (signature) {
          state.root.setAttributes({
            'graphql.operation.type': signature.operationType ?? 'unknown',
            'amtsgraph.operation.signature': signature.id,
            ...(signature.operationName ? { 'graphql.operation.name': signature.operationName } : {}),
          });
        }
        state.plan = tracing.startChildSpan('graphql.plan', state.root);
      }
      return {
        onExecuteDone({ result }) {
          if (!('errors' in result) && !('data' in result)) return;
          const single = result as ExecutionResult;
          state.outcome = outcomeOf(single);
          state.errorCodes = [...new Set((single.errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
          end(state.plan, Boolean(single.errors?.length) && !single.data);
          state.plan = null;
          end(state.execute, Boolean(single.errors?.length));
          state.execute = null;
        },
      };
    },
    onResultProcess({ request, result }) {
      const state = requests.get(request);
      if (!state || state.outcome || Array.isArray(result)) return;
      const errors = (result as ExecutionResult | undefined)?.errors;
      if (errors?.length) {
        state.outcome = 'rejected';
        state.errorCodes = [...new Set(errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
      }
    },
    onResponse({ request, response }) {
      const state = requests.get(request);
      if (!state) return;
      requests.delete(request);
      const failed = response.status >= 500 || state.outcome === 'error' || state.outcome === 'rejected';
      if (state.root) {
        state.root.setAttribute('http.response.status_code', response.status);
        end(state.plan, true);
        end(state.execute, true);
        end(state.root, failed);
      }
      const correlationId = response.headers.get('x-request-id') ?? undefined;
      const traceId = state.root?.spanContext().traceId;
      logger.info(
        {
          correlationId,
          ...(traceId ? { traceId } : {}),
          status: response.status,
          durationMs: Math.round((performance.now() - state.started) * 100) / 100,
          outcome: state.outcome ?? (response.status >= 400 ? 'rejected' : 'ok'),
          ...(state.signature ? { signature: state.signature.id, operationType: state.signature.operationType } : {}),
          ...(state.errorCodes.length ? { errorCodes: state.errorCodes.slice(0, MAX_LOGGED_CODES) } : {}),
        },
        'request completed',
      );
    },
  };
}
