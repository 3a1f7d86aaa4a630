import { parse, validate, type GraphQLSchema } from 'graphql';
import { createLogger } from '../common/logger';
import type { ExecutionEngine, PlanNode } from '../gateway/src/engine/types';
import { createExecutorEngine, startExecutorGraph, type ExecutorGraph, type SubgraphName } from './fixtures/executor/graph';

/**
 * Federation behaviours every plan executor must reproduce, pinned to what @apollo/gateway's
 * executor (the reference) returns: exact `data` (key order included), exact `errors` and
 * `extensions`, exact number of requests per subgraph and the representations sent.
 * Each case runs once per executor (`apollo`, `amtsgraph`) against one in-process graph
 * (tests/fixtures/executor/graph.ts). Planning is Apollo's for both, so the plans agree.
 *
 * Apollo specifics pinned here on purpose (an executor that differs must say why):
 * - null propagation is NOT reported in `errors`: Apollo puts it in
 *   `extensions.valueCompletion` (code INVALID_GRAPHQL), also when `data` becomes null;
 * - subgraph errors get `extensions.serviceName`; the subgraph's own extensions are kept;
 * - an entity fetch that fails as a whole is reported at the Flatten path, `@` included
 *   (e.g. ["topProducts", "@"]);
 * - representations are not deduplicated (the same entity reached 3 times is sent 3 times).
 *   This is the one deliberate difference: the amtsgraph executor sends each distinct
 *   representation once (see `sentFor`); the results must still be the same;
 * - invalid variables: one error with `locations`, no `extensions.code`, no `data` key.
 */

type ExecutorKind = 'apollo' | 'amtsgraph';

interface Body {
  data?: unknown;
  errors?: unknown[];
  extensions?: unknown;
}

let graph: ExecutorGraph;
beforeAll(async () => {
  graph = await startExecutorGraph();
});
afterAll(() => graph.stop());

const REVIEWS_OF_ALL_USERS = ['p1', 'p2', 'p-broken', 'p1', 'p1'].map((upc) => ({ __typename: 'Product', upc }));

describe.each(['apollo', 'amtsgraph'] as const)('executor %s', (executor: ExecutorKind) => {
  let engine: ExecutionEngine;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    engine = createExecutorEngine(graph, executor, createLogger({ name: 'executor-behaviours', level: 'silent' }));
    schema = await engine.start();
  });
  afterAll(() => engine.stop());
  beforeEach(() => graph.reset());

  /** Validates (as the gateway does before the engine), executes, returns the JSON a client would get. */
  async function run(query: string, variables: Record<string, unknown> | null = null, operationName: string | null = null): Promise<Body> {
    const document = parse(query);
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
    const result = await engine.execute({
      document,
      source: query,
      operationName,
      variables,
      context: { correlationId: 'executor-behaviours', forwardHeaders: {} },
    });
    return JSON.parse(JSON.stringify(result)) as Body;
  }

  /** Exact result, and the keys of `data` in the query's order (toEqual ignores key order). */
  function expectResult(body: Body, expected: Body): void {
    expect(body).toEqual(expected);
    expect(JSON.stringify(body.data)).toBe(JSON.stringify(expected.data));
  }

  /**
   * The representations an entity fetch sends for entities reached in this order: Apollo sends
   * one per occurrence, the amtsgraph executor each distinct one once, in first-seen order.
   */
  const sentFor = (occurrences: object[]): object[] =>
    executor === 'apollo' ? occurrences : [...new Map(occurrences.map((o) => [JSON.stringify(o), o])).values()];
  /**
   * The representation lists a subgraph received, one per entity fetch: a batched request
   * (engine/batch.ts: `representations_0`, `representations_1`, …) counts as its fetches.
   */
  const representations = (name: SubgraphName) =>
    graph.subgraphs[name].requests.flatMap((r) => {
      const variables = (r.variables ?? {}) as Record<string, unknown>;
      if ('representations' in variables) return [variables.representations];
      const batched = Object.keys(variables).filter((k) => /^representations_\d+$/.test(k)).sort((a, b) => Number(a.slice(16)) - Number(b.slice(16)));
      return batched.length ? batched.map((k) => variables[k]) : [undefined];
    });
  const variablesSent = (name: SubgraphName) => graph.subgraphs[name].requests.map((r) => r.variables);

  function planKinds(node: PlanNode | null): string[] {
    if (!node) return [];
    switch (node.kind) {
      case 'Sequence':
      case 'Parallel':
        return [node.kind, ...node.nodes.flatMap(planKinds)];
      case 'Flatten':
        return [node.kind, ...planKinds(node.node)];
      case 'Condition':
        return [`Condition(${node.condition})`, ...planKinds(node.ifClause), ...planKinds(node.elseClause)];
      case 'Defer':
        return [node.kind];
      case 'Fetch':
        return [`Fetch(${node.subgraph})`];
    }
  }

  describe('1. entity merging', () => {
    it('list → entity → list → entity over four subgraphs; the same product three times', async () => {
      const body = await run('{ users { id name reviews { body product { upc price inStock } } } }');
      const product = (upc: string, price: number, inStock: boolean) => ({ upc, price, inStock });
      expectResult(body, {
        data: {
          users: [
            {
              id: 'u1',
              name: 'Ada Quell',
              reviews: [
                { body: 'Sehr nützlich', product: product('p1', 12, true) },
                { body: 'Bequem', product: product('p2', 300, false) },
              ],
            },
            {
              id: 'u2',
              name: 'Bruno Stein',
              reviews: [
                { body: 'Kaputt', product: product('p-broken', 1, false) },
                { body: 'Gut', product: product('p1', 12, true) },
              ],
            },
            { id: 'u3', name: 'Carla Wend', reviews: [{ body: 'Ok', product: product('p1', 12, true) }] },
          ],
        },
      });
      expect(graph.counts()).toEqual({ accounts: 1, reviews: 1, products: 1, inventory: 1 });
      expect(representations('reviews')).toEqual([['u1', 'u2', 'u3'].map((id) => ({ __typename: 'User', id }))]);
      // Apollo sends p1 three times; the amtsgraph executor p1, p2, p-broken once each.
      expect(representations('products')).toEqual([sentFor(REVIEWS_OF_ALL_USERS)]);
      expect(representations('inventory')).toEqual([sentFor(REVIEWS_OF_ALL_USERS)]);
    });

    it('keys in data follow the query, not the order the fetches filled them', async () => {
      const body = await run('{ users { reviews { product { inStock price upc } body } name id } }');
      expectResult(body, {
        data: {
          users: [
            {
              reviews: [
                { product: { inStock: true, price: 12, upc: 'p1' }, body: 'Sehr nützlich' },
                { product: { inStock: false, price: 300, upc: 'p2' }, body: 'Bequem' },
              ],
              name: 'Ada Quell',
              id: 'u1',
            },
            {
              reviews: [
                { product: { inStock: false, price: 1, upc: 'p-broken' }, body: 'Kaputt' },
                { product: { inStock: true, price: 12, upc: 'p1' }, body: 'Gut' },
              ],
              name: 'Bruno Stein',
              id: 'u2',
            },
            { reviews: [{ product: { inStock: true, price: 12, upc: 'p1' }, body: 'Ok' }], name: 'Carla Wend', id: 'u3' },
          ],
        },
      });
      expect(graph.counts()).toEqual({ accounts: 1, reviews: 1, products: 1, inventory: 1 });
    });
  });

  describe('2. aliases', () => {
    it('the same root field twice with different arguments; aliased key field', async () => {
      const body = await run('{ a: topProducts(first: 1) { upc name } b: topProducts(first: 3) { code: upc inStock } }');
      expectResult(body, {
        data: {
          a: [{ upc: 'p1', name: 'Stadtplan' }],
          b: [
            { code: 'p1', inStock: true },
            { code: 'p2', inStock: false },
            { code: 'p3', inStock: true },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, inventory: 1 });
      // The key `upc` is fetched unaliased next to the alias `code` to build representations.
      expect(graph.subgraphs.products.requests[0]!.query).toBe('{a:topProducts(first:1){upc name}b:topProducts(first:3){__typename upc code:upc}}');
      expect(representations('inventory')).toEqual([['p1', 'p2', 'p3'].map((upc) => ({ __typename: 'Product', upc }))]);
    });

    it('aliased entity fields and an aliased __typename inside entity fetches', async () => {
      const body = await run('{ me { ident: id n: name rs: reviews(first: 1) { b: body p: product { u: upc stock: inStock kind: __typename } } } }');
      expectResult(body, {
        data: { me: { ident: 'u1', n: 'Ada Quell', rs: [{ b: 'Sehr nützlich', p: { u: 'p1', stock: true, kind: 'Product' } }] } },
      });
      expect(graph.counts()).toEqual({ accounts: 1, reviews: 1, inventory: 1 });
      expect(representations('reviews')).toEqual([[{ __typename: 'User', id: 'u1' }]]);
      expect(representations('inventory')).toEqual([[{ __typename: 'Product', upc: 'p1' }]]);
    });

    it('the same entity field twice with different arguments in one entity fetch', async () => {
      const body = await run('{ me { one: reviews(first: 1) { body } all: reviews { id } } }');
      expectResult(body, {
        data: { me: { one: [{ body: 'Sehr nützlich' }], all: [{ id: 'r1' }, { id: 'r2' }] } },
      });
      expect(graph.counts()).toEqual({ accounts: 1, reviews: 1 });
    });
  });

  describe('3. fragments', () => {
    it('named fragments, nested inline fragments, one entity fragment spread at two places', async () => {
      const body = await run(`
        query {
          me { ...UserParts reviews { product { ...ProductParts } } }
          topProducts(first: 3) { ...ProductParts }
        }
        fragment UserParts on User { id ... on User { name ... { username } } }
        fragment ProductParts on Product { upc name inStock }`);
      expectResult(body, {
        data: {
          me: {
            id: 'u1',
            name: 'Ada Quell',
            username: 'ada',
            reviews: [
              { product: { upc: 'p1', name: 'Stadtplan', inStock: true } },
              { product: { upc: 'p2', name: 'Parkbank', inStock: false } },
            ],
          },
          topProducts: [
            { upc: 'p1', name: 'Stadtplan', inStock: true },
            { upc: 'p2', name: 'Parkbank', inStock: false },
            { upc: 'p3', name: 'Spaten', inStock: true },
          ],
        },
      });
      // products: the root topProducts fetch + the entity fetch for me's reviewed products.
      expect(graph.counts()).toEqual({ accounts: 1, reviews: 1, products: 2, inventory: 2 });
      expect(new Set(representations('inventory').map((r) => JSON.stringify(r)))).toEqual(
        new Set([
          JSON.stringify(['p1', 'p2'].map((upc) => ({ __typename: 'Product', upc }))),
          JSON.stringify(['p1', 'p2', 'p3'].map((upc) => ({ __typename: 'Product', upc }))),
        ]),
      );
    });
  });

  describe('4. __typename', () => {
    it('{ __typename } alone: answered without any subgraph request', async () => {
      expectResult(await run('{ __typename }'), { data: { __typename: 'Query' } });
      expect(graph.counts()).toEqual({});
    });

    it('mutation { __typename }: no subgraph request, nothing mutated', async () => {
      expectResult(await run('mutation { __typename }'), { data: { __typename: 'Mutation' } });
      expect(graph.counts()).toEqual({});
    });

    it('at root next to a field, on objects, aliased twice', async () => {
      const body = await run('{ __typename me { __typename t: __typename id } }');
      expectResult(body, { data: { __typename: 'Query', me: { __typename: 'User', t: 'User', id: 'u1' } } });
      expect(graph.counts()).toEqual({ accounts: 1 });
    });

    it('on union members and through an interface fragment', async () => {
      const body = await run('{ search(term: "Stadt") { t: __typename ... on Node { id } ... on Product { name } } }');
      expectResult(body, { data: { search: [{ t: 'Product', id: 'p1', name: 'Stadtplan' }] } });
      expect(graph.counts()).toEqual({ reviews: 1, products: 1 });
    });

    it('on entity-interface implementations, one of them selecting nothing else', async () => {
      const body = await run('{ media { t: __typename ... on Book { title reviewCount } } }');
      expectResult(body, { data: { media: [{ t: 'Book', title: 'Chronik', reviewCount: 2 }, { t: 'Movie' }] } });
      expect(graph.counts()).toEqual({ products: 1, reviews: 1 });
      // Only the Book needed reviewCount: one representation, typed as the @interfaceObject.
      expect(representations('reviews')).toEqual([[{ __typename: 'Media', id: 'm1' }]]);
    });
  });

  describe('5. abstract types', () => {
    it('an interface field returning implementations whose fields live in three subgraphs, and a null item', async () => {
      const body = await run('{ nodes(ids: ["u2", "p3", "r1", "nope"]) { __typename id ... on User { name } ... on Product { name inStock } ... on Review { body } } }');
      expectResult(body, {
        data: {
          nodes: [
            { __typename: 'User', id: 'u2', name: 'Bruno Stein' },
            { __typename: 'Product', id: 'p3', name: 'Spaten', inStock: true },
            { __typename: 'Review', id: 'r1', body: 'Sehr nützlich' },
            null,
          ],
        },
      });
      expect(graph.counts()).toEqual({ reviews: 1, accounts: 1, products: 1, inventory: 1 });
      expect(representations('accounts')).toEqual([[{ __typename: 'User', id: 'u2' }]]);
      expect(representations('products')).toEqual([[{ __typename: 'Product', upc: 'p3' }]]);
      expect(representations('inventory')).toEqual([[{ __typename: 'Product', upc: 'p3' }]]);
    });

    it('a union with inline fragments on each member; User entities fetched at two paths', async () => {
      const body = await run('{ search(term: "t") { __typename ... on User { name } ... on Product { upc name } ... on Review { id body author { username name } } } }');
      expectResult(body, {
        data: {
          search: [
            { __typename: 'User', name: 'Bruno Stein' },
            { __typename: 'Product', upc: 'p1', name: 'Stadtplan' },
            { __typename: 'Product', upc: 'p3', name: 'Spaten' },
            { __typename: 'Review', id: 'r1', body: 'Sehr nützlich', author: { username: 'ada', name: 'Ada Quell' } },
            { __typename: 'Review', id: 'r3', body: 'Kaputt', author: { username: 'bruno', name: 'Bruno Stein' } },
            { __typename: 'Review', id: 'r4', body: 'Gut', author: { username: 'bruno', name: 'Bruno Stein' } },
          ],
        },
      });
      // Two accounts fetches in the plan (search.@ for the User member, search.@.author), started
      // in the same tick: the subgraph client batches them into ONE request (engine/batch.ts).
      expect(graph.counts()).toEqual({ reviews: 1, accounts: 1, products: 1 });
      const [batched] = graph.subgraphs.accounts.requests;
      expect(Object.keys(batched!.variables ?? {}).sort()).toEqual(['representations_0', 'representations_1']);
      expect(new Set(representations('accounts').map((r) => JSON.stringify(r)))).toEqual(
        new Set([
          JSON.stringify([{ __typename: 'User', id: 'u2' }]),
          JSON.stringify(sentFor(['u1', 'u2', 'u2'].map((id) => ({ __typename: 'User', id })))),
        ]),
      );
    });

    it('an entity interface (@key on the interface, @interfaceObject elsewhere)', async () => {
      const body = await run('{ media { __typename id title reviewCount ... on Book { pages } ... on Movie { minutes } } }');
      expectResult(body, {
        data: {
          media: [
            { __typename: 'Book', id: 'm1', title: 'Chronik', reviewCount: 2, pages: 200 },
            { __typename: 'Movie', id: 'm2', title: 'Stadtfilm', reviewCount: 0, minutes: 90 },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, reviews: 1 });
      expect(representations('reviews')).toEqual([
        [
          { __typename: 'Media', id: 'm1' },
          { __typename: 'Media', id: 'm2' },
        ],
      ]);
    });
  });

  describe('6. @requires, @provides, compound and nested keys', () => {
    it('@requires: inventory computes shippingEstimate from the price and weight of products', async () => {
      const body = await run('{ topProducts(first: 3) { upc shippingEstimate } }');
      expectResult(body, {
        data: {
          topProducts: [
            { upc: 'p1', shippingEstimate: 3 },
            { upc: 'p2', shippingEstimate: 0 },
            { upc: 'p3', shippingEstimate: 6 },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, inventory: 1 });
      expect(representations('inventory')).toEqual([
        [
          { __typename: 'Product', upc: 'p1', price: 12, weight: 100 },
          { __typename: 'Product', upc: 'p2', price: 300, weight: 25000 },
          { __typename: 'Product', upc: 'p3', price: 25, weight: 1500 },
        ],
      ]);
    });

    it('@provides: the author username comes with the review, accounts is not asked', async () => {
      const body = await run('{ nodes(ids: ["r4", "r5"]) { ... on Review { author { id username } } } }');
      expectResult(body, { data: { nodes: [{ author: { id: 'u2', username: 'bruno' } }, { author: { id: 'u3', username: 'carla' } }] } });
      expect(graph.counts()).toEqual({ reviews: 1 });
    });

    it('compound key (productUpc sku) and nested key (id org { id }): same id, different org', async () => {
      const body = await run('{ topProducts(first: 1) { variants { sku color stock } } employees { id org { id name } name shifts } }');
      expectResult(body, {
        data: {
          topProducts: [
            {
              variants: [
                { sku: 's', color: 'rot', stock: 4 },
                { sku: 'm', color: 'blau', stock: 0 },
              ],
            },
          ],
          employees: [
            { id: 'e1', org: { id: 'o1', name: 'Stadtwerke' }, name: 'Dora Lind', shifts: 3 },
            { id: 'e1', org: { id: 'o2', name: 'Bauamt' }, name: 'Emil Hart', shifts: 5 },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, accounts: 1, inventory: 2 });
      expect(new Set(representations('inventory').map((r) => JSON.stringify(r)))).toEqual(
        new Set([
          JSON.stringify([
            { __typename: 'Variant', productUpc: 'p1', sku: 's' },
            { __typename: 'Variant', productUpc: 'p1', sku: 'm' },
          ]),
          JSON.stringify([
            { __typename: 'Employee', id: 'e1', org: { id: 'o1' } },
            { __typename: 'Employee', id: 'e1', org: { id: 'o2' } },
          ]),
        ]),
      );
    });
  });

  describe('7. errors', () => {
    it('a resolver error in a root field: client path (alias), subgraph extensions kept, serviceName added', async () => {
      const body = await run('{ me { id } broken: failingField }');
      expectResult(body, {
        data: { me: { id: 'u1' }, broken: null },
        errors: [
          {
            message: 'Konto-Dienst gestört',
            path: ['broken'],
            extensions: { code: 'ACCOUNTS_UNAVAILABLE', retryable: false, serviceName: 'accounts' },
          },
        ],
      });
      expect(graph.counts()).toEqual({ accounts: 1 });
    });

    it('a resolver error inside an entity fetch: the _entities path becomes the client path', async () => {
      const body = await run('{ users { id reviews { product { upc name } } } }');
      const product = (upc: string, name: string | null) => ({ product: { upc, name } });
      expectResult(body, {
        data: {
          users: [
            { id: 'u1', reviews: [product('p1', 'Stadtplan'), product('p2', 'Parkbank')] },
            { id: 'u2', reviews: [product('p-broken', null), product('p1', 'Stadtplan')] },
            { id: 'u3', reviews: [product('p1', 'Stadtplan')] },
          ],
        },
        errors: [
          {
            message: 'Produktname nicht verfügbar',
            path: ['users', 1, 'reviews', 0, 'product', 'name'],
            extensions: { code: 'NAME_UNAVAILABLE', serviceName: 'products' },
          },
        ],
      });
      expect(graph.counts()).toEqual({ accounts: 1, reviews: 1, products: 1 });
      expect(representations('products')).toEqual([sentFor(REVIEWS_OF_ALL_USERS)]);
    });

    it('an entity error on an entity reached twice: one error per client path', async () => {
      const body = await run('{ nodes(ids: ["r3", "r1", "r3"]) { ... on Review { id product { upc name } } } }');
      const error = (index: number) => ({
        message: 'Produktname nicht verfügbar',
        path: ['nodes', index, 'product', 'name'],
        extensions: { code: 'NAME_UNAVAILABLE', serviceName: 'products' },
      });
      expectResult(body, {
        data: {
          nodes: [
            { id: 'r3', product: { upc: 'p-broken', name: null } },
            { id: 'r1', product: { upc: 'p1', name: 'Stadtplan' } },
            { id: 'r3', product: { upc: 'p-broken', name: null } },
          ],
        },
        errors: [error(0), error(2)],
      });
      expect(graph.counts()).toEqual({ reviews: 1, products: 1 });
      expect(representations('products')).toEqual([sentFor(['p-broken', 'p1', 'p-broken'].map((upc) => ({ __typename: 'Product', upc })))]);
    });

    it('a subgraph that is down, asked for a root field: DOWNSTREAM_SERVICE_ERROR at that field, the rest served', async () => {
      const body = await run('{ ratingsStatus me { id } }');
      expectResult(body, {
        data: { ratingsStatus: null, me: { id: 'u1' } },
        errors: [
          {
            message: 'Subgraph "ratings" is not reachable',
            path: ['ratingsStatus'],
            extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'ratings', serviceName: 'ratings' },
          },
        ],
      });
      expect(graph.counts()).toEqual({ accounts: 1 });
    });

    it('a subgraph that is down, asked in an entity fetch: one error at the list field (Apollo: the Flatten path with "@")', async () => {
      const body = await run('{ topProducts(first: 2) { upc rating } }');
      expectResult(body, {
        data: { topProducts: [{ upc: 'p1', rating: null }, { upc: 'p2', rating: null }] },
        errors: [
          {
            message: 'Subgraph "ratings" is not reachable',
            // Apollo's executor reports the plan's Flatten path, '@' included (not a valid
            // response path); Amtsgraph's anchors the error at the list field.
            path: executor === 'apollo' ? ['topProducts', '@'] : ['topProducts'],
            extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'ratings', serviceName: 'ratings' },
          },
        ],
      });
      expect(graph.counts()).toEqual({ products: 1 });
    });

    it('a subgraph answering an HTML 502 page: root field and entity fetch', async () => {
      const message = 'Subgraph "legacy" answered HTTP 502 with a body that is not a GraphQL response';
      const extensions = { code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'legacy', serviceName: 'legacy' };
      expectResult(await run('{ legacyStatus }'), {
        data: { legacyStatus: null },
        errors: [{ message, path: ['legacyStatus'], extensions }],
      });
      expect(graph.counts()).toEqual({ legacy: 1 });

      graph.reset();
      expectResult(await run('{ me { id legacyId } }'), {
        data: { me: { id: 'u1', legacyId: null } },
        errors: [{ message, path: ['me'], extensions }],
      });
      expect(graph.counts()).toEqual({ accounts: 1, legacy: 1 });
      expect(representations('legacy')).toEqual([[{ __typename: 'User', id: 'u1' }]]);
    });
  });

  describe('8. null propagation (drifted serves what the supergraph forbids)', () => {
    it('a non-null field null: its parent object becomes null; reported in extensions.valueCompletion, not errors', async () => {
      const body = await run('{ product(upc: "p2") { upc name sku } }');
      expectResult(body, {
        data: { product: null },
        extensions: {
          valueCompletion: [
            { message: 'Cannot return null for non-nullable field Product.sku.', path: ['product', 'sku'], extensions: { code: 'INVALID_GRAPHQL' } },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, drifted: 1 });
    });

    it('through [Product!]! up to data: null', async () => {
      const body = await run('{ topProducts(first: 2) { upc sku } }');
      expectResult(body, {
        data: null,
        extensions: {
          valueCompletion: [
            { message: 'Cannot return null for non-nullable field Product.sku.', path: ['topProducts', 1, 'sku'], extensions: { code: 'INVALID_GRAPHQL' } },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, drifted: 1 });
    });

    it('a nullable field null stays null without an error; an entity the subgraph returns as null has null fields', async () => {
      const body = await run('{ products(upcs: ["p1", "p-broken", "p3"]) { upc notes } }');
      expectResult(body, {
        data: {
          products: [
            { upc: 'p1', notes: 'Bestseller' },
            { upc: 'p3', notes: null },
            { upc: 'p-broken', notes: null },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, drifted: 1 });
      expect(representations('drifted')).toEqual([['p1', 'p3', 'p-broken'].map((upc) => ({ __typename: 'Product', upc }))]);
    });

    it('a null entity whose requested field is non-null: propagates through [Product!]! to data: null', async () => {
      const body = await run('{ products(upcs: ["p1", "p-broken"]) { upc sku } }');
      expectResult(body, {
        data: null,
        extensions: {
          valueCompletion: [
            { message: 'Cannot return null for non-nullable field Product.sku.', path: ['products', 1, 'sku'], extensions: { code: 'INVALID_GRAPHQL' } },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, drifted: 1 });
    });

    it('a non-null violation on an entity reached twice: both occurrences nulled, one entry each', async () => {
      const body = await run('{ nodes(ids: ["r2", "r1", "r2"]) { ... on Review { id product { upc sku } } } }');
      const violation = (index: number) => ({
        message: 'Cannot return null for non-nullable field Product.sku.',
        path: ['nodes', index, 'product', 'sku'],
        extensions: { code: 'INVALID_GRAPHQL' },
      });
      expectResult(body, {
        data: { nodes: [{ id: 'r2', product: null }, { id: 'r1', product: { upc: 'p1', sku: 'SKU-1' } }, { id: 'r2', product: null }] },
        extensions: { valueCompletion: [violation(0), violation(2)] },
      });
      expect(graph.counts()).toEqual({ reviews: 1, drifted: 1 });
      expect(representations('drifted')).toEqual([sentFor(['p2', 'p1', 'p2'].map((upc) => ({ __typename: 'Product', upc })))]);
    });

    it('a null item in a [String!] list nulls the list', async () => {
      const body = await run('{ product(upc: "p2") { upc tags } }');
      expectResult(body, {
        data: { product: { upc: 'p2', tags: null } },
        extensions: {
          valueCompletion: [
            {
              message: 'Cannot return null for non-nullable array element of type String at index 1.',
              path: ['product', 'tags', 1],
              extensions: { code: 'INVALID_GRAPHQL' },
            },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, drifted: 1 });
    });
  });

  describe('9. @skip/@include, variables, arguments', () => {
    const CONDITIONAL = `
      query ($withReviews: Boolean!, $skipName: Boolean!) {
        me {
          id
          name @skip(if: $skipName)
          reviews @include(if: $withReviews) { body }
          ...OrgOfUser @include(if: $withReviews)
          ... on User @skip(if: $skipName) { username }
        }
        topProducts @include(if: $withReviews) { upc }
      }
      fragment OrgOfUser on User { org { name } }`;

    it('the plan has Condition nodes for the fetches that depend on a variable', () => {
      const plan = engine.plan(parse(CONDITIONAL), null);
      expect(planKinds(plan.root)).toEqual([
        'Parallel',
        'Sequence',
        'Fetch(accounts)',
        'Condition(withReviews)',
        'Flatten',
        'Fetch(reviews)',
        'Condition(withReviews)',
        'Fetch(products)',
      ]);
    });

    it('conditions true: everything included', async () => {
      const body = await run(CONDITIONAL, { withReviews: true, skipName: false });
      expectResult(body, {
        data: {
          me: {
            id: 'u1',
            name: 'Ada Quell',
            reviews: [{ body: 'Sehr nützlich' }, { body: 'Bequem' }],
            org: { name: 'Stadtwerke' },
            username: 'ada',
          },
          topProducts: [{ upc: 'p1' }, { upc: 'p2' }],
        },
      });
      expect(graph.counts()).toEqual({ accounts: 1, reviews: 1, products: 1 });
      // Conditions inside one fetch are passed on to the subgraph with their variables.
      expect(variablesSent('accounts')).toEqual([{ skipName: false, withReviews: true }]);
    });

    it('conditions false: the conditional fetches are not made at all', async () => {
      const body = await run(CONDITIONAL, { withReviews: false, skipName: true });
      expectResult(body, { data: { me: { id: 'u1' } } });
      expect(graph.counts()).toEqual({ accounts: 1 });
      expect(variablesSent('accounts')).toEqual([{ skipName: true, withReviews: false }]);
    });

    const DEFAULTS = 'query ($first: Int = 1, $n: Int) { topProducts(first: $first) { upc } me { reviews(first: $n) { body } } }';

    it('a variable default applies; a variable used only in an entity fetch is sent with that fetch', async () => {
      const body = await run(DEFAULTS, { n: 1 });
      expectResult(body, { data: { topProducts: [{ upc: 'p1' }], me: { reviews: [{ body: 'Sehr nützlich' }] } } });
      expect(graph.counts()).toEqual({ products: 1, accounts: 1, reviews: 1 });
      // The default travels in the subgraph operation; only provided variables are sent.
      expect(graph.subgraphs.products.requests[0]!.query).toBe('query($first:Int=1){topProducts(first:$first){upc}}');
      expect(variablesSent('products')).toEqual([{}]);
      expect(variablesSent('reviews')).toEqual([{ n: 1, representations: [{ __typename: 'User', id: 'u1' }] }]);
    });

    it('a provided variable overrides the default; an unset one is not sent to the entity fetch', async () => {
      const body = await run(DEFAULTS, { first: 3 });
      expectResult(body, {
        data: { topProducts: [{ upc: 'p1' }, { upc: 'p2' }, { upc: 'p3' }], me: { reviews: [{ body: 'Sehr nützlich' }, { body: 'Bequem' }] } },
      });
      expect(variablesSent('products')).toEqual([{ first: 3 }]);
      expect(variablesSent('reviews')).toEqual([{ representations: [{ __typename: 'User', id: 'u1' }] }]);
    });

    it('input object, list and enum arguments; JSON scalar values pass through unchanged', async () => {
      const value = { a: [1, 'zwei', null, { b: false }], c: 1.5 };
      const filter = { categories: ['BOOK', 'TOOL'], maxPrice: 30 };
      const upcs = ['p1', 'p2', 'p3', 'p-broken'];
      const body = await run(
        'query ($filter: ProductFilter, $upcs: [ID!], $value: JSON) { products(filter: $filter, upcs: $upcs) { upc category attributes } echo(value: $value) }',
        { filter, upcs, value },
      );
      expectResult(body, {
        data: {
          products: [
            { upc: 'p1', category: 'BOOK', attributes: { pages: 48, tags: ['karte'], nested: { a: null, b: [1, 2.5, true] } } },
            { upc: 'p3', category: 'TOOL', attributes: 'nur Text' },
            { upc: 'p-broken', category: 'TOOL', attributes: 42 },
          ],
          echo: value,
        },
      });
      expect(graph.counts()).toEqual({ products: 1 });
      expect(variablesSent('products')).toEqual([{ filter, upcs, value }]);
    });

    it('an input object literal with an enum list', async () => {
      const body = await run('{ products(filter: { categories: [FURNITURE] }) { upc category } }');
      expectResult(body, { data: { products: [{ upc: 'p2', category: 'FURNITURE' }] } });
      expect(graph.subgraphs.products.requests[0]!.query).toBe('{products(filter:{categories:[FURNITURE]}){upc category}}');
    });

    it('a named operation: subgraph operations are named <operation>__<subgraph>__<fetch>', async () => {
      const body = await run(
        'query Named($upc: ID!) { product(upc: $upc) { ...P ... on Product { reviews { author { ... on User { name } } } } } } fragment P on Product { upc inStock }',
        { upc: 'p2' },
        'Named',
      );
      expectResult(body, { data: { product: { upc: 'p2', inStock: false, reviews: [{ author: { name: 'Ada Quell' } }] } } });
      expect(graph.counts()).toEqual({ products: 1, reviews: 1, inventory: 1, accounts: 1 });
      const operationNames = Object.fromEntries(
        (['products', 'reviews', 'inventory', 'accounts'] as const).map((name) => [name, graph.subgraphs[name].requests[0]!.operationName]),
      );
      expect(operationNames).toEqual({
        products: 'Named__products__0',
        reviews: 'Named__reviews__1',
        inventory: 'Named__inventory__3',
        accounts: 'Named__accounts__2',
      });
      expect(variablesSent('products')).toEqual([{ upc: 'p2' }]);
    });
  });

  describe('10. mutations', () => {
    it('two mutation fields of two subgraphs run in order, each followed by its entity fetches', async () => {
      const body = await run(
        'mutation { newUser: createUser(name: "Frieda Neu") { id name reviews { body } } addProduct(upc: "p9", name: "Hammer") { upc name category inStock shippingEstimate } }',
      );
      expectResult(body, {
        data: {
          newUser: { id: 'u-new-1', name: 'Frieda Neu', reviews: [] },
          addProduct: { upc: 'p9', name: 'Hammer', category: 'TOOL', inStock: false, shippingEstimate: 3 },
        },
      });
      expect(graph.log).toEqual(['accounts:mutation', 'reviews:query', 'products:mutation', 'inventory:query']);
      expect(representations('reviews')).toEqual([[{ __typename: 'User', id: 'u-new-1' }]]);
      expect(representations('inventory')).toEqual([[{ __typename: 'Product', upc: 'p9', price: 5, weight: 700 }]]);
    });
  });

  describe('11. introspection', () => {
    it('introspection next to data: only the data field is fetched', async () => {
      const body = await run('{ __schema { queryType { name } } me { id } }');
      expectResult(body, { data: { __schema: { queryType: { name: 'Query' } }, me: { id: 'u1' } } });
      expect(graph.counts()).toEqual({ accounts: 1 });
      expect(graph.subgraphs.accounts.requests[0]!.query).toBe('{me{id}}');
    });

    it('__type: fields of the API schema in supergraph order, no request', async () => {
      const body = await run('{ __type(name: "User") { fields { name } } }');
      expectResult(body, {
        data: { __type: { fields: ['id', 'name', 'username', 'org', 'legacyId', 'reviews'].map((name) => ({ name })) } },
      });
      expect(graph.counts()).toEqual({});
    });
  });

  describe('12. leaf values of the wrong type', () => {
    it('a string for an Int and an unknown enum value become null, reported in extensions.valueCompletion', async () => {
      const body = await run('{ product(upc: "p3") { upc rank grade } }');
      expectResult(body, {
        data: { product: { upc: 'p3', rank: null, grade: null } },
        extensions: {
          valueCompletion: [
            { message: 'Invalid value found for field Product.rank.', path: ['product', 'rank'], extensions: { code: 'INVALID_GRAPHQL' } },
            { message: 'Invalid value found for field Product.grade.', path: ['product', 'grade'], extensions: { code: 'INVALID_GRAPHQL' } },
          ],
        },
      });
      expect(graph.counts()).toEqual({ products: 1, drifted: 1 });
    });

    it('the same fields with valid values pass', async () => {
      expectResult(await run('{ product(upc: "p1") { upc rank grade } }'), { data: { product: { upc: 'p1', rank: 1, grade: 'A' } } });
    });
  });

  describe('13. variables invalid for the operation', () => {
    it('a string for Int: one error with locations, no data, no subgraph request', async () => {
      const body = await run('query ($first: Int) { topProducts(first: $first) { upc } }', { first: 'drei' });
      expect(body).toEqual({
        errors: [
          {
            message: 'Variable "$first" got invalid value "drei"; Int cannot represent non-integer value: "drei"',
            locations: [{ line: 1, column: 8 }],
          },
        ],
      });
      expect(graph.counts()).toEqual({});
    });

    it('a required variable missing', async () => {
      const body = await run('query ($first: Int!) { topProducts(first: $first) { upc } }', {});
      expect(body).toEqual({
        errors: [{ message: 'Variable "$first" of required type "Int!" was not provided.', locations: [{ line: 1, column: 8 }] }],
      });
      expect(graph.counts()).toEqual({});
    });

    it('an unknown enum value inside an input object', async () => {
      const body = await run('query ($filter: ProductFilter) { products(filter: $filter) { upc } }', { filter: { categories: ['BOAT'] } });
      expect(body).toEqual({
        errors: [
          {
            message:
              'Variable "$filter" got invalid value "BOAT" at "filter.categories[0]"; Value "BOAT" does not exist in "Category" enum. Did you mean the enum value "BOOK"?',
            locations: [{ line: 1, column: 8 }],
          },
        ],
      });
      expect(graph.counts()).toEqual({});
    });
  });
});
