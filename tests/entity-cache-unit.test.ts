import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createMemoryStore } from '../common/cache';
import { memoryLogger, silentLogger } from '../common/logger';
import { readSupergraph } from '../gateway/src/cache/analyze';
import { createEntityCache, resolveInvalidationTarget } from '../gateway/src/cache/entity-cache';
import { cacheSchema, freezeCache } from '../gateway/src/cache/config';
import type { EngineContext, SubgraphResponse } from '../gateway/src/engine/types';

/**
 * The entity cache's interceptor with a fake subgraph (`send`): partial hits, error
 * handling, Cache-Control TTL, single-flight, subgraph-announced invalidations.
 */
const SDL = readFileSync(path.join(__dirname, '..', 'schema', 'supergraph.graphql'), 'utf8');
const OP = 'query Q__warnungen__1($representations:[_Any!]!){_entities(representations:$representations){...on Municipality{warnings{headline}}}}';
const context = { correlationId: 'c', forwardHeaders: {} } as EngineContext;
const rep = (ags: string) => ({ __typename: 'Municipality', ags });

function setup(config: Record<string, unknown> = {}) {
  const store = createMemoryStore({ maxEntries: 1_000 });
  const cache = createEntityCache({ store, config: freezeCache(cacheSchema.parse({ enabled: true, ...config })), supergraphSdl: () => SDL, logger: silentLogger });
  const sent: unknown[][] = [];
  let answer = (reps: { ags: string }[]): SubgraphResponse => ({ data: { _entities: reps.map((r) => ({ warnings: [{ headline: `W${r.ags}` }] })) } });
  let maxAge: number | null = null;
  const send = async (variables: Record<string, unknown> | undefined) => {
    const reps = (variables!.representations as { ags: string }[]);
    sent.push(reps.map((r) => r.ags));
    await new Promise((r) => setTimeout(r, 5));
    return { response: answer(reps), maxAgeSeconds: maxAge };
  };
  const run = (agsList: string[]) =>
    cache.intercept(context, { subgraph: 'warnungen', operation: OP, entity: true, variables: { representations: agsList.map(rep) } }, send);
  return { store, cache, sent, run, setAnswer: (f: typeof answer) => (answer = f), setMaxAge: (s: number | null) => (maxAge = s) };
}

describe('entity cache interceptor', () => {
  it('a partial hit sends only the misses and merges in order', async () => {
    const t = setup();
    await t.run(['05122000', '05315000']);
    const merged = await t.run(['05111000', '05122000', '05314000', '05315000']);
    expect(t.sent).toEqual([['05122000', '05315000'], ['05111000', '05314000']]);
    expect(merged).toEqual({ data: { _entities: ['05111000', '05122000', '05314000', '05315000'].map((a) => ({ warnings: [{ headline: `W${a}` }] })) } });
  });

  it('an entity with an error at its path is not stored; errors keep their original positions', async () => {
    const t = setup();
    t.setAnswer((reps) => ({
      data: { _entities: reps.map((r) => (r.ags === '05314000' ? null : { warnings: [] })) },
      errors: reps.flatMap((r, i) => (r.ags === '05314000' ? [{ message: 'down', path: ['_entities', i, 'warnings'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } }] : [])),
    }));
    await t.run(['05111000']);
    const second = await t.run(['05111000', '05314000']);
    expect(second.errors).toEqual([{ message: 'down', path: ['_entities', 1, 'warnings'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } }]);
    await t.run(['05111000', '05314000']);
    expect(t.sent).toEqual([['05111000'], ['05314000'], ['05314000']]);
    expect(t.cache.stats().Municipality).toEqual({ hit: 2, miss: 3, stale: 0, bypass: 0, stored: 1 });
  });

  it('TTL is min(Cache-Control max-age, per-type ttlSeconds)', async () => {
    const t = setup({ types: { Municipality: { ttlSeconds: 600 } } });
    t.setMaxAge(30);
    await t.run(['05122000']);
    t.setMaxAge(null);
    await t.run(['05111000']);
    const ttls: number[] = [];
    for (const ags of ['05122000', '05111000']) {
      // Find each entry's key through its prefix: e:<subgraph>:<type>:<keyhash>:
      const { canonicalJson, sha256 } = await import('../gateway/src/cache/analyze');
      const prefix = `e:warnungen:Municipality:${sha256(canonicalJson({ ags }))}:${sha256(OP)}:${sha256(canonicalJson(rep(ags)))}`;
      ttls.push(Math.round(((await t.store.ttl(prefix)) ?? 0) / 1000));
    }
    expect(ttls).toEqual([30, 600]);
  });

  it('concurrent identical misses make one subgraph fetch', async () => {
    const t = setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => t.run(['05122000', '05111000'])));
    expect(t.sent).toEqual([['05122000', '05111000']]);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('extensions.invalidations of a subgraph answer drop those entities', async () => {
    const t = setup();
    await t.run(['05122000', '05111000']);
    t.setAnswer((reps) => ({ data: { _entities: reps.map(() => ({ warnings: [] })) }, extensions: { invalidations: [{ type: 'Municipality', key: { ags: '05122000' } }] } }));
    await t.run(['05314000']);
    await t.run(['05122000', '05111000']);
    expect(t.sent).toEqual([['05122000', '05111000'], ['05314000'], ['05122000']]);
  });

  it('an announced invalidation of an unknown type or key is ignored with a warning; the answer is served', async () => {
    const { logger, records } = memoryLogger('warn');
    const store = createMemoryStore({ maxEntries: 1_000 });
    const cache = createEntityCache({ store, config: freezeCache(cacheSchema.parse({ enabled: true })), supergraphSdl: () => SDL, logger });
    const sent: string[][] = [];
    let invalidations: unknown[] = [];
    const send = async (variables: Record<string, unknown> | undefined) => {
      const reps = variables!.representations as { ags: string }[];
      sent.push(reps.map((r) => r.ags));
      return { response: { data: { _entities: reps.map(() => ({ warnings: [] })) }, extensions: { invalidations } }, maxAgeSeconds: null };
    };
    const run = (agsList: string[]) => cache.intercept(context, { subgraph: 'warnungen', operation: OP, entity: true, variables: { representations: agsList.map(rep) } }, send);
    await run(['05122000']);
    invalidations = [{ type: 'Nope', key: { x: 1 } }, { type: 'Municipality', key: { nope: '05122000' } }];
    expect(await run(['05111000'])).toEqual({ data: { _entities: [{ warnings: [] }] }, extensions: { invalidations } });
    await run(['05122000']);
    // 05122000 was not dropped: answered from the cache.
    expect(sent).toEqual([['05122000'], ['05111000']]);
    expect(records.map((r) => [r.level, r.problem, r.msg])).toEqual([
      [40, 'unknown entity type "Nope"; the entity types are Business, District, Municipality, Person, Service, State', 'entity cache: ignored an invalidation a subgraph announced'],
      [40, 'the key of Municipality must have exactly its @key field ags, received "nope"', 'entity cache: ignored an invalidation a subgraph announced'],
    ]);
  });

  it('a fetch touching a restricted coordinate is never stored (private: skip)', async () => {
    const t = setup();
    const op = 'query R($representations:[_Any!]!){_entities(representations:$representations){...on Municipality{residents(first:2){nodes{familyName}}}}}';
    const send = async () => ({ response: { data: { _entities: [{ residents: { nodes: [{ familyName: 'Mustermann' }] } }] } }, maxAgeSeconds: null });
    await t.cache.intercept(context, { subgraph: 'melderegister', operation: op, entity: true, variables: { representations: [rep('05122000')] } }, send);
    expect(t.store.stats().sets).toBe(0);
    expect(t.cache.stats().other).toEqual({ hit: 0, miss: 0, stale: 0, bypass: 1, stored: 0 });
  });
});

describe('invalidation targets against the supergraph', () => {
  // A nested (compound) key: its top-level fields are the fields of an invalidation key.
  const facts = readSupergraph(`
    enum join__Graph { A @join__graph(name: "a", url: "http://a") B @join__graph(name: "b", url: "http://b") }
    type Employee @join__type(graph: A, key: "id org { id }") { id: ID! org: Org! }
    type Org @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") { id: ID! }
    type Query @join__type(graph: A) { employee: Employee }
  `);

  it('accepts exactly the top-level @key fields, resolves tags, and names the valid ones otherwise', () => {
    expect(resolveInvalidationTarget(facts, { type: 'Employee', key: { id: '1', org: { id: '2' } } })).toEqual({ type: 'Employee', key: { id: '1', org: { id: '2' } } });
    expect(resolveInvalidationTarget(facts, { tag: 'org:2' })).toEqual({ type: 'Org', key: { id: '2' } });
    expect(resolveInvalidationTarget(facts, { subgraph: 'b' })).toEqual({ subgraph: 'b' });
    const problem = (target: Parameters<typeof resolveInvalidationTarget>[1]) => {
      try {
        resolveInvalidationTarget(facts, target);
        return null;
      } catch (error) {
        return [(error as Error).name, (error as Error).message];
      }
    };
    expect(problem({ type: 'Employee', key: { id: '1' } })).toEqual(['InvalidationTargetError', 'the key of Employee must have exactly its @key fields id, org, received "id"']);
    expect(problem({ tag: 'employee:1' })).toEqual([
      'InvalidationTargetError',
      'tag must be "<entity type lowercased>:<key value>" of a type with a single key field (org), received "employee:1"',
    ]);
    expect(problem({ subgraph: 'c' })).toEqual(['InvalidationTargetError', 'unknown subgraph "c"; the subgraphs are a, b']);
    expect(problem({ type: 'Query', key: {} })).toEqual(['InvalidationTargetError', 'unknown entity type "Query"; the entity types are Employee, Org']);
  });
});
