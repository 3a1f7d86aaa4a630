import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type CommonSubgraphConfig, type SubgraphServer } from '../lib/create-subgraph-server';
import type { UpstreamCachePolicy } from '../lib/http-cache';
import { createLoaders } from './loaders';
import { resolvers, type KommunenContext } from './resolvers';
import { createRegisterClient } from './rest-client';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface KommunenConfig extends CommonSubgraphConfig {
  /** Base URL of the municipality register, e.g. http://127.0.0.1:4101 */
  registerUrl: string;
}

/** Register facts change once a year (Gebietsstand); the register sends max-age itself. */
export const REGISTER_CACHE_POLICY: UpstreamCachePolicy = { defaultTtlSeconds: 3_600, maxTtlSeconds: 86_400 };

/** Builds the kommunen subgraph (never listens; see index.ts). */
export function createKommunenSubgraph(config: KommunenConfig): SubgraphServer & { close(): Promise<void> } {
  const client = createRegisterClient({
    subgraph: 'kommunen',
    baseUrl: config.registerUrl,
    timeoutMs: config.timeoutMs,
    cache: config.cache,
    resilience: config.resilience,
    cachePolicy: REGISTER_CACHE_POLICY,
  });
  const server = createSubgraphServer<KommunenContext>({
    name: 'kommunen',
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
