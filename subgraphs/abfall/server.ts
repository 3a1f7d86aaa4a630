import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type CommonSubgraphConfig, type SubgraphServer } from '../lib/create-subgraph-server';
import type { UpstreamCachePolicy } from '../lib/http-cache';
import { createLoaders } from './loaders';
import { resolvers, SUBGRAPH, type AbfallContext } from './resolvers';
import { createAbfallnaviClient } from './rest-client';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface AbfallConfig extends CommonSubgraphConfig {
  /**
   * Root of the abfallnavi services, e.g. http://127.0.0.1:4103 (services under
   * `/abfall-app-{service}/rest`), or a template with `{service}` for the real hosts, e.g.
   * `https://{service}-abfallapp.regioit.de/abfall-app-{service}/rest`.
   */
  abfallnaviUrl: string;
}

/** Collection calendars change rarely but do get corrected: at most six hours. */
export const ABFALLNAVI_CACHE_POLICY: UpstreamCachePolicy = { defaultTtlSeconds: 3_600, maxTtlSeconds: 21_600 };

/** Builds the abfall subgraph (never listens; see index.ts). */
export function createAbfallSubgraph(config: AbfallConfig): SubgraphServer & { close(): Promise<void> } {
  const client = createAbfallnaviClient({
    subgraph: SUBGRAPH,
    baseUrl: config.abfallnaviUrl,
    timeoutMs: config.timeoutMs,
    cache: config.cache,
    resilience: config.resilience,
    cachePolicy: ABFALLNAVI_CACHE_POLICY,
  });
  const server = createSubgraphServer<AbfallContext>({
    name: SUBGRAPH,
    typeDefs,
    resolvers,
    logger: config.logger,
    identitySecret: config.identitySecret,
    createContext: ({ traceHeaders, signal }) => {
      const upstreamRequest = { headers: traceHeaders, signal };
      return { client, upstreamRequest, loaders: createLoaders(client, upstreamRequest) };
    },
  });
  return Object.assign(server, { close: () => client.close() });
}
