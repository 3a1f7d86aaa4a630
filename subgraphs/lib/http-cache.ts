import { createHash } from 'node:crypto';
import { silentLogger, type Logger } from '../../common/logger';
import { namespaced, positiveInt, type CacheStore, type CacheStoreStats } from '../../common/cache/store';

/**
 * The subgraphs' upstream HTTP cache: REST responses cached per URL and the request headers
 * that select a representation, by the upstream's own `Cache-Control`, in a cache store
 * (common/cache: Redis, shared by every process; or in-memory). The REST transport
 * (rest.ts) puts it in front of its upstream calls when a subgraph gives it a cache and a
 * policy for that upstream.
 *
 * What is stored (only `200` answers to GET):
 *
 * | upstream says                          | cache does                                                   |
 * |----------------------------------------|--------------------------------------------------------------|
 * | `no-store`                             | never stores                                                 |
 * | `private`                              | never stores: every store here is shared between users       |
 * | `s-maxage=N` / `max-age=N` / `Expires` | fresh for N seconds (minus `Age`), capped at `maxTtlSeconds` |
 * | `no-cache` (or max-age=0) + validator  | stores, but revalidates before every use                     |
 * | none of these                          | `defaultTtlSeconds` of the upstream's policy (0: not stored) |
 * | `Vary: *`, or Vary on a header outside `keyHeaders` | never stores                                    |
 *
 * A stale entry with an `ETag` or `Last-Modified` is revalidated with `If-None-Match` /
 * `If-Modified-Since`; a `304` refreshes its freshness without a body transfer. Stale
 * entries with a validator are kept `revalidateWindowSeconds` beyond their freshness for
 * that purpose; entries without one expire with their freshness.
 *
 * The key is a SHA-256 of the URL and the `keyHeaders` values (default `accept`,
 * `accept-language`); per-request headers such as `traceparent` or `x-request-id` are not
 * part of it. Hashing keeps query parameters out of the store's key space.
 *
 * Concurrent misses for one key within this process make ONE upstream request
 * (single-flight); the others wait for it (`coalesced` in the stats).
 *
 * Cancellation is per caller (`signal` of the request): a caller whose signal aborts stops
 * waiting at once and its `fetch` rejects with `signal.reason`; the shared upstream request is
 * aborted (the signal given to the origin) only when EVERY caller waiting for it has gone (a
 * caller without a signal never goes). An aborted upstream request stores nothing and leaves
 * a stale entry as it was; the next caller for that key starts a new request.
 *
 * The store never fails a request (common/cache/store.ts): when it is unavailable, the
 * request goes upstream uncached and `unavailable` counts it.
 *
 * Personal data: a `private` answer is never stored, and the transport of a personal-data
 * upstream must not get a cache policy at all (`cachePolicy: false` in rest.ts), so that a
 * vendor who forgets `private` cannot put residents' data into Redis.
 */
export interface UpstreamCachePolicy {
  /** Freshness when the upstream sends no `Cache-Control` max-age and no `Expires`. Default 0 (not stored). */
  defaultTtlSeconds?: number;
  /** Upper bound on any freshness, whatever the upstream says. Default 86400 (one day). */
  maxTtlSeconds?: number;
  /** How long a stale entry with ETag/Last-Modified stays for revalidation. Default 3600. */
  revalidateWindowSeconds?: number;
  /** Request headers (lower case) that select a representation; part of the key. Default `accept`, `accept-language`. */
  keyHeaders?: readonly string[];
}

export interface HttpCacheOptions {
  /** The store (one per process); the cache works in the namespace `namespace` of it. */
  store: CacheStore;
  /** Default `upstream`. */
  namespace?: string;
  /** Bodies longer than this (characters) are not stored. Default 1,000,000. */
  maxBodyChars?: number;
  /**
   * Values that replace those of every upstream's policy (an operator's global cap, or a
   * test's short TTLs). Upstreams without a policy (`cachePolicy: false`) stay uncached.
   */
  override?: UpstreamCachePolicy;
  logger?: Logger;
  now?: () => number;
}

/** What the origin (the transport's real request) answers; `body` is null for 304/404. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string | null;
}

/** How the cache answered: from the store, from the upstream, or without the cache. */
export type CacheOutcome = 'hit' | 'miss' | 'revalidated' | 'refetched' | 'coalesced' | 'bypassed' | 'unavailable';

export interface CachedResponse extends UpstreamResponse {
  cache: CacheOutcome;
}

/**
 * Sends the request with the given conditional headers (`if-none-match`, `if-modified-since`).
 * `signal` aborts when nobody waits for the answer any more: the origin should cancel its
 * request and reject.
 */
export type Origin = (conditional: Record<string, string>, signal?: AbortSignal) => Promise<UpstreamResponse>;

export interface UpstreamCacheRequest {
  url: string;
  /** Every header the request is sent with (lower-case names). */
  headers: Record<string, string>;
  /** The request carries a caller's own credentials: neither read nor stored. */
  perUser?: boolean;
  /** This caller went away: it stops waiting (see the cancellation contract above). */
  signal?: AbortSignal;
}

export interface UpstreamCacheStats {
  /** Served from the store, fresh, without an upstream request. */
  hits: number;
  /** Nothing in the store: a full upstream request. */
  misses: number;
  /** An entry was found but stale (or `no-cache`): went upstream (conditionally when it could). */
  stale: number;
  /** Of `stale`: the upstream answered 304, the entry was refreshed without a body. */
  revalidated: number;
  /** Waited for an identical request already in flight (single-flight) instead of going upstream. */
  coalesced: number;
  /** Answers written to the store. */
  stored: number;
  /** 200 answers not stored (no-store, private, no freshness, Vary, too large). */
  notStored: number;
  /** Requests with per-user credentials: the cache was not used. */
  bypassed: number;
  /** The store was unavailable: served uncached. */
  unavailable: number;
}

export interface UpstreamCache {
  fetch(request: UpstreamCacheRequest, origin: Origin): Promise<CachedResponse>;
  stats(): UpstreamCacheStats;
}

export interface HttpCache {
  readonly store: CacheStore;
  /** The cache for one upstream of one subgraph (the same stats for every call with the same names). */
  forUpstream(where: { subgraph: string; upstream: string }, policy: UpstreamCachePolicy): UpstreamCache;
  /** Counters per `subgraph/upstream`, and the store's own. */
  stats(): { store: CacheStoreStats; upstreams: Record<string, UpstreamCacheStats> };
  /** Deletes the cached answers of one subgraph (and upstream), or all; null when the store is unavailable. */
  purge(where?: { subgraph: string; upstream?: string }): Promise<number | null>;
}

/** Entry as stored (JSON). `v` changes when the format does; other versions count as misses. */
interface Entry {
  v: 1;
  body: string;
  /** The cache-relevant response headers, to recompute freshness after a 304 that omits them. */
  headers: StoredHeaders;
  /** Epoch ms until which the entry may be served without asking the upstream. */
  freshUntil: number;
}

type StoredHeaders = Partial<Record<(typeof STORED_HEADERS)[number], string>>;
const STORED_HEADERS = ['cache-control', 'expires', 'etag', 'last-modified', 'vary', 'content-type'] as const;

const NAME = /^[A-Za-z0-9_-]+$/;
const HEADER_NAME = /^[a-z0-9-]+$/;

function nonNegative(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${option} must be a number of seconds ≥ 0, received ${JSON.stringify(value)}`);
  }
  return value;
}

function resolvePolicy(policy: UpstreamCachePolicy, where: string) {
  const keyHeaders = policy.keyHeaders ?? ['accept', 'accept-language'];
  for (const name of keyHeaders) {
    if (!HEADER_NAME.test(name)) {
      throw new Error(`cache policy of ${where}: keyHeaders must be lower-case header names, received ${JSON.stringify(name)}`);
    }
  }
  return {
    defaultTtlMs: nonNegative(`cache policy of ${where}: defaultTtlSeconds`, policy.defaultTtlSeconds, 0) * 1000,
    maxTtlMs: nonNegative(`cache policy of ${where}: maxTtlSeconds`, policy.maxTtlSeconds, 86_400) * 1000,
    revalidateWindowMs: nonNegative(`cache policy of ${where}: revalidateWindowSeconds`, policy.revalidateWindowSeconds, 3_600) * 1000,
    keyHeaders: [...keyHeaders].sort(),
  };
}
type Policy = ReturnType<typeof resolvePolicy>;

const header = (headers: UpstreamResponse['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** `Cache-Control` directives, lower-cased; value `true` for directives without argument. */
export function parseCacheControl(value: string | undefined): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  if (!value) return directives;
  for (const part of value.split(',')) {
    const [rawName, ...rest] = part.split('=');
    const name = rawName!.trim().toLowerCase();
    if (!name) continue;
    const arg = rest.join('=').trim().replace(/^"(.*)"$/, '$1');
    directives.set(name, rest.length > 0 ? arg : true);
  }
  return directives;
}

const seconds = (value: string | true | undefined): number | undefined => {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
};

export type Storability =
  | { store: true; freshMs: number; keepMs: number }
  | { store: false; reason: 'no-store' | 'private' | 'vary' | 'no-freshness' | 'too-large' };

/**
 * Whether and how long an answer with these headers may be kept (RFC 9111 for a shared
 * cache, without heuristic freshness: what the upstream does not state, the policy decides).
 */
export function storability(headers: StoredHeaders & { date?: string; age?: string }, policy: Policy, now: number): Storability {
  const cc = parseCacheControl(headers['cache-control']);
  if (cc.has('no-store')) return { store: false, reason: 'no-store' };
  if (cc.has('private')) return { store: false, reason: 'private' };
  const vary = (headers.vary ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);
  if (vary.some((name) => name === '*' || (name !== 'accept-encoding' && !policy.keyHeaders.includes(name)))) {
    return { store: false, reason: 'vary' };
  }
  const hasValidator = Boolean(headers.etag || headers['last-modified']);
  let lifetimeMs: number | undefined;
  const maxAge = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  if (maxAge !== undefined) lifetimeMs = maxAge * 1000;
  else if (headers.expires !== undefined) {
    const expires = Date.parse(headers.expires);
    const date = headers.date ? Date.parse(headers.date) : now;
    lifetimeMs = Number.isNaN(expires) ? 0 : Math.max(0, expires - (Number.isNaN(date) ? now : date));
  } else if (!cc.has('no-cache')) {
    if (policy.defaultTtlMs <= 0) return { store: false, reason: 'no-freshness' };
    lifetimeMs = policy.defaultTtlMs;
  } else {
    lifetimeMs = 0;
  }
  const ageMs = (seconds(headers.age) ?? 0) * 1000;
  let freshMs = Math.min(Math.max(0, lifetimeMs - ageMs), policy.maxTtlMs);
  if (cc.has('no-cache')) freshMs = 0;
  const keepMs = freshMs + (hasValidator ? policy.revalidateWindowMs : 0);
  if (keepMs <= 0) return { store: false, reason: 'no-freshness' };
  return { store: true, freshMs, keepMs };
}

const pickStored = (headers: UpstreamResponse['headers']): StoredHeaders => {
  const picked: StoredHeaders = {};
  for (const name of STORED_HEADERS) {
    const value = header(headers, name);
    if (value !== undefined) picked[name] = value;
  }
  return picked;
};

const emptyStats = (): UpstreamCacheStats => ({
  hits: 0,
  misses: 0,
  stale: 0,
  revalidated: 0,
  coalesced: 0,
  stored: 0,
  notStored: 0,
  bypassed: 0,
  unavailable: 0,
});

/**
 * Single-flight whose callers can leave: like common/cache/single-flight.ts, but each caller
 * may pass a signal. A caller that aborts is rejected at once with its signal's reason; the
 * task's own signal aborts when the last caller has left, and the key is freed at that moment
 * so that a new caller does not join a request that is being cancelled.
 */
function createCancellableFlights<T>() {
  interface Flight {
    promise: Promise<T>;
    controller: AbortController;
    /** Callers still waiting; a caller without a signal stays until the end. */
    waiting: number;
  }
  const flights = new Map<string, Flight>();

  const start = (key: string, task: (signal: AbortSignal) => Promise<T>): Flight => {
    const controller = new AbortController();
    const flight: Flight = { promise: (async () => task(controller.signal))(), controller, waiting: 0 };
    flights.set(key, flight);
    const free = () => {
      if (flights.get(key) === flight) flights.delete(key);
    };
    flight.promise.then(free, free);
    return flight;
  };

  const wait = (flight: Flight, key: string, signal: AbortSignal | undefined): Promise<T> => {
    flight.waiting += 1;
    if (!signal) return flight.promise;
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        flight.waiting -= 1;
        if (flight.waiting === 0) {
          if (flights.get(key) === flight) flights.delete(key);
          flight.controller.abort(signal.reason);
        }
        reject(signal.reason);
      };
      if (signal.aborted) return leave();
      signal.addEventListener('abort', leave, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(error);
        },
      );
    });
  };

  return {
    /** Runs `task` unless one for `key` is in flight; `joined` tells whether this caller waited for another's. */
    async run(key: string, task: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<{ value: T; joined: boolean }> {
      if (signal?.aborted) throw signal.reason;
      const existing = flights.get(key);
      const flight = existing ?? start(key, task);
      return { value: await wait(flight, key, signal), joined: existing !== undefined };
    },
  };
}

export function createHttpCache(options: HttpCacheOptions): HttpCache {
  const namespace = options.namespace ?? 'upstream';
  const store = namespaced(options.store, namespace);
  const maxBodyChars = positiveInt('http cache maxBodyChars', options.maxBodyChars, 1_000_000);
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const flights = createCancellableFlights<CachedResponse>();
  // One counter set per subgraph/upstream pair: a fixed, small set (the registry's subgraphs).
  const statsByUpstream = new Map<string, UpstreamCacheStats>();

  const readEntry = (value: string): Entry | null => {
    try {
      const entry = JSON.parse(value) as Entry;
      return entry && entry.v === 1 && typeof entry.body === 'string' && typeof entry.freshUntil === 'number' ? entry : null;
    } catch {
      return null;
    }
  };

  const fromEntry = (entry: Entry, cache: CacheOutcome): CachedResponse => ({
    status: 200,
    headers: { ...entry.headers },
    body: entry.body,
    cache,
  });

  return {
    store: options.store,
    forUpstream(where, rawPolicy) {
      if (!NAME.test(where.subgraph) || !NAME.test(where.upstream)) {
        throw new Error(`http cache: subgraph and upstream names must be letters, digits, "_" or "-", received "${where.subgraph}"/"${where.upstream}"`);
      }
      const label = `${where.subgraph}/${where.upstream}`;
      const policy = resolvePolicy({ ...rawPolicy, ...options.override }, label);
      let stats = statsByUpstream.get(label);
      if (!stats) {
        stats = emptyStats();
        statsByUpstream.set(label, stats);
      }
      const counters = stats;
      const keyPrefix = `${where.subgraph}:${where.upstream}:`;

      const keyOf = (request: UpstreamCacheRequest): string => {
        const lower = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
        const material = [`GET ${request.url}`, ...policy.keyHeaders.map((name) => `${name}: ${lower[name] ?? ''}`)].join('\n');
        return keyPrefix + createHash('sha256').update(material).digest('base64url');
      };

      /** Stores a 200 answer when its headers allow; removes an older entry when they do not. */
      const keep = async (key: string, body: string, headers: UpstreamResponse['headers'], hadEntry: boolean) => {
        const stored = pickStored(headers);
        const decision: Storability =
          body.length > maxBodyChars
            ? { store: false, reason: 'too-large' }
            : storability({ ...stored, date: header(headers, 'date'), age: header(headers, 'age') }, policy, now());
        if (!decision.store) {
          counters.notStored += 1;
          if (hadEntry) await store.delete(key);
          logger.debug({ subgraph: where.subgraph, upstream: where.upstream, reason: decision.reason }, 'upstream answer not cached');
          return;
        }
        const entry: Entry = { v: 1, body, headers: stored, freshUntil: now() + decision.freshMs };
        if (await store.set(key, JSON.stringify(entry), decision.keepMs)) counters.stored += 1;
      };

      /** `signal`: the flight's, aborted when no caller waits any more. */
      const lookup = async (key: string, origin: Origin, signal: AbortSignal): Promise<CachedResponse> => {
        const read = await store.get(key);
        if (read.status === 'unavailable') {
          // Not written either: a store that just failed a read would most likely fail (or
          // delay) the write too. It is tried again with the next request.
          counters.unavailable += 1;
          return { ...(await origin({}, signal)), cache: 'unavailable' };
        }
        const entry = read.status === 'hit' ? readEntry(read.value) : null;
        if (entry && now() < entry.freshUntil) {
          counters.hits += 1;
          return fromEntry(entry, 'hit');
        }
        const conditional: Record<string, string> = {};
        if (entry) {
          counters.stale += 1;
          if (entry.headers.etag) conditional['if-none-match'] = entry.headers.etag;
          if (entry.headers['last-modified']) conditional['if-modified-since'] = entry.headers['last-modified'];
        } else {
          counters.misses += 1;
        }
        const response = await origin(conditional, signal);
        if (response.status === 304 && entry) {
          counters.revalidated += 1;
          // The 304's headers update the stored ones (RFC 9111 §4.3.4); the body stays.
          const merged = { ...entry.headers, ...pickStored(response.headers) };
          await keep(key, entry.body, { ...merged, date: header(response.headers, 'date'), age: header(response.headers, 'age') }, true);
          return fromEntry({ ...entry, headers: merged }, 'revalidated');
        }
        if (response.status === 200 && response.body !== null) await keep(key, response.body, response.headers, entry !== null);
        else if (entry) await store.delete(key);
        return { ...response, cache: entry ? 'refetched' : 'miss' };
      };

      return {
        async fetch(request, origin) {
          if (request.perUser) {
            counters.bypassed += 1;
            return { ...(await origin({}, request.signal)), cache: 'bypassed' };
          }
          const key = keyOf(request);
          const { value, joined } = await flights.run(`${namespace}:${key}`, (signal) => lookup(key, origin, signal), request.signal);
          if (joined) {
            counters.coalesced += 1;
            return { ...value, cache: 'coalesced' };
          }
          return value;
        },
        stats: () => ({ ...counters }),
      };
    },
    stats() {
      return {
        store: options.store.stats(),
        upstreams: Object.fromEntries([...statsByUpstream].map(([label, counters]) => [label, { ...counters }])),
      };
    },
    async purge(where) {
      if (where && (!NAME.test(where.subgraph) || (where.upstream !== undefined && !NAME.test(where.upstream)))) {
        throw new Error(`http cache purge: names must be letters, digits, "_" or "-", received "${where.subgraph}"/"${where.upstream ?? ''}"`);
      }
      const prefix = where ? `${where.subgraph}:${where.upstream !== undefined ? `${where.upstream}:` : ''}` : '';
      return store.deleteByPrefix(prefix);
    },
  };
}
