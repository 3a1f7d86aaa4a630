import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type CommonSubgraphConfig, type SubgraphServer } from '../lib/create-subgraph-server';
import type { UpstreamCachePolicy } from '../lib/http-cache';
import { createLoaders } from './loaders';
import { resolvers, type RatsinfoContext } from './resolvers';
import { createOparlClient } from './rest-client';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface RatsinfoConfig extends CommonSubgraphConfig {
  /** Base URL of the OParl system, e.g. http://127.0.0.1:4104 */
  oparlUrl: string;
  /** Path of the OParl System object below `oparlUrl`. Default `/oparl/v1.1/system` (the stand-in's). */
  systemPath?: string;
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
    createContext: ({ traceHeaders, signal }) => {
      const upstreamRequest = { headers: traceHeaders, signal };
      return { client, upstreamRequest, loaders: createLoaders(client, upstreamRequest) };
    },
  });
  return Object.assign(server, { close: () => client.close() });
}
