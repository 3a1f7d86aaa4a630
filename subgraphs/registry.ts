import type { Logger } from '../common/logger';
import type { StandInName, SubgraphName } from '../common/services';
import { createAbfallSubgraph } from './abfall/server';
import { createGewerbeSubgraph } from './gewerbe/server';
import { createKommunenSubgraph } from './kommunen/server';
import { createLeistungenSubgraph } from './leistungen/server';
import type { SubgraphServer } from './lib/create-subgraph-server';
import type { HttpCache } from './lib/http-cache';
import type { ResilienceRegistry } from './lib/resilience';
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
  /**
   * The process's upstream resilience registry (subgraphs/lib/resilience.ts): every REST
   * transport gets its circuit breaker (and retry policy) from it. Absent: retries with the
   * defaults, no breaker. Unlike the cache, personal-data upstreams get it too (it keeps
   * nothing of a request).
   */
  resilience?: ResilienceRegistry;
}

/** Every subgraph by name, built against the given upstream URLs. */
export const SUBGRAPH_FACTORIES: Record<SubgraphName, (options: SubgraphBuildOptions) => ClosableSubgraph> = {
  kommunen: ({ upstreams, timeoutMs, logger, identitySecret, cache, resilience }) =>
    createKommunenSubgraph({ registerUrl: upstreams.register, timeoutMs, logger, identitySecret, cache, resilience }),
  leistungen: ({ upstreams, timeoutMs, logger, identitySecret, cache, resilience }) =>
    createLeistungenSubgraph({ leikaUrl: upstreams.leika, timeoutMs, logger, identitySecret, cache, resilience }),
  abfall: ({ upstreams, timeoutMs, logger, identitySecret, cache, resilience }) =>
    createAbfallSubgraph({ abfallnaviUrl: upstreams.abfallnavi, timeoutMs, logger, identitySecret, cache, resilience }),
  ratsinfo: ({ upstreams, timeoutMs, logger, identitySecret, cache, resilience }) =>
    createRatsinfoSubgraph({ oparlUrl: upstreams.oparl, timeoutMs, logger, identitySecret, cache, resilience }),
  warnungen: ({ upstreams, timeoutMs, logger, identitySecret, cache, resilience }) =>
    createWarnungenSubgraph({ ninaUrl: upstreams.nina, timeoutMs, logger, identitySecret, cache, resilience }),
  // Personal data: these two never get the shared upstream cache.
  melderegister: ({ upstreams, timeoutMs, logger, identitySecret, resilience }) =>
    createMelderegisterSubgraph({
      melderegisterHbUrl: upstreams['melderegister-hb'],
      melderegisterNrwUrl: upstreams['melderegister-nrw'],
      timeoutMs,
      logger,
      identitySecret,
      resilience,
    }),
  gewerbe: ({ upstreams, timeoutMs, logger, identitySecret, resilience }) =>
    createGewerbeSubgraph({ gewerbeUrl: upstreams.gewerbe, timeoutMs, logger, identitySecret, resilience }),
};
