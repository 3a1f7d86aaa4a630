import { createClient } from 'redis';
import { createRedisStore, type RedisStore } from '../common/cache';
import { listen, type Listening } from '../common/listen';
import type { Stack } from '../scripts/stack';
import type { StandIn } from '../stand-ins/lib/stand-in';
import { STAND_IN_FACTORIES } from '../stand-ins/registry';
import { startTestRedis, uniqueKeyPrefix, type TestRedis } from './redis-server';
import { gql, resetUpstreamCounts, startTestStack, upstreamCounts } from './testkit';

/**
 * The subgraphs' upstream HTTP cache in the whole stack, with real Redis servers: the shared
 * one at 127.0.0.1:6379 (own key prefix, removed afterwards) and a test-owned redis-server
 * that is killed and restarted. Upstream requests are counted exactly at the stand-ins.
 */
const SOLINGEN = `{
  municipality(ags: "05122000") {
    name population areaKm2 district { name } state { name }
    taxOffice { name }
    responsibleAuthority(leikaKey: "99050012104000") { name }
    wasteCalendar(street: "Hauptstraße", from: "2026-01-01", to: "2026-01-15") { date fraction }
    council { meetings(first: 3, from: "2026-03-01") { name start } }
    warnings { headline severity }
  }
}`;
const NAME_OF = (ags: string) => `{ municipality(ags: "${ags}") { name } }`;

/** Exact request counts: the given ones, and 0 for every other stand-in of the stack. */
function expectCounts(stack: Stack, expected: Partial<Record<string, number>>) {
  const counts = upstreamCounts(stack);
  expect(counts).toEqual({ ...Object.fromEntries(Object.keys(counts).map((name) => [name, 0])), ...expected });
}

describe('upstream cache in Redis (127.0.0.1:6379)', () => {
  const prefix = uniqueKeyPrefix('upstream-cache');
  const raw = createClient({ url: 'redis://127.0.0.1:6379' });
  let stack: Stack;
  beforeAll(async () => {
    await raw.connect();
    // A generous command timeout: this file is about cache semantics on a busy test machine;
    // the 50 ms default and what happens beyond it are tested in common/cache/.
    stack = await startTestStack({
      upstreamCache: { redisUrl: 'redis://127.0.0.1:6379', redis: { keyPrefix: prefix, commandTimeoutMs: 1_000 } },
    });
  });
  afterAll(async () => {
    await stack.stop();
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(keys);
    await raw.disconnect();
  });

  it('answers a repeated five-subgraph query with 0 upstream requests and the same data', async () => {
    resetUpstreamCounts(stack);
    const first = await gql(stack, SOLINGEN);
    expect(first.body.errors).toBeUndefined();
    expectCounts(stack, { register: 3, leika: 2, abfallnavi: 4, oparl: 3, nina: 1 });
    resetUpstreamCounts(stack);
    const second = await gql(stack, SOLINGEN);
    expect(second.body).toEqual(first.body);
    expectCounts(stack, {});

    const { upstreams, store } = stack.upstreamCache!.stats();
    expect(upstreams).toEqual({
      'kommunen/register': expect.objectContaining({ misses: 3, hits: 3, stored: 3, notStored: 0 }),
      'leistungen/leika': expect.objectContaining({ misses: 2, hits: 2, stored: 2 }),
      'abfall/abfallnavi': expect.objectContaining({ misses: 4, hits: 4, stored: 4 }),
      'ratsinfo/oparl': expect.objectContaining({ misses: 3, hits: 3, stored: 3 }),
      'warnungen/nina': expect.objectContaining({ misses: 1, hits: 1, stored: 1 }),
    });
    expect(store).toMatchObject({ kind: 'redis', shared: true, available: true, unavailable: 0 });

    // 13 entries in Redis, named by subgraph and upstream; the request itself is hashed.
    const keys = await raw.keys(`${prefix}*`);
    expect(keys).toHaveLength(13);
    const namespaces = keys.map((k) => k.slice(prefix.length).split(':').slice(0, 3).join(':'));
    expect(namespaces.filter((n) => n === 'upstream:kommunen:register')).toHaveLength(3);
    expect(keys.some((k) => k.includes('05122'))).toBe(false);
    // Redis keeps each entry at most max-age (capped by the policy) + the revalidation window.
    const nina = keys.find((k) => k.includes(':warnungen:nina:'))!;
    const ttl = await raw.pTTL(nina);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(60_000 + 3_600_000);
  });

  it('makes one upstream request for 20 concurrent identical queries (single-flight)', async () => {
    resetUpstreamCounts(stack);
    const before = stack.upstreamCache!.stats().upstreams['kommunen/register']!;
    // Each query has its own alias, so the gateway sends 20 different subgraph requests (it
    // would share identical ones itself); all of them need the same upstream REST response.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => gql(stack, `{ k${i}: municipality(ags: "05315000") { name } }`)),
    );
    expect(answers.map((a, i) => a.body.data?.[`k${i}`]?.name)).toEqual(Array(20).fill('Köln, Stadt'));
    expectCounts(stack, { register: 1 });
    const after = stack.upstreamCache!.stats().upstreams['kommunen/register']!;
    expect(after.misses - before.misses).toBe(1);
    expect(after.coalesced - before.coalesced + (after.hits - before.hits)).toBe(19);
  });
});

/** A proxy in front of the NINA stand-in that can rewrite Cache-Control (as a careless vendor would). */
async function startRewritingProxy(target: string) {
  const state: { cacheControl: string | null } = { cacheControl: null };
  const server: Listening = await listen((req, res) => {
    (async () => {
      const upstream = await fetch(target + (req.url ?? '/'), {
        headers: Object.fromEntries(Object.entries(req.headers).filter(([, v]) => typeof v === 'string')) as Record<string, string>,
      });
      const headers: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) headers[name] = value;
      });
      if (state.cacheControl) headers['cache-control'] = state.cacheControl;
      const body = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, headers);
      res.end(body);
    })().catch(() => {
      res.writeHead(502);
      res.end();
    });
  });
  return { url: server.url, state, close: () => server.close() };
}

describe('upstream cache with short TTLs, Cache-Control of the upstream, and a Redis that dies', () => {
  let redis: TestRedis;
  let store: RedisStore;
  let stack: Stack;
  let nina: StandIn;
  let ninaRunning: { url: string; close(): Promise<void> };
  let proxy: Awaited<ReturnType<typeof startRewritingProxy>>;
  let raw: ReturnType<typeof createClient>;

  const keysOf = async (namespace: string) => (await raw.keys('*')).filter((k) => k.startsWith(`amtsgraph:upstream:${namespace}:`));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    redis = await startTestRedis();
    raw = createClient({ url: redis.url, socket: { reconnectStrategy: 20 } });
    raw.on('error', () => {});
    await raw.connect();
    store = createRedisStore({ url: redis.url, commandTimeoutMs: 1_000, reconnectMinDelayMs: 20, reconnectMaxDelayMs: 100, circuitOpenMs: 100 });
    expect(await store.whenReady(2_000)).toBe(true);
    nina = STAND_IN_FACTORIES.nina({});
    ninaRunning = await nina.listen(0);
    proxy = await startRewritingProxy(ninaRunning.url);
    stack = await startTestStack({
      upstreamUrls: { nina: proxy.url },
      upstreamCache: { store, override: { maxTtlSeconds: 0.5, revalidateWindowSeconds: 0.5 } },
    });
  });
  afterAll(async () => {
    await stack.stop();
    await store.close();
    await raw.disconnect().catch(() => {});
    await proxy.close();
    await ninaRunning.close();
    await redis.stop();
  });

  it('expires entries by TTL and revalidates a stale one with If-None-Match: a 304 without a body', async () => {
    const query = NAME_OF('05334002');
    resetUpstreamCounts(stack);
    expect((await gql(stack, query)).body.data).toEqual({ municipality: { name: 'Aachen, Stadt' } });
    expect((await gql(stack, query)).body.data).toEqual({ municipality: { name: 'Aachen, Stadt' } });
    expect(upstreamCounts(stack).register).toBe(1);

    await sleep(550); // stale (0.5 s), still within the revalidation window
    expect((await gql(stack, query)).body.data).toEqual({ municipality: { name: 'Aachen, Stadt' } });
    const recent = stack.standIns.register!.standIn.stats().recent;
    expect(recent.map((r) => r.status)).toEqual([200, 304]);
    expect(stack.upstreamCache!.stats().upstreams['kommunen/register']).toMatchObject({ revalidated: 1 });
    expect(await keysOf('kommunen:register')).toHaveLength(1);

    await sleep(1_050); // beyond freshness and window since the 304: gone from Redis
    expect(await keysOf('kommunen:register')).toHaveLength(0);
    expect((await gql(stack, query)).body.data).toEqual({ municipality: { name: 'Aachen, Stadt' } });
    expect(stack.standIns.register!.standIn.stats().recent.map((r) => r.status)).toEqual([200, 304, 200]);
  });

  it.each([['private, max-age=600'], ['no-store']])('never stores an answer with Cache-Control: %s (nothing in Redis)', async (cacheControl) => {
    proxy.state.cacheControl = cacheControl;
    try {
      nina.resetStats();
      const query = `{ municipality(ags: "05122000") { warnings { headline } } }`;
      const first = await gql(stack, query);
      const second = await gql(stack, query);
      expect(second.body).toEqual(first.body);
      expect(first.body.data!.municipality.warnings).toHaveLength(2);
      expect(nina.stats().total).toBe(2);
      expect(await keysOf('warnungen:nina')).toEqual([]);
    } finally {
      proxy.state.cacheControl = null;
    }
    // The same upstream with its usual `public, max-age=60`: stored, then served from Redis.
    nina.resetStats();
    await gql(stack, `{ municipality(ags: "05122000") { warnings { headline } } }`);
    await gql(stack, `{ municipality(ags: "05122000") { warnings { headline } } }`);
    expect(nina.stats().total).toBe(1);
    expect(await keysOf('warnungen:nina')).toHaveLength(1);
    await stack.upstreamCache!.purge({ subgraph: 'warnungen' });
  });

  it('serves every request uncached while Redis is down, and caches again when it is back', async () => {
    const query = NAME_OF('05315000');
    resetUpstreamCounts(stack);
    await gql(stack, query);
    await gql(stack, query);
    expect(upstreamCounts(stack).register).toBe(1);

    await redis.kill();
    const unavailableBefore = stack.upstreamCache!.stats().upstreams['kommunen/register']!.unavailable;
    for (let i = 0; i < 3; i++) {
      const { status, body } = await gql(stack, query);
      expect(status).toBe(200);
      expect(body).toEqual({ data: { municipality: { name: 'Köln, Stadt' } } });
    }
    expect(upstreamCounts(stack).register).toBe(4);
    expect(stack.upstreamCache!.stats().upstreams['kommunen/register']!.unavailable - unavailableBefore).toBe(3);
    expect(stack.upstreamCache!.stats().store.available).toBe(false);

    await redis.restart();
    expect(await store.whenReady(3_000)).toBe(true);
    await sleep(120); // past the circuit's open time
    resetUpstreamCounts(stack);
    await gql(stack, query); // the restarted Redis is empty: one miss
    await gql(stack, query);
    await gql(stack, query);
    expect(upstreamCounts(stack).register).toBe(1);
    expect(stack.upstreamCache!.stats().store.available).toBe(true);
  });
});
