import { createClient } from 'redis';
import { startTestRedis, uniqueKeyPrefix, type TestRedis } from '../../tests/redis-server';
import type { Logger } from '../logger';
import { readRedisUrl } from './index';
import { createRedisStore, redactRedisUrl, type RedisStore } from './redis-store';
import { namespaced } from './store';

/** Tests against the real Redis at 127.0.0.1:6379 (own key prefix, cleaned up) and a test-owned redis-server. */
const SHARED_URL = 'redis://127.0.0.1:6379';

function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
  return { logger: { warn: log('warn'), info: log('info'), debug: () => {} } as unknown as Logger, lines };
}

describe('redis store on the shared Redis', () => {
  const prefix = uniqueKeyPrefix('redis-store');
  let store: RedisStore;
  const raw = createClient({ url: SHARED_URL });

  beforeAll(async () => {
    await raw.connect();
    store = createRedisStore({ url: SHARED_URL, keyPrefix: prefix });
    expect(await store.whenReady(2_000)).toBe(true);
  });
  afterAll(async () => {
    await store.deleteByPrefix('');
    expect(await raw.keys(`${prefix}*`)).toEqual([]);
    await store.close();
    await raw.disconnect();
  });

  it('sets, gets, expires and deletes under its key prefix', async () => {
    expect(await store.set('a', 'one', 60_000)).toBe(true);
    expect(await raw.get(`${prefix}a`)).toBe('one');
    expect(await store.get('a')).toEqual({ status: 'hit', value: 'one' });
    const ttl = await store.ttl('a');
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await store.set('short', 'x', 80)).toBe(true);
    await new Promise((r) => setTimeout(r, 150));
    expect(await store.get('short')).toEqual({ status: 'miss' });
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('a')).toEqual({ status: 'miss' });
    expect(await store.set('zero', 'x', 0)).toBe(false);
    const stats = store.stats();
    expect(stats).toMatchObject({ kind: 'redis', shared: true, available: true, hits: 1, misses: 2, sets: 2, deletes: 1, unavailable: 0 });
  });

  it('reads a value as its UTF-8 bytes (answers sent on without decoding)', async () => {
    expect(await store.set('bytes', '{"name":"Köln"}', 60_000)).toBe(true);
    const read = await store.getBytes('bytes');
    expect(read.status).toBe('hit');
    const bytes = (read as { value: Buffer }).value;
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.length).toBe(16);
    expect(bytes.toString('utf8')).toBe('{"name":"Köln"}');
    expect(await namespaced(store, 'ns').getBytes('absent')).toEqual({ status: 'miss' });
    expect(await store.delete('bytes')).toBe(true);
  });

  it('deletes by prefix literally (glob characters are not patterns) and namespaces keep callers apart', async () => {
    const upstream = namespaced(store, 'upstream');
    await upstream.set('a*b:1', '1', 60_000);
    await upstream.set('aXb:1', '2', 60_000);
    await upstream.set('a*b:2', '3', 60_000);
    await namespaced(store, 'entity').set('a*b:1', '4', 60_000);
    expect(await upstream.deleteByPrefix('a*b:')).toBe(2);
    expect((await raw.keys(`${prefix}*`)).sort()).toEqual([`${prefix}entity:a*b:1`, `${prefix}upstream:aXb:1`]);
  });

  it('is seen by a second store with the same prefix (shared between processes)', async () => {
    const other = createRedisStore({ url: SHARED_URL, keyPrefix: prefix });
    try {
      expect(await other.whenReady(2_000)).toBe(true);
      await store.set('shared', 'yes', 60_000);
      expect(await other.get('shared')).toEqual({ status: 'hit', value: 'yes' });
    } finally {
      await other.close();
    }
  });
});

describe('redis store when Redis fails', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  const options = (logger: Logger) => ({
    url: redis.url,
    logger,
    commandTimeoutMs: 50,
    reconnectMinDelayMs: 20,
    reconnectMaxDelayMs: 100,
    circuitOpenMs: 200,
  });

  it('answers "unavailable" at once while Redis is down, logs rate-limited, and resumes when it is back', async () => {
    const { logger, lines } = recordingLogger();
    const store = createRedisStore(options(logger));
    try {
      expect(await store.whenReady(2_000)).toBe(true);
      expect(await store.set('k', 'v', 60_000)).toBe(true);
      expect(await store.get('k')).toEqual({ status: 'hit', value: 'v' });

      await redis.kill();
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      const reads = await Promise.all(Array.from({ length: 100 }, () => store.get('k')));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(new Set(reads.map((r) => r.status))).toEqual(new Set(['unavailable']));
      // Skipped without sending anything: no command waited for its timeout.
      expect(store.stats().timeouts).toBe(0);
      expect(await store.set('k', 'v', 60_000)).toBe(false);
      expect(await store.delete('k')).toBe(false);
      expect(await store.deleteByPrefix('')).toBeNull();
      expect(store.available()).toBe(false);
      expect(store.stats()).toMatchObject({ available: false, unavailable: 103, hits: 1 });
      // 104 skipped operations, 2 warnings: the lost connection and one (rate-limited) "unavailable".
      expect(lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
        'redis connection lost; reconnecting with back-off, serving uncached meanwhile',
        'cache store unavailable; serving uncached',
      ]);

      await redis.restart();
      expect(await store.whenReady(3_000)).toBe(true);
      expect(await store.get('k')).toEqual({ status: 'miss' }); // a fresh, empty Redis
      expect(await store.set('k', 'again', 60_000)).toBe(true);
      expect(await store.get('k')).toEqual({ status: 'hit', value: 'again' });
      expect(lines.filter((l) => l.level === 'info').map((l) => l.message)).toEqual([
        'redis connected; caching in redis',
        'redis connected; caching in redis',
        'cache store available again',
      ]);
    } finally {
      await store.close();
    }
  });

  it('bounds a hanging Redis by the command timeout, then opens the circuit until it answers again', async () => {
    const { logger } = recordingLogger();
    const store = createRedisStore(options(logger));
    try {
      expect(await store.whenReady(3_000)).toBe(true);
      await store.set('slow', 'v', 60_000);
      redis.pause();
      const timings: number[] = [];
      const statuses: string[] = [];
      for (let i = 0; i < 4; i++) {
        const started = Date.now();
        statuses.push((await store.get('slow')).status);
        timings.push(Date.now() - started);
      }
      expect(statuses).toEqual(['unavailable', 'unavailable', 'unavailable', 'unavailable']);
      // Three timeouts of ~50 ms, then the open circuit answers without asking Redis.
      for (const t of timings.slice(0, 3)) {
        expect(t).toBeGreaterThanOrEqual(45);
        expect(t).toBeLessThan(1_000);
      }
      expect(timings[3]).toBeLessThan(45);
      expect(store.stats()).toMatchObject({ timeouts: 3, unavailable: 4 });
      redis.resume();
      await new Promise((r) => setTimeout(r, 250));
      expect(await store.get('slow')).toEqual({ status: 'hit', value: 'v' });
    } finally {
      redis.resume();
      await store.close();
    }
  });

  it('starts without a reachable Redis and closes quickly', async () => {
    const { logger, lines } = recordingLogger();
    const store = createRedisStore({ ...options(logger), url: 'redis://127.0.0.1:1' });
    expect(await store.whenReady(100)).toBe(false);
    expect(await store.get('k')).toEqual({ status: 'unavailable' });
    expect(await store.set('k', 'v', 1_000)).toBe(false);
    const started = Date.now();
    await store.close();
    expect(Date.now() - started).toBeLessThan(500);
    expect(lines[0]!.message).toBe('redis not reachable yet; retrying with back-off, serving uncached meanwhile');
  });
});

describe('redis configuration', () => {
  it('redacts passwords and checks REDIS_URL', () => {
    expect(redactRedisUrl('redis://user:secret@cache.example:6380/2')).toBe('redis://user:***@cache.example:6380/2');
    expect(readRedisUrl({})).toBeUndefined();
    expect(readRedisUrl({ REDIS_URL: 'redis://127.0.0.1:6379' })).toBe('redis://127.0.0.1:6379');
    expect(() => readRedisUrl({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(
      'REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, received "http://127.0.0.1:6379"',
    );
    expect(() => createRedisStore({ url: 'localhost:6379' })).toThrow('redis store url must start with redis:// or rediss://');
  });
});
