import { createSingleFlight, type CacheStore } from '../../../common/cache';
import type { Identity } from '../../../common/identity';
import type { Logger } from '../../../common/logger';
import type { EngineContext, FetchInterceptor, SubgraphResponse } from '../engine/types';
import type { GatewayMetrics } from '../ops/metrics';
import { canonicalJson, readSupergraph, sha256, type SupergraphFacts } from './analyze';
import type { CacheConfig } from './config';

/**
 * The gateway entity cache: a fetch interceptor (engine.interceptFetches) in front of every
 * subgraph fetch.
 *
 * - `_entities` fetches are split per representation. Entry key (in the store's `entity`
 *   namespace): `e:<subgraph>:<Type>:<sha256(key values)>:<sha256(operation)>:<sha256(representation)>`.
 *   A partial hit sends only the missing representations and merges the answers in order.
 * - Root-field fetches of queries: `r:<subgraph>:<sha256(operation)>:<sha256(variables)>`.
 * - A fetch whose selection touches a restricted coordinate (authz rules of the supergraph)
 *   is never stored in a shared entry (`private: skip`, default); `per-subject` partitions by a
 *   hash of the caller, and only with a store that is not shared.
 * - Answers with errors are not stored: per representation, an entity with an error at its
 *   path is not stored; a root fetch with any error is not stored.
 * - TTL: min(subgraph `Cache-Control` max-age, `types.<Type>.ttlSeconds` or `defaultTtlSeconds`).
 * - `extensions.invalidations: [{ type, key }]` in a subgraph answer invalidates those entities.
 * - Concurrent identical misses make one subgraph fetch (single-flight, per process).
 * - Store down or slow: the store answers `unavailable` and the fetch goes to the subgraph.
 *
 * Invalidation targets: `{ type, key }` and `{ tag: "<type lowercased>:<key value>" }` drop the
 * entity's entries in every subgraph and, coarsely, every root-field entry (a root list may
 * contain the entity); `{ subgraph }` drops that subgraph's entries. Every target also drops
 * every whole-response entry (`q:`, response-cache.ts): an answer may contain anything. There
 * is no in-process layer, so replicas sharing one Redis see an invalidation at once.
 *
 * Entries carry their expiry (`x`, epoch ms), so that `requestFreshness` can tell the response
 * cache how long an answer built from this request's fetches stays fresh.
 */
export type InvalidationTarget = { type: string; key: Record<string, unknown> } | { subgraph: string } | { tag: string };

/** An invalidation target naming something the supergraph does not have; the message lists the valid names. */
export class InvalidationTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidationTargetError';
  }
}

/**
 * Checks a target against the supergraph and resolves a tag to its `{ type, key }`. Refused
 * (InvalidationTargetError): a subgraph that is not a `@join__graph` of the supergraph, a type
 * that is not an entity (no `@key`), a key whose fields are not exactly the type's `@key`
 * fields, a tag of an unknown type or of a type with a compound key. Such a target would match
 * no entry, so accepting it would only hide a typo (`deleted: 0`).
 */
export function resolveInvalidationTarget(f: SupergraphFacts, target: InvalidationTarget): InvalidationTarget {
  const list = (names: Iterable<string>) => [...names].sort().join(', ');
  if ('subgraph' in target) {
    if (!f.subgraphs.includes(target.subgraph)) {
      throw new InvalidationTargetError(`unknown subgraph ${JSON.stringify(target.subgraph)}; the subgraphs are ${list(f.subgraphs)}`);
    }
    return target;
  }
  if ('tag' in target) {
    const separator = target.tag.indexOf(':');
    const typeName = separator > 0 ? f.typesByLowerName.get(target.tag.slice(0, separator).toLowerCase()) : undefined;
    const fields = typeName ? f.keyFields.get(typeName) : undefined;
    if (!typeName || !fields || fields.length !== 1) {
      const taggable = [...f.keyFields].filter(([, keyFields]) => keyFields.length === 1).map(([type]) => type.toLowerCase());
      throw new InvalidationTargetError(
        `tag must be "<entity type lowercased>:<key value>" of a type with a single key field (${list(taggable)}), received ${JSON.stringify(target.tag)}`,
      );
    }
    return { type: typeName, key: { [fields[0]!]: target.tag.slice(separator + 1) } };
  }
  const fields = f.topLevelKeyFields.get(target.type);
  if (!fields) {
    throw new InvalidationTargetError(`unknown entity type ${JSON.stringify(target.type)}; the entity types are ${list(f.topLevelKeyFields.keys())}`);
  }
  const received = Object.keys(target.key);
  if (received.length !== fields.length || !fields.every((name) => received.includes(name))) {
    throw new InvalidationTargetError(
      `the key of ${target.type} must have exactly its @key field${fields.length === 1 ? '' : 's'} ${fields.join(', ')}, received ${received.length ? received.map((name) => JSON.stringify(name)).join(', ') : 'no fields'}`,
    );
  }
  return target;
}

export interface CacheTypeStats {
  hit: number;
  miss: number;
  stale: number;
  bypass: number;
  stored: number;
}

/**
 * Per request: how long an answer built from its fetches may be kept (the response cache).
 * `ttlMs`: the smallest remaining lifetime of what its fetches returned (an entry's expiry on a
 * hit, the TTL computed for a fetched answer; `Infinity` when no fetch bounded it).
 * `uncacheable`: a fetch bypassed the cache (restricted selection, mutation, no supergraph, an
 * oversized representation list) or the subgraph answered `no-store`/`no-cache`/`private`.
 */
export interface RequestFreshness {
  ttlMs: number;
  uncacheable: boolean;
}

/** Per request: what came from the cache (the `extensions.cache` debug view). */
export interface RequestCacheLog {
  entities: { subgraph: string; type: string; key: Record<string, unknown> }[];
  rootFields: { subgraph: string }[];
  hits: number;
  misses: number;
}

export interface EntityCache {
  readonly intercept: FetchInterceptor;
  invalidate(target: InvalidationTarget): Promise<{ deleted: number; resolved: InvalidationTarget }>;
  /** Per entity type (and `Query` for root fields); bounded by the supergraph's types. */
  stats(): Record<string, CacheTypeStats>;
  /** The cache log of one request (by its context), when one was kept. */
  requestLog(context: object): RequestCacheLog | undefined;
  /** Keep a cache log for this request (debug header of an operator). */
  trackRequest(context: object): void;
  /** Lookups of one request (by its context) served from the cache / not: the plan store's hit ratio. */
  requestCounts(context: object): { hits: number; misses: number } | null;
  /** Freshness of one request's fetches (by its context); null when it made none. */
  requestFreshness(context: object): RequestFreshness | null;
  /** The supergraph facts the cache works with (null before a supergraph is loaded). */
  facts(): SupergraphFacts | null;
}

export interface EntityCacheOptions {
  /** A view namespaced for the entity cache (`namespaced(store, 'entity')`). */
  store: CacheStore;
  config: CacheConfig;
  supergraphSdl: () => string | null;
  metrics?: GatewayMetrics | null;
  logger: Logger;
}

interface StoredEntity {
  v: unknown;
  /** Expiry, epoch ms (entries written before it existed have none). */
  x?: number;
}

const MAX_REPRESENTATIONS_PER_FETCH = 1_000;

export function createEntityCache(options: EntityCacheOptions): EntityCache {
  const { store, config, logger, metrics } = options;
  const perSubject = config.private === 'per-subject' && !store.shared;
  if (config.private === 'per-subject' && store.shared) {
    logger.warn('entity cache: private "per-subject" needs a store that is not shared; restricted fetches are not cached');
  }
  let facts: SupergraphFacts | null = null;
  const currentFacts = (): SupergraphFacts | null => {
    const sdl = options.supergraphSdl();
    if (!sdl) return null;
    if (!facts || facts.sdl !== sdl) facts = readSupergraph(sdl);
    return facts;
  };
  const typeStats = new Map<string, CacheTypeStats>();
  const count = (type: string, what: keyof CacheTypeStats, n = 1) => {
    if (n <= 0) return;
    let entry = typeStats.get(type);
    if (!entry) {
      // Bounded: only types of the supergraph (and Query) get their own entry.
      const known = type === 'Query' || facts?.keyFields.has(type);
      const label = known ? type : 'other';
      entry = typeStats.get(label) ?? { hit: 0, miss: 0, stale: 0, bypass: 0, stored: 0 };
      typeStats.set(label, entry);
    }
    entry[what] += n;
    if (what === 'hit' || what === 'miss') metrics?.recordCache('entity', what, n);
  };
  const logs = new WeakMap<object, RequestCacheLog>();
  const requestCounts = new WeakMap<object, { hits: number; misses: number }>();
  const countRequest = (context: object, hits: number, misses: number) => {
    const entry = requestCounts.get(context) ?? { hits: 0, misses: 0 };
    entry.hits += hits;
    entry.misses += misses;
    requestCounts.set(context, entry);
  };
  const flights = createSingleFlight<{ response: SubgraphResponse; maxAgeSeconds: number | null }>();
  const freshness = new WeakMap<object, RequestFreshness>();
  /** A fetch of this request returned something that stays fresh for `ms` (≤ 0: must not be kept). */
  const bound = (context: object, ms: number) => {
    const entry = freshness.get(context) ?? { ttlMs: Infinity, uncacheable: false };
    entry.ttlMs = Math.min(entry.ttlMs, ms);
    if (!(ms > 0)) entry.uncacheable = true;
    freshness.set(context, entry);
  };
  const uncacheable = (context: object) => bound(context, 0);
  /** Remaining lifetime of a stored entry: its expiry, else (older entries) its full TTL. */
  const remaining = (expiry: unknown, fullMs: number) => (typeof expiry === 'number' ? expiry - Date.now() : fullMs);

  const ttlMs = (type: string, maxAgeSeconds: number | null, root: boolean) => {
    const configured = root ? config.rootTtlSeconds : (config.types[type]?.ttlSeconds ?? config.defaultTtlSeconds);
    const seconds = maxAgeSeconds === null ? configured : Math.min(configured, maxAgeSeconds);
    return seconds * 1000;
  };

  const partitionOf = (context: EngineContext, restricted: boolean): string | null => {
    if (!restricted) return '';
    if (!perSubject) return null;
    const identity = (context as EngineContext & { identity?: Identity }).identity;
    if (!identity || identity.anonymous) return null;
    return `:p:${sha256(canonicalJson(identity))}`;
  };

  const keyOf = (f: SupergraphFacts, type: string, representation: Record<string, unknown>): Record<string, unknown> => {
    const fields = f.keyFields.get(type);
    const key: Record<string, unknown> = {};
    if (fields?.every((name) => name in representation)) {
      for (const name of fields) key[name] = representation[name];
      return key;
    }
    for (const [name, value] of Object.entries(representation)) if (name !== '__typename') key[name] = value;
    return key;
  };

  async function handleInvalidations(response: SubgraphResponse): Promise<void> {
    const list = response.extensions?.invalidations;
    if (!Array.isArray(list)) return;
    for (const item of list.slice(0, 100)) {
      if (item && typeof item === 'object' && typeof item.type === 'string' && item.key && typeof item.key === 'object') {
        try {
          await invalidate({ type: item.type, key: item.key as Record<string, unknown> });
        } catch (error) {
          // A subgraph's wrong announcement must not fail the request that carried it.
          if (!(error instanceof InvalidationTargetError)) throw error;
          logger.warn({ problem: error.message }, 'entity cache: ignored an invalidation a subgraph announced');
        }
      }
    }
  }

  async function fetchEntities(
    f: SupergraphFacts,
    context: EngineContext,
    subgraph: string,
    hash: string,
    partition: string,
    variables: Record<string, unknown>,
    send: Parameters<FetchInterceptor>[2],
  ): Promise<SubgraphResponse> {
    const representations = variables.representations as Record<string, unknown>[];
    const entries = representations.map((representation) => {
      const type = String(representation.__typename ?? '');
      const key = keyOf(f, type, representation);
      return {
        type,
        key,
        storeKey: `e:${subgraph}:${type}:${sha256(canonicalJson(key))}:${hash}:${sha256(canonicalJson(representation))}${partition}`,
      };
    });
    const reads = await Promise.all(entries.map((e) => store.get(e.storeKey)));
    const results: unknown[] = new Array(representations.length).fill(null);
    const missing: number[] = [];
    const log = logs.get(context);
    reads.forEach((read, i) => {
      const entry = entries[i]!;
      if (read.status === 'hit') {
        try {
          const stored = JSON.parse(read.value) as StoredEntity;
          results[i] = stored.v;
          bound(context, remaining(stored.x, ttlMs(entry.type, null, false)));
          count(entry.type, 'hit');
          log?.entities.push({ subgraph, type: entry.type, key: entry.key });
          return;
        } catch {
          // A damaged entry is a miss.
        }
      }
      count(entry.type, 'miss');
      missing.push(i);
    });
    if (log) {
      log.hits += representations.length - missing.length;
      log.misses += missing.length;
    }
    countRequest(context, representations.length - missing.length, missing.length);
    if (!missing.length) return { data: { _entities: results } };

    const missVariables = missing.length === representations.length ? variables : { ...variables, representations: missing.map((i) => representations[i]) };
    const flightKey = `e:${subgraph}:${hash}:${partition}:${sha256(canonicalJson(missVariables))}`;
    const { value } = await flights.run(flightKey, () => send(missVariables));
    const { response, maxAgeSeconds } = value;
    await handleInvalidations(response);
    const fetched = (response.data?._entities as unknown[] | undefined) ?? null;
    // Errors: remap `_entities.<i>` paths of the miss list to the original positions.
    const failed = new Set<number>();
    let unanchored = false;
    const errors = response.errors?.map((error) => {
      const path = error.path;
      if (path && path[0] === '_entities' && typeof path[1] === 'number' && missing[path[1]] !== undefined) {
        failed.add(path[1]);
        return { ...error, path: ['_entities', missing[path[1]]!, ...path.slice(2)] };
      }
      unanchored = true;
      return error;
    });
    const writes: Promise<boolean>[] = [];
    missing.forEach((original, j) => {
      const entity = fetched?.[j] ?? null;
      results[original] = entity;
      const entry = entries[original]!;
      const ttl = ttlMs(entry.type, maxAgeSeconds, false);
      bound(context, ttl);
      if (!fetched || unanchored || failed.has(j) || entity === null) return;
      if (ttl <= 0) return;
      writes.push(store.set(entry.storeKey, JSON.stringify({ v: entity, x: Date.now() + ttl } satisfies StoredEntity), ttl));
      count(entry.type, 'stored');
    });
    await Promise.all(writes);
    const merged: SubgraphResponse = { data: fetched || missing.length < representations.length ? { _entities: results } : (response.data ?? null) };
    if (errors?.length) (merged as { errors?: unknown }).errors = errors;
    if (response.extensions) merged.extensions = response.extensions;
    return merged;
  }

  const intercept: FetchInterceptor = async (context, fetch, send) => {
    const f = currentFacts();
    const variables = fetch.variables;
    if (!f) {
      uncacheable(context);
      return (await send(variables)).response;
    }
    const analysis = f.analyze(fetch.operation);
    const partition = analysis.query ? partitionOf(context, analysis.restricted) : null;
    // A bypassed fetch (null) or a per-subject entry (the caller's own): the answer is not public.
    if (partition !== '') uncacheable(context);
    if (partition === null) {
      count(fetch.entity ? 'other' : 'Query', 'bypass');
      const { response } = await send(variables);
      await handleInvalidations(response);
      return response;
    }
    if (fetch.entity) {
      const representations = variables?.representations;
      if (!Array.isArray(representations) || !representations.length || representations.length > MAX_REPRESENTATIONS_PER_FETCH) {
        uncacheable(context);
        return (await send(variables)).response;
      }
      return fetchEntities(f, context, fetch.subgraph, analysis.hash, partition, variables!, send);
    }
    if (!config.rootFields) {
      const { response, maxAgeSeconds } = await send(variables);
      bound(context, maxAgeSeconds === null ? Infinity : maxAgeSeconds * 1000);
      return response;
    }
    const storeKey = `r:${fetch.subgraph}:${analysis.hash}:${sha256(canonicalJson(variables ?? {}))}${partition}`;
    const log = logs.get(context);
    const read = await store.get(storeKey);
    if (read.status === 'hit') {
      try {
        const { x: expiry, ...response } = JSON.parse(read.value) as SubgraphResponse & { x?: number };
        bound(context, remaining(expiry, ttlMs('Query', null, true)));
        count('Query', 'hit');
        if (log) {
          log.hits++;
          log.rootFields.push({ subgraph: fetch.subgraph });
        }
        countRequest(context, 1, 0);
        return response;
      } catch {
        // A damaged entry is a miss.
      }
    }
    count('Query', 'miss');
    if (log) log.misses++;
    countRequest(context, 0, 1);
    const { value } = await flights.run(`${storeKey}`, () => send(variables));
    const { response, maxAgeSeconds } = value;
    await handleInvalidations(response);
    const ttl = ttlMs('Query', maxAgeSeconds, true);
    bound(context, ttl);
    if (!response.errors?.length && response.data) {
      if (ttl > 0 && (await store.set(storeKey, JSON.stringify({ data: response.data, x: Date.now() + ttl }), ttl))) count('Query', 'stored');
    }
    return response;
  };

  async function invalidate(target: InvalidationTarget): Promise<{ deleted: number; resolved: InvalidationTarget }> {
    const f = currentFacts();
    if (!f && 'tag' in target) throw new InvalidationTargetError(`no supergraph is loaded yet, so the tag ${JSON.stringify(target.tag)} cannot be resolved`);
    // Without a supergraph there is nothing to check names against (and nothing was cached by this process).
    const resolved = f ? resolveInvalidationTarget(f, target) : target;
    let deleted = 0;
    if ('subgraph' in resolved) {
      deleted += (await store.deleteByPrefix(`e:${resolved.subgraph}:`)) ?? 0;
      deleted += (await store.deleteByPrefix(`r:${resolved.subgraph}:`)) ?? 0;
    } else if ('type' in resolved) {
      const keyHash = sha256(canonicalJson(resolved.key));
      for (const subgraph of f?.subgraphs ?? []) {
        deleted += (await store.deleteByPrefix(`e:${subgraph}:${resolved.type}:${keyHash}:`)) ?? 0;
      }
      // Root-field entries may contain the entity (a list): dropped, coarsely, all of them.
      deleted += (await store.deleteByPrefix('r:')) ?? 0;
    }
    // Whole answers (response-cache.ts) may contain anything: dropped, coarsely, all of them.
    deleted += (await store.deleteByPrefix('q:')) ?? 0;
    logger.info({ target: 'subgraph' in resolved ? { subgraph: resolved.subgraph } : 'type' in resolved ? { type: resolved.type } : {}, deleted }, 'entity cache invalidated');
    return { deleted, resolved };
  }

  return {
    intercept,
    invalidate,
    stats: () => Object.fromEntries([...typeStats].map(([type, stats]) => [type, { ...stats }])),
    requestLog: (context) => logs.get(context),
    requestCounts: (context) => requestCounts.get(context) ?? null,
    requestFreshness: (context) => {
      const entry = freshness.get(context);
      return entry ? { ...entry } : null;
    },
    facts: currentFacts,
    trackRequest: (context) => {
      logs.set(context, { entities: [], rootFields: [], hits: 0, misses: 0 });
    },
  };
}
