import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import type { Logger } from '../../common/logger';
import { createSubgraphServer, type SubgraphServer } from '../lib/create-subgraph-server';
import type { HttpCache, UpstreamCachePolicy } from '../lib/http-cache';
import type { ResilienceRegistry } from '../lib/resilience';
import { createLoaders } from './loaders';
import { resolvers, type RatsinfoContext } from './resolvers';
import { createOparlClient } from './rest-client';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface RatsinfoConfig {
  /** Base URL of the OParl system, e.g. http://127.0.0.1:4104 */
  oparlUrl: string;
  /** Path of the OParl System object below `oparlUrl`. Default `/oparl/v1.1/system` (the stand-in's). */
  systemPath?: string;
  timeoutMs?: number;
  /** Secret that verifies the gateway-signed identity header; unset: no check (unit tests only). */
  identitySecret?: Uint8Array;
  logger?: Logger;
  /** The process's upstream HTTP cache (scripts/stack.ts); absent: no caching. */
  cache?: HttpCache;
  /** The process's upstream resilience registry (breaker + retries; scripts/stack.ts, lib/run.ts); absent: retries only, no breaker. */
  resilience?: ResilienceRegistry;
}

/** Meetings and papers change during the day: at most one hour. */
export const OPARL_CACHE_POLICY: UpstreamCachePolicy = { defaultTtlSeconds: 300, maxTtlSeconds: 3_600 };

/** Builds the ratsinfo subgraph (never listens; see index.ts). */
export function createRatsinfoSubgraph(config: RatsinfoConfig): SubgraphServer & { close(): Promise<void> } {
  const client = createOparlClient({
    subgraph: 'ratsinfo',
    baseUrl: config.oparlUrl,
    systemPath: config.systemPath,
    timeoutMs: config.timeoutMs,
    cache: config.cache,
    resilience: config.resilience,
    cachePolicy: OPARL_CACHE_POLICY,
  });
  const server = createSubgraphServer<RatsinfoContext>({
    name: 'ratsinfo',
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
