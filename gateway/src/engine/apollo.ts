import { ApolloGateway } from '@apollo/gateway';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { getOperationAST, type GraphQLSchema } from 'graphql';
import type { Logger } from '../../../common/logger';
import { SubgraphDataSource } from './subgraph-data-source';
import { createSupergraphFile, supergraphId } from './supergraph-file';
import type { EngineRequest, ExecutionEngine, SupergraphInfo } from './types';

export interface ApolloEngineOptions {
  supergraphPath: string;
  watchSupergraph: boolean;
  watchIntervalMs: number;
  subgraphUrls: Readonly<Record<string, string>>;
  subgraphTimeoutMs: number;
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
            update(next);
          } catch (error) {
            currentSdl = previous;
            throw error;
          }
        });
        return { supergraphSdl: sdl, cleanup: async () => file.stop() };
      },
    },
    buildService({ name, url }) {
      const dataSource = new SubgraphDataSource({
        name,
        url: options.subgraphUrls[name] ?? url ?? '',
        timeoutMs: options.subgraphTimeoutMs,
        logger,
      });
      dataSources.push(dataSource);
      return dataSource;
    },
  });

  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    const subgraphs = [...sdlSubgraphs(currentSdl)].map(({ name, url }) => ({
      name,
      url: options.subgraphUrls[name] ?? url,
    }));
    info = { id: supergraphId(currentSdl), loadedAt: new Date(), subgraphs };
    for (const listener of listeners) listener(apiSchema, info);
  });

  return {
    kind: 'apollo-gateway',
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
    supergraph: () => info,
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
