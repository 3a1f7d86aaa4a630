import { readFileSync } from 'node:fs';
import { createRedisStore, namespaced, readRedisUrl, redactRedisUrl } from '../common/cache';
import { ConfigError } from '../common/env';
import { silentLogger } from '../common/logger';
import { readSupergraph, type SupergraphFacts } from '../gateway/src/cache/analyze';
import { cacheSchema, freezeCache } from '../gateway/src/cache/config';
import { createEntityCache, InvalidationTargetError, resolveInvalidationTarget, type InvalidationTarget } from '../gateway/src/cache/entity-cache';
import { DEFAULT_SUPERGRAPH, parseCommand, runMain, type CliEnvIo } from './cli';

/**
 * `npm run -s cache -- invalidate (--type T --key JSON | --subgraph NAME | --tag TAG)
 * [--redis URL] [--prefix P] [--supergraph PATH]` drops entity cache entries.
 *
 * It talks to Redis directly (REDIS_URL, or --redis) with the same key layout as the gateway
 * (gateway/src/cache/entity-cache.ts), so it works while no gateway runs. Gateways sharing
 * that Redis see the change at once: the entity cache has no process-local layer. (Operators
 * without Redis access use `POST /cache/invalidate` with scope ops:cache instead.)
 *
 * Subgraph names, entity types and key fields are checked against the supergraph (the
 * committed schema/supergraph.graphql, or --supergraph: use the file the gateways run with);
 * unknown ones are refused with the valid names. Exit codes: 0 done, 1 Redis did not answer
 * or failed, 2 bad arguments.
 */
export const USAGE = `Usage: npm run -s cache -- invalidate (--type <Type> --key '<json>' | --subgraph <name> | --tag <type:key>) [--redis <url>] [--prefix <p>] [--supergraph <path>]

  --type, --key  one entity, e.g. --type Municipality --key '{"ags":"05122000"}'
  --subgraph     every gateway cache entry of one subgraph, e.g. --subgraph warnungen
                 (the subgraph's own upstream cache keeps its entries until their TTL)
  --tag          everything about one entity: <type lowercased>:<key value>, e.g. --tag municipality:05122000
  --redis        Redis URL (default REDIS_URL)
  --prefix       key prefix (default amtsgraph:)
  --supergraph   supergraph file (default schema/supergraph.graphql)
`;

export type CacheIo = CliEnvIo;

export async function runCacheCli(argv: string[], io: CacheIo): Promise<number> {
  const parsed = parseCommand(
    'cache',
    USAGE,
    argv,
    {
      type: { type: 'string' },
      key: { type: 'string' },
      subgraph: { type: 'string' },
      tag: { type: 'string' },
      redis: { type: 'string' },
      prefix: { type: 'string' },
      supergraph: { type: 'string' },
    },
    io,
    true,
  );
  if (typeof parsed === 'number') return parsed;
  const { positionals, fail } = parsed;
  const values = parsed.values as Partial<Record<'type' | 'key' | 'subgraph' | 'tag' | 'redis' | 'prefix' | 'supergraph', string>>;
  if (positionals[0] !== 'invalidate' || positionals.length !== 1) return fail(`expected the command "invalidate", received ${JSON.stringify(positionals.join(' '))}`);
  let target: InvalidationTarget;
  const chosen = [values.type !== undefined || values.key !== undefined, values.subgraph !== undefined, values.tag !== undefined].filter(Boolean).length;
  if (chosen !== 1) return fail('give exactly one of --type/--key, --subgraph, --tag');
  if (values.subgraph !== undefined) target = { subgraph: values.subgraph };
  else if (values.tag !== undefined) target = { tag: values.tag };
  else {
    let key: unknown;
    try {
      key = JSON.parse(values.key ?? '');
    } catch {
      key = null;
    }
    if (!values.type || !key || typeof key !== 'object' || Array.isArray(key)) {
      io.err(`--type needs --key with a JSON object such as '{"ags":"05122000"}', received ${JSON.stringify(values.key ?? null)}\n`);
      return 2;
    }
    target = { type: values.type, key: key as Record<string, unknown> };
  }
  // Names are checked against the supergraph before Redis is asked: a typo is an argument error.
  const supergraphPath = values.supergraph ?? DEFAULT_SUPERGRAPH;
  let sdl: string;
  let facts: SupergraphFacts;
  try {
    sdl = readFileSync(supergraphPath, 'utf8');
    facts = readSupergraph(sdl);
  } catch (error) {
    io.err(`Cannot read the supergraph ${supergraphPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    target = resolveInvalidationTarget(facts, target);
  } catch (error) {
    if (!(error instanceof InvalidationTargetError)) throw error;
    io.err(`${error.message}\n`);
    return 2;
  }
  let url: string | undefined;
  try {
    url = values.redis ?? readRedisUrl(io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`${error.message}\n`);
    return 2;
  }
  if (!url) {
    io.err('Set REDIS_URL (or --redis redis://127.0.0.1:6379): the entity cache lives in Redis.\n');
    return 2;
  }
  if (!/^rediss?:\/\/./.test(url)) {
    io.err(`--redis must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, received ${JSON.stringify(redactRedisUrl(url))}\n`);
    return 2;
  }
  const prefix = values.prefix ?? 'amtsgraph:';
  const store = createRedisStore({ url, keyPrefix: prefix, commandTimeoutMs: 2_000, logger: silentLogger });
  try {
    if (!(await store.whenReady(3_000))) {
      io.err(`Redis at ${redactRedisUrl(url)} (prefix ${prefix}) did not answer within 3 s: is it running? Pass its URL with --redis or REDIS_URL.\n`);
      return 1;
    }
    const cache = createEntityCache({
      store: namespaced(store, 'entity'),
      config: freezeCache(cacheSchema.parse({ enabled: true })),
      supergraphSdl: () => sdl,
      logger: silentLogger,
    });
    const result = await cache.invalidate(target);
    io.out(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

if (require.main === module) runMain('cache', runCacheCli);
