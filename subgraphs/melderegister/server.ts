import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type CommonSubgraphConfig, type SubgraphServer } from '../lib/create-subgraph-server';
import { createLoaders, type Registries } from './loaders';
import { resolvers, SUBGRAPH, type MelderegisterContext } from './resolvers';
import { createHbClient, createNrwClient } from './rest-client';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface MelderegisterConfig extends CommonSubgraphConfig {
  /** Base URL of the resident registry of the HB flavour (Bremen), e.g. http://127.0.0.1:4106 */
  melderegisterHbUrl: string;
  /** Base URL of the resident registry of the NRW flavour, e.g. http://127.0.0.1:4107 */
  melderegisterNrwUrl: string;
}

/**
 * Builds the melderegister subgraph (never listens; see index.ts). Both upstreams serve
 * personal data: no upstream cache, and nothing personal in logs or error messages.
 */
export function createMelderegisterSubgraph(config: MelderegisterConfig): SubgraphServer & { close(): Promise<void> } {
  const registries: Registries = {
    HB: createHbClient({ subgraph: SUBGRAPH, baseUrl: config.melderegisterHbUrl, timeoutMs: config.timeoutMs, resilience: config.resilience }),
    NW: createNrwClient({ subgraph: SUBGRAPH, baseUrl: config.melderegisterNrwUrl, timeoutMs: config.timeoutMs, resilience: config.resilience }),
  };
  const server = createSubgraphServer<MelderegisterContext>({
    name: SUBGRAPH,
    typeDefs,
    resolvers,
    logger: config.logger,
    identitySecret: config.identitySecret,
    createContext: ({ traceHeaders, identity, signal }) => {
      const upstreamRequest = { headers: traceHeaders, signal };
      return { identity, registries, upstreamRequest, loaders: createLoaders(registries, upstreamRequest) };
    },
  });
  return Object.assign(server, {
    close: async () => {
      await Promise.all([registries.HB.close(), registries.NW.close()]);
    },
  });
}
