import type { Logger } from '../common/logger';
import type { StandInName, SubgraphName } from '../common/services';
import { createAbfallSubgraph } from './abfall/server';
import { createGewerbeSubgraph } from './gewerbe/server';
import { createKommunenSubgraph } from './kommunen/server';
import { createLeistungenSubgraph } from './leistungen/server';
import type { SubgraphServer } from './lib/create-subgraph-server';
import type { HttpCache } from './lib/http-cache';
import { createMelderegisterSubgraph } from './melderegister/server';
import { createRatsinfoSubgraph } from './ratsinfo/server';
import { createWarnungenSubgraph } from './warnungen/server';

export type ClosableSubgraph = SubgraphServer & { close(): Promise<void> };

export interface SubgraphBuildOptions {
  /** Base URL of each upstream (stand-in or real system). */
  upstreams: Record<StandInName, string>;
  timeoutMs?: number;
  logger?: Logger;
  /** Secret of the gateway-signed identity header; every subgraph refuses requests without it. */
  identitySecret?: Uint8Array;
  /**
   * The process's upstream HTTP cache (subgraphs/lib/http-cache.ts); absent: no caching.
   * Each subgraph decides per upstream whether and how it is used (its `cachePolicy`).
   */
  cache?: HttpCache;
}

/** Every subgraph by name, built against the given upstream URLs. */
export const SUBGRAPH_FACTORIES: Record<SubgraphName, (options: SubgraphBuildOptions) => ClosableSubgraph> = {
  kommunen: ({ upstreams, timeoutMs, logger, identitySecret, cache }) =>
    createKommunenSubgraph({ registerUrl: upstreams.register, timeoutMs, logger, identitySecret, cache }),
  leistungen: ({ upstreams, timeoutMs, logger, identitySecret, cache }) =>
    createLeistungenSubgraph({ leikaUrl: upstreams.leika, timeoutMs, logger, identitySecret, cache }),
  abfall: ({ upstreams, timeoutMs, logger, identitySecret, cache }) =>
    createAbfallSubgraph({ abfallnaviUrl: upstreams.abfallnavi, timeoutMs, logger, identitySecret, cache }),
  ratsinfo: ({ upstreams, timeoutMs, logger, identitySecret, cache }) =>
    createRatsinfoSubgraph({ oparlUrl: upstreams.oparl, timeoutMs, logger, identitySecret, cache }),
  warnungen: ({ upstreams, timeoutMs, logger, identitySecret, cache }) =>
    createWarnungenSubgraph({ ninaUrl: upstreams.nina, timeoutMs, logger, identitySecret, cache }),
  // Personal data: these two never get the shared upstream cache.
  melderegister: ({ upstreams, timeoutMs, logger, identitySecret }) =>
    createMelderegisterSubgraph({
      melderegisterHbUrl: upstreams['melderegister-hb'],
      melderegisterNrwUrl: upstreams['melderegister-nrw'],
      timeoutMs,
      logger,
      identitySecret,
    }),
  gewerbe: ({ upstreams, timeoutMs, logger, identitySecret }) =>
    createGewerbeSubgraph({ gewerbeUrl: upstreams.gewerbe, timeoutMs, logger, identitySecret }),
};
