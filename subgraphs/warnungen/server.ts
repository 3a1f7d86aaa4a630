import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type CommonSubgraphConfig, type SubgraphServer } from '../lib/create-subgraph-server';
import type { UpstreamCachePolicy } from '../lib/http-cache';
import { createLoaders } from './loaders';
import { resolvers, type WarnungenContext } from './resolvers';
import { createNinaClient } from './rest-client';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface WarnungenConfig extends CommonSubgraphConfig {
  /** Base URL of the NINA API without `/api31`, e.g. http://127.0.0.1:4105 (real: https://warnung.bund.de). */
  ninaUrl: string;
}

/** Warnings are time-critical: never older than one minute, whatever the upstream says. */
export const NINA_CACHE_POLICY: UpstreamCachePolicy = { defaultTtlSeconds: 30, maxTtlSeconds: 60 };

/** Builds the warnungen subgraph (never listens; see index.ts). */
export function createWarnungenSubgraph(config: WarnungenConfig): SubgraphServer & { close(): Promise<void> } {
  const client = createNinaClient({
    subgraph: 'warnungen',
    baseUrl: config.ninaUrl,
    timeoutMs: config.timeoutMs,
    cache: config.cache,
    resilience: config.resilience,
    cachePolicy: NINA_CACHE_POLICY,
  });
  const server = createSubgraphServer<WarnungenContext>({
    name: 'warnungen',
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
