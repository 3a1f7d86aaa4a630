import { z } from 'zod';
import { createMemoryStore } from '../../common/cache/memory-store';
import type { CacheStore } from '../../common/cache/store';
import { createStandIn, type RunningStandIn, type StandInResponse } from '../../stand-ins/lib/stand-in';
import { createHttpCache, type UpstreamCachePolicy, type UpstreamResponse } from './http-cache';
import { createRestTransport } from './rest';

const WHERE = { subgraph: 'kommunen', upstream: 'register' };
const URL_A = 'http://register.test/v1/gemeinden?ags=05122000';
const HEADERS = { accept: 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

/** A scripted upstream: answers from a queue (the last answer repeats) and records the conditional headers. */
function scriptedOrigin(...answers: Partial<UpstreamResponse>[]) {
  const calls: Record<string, string>[] = [];
  const origin = async (conditional: Record<string, string>): Promise<UpstreamResponse> => {
    calls.push(conditional);
    const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
    return { status: 200, headers: {}, body: '{"n":1}', ...answer };
  };
  return { origin, calls };
}

function setup(policy: UpstreamCachePolicy = { defaultTtlSeconds: 0 }, store?: CacheStore) {
  const clock = { now: 1_700_000_000_000 };
  const memory = store ?? createMemoryStore({ now: () => clock.now });
  const cache = createHttpCache({ store: memory, now: () => clock.now });
  return { clock, store: memory, cache, upstream: cache.forUpstream(WHERE, policy) };
}

describe('upstream HTTP cache', () => {
  it('serves a max-age answer from the store until it is stale', async () => {
    const { clock, upstream, store } = setup();
    const { origin, calls } = scriptedOrigin({ headers: { 'cache-control': 'public, max-age=60' } });
    expect((await upstream.fetch({ url: URL_A, headers: HEADERS }, origin)).cache).toBe('miss');
    const hit = await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    expect(hit).toEqual({ status: 200, headers: { 'cache-control': 'public, max-age=60' }, body: '{"n":1}', cache: 'hit' });
    clock.now += 59_999;
    expect((await upstream.fetch({ url: URL_A, headers: HEADERS }, origin)).cache).toBe('hit');
    clock.now += 1;
    // Stale and without a validator: the entry expired with its freshness, a full request.
    expect((await upstream.fetch({ url: URL_A, headers: HEADERS }, origin)).cache).toBe('miss');
    expect(calls).toEqual([{}, {}]);
    expect(upstream.stats()).toEqual({
      hits: 2,
      misses: 2,
      stale: 0,
      revalidated: 0,
      coalesced: 0,
      stored: 2,
      notStored: 0,
      bypassed: 0,
      unavailable: 0,
    });
    expect(store.stats().entries).toBe(1);
  });

  it('keys by URL and accept, not by traceparent or x-request-id', async () => {
    const { upstream } = setup();
    const { origin, calls } = scriptedOrigin({ headers: { 'cache-control': 'max-age=60' } });
    await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    await upstream.fetch({ url: URL_A, headers: { ...HEADERS, traceparent: '00-11111111111111111111111111111111-2222222222222222-01', 'x-request-id': 'r2' } }, origin);
    expect(calls).toHaveLength(1);
    await upstream.fetch({ url: URL_A, headers: { ...HEADERS, accept: 'application/xml' } }, origin);
    await upstream.fetch({ url: `${URL_A}1`, headers: HEADERS }, origin);
    expect(calls).toHaveLength(3);
  });

  it('never stores no-store or private answers', async () => {
    const { upstream, store } = setup({ defaultTtlSeconds: 600 });
    for (const cacheControl of ['no-store', 'private, max-age=600', 'no-store, max-age=600']) {
      const { origin, calls } = scriptedOrigin({ headers: { 'cache-control': cacheControl, etag: '"x"' } });
      await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
      await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
      expect(calls).toEqual([{}, {}]);
    }
    expect(store.stats().entries).toBe(0);
    expect(upstream.stats()).toMatchObject({ misses: 6, stored: 0, notStored: 6, hits: 0 });
  });

  it('stores no-cache answers but revalidates each use with If-None-Match; a 304 serves the stored body', async () => {
    const { upstream } = setup();
    const { origin, calls } = scriptedOrigin(
      { headers: { 'cache-control': 'no-cache', etag: '"v1"' }, body: '{"v":1}' },
      { status: 304, headers: { 'cache-control': 'no-cache', etag: '"v1"' }, body: null },
    );
    await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    const second = await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    const third = await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    expect([second.cache, second.status, second.body]).toEqual(['revalidated', 200, '{"v":1}']);
    expect(third.cache).toBe('revalidated');
    expect(calls).toEqual([{}, { 'if-none-match': '"v1"' }, { 'if-none-match': '"v1"' }]);
    expect(upstream.stats()).toMatchObject({ misses: 1, stale: 2, revalidated: 2, hits: 0 });
  });

  it('a 304 refreshes the TTL without a body; a 200 on revalidation replaces the entry', async () => {
    const { clock, upstream } = setup();
    const { origin, calls } = scriptedOrigin(
      { headers: { 'cache-control': 'max-age=10', etag: '"v1"', 'last-modified': 'Mon, 01 Jun 2026 10:00:00 GMT' }, body: '{"v":1}' },
      { status: 304, headers: { 'cache-control': 'max-age=30' }, body: null },
      { headers: { 'cache-control': 'max-age=10', etag: '"v2"' }, body: '{"v":2}' },
    );
    await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    clock.now += 10_000;
    expect((await upstream.fetch({ url: URL_A, headers: HEADERS }, origin)).cache).toBe('revalidated');
    expect(calls[1]).toEqual({ 'if-none-match': '"v1"', 'if-modified-since': 'Mon, 01 Jun 2026 10:00:00 GMT' });
    clock.now += 29_999; // the 304's max-age=30 now applies
    expect((await upstream.fetch({ url: URL_A, headers: HEADERS }, origin)).body).toBe('{"v":1}');
    expect(calls).toHaveLength(2);
    clock.now += 1;
    const replaced = await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    expect([replaced.cache, replaced.body]).toEqual(['refetched', '{"v":2}']);
    expect((await upstream.fetch({ url: URL_A, headers: HEADERS }, origin)).body).toBe('{"v":2}');
    expect(calls).toHaveLength(3);
    expect(upstream.stats()).toMatchObject({ hits: 2, misses: 1, stale: 2, revalidated: 1, stored: 3 });
  });

  it('keeps a stale entry with a validator only for revalidateWindowSeconds', async () => {
    const { clock, upstream, store } = setup({ revalidateWindowSeconds: 5 });
    const { origin } = scriptedOrigin(
      { headers: { 'cache-control': 'max-age=10', etag: '"v1"' } },
      { status: 304, headers: {}, body: null },
      { headers: { 'cache-control': 'max-age=10', etag: '"v1"' } },
    );
    await upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    clock.now += 14_999;
    expect(store.stats().entries).toBe(1);
    expect(await upstream.fetch({ url: URL_A, headers: HEADERS }, origin)).toMatchObject({ cache: 'revalidated' });
    clock.now += 15_000; // 10 s fresh + 5 s window after the revalidation
    expect((await upstream.fetch({ url: URL_A, headers: HEADERS }, origin)).cache).toBe('miss');
    expect(store.stats().entries).toBe(1);
  });

  it('uses the policy: defaultTtlSeconds without Cache-Control (0: not stored), maxTtlSeconds as a cap', async () => {
    const none = setup({ defaultTtlSeconds: 0 });
    const plain = scriptedOrigin({ headers: {} });
    await none.upstream.fetch({ url: URL_A, headers: HEADERS }, plain.origin);
    await none.upstream.fetch({ url: URL_A, headers: HEADERS }, plain.origin);
    expect(plain.calls).toHaveLength(2);

    const withDefault = setup({ defaultTtlSeconds: 20, maxTtlSeconds: 100 });
    const plain2 = scriptedOrigin({ headers: {} });
    await withDefault.upstream.fetch({ url: URL_A, headers: HEADERS }, plain2.origin);
    withDefault.clock.now += 19_999;
    await withDefault.upstream.fetch({ url: URL_A, headers: HEADERS }, plain2.origin);
    expect(plain2.calls).toHaveLength(1);
    withDefault.clock.now += 1;
    await withDefault.upstream.fetch({ url: URL_A, headers: HEADERS }, plain2.origin);
    expect(plain2.calls).toHaveLength(2);

    const capped = setup({ maxTtlSeconds: 5 });
    const long = scriptedOrigin({ headers: { 'cache-control': 'max-age=86400' } });
    await capped.upstream.fetch({ url: URL_A, headers: HEADERS }, long.origin);
    capped.clock.now += 4_999;
    await capped.upstream.fetch({ url: URL_A, headers: HEADERS }, long.origin);
    expect(long.calls).toHaveLength(1);
    capped.clock.now += 1;
    await capped.upstream.fetch({ url: URL_A, headers: HEADERS }, long.origin);
    expect(long.calls).toHaveLength(2);
  });

  it('reads s-maxage before max-age, subtracts Age, and understands Expires', async () => {
    const { clock, upstream } = setup();
    const smax = scriptedOrigin({ headers: { 'cache-control': 'max-age=100, s-maxage=10', age: '4' } });
    await upstream.fetch({ url: URL_A, headers: HEADERS }, smax.origin);
    clock.now += 5_999;
    await upstream.fetch({ url: URL_A, headers: HEADERS }, smax.origin);
    expect(smax.calls).toHaveLength(1);
    clock.now += 1;
    await upstream.fetch({ url: URL_A, headers: HEADERS }, smax.origin);
    expect(smax.calls).toHaveLength(2);

    const date = new Date(clock.now).toUTCString();
    const expires = new Date(clock.now + 30_000).toUTCString();
    const exp = scriptedOrigin({ headers: { date, expires } });
    const url = `${URL_A}&x=expires`;
    await upstream.fetch({ url, headers: HEADERS }, exp.origin);
    clock.now += 29_000;
    await upstream.fetch({ url, headers: HEADERS }, exp.origin);
    expect(exp.calls).toHaveLength(1);
  });

  it('stores Vary on key headers only; Vary: * or on other headers is not stored', async () => {
    const { upstream } = setup();
    for (const [vary, expected] of [['Accept', 1], ['Accept-Encoding, Accept', 1], ['Cookie', 2], ['*', 2]] as const) {
      const { origin, calls } = scriptedOrigin({ headers: { 'cache-control': 'max-age=60', vary } });
      const url = `${URL_A}&vary=${vary}`;
      await upstream.fetch({ url, headers: HEADERS }, origin);
      await upstream.fetch({ url, headers: HEADERS }, origin);
      expect([vary, calls.length]).toEqual([vary, expected]);
    }
  });

  it('makes one upstream request for 20 concurrent misses of one key (single-flight)', async () => {
    const { upstream } = setup();
    let calls = 0;
    const origin = async (): Promise<UpstreamResponse> => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 20));
      return { status: 200, headers: { 'cache-control': 'max-age=60' }, body: '{"n":1}' };
    };
    const answers = await Promise.all(Array.from({ length: 20 }, () => upstream.fetch({ url: URL_A, headers: HEADERS }, origin)));
    expect(calls).toBe(1);
    expect(answers.map((a) => a.body)).toEqual(Array(20).fill('{"n":1}'));
    expect(answers.filter((a) => a.cache === 'coalesced')).toHaveLength(19);
    expect(upstream.stats()).toMatchObject({ misses: 1, coalesced: 19, stored: 1 });
  });

  it('does not use the cache for requests with per-user credentials', async () => {
    const { upstream, store } = setup();
    const { origin, calls } = scriptedOrigin({ headers: { 'cache-control': 'public, max-age=60' } });
    await upstream.fetch({ url: URL_A, headers: HEADERS, perUser: true }, origin);
    await upstream.fetch({ url: URL_A, headers: HEADERS, perUser: true }, origin);
    expect(calls).toHaveLength(2);
    expect(store.stats().entries).toBe(0);
    expect(upstream.stats()).toMatchObject({ bypassed: 2, misses: 0 });
  });

  it('goes upstream uncached when the store is unavailable', async () => {
    const down: CacheStore = {
      ...createMemoryStore(),
      kind: 'redis',
      shared: true,
      get: async () => ({ status: 'unavailable' }),
      getBytes: async () => ({ status: 'unavailable' }),
      set: async () => false,
      available: () => false,
    };
    const { upstream } = setup({}, down);
    const { origin, calls } = scriptedOrigin({ headers: { 'cache-control': 'max-age=60' } });
    const answers = [await upstream.fetch({ url: URL_A, headers: HEADERS }, origin), await upstream.fetch({ url: URL_A, headers: HEADERS }, origin)];
    expect(answers.map((a) => [a.status, a.body, a.cache])).toEqual([
      [200, '{"n":1}', 'unavailable'],
      [200, '{"n":1}', 'unavailable'],
    ]);
    expect(calls).toHaveLength(2);
    expect(upstream.stats()).toMatchObject({ unavailable: 2, stored: 0 });
  });

  it('stores neither 404s, nor errors, nor bodies above maxBodyChars', async () => {
    const clock = { now: 0 };
    const store = createMemoryStore({ now: () => clock.now });
    const cache = createHttpCache({ store, now: () => clock.now, maxBodyChars: 10 });
    const upstream = cache.forUpstream(WHERE, {});
    const notFound = scriptedOrigin({ status: 404, headers: { 'cache-control': 'max-age=60' }, body: null });
    await upstream.fetch({ url: URL_A, headers: HEADERS }, notFound.origin);
    const big = scriptedOrigin({ headers: { 'cache-control': 'max-age=60' }, body: `"${'x'.repeat(20)}"` });
    await upstream.fetch({ url: `${URL_A}&big`, headers: HEADERS }, big.origin);
    await expect(
      upstream.fetch({ url: `${URL_A}&err`, headers: HEADERS }, async () => {
        throw new Error('upstream failed');
      }),
    ).rejects.toThrow('upstream failed');
    expect(store.stats().entries).toBe(0);
    expect(upstream.stats()).toMatchObject({ misses: 3, notStored: 1, stored: 0 });
  });

  it('counts per subgraph/upstream and purges by subgraph', async () => {
    const { cache, store } = setup();
    const register = cache.forUpstream(WHERE, {});
    const abfall = cache.forUpstream({ subgraph: 'abfall', upstream: 'abfallnavi' }, {});
    const { origin } = scriptedOrigin({ headers: { 'cache-control': 'max-age=60' } });
    await register.fetch({ url: URL_A, headers: HEADERS }, origin);
    await abfall.fetch({ url: URL_A, headers: HEADERS }, origin);
    await abfall.fetch({ url: URL_A, headers: HEADERS }, origin);
    const stats = cache.stats();
    expect(Object.keys(stats.upstreams).sort()).toEqual(['abfall/abfallnavi', 'kommunen/register']);
    expect(stats.upstreams['abfall/abfallnavi']).toMatchObject({ misses: 1, hits: 1 });
    expect(stats.store).toMatchObject({ kind: 'memory', entries: 2 });
    expect(await cache.purge({ subgraph: 'kommunen' })).toBe(1);
    expect(store.stats().entries).toBe(1);
    expect(await cache.purge()).toBe(1);
  });

  it('validates policies with the option, expectation and value', () => {
    const { cache } = setup();
    expect(() => cache.forUpstream(WHERE, { maxTtlSeconds: -1 })).toThrow(
      'cache policy of kommunen/register: maxTtlSeconds must be a number of seconds ≥ 0, received -1',
    );
    expect(() => cache.forUpstream(WHERE, { keyHeaders: ['Accept'] })).toThrow(
      'cache policy of kommunen/register: keyHeaders must be lower-case header names, received "Accept"',
    );
  });
});

/**
 * An upstream that answers when the test says so, and records the signal each request got.
 * An aborted request rejects with the signal's reason (as undici does).
 */
function controlledOrigin() {
  const requests: { conditional: Record<string, string>; signal: AbortSignal | undefined; answer: (response: UpstreamResponse) => void }[] = [];
  const origin = (conditional: Record<string, string>, signal?: AbortSignal) =>
    new Promise<UpstreamResponse>((resolve, reject) => {
      requests.push({ conditional, signal, answer: resolve });
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  return { origin, requests };
}

/** Settled state of a promise without waiting for it: 'pending', or its outcome. */
async function peek<T>(promise: Promise<T>): Promise<{ state: 'pending' } | { state: 'fulfilled'; value: T } | { state: 'rejected'; reason: unknown }> {
  const pending = Symbol('pending');
  try {
    const value = await Promise.race([promise, new Promise<typeof pending>((resolve) => setImmediate(() => resolve(pending)))]);
    return value === pending ? { state: 'pending' } : { state: 'fulfilled', value: value as T };
  } catch (reason) {
    return { state: 'rejected', reason };
  }
}

describe('upstream HTTP cache: cancellation per caller', () => {
  const ANSWER: UpstreamResponse = { status: 200, headers: { 'cache-control': 'max-age=60' }, body: '{"n":1}' };

  it('a caller that aborts leaves at once; the other still gets the one shared upstream answer, which is stored', async () => {
    const { upstream, store } = setup();
    const { origin, requests } = controlledOrigin();
    const first = new AbortController();
    const second = new AbortController();
    const a = upstream.fetch({ url: URL_A, headers: HEADERS, signal: first.signal }, origin);
    const b = upstream.fetch({ url: URL_A, headers: HEADERS, signal: second.signal }, origin);
    await new Promise((r) => setImmediate(r));
    expect(requests).toHaveLength(1);
    first.abort(new Error('caller 1 went away'));
    // Rejected at once, while the upstream request is still open and not aborted.
    expect(await peek(a)).toEqual({ state: 'rejected', reason: new Error('caller 1 went away') });
    expect(await peek(b)).toEqual({ state: 'pending' });
    expect(requests[0]!.signal!.aborted).toBe(false);
    requests[0]!.answer(ANSWER);
    expect(await b).toEqual({ ...ANSWER, cache: 'coalesced' });
    expect(requests).toHaveLength(1);
    expect(store.stats().entries).toBe(1);
    expect(upstream.stats()).toMatchObject({ misses: 1, coalesced: 1, stored: 1 });
  });

  it('when every caller has aborted, the upstream request is aborted, nothing is stored, and the next caller starts afresh', async () => {
    const { upstream, store } = setup();
    const { origin, requests } = controlledOrigin();
    const callers = [new AbortController(), new AbortController()];
    const calls = callers.map((c) => upstream.fetch({ url: URL_A, headers: HEADERS, signal: c.signal }, origin));
    await new Promise((r) => setImmediate(r));
    callers[0]!.abort(new Error('gone 1'));
    expect(requests[0]!.signal!.aborted).toBe(false);
    callers[1]!.abort(new Error('gone 2'));
    expect(requests[0]!.signal!.aborted).toBe(true);
    expect(requests[0]!.signal!.reason).toEqual(new Error('gone 2'));
    await expect(calls[0]).rejects.toThrow('gone 1');
    await expect(calls[1]).rejects.toThrow('gone 2');
    // Not joined to the request being cancelled: a new one.
    const next = upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    await new Promise((r) => setImmediate(r));
    expect(requests).toHaveLength(2);
    expect(requests[1]!.signal!.aborted).toBe(false);
    expect(store.stats().entries).toBe(0);
    requests[1]!.answer(ANSWER);
    expect(await next).toEqual({ ...ANSWER, cache: 'miss' });
    expect(upstream.stats()).toMatchObject({ misses: 2, coalesced: 0, stored: 1 });
  });

  it('a caller without a signal keeps the shared request alive; an already aborted caller does not start one', async () => {
    const { upstream } = setup();
    const { origin, requests } = controlledOrigin();
    const aborted = new AbortController();
    aborted.abort(new Error('gone before it asked'));
    await expect(upstream.fetch({ url: URL_A, headers: HEADERS, signal: aborted.signal }, origin)).rejects.toThrow('gone before it asked');
    expect(requests).toHaveLength(0);
    const leaving = new AbortController();
    const patient = upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    const impatient = upstream.fetch({ url: URL_A, headers: HEADERS, signal: leaving.signal }, origin);
    await new Promise((r) => setImmediate(r));
    leaving.abort(new Error('gone'));
    await expect(impatient).rejects.toThrow('gone');
    expect(requests[0]!.signal!.aborted).toBe(false);
    requests[0]!.answer(ANSWER);
    expect(await patient).toEqual({ ...ANSWER, cache: 'miss' });
    expect(requests).toHaveLength(1);
  });

  it('an aborted revalidation keeps the stale entry as it was', async () => {
    const { clock, upstream, store } = setup();
    const { origin, requests } = controlledOrigin();
    const first = upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    await new Promise((r) => setImmediate(r));
    requests[0]!.answer({ status: 200, headers: { 'cache-control': 'max-age=1', etag: '"v1"' }, body: '{"n":1}' });
    await first;
    clock.now += 2_000;
    const caller = new AbortController();
    const revalidation = upstream.fetch({ url: URL_A, headers: HEADERS, signal: caller.signal }, origin);
    await new Promise((r) => setImmediate(r));
    expect(requests[1]!.conditional).toEqual({ 'if-none-match': '"v1"' });
    caller.abort(new Error('gone'));
    await expect(revalidation).rejects.toThrow('gone');
    expect(requests[1]!.signal!.aborted).toBe(true);
    expect(store.stats().entries).toBe(1);
    const again = upstream.fetch({ url: URL_A, headers: HEADERS }, origin);
    await new Promise((r) => setImmediate(r));
    expect(requests[2]!.conditional).toEqual({ 'if-none-match': '"v1"' });
    requests[2]!.answer({ status: 304, headers: { 'cache-control': 'max-age=60', etag: '"v1"' }, body: null });
    expect(await again).toMatchObject({ status: 200, body: '{"n":1}', cache: 'revalidated' });
  });

  it('a per-user (bypassed) request gets the caller\'s own signal', async () => {
    const { upstream } = setup();
    const { origin, requests } = controlledOrigin();
    const caller = new AbortController();
    const call = upstream.fetch({ url: URL_A, headers: HEADERS, perUser: true, signal: caller.signal }, origin);
    await new Promise((r) => setImmediate(r));
    expect(requests[0]!.signal).toBe(caller.signal);
    caller.abort(new Error('gone'));
    await expect(call).rejects.toThrow('gone');
  });
});

describe('REST transport with the cache (over HTTP against a stand-in)', () => {
  const routes: Record<string, StandInResponse> = {
    '/fresh': { body: { n: 1 }, maxAge: 60 },
    '/revalidate': { body: { n: 2 }, maxAge: 0 },
    '/private': { body: { n: 3 }, headers: { 'cache-control': 'private, max-age=60' } },
    '/nostore': { body: { n: 4 }, headers: { 'cache-control': 'no-store' } },
  };
  const standIn = createStandIn({
    name: 'test-upstream',
    routes: [
      ...Object.entries(routes).map(([path, answer]) => ({ method: 'GET' as const, path, handler: () => answer })),
      { method: 'GET' as const, path: '/missing', handler: () => ({ status: 404, body: 'no such thing' }) },
    ],
    errorBody: (status, message) => ({ status, message }),
  });
  const schema = z.object({ n: z.number() });
  let running: RunningStandIn;
  beforeAll(async () => {
    running = await standIn.listen(0);
  });
  afterEach(() => {
    standIn.setFault(null);
    standIn.resetStats();
  });
  afterAll(async () => {
    await running.close();
  });

  const transport = (cachePolicy: UpstreamCachePolicy | false | undefined) => {
    const store = createMemoryStore();
    const cache = createHttpCache({ store });
    return { store, cache, http: createRestTransport({ subgraph: 'kommunen', upstream: 'register', baseUrl: running.url, cache, cachePolicy }) };
  };

  it('answers a repeated GET from the cache: 1 upstream request for 3 calls', async () => {
    const { http } = transport({});
    for (let i = 0; i < 3; i++) expect(await http.getJson('/fresh', schema, { headers: { traceparent: `00-${'1'.repeat(31)}${i}-${'2'.repeat(16)}-01` } })).toEqual({ n: 1 });
    expect(standIn.stats().total).toBe(1);
    await http.close();
  });

  it('revalidates a no-cache answer with If-None-Match and gets a 304', async () => {
    const { http, cache } = transport({});
    expect(await http.getJson('/revalidate', schema)).toEqual({ n: 2 });
    expect(await http.getJson('/revalidate', schema)).toEqual({ n: 2 });
    expect(standIn.stats().recent.map((r) => [r.url, r.status])).toEqual([
      ['/revalidate', 200],
      ['/revalidate', 304],
    ]);
    expect(cache.stats().upstreams['kommunen/register']).toMatchObject({ misses: 1, stale: 1, revalidated: 1 });
    await http.close();
  });

  it('never stores private or no-store answers', async () => {
    const { http, store } = transport({ defaultTtlSeconds: 600 });
    for (const path of ['/private', '/private', '/nostore', '/nostore']) await http.getJson(path, schema);
    expect(standIn.stats().total).toBe(4);
    expect(store.stats().entries).toBe(0);
    await http.close();
  });

  it('keeps the error mapping: 404 is null (not cached), failures keep their codes and are not cached', async () => {
    const { http, store } = transport({});
    expect(await http.getJson('/missing', schema)).toBeNull();
    expect(await http.getJson('/missing', schema)).toBeNull();
    // 500, not 503: a 503 would be retried (resilience.ts) and then served.
    standIn.setFault({ status: 500, times: 1 });
    await expect(http.getJson('/fresh', schema)).rejects.toMatchObject({
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'kommunen', upstream: 'register', status: 500 },
    });
    standIn.setFault({ garbage: 'wrong-shape', times: 1 });
    await expect(http.getJson('/fresh', schema)).rejects.toMatchObject({
      message: 'register (behind subgraph kommunen): answered a body that does not match its contract',
    });
    standIn.setFault({ garbage: 'invalid-json', times: 1 });
    await expect(http.getJson('/fresh', schema)).rejects.toMatchObject({
      message: 'register (behind subgraph kommunen): answered a body that is not JSON',
    });
    expect(store.stats().entries).toBe(0);
    expect(await http.getJson('/fresh', schema)).toEqual({ n: 1 });
    expect(await http.getJson('/fresh', schema)).toEqual({ n: 1 });
    expect(standIn.stats().total).toBe(6);
    await http.close();
  });

  const CANCELLED = {
    message: 'register (behind subgraph kommunen): call cancelled, the caller went away',
    extensions: { code: 'REQUEST_TIMEOUT', cancelled: true, subgraph: 'kommunen', upstream: 'register' },
  };
  /** Polls the stand-in until `aborted` reaches `expected` or `withinMs` passed. */
  const abortedWithin = async (expected: number, withinMs: number) => {
    const until = Date.now() + withinMs;
    while (standIn.stats().aborted !== expected && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return standIn.stats().aborted;
  };

  it('single-flight: the first caller aborts and leaves at once; the second is served by the one request, which the stand-in answered', async () => {
    const { http, cache } = transport({});
    standIn.setFault({ latencyMs: 400 });
    const first = new AbortController();
    const second = new AbortController();
    const a = http.getJson('/fresh', schema, { signal: first.signal });
    const b = http.getJson('/fresh', schema, { signal: second.signal });
    await new Promise((r) => setTimeout(r, 50));
    const abortedAt = Date.now();
    first.abort();
    await expect(a).rejects.toMatchObject(CANCELLED);
    expect(Date.now() - abortedAt).toBeLessThan(200); // not the 350 ms the upstream still takes
    expect(await b).toEqual({ n: 1 });
    expect(standIn.stats()).toMatchObject({ total: 1, aborted: 0, recent: [{ url: '/fresh', status: 200 }] });
    expect(cache.stats().upstreams['kommunen/register']).toMatchObject({ misses: 1, coalesced: 1, stored: 1 });
    await http.close();
  });

  it('single-flight: when both callers abort, the stand-in sees its request closed; nothing is cached, the next call asks again', async () => {
    const { http, store } = transport({});
    standIn.setFault({ latencyMs: 1_500, times: 1 });
    const callers = [new AbortController(), new AbortController()];
    const calls = callers.map((c) => http.getJson('/fresh', schema, { signal: c.signal }));
    await new Promise((r) => setTimeout(r, 50));
    for (const caller of callers) caller.abort();
    for (const call of calls) await expect(call).rejects.toMatchObject(CANCELLED);
    expect(await abortedWithin(1, 1_000)).toBe(1);
    expect(standIn.stats()).toMatchObject({ total: 1, aborted: 1 });
    expect(store.stats().entries).toBe(0);
    expect(await http.getJson('/fresh', schema)).toEqual({ n: 1 });
    expect(standIn.stats()).toMatchObject({ total: 2, aborted: 1 });
    await http.close();
  });

  it('does not cache with cachePolicy false or without a policy, nor calls with a per-call authorization header', async () => {
    for (const policy of [false, undefined] as const) {
      const { http, store } = transport(policy);
      await http.getJson('/fresh', schema);
      await http.getJson('/fresh', schema);
      expect(store.stats().entries).toBe(0);
      await http.close();
    }
    const { http, cache } = transport({});
    await http.getJson('/fresh', schema, { headers: { authorization: 'Bearer user-token' } });
    await http.getJson('/fresh', schema, { headers: { authorization: 'Bearer user-token' } });
    expect(cache.stats().upstreams['kommunen/register']).toMatchObject({ bypassed: 2, stored: 0 });
    expect(standIn.stats().total).toBe(6);
    await http.close();
  });
});
