import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createClient } from 'redis';
import { createRedisStore } from '../../common/cache';
import type { StandInName } from '../../common/services';
import { startStack, type Stack } from '../../scripts/stack';

/**
 * `npm run -s bench:cache [-- --warmup 3 --duration 10 --rounds 2 --connections 16]`
 *
 * Cached vs. uncached throughput and upstream requests on one cross-subgraph query mix,
 * in ONE process (both stacks, autocannon) on loopback, bounded in time: per round and
 * variant a warm-up, then a measured run; the variants alternate so that drift hits both.
 * "cached" = the gateway entity cache + the subgraphs' upstream cache on the Redis at
 * REDIS_URL (default redis://127.0.0.1:6379), under a key prefix of its own that is removed
 * afterwards. Every response is compared with a reference answer; a mismatch fails the run.
 * Not a test: a measurement (ops/BENCHMARKS.md has the figures).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, received ${process.argv[index + 1]}`);
  return value;
};

const QUERIES = [
  `{ municipalities(state: "05", first: 50) { nodes { ags name district { name } taxOffice { name } responsibleAuthority(leikaKey: "99050012104000") { name } warnings { headline } } } }`,
  ...['05122000', '05315000', '05111000', '05314000', '04011000'].map(
    (ags) => `{ municipality(ags: "${ags}") { name population district { name } state { name } taxOffice { name } responsibleAuthority(leikaKey: "99050012104000") { name } warnings { headline severity } } }`,
  ),
];

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
function upstream(stack: Stack): number {
  return sum(Object.fromEntries(Object.entries(stack.standIns).map(([n, e]) => [n as StandInName, e!.standIn.stats().total])));
}
function resetUpstream(stack: Stack) {
  for (const entry of Object.values(stack.standIns)) entry!.standIn.resetStats();
}

async function main() {
  const warmup = arg('warmup', 3);
  const duration = arg('duration', 10);
  const rounds = arg('rounds', 2);
  const connections = arg('connections', 16);
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const prefix = `amtsgraph-bench-${randomBytes(4).toString('hex')}:`;
  const store = createRedisStore({ url: redisUrl, keyPrefix: prefix, commandTimeoutMs: 200 });
  if (!(await store.whenReady(2_000))) throw new Error(`Redis at ${store.description} is not reachable`);
  const quiet = { gateway: { watchSupergraph: false, logLevel: 'silent' as const, ops: { tracing: { enabled: false } } } };
  const stacks: Record<'uncached' | 'cached', Stack> = {
    uncached: await startStack(quiet),
    cached: await startStack({ ...quiet, upstreamCache: { store }, gateway: { ...quiet.gateway, cache: { enabled: true, defaultTtlSeconds: 3600, rootTtlSeconds: 3600 } } }),
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    // References from the uncached stack.
    const references: string[] = [];
    for (const query of QUERIES) {
      const response = await fetch(stacks.uncached.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      const text = await response.text();
      if (response.status !== 200 || JSON.parse(text).errors) throw new Error(`reference query failed: ${text.slice(0, 300)}`);
      references.push(text);
    }
    out(`machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
    out(`mix: ${QUERIES.length} queries round-robin, ${connections} connections, warm-up ${warmup} s + ${duration} s per variant, ${rounds} rounds`);
    const results: Record<string, { rps: number[]; upstreamPerKReq: number[]; p99: number[] }> = { uncached: { rps: [], upstreamPerKReq: [], p99: [] }, cached: { rps: [], upstreamPerKReq: [], p99: [] } };
    for (let round = 1; round <= rounds; round++) {
      for (const variant of ['uncached', 'cached'] as const) {
        const stack = stacks[variant];
        let mismatches = 0;
        const requests = QUERIES.map((query, i) => ({
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
          onResponse: (status: number, body: string) => {
            if (status !== 200 || body !== references[i]) mismatches++;
          },
        }));
        const run = (seconds: number) => autocannon({ url: stack.gatewayUrl, connections, duration: seconds, requests });
        await run(warmup);
        resetUpstream(stack);
        const result = await run(duration);
        const upstreamRequests = upstream(stack);
        if (mismatches || result.non2xx || result.errors || result.timeouts) {
          throw new Error(`${variant}: ${mismatches} responses differ from the reference, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
        }
        const perK = (upstreamRequests / result.requests.total) * 1000;
        results[variant]!.rps.push(result.requests.average);
        results[variant]!.upstreamPerKReq.push(perK);
        results[variant]!.p99.push(result.latency.p99);
        out(
          `round ${round} ${variant.padEnd(8)} ${result.requests.average.toFixed(1).padStart(8)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  ` +
            `${result.requests.total} requests, ${upstreamRequests} upstream (${perK.toFixed(1)} per 1000)`,
        );
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const speedup = mean(results.cached!.rps) / mean(results.uncached!.rps);
    const upstreamCut = 1 - mean(results.cached!.upstreamPerKReq) / mean(results.uncached!.upstreamPerKReq);
    out(`throughput: cached ${mean(results.cached!.rps).toFixed(1)} req/s vs uncached ${mean(results.uncached!.rps).toFixed(1)} req/s = ${speedup.toFixed(2)}× (target ≥ 5×)`);
    out(`upstream requests per 1000 requests: cached ${mean(results.cached!.upstreamPerKReq).toFixed(1)} vs uncached ${mean(results.uncached!.upstreamPerKReq).toFixed(1)} = ${(upstreamCut * 100).toFixed(1)} % fewer (target ≥ 90 %)`);
  } finally {
    await stacks.cached.stop();
    await stacks.uncached.stop();
    await store.close();
    const client = createClient({ url: redisUrl });
    await client.connect();
    for await (const key of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) await client.del(key);
    await client.quit();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
