import { positiveInt, type CacheStore, type CacheStoreStats, type StoreBytesRead, type StoreRead } from './store';

/**
 * In-process cache store: the fallback when no Redis is configured (`npm start` without
 * `REDIS_URL`), and a store for tests. Same contract as the Redis store (store.ts), but
 * nothing is shared between processes.
 *
 * Bounded by entries (`maxEntries`, default 10,000) and by the summed length of keys and
 * values (`maxBytes`, default 64 MiB, counted as UTF-16 code units × 2). Expired entries are
 * dropped when read; beyond the bounds the least recently used entries are evicted (a `Map`
 * keeps insertion order; a read moves the entry to the end).
 */
export interface MemoryStoreOptions {
  maxEntries?: number;
  maxBytes?: number;
  now?: () => number;
}

interface Entry {
  value: string;
  expiresAt: number;
  bytes: number;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): CacheStore {
  const maxEntries = positiveInt('memory store maxEntries', options.maxEntries, 10_000);
  const maxBytes = positiveInt('memory store maxBytes', options.maxBytes, 64 * 1024 * 1024);
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let bytes = 0;
  const counts = { hits: 0, misses: 0, sets: 0, deletes: 0, evictions: 0 };

  const remove = (key: string): boolean => {
    const entry = entries.get(key);
    if (!entry) return false;
    entries.delete(key);
    bytes -= entry.bytes;
    return true;
  };

  const live = (key: string): Entry | null => {
    const entry = entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= now()) {
      remove(key);
      return null;
    }
    return entry;
  };

  const get = (key: string): StoreRead => {
    const entry = live(key);
    if (!entry) {
      counts.misses += 1;
      return { status: 'miss' };
    }
    // Most recently used goes to the end of the Map (the eviction order).
    entries.delete(key);
    entries.set(key, entry);
    counts.hits += 1;
    return { status: 'hit', value: entry.value };
  };

  return {
    kind: 'memory',
    shared: false,
    description: `in-memory (this process only; up to ${maxEntries} entries)`,
    get: async (key) => get(key),
    async getBytes(key): Promise<StoreBytesRead> {
      const read = get(key);
      return read.status === 'hit' ? { status: 'hit', value: Buffer.from(read.value) } : read;
    },
    async set(key, value, ttlMs) {
      if (!(ttlMs > 0)) return false;
      const size = (key.length + value.length) * 2;
      if (size > maxBytes) return false;
      remove(key);
      entries.set(key, { value, expiresAt: now() + ttlMs, bytes: size });
      bytes += size;
      counts.sets += 1;
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break;
        remove(oldest);
        counts.evictions += 1;
      }
      return true;
    },
    async delete(key) {
      const deleted = live(key) !== null && remove(key);
      if (deleted) counts.deletes += 1;
      return deleted;
    },
    async deleteByPrefix(prefix) {
      let deleted = 0;
      for (const key of [...entries.keys()]) {
        if (key.startsWith(prefix) && remove(key)) deleted += 1;
      }
      counts.deletes += deleted;
      return deleted;
    },
    async ttl(key) {
      const entry = live(key);
      return entry ? entry.expiresAt - now() : null;
    },
    available: () => true,
    stats(): CacheStoreStats {
      return {
        kind: 'memory',
        shared: false,
        available: true,
        ...counts,
        unavailable: 0,
        timeouts: 0,
        errors: 0,
        entries: entries.size,
      };
    },
    async close() {
      entries.clear();
      bytes = 0;
    },
  };
}
