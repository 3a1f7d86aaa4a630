import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { announceReady, exitWithParent, handleMark, requiredChildArg } from './launcher-lib';

/**
 * Variant (f), the ceiling: a bare node:http server that answers every POST with the
 * reference TestQuery response (bytes from `--body`), after reading the request body.
 */
async function main() {
  const body = readFileSync(requiredChildArg('body'));
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) };
  const server = http.createServer((req, res) => {
    if (handleMark(req, res)) return;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  exitWithParent(() => {
    server.closeAllConnections();
  });
  announceReady({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` });
}

main().catch((error: Error) => {
  process.stderr.write(`ceiling launcher: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
