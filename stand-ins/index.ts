import { readHost, standInPort } from '../common/env';
import { createLogger } from '../common/logger';
import { STAND_IN_NAMES, type StandInName } from '../common/services';
import { STAND_IN_FACTORIES } from './registry';

/**
 * Runs one stand-in on its own: `tsx stand-ins/index.ts <name>` (used by docker-compose).
 * Port from `<NAME>_PORT`, host from AMTSGRAPH_HOST.
 */
const name = process.argv[2] as StandInName | undefined;
if (!name || !STAND_IN_NAMES.includes(name)) {
  process.stderr.write(`usage: tsx stand-ins/index.ts <${STAND_IN_NAMES.join('|')}>\n`);
  process.exit(2);
}
const logger = createLogger({ name: `stand-in-${name}` });
STAND_IN_FACTORIES[name]({ logger })
  .listen(standInPort(name), readHost())
  .then((running) => {
    logger.info({ url: running.url }, 'stand-in listening');
    const stop = () => running.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  })
  .catch((error: unknown) => {
    logger.fatal({ err: error }, 'stand-in could not start');
    process.exit(1);
  });
