import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { createRedisStore, type RedisStore } from '../common/cache';
import type { EntityCache } from '../gateway/src/cache/entity-cache';
import type { GatewayConfigInput } from '../gateway/src/config';
import { runCacheCli } from '../scripts/cache';
import type { Stack } from '../scripts/stack';
import { FAMILY_NAMES, residentsOf } from '../stand-ins/lib/residents';
import { startTestRedis, type TestRedis } from './redis-server';
import { bearer, createTestIssuer, gql, resetUpstreamCounts, startTestStack, upstreamCounts, type TestIssuer } from './testkit';

/**
 * The gateway entity cache (gateway/src/cache/) against the real Redis at 127.0.0.1:6379,
 * each suite under its own key prefix (removed afterwards), and against a test-owned
 * redis-server that is killed and restarted. The response cache (response-cache.test.ts) is
 * off here: it would answer repeated queries before the entity cache is asked.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
// Whole stacks, hundreds of requests and a killed Redis: generous bounds on a loaded 2-core machine.
jest.setTimeout(60_000);
const LIST_QUERY = `{ municipalities(state: "05", first: 50) { nodes { ags name district { name } taxOffice { name }
  responsibleAuthority(leikaKey: "99050012104000") { name } warnings { headline } } } }`;

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const prefixOf = (name: string) => `amtsgraph-test-${name}-${randomBytes(4).toString('hex')}:`;

async function removePrefix(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const key of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) await client.del(key);
  await client.quit();
}

async function readAll(prefix: string): Promise<{ key: string; value: string }[]> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  const out: { key: string; value: string }[] = [];
  for await (const key of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) out.push({ key, value: (await client.get(key)) ?? '' });
  await client.quit();
  return out;
}

/** Subgraph fetches the gateway actually made (the cache answers the others). */
function countFetches(stack: Stack) {
  const fetches: { subgraph: string; entity: boolean }[] = [];
  stack.gateway.engine.observeFetches((_c, fetch) => {
    fetches.push({ subgraph: fetch.subgraph, entity: fetch.entity });
  });
  return fetches;
}

describe('entity cache: cross-subgraph list (both caches, one shared Redis store)', () => {
  const prefix = prefixOf('ec');
  let store: RedisStore;
  let stack: Stack;
  let cache: EntityCache;
  let fetches: { subgraph: string; entity: boolean }[];
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 1_000 });
    expect(await store.whenReady(2_000)).toBe(true);
    stack = await startTestStack({
      upstreamCache: { store },
      gateway: {
        authentication: issuer.authentication as GatewayConfigInput['authentication'],
        cache: { enabled: true, defaultTtlSeconds: 300, rootTtlSeconds: 300, responses: false },
      },
      onEntityCache: (c) => (cache = c),
    });
    fetches = countFetches(stack);
  });
  afterAll(async () => {
    await stack.stop();
    await store.close();
    await removePrefix(prefix);
  });

  let reference: unknown;
  it('the second run costs 0 upstream requests and 0 subgraph fetches, with the same data', async () => {
    resetUpstreamCounts(stack);
    const first = await gql(stack, LIST_QUERY);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.municipalities.nodes).toHaveLength(50);
    reference = first.body;
    expect(sum(upstreamCounts(stack))).toBeGreaterThan(50);
    // The plan: kommunen (root list, district, taxOffice), then warnungen and leistungen (_entities × 50).
    expect(fetches).toEqual([
      { subgraph: 'kommunen', entity: false },
      expect.objectContaining({ entity: true }),
      expect.objectContaining({ entity: true }),
    ]);
    expect(new Set(fetches.map((f) => f.subgraph))).toEqual(new Set(['kommunen', 'warnungen', 'leistungen']));
    expect(cache.stats()).toEqual({
      Query: { hit: 0, miss: 1, stale: 0, bypass: 0, stored: 1 },
      Municipality: { hit: 0, miss: 100, stale: 0, bypass: 0, stored: 100 },
    });

    resetUpstreamCounts(stack);
    fetches.length = 0;
    const second = await gql(stack, LIST_QUERY);
    expect(second.body).toEqual(reference);
    expect(sum(upstreamCounts(stack))).toBe(0);
    expect(fetches).toEqual([]);
    expect(cache.stats()).toEqual({
      Query: { hit: 1, miss: 1, stale: 0, bypass: 0, stored: 1 },
      Municipality: { hit: 100, miss: 100, stale: 0, bypass: 0, stored: 100 },
    });
  });

  it('invalidating one municipality by tag refetches that one entity (and the coarse root entry) only', async () => {
    const response = await fetch(stack.gatewayUrl.replace(/\/graphql$/, '/cache/invalidate'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(await issuer.token({ sub: 'ops', scope: 'ops:cache' })) },
      body: JSON.stringify({ tag: 'municipality:05122000' }),
    });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { deleted: number; resolved: unknown };
    expect(result.resolved).toEqual({ type: 'Municipality', key: { ags: '05122000' } });
    fetches.length = 0;
    const again = await gql(stack, LIST_QUERY);
    expect(again.body).toEqual(reference);
    // Deleted: Solingen's entries in warnungen and leistungen, and the (coarsely dropped) root entry.
    expect(result.deleted).toBe(3);
    // Refetched: the root list, and Solingen alone in each entity fetch (49 hits each).
    expect(fetches).toHaveLength(3);
    expect(cache.stats()).toEqual({
      Query: { hit: 1, miss: 2, stale: 0, bypass: 0, stored: 2 },
      Municipality: { hit: 198, miss: 102, stale: 0, bypass: 0, stored: 102 },
    });
  });

  it('the invalidation endpoint requires scope ops:cache', async () => {
    const url = stack.gatewayUrl.replace(/\/graphql$/, '/cache/invalidate');
    const body = JSON.stringify({ subgraph: 'kommunen' });
    const anonymous = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anonymous.status).toBe(401);
    const reader = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(await issuer.token({ sub: 'ops', scope: 'ops:read' })) }, body });
    expect(reader.status).toBe(403);
    expect(await reader.json()).toEqual({ errors: [{ message: 'Cache invalidation requires scope ops:cache.', extensions: { code: 'INSUFFICIENT_SCOPE' } }] });
  });

  it('POST /cache/invalidate refuses unknown subgraphs, entity types and key fields: 400 BAD_USER_INPUT with the valid names', async () => {
    const url = stack.gatewayUrl.replace(/\/graphql$/, '/cache/invalidate');
    const token = await issuer.token({ sub: 'ops', scope: 'ops:cache' });
    const keysBefore = (await readAll(prefix)).map((e) => e.key).sort();
    const post = async (body: unknown) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    };
    const refused = (message: string) => ({ status: 400, body: { errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] } });
    expect(await post({ subgraph: 'nope' })).toEqual(
      refused('unknown subgraph "nope"; the subgraphs are abfall, gewerbe, kommunen, leistungen, melderegister, ratsinfo, warnungen'),
    );
    expect(await post({ type: 'Nope', key: { x: 1 } })).toEqual(
      refused('unknown entity type "Nope"; the entity types are Business, District, Municipality, Person, Service, State'),
    );
    // A type of the schema that is not an entity (no @key) cannot be in the entity cache either.
    expect(await post({ type: 'Warning', key: { id: '1' } })).toEqual(
      refused('unknown entity type "Warning"; the entity types are Business, District, Municipality, Person, Service, State'),
    );
    expect(await post({ type: 'Municipality', key: { nope: 'x' } })).toEqual(refused('the key of Municipality must have exactly its @key field ags, received "nope"'));
    expect(await post({ type: 'Municipality', key: { ags: '05122000', name: 'Solingen' } })).toEqual(
      refused('the key of Municipality must have exactly its @key field ags, received "ags", "name"'),
    );
    expect(await post({ type: 'Municipality', key: {} })).toEqual(refused('the key of Municipality must have exactly its @key field ags, received no fields'));
    expect(await post({ tag: 'nope:1' })).toEqual(
      refused('tag must be "<entity type lowercased>:<key value>" of a type with a single key field (business, district, municipality, person, service, state), received "nope:1"'),
    );
    // Nothing was deleted.
    expect((await readAll(prefix)).map((e) => e.key).sort()).toEqual(keysBefore);
  });

  it('operators see which entities came from the cache (x-amtsgraph-cache-debug: 1, ops:read)', async () => {
    const query = '{ municipality(ags: "05315000") { name taxOffice { name } } }';
    await gql(stack, query);
    const token = await issuer.token({ sub: 'ops', scope: 'ops:read' });
    const debug = await gql(stack, query, undefined, { ...bearer(token), 'x-amtsgraph-cache-debug': '1' });
    expect((debug.body as { extensions?: { cache?: unknown } }).extensions?.cache).toEqual({
      entities: [{ subgraph: expect.any(String), type: 'Municipality', key: { ags: '05315000' } }],
      rootFields: [{ subgraph: 'kommunen' }],
      hits: 2,
      misses: 0,
    });
    const plain = await gql(stack, query, undefined, { 'x-amtsgraph-cache-debug': '1' });
    expect((plain.body as { extensions?: unknown }).extensions).toBeUndefined();
  });
});

describe('entity cache: personal data stays out of shared entries', () => {
  const prefix = prefixOf('ec-privacy');
  let store: RedisStore;
  let stack: Stack;
  let cache: EntityCache;
  let tokens: Record<'anonymous' | 'bremen' | 'solingen', string | null>;
  const own = { anonymous: null, bremen: '04011000', solingen: '05122000' } as const;
  const query = (ags: string) =>
    `{ municipality(ags: "${ags}") { name taxOffice { name } warnings { headline } residents(first: 5) { nodes { id familyName givenNames birthDate municipality { ags name } } } } }`;
  beforeAll(async () => {
    const issuer = await createTestIssuer();
    store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 1_000 });
    expect(await store.whenReady(2_000)).toBe(true);
    stack = await startTestStack({
      upstreamCache: { store },
      gateway: { authentication: issuer.authentication as GatewayConfigInput['authentication'], cache: { enabled: true, defaultTtlSeconds: 300, responses: false } },
      onEntityCache: (c) => (cache = c),
    });
    tokens = {
      anonymous: null,
      bremen: await issuer.token({ sub: 'sb-melde-hb', scope: 'melde:read', ags: '04011000' }),
      solingen: await issuer.token({ sub: 'sb-melde-sg', scope: 'melde:read', ags: '05122000', purpose: 'melderegisterauskunft' }),
    };
  });
  afterAll(async () => {
    await stack.stop();
    await store.close();
    await removePrefix(prefix);
  });

  it('three callers interleaved (300 requests, 12 at a time) get exactly their own answers', async () => {
    const callers = ['anonymous', 'bremen', 'solingen'] as const;
    const places = ['04011000', '05122000'];
    const ask = async (caller: (typeof callers)[number], ags: string) =>
      (await gql(stack, query(ags), undefined, tokens[caller] ? bearer(tokens[caller]!) : {})).body;
    // References, one at a time.
    const reference = new Map<string, unknown>();
    for (const caller of callers) for (const ags of places) reference.set(`${caller}/${ags}`, await ask(caller, ags));
    // Registrars see persons of their own municipality only; the rest is refused.
    for (const caller of callers) {
      for (const ags of places) {
        const body = reference.get(`${caller}/${ags}`) as { data: { municipality: { residents: { nodes: { id: string; municipality: { ags: string } }[] } | null } }; errors?: { extensions: { code: string } }[] };
        const nodes = body.data.municipality.residents?.nodes ?? [];
        if (own[caller] === ags) {
          expect(nodes).toHaveLength(5);
          for (const node of nodes) expect(node.municipality.ags).toBe(ags);
        } else {
          expect(nodes).toEqual([]);
          expect(body.errors!.map((e) => e.extensions.code).every((c) => c === 'FORBIDDEN' || c === 'UNAUTHORIZED_FIELD_OR_TYPE')).toBe(true);
        }
      }
    }
    const jobs = Array.from({ length: 300 }, (_, i) => ({ caller: callers[i % 3]!, ags: places[Math.floor(i / 3) % 2]! }));
    let next = 0;
    const mismatches: string[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          const body = await ask(job.caller, job.ags);
          try {
            expect(body).toEqual(reference.get(`${job.caller}/${job.ags}`));
          } catch {
            mismatches.push(`${job.caller}/${job.ags}`);
          }
        }
      }),
    );
    expect(mismatches).toEqual([]);
    const stats = cache.stats();
    // Public parts were served from the cache; the residents fetch (registrars only: authorization
    // removes it for the anonymous caller before planning) went to the subgraph every time:
    // 2 registrars × (2 references + 100 requests).
    expect(stats.other!.bypass).toBe(204);
    // Lookups per request: 2 (warnungen, leistungen), plus 1 for a registrar reading their own
    // residents (kommunen resolves each person's municipality: 5 persons, one distinct
    // representation: the plan executor sends each key once). 51 rounds of the 6 (caller,
    // municipality) pairs: 51 × (2+2 + 3+2 + 2+3) = 714.
    // Misses only in the sequential references: 2 + 2 (anonymous), 1 + 1 (own residents).
    expect(stats.Municipality).toEqual({ hit: 708, miss: 6, stale: 0, bypass: 0, stored: 6 });
  });

  it('no family name, given name, person id or birth date is in Redis under the prefix (keys and values)', async () => {
    const entries = await readAll(prefix);
    expect(entries.length).toBeGreaterThan(0);
    const residents = [...residentsOf('04011000'), ...residentsOf('05122000')];
    const needles = new Set<string>([...FAMILY_NAMES, ...residents.flatMap((r) => [r.id, r.birthDate])]);
    const found = entries.flatMap(({ key, value }) => [...needles].filter((n) => key.includes(n) || value.includes(n)));
    expect(found).toEqual([]);
  });
});

describe('entity cache: TTL, two gateways on one Redis', () => {
  const prefix = prefixOf('ec-ttl');
  let a: Stack;
  let b: Stack;
  let fetchesA: { subgraph: string; entity: boolean }[];
  let fetchesB: { subgraph: string; entity: boolean }[];
  let cacheA: EntityCache;
  const QUERY = '{ municipality(ags: "05122000") { name warnings { headline } responsibleAuthority(leikaKey: "99050012104000") { name } } }';
  beforeAll(async () => {
    // No upstream cache: each gateway creates its own store on the same Redis and prefix.
    const cache = { enabled: true, redisUrl: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 1_000, defaultTtlSeconds: 300, rootTtlSeconds: 300, responses: false };
    a = await startTestStack({ gateway: { cache: { ...cache, types: { Municipality: { ttlSeconds: 1 } } } }, onEntityCache: (c) => (cacheA = c) });
    b = await startTestStack({ gateway: { cache } });
    fetchesA = countFetches(a);
    fetchesB = countFetches(b);
    // Both stores connect in the background.
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await removePrefix(prefix);
  });

  it('entries expire after the type TTL (1 s for Municipality, 300 s for the root field)', async () => {
    const first = await gql(a, QUERY);
    expect(first.body.errors).toBeUndefined();
    expect(fetchesA).toHaveLength(3);
    fetchesA.length = 0;
    expect((await gql(a, QUERY)).body).toEqual(first.body);
    expect(fetchesA).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_300));
    expect((await gql(a, QUERY)).body).toEqual(first.body);
    // The root entry is still fresh; both entity entries expired.
    expect(fetchesA.map((f) => f.entity)).toEqual([true, true]);
    expect(cacheA.stats().Query).toEqual({ hit: 2, miss: 1, stale: 0, bypass: 0, stored: 1 });
  });

  it('an invalidation on one gateway is seen by the other (one shared Redis, no process-local layer)', async () => {
    const query = '{ municipality(ags: "05315000") { name warnings { headline } } }';
    await gql(b, query);
    fetchesB.length = 0;
    await gql(b, query);
    expect(fetchesB).toEqual([]);
    fetchesA.length = 0;
    await gql(a, query);
    // Gateway A is served from what B stored.
    expect(fetchesA).toEqual([]);
    const result = await cacheA.invalidate({ type: 'Municipality', key: { ags: '05315000' } });
    expect(result.deleted).toBe(3);
    await gql(b, query);
    expect(fetchesB).toEqual([{ subgraph: 'kommunen', entity: false }, { subgraph: 'warnungen', entity: true }]);
  });

  it('npm run cache -- invalidate --tag works directly on Redis', async () => {
    const io = () => {
      const text = { out: '', err: '' };
      return { text, io: { out: (t: string) => (text.out += t), err: (t: string) => (text.err += t), env: {} } };
    };
    const bad = io();
    expect(await runCacheCli(['invalidate', '--tag', 'municipality:05315000', '--subgraph', 'kommunen'], bad.io)).toBe(2);
    expect(bad.text.err.split('\n')[0]).toBe('cache: give exactly one of --type/--key, --subgraph, --tag');
    const query = '{ municipality(ags: "05315000") { name warnings { headline } } }';
    const ok = io();
    expect(await runCacheCli(['invalidate', '--tag', 'municipality:05315000', '--redis', REDIS_URL, '--prefix', prefix], ok.io)).toBe(0);
    // Its warnungen entry and the one root-field entry stored since the last invalidation.
    expect(JSON.parse(ok.text.out)).toEqual({ deleted: 2, resolved: { type: 'Municipality', key: { ags: '05315000' } } });
    fetchesB.length = 0;
    await gql(b, query);
    expect(fetchesB).toEqual([{ subgraph: 'kommunen', entity: false }, { subgraph: 'warnungen', entity: true }]);
  });
});

describe('npm run cache -- invalidate: names are checked against the supergraph', () => {
  const run = async (...argv: string[]) => {
    const text = { out: '', err: '' };
    const code = await runCacheCli(argv, { out: (t: string) => (text.out += t), err: (t: string) => (text.err += t), env: {} });
    return { code, ...text };
  };

  it('unknown subgraph, entity type, key field or tag: exit 2 with the valid names, before Redis is asked', async () => {
    // No --redis and no REDIS_URL: the names are refused first.
    expect(await run('invalidate', '--subgraph', 'nope')).toEqual({
      code: 2,
      out: '',
      err: 'unknown subgraph "nope"; the subgraphs are abfall, gewerbe, kommunen, leistungen, melderegister, ratsinfo, warnungen\n',
    });
    expect(await run('invalidate', '--type', 'Nope', '--key', '{"x":1}')).toEqual({
      code: 2,
      out: '',
      err: 'unknown entity type "Nope"; the entity types are Business, District, Municipality, Person, Service, State\n',
    });
    expect(await run('invalidate', '--type', 'Municipality', '--key', '{"nope":"x"}')).toEqual({
      code: 2,
      out: '',
      err: 'the key of Municipality must have exactly its @key field ags, received "nope"\n',
    });
    expect(await run('invalidate', '--tag', 'nope:1')).toEqual({
      code: 2,
      out: '',
      err: 'tag must be "<entity type lowercased>:<key value>" of a type with a single key field (business, district, municipality, person, service, state), received "nope:1"\n',
    });
    const missing = await run('invalidate', '--subgraph', 'abfall', '--supergraph', '/nonexistent/supergraph.graphql');
    expect([missing.code, missing.err.split('\n')[0]]).toEqual([2, 'Cannot read the supergraph /nonexistent/supergraph.graphql: ENOENT']);
    expect(await run('invalidate', '--subgraph', 'abfall', '--redis', 'http://127.0.0.1:6379')).toEqual({
      code: 2,
      out: '',
      err: '--redis must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, received "http://127.0.0.1:6379"\n',
    });
  });

  it('a valid target on the real Redis: exit 0; a Redis that does not answer: exit 1, "Redis at <url> (prefix …)"', async () => {
    const prefix = prefixOf('ec-cli');
    try {
      expect(await run('invalidate', '--type', 'Municipality', '--key', '{"ags":"05122000"}', '--redis', REDIS_URL, '--prefix', prefix)).toEqual({
        code: 0,
        out: `${JSON.stringify({ deleted: 0, resolved: { type: 'Municipality', key: { ags: '05122000' } } })}\n`,
        err: '',
      });
    } finally {
      await removePrefix(prefix);
    }
    expect(await run('invalidate', '--subgraph', 'abfall', '--redis', 'redis://127.0.0.1:1')).toEqual({
      code: 1,
      out: '',
      err: 'Redis at redis://127.0.0.1:1 (prefix amtsgraph:) did not answer within 3 s: is it running? Pass its URL with --redis or REDIS_URL.\n',
    });
  });
});

describe('entity cache: a test-owned redis-server killed mid-run', () => {
  let redis: TestRedis;
  let store: RedisStore;
  let stack: Stack;
  let fetches: { subgraph: string; entity: boolean }[];
  const QUERY = '{ municipality(ags: "05122000") { name warnings { headline } taxOffice { name } } }';
  beforeAll(async () => {
    redis = await startTestRedis();
    store = createRedisStore({ url: redis.url, commandTimeoutMs: 200, reconnectMinDelayMs: 20, reconnectMaxDelayMs: 100, circuitOpenMs: 100 });
    expect(await store.whenReady(2_000)).toBe(true);
    stack = await startTestStack({ upstreamCache: { store }, gateway: { cache: { enabled: true, responses: false } } });
    fetches = countFetches(stack);
  });
  afterAll(async () => {
    await stack.stop();
    await store.close();
    await redis.stop();
  });

  it('requests succeed while Redis is gone, and hits resume after its restart', async () => {
    const reference = (await gql(stack, QUERY)).body;
    expect(reference.errors).toBeUndefined();
    fetches.length = 0;
    expect((await gql(stack, QUERY)).body).toEqual(reference);
    expect(fetches).toEqual([]);

    await redis.kill();
    for (let i = 0; i < 5; i++) {
      fetches.length = 0;
      const response = await gql(stack, QUERY);
      expect(response.status).toBe(200);
      expect(response.body).toEqual(reference);
      // Uncached: the root fetch and the entity fetches of warnungen and leistungen.
      expect(fetches).toHaveLength(3);
    }

    await redis.restart();
    expect(await store.whenReady(5_000)).toBe(true);
    expect((await gql(stack, QUERY)).body).toEqual(reference);
    fetches.length = 0;
    expect((await gql(stack, QUERY)).body).toEqual(reference);
    expect(fetches).toEqual([]);
  });
});
