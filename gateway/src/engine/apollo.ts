import type { ApolloGateway, SupergraphManager } from '@apollo/gateway';
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
 * `@apollo/gateway`, loaded when first needed: with the amtsgraph executor only operations the
 * plan executor does not run (subscriptions, @defer, rewrites) need it, and loading it costs
 * ≈ 0.45 s of start-up (it pulls in make-fetch-happen, cacache, OpenTelemetry metrics and
 * usage reporting).
 */
function apolloGatewayModule(): typeof import('@apollo/gateway') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@apollo/gateway') as typeof import('@apollo/gateway');
}

/**
 * Execution engine on Apollo's query planner (`@apollo/query-planner`, Elastic License 2.0).
 *
 * - executor `amtsgraph` (default): the engine reads the supergraph itself, plans with
 *   `@apollo/query-planner` and runs plans with its own executor (plan-executor/). An
 *   operation that executor does not support is handed to an `@apollo/gateway` built on first
 *   need for the current supergraph, with the same data sources.
 * - executor `apollo`: `@apollo/gateway` plans and executes everything (the fallback).
 *
 * Subgraph fetches go through SubgraphDataSource either way.
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
  /** The current data source of each subgraph (rebuilt when a reload changes its URL). */
  const dataSourceByName = new Map<string, { url: string; dataSource: SubgraphDataSource }>();
  let planExecutor: PlanExecutor | null = null;
  let info: SupergraphInfo | null = null;
  /** executor `apollo`: the gateway that plans and executes everything, once loaded. */
  let apollo: { gateway: ApolloGateway; executor: GatewayExecutor } | null = null;
  let started = false;
  /** executor `amtsgraph`: the gateway for unsupported operations, built on first need. */
  let fallback: Promise<{ gateway: ApolloGateway; executor: GatewayExecutor }> | null = null;
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

  const dataSourceFor = (name: string, sdlUrl: string | undefined): SubgraphDataSource => {
    const url = options.subgraphUrls[name] ?? sdlUrl ?? '';
    const existing = dataSourceByName.get(name);
    if (existing && existing.url === url) return existing.dataSource;
    const dataSource = new SubgraphDataSource({
      name,
      url,
      timeoutMs: options.subgraphTimeoutMs,
      logger,
      observers: fetchObservers,
      interception,
      dedupeInFlight: options.dedupeInFlight,
    });
    dataSources.push(dataSource);
    dataSourceByName.set(name, { url, dataSource });
    return dataSource;
  };

  const apolloLogger = {
    debug: (m: unknown) => logger.debug(String(m)),
    info: (m: unknown) => logger.debug(String(m)),
    warn: (m: unknown) => logger.warn(String(m)),
    error: (m: unknown) => logger.error(String(m)),
  };
  const newApolloGateway = (supergraphSdl: string | SupergraphManager): ApolloGateway => {
    const { ApolloGateway: Gateway } = apolloGatewayModule();
    return new Gateway({
      logger: apolloLogger,
      supergraphSdl,
      // Fires after planning (or the plan-cache hit), before the first fetch of the plan.
      experimental_didResolveQueryPlan({ queryPlan, requestContext }) {
        if (!planListeners.size) return;
        notifyPlan(requestContext.context as unknown as EngineContext, toOperationPlan(queryPlan));
      },
      buildService: ({ name, url }) => dataSourceFor(name, url),
    });
  };

  /** The subgraphs of `sdl` with the URLs this engine uses for them. */
  const supergraphInfo = (sdl: string): SupergraphInfo => ({
    id: supergraphId(sdl),
    loadedAt: new Date(),
    subgraphs: [...sdlSubgraphs(sdl)].map(({ name, url }) => ({ name, url: options.subgraphUrls[name] ?? url })),
  });

  /**
   * executor `amtsgraph`: makes `sdl` the served supergraph. Throws (and changes nothing)
   * when it is not a valid supergraph.
   */
  function applySupergraph(sdl: string): GraphQLSchema {
    const { supergraph, planner } = planning(withoutGatewayEnforcedPurposes(sdl));
    const apiSchema = supergraph.apiSchema().toGraphQLJSSchema();
    const next = supergraphInfo(sdl);
    for (const { name, url } of sdlSubgraphs(sdl)) dataSourceFor(name, url);
    planExecutor = createPlanExecutor({
      supergraph,
      planner,
      apiSchema,
      supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
      dataSource: (name) => dataSourceByName.get(name)?.dataSource,
      onPlan: notifyPlan,
    });
    currentSdl = sdl;
    loadedSdl = sdl;
    info = next;
    // A fallback gateway serves the supergraph it was built for: drop it, the next need builds one.
    const previous = fallback;
    fallback = null;
    previous?.then(({ gateway }) => gateway.stop()).catch(() => {});
    for (const listener of listeners) listener(apiSchema, next);
    return apiSchema;
  }

  function fallbackExecutor(): Promise<{ gateway: ApolloGateway; executor: GatewayExecutor }> {
    if (!fallback) {
      const sdl = loadedSdl!;
      const attempt = (async () => {
        const gateway = newApolloGateway(withoutGatewayEnforcedPurposes(sdl));
        const loaded = await gateway.load();
        logger.debug('Apollo gateway loaded for operations the plan executor does not run');
        return { gateway, executor: loaded.executor };
      })();
      fallback = attempt;
      attempt.catch(() => {
        if (fallback === attempt) fallback = null;
      });
    }
    return fallback;
  }

  async function startApollo(): Promise<GraphQLSchema> {
    const gateway = newApolloGateway({
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
    });
    gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
      info = supergraphInfo(currentSdl);
      loadedSdl = currentSdl;
      for (const listener of listeners) listener(apiSchema, info);
    });
    const loaded = await gateway.load();
    apollo = { gateway, executor: loaded.executor };
    return loaded.schema;
  }

  return {
    kind: executorKind === 'amtsgraph' ? 'amtsgraph-plan-executor' : 'apollo-gateway',
    async start() {
      if (executorKind === 'apollo') {
        const schema = await startApollo();
        started = true;
        return schema;
      }
      const schema = applySupergraph(file.read());
      file.watch((next) => {
        applySupergraph(next);
      });
      started = true;
      return schema;
    },
    onSchemaChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async execute(request: EngineRequest) {
      if (!started) throw new Error('engine not started');
      if (planExecutor) {
        const result = planExecutor.execute(request);
        if (result) return result;
      }
      const run = (apollo ?? (await fallbackExecutor())).executor;
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
      const result = await run(requestContext);
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
      file.stop();
      const built = fallback ? await fallback.then(({ gateway }) => gateway, () => null) : null;
      await Promise.all([apollo?.gateway.stop(), built?.stop()]);
      await Promise.all(dataSources.map((d) => d.close()));
    },
  };
}

/** Subgraph names and URLs from the `join__Graph` enum of a supergraph SDL. */
function* sdlSubgraphs(sdl: string): Generator<{ name: string; url: string }> {
  const pattern = /@join__graph\(name:\s*"([^"]+)",\s*url:\s*"([^"]*)"\)/g;
  for (const match of sdl.matchAll(pattern)) yield { name: match[1]!, url: match[2]! };
}
