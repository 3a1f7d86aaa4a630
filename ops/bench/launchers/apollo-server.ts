import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { announceReady, exitWithParent, requiredChildArg } from './launcher-lib';

/**
 * Variant (a): Apollo Gateway in Apollo Server 5, plain as documented
 * (`new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) })` + startStandaloneServer).
 * The bench starts it with NODE_ENV=production and without APOLLO_KEY (no usage reporting).
 */
async function main() {
  const supergraphSdl = readFileSync(requiredChildArg('supergraph'), 'utf8');
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  exitWithParent(() => server.stop());
  announceReady({ url });
}

main().catch((error: Error) => {
  process.stderr.write(`apollo-server launcher: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
