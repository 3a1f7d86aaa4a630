import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { amtsError } from '../../../common/errors';
import type { GatewayContext } from '../context';
import type { EngineContext, ExecutionEngine, OperationPlan } from '../engine/types';
import type { GatewayMetrics } from '../ops/metrics';
import type { PlanStore, RecordedFetch } from '../ops/plan-store';
import { OPS_SCOPES, QUERY_PLAN_HEADER } from '../ops/scopes';
import type { OperationSignature, RequestSignatures } from '../ops/signature';
import type { SubgraphTrafficStats } from '../ops/subgraph-health';

/**
 * The query-plan monitor:
 *
 * - records every executed operation in the plan store (ops/plan-store.ts) under its
 *   normalised signature: duration (request arrival → end of execution), errors, the plan the
 *   engine resolved, each subgraph fetch matched to its plan node, and the number of fields
 *   authorization removed (`removedFields`, when authorization reports it);
 * - records every subgraph fetch in the subgraph traffic statistics (/ops health);
 * - serves the `x-amtsgraph-query-plan` header to callers with scope `ops:plans`:
 *   `include` adds the plan to `extensions.queryPlan` of the executed response, `only`
 *   answers with the plan and executes nothing. Anyone else gets an error and no plan:
 *   401 UNAUTHENTICATED without a token, 403 QUERY_PLAN_NOT_ALLOWED without the scope,
 *   400 BAD_REQUEST for another header value. Refused requests are not executed either.
 */
export interface PlanMonitorOptions {
  engine: ExecutionEngine;
  store: PlanStore;
  traffic: SubgraphTrafficStats;
  /** Signatures of operations as the client sent them (before authorization rewrites them). */
  signatures: RequestSignatures;
  metrics?: GatewayMetrics | null;
  /** Fields authorization removed from this request's operation (0 when it reports nothing). */
  removedFields?: (context: GatewayContext) => number;
  /** Entity cache lookups of this request (hit ratio per operation); null without an entity cache. */
  entityCache?: (context: GatewayContext) => { hits: number; misses: number } | null;
}

interface RequestState {
  signature: OperationSignature;
  plan: OperationPlan | null;
  /** Plan fetch ids not yet matched, by `subgraph \n operation`. */
  pending: Map<string, number[]>;
  fetches: RecordedFetch[];
}

const key = (subgraph: string, operation: string) => `${subgraph}\n${operation}`;

function pendingFetches(plan: OperationPlan): Map<string, number[]> {
  const pending = new Map<string, number[]>();
  const visit = (node: OperationPlan['root']) => {
    if (!node) return;
    switch (node.kind) {
      case 'Sequence':
      case 'Parallel':
        node.nodes.forEach(visit);
        return;
      case 'Flatten':
        visit(node.node);
        return;
      case 'Condition':
        visit(node.ifClause);
        visit(node.elseClause);
        return;
      case 'Defer':
        visit(node.primary);
        node.deferred.forEach((d) => visit(d.node));
        return;
      case 'Fetch': {
        const list = pending.get(key(node.subgraph, node.operation)) ?? [];
        list.push(node.id);
        pending.set(key(node.subgraph, node.operation), list);
      }
    }
  };
  visit(plan.root);
  return pending;
}

type PlanMode = 'include' | 'only';

function refusal(context: GatewayContext, header: string): { mode: PlanMode | null; error: ExecutionResult | null } {
  const mode = header.trim().toLowerCase();
  if (mode !== 'include' && mode !== 'only') {
    return {
      mode: null,
      error: {
        errors: [
          amtsError('BAD_REQUEST', `The ${QUERY_PLAN_HEADER} header must be "include" or "only".`, { http: { status: 400 } }),
        ],
      },
    };
  }
  const identity = context.identity;
  if (!identity || identity.anonymous) {
    return {
      mode,
      error: {
        errors: [
          amtsError('UNAUTHENTICATED', `Query plans need a bearer token with scope ${OPS_SCOPES.plans}.`, {
            http: { status: 401, headers: { 'www-authenticate': 'Bearer' } },
          }),
        ],
      },
    };
  }
  if (!identity.scopes.includes(OPS_SCOPES.plans)) {
    return {
      mode,
      error: {
        errors: [
          amtsError('QUERY_PLAN_NOT_ALLOWED', `Query plans need the scope ${OPS_SCOPES.plans}, which this token does not have.`, {
            http: { status: 403 },
          }),
        ],
      },
    };
  }
  return { mode, error: null };
}

export function usePlanMonitor(options: PlanMonitorOptions): Plugin<GatewayContext> {
  const { engine, store, traffic } = options;
  const started = new WeakMap<Request, number>();
  const states = new WeakMap<object, RequestState>();

  engine.onQueryPlan((context, plan) => {
    const state = states.get(context);
    if (!state) return;
    state.plan = plan;
    state.pending = pendingFetches(plan);
  });

  engine.observeFetches((context: EngineContext, fetch) => ({
    done(outcome) {
      traffic.record(fetch.subgraph, outcome);
      const state = states.get(context);
      if (!state) return;
      const ids = state.pending.get(key(fetch.subgraph, fetch.operation));
      state.fetches.push({
        subgraph: fetch.subgraph,
        fetchId: ids?.length ? ids.shift()! : null,
        durationMs: outcome.durationMs,
        failed: outcome.failure !== null || outcome.errorCodes.length > 0,
      });
    },
  }));

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
    onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as GatewayContext;
      // The plan header is checked here, after authentication and authorization: `include`
      // shows the plan of what is executed for this caller (authorization may have removed
      // fields), `only` plans the operation as it stands at this point.
      const header = context.request?.headers.get(QUERY_PLAN_HEADER) ?? null;
      let mode: PlanMode | null = null;
      if (header !== null) {
        const checked = refusal(context, header);
        if (checked.error) {
          if (checked.mode) options.metrics?.recordPlanRequest(checked.mode, 'refused');
          setResultAndStopExecution(checked.error);
          return;
        }
        mode = checked.mode;
        options.metrics?.recordPlanRequest(mode!, 'served');
        if (mode === 'only') {
          try {
            const plan = engine.plan(args.document, args.operationName ?? null);
            setResultAndStopExecution({ data: null, extensions: { queryPlan: { mode, text: plan.text, root: plan.root } } });
          } catch (error) {
            setResultAndStopExecution({
              errors: [amtsError('GRAPHQL_VALIDATION_FAILED', `The operation cannot be planned: ${(error as Error).message}`, { http: { status: 400 } })],
            });
          }
          return;
        }
      }
      const signature = options.signatures.of(context.request, args.document, args.operationName ?? null);
      if (!signature) return;
      const state: RequestState = { signature, plan: null, pending: new Map(), fetches: [] };
      states.set(context, state);
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) && !('data' in result)) return; // streamed results are not recorded
          const single = result as ExecutionResult;
          const begin = (context.request && started.get(context.request)) ?? performance.now();
          store.record({
            signature,
            durationMs: performance.now() - begin,
            failed: Boolean(single.errors?.length),
            plan: state.plan,
            supergraphId: engine.supergraph()?.id ?? null,
            fetches: state.fetches,
            removedFields: options.removedFields?.(context) ?? 0,
            entityCache: options.entityCache?.(context) ?? null,
          });
          if (mode === 'include' && state.plan) {
            setResult({ ...single, extensions: { ...single.extensions, queryPlan: { mode, text: state.plan.text, root: state.plan.root } } });
          }
        },
      };
    },
  };
}
