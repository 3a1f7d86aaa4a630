import { composeServices } from '@apollo/composition';
import { buildSchema, execute, parse, type GraphQLFieldResolver, type GraphQLObjectType } from 'graphql';
import { BENCH_SUBGRAPH_NAMES, IN_STOCK, PRODUCTS, REVIEWS, USERS, subgraphTypeDefs, type BenchSubgraphName } from './subgraph-schemas';

/**
 * The benchmark scenario around the four subgraphs: the supergraph, the standard TestQuery of
 * graphql-gateways-benchmark (k6.js), the single-subgraph query of variant (e), the distinct
 * operations of `--suite distinct`, and an oracle that computes every expected answer from
 * the data without any gateway (a plain, non-federated schema over the same tables).
 */
export const TEST_QUERY = `fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}`;

/**
 * Variant (e): the reviews subgraph alone, asked for the users branch of the TestQuery through
 * `_entities` (6 users), nested as deep, with every field the reviews subgraph resolves itself.
 */
const DIRECT_SELECTION = 'id reviews { id body product { upc reviews { id body author { id username reviews { id body product { upc reviews { id body } } } } } } }';
export const DIRECT_QUERY = `query Direct($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { ${DIRECT_SELECTION} } } }`;
export const DIRECT_VARIABLES = { representations: USERS.map((u) => ({ __typename: 'User', id: u.id })) };
export const DIRECT_SUBGRAPH: BenchSubgraphName = 'reviews';

/** Composes the four subgraphs (at these ports on 127.0.0.1) into a supergraph SDL. */
export function composeSupergraph(ports: Record<BenchSubgraphName, number>): string {
  const result = composeServices(
    BENCH_SUBGRAPH_NAMES.map((name) => ({ name, typeDefs: subgraphTypeDefs(name), url: `http://127.0.0.1:${ports[name]}/graphql` })),
  );
  if (result.errors?.length) {
    throw new Error(`composing the benchmark supergraph failed:\n- ${result.errors.map((e) => e.message).join('\n- ')}`);
  }
  if (!result.supergraphSdl) throw new Error('composing the benchmark supergraph gave no supergraph SDL');
  return result.supergraphSdl;
}

/**
 * The 100,000 distinct operations of `--suite distinct`: each has its own text, plan and
 * signature (operation name, alias, argument literal and field subset all vary with `i`).
 */
const PRODUCT_FIELDS = ['upc', 'name', 'price', 'weight', 'inStock', 'shippingEstimate'] as const;
export function distinctOperation(i: number): string {
  const mask = (i % 63) + 1;
  const fields = PRODUCT_FIELDS.filter((_, bit) => mask & (1 << bit));
  const reviews = i % 4 === 0 ? ` reviews { id }` : '';
  const users = i % 5 === 0 ? ` u${i}: users { id name }` : '';
  return `query D${i} { p${i}: topProducts(first: ${(i % 9) + 1}) { ${fields.join(' ')}${reviews} }${users} }`;
}

export interface Oracle {
  /** The expected gateway answer (`{"data":…}`, fields in query order) to an operation. */
  answer(query: string, variables?: Record<string, unknown>): string;
  /** The expected answer of the reviews subgraph to DIRECT_QUERY (variant e). */
  directReference(): string;
}

/** The oracle: a monolithic schema with the federated graph's semantics (see subgraph-schemas.ts). */
export function createOracle(): Oracle {
  const schema = buildSchema(`
    type Query { me: User, user(id: ID!): User, users: [User], topProducts(first: Int = 5): [Product] }
    type User { id: ID!, name: String, username: String, birthday: Int, reviews: [Review] }
    type Product { upc: String!, weight: Int, price: Int, inStock: Boolean, shippingEstimate: Int, name: String, reviews: [Review] }
    type Review { id: ID!, body: String, product: Product, author: User }
  `);
  const resolve = (type: string, field: string, fn: GraphQLFieldResolver<never, unknown>) => {
    (schema.getType(type) as GraphQLObjectType).getFields()[field]!.resolve = fn as GraphQLFieldResolver<unknown, unknown>;
  };
  const product = (upc: string) => PRODUCTS.find((p) => p.upc === upc) ?? null;
  resolve('Query', 'me', () => USERS[0]);
  resolve('Query', 'user', (_s: never, { id }: { id: string }) => USERS.find((u) => u.id === id) ?? null);
  resolve('Query', 'users', () => USERS);
  resolve('Query', 'topProducts', (_s: never, { first }: { first?: number | null }) => PRODUCTS.slice(0, first ?? 5));
  resolve('User', 'reviews', () => REVIEWS.slice(0, 2));
  resolve('Review', 'product', (r: { productUpc: string }) => product(r.productUpc));
  resolve('Review', 'author', () => USERS[0]);
  resolve('Product', 'inStock', (p: { upc: string }) => IN_STOCK[p.upc] ?? null);
  resolve('Product', 'shippingEstimate', () => null);
  resolve('Product', 'reviews', (p: { upc: string }) => REVIEWS.filter((r) => r.productUpc === p.upc));
  return {
    answer(query, variables) {
      return answer(query, variables);
    },
    directReference() {
      const users = (JSON.parse(answer(`{ users { ${DIRECT_SELECTION} } }`)) as { data: { users: unknown[] } }).data.users;
      return JSON.stringify({ data: { _entities: users } });
    },
  };
  function answer(query: string, variables?: Record<string, unknown>): string {
    const result = execute({ schema, document: parse(query), variableValues: variables });
    if ('then' in result) throw new Error('the oracle resolves synchronously');
    if (result.errors?.length) throw new Error(`oracle: ${result.errors.map((e) => e.message).join('; ')}`);
    return JSON.stringify({ data: result.data });
  }
}
