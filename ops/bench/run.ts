import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseOptions, type BenchOptions } from './bench-lib';
import { describeMachine, installExitHandlers, stopAllChildren } from './processes';
import { DEFAULT_REDIS_URL, deleteKeys } from './redis-keys';
import { runAmtsgraphSuite } from './suites/amtsgraph';
import type { SuiteContext } from './suites/context';
import { runDistinctSuite } from './suites/distinct';
import { runFederationSuite } from './suites/federation';

/**
 * `npm run bench [-- --rounds 3 --duration 10 --warmup 4 --connections 50 --only a,c,f --suite all]`
 *
 * Side-by-side gateway benchmark on 127.0.0.1 (ops/bench/README.md):
 * - `federation`: graphql-gateways-benchmark's subgraphs and TestQuery through Apollo Server +
 *   Apollo Gateway, Hive Gateway (two planners), Amtsgraph (variants), one subgraph alone and a
 *   fixed-body ceiling; a fresh process per variant and round, order alternating per round.
 * - `amtsgraph`: the project's own stack (stand-ins → subgraphs → gateway) on two real queries.
 * - `distinct`: 100,000 distinct operations through Amtsgraph's gateway; heap and RSS every 10,000.
 * `all` (default) = federation, then amtsgraph (shorter). Not a test: a measurement.
 */
async function main() {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: npm run bench -- [--suite all|federation|amtsgraph|distinct] [--rounds 3] [--duration 10] [--warmup 4] [--connections 50] [--only a,b1,b2,c,c0,c-apollo,d,d-entity,e,f] [--operations 100000] [--max-seconds 600]\n`);
    process.exitCode = 2;
    return;
  }
  const started = Date.now();
  const runId = randomBytes(4).toString('hex');
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'amtsgraph-bench-'));
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const ctx: SuiteContext = {
    options,
    out,
    tempDir,
    redisUrl,
    runId,
    elapsed: () => `${Math.round((Date.now() - started) / 1000)} s`.padStart(5),
  };
  const cleanup = async () => {
    await deleteKeys(redisUrl, `amtsgraph-bench-${runId}-`).catch(() => 0);
    rmSync(tempDir, { recursive: true, force: true });
  };
  installExitHandlers(async () => {
    await stopAllChildren();
    await cleanup();
  });

  out(`# npm run bench -- ${process.argv.slice(2).join(' ') || '(defaults)'}`);
  out(`machine: ${describeMachine()}`);
  out(`options: suite ${options.suite}, ${options.rounds} rounds, ${options.warmup} s warm-up + ${options.duration} s measured, ${options.connections} connections`);
  let failed = false;
  try {
    if (options.suite === 'all' || options.suite === 'federation') failed = (await runFederationSuite(ctx)).failed || failed;
    if (options.suite === 'all' || options.suite === 'amtsgraph') {
      // After the TestQuery suite, a shorter run of the project's own queries.
      const short = options.suite === 'all' ? { ...options, rounds: Math.min(options.rounds, 2), duration: Math.min(options.duration, 6), warmup: Math.min(options.warmup, 3), connections: Math.min(options.connections, 16) } : options;
      failed = (await runAmtsgraphSuite({ ...ctx, options: short })).failed || failed;
    }
    if (options.suite === 'distinct') failed = (await runDistinctSuite(ctx)).failed || failed;
  } finally {
    await stopAllChildren();
    await cleanup();
  }
  out(`\ndone in ${ctx.elapsed().trim()}${failed ? ' — WITH ERRORS (see above)' : ''}`);
  if (failed) process.exitCode = 1;
}

main().catch(async (error: Error) => {
  // Startup failures carry their own hint; a stack trace helps only with the bench's own bugs.
  process.stderr.write(`\nbench failed: ${error.message.includes('→') ? error.message : (error.stack ?? error.message)}\n`);
  await stopAllChildren();
  process.exitCode = 1;
});
