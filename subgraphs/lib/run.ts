import { readHost, subgraphPort } from '../../common/env';
import { identitySecret } from '../../common/identity';
import { identitySecretValue } from '../../common/secrets';
import { listen } from '../../common/listen';
import { createLogger, type Logger } from '../../common/logger';
import type { SubgraphName } from '../../common/services';
import type { SubgraphServer } from './create-subgraph-server';
import { createResilienceRegistry, type ResilienceRegistry } from './resilience';

/**
 * Entry point shared by every subgraph's index.ts: builds the server, listens on
 * `<NAME>_PORT` (default from common/services.ts) and stops cleanly on SIGINT/SIGTERM.
 * `build` gets the process's resilience registry (circuit breaker per upstream with the
 * defaults of resilience.ts; transitions logged at warn) to hand to its REST clients.
 */
export function runSubgraph(
  name: SubgraphName,
  build: (logger: Logger, identitySecret: Uint8Array, resilience: ResilienceRegistry) => SubgraphServer & { close?: () => Promise<void> },
): void {
  const logger = createLogger({ name: `subgraph-${name}` });
  // The subgraph answers only requests the gateway signed (common/identity.ts).
  const resilience = createResilienceRegistry({
    onTransition: (t) =>
      logger.warn({ upstream: t.upstream, from: t.from, to: t.to, reason: t.reason }, 'circuit breaker transition'),
  });
  const server = build(logger, identitySecret(identitySecretValue()), resilience);
  listen(server, subgraphPort(name), readHost())
    .then((listening) => {
      logger.info({ url: `${listening.url}/graphql` }, 'subgraph listening');
      const stop = async () => {
        await listening.close();
        await server.close?.();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((error: unknown) => {
      logger.fatal({ err: error }, 'subgraph could not start');
      process.exit(1);
    });
}
