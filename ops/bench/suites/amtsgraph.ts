import path from 'node:path';
import { createBodyChecker, fmt, markdownTable, median, roundOrder } from '../bench-lib';
import { firstGoodAnswer, measureLoad, type LoadResult } from '../load';
import { LAUNCHERS, amtsgraphNodeFlags, spawnChild, type Child } from '../processes';
import { deleteKeys, redisAnswers } from '../redis-keys';
import { redisPrefix, type SuiteContext } from './context';

/**
 * `--suite amtsgraph`: Amtsgraph's own stack (stand-ins → subgraphs → gateway in ONE child
 * process, launchers/amtsgraph-stack.ts) on two real queries. CPU is the whole stack's process;
 * upstream requests are the stand-ins' own counters (REST calls).
 */
export const AMTSGRAPH_QUERIES = {
  'municipality page': `{ municipality(ags: "05122000") { name population district { name } state { name } taxOffice { name } responsibleAuthority(leikaKey: "99050012104000") { name } warnings { headline severity } } }`,
  '50 municipalities': `{ municipalities(state: "05", first: 50) { nodes { ags name district { name } taxOffice { name } responsibleAuthority(leikaKey: "99050012104000") { name } } } }`,
} as const;
type QueryName = keyof typeof AMTSGRAPH_QUERIES;
const QUERY_NAMES = Object.keys(AMTSGRAPH_QUERIES) as QueryName[];

interface StackVariant {
  id: string;
  title: string;
  args: (round: number) => string[];
}

export async function runAmtsgraphSuite(ctx: SuiteContext): Promise<{ failed: boolean }> {
  const { options, out } = ctx;
  out(`\n## amtsgraph suite: the project's stack on two of its own queries (${options.rounds} rounds, ${options.warmup} s + ${options.duration} s per query, ${options.connections} connections)`);
  const script = path.join(LAUNCHERS, 'amtsgraph-stack.ts');
  const redis = await redisAnswers(ctx.redisUrl);
  const prefixes: string[] = [];
  const variants: StackVariant[] = [
    { id: 'amtsgraph', title: 'Amtsgraph (amtsgraph executor)', args: () => ['--executor', 'amtsgraph'] },
    { id: 'apollo', title: 'Amtsgraph (apollo executor)', args: () => ['--executor', 'apollo'] },
    {
      id: 'cached',
      title: `Amtsgraph cached (entity + upstream cache, ${redis ? 'Redis' : 'in memory'})`,
      args: (round) => {
        if (!redis) return ['--executor', 'amtsgraph', '--cache', 'memory'];
        const prefix = redisPrefix(ctx.runId, `stack${round}`);
        prefixes.push(prefix);
        return ['--executor', 'amtsgraph', '--cache', 'redis', '--cache-redis-url', ctx.redisUrl, '--cache-prefix', prefix];
      },
    },
  ];
  if (!redis) out(`cached: Redis at ${ctx.redisUrl} does NOT answer: the cached variant uses the in-memory store`);

  // References: Apollo's executor on an uncached stack.
  const references = {} as Record<QueryName, string>;
  const referenceStack = await spawnChild({ name: 'reference stack', script, args: ['--executor', 'apollo'], nodeFlags: amtsgraphNodeFlags() });
  try {
    for (const name of QUERY_NAMES) {
      const response = await fetch(referenceStack.ready.url as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: AMTSGRAPH_QUERIES[name] }) });
      const text = await response.text();
      if (response.status !== 200 || (JSON.parse(text) as { errors?: unknown }).errors) {
        throw new Error(`the reference answer to "${name}" failed (HTTP ${response.status}): ${text.slice(0, 400)}\n  → check the stack alone: npm start, then POST the query to the gateway`);
      }
      references[name] = text;
      out(`reference "${name}": ${Buffer.byteLength(text).toLocaleString('en')} bytes`);
    }
  } finally {
    await referenceStack.stop();
  }
  const checks = Object.fromEntries(QUERY_NAMES.map((n) => [n, createBodyChecker(references[n])])) as Record<QueryName, (body: string) => boolean>;

  const results = new Map<string, LoadResult[]>();
  const coldStarts = new Map<string, number[]>();
  const failures = new Map<string, string>();
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const variant of roundOrder(variants, round)) {
        if (failures.has(variant.id)) continue;
        const label = () => `[${ctx.elapsed()}] round ${round}/${options.rounds} ${variant.title}`;
        let child: Child | null = null;
        try {
          child = await spawnChild({ name: variant.title, script, args: variant.args(round), nodeFlags: amtsgraphNodeFlags() });
          const url = child.ready.url as string;
          const control = child.ready.control as string;
          const first = QUERY_NAMES[0]!;
          const coldStart = await firstGoodAnswer(url, JSON.stringify({ query: AMTSGRAPH_QUERIES[first] }), checks[first], child.spawnedAt);
          coldStarts.set(variant.id, [...(coldStarts.get(variant.id) ?? []), coldStart]);
          for (const name of QUERY_NAMES) {
            const load = await measureLoad({
              url,
              body: JSON.stringify({ query: AMTSGRAPH_QUERIES[name] }),
              check: checks[name],
              connections: options.connections,
              warmupSeconds: options.warmup,
              durationSeconds: options.duration,
              gatewayPid: child.pid,
              upstreamCount: async () => ((await (await fetch(`${control}/__upstream`)).json()) as { total: number }).total,
            });
            const key = `${variant.id}\u0000${name}`;
            results.set(key, [...(results.get(key) ?? []), load]);
            const errors = load.errors.mismatches + load.errors.non200 + load.errors.requestErrors;
            out(
              `${label()} · ${name}: ${load.rps.toFixed(1)} req/s · p50 ${fmt(load.p50, 0)} ms · p99 ${fmt(load.p99, 0)} ms · stack CPU ${fmt(load.gatewayCpuMsPerRequest, 2)} ms/req · ` +
                `${fmt(load.upstreamPerRequest, 2)} upstream REST req/req · ${errors ? `${errors} ERRORS` : '0 errors'}`,
            );
            if (load.firstError) out(`  ! first wrong answer: ${load.firstError}`);
          }
        } catch (error) {
          failures.set(variant.id, (error as Error).message);
          out(`${label()}: FAILED: ${(error as Error).message}\n  → run the suite alone: npm run bench -- --suite amtsgraph --rounds 1`);
        } finally {
          await child?.stop();
        }
      }
    }
  } finally {
    if (redis) for (const prefix of prefixes) await deleteKeys(ctx.redisUrl, prefix).catch(() => 0);
  }

  const rows: string[][] = [];
  for (const variant of variants) {
    for (const name of QUERY_NAMES) {
      const runs = results.get(`${variant.id}\u0000${name}`) ?? [];
      if (!runs.length) {
        rows.push([variant.title, name, 'failed', '', '', '', '', '', '']);
        continue;
      }
      const med = (pick: (r: LoadResult) => number | null) => median(runs.map(pick).filter((v): v is number => v !== null));
      const errors = runs.reduce((n, r) => n + r.errors.mismatches + r.errors.non200 + r.errors.requestErrors, 0);
      rows.push([
        variant.title,
        name,
        fmt(med((r) => r.rps)),
        fmt(med((r) => r.p50), 0),
        fmt(med((r) => r.p99), 0),
        fmt(med((r) => r.gatewayCpuMsPerRequest), 2),
        fmt(med((r) => r.upstreamPerRequest), 2),
        name === QUERY_NAMES[0] ? fmt(median(coldStarts.get(variant.id) ?? []), 0) : '',
        `${errors} in ${runs.length} runs`,
      ]);
    }
  }
  out(`\nMedians over rounds (fresh stack process per variant and round; CPU = the whole stack's process):\n`);
  out(markdownTable(['variant', 'query', 'req/s', 'p50 ms', 'p99 ms', 'stack CPU ms/req', 'upstream REST req/req', 'cold start ms', 'errors'], rows, ['l', 'l']));
  const errors = [...results.values()].flat().some((r) => r.errors.mismatches + r.errors.non200 + r.errors.requestErrors > 0);
  return { failed: failures.size > 0 || errors };
}
