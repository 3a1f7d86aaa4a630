import { createLogger } from '../../common/logger';
import { listen } from '../../common/listen';
import { configFromEnv } from './config';
import { createGateway } from './server';

/** Runs the gateway alone (docker-compose, production). `npm start` runs everything at once. */
async function main() {
  const config = configFromEnv();
  const logger = createLogger({ name: 'gateway', level: config.logLevel });
  const gateway = await createGateway(config, { logger });
  const listening = await listen(gateway.yoga, config.port, config.host);
  logger.info({ url: `${listening.url}/graphql` }, 'gateway listening');
  const stop = async () => {
    await listening.close();
    await gateway.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway could not start: ${(error as Error).message}\n`);
  process.exit(1);
});
