import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { createRedisStore, type RedisStore } from '../common/cache';
import type { GatewayConfigInput } from '../gateway/src/config';
import { createGateway, type Gateway } from '../gateway/src/server';
import { runCacheCli } from '../scripts/cache';
import type { Stack } from '../scripts/stack';
import { startExecutorGraph, type ExecutorGraph } from './fixtures/executor/graph';
import { bearer, createTestIssuer, resetUpstreamCounts, startTestStack, upstreamCounts, type TestIssuer } from './testkit';

/**
 * The gateway response cache (gateway/src/cache/response-cache.ts, plugins/use-response-cache.ts)
 * against the real Redis at 127.0.0.1:6379, each suite under its own key prefix (removed
 * afterwards): whole answers of public queries, keyed `entity:q:<sha256>` in the entity cache's
 * namespace.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
jest.setTimeout(60_000);

const prefixOf = (name: string) => `amtsgraph-test-${name}-${randomBytes(4).toString('hex')}:`;
const METRICS_TOKEN = randomBytes(24).toString('hex');

async function withRedis<T>(use: (client: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.quit();
  }
}

async function keysOf(pattern: string): Promise<string[]> {
  return withRedis(async (client) => {
    const keys: string[] = [];
    for await (const key of client.scanIterator({ MATCH: pattern, COUNT: 500 })) keys.push(key);
    return keys.sort();
  });
}

const removePrefix = async (prefix: string) => {
  const keys = await keysOf(`${prefix}*`);
  if (keys.length) await withRedis((client) => client.del(keys));
};

/** Subgraph fetches the gateway made (the caches answer the others). */
function countFetches(gateway: Gateway) {
  const fetches: string[] = [];
  gateway.engine.observeFetches((_context, fetch) => {
    fetches.push(`${fetch.subgraph}${fetch.entity ? ' _entities' : ''}`);
  });
  return fetches;
}

interface Answer {
  status: number;
  text: string;
  cache: string | null;
  headers: Headers;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text(), cache: response.headers.get('x-amtsgraph-cache'), headers: response.headers };
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('response cache: public queries over the Amtsgraph stack (Redis)', () => {
  const prefix = prefixOf('rc');
  const qKeys = () => keysOf(`${prefix}entity:q:*`);
  let store: RedisStore;
  let stack: Stack;
  let issuer: TestIssuer;
  let fetches: string[];
  const SOLINGEN = '{ municipality(ags: "05122000") { name warnings { headline } taxOffice { name } } }';
  const BY_AGS = 'query ByAgs($ags: String!) { municipality(ags: $ags) { name population warnings { headline } } }';
  const ask = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) => post(stack.gatewayUrl, { query, variables }, headers);

  beforeAll(async () => {
    issuer = await createTestIssuer();
    store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 1_000 });
    expect(await store.whenReady(2_000)).toBe(true);
    stack = await startTestStack({
      upstreamCache: { store },
      gateway: {
        authentication: issuer.authentication as GatewayConfigInput['authentication'],
        cache: { enabled: true, defaultTtlSeconds: 300, rootTtlSeconds: 300 },
        rateLimit: { enabled: true, anonymousPerMinute: 10_000, authenticatedPerMinute: 3 },
        ops: { metrics: { token: METRICS_TOKEN } },
      },
    });
    fetches = countFetches(stack.gateway);
  });
  afterAll(async () => {
    await stack.stop();
    await store.close();
    await removePrefix(prefix);
  });

  it('the second identical query is answered from one entry: 0 subgraph fetches, 0 upstream requests, the same bytes', async () => {
    resetUpstreamCounts(stack);
    const first = await ask(SOLINGEN);
    expect([first.status, first.cache]).toEqual([200, 'miss']);
    expect(JSON.parse(first.text).data.municipality.name).toBe('Solingen, Klingenstadt');
    expect(fetches.sort()).toEqual(['kommunen', 'leistungen _entities', 'warnungen _entities']);
    expect(upstreamCounts(stack)).toMatchObject({ register: 1, leika: 1, nina: 1 });
    expect(sum(upstreamCounts(stack))).toBe(3);
    expect(await qKeys()).toHaveLength(1);

    fetches.length = 0;
    resetUpstreamCounts(stack);
    const second = await ask(SOLINGEN);
    expect([second.status, second.cache, second.headers.get('content-type')]).toEqual([200, 'hit', 'application/graphql-response+json; charset=utf-8']);
    expect(second.text).toBe(first.text);
    expect(fetches).toEqual([]);
    expect(sum(upstreamCounts(stack))).toBe(0);
    // The correlation id is still answered on a hit.
    expect(second.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    // Plain application/json: the same entry, the same bytes, Yoga's content negotiation.
    const json = await post(stack.gatewayUrl, { query: SOLINGEN }, { accept: 'application/json' });
    expect([json.cache, json.headers.get('content-type'), json.text === first.text]).toEqual(['hit', 'application/json; charset=utf-8', true]);
    expect(fetches).toEqual([]);
  });

  it('other variables are another entry (miss); the same variables again are a hit', async () => {
    fetches.length = 0;
    const solingen = await ask(BY_AGS, { ags: '05122000' });
    const flensburg = await ask(BY_AGS, { ags: '01001000' });
    expect([solingen.cache, flensburg.cache]).toEqual(['miss', 'miss']);
    expect(JSON.parse(flensburg.text).data.municipality.name).toBe('Flensburg, Stadt');
    // A new operation: new fetch operations (their names carry the operation's), so each is fetched once.
    expect(fetches.sort()).toEqual(['kommunen', 'kommunen', 'warnungen _entities', 'warnungen _entities']);
    fetches.length = 0;
    const again = await post(stack.gatewayUrl, { variables: { ags: '01001000' }, operationName: 'ByAgs', query: BY_AGS });
    // With operationName it is another request text-wise: a miss answered by the entity cache alone.
    expect(again.cache).toBe('miss');
    const hit = await ask(BY_AGS, { ags: '01001000' });
    expect([hit.cache, hit.text === flensburg.text]).toEqual(['hit', true]);
    expect(fetches).toEqual([]);
    expect(await qKeys()).toHaveLength(4);
  });

  it('a query touching a restricted field is never stored, not even for an authorized caller', async () => {
    const registrar = bearer(await issuer.token({ sub: 'sb-melde-sg', scope: 'melde:read', ags: '05122000', purpose: 'melderegisterauskunft' }));
    const query = '{ municipality(ags: "05122000") { name residents(first: 2) { nodes { id familyName } } } }';
    const before = await qKeys();
    fetches.length = 0;
    const first = await ask(query, undefined, registrar);
    const second = await ask(query, undefined, registrar);
    expect(JSON.parse(first.text).data.municipality.residents.nodes).toHaveLength(2);
    expect(second.text).toBe(first.text);
    expect([first.cache, second.cache]).toEqual([null, null]);
    // The public root field once (then from the entity cache); the residents every time.
    expect(fetches).toEqual(['kommunen', 'melderegister _entities', 'melderegister _entities']);
    expect(await qKeys()).toEqual(before);
  });

  it('an answer with errors is not stored', async () => {
    const query = '{ municipality(ags: "0512200") { name } }';
    const before = await qKeys();
    fetches.length = 0;
    const first = await ask(query);
    const second = await ask(query);
    expect(JSON.parse(first.text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect([first.cache, second.cache]).toEqual(['miss', 'miss']);
    expect(fetches).toEqual(['kommunen', 'kommunen']);
    expect(await qKeys()).toEqual(before);
  });

  it('authentication, the rate limit and the query-plan header still apply to cached answers', async () => {
    expect((await ask(SOLINGEN)).cache).toBe('hit');
    const badToken = await ask(SOLINGEN, undefined, { authorization: 'Bearer not-a-token' });
    expect([badToken.status, JSON.parse(badToken.text).errors[0].extensions.code, badToken.cache]).toEqual([401, 'UNAUTHENTICATED', null]);
    const caller = bearer(await issuer.token({ sub: 'portal-rate-test' }));
    const statuses: (number | string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await ask(SOLINGEN, undefined, caller);
      statuses.push(answer.status, answer.cache);
    }
    expect(statuses).toEqual([200, 'hit', 200, 'hit', 200, 'hit', 429, null]);
    // The plan header is the plan monitor's to refuse (no token): never answered from the cache.
    const plan = await ask(SOLINGEN, undefined, { 'x-amtsgraph-query-plan': 'include' });
    expect([plan.status, JSON.parse(plan.text).errors[0].extensions.code, plan.cache]).toEqual([401, 'UNAUTHENTICATED', null]);
  });

  it('an automatic persisted query sent as its hash alone is served from the entry of its text', async () => {
    const { createHash } = await import('node:crypto');
    const query = '{ municipality(ags: "05315000") { name warnings { headline } } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const registered = await post(stack.gatewayUrl, { query, extensions });
    const byHash = await post(stack.gatewayUrl, { extensions });
    expect([registered.cache, byHash.cache, byHash.text === registered.text]).toEqual(['miss', 'hit', true]);
  });

  it('POST /cache/invalidate (type/key, tag, subgraph) drops every whole-response entry; the next request fetches again', async () => {
    const invalidate = async (body: unknown) => {
      const response = await fetch(stack.gatewayUrl.replace(/\/graphql$/, '/cache/invalidate'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(await issuer.token({ sub: 'ops', scope: 'ops:cache' })) },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { deleted: number };
    };
    const cases: [unknown, string[]][] = [
      // Solingen's entities and every root-field entry: all three fetched again.
      [{ type: 'Municipality', key: { ags: '05122000' } }, ['kommunen', 'leistungen _entities', 'warnungen _entities']],
      // Flensburg's entities and every root-field entry: Solingen's root field fetched again.
      [{ tag: 'municipality:01001000' }, ['kommunen']],
      // Nothing of Solingen's answer: rebuilt from the entity cache alone.
      [{ subgraph: 'abfall' }, []],
    ];
    for (const [target, refetched] of cases) {
      expect((await ask(SOLINGEN)).cache).toBe('hit');
      const entries = (await qKeys()).length;
      expect(entries).toBeGreaterThan(0);
      const { deleted } = await invalidate(target);
      expect(deleted).toBeGreaterThanOrEqual(entries);
      expect(await qKeys()).toEqual([]);
      fetches.length = 0;
      const after = await ask(SOLINGEN);
      expect(after.cache).toBe('miss');
      expect(fetches.sort()).toEqual(refetched);
    }
  });

  it('npm run cache -- invalidate (directly on Redis) drops them too', async () => {
    expect((await ask(SOLINGEN)).cache).toBe('hit');
    const out: string[] = [];
    const code = await runCacheCli(['invalidate', '--subgraph', 'abfall', '--redis', REDIS_URL, '--prefix', prefix], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      env: {},
    });
    expect([code, JSON.parse(out.join('')).deleted]).toEqual([0, 1]);
    expect(await qKeys()).toEqual([]);
    expect((await ask(SOLINGEN)).cache).toBe('miss');
  });

  it('hits and misses are in /metrics as amtsgraph_cache_{hits,misses}_total{cache="response"}', async () => {
    const scrape = async () => {
      const text = await (await fetch(stack.gatewayUrl.replace(/\/graphql$/, '/metrics'), { headers: bearer(METRICS_TOKEN) })).text();
      const read = (name: string) => Number(new RegExp(`^${name}\\{cache="response"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      return { hits: read('amtsgraph_cache_hits_total'), misses: read('amtsgraph_cache_misses_total') };
    };
    const before = await scrape();
    const query = '{ municipality(ags: "05314000") { name } }';
    await ask(query);
    await ask(query);
    await ask(query);
    expect(await scrape()).toEqual({ hits: before.hits + 2, misses: before.misses + 1 });
  });
});

describe('response cache: TTL (Redis)', () => {
  const prefix = prefixOf('rc-ttl');
  let stack: Stack;
  let fetches: string[];
  beforeAll(async () => {
    // The gateway's own store on Redis (no upstream cache): Municipality entries live 1 s, answers at most 2 s.
    stack = await startTestStack({
      gateway: {
        cache: { enabled: true, redisUrl: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 1_000, defaultTtlSeconds: 300, rootTtlSeconds: 300, types: { Municipality: { ttlSeconds: 1 } }, responses: { ttlSeconds: 2 } },
      },
    });
    fetches = countFetches(stack.gateway);
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await stack.stop();
    await removePrefix(prefix);
  });

  const ttlOf = async () => {
    const keys = await keysOf(`${prefix}entity:q:*`);
    expect(keys).toHaveLength(1);
    return withRedis((client) => client.pTTL(keys[0]!));
  };

  it('an answer lives as long as its shortest-lived part: 1 s with a Municipality entity fetch', async () => {
    const query = '{ municipality(ags: "05122000") { name warnings { headline } } }';
    const first = await post(stack.gatewayUrl, { query });
    expect(first.cache).toBe('miss');
    const ttl = await ttlOf();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
    fetches.length = 0;
    expect((await post(stack.gatewayUrl, { query })).cache).toBe('hit');
    expect(fetches).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_300));
    const later = await post(stack.gatewayUrl, { query });
    expect([later.cache, later.text === first.text]).toEqual(['miss', true]);
    // The root entry (300 s) answered kommunen; the expired entity was fetched again.
    expect(fetches).toEqual(['warnungen _entities']);
    await removePrefix(`${prefix}entity:q:`);
  });

  it('without entity fetches: responses.ttlSeconds (2 s), below rootTtlSeconds (300 s)', async () => {
    const query = '{ municipality(ags: "05315000") { name population } }';
    expect((await post(stack.gatewayUrl, { query })).cache).toBe('miss');
    const ttl = await ttlOf();
    expect(ttl).toBeGreaterThan(1_000);
    expect(ttl).toBeLessThanOrEqual(2_000);
    await new Promise((r) => setTimeout(r, 2_200));
    fetches.length = 0;
    expect((await post(stack.gatewayUrl, { query })).cache).toBe('miss');
    // The root-field entry (300 s) still answers: only the whole answer expired.
    expect(fetches).toEqual([]);
  });
});

describe('response cache: mutations and Cache-Control of subgraph answers (executor fixture graph, Redis)', () => {
  const prefix = prefixOf('rc-fixture');
  let graph: ExecutorGraph;
  let gateway: Gateway;
  let proxy: http.Server;
  let fetches: string[];
  /** The Cache-Control header the proxy in front of `accounts` adds to its answers (null: none). */
  let accountsCacheControl: string | null = null;
  /** `extensions` the proxy adds to the answers of `accounts` (null: none). */
  let accountsExtensions: Record<string, unknown> | null = null;
  const run = async (query: string) => {
    const response = await gateway.fetch('http://gw/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, text: await response.text(), cache: response.headers.get('x-amtsgraph-cache') };
  };

  beforeAll(async () => {
    graph = await startExecutorGraph();
    // A proxy in front of accounts that adds Cache-Control to its answers.
    proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const upstream = await fetch(graph.subgraphUrls.accounts!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
        res.writeHead(upstream.status, { 'content-type': 'application/json', ...(accountsCacheControl ? { 'cache-control': accountsCacheControl } : {}) });
        const answer = (await upstream.json()) as Record<string, unknown>;
        res.end(JSON.stringify(accountsExtensions ? { ...answer, extensions: accountsExtensions } : answer));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    gateway = await createGateway({
      supergraphPath: graph.supergraphPath,
      subgraphUrls: { ...graph.subgraphUrls, accounts: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql` },
      watchSupergraph: false,
      identitySecret: randomBytes(32).toString('base64url'),
      logLevel: 'silent',
      ops: { tracing: { enabled: false } },
      cache: { enabled: true, redisUrl: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 1_000, defaultTtlSeconds: 300, rootTtlSeconds: 300 },
    });
    fetches = countFetches(gateway);
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await gateway.stop();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await graph.stop();
    await removePrefix(prefix);
  });
  beforeEach(() => {
    graph.reset();
    fetches.length = 0;
    accountsCacheControl = null;
    accountsExtensions = null;
  });

  const qKeys = () => keysOf(`${prefix}entity:q:*`);

  it('a mutation is executed every time and never stored', async () => {
    const mutation = 'mutation { createUser(name: "Frieda Neu") { name } }';
    const first = await run(mutation);
    const second = await run(mutation);
    expect(JSON.parse(first.text)).toEqual({ data: { createUser: { name: 'Frieda Neu' } } });
    expect([first.cache, second.cache]).toEqual([null, null]);
    expect(graph.log).toEqual(['accounts:mutation', 'accounts:mutation']);
    expect(await qKeys()).toEqual([]);
  });

  it.each(['private', 'no-store', 'no-cache'])('a fetch answered Cache-Control: %s keeps the answer out of the cache', async (cacheControl) => {
    accountsCacheControl = cacheControl;
    const query = `{ users { id name } __typename }`;
    const first = await run(query);
    const second = await run(query);
    expect(JSON.parse(first.text).data.users.length).toBeGreaterThan(0);
    expect([first.cache, second.cache, second.text === first.text]).toEqual(['miss', 'miss', true]);
    expect(graph.counts()).toEqual({ accounts: 2 });
    expect(await qKeys()).toEqual([]);
  });

  it('Cache-Control: max-age=1 bounds the answer\'s TTL to 1 s', async () => {
    accountsCacheControl = 'max-age=1';
    const query = '{ user(id: "u1") { name } }';
    expect((await run(query)).cache).toBe('miss');
    expect((await run(query)).cache).toBe('hit');
    expect(graph.counts()).toEqual({ accounts: 1 });
    const keys = await qKeys();
    expect(keys).toHaveLength(1);
    const ttl = await withRedis((client) => client.pTTL(keys[0]!));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
  });

  it('an invalidation a subgraph announces in its answer drops the stored answers', async () => {
    await removePrefix(`${prefix}entity:q:`);
    expect((await run('{ __typename }')).cache).toBe('miss');
    const [typename] = await qKeys();
    accountsExtensions = { invalidations: [{ type: 'User', key: { id: 'u2' } }] };
    const query = '{ user(id: "u2") { name } }';
    expect((await run(query)).cache).toBe('miss');
    // The answer that carried the announcement was made after it, and is kept.
    const keys = await qKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toBe(typename);
    expect((await run('{ __typename }')).cache).toBe('miss');
  });

  it('a query without any fetch is stored with the configured TTL', async () => {
    await removePrefix(`${prefix}entity:q:`);
    expect((await run('{ __typename }')).cache).toBe('miss');
    expect((await run('{ __typename }')).text).toBe('{"data":{"__typename":"Query"}}');
    const keys = await qKeys();
    expect(keys).toHaveLength(1);
    expect(Math.round((await withRedis((client) => client.pTTL(keys[0]!))) / 1000)).toBe(300);
    expect(fetches).toEqual([]);
  });
});
