import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createBodyChecker, fmt, markdownTable, median, percentOf, ratio, roundOrder } from '../bench-lib';
import { composeSupergraph, createOracle, DIRECT_QUERY, DIRECT_SUBGRAPH, DIRECT_VARIABLES, TEST_QUERY } from '../federation/scenario';
import { BENCH_SUBGRAPH_NAMES, type BenchSubgraphName } from '../federation/subgraph-schemas';
import { firstGoodAnswer, measureLoad, type LoadResult } from '../load';
import { LAUNCHERS, amtsgraphNodeFlags, peakRssMiB, spawnChild, type Child } from '../processes';
import { deleteKeys, redisAnswers } from '../redis-keys';
import { redisPrefix, type SuiteContext } from './context';

/**
 * The side-by-side suite: the four benchmark subgraphs (one child process), the TestQuery
 * (~87 kB answer), and per round a FRESH child per gateway variant; see ops/bench/README.md.
 */
interface Variant {
  id: string;
  title: string;
  /** Starts this round's child; null = no process of its own (variant e asks a subgraph). */
  start: ((round: number) => Promise<Child>) | null;
  url: (child: Child | null) => string;
  body: string;
  check: (body: string) => boolean;
}

interface RoundResult {
  load: LoadResult;
  coldStartMs: number | null;
  peakRssMiB: number | null;
}

/** The default set: every variant. */
const DEFAULT_IDS = ['a', 'b1', 'b2', 'c', 'c0', 'c-apollo', 'd', 'd-entity', 'e', 'f'];
const SCRIPT = (name: string) => path.join(LAUNCHERS, name);

export async function runFederationSuite(ctx: SuiteContext): Promise<{ failed: boolean }> {
  const { options, out } = ctx;
  out(`\n## federation suite: graphql-gateways-benchmark's four subgraphs and TestQuery`);
  const subgraphs = await spawnChild({ name: 'bench subgraphs', script: path.join(__dirname, '..', 'federation', 'subgraphs-server.ts') });
  const ports = subgraphs.ready.ports as Record<BenchSubgraphName, number>;
  out(`[${ctx.elapsed()}] subgraphs (one process, pid ${subgraphs.pid}): ${BENCH_SUBGRAPH_NAMES.map((n) => `${n} :${ports[n]}`).join(', ')}`);
  const supergraphPath = path.join(ctx.tempDir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph(ports));
  const oracle = createOracle();
  const reference = oracle.answer(TEST_QUERY);
  const directReference = oracle.directReference();
  const ceilingBody = path.join(ctx.tempDir, 'testquery-response.json');
  writeFileSync(ceilingBody, reference);
  out(`TestQuery reference answer: ${Buffer.byteLength(reference).toLocaleString('en')} bytes; (e) reviews _entities answer: ${Buffer.byteLength(directReference).toLocaleString('en')} bytes`);
  const upstreamCount = async () => {
    const counts = (await (await fetch(`http://127.0.0.1:${ports.accounts}/__stats`)).json()) as Record<string, number>;
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };

  const testQueryBody = JSON.stringify({ query: TEST_QUERY });
  const check = createBodyChecker(reference);
  const redis = await redisAnswers(ctx.redisUrl);
  const cachePrefixes: string[] = [];
  const nodeFlags = amtsgraphNodeFlags();
  out(`Amtsgraph's gateway runs with node flags: ${nodeFlags.join(' ') || "(none: V8's defaults)"}`);
  const amtsgraph = (executor: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => (name: string) => () =>
    spawnChild({ name, script: SCRIPT('amtsgraph-gateway.ts'), args: ['--supergraph', supergraphPath, '--executor', executor, ...extra], env, nodeFlags });
  const production = { NODE_ENV: 'production', APOLLO_KEY: '', APOLLO_GRAPH_REF: '', HIVE_ROUTER_RUNTIME: '' };
  const gatewayUrl = (child: Child | null) => child!.ready.url as string;
  const all: Variant[] = [
    { id: 'a', title: 'Apollo Gateway 2.14 in Apollo Server 5', start: () => spawnChild({ name: '(a)', script: SCRIPT('apollo-server.ts'), args: ['--supergraph', supergraphPath], env: production }), url: gatewayUrl, body: testQueryBody, check },
    { id: 'b1', title: 'Hive Gateway, default planner', start: () => spawnChild({ name: '(b1)', script: SCRIPT('hive-gateway.ts'), args: ['--supergraph', supergraphPath, '--planner', 'default'], env: production }), url: gatewayUrl, body: testQueryBody, check },
    { id: 'b2', title: 'Hive Gateway, Rust planner (router-runtime)', start: () => spawnChild({ name: '(b2)', script: SCRIPT('hive-gateway.ts'), args: ['--supergraph', supergraphPath, '--planner', 'router'], env: production }), url: gatewayUrl, body: testQueryBody, check },
    { id: 'c', title: 'Amtsgraph, caches off', start: amtsgraph('amtsgraph')('(c)'), url: gatewayUrl, body: testQueryBody, check },
    { id: 'c0', title: 'Amtsgraph, caches off, no in-flight dedupe', start: amtsgraph('amtsgraph', [], { AMTSGRAPH_BENCH_DEDUPE: 'off' })('(c0)'), url: gatewayUrl, body: testQueryBody, check },
    { id: 'c-apollo', title: "Amtsgraph with Apollo's executor", start: amtsgraph('apollo')('(c-apollo)'), url: gatewayUrl, body: testQueryBody, check },
    ...(['d', 'd-entity'] as const).map((id): Variant => {
      const extra = id === 'd' ? [] : ['--responses', 'off'];
      return {
        id,
        title: `Amtsgraph, ${id === 'd' ? 'response + entity cache' : 'entity cache only'} (${redis ? 'Redis' : 'in memory'})`,
        start: (round) => {
          if (!redis) return amtsgraph('amtsgraph', ['--cache', 'memory', ...extra])(`(${id})`)();
          const prefix = redisPrefix(ctx.runId, `${id}${round}`);
          cachePrefixes.push(prefix);
          return amtsgraph('amtsgraph', ['--cache', 'redis', '--cache-redis-url', ctx.redisUrl, '--cache-prefix', prefix, ...extra])(`(${id})`)();
        },
        url: gatewayUrl,
        body: testQueryBody,
        check,
      };
    }),
    { id: 'e', title: `${DIRECT_SUBGRAPH} subgraph alone (_entities, 6 users)`, start: null, url: () => `http://127.0.0.1:${ports[DIRECT_SUBGRAPH]}/graphql`, body: JSON.stringify({ query: DIRECT_QUERY, variables: DIRECT_VARIABLES }), check: createBodyChecker(directReference) },
    { id: 'f', title: 'ceiling: node:http, fixed body', start: () => spawnChild({ name: '(f)', script: SCRIPT('ceiling.ts'), args: ['--body', ceilingBody] }), url: gatewayUrl, body: testQueryBody, check },
  ];
  const ids = options.only ?? DEFAULT_IDS;
  const unknown = ids.filter((id) => !all.some((v) => v.id === id));
  if (unknown.length) throw new Error(`unknown variant(s) ${unknown.join(', ')} in --only; known: ${all.map((v) => v.id).join(', ')}`);
  const variants = all.filter((v) => ids.includes(v.id));
  if (ids.includes('d')) out(redis ? `(d): Redis at ${ctx.redisUrl} answers; key prefix ${redisPrefix(ctx.runId, 'd<round>')} (removed afterwards)` : `(d): Redis at ${ctx.redisUrl} does NOT answer: (d) uses the in-memory store`);
  const perVariant = options.warmup + options.duration + 3;
  out(`${variants.length} variants × ${options.rounds} rounds × (${options.warmup} s warm-up + ${options.duration} s measured + start) ≈ ${Math.ceil((variants.length * options.rounds * perVariant) / 60)} min; ${options.connections} connections`);

  const results = new Map<string, RoundResult[]>(variants.map((v) => [v.id, []]));
  const failures = new Map<string, string>();
  try {
    // A throwaway run so that the subgraph process is warm before the first measured variant.
    out(`[${ctx.elapsed()}] throwaway warm-up of the subgraph process (3 s of the (e) query, not measured) …`);
    await measureLoad({ url: all.find((v) => v.id === 'e')!.url(null), body: all.find((v) => v.id === 'e')!.body, check: () => true, connections: 8, warmupSeconds: 0, durationSeconds: 3 });
    for (let round = 1; round <= options.rounds; round++) {
      const order = roundOrder(variants, round);
      for (const [index, variant] of order.entries()) {
        const label = `[${ctx.elapsed()}] round ${round}/${options.rounds} ${index + 1}/${order.length} (${variant.id}) ${variant.title}`;
        if (failures.has(variant.id)) continue;
        try {
          const result = await runOnce(variant, round, options, subgraphs.pid, upstreamCount);
          results.get(variant.id)!.push(result);
          out(`${label}: ${describe(result)}`);
          if (result.load.firstError) out(`  ! first wrong answer: ${result.load.firstError}`);
        } catch (error) {
          failures.set(variant.id, (error as Error).message);
          out(`${label}: FAILED: ${(error as Error).message}\n  → run it alone to see more: npm run bench -- --suite federation --only ${variant.id} --rounds 1`);
        }
      }
    }
  } finally {
    await subgraphs.stop();
    if (redis) for (const prefix of cachePrefixes) await deleteKeys(ctx.redisUrl, prefix).catch(() => 0);
  }
  printTable(ctx, variants, results, failures);
  const errors = [...results.values()].flat().some((r) => r.load.errors.mismatches + r.load.errors.non200 + r.load.errors.requestErrors > 0);
  return { failed: failures.size > 0 || errors };
}

async function runOnce(variant: Variant, round: number, options: SuiteContext['options'], subgraphsPid: number, upstreamCount: () => Promise<number>): Promise<RoundResult> {
  const child = variant.start ? await variant.start(round) : null;
  try {
    const url = variant.url(child);
    const coldStartMs = child ? await firstGoodAnswer(url, variant.body, variant.check, child.spawnedAt) : null;
    const load = await measureLoad({
      url,
      body: variant.body,
      check: variant.check,
      connections: options.connections,
      warmupSeconds: options.warmup,
      durationSeconds: options.duration,
      gatewayPid: child?.pid,
      subgraphsPid,
      upstreamCount,
    });
    return { load, coldStartMs, peakRssMiB: child ? peakRssMiB(child.pid) : null };
  } catch (error) {
    const tail = child?.stderrTail();
    throw new Error(`${(error as Error).message}${tail ? `\n--- stderr ---\n${tail}` : ''}`);
  } finally {
    await child?.stop();
  }
}

function describe(r: RoundResult): string {
  const l = r.load;
  const errors = l.errors.mismatches + l.errors.non200 + l.errors.requestErrors;
  return [
    r.coldStartMs !== null ? `cold start ${(r.coldStartMs / 1000).toFixed(2)} s` : null,
    `${l.rps.toFixed(1)} req/s`,
    `p50 ${fmt(l.p50, 0)} ms`,
    `p99 ${fmt(l.p99, 0)} ms`,
    l.gatewayCpuMsPerRequest !== null ? `gateway CPU ${fmt(l.gatewayCpuMsPerRequest, 2)} ms/req` : null,
    `subgraphs CPU ${fmt(l.subgraphsCpuMsPerRequest, 2)} ms/req`,
    `${fmt(l.upstreamPerRequest, 2)} fetches/req`,
    `load generator ${fmt(l.loadGeneratorCpuMsPerRequest, 2)} ms/req`,
    r.peakRssMiB !== null ? `peak RSS ${r.peakRssMiB.toFixed(0)} MiB` : null,
    `${l.responses} responses`,
    errors ? `${errors} ERRORS (${l.errors.mismatches} wrong bodies, ${l.errors.non200} non-200, ${l.errors.requestErrors} request errors)` : '0 errors',
  ]
    .filter(Boolean)
    .join(' · ');
}

function printTable(ctx: SuiteContext, variants: Variant[], results: Map<string, RoundResult[]>, failures: Map<string, string>) {
  const med = (id: string, pick: (r: RoundResult) => number | null) => {
    const values = (results.get(id) ?? []).map(pick).filter((v): v is number => v !== null);
    return values.length ? median(values) : null;
  };
  const rpsOf = (id: string) => med(id, (r) => r.load.rps);
  const cpuOf = (id: string) => med(id, (r) => r.load.gatewayCpuMsPerRequest);
  const rows = variants.map((v) => {
    const runs = results.get(v.id) ?? [];
    if (!runs.length) return [`(${v.id}) ${v.title}`, 'failed', '', '', '', '', '', '', '', '', '', '', failures.get(v.id)?.split('\n')[0] ?? ''];
    const errors = runs.reduce((n, r) => n + r.load.errors.mismatches + r.load.errors.non200 + r.load.errors.requestErrors, 0);
    return [
      `(${v.id}) ${v.title}`,
      fmt(rpsOf(v.id)),
      fmt(med(v.id, (r) => r.load.p50), 0),
      fmt(med(v.id, (r) => r.load.p99), 0),
      fmt(cpuOf(v.id), 2),
      fmt(med(v.id, (r) => r.load.subgraphsCpuMsPerRequest), 2),
      fmt(med(v.id, (r) => r.load.upstreamPerRequest), 2),
      fmt(med(v.id, (r) => r.peakRssMiB), 0),
      fmt(med(v.id, (r) => r.coldStartMs), 0),
      ratio(rpsOf(v.id), rpsOf('a')),
      percentOf(rpsOf(v.id), rpsOf('f')),
      ratio(cpuOf(v.id), cpuOf('a')),
      `${errors} in ${runs.length} runs`,
    ];
  });
  ctx.out(`\nMedians over rounds (${ctx.options.rounds} rounds; fresh gateway process per round):\n`);
  ctx.out(
    markdownTable(
      ['variant', 'req/s', 'p50 ms', 'p99 ms', 'gateway CPU ms/req', 'subgraphs CPU ms/req', 'subgraph fetches/req', 'peak RSS MiB', 'cold start ms', 'req/s vs (a)', 'req/s, % of (f)', 'CPU vs (a)', 'errors'],
      rows,
    ),
  );
}
