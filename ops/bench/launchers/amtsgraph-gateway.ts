import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { listen } from '../../../common/listen';
import type { GatewayConfigInput } from '../../../gateway/src/config';
import { createGateway } from '../../../gateway/src/server';
import { announceReady, childArg, exitWithParent, handleMark, requiredChildArg } from './launcher-lib';

/**
 * Variants (c), (c0), (c-apollo), (d) and `--suite distinct`: Amtsgraph's gateway
 * (`createGateway` + `listen`, as gateway/src/index.ts) on the benchmark supergraph, with
 * tracing, rate limit and supergraph watch off and logging silent.
 *
 *   --supergraph <file>         the composed benchmark supergraph
 *   --executor amtsgraph|apollo the plan executor (config `executor`)
 *   --cache off|memory|redis    the entity cache (`--cache-redis-url`, `--cache-prefix`)
 *   --responses on|off          the response cache (with the entity cache; default on)
 *
 * `GET /__mark[?gc=1]` (launcher-lib.ts) is answered here, before the gateway sees the request.
 */

/** Variant (c0) = (c) with in-flight de-duplication off (config `dedupeInFlight`); the bench sets AMTSGRAPH_BENCH_DEDUPE=off for it. */
const dedupeInFlight = process.env.AMTSGRAPH_BENCH_DEDUPE !== 'off';

async function main() {
  const executor = requiredChildArg('executor');
  if (executor !== 'amtsgraph' && executor !== 'apollo') throw new Error(`--executor must be "amtsgraph" or "apollo", received "${executor}"`);
  const cacheMode = childArg('cache') ?? 'off';
  const responses = childArg('responses') ?? 'on';
  if (responses !== 'on' && responses !== 'off') throw new Error(`--responses must be on or off, received "${responses}"`);
  if (!['off', 'memory', 'redis'].includes(cacheMode)) throw new Error(`--cache must be off, memory or redis, received "${cacheMode}"`);
  const config: GatewayConfigInput = {
    supergraphPath: requiredChildArg('supergraph'),
    watchSupergraph: false,
    identitySecret: randomBytes(32).toString('base64url'),
    logLevel: 'silent',
    mode: 'development',
    executor,
    ops: { tracing: { enabled: false } },
    rateLimit: { enabled: false },
    ...(cacheMode === 'off'
      ? {}
      : {
          cache: {
            enabled: true,
            ...(cacheMode === 'redis' ? { redisUrl: requiredChildArg('cache-redis-url'), keyPrefix: requiredChildArg('cache-prefix') } : {}),
            defaultTtlSeconds: 3600,
            rootTtlSeconds: 3600,
            // 50 ms (the default) trips on a loaded 2-core machine and turns hits into subgraph fetches.
            commandTimeoutMs: 200,
            responses: responses === 'on',
          },
        }),
    dedupeInFlight,
  };
  const gateway = await createGateway(config);
  const handler = gateway.yoga as unknown as http.RequestListener;
  const listening = await listen((req, res) => {
    if (!handleMark(req, res)) handler(req, res);
  }, 0, '127.0.0.1', '/graphql');
  exitWithParent(async () => {
    await listening.close();
    await gateway.stop();
  });
  announceReady({ url: listening.url, executor, cache: cacheMode, responses, dedupeInFlight });
}

main().catch((error: Error) => {
  process.stderr.write(`amtsgraph-gateway launcher: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
