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
}

/** Every subgraph by name, built against the given upstream URLs. */
export const SUBGRAPH_FACTORIES: Record<SubgraphName, (options: SubgraphBuildOptions) => ClosableSubgraph> = {
  kommunen: ({ upstreams, timeoutMs, logger }) => createKommunenSubgraph({ registerUrl: upstreams.register, timeoutMs, logger }),
  leistungen: ({ upstreams, timeoutMs, logger }) => createLeistungenSubgraph({ leikaUrl: upstreams.leika, timeoutMs, logger }),
  abfall: ({ upstreams, timeoutMs, logger }) => createAbfallSubgraph({ abfallnaviUrl: upstreams.abfallnavi, timeoutMs, logger }),
  ratsinfo: ({ upstreams, timeoutMs, logger }) => createRatsinfoSubgraph({ oparlUrl: upstreams.oparl, timeoutMs, logger }),
  warnungen: ({ upstreams, timeoutMs, logger }) => createWarnungenSubgraph({ ninaUrl: upstreams.nina, timeoutMs, logger }),
};
