import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { announceReady, exitWithParent, requiredChildArg } from './launcher-lib';

/**
 * Variants (b1)/(b2): Hive Gateway's runtime (`createGatewayRuntime`, the programmatic API of
 * @graphql-hive/gateway) served with node:http, from a supergraph file. `--planner default`
 * is its own JavaScript planner (the stitching runtime); `--planner router` passes
 * `unifiedGraphHandler` of @graphql-hive/router-runtime (Hive Router's Rust query planner
 * as a native addon + its executor), what the CLI's `--hive-router-runtime` does.
 * Offline: no Hive token, no CDN, no reporting (none configured), logging off.
 */
async function main() {
  const planner = requiredChildArg('planner');
  if (planner !== 'default' && planner !== 'router') throw new Error(`--planner must be "default" or "router", received "${planner}"`);
  const gateway = createGatewayRuntime({
    supergraph: requiredChildArg('supergraph'),
    logging: false,
    graphiql: false,
    landingPage: false,
    ...(planner === 'router' ? { unifiedGraphHandler } : {}),
  });
  const server = http.createServer(gateway);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  exitWithParent(async () => {
    server.closeAllConnections();
    await gateway.dispose();
  });
  announceReady({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` });
}

main().catch((error: Error) => {
  process.stderr.write(`hive-gateway launcher: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
