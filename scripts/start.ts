import { readRedisUrl } from '../common/cache';
import { ConfigError, readHost, readLogLevel, standInPort, subgraphPort } from '../common/env';
import { createLogger } from '../common/logger';
import { envName, STAND_IN_NAMES, SUBGRAPH_NAMES, type StandInName, type SubgraphName } from '../common/services';
import { configFromEnv } from '../gateway/src/config';
import { EXAMPLE_QUERY } from '../gateway/src/server';
import { startStack } from './stack';

/**
 * `npm start`: stand-ins, subgraphs and gateway in one process on 127.0.0.1 (ports from
 * common/services.ts, each overridable with `<NAME>_PORT`). Waits until the gateway reports
 * ready, prints the URLs and example queries, and stops everything on Ctrl-C.
 * Logs go to stderr as JSON at LOG_LEVEL (default warn); the summary goes to stdout.
 */
async function main() {
  const started = Date.now();
  const host = readHost();
  const level = readLogLevel('warn');
  // The gateway reads the same variables as when it runs alone (gateway/src/index.ts); the
  // subgraph URLs are those of the subgraphs started here.
  const gatewayConfig = configFromEnv({ ...process.env, LOG_LEVEL: level });
  const logger = createLogger({ name: 'amtsgraph', level });
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const upstreamUrls: Partial<Record<StandInName, string>> = {};
  for (const name of STAND_IN_NAMES) {
    const external = process.env[envName(name, 'URL')];
    if (external) upstreamUrls[name] = external;
  }
  // The subgraphs' upstream cache: Redis with REDIS_URL, otherwise in-memory (said below).
  const redisUrl = readRedisUrl(process.env);
  out('Starting Amtsgraph (stand-ins → subgraphs → gateway) …');
  const { port: _port, host: _host, subgraphUrls: _subgraphUrls, identitySecret: _secret, ...gatewayOptions } = gatewayConfig;
  const stack = await startStack({
    host,
    standInPorts: Object.fromEntries(STAND_IN_NAMES.map((n) => [n, standInPort(n)])) as Record<StandInName, number>,
    subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, subgraphPort(n)])) as Record<SubgraphName, number>,
    gatewayPort: gatewayConfig.port,
    identitySecret: gatewayConfig.identitySecret,
    // Every gateway setting from the environment applies (authorization, audit, CORS, rate
    // limits, persisted operations, caches, ops…); only the addresses are the stack's own.
    gateway: gatewayOptions,
    upstreamUrls,
    upstreamCache: { redisUrl },
    // Circuit breaker per upstream with the defaults of subgraphs/lib/resilience.ts.
    resilience: {},
    logger,
    onProgress: (message) => out(`  ✓ ${message}`),
  });

  const readyUrl = stack.gatewayUrl.replace(/\/graphql$/, '/readyz');
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(readyUrl).catch(() => null);
    if (response?.ok) break;
    if (attempt === 50) throw new Error(`gateway did not become ready: ${readyUrl} answered ${response?.status ?? 'nothing'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const base = stack.gatewayUrl.replace(/\/graphql$/, '');
  out(`\nAmtsgraph is ready after ${Date.now() - started} ms.\n`);
  out(
    gatewayConfig.mode === 'development'
      ? `  GraphQL + GraphiQL   ${stack.gatewayUrl}   (open it in a browser)`
      : `  GraphQL              ${stack.gatewayUrl}   (production mode: no GraphiQL)`,
  );
  out(`  Health / readiness   ${base}/healthz   ${base}/readyz`);
  const development = gatewayConfig.mode === 'development';
  // Production mode refuses development tokens, has no generated metrics token and (unless
  // PERSISTED_ALLOW_ARBITRARY) runs only persisted operations: say what works there instead.
  out(
    development
      ? `  Operator page        ${base}/ops   (token: npm run -s token -- --sub ops-team --scope "ops:read ops:plans")`
      : `  Operator page        ${base}/ops   (token from your identity provider with scope ops:read)`,
  );
  out(
    development || process.env.AMTSGRAPH_METRICS_TOKEN
      ? `  Prometheus metrics   ${base}/metrics   (Authorization: Bearer ${development ? '$(cat .amtsgraph/metrics-token), or ' : ''}AMTSGRAPH_METRICS_TOKEN)`
      : `  Prometheus metrics   ${base}/metrics   (a token with scope ops:metrics; or set AMTSGRAPH_METRICS_TOKEN)`,
  );
  out(
    redisUrl
      ? `  Upstream cache       ${stack.upstreamCache?.store.description}${stack.upstreamCache?.store.available() ? '' : ' (not reachable: serving uncached until it answers)'}`
      : '  Upstream cache       in-memory, this process only (set REDIS_URL=redis://127.0.0.1:6379 to use Redis)',
  );
  out(
    gatewayConfig.cache.enabled
      ? `  Entity cache         on (${stack.upstreamCache?.store.description ?? 'store'}); invalidate: npm run cache -- invalidate --tag municipality:05122000`
      : '  Entity cache         off (ENTITY_CACHE=on to enable)',
  );
  if (!gatewayConfig.persistedOperations.allowArbitrary) {
    const manifests = gatewayConfig.persistedOperations.manifests;
    out(
      manifests.length
        ? `\nOnly persisted operations run (${manifests.join(', ')}): send {"documentId":"<id from the manifest>","variables":{…}}; other query text gets PERSISTED_QUERY_ONLY (README, Production mode).`
        : '\nOnly persisted operations run, and no manifest is loaded: every operation is refused. Set PERSISTED_MANIFESTS (README, Production mode).',
    );
  } else {
    out('\nTry it:');
    out(`  curl -s ${stack.gatewayUrl} -H 'content-type: application/json' \\`);
    out(`    -d '{"query":"{ municipality(ags: \\"05315000\\") { name population areaKm2 district { name } state { name } } }"}'`);
    out(`\nExample query across five subgraphs${development ? ' (also preloaded in GraphiQL)' : ''}:`);
    out(EXAMPLE_QUERY.split('\n').map((l) => `  ${l}`).join('\n'));
  }
  out('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    out('\nStopping …');
    await stack.stop();
    out('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  // Whoever started us (npm, a supervisor) went away without a signal reaching us: stop too,
  // instead of serving on as an orphan nobody will stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, 1000).unref();
}

main().catch((error: unknown) => {
  const message = (error as Error).message;
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${message}\n`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(
      `Cannot start: ${message}. Another Amtsgraph may be running; stop it, or choose other ports with <NAME>_PORT (see README, Configuration).\n`,
    );
  } else {
    process.stderr.write(`Cannot start: ${message}\n`);
  }
  process.exit(1);
});
