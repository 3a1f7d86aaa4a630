import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import type { Logger } from '../../common/logger';
import { createSubgraphServer, type SubgraphServer } from '../lib/create-subgraph-server';
import type { HttpCache, UpstreamCachePolicy } from '../lib/http-cache';
import type { ResilienceRegistry } from '../lib/resilience';
import { createLoaders } from './loaders';
import { resolvers, type LeistungenContext } from './resolvers';
import { createLeikaClient } from './rest-client';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface LeistungenConfig {
  /** Base URL of the leika service (catalogue, routing, tax offices), e.g. http://127.0.0.1:4102 */
  leikaUrl: string;
  timeoutMs?: number;
  /** Secret that verifies the gateway-signed identity header; unset: no check (unit tests only). */
  identitySecret?: Uint8Array;
  logger?: Logger;
  /** The process's upstream HTTP cache (scripts/stack.ts); absent: no caching. */
  cache?: HttpCache;
  /** The process's upstream resilience registry (breaker + retries; scripts/stack.ts, lib/run.ts); absent: retries only, no breaker. */
  resilience?: ResilienceRegistry;
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
    createContext: ({ traceHeaders }) => {
      const upstreamRequest = { headers: traceHeaders };
      return { client, upstreamRequest, loaders: createLoaders(client, upstreamRequest) };
    },
  });
  return Object.assign(server, { close: () => client.close() });
}
