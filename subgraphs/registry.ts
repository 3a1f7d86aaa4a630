import type { Logger } from '../common/logger';
import type { StandInName, SubgraphName } from '../common/services';
import { createAbfallSubgraph } from './abfall/server';
import { createKommunenSubgraph } from './kommunen/server';
import { createLeistungenSubgraph } from './leistungen/server';
import type { SubgraphServer } from './lib/create-subgraph-server';
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
}

/** Every subgraph by name, built against the given upstream URLs. */
export const SUBGRAPH_FACTORIES: Record<SubgraphName, (options: SubgraphBuildOptions) => ClosableSubgraph> = {
  kommunen: ({ upstreams, timeoutMs, logger, identitySecret }) =>
    createKommunenSubgraph({ registerUrl: upstreams.register, timeoutMs, logger, identitySecret }),
  leistungen: ({ upstreams, timeoutMs, logger, identitySecret }) =>
    createLeistungenSubgraph({ leikaUrl: upstreams.leika, timeoutMs, logger, identitySecret }),
  abfall: ({ upstreams, timeoutMs, logger, identitySecret }) =>
    createAbfallSubgraph({ abfallnaviUrl: upstreams.abfallnavi, timeoutMs, logger, identitySecret }),
  ratsinfo: ({ upstreams, timeoutMs, logger, identitySecret }) =>
    createRatsinfoSubgraph({ oparlUrl: upstreams.oparl, timeoutMs, logger, identitySecret }),
  warnungen: ({ upstreams, timeoutMs, logger, identitySecret }) =>
    createWarnungenSubgraph({ ninaUrl: upstreams.nina, timeoutMs, logger, identitySecret }),
};
