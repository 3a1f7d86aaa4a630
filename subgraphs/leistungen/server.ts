import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type CommonSubgraphConfig, type SubgraphServer } from '../lib/create-subgraph-server';
import type { UpstreamCachePolicy } from '../lib/http-cache';
import { createLoaders } from './loaders';
import { resolvers, type LeistungenContext } from './resolvers';
import { createLeikaClient } from './rest-client';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface LeistungenConfig extends CommonSubgraphConfig {
  /** Base URL of the leika service (catalogue, routing, tax offices), e.g. http://127.0.0.1:4102 */
  leikaUrl: string;
}

/** Catalogue, routing and tax offices are reference data; the upstream sends max-age itself. */
export const LEIKA_CACHE_POLICY: UpstreamCachePolicy = { defaultTtlSeconds: 3_600, maxTtlSeconds: 86_400 };

/** Builds the leistungen subgraph (never listens; see index.ts). */
export function createLeistungenSubgraph(config: LeistungenConfig): SubgraphServer & { close(): Promise<void> } {
  const client = createLeikaClient({
    subgraph: 'leistungen',
    baseUrl: config.leikaUrl,
    timeoutMs: config.timeoutMs,
    cache: config.cache,
    resilience: config.resilience,
    cachePolicy: LEIKA_CACHE_POLICY,
  });
  const server = createSubgraphServer<LeistungenContext>({
    name: 'leistungen',
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
