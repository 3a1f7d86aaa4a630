/**
 * The cache store contract shared by every cache in Amtsgraph: the subgraphs' upstream HTTP
 * cache (subgraphs/lib/http-cache.ts) today, the gateway's entity cache later.
 *
 * A store keeps string values under string keys for a bounded time. Two implementations:
 *
 * - `createRedisStore` (redis-store.ts): the SHARED store, one Redis for every process;
 * - `createMemoryStore` (memory-store.ts): one process only, bounded (entries and bytes);
 *   the fallback when no Redis is configured.
 *
 * The contract that makes caches safe to put in front of every request: a store method NEVER
 * rejects. When the store is down, slow or full, reads answer `{ status: 'unavailable' }`,
 * writes and deletes answer `false`/`null`, and the caller carries on uncached. The store
 * counts these events in `stats()` and logs them rate-limited (degradation.ts).
 *
 * Keys: every caller works in its own namespace (`namespaced(store, 'upstream')`), and the
 * store adds its own `keyPrefix` in front (Redis default `amtsgraph:`). Keys must not carry
 * personal data in clear text (hash request details, as the HTTP cache does).
 */
export type StoreRead = { status: 'hit'; value: string } | { status: 'miss' } | { status: 'unavailable' };
/** A read of the stored bytes (UTF-8), for values that are sent on unchanged (no decoding). */
export type StoreBytesRead = { status: 'hit'; value: Buffer } | { status: 'miss' } | { status: 'unavailable' };

export interface CacheStoreStats {
  /** `redis` or `memory`. */
  kind: StoreKind;
  /** Whether entries are visible to other processes (Redis). */
  shared: boolean;
  /** Whether the store answers right now (Redis: connected and not in back-off). */
  available: boolean;
  /** Reads that found a value / found none. */
  hits: number;
  misses: number;
  /** Values written. */
  sets: number;
  /** Keys deleted (by `delete` or `deleteByPrefix`). */
  deletes: number;
  /**
   * Operations that did not reach the store: it was disconnected, in back-off after
   * failures, too slow (timeout) or answered an error. Each one was served uncached.
   */
  unavailable: number;
  /** Of `unavailable`: operations that exceeded the command timeout. */
  timeouts: number;
  /** Of `unavailable`: operations the store answered with an error. */
  errors: number;
  /** Memory store: entries held now; Redis: not known (null). */
  entries: number | null;
  /** Memory store: entries dropped to stay within its bounds. */
  evictions: number;
}

export type StoreKind = 'redis' | 'memory';

export interface CacheStore {
  readonly kind: StoreKind;
  /** True when values leave this process (Redis): personal data must never be written here. */
  readonly shared: boolean;
  /** A human-readable description without secrets, e.g. `redis redis://127.0.0.1:6379 (prefix amtsgraph:)`. */
  readonly description: string;
  get(key: string): Promise<StoreRead>;
  /** Like `get`, but the value's UTF-8 bytes: a value that is only passed on is never decoded. */
  getBytes(key: string): Promise<StoreBytesRead>;
  /** Stores `value` for `ttlMs` (> 0) milliseconds. `true` when stored. Never rejects. */
  set(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** `true` when a key was deleted, `false` when there was none or the store is unavailable. */
  delete(key: string): Promise<boolean>;
  /** Deletes every key that starts with `prefix`; the number deleted, `null` when unavailable. */
  deleteByPrefix(prefix: string): Promise<number | null>;
  /** The remaining time to live of a key in ms; `null` when absent or unavailable (tests, diagnostics). */
  ttl(key: string): Promise<number | null>;
  /** Whether the store answers right now (no I/O). */
  available(): boolean;
  stats(): CacheStoreStats;
  /** Releases connections and timers. Namespaced views do not close their parent. */
  close(): Promise<void>;
}

/**
 * A view of `store` in which every key is prefixed with `namespace:`. Many caches share one
 * store (one Redis connection per process) without key collisions, and one cache can be
 * purged with `deleteByPrefix('')`. `stats()` are the parent's; `close()` is a no-op.
 */
export function namespaced(store: CacheStore, namespace: string): CacheStore {
  if (!/^[A-Za-z0-9_.:-]+$/.test(namespace)) {
    throw new Error(`cache namespace must be letters, digits, "_", ".", ":" or "-", received "${namespace}"`);
  }
  const prefix = `${namespace}:`;
  return {
    kind: store.kind,
    shared: store.shared,
    description: `${store.description} namespace ${namespace}`,
    get: (key) => store.get(prefix + key),
    getBytes: (key) => store.getBytes(prefix + key),
    set: (key, value, ttlMs) => store.set(prefix + key, value, ttlMs),
    delete: (key) => store.delete(prefix + key),
    deleteByPrefix: (keyPrefix) => store.deleteByPrefix(prefix + keyPrefix),
    ttl: (key) => store.ttl(prefix + key),
    available: () => store.available(),
    stats: () => store.stats(),
    close: async () => {},
  };
}

/** Validates a positive integer option and names option, expectation and received value. */
export function positiveInt(option: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${option} must be an integer ≥ ${min}, received ${JSON.stringify(value)}`);
  }
  return value;
}
