import { readHost, subgraphPort } from '../../common/env';
import { identitySecret } from '../../common/identity';
import { identitySecretValue } from '../../common/secrets';
import { listen } from '../../common/listen';
import { createLogger, type Logger } from '../../common/logger';
import type { SubgraphName } from '../../common/services';
import type { SubgraphServer } from './create-subgraph-server';

/**
 * Entry point shared by every subgraph's index.ts: builds the server, listens on
 * `<NAME>_PORT` (default from common/services.ts) and stops cleanly on SIGINT/SIGTERM.
 */
export function runSubgraph(
  name: SubgraphName,
  build: (logger: Logger, identitySecret: Uint8Array) => SubgraphServer & { close?: () => Promise<void> },
): void {
  const logger = createLogger({ name: `subgraph-${name}` });
  // The subgraph answers only requests the gateway signed (common/identity.ts).
  const server = build(logger, identitySecret(identitySecretValue()));
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
