import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import { announceReady, exitWithParent, handleMark } from '../launchers/launcher-lib';
import { BENCH_SUBGRAPH_NAMES, SUBGRAPH_RESOLVERS, subgraphTypeDefs, type BenchSubgraphName } from './subgraph-schemas';

/**
 * Child process: the four benchmark subgraphs (accounts, inventory, products, reviews), each on
 * its own ephemeral 127.0.0.1 port. `@apollo/subgraph`'s buildSubgraphSchema + graphql-js
 * `execute` on plain node:http (no Yoga: the subgraphs share two cores with the gateway under
 * test, so they are kept lean). Parsed and validated documents are cached per query text
 * (bounded). Every port also answers:
 * - `GET /__stats`: requests received per subgraph since start or the last reset;
 * - `POST /__stats/reset`;
 * - `GET /__mark`: this process's CPU and memory.
 */
const MAX_DOCUMENTS = 1_000;
const counts = Object.fromEntries(BENCH_SUBGRAPH_NAMES.map((n) => [n, 0])) as Record<BenchSubgraphName, number>;

function createHandler(name: BenchSubgraphName, schema: GraphQLSchema): http.RequestListener {
  const documents = new Map<string, { document: DocumentNode } | { errors: readonly GraphQLError[] }>();
  const prepare = (query: string) => {
    let entry = documents.get(query);
    if (entry) return entry;
    try {
      const document = parse(query);
      const errors = validate(schema, document);
      entry = errors.length ? { errors } : { document };
    } catch (error) {
      entry = { errors: [error as GraphQLError] };
    }
    // Bounded: the oldest document goes first (insertion order).
    if (documents.size >= MAX_DOCUMENTS) documents.delete(documents.keys().next().value as string);
    documents.set(query, entry);
    return entry;
  };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  return (req, res) => {
    if (handleMark(req, res)) return;
    if (req.url === '/__stats' && req.method === 'GET') return send(res, 200, counts);
    if (req.url === '/__stats/reset' && req.method === 'POST') {
      for (const key of BENCH_SUBGRAPH_NAMES) counts[key] = 0;
      return send(res, 200, counts);
    }
    if (req.method !== 'POST') return send(res, 405, { errors: [{ message: 'POST a GraphQL request to /graphql' }] });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      counts[name]++;
      let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { errors: [{ message: 'request body is not JSON' }] });
      }
      if (typeof body.query !== 'string') return send(res, 400, { errors: [{ message: 'missing "query"' }] });
      const prepared = prepare(body.query);
      if ('errors' in prepared) return send(res, 400, { errors: prepared.errors });
      const result = await execute({ schema, document: prepared.document, variableValues: body.variables, operationName: body.operationName, contextValue: {} });
      send(res, 200, result);
    });
  };
}

async function main() {
  const servers: http.Server[] = [];
  const ports = {} as Record<BenchSubgraphName, number>;
  for (const name of BENCH_SUBGRAPH_NAMES) {
    const schema = buildSubgraphSchema({ typeDefs: subgraphTypeDefs(name), resolvers: SUBGRAPH_RESOLVERS[name] });
    const server = http.createServer(createHandler(name, schema));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    ports[name] = (server.address() as AddressInfo).port;
    servers.push(server);
  }
  exitWithParent(() => {
    for (const server of servers) server.closeAllConnections();
  });
  announceReady({ ports });
}

main().catch((error: Error) => {
  process.stderr.write(`bench subgraphs could not start: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
