import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type CommonSubgraphConfig, type SubgraphServer } from '../lib/create-subgraph-server';
import { createLoaders } from './loaders';
import { resolvers, SUBGRAPH, type GewerbeContext } from './resolvers';
import { createGewerbeClient } from './rest-client';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface GewerbeConfig extends CommonSubgraphConfig {
  /** Base URL of the trade register (Gewerberegister), e.g. http://127.0.0.1:4108 */
  gewerbeUrl: string;
}

/** Builds the gewerbe subgraph (never listens; see index.ts). */
export function createGewerbeSubgraph(config: GewerbeConfig): SubgraphServer & { close(): Promise<void> } {
  const client = createGewerbeClient({ subgraph: SUBGRAPH, baseUrl: config.gewerbeUrl, timeoutMs: config.timeoutMs, resilience: config.resilience });
  const server = createSubgraphServer<GewerbeContext>({
    name: SUBGRAPH,
    typeDefs,
    resolvers,
    logger: config.logger,
    identitySecret: config.identitySecret,
    createContext: ({ traceHeaders, identity, signal }) => {
      const upstreamRequest = { headers: traceHeaders, signal };
      return { identity, upstreamRequest, loaders: createLoaders(client, upstreamRequest) };
    },
  });
  return Object.assign(server, { close: () => client.close() });
}
