import { ApolloGateway } from '@apollo/gateway';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { getOperationAST, type GraphQLSchema } from 'graphql';
import type { Logger } from '../../../common/logger';
import { createOfflinePlanner, createPlanning, toOperationPlan } from './apollo-plan';
import { createPlanExecutor, type PlanExecutor } from './plan-executor/executor';
import { SubgraphDataSource } from './subgraph-data-source';
import { withoutGatewayEnforcedPurposes } from './security-features';
import { createSupergraphFile, supergraphId } from './supergraph-file';
import type { EngineContext, EngineRequest, ExecutionEngine, FetchInterceptor, FetchObserver, OperationPlan, SupergraphInfo } from './types';

export interface ApolloEngineOptions {
  supergraphPath: string;
  watchSupergraph: boolean;
  watchIntervalMs: number;
  subgraphUrls: Readonly<Record<string, string>>;
  subgraphTimeoutMs: number;
  /** Who executes plans (config.ts `executor`); default `amtsgraph`. */
  executor?: 'amtsgraph' | 'apollo';
  /** Share one request among identical in-flight subgraph queries (default true). */
  dedupeInFlight?: boolean;
  logger: Logger;
}

/**
 * Execution engine on `@apollo/gateway` (Elastic License 2.0): query planning and plan
 * execution are Apollo's; subgraph fetches go through SubgraphDataSource.
 */
export function createApolloEngine(options: ApolloEngineOptions): ExecutionEngine {
  const { logger } = options;
  const listeners = new Set<(schema: GraphQLSchema, info: SupergraphInfo) => void>();
  const dataSources: SubgraphDataSource[] = [];
  // Plan listeners and fetch observers (plan monitor, metrics, tracing): one list per engine.
  const planListeners = new Set<(context: EngineContext, plan: OperationPlan) => void>();
  const fetchObservers: FetchObserver[] = [];
  // The entity cache (gateway/src/cache/), when enabled: read by each data source per fetch.
  const interception: { interceptor: FetchInterceptor | null } = { interceptor: null };
  const planning = createPlanning();
  const planOffline = createOfflinePlanner(planning);
  const executorKind = options.executor ?? 'amtsgraph';
  /** The current data source of each subgraph (buildService runs again on every reload). */
  const dataSourceByName = new Map<string, SubgraphDataSource>();
  let planExecutor: PlanExecutor | null = null;
  let info: SupergraphInfo | null = null;
  let executor: GatewayExecutor | null = null;
  let reloadError: { at: Date; message: string } | null = null;
  const file = createSupergraphFile({
    path: options.supergraphPath,
    watch: options.watchSupergraph,
    intervalMs: options.watchIntervalMs,
    logger,
    onReloadFailed: (error) => {
      reloadError = { at: new Date(), message: error.message };
    },
  });
  let currentSdl = '';
  function notifyPlan(context: EngineContext, plan: OperationPlan) {
    for (const listener of planListeners) {
      try {
        listener(context, plan);
      } catch (error) {
        logger.error({ err: error }, 'query plan listener failed');
      }
    }
  }
  /** The SDL of the supergraph whose API schema was last handed out (currentSdl may be a rejected candidate). */
  let loadedSdl: string | null = null;

  const gateway = new ApolloGateway({
    logger: {
      debug: (m: unknown) => logger.debug(String(m)),
      info: (m: unknown) => logger.debug(String(m)),
      warn: (m: unknown) => logger.warn(String(m)),
      error: (m: unknown) => logger.error(String(m)),
    },
    supergraphSdl: {
      async initialize({ update }) {
        const sdl = file.read();
        currentSdl = sdl;
        file.watch((next) => {
          const previous = currentSdl;
          currentSdl = next;
          try {
            update(withoutGatewayEnforcedPurposes(next));
          } catch (error) {
            currentSdl = previous;
            throw error;
          }
        });
        return { supergraphSdl: withoutGatewayEnforcedPurposes(sdl), cleanup: async () => file.stop() };
      },
    },
    // Fires after planning (or the plan-cache hit), before the first fetch of the plan.
    experimental_didResolveQueryPlan({ queryPlan, requestContext }) {
      if (!planListeners.size) return;
      notifyPlan(requestContext.context as unknown as EngineContext, toOperationPlan(queryPlan));
    },
    buildService({ name, url }) {
      const dataSource = new SubgraphDataSource({
        name,
        url: options.subgraphUrls[name] ?? url ?? '',
        timeoutMs: options.subgraphTimeoutMs,
        logger,
        observers: fetchObservers,
        interception,
        dedupeInFlight: options.dedupeInFlight,
      });
      dataSources.push(dataSource);
      dataSourceByName.set(name, dataSource);
      return dataSource;
    },
  });

  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    const subgraphs = [...sdlSubgraphs(currentSdl)].map(({ name, url }) => ({
      name,
      url: options.subgraphUrls[name] ?? url,
    }));
    info = { id: supergraphId(currentSdl), loadedAt: new Date(), subgraphs };
    loadedSdl = currentSdl;
    if (executorKind === 'amtsgraph') {
      const { supergraph, planner } = planning(withoutGatewayEnforcedPurposes(currentSdl));
      planExecutor = createPlanExecutor({
        supergraph,
        planner,
        apiSchema,
        supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
        dataSource: (name) => dataSourceByName.get(name),
        onPlan: notifyPlan,
      });
    }
    for (const listener of listeners) listener(apiSchema, info);
  });

  return {
    kind: executorKind === 'amtsgraph' ? 'amtsgraph-plan-executor' : 'apollo-gateway',
    async start() {
      const loaded = await gateway.load();
      executor = loaded.executor;
      return loaded.schema;
    },
    onSchemaChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async execute(request: EngineRequest) {
      if (!executor) throw new Error('engine not started');
      if (planExecutor) {
        const result = planExecutor.execute(request);
        if (result) return result;
      }
      const operation = getOperationAST(request.document, request.operationName ?? undefined);
      const requestContext = {
        document: request.document,
        request: {
          query: request.source,
          operationName: request.operationName ?? undefined,
          variables: request.variables ?? undefined,
        },
        operationName: request.operationName,
        operation,
        context: request.context,
        cache: undefined,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        metrics: {},
        queryHash: request.source,
        source: request.source,
        schema: undefined,
        overallCachePolicy: { maxAge: undefined, scope: undefined, restrict() {}, replace() {}, policyIfCacheable: () => null },
      } as unknown as GatewayGraphQLRequestContext;
      const result = await executor(requestContext);
      return result as Awaited<ReturnType<ExecutionEngine['execute']>>;
    },
    plan(document, operationName) {
      if (!loadedSdl) throw new Error('engine not started');
      return planOffline(withoutGatewayEnforcedPurposes(loadedSdl), document, operationName);
    },
    onQueryPlan(listener) {
      planListeners.add(listener);
      return () => planListeners.delete(listener);
    },
    observeFetches(observer) {
      fetchObservers.push(observer);
      return () => {
        const index = fetchObservers.indexOf(observer);
        if (index >= 0) fetchObservers.splice(index, 1);
      };
    },
    interceptFetches(interceptor) {
      interception.interceptor = interceptor;
    },
    supergraph: () => info,
    supergraphSdl: () => loadedSdl,
    lastReloadError: () => reloadError,
    async stop() {
      await gateway.stop();
      await Promise.all(dataSources.map((d) => d.close()));
    },
  };
}

/** Subgraph names and URLs from the `join__Graph` enum of a supergraph SDL. */
function* sdlSubgraphs(sdl: string): Generator<{ name: string; url: string }> {
  const pattern = /@join__graph\(name:\s*"([^"]+)",\s*url:\s*"([^"]*)"\)/g;
  for (const match of sdl.matchAll(pattern)) yield { name: match[1]!, url: match[2]! };
}
