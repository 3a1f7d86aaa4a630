import { readHost, subgraphPort } from '../../common/env';
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
  build: (logger: Logger) => SubgraphServer & { close?: () => Promise<void> },
): void {
  const logger = createLogger({ name: `subgraph-${name}` });
  const server = build(logger);
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
