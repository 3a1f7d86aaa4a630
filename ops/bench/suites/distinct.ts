import path from 'node:path';
import { Pool } from 'undici';
import { createBodyChecker, markdownTable } from '../bench-lib';
import { composeSupergraph, createOracle, distinctOperation } from '../federation/scenario';
import { writeFileSync } from 'node:fs';
import type { BenchSubgraphName } from '../federation/subgraph-schemas';
import { LAUNCHERS, amtsgraphNodeFlags, spawnChild } from '../processes';
import type { SuiteContext } from './context';

/**
 * `--suite distinct`: the memory bound. `--operations` (default 100,000) DISTINCT operations
 * (own text, plan and signature each; federation/scenario.ts `distinctOperation`) through
 * Amtsgraph's gateway child (default executor, caches off) started with `--expose-gc`, in
 * batches of 10,000; after each batch `GET /__mark?gc=1` gives heap and RSS after a full GC.
 * Every answer is checked against the oracle. Bounded by `--max-seconds` (default 600): when
 * reached, the suite stops after the running batch and says so.
 */
const BATCH = 10_000;
const CONCURRENCY = 16;

interface Mark {
  operations: number;
  seconds: number;
  heapUsedMiB: number;
  rssMiB: number;
  cpuMs: number;
}

export async function runDistinctSuite(ctx: SuiteContext): Promise<{ failed: boolean }> {
  const { options, out } = ctx;
  const total = options.operations;
  out(`\n## distinct suite: ${total.toLocaleString('en')} distinct operations through Amtsgraph's gateway (--expose-gc), ${CONCURRENCY} concurrent, marks every ${BATCH.toLocaleString('en')}, at most ${options.maxSeconds} s`);
  const subgraphs = await spawnChild({ name: 'bench subgraphs', script: path.join(__dirname, '..', 'federation', 'subgraphs-server.ts') });
  const supergraphPath = path.join(ctx.tempDir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph(subgraphs.ready.ports as Record<BenchSubgraphName, number>));
  const gateway = await spawnChild({ name: 'amtsgraph gateway', script: path.join(LAUNCHERS, 'amtsgraph-gateway.ts'), args: ['--supergraph', supergraphPath, '--executor', 'amtsgraph'], nodeFlags: ['--expose-gc', ...amtsgraphNodeFlags()] });
  const url = new URL(gateway.ready.url as string);
  const pool = new Pool(url.origin, { connections: CONCURRENCY, pipelining: 1 });
  const oracle = createOracle();
  const marks: Mark[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  const mark = async (operations: number) => {
    const { body } = await pool.request({ path: '/__mark?gc=1', method: 'GET' });
    const m = (await body.json()) as { cpu: { user: number; system: number }; mem: NodeJS.MemoryUsage; gc: boolean };
    if (!m.gc) throw new Error('the gateway child has no global.gc: it must run with --expose-gc');
    const entry = { operations, seconds: seconds(), heapUsedMiB: m.mem.heapUsed / 2 ** 20, rssMiB: m.mem.rss / 2 ** 20, cpuMs: (m.cpu.user + m.cpu.system) / 1000 };
    marks.push(entry);
    const previous = marks[marks.length - 2];
    const rate = previous ? ` (${((operations - previous.operations) / (entry.seconds - previous.seconds)).toFixed(0)} ops/s)` : '';
    out(`[${ctx.elapsed()}] ${operations.toLocaleString('en').padStart(7)} operations: heap ${entry.heapUsedMiB.toFixed(1)} MiB, RSS ${entry.rssMiB.toFixed(1)} MiB (after GC), ${entry.seconds.toFixed(0)} s${rate}, ${errors} errors`);
  };
  let done = 0;
  try {
    await mark(0);
    while (done < total) {
      if (seconds() > options.maxSeconds) {
        out(`stopping after ${done.toLocaleString('en')} of ${total.toLocaleString('en')} operations: the suite is bounded to ${options.maxSeconds} s (raise it with --max-seconds, or lower --operations)`);
        break;
      }
      const end = Math.min(total, done + BATCH);
      let next = done;
      const worker = async () => {
        while (next < end) {
          const i = next++;
          const query = distinctOperation(i);
          const response = await pool.request({ path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
          const text = await response.body.text();
          if (response.statusCode !== 200 || !createBodyChecker(oracle.answer(query), 1)(text)) {
            errors++;
            firstError ??= `operation ${i} (${query}): HTTP ${response.statusCode}: ${text.slice(0, 300)}`;
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      done = end;
      await mark(done);
    }
  } finally {
    await pool.close();
    await gateway.stop();
    await subgraphs.stop();
  }
  if (firstError) out(`  ! first wrong answer: ${firstError}`);
  const half = marks.find((m) => m.operations >= done / 2) ?? marks[0]!;
  const last = marks[marks.length - 1]!;
  const growth = last.heapUsedMiB - half.heapUsedMiB;
  const rssGrowth = last.rssMiB - half.rssMiB;
  out('');
  out(markdownTable(['operations', 'heap MiB (after GC)', 'RSS MiB', 'seconds', 'gateway CPU s'], marks.map((m) => [m.operations.toLocaleString('en'), m.heapUsedMiB.toFixed(1), m.rssMiB.toFixed(1), m.seconds.toFixed(0), (m.cpuMs / 1000).toFixed(1)])));
  const bounded = growth < Math.max(5, half.heapUsedMiB * 0.1);
  out(
    `\nsecond half (${half.operations.toLocaleString('en')} → ${last.operations.toLocaleString('en')} operations): heap ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB ` +
      `(${((growth / half.heapUsedMiB) * 100).toFixed(1)} %), RSS ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)} MiB → ${bounded ? 'no growth beyond 10 % / 5 MiB: bounded' : 'GREW: some per-operation state is not bounded'}; ${errors} wrong answers`,
  );
  return { failed: errors > 0 || !bounded };
}
