import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStack, type StackOptions } from '../../../scripts/stack';
import { announceReady, childArg, exitWithParent, handleMark, requiredChildArg } from './launcher-lib';

/**
 * `--suite amtsgraph`: the project's real stack (stand-ins → subgraphs → gateway, scripts/stack.ts)
 * in this child process, quiet (no tracing, no supergraph watch, silent logs).
 *
 *   --executor amtsgraph|apollo   the gateway's plan executor
 *   --cache off|memory|redis      the gateway entity cache + the subgraphs' upstream cache
 *                                 (`--cache-redis-url`, `--cache-prefix`), as ops/bench/cache-bench.ts
 *
 * A control port answers `GET /__upstream` (requests the stand-ins received so far) and
 * `GET /__mark` (CPU and memory of this process = the whole stack).
 */
async function main() {
  const executor = requiredChildArg('executor');
  if (executor !== 'amtsgraph' && executor !== 'apollo') throw new Error(`--executor must be "amtsgraph" or "apollo", received "${executor}"`);
  const cacheMode = childArg('cache') ?? 'off';
  if (!['off', 'memory', 'redis'].includes(cacheMode)) throw new Error(`--cache must be off, memory or redis, received "${cacheMode}"`);
  const gateway: StackOptions['gateway'] = { watchSupergraph: false, logLevel: 'silent', executor, ops: { tracing: { enabled: false } }, rateLimit: { enabled: false } };
  const options: StackOptions =
    cacheMode === 'off'
      ? { gateway }
      : {
          gateway: { ...gateway, cache: { enabled: true, defaultTtlSeconds: 3600, rootTtlSeconds: 3600, commandTimeoutMs: 200 } },
          upstreamCache:
            cacheMode === 'redis'
              ? { redisUrl: requiredChildArg('cache-redis-url'), redis: { keyPrefix: requiredChildArg('cache-prefix'), commandTimeoutMs: 200 }, redisConnectWaitMs: 2_000 }
              : {},
        };
  const stack = await startStack(options);
  const upstream = () => Object.values(stack.standIns).reduce((n, entry) => n + (entry?.standIn.stats().total ?? 0), 0);
  const control = http.createServer((req, res) => {
    if (handleMark(req, res)) return;
    if (req.method === 'GET' && req.url === '/__upstream') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ total: upstream() }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(0, '127.0.0.1', resolve);
  });
  exitWithParent(async () => {
    control.closeAllConnections();
    await stack.stop();
  });
  announceReady({ url: stack.gatewayUrl, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`, executor, cache: cacheMode });
}

main().catch((error: Error) => {
  process.stderr.write(`amtsgraph-stack launcher: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
