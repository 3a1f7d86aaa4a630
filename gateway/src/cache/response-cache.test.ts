import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createMemoryStore } from '../../../common/cache';
import { silentLogger } from '../../../common/logger';
import type { EngineContext } from '../engine/types';
import { readSupergraph } from './analyze';
import { cacheFromEnv, cacheSchema, freezeCache } from './config';
import { createEntityCache } from './entity-cache';
import { createResponseCache, responseCacheKey } from './response-cache';

/**
 * Keys, eligibility and TTL of the response cache, and the entity cache's per-request freshness
 * it relies on (no server: memory store, the committed supergraph).
 */
const SDL = readFileSync(path.join(__dirname, '..', '..', '..', 'schema', 'supergraph.graphql'), 'utf8');
const facts = readSupergraph(SDL);
const hex = (text: string) => createHash('sha256').update(text).digest('hex');

function setup(ttlSeconds = 60) {
  const store = createMemoryStore({ maxEntries: 100 });
  const recorded: string[] = [];
  const cache = createResponseCache({
    store,
    ttlSeconds,
    facts: () => facts,
    supergraphId: () => 'sg1',
    recordCache: (result) => recorded.push(result),
  });
  return { store, cache, recorded };
}

describe('responseCacheKey', () => {
  it('is q: + sha256 of [supergraph id, operation text, operationName, canonical variables]', () => {
    expect(responseCacheKey({ supergraphId: 'sg1', query: '{ a }', operationName: 'A', variables: { b: 2, a: [1, { d: null, c: 'x' }] } })).toBe(
      `q:${hex('["sg1","{ a }","A",{"a":[1,{"c":"x","d":null}],"b":2}]')}`,
    );
    expect(responseCacheKey({ supergraphId: 'sg1', query: '{ a }' })).toBe(`q:${hex('["sg1","{ a }",null,{}]')}`);
  });

  it('the same request gives the same key: variable order, absent/null/{} variables, absent/null/"" operationName', () => {
    const base = { supergraphId: 'sg1', query: 'query Q($x: Int, $y: Int) { a }' };
    expect(responseCacheKey({ ...base, variables: { x: 1, y: 2 } })).toBe(responseCacheKey({ ...base, variables: { y: 2, x: 1 } }));
    const empty = new Set([
      responseCacheKey(base),
      responseCacheKey({ ...base, variables: null }),
      responseCacheKey({ ...base, variables: {} }),
      responseCacheKey({ ...base, operationName: null }),
      responseCacheKey({ ...base, operationName: '' }),
    ]);
    expect(empty.size).toBe(1);
  });

  it('any difference in supergraph, text, operationName or variables gives another key', () => {
    const base = { supergraphId: 'sg1', query: '{ a }', operationName: 'A', variables: { x: 1 } };
    const keys = [
      base,
      { ...base, supergraphId: 'sg2' },
      { ...base, query: '{ a  }' },
      { ...base, operationName: 'B' },
      { ...base, variables: { x: 2 } },
      { ...base, variables: { x: '1' } },
      { ...base, variables: { x: 1, y: null } },
    ].map(responseCacheKey);
    expect(new Set(keys).size).toBe(7);
    for (const key of keys) expect(key).toMatch(/^q:[0-9a-f]{64}$/);
  });
});

describe('response cache: which requests may share an answer', () => {
  const { cache } = setup();
  const keyOf = (query: string, operationName: string | null = null) => cache.keyFor(query, operationName, null);

  it('a public query gets the key of its parts', () => {
    const query = '{ municipality(ags: "05122000") { name residentCount warnings { headline } } }';
    expect(keyOf(query)).toBe(responseCacheKey({ supergraphId: 'sg1', query }));
  });

  it('anything touching @authenticated, @requiresScopes or @policy does not, nor a fragment of a restricted type', () => {
    // The same shapes without the restricted coordinate are public.
    expect(keyOf('{ business(id: "b1") { name } }')).not.toBeNull();
    expect(keyOf('{ municipality(ags: "05122000") { ...M } } fragment M on Municipality { name }')).not.toBeNull();
    expect(keyOf('{ municipality(ags: "05122000") { name residents(first: 1) { totalCount } } }')).toBeNull();
    expect(keyOf('{ person(id: "p1") { municipality { name } } }')).toBeNull();
    expect(keyOf('{ business(id: "b1") { name owner { id } } }')).toBeNull();
    expect(keyOf('{ municipality(ags: "05122000") { ...M } } fragment M on Municipality { residents(first: 1) { totalCount } }')).toBeNull();
  });

  it('mutations, subscriptions, introspection, unparsable text and unknown fields do not', () => {
    expect(keyOf('mutation { __typename }')).toBeNull();
    expect(keyOf('subscription { x }')).toBeNull();
    expect(keyOf('{ __schema { types { name } } }')).toBeNull();
    expect(keyOf('{ municipality(')).toBeNull();
    expect(keyOf('{ noSuchField }')).toBeNull();
  });

  it('with several operations, the selected one decides; without operationName none is cached', () => {
    const document = `query Public { municipality(ags: "05122000") { ...N } }
      query Private { municipality(ags: "05122000") { ...N residents(first: 1) { totalCount } } }
      fragment N on Municipality { name }`;
    expect(keyOf(document, 'Public')).toBe(responseCacheKey({ supergraphId: 'sg1', query: document, operationName: 'Public' }));
    expect(keyOf(document, 'Private')).toBeNull();
    expect(keyOf(document)).toBeNull();
    expect(keyOf(document, 'Missing')).toBeNull();
  });

  it('no key before a supergraph is loaded', () => {
    const none = createResponseCache({ store: createMemoryStore({ maxEntries: 1 }), ttlSeconds: 60, facts: () => null, supergraphId: () => null });
    expect(none.keyFor('{ municipality(ags: "05122000") { name } }', null, null)).toBeNull();
  });
});

describe('response cache: TTL and the store', () => {
  it('TTL: the configured one without fetches, else the smaller of it and the fetches\' freshness; 0 when a fetch was uncacheable', () => {
    const { cache } = setup(60);
    expect(cache.ttlFor(null)).toBe(60_000);
    expect(cache.ttlFor({ ttlMs: Infinity, uncacheable: false })).toBe(60_000);
    expect(cache.ttlFor({ ttlMs: 1_500.7, uncacheable: false })).toBe(1_500);
    expect(cache.ttlFor({ ttlMs: 3_600_000, uncacheable: false })).toBe(60_000);
    expect(cache.ttlFor({ ttlMs: 30_000, uncacheable: true })).toBe(0);
    expect(cache.ttlFor({ ttlMs: -5, uncacheable: false })).toBe(0);
  });

  it('writes and reads the text as is; counts hits and misses; a damaged entry is a miss', async () => {
    const { cache, store, recorded } = setup();
    const key = responseCacheKey({ supergraphId: 'sg1', query: '{ a }' });
    expect(await cache.read(key)).toBeNull();
    expect(await cache.write(key, '{"data":{"a":1}}', 0)).toBe(false);
    expect(await cache.write(key, '{"data":{"a":1}}', 5_000)).toBe(true);
    expect((await cache.read(key))?.toString('utf8')).toBe('{"data":{"a":1}}');
    expect(Math.round((await store.ttl(key))! / 1000)).toBe(5);
    await store.set(key, 'garbage', 5_000);
    expect(await cache.read(key)).toBeNull();
    expect(recorded).toEqual(['miss', 'hit', 'miss']);
    expect(cache.stats()).toEqual({ hit: 1, miss: 2, stored: 1 });
  });
});

describe('cache.responses config', () => {
  it('on by default with the root-field TTL; boolean or { enabled, ttlSeconds }', () => {
    expect(cacheSchema.parse({}).responses).toEqual({ enabled: true, ttlSeconds: 60 });
    expect(cacheSchema.parse({ rootTtlSeconds: 30 }).responses).toEqual({ enabled: true, ttlSeconds: 30 });
    expect(cacheSchema.parse({ responses: false }).responses).toEqual({ enabled: false, ttlSeconds: 60 });
    expect(cacheSchema.parse({ responses: { ttlSeconds: 5 } }).responses).toEqual({ enabled: true, ttlSeconds: 5 });
    expect(cacheSchema.parse({ responses: { enabled: false } }).responses).toEqual({ enabled: false, ttlSeconds: 60 });
    expect(cacheSchema.safeParse({ responses: { ttl: 5 } }).success).toBe(false);
    expect(cacheSchema.safeParse({ responses: { ttlSeconds: 0 } }).success).toBe(false);
  });

  it('RESPONSE_CACHE (on/off) and RESPONSE_CACHE_TTL_SECONDS', () => {
    expect(cacheFromEnv({})!.responses).toEqual({ enabled: true, ttlSeconds: undefined });
    expect(cacheFromEnv({ RESPONSE_CACHE: 'off', RESPONSE_CACHE_TTL_SECONDS: '15' })!.responses).toEqual({ enabled: false, ttlSeconds: 15 });
    expect(() => cacheFromEnv({ RESPONSE_CACHE: 'yes' })).toThrow('RESPONSE_CACHE must be "on" or "off", received "yes"');
    expect(() => cacheFromEnv({ RESPONSE_CACHE_TTL_SECONDS: '0' })).toThrow(
      'RESPONSE_CACHE_TTL_SECONDS must be a whole number of seconds from 1 to 86400, received "0"',
    );
  });
});

describe('entity cache: per-request freshness (what bounds an answer\'s TTL)', () => {
  const OP = 'query Q__warnungen__1($representations:[_Any!]!){_entities(representations:$representations){...on Municipality{warnings{headline}}}}';
  const RESTRICTED = 'query R($representations:[_Any!]!){_entities(representations:$representations){...on Municipality{residents(first:2){nodes{familyName}}}}}';
  const variables = { representations: [{ __typename: 'Municipality', ags: '05122000' }] };

  function setup() {
    const cache = createEntityCache({
      store: createMemoryStore({ maxEntries: 100 }),
      config: freezeCache(cacheSchema.parse({ enabled: true, types: { Municipality: { ttlSeconds: 600 } } })),
      supergraphSdl: () => SDL,
      logger: silentLogger,
    });
    let maxAgeSeconds: number | null = null;
    const send = async () => ({ response: { data: { _entities: [{ warnings: [] }] } }, maxAgeSeconds });
    const run = async (operation = OP) => {
      const context = { correlationId: 'c', forwardHeaders: {} } as EngineContext;
      await cache.intercept(context, { subgraph: 'warnungen', operation, entity: true, variables }, send);
      return cache.requestFreshness(context);
    };
    return { cache, run, setMaxAge: (s: number | null) => (maxAgeSeconds = s) };
  }

  it('a fetched answer: the TTL it was stored with; a hit: the entry\'s remaining lifetime', async () => {
    const t = setup();
    t.setMaxAge(30);
    expect(await t.run()).toEqual({ ttlMs: 30_000, uncacheable: false });
    const hit = (await t.run())!;
    expect(hit.uncacheable).toBe(false);
    expect(hit.ttlMs).toBeGreaterThan(29_000);
    expect(hit.ttlMs).toBeLessThanOrEqual(30_000);
    expect(t.cache.requestFreshness({})).toBeNull();
  });

  it('Cache-Control no-store/private (max-age 0) or a bypassed (restricted) fetch: uncacheable', async () => {
    const t = setup();
    t.setMaxAge(0);
    expect(await t.run()).toEqual({ ttlMs: 0, uncacheable: true });
    t.setMaxAge(null);
    expect(await t.run(RESTRICTED)).toEqual({ ttlMs: 0, uncacheable: true });
  });
});
