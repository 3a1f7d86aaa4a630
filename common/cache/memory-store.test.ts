import { createMemoryStore } from './memory-store';
import { namespaced } from './store';

describe('memory store', () => {
  let clock = 1_000_000;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('keeps a value for its TTL and drops it after', async () => {
    const store = createMemoryStore({ now });
    expect(await store.set('a', 'one', 1_000)).toBe(true);
    expect(await store.get('a')).toEqual({ status: 'hit', value: 'one' });
    expect(await store.ttl('a')).toBe(1_000);
    clock += 999;
    expect(await store.get('a')).toEqual({ status: 'hit', value: 'one' });
    clock += 1;
    expect(await store.get('a')).toEqual({ status: 'miss' });
    expect(await store.ttl('a')).toBeNull();
    expect(store.stats()).toEqual({
      kind: 'memory',
      shared: false,
      available: true,
      hits: 2,
      misses: 1,
      sets: 1,
      deletes: 0,
      unavailable: 0,
      timeouts: 0,
      errors: 0,
      entries: 0,
      evictions: 0,
    });
  });

  it('reads a value as its UTF-8 bytes', async () => {
    const store = createMemoryStore();
    await store.set('k', 'Düsseldorf', 60_000);
    const read = await store.getBytes('k');
    expect(read.status === 'hit' && [read.value.length, read.value.toString('utf8')]).toEqual([11, 'Düsseldorf']);
    expect(await store.getBytes('absent')).toEqual({ status: 'miss' });
  });

  it('refuses a TTL of 0 or less', async () => {
    const store = createMemoryStore({ now });
    expect(await store.set('a', 'one', 0)).toBe(false);
    expect(await store.set('a', 'one', -5)).toBe(false);
    expect(await store.get('a')).toEqual({ status: 'miss' });
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const store = createMemoryStore({ now, maxEntries: 2 });
    await store.set('a', '1', 10_000);
    await store.set('b', '2', 10_000);
    await store.get('a'); // a is now more recent than b
    await store.set('c', '3', 10_000);
    expect(await store.get('b')).toEqual({ status: 'miss' });
    expect(await store.get('a')).toEqual({ status: 'hit', value: '1' });
    expect(await store.get('c')).toEqual({ status: 'hit', value: '3' });
    expect(store.stats().evictions).toBe(1);
    expect(store.stats().entries).toBe(2);
  });

  it('stays within maxBytes and refuses values larger than the whole store', async () => {
    // (key + value) × 2 bytes: "k1" + 8 chars = 20 bytes per entry.
    const store = createMemoryStore({ now, maxBytes: 45 });
    await store.set('k1', 'xxxxxxxx', 10_000);
    await store.set('k2', 'xxxxxxxx', 10_000);
    await store.set('k3', 'xxxxxxxx', 10_000);
    expect((await store.get('k1')).status).toBe('miss');
    expect((await store.get('k2')).status).toBe('hit');
    expect((await store.get('k3')).status).toBe('hit');
    expect(await store.set('big', 'x'.repeat(100), 10_000)).toBe(false);
    expect(store.stats().entries).toBe(2);
  });

  it('deletes single keys and by prefix; namespaces keep callers apart', async () => {
    const store = createMemoryStore({ now });
    const upstream = namespaced(store, 'upstream');
    const entity = namespaced(store, 'entity');
    await upstream.set('kommunen:register:1', 'a', 10_000);
    await upstream.set('kommunen:register:2', 'b', 10_000);
    await upstream.set('abfall:abfallnavi:1', 'c', 10_000);
    await entity.set('kommunen:register:1', 'd', 10_000);
    expect(await upstream.get('kommunen:register:1')).toEqual({ status: 'hit', value: 'a' });
    expect(await entity.get('kommunen:register:1')).toEqual({ status: 'hit', value: 'd' });
    expect(await upstream.deleteByPrefix('kommunen:')).toBe(2);
    expect(await upstream.get('kommunen:register:2')).toEqual({ status: 'miss' });
    expect(await upstream.get('abfall:abfallnavi:1')).toEqual({ status: 'hit', value: 'c' });
    expect(await entity.delete('kommunen:register:1')).toBe(true);
    expect(await entity.delete('kommunen:register:1')).toBe(false);
    expect(store.stats().entries).toBe(1);
    expect(store.stats().deletes).toBe(3);
  });

  it('validates its options with the option name, expectation and value', () => {
    expect(() => createMemoryStore({ maxEntries: 0 })).toThrow('memory store maxEntries must be an integer ≥ 1, received 0');
    expect(() => namespaced(createMemoryStore(), 'a b')).toThrow(
      'cache namespace must be letters, digits, "_", ".", ":" or "-", received "a b"',
    );
  });
});
