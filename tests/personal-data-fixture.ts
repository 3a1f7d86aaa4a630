import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import pino from 'pino';
import { listen, type Listening } from '../common/listen';
import type { GatewayConfigInput } from '../gateway/src/config';
import { createGateway, type Gateway } from '../gateway/src/server';
import { composeSdls } from '../schema/compose-lib';
import { bearer, createTestIssuer, type GraphQLResponseBody, type TestIssuer } from './testkit';

/**
 * A small federated graph with personal data for the authorization and audit tests, that
 * does not depend on the real melderegister/gewerbe subgraphs: `people` (Person, Place,
 * Municipality.residents, a union, an interface, a type-level rule, policies) and `trade`
 * (Business.owner: Person from the other subgraph, Person.ageGroup `@requires` birthDate).
 * Both subgraphs record every query they receive, so tests assert what reached them.
 * All names and dates are synthetic.
 */
const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@policy", "@external", "@requires"])`;

export const PEOPLE_SDL = `${LINK}
"Something with an id."
interface Node { "Id." id: ID! }
"A registered person (synthetic)."
type Person implements Node @key(fields: "id") {
  "Registry id."
  id: ID! @authenticated
  "Family name."
  familyName: String @requiresScopes(scopes: [["melde:read"]])
  "Given names."
  givenNames: String @requiresScopes(scopes: [["melde:read"]])
  "Date of birth."
  birthDate: String @requiresScopes(scopes: [["melde:read"]]) @policy(policies: [["purpose-bound"]])
  "The municipality holding the record."
  municipality: Municipality
}
"A public place."
type Place implements Node @key(fields: "id") {
  "Id."
  id: ID!
  "Name."
  name: String
  "A non-null restricted field (null propagation)."
  accessCode: String! @requiresScopes(scopes: [["geo:read"]])
}
"A search hit."
union SearchResult = Person | Place
"A municipality."
type Municipality @key(fields: "ags") {
  "AGS."
  ags: String!
  "Number of residents (public)."
  residentCount: Int
  "Residents."
  residents(first: Int): [Person!] @requiresScopes(scopes: [["melde:read"]])
}
"Only for authenticated callers (type-level rule)."
type Classified @authenticated {
  "Level."
  level: Int
}
"Root."
type Query {
  "A person by id."
  person(id: ID!): Person @requiresScopes(scopes: [["melde:read"]])
  "Search."
  search(term: String!): [SearchResult!]
  "Any node."
  node(id: ID!): Node
  "A municipality."
  municipality(ags: String!): Municipality
  "Classified information."
  classified: Classified
  "Guarded by a policy nobody registered."
  unregistered: String @policy(policies: [["no-such-policy"]])
  "Guarded by a configured policy (office hours)."
  afterHours: String @policy(policies: [["office-hours"]])
  "Scopes: (a AND b) OR c."
  combined: String @requiresScopes(scopes: [["scope:a", "scope:b"], ["scope:c"]])
}
`;

export const TRADE_SDL = `${LINK}
"A business (synthetic)."
type Business @key(fields: "id") {
  "Id."
  id: ID!
  "Trading name."
  name: String!
  "The owner."
  owner: Person @requiresScopes(scopes: [["gewerbe:read"]])
}
"A person, as the trade register references it."
type Person @key(fields: "id") {
  "Id."
  id: ID!
  "External."
  birthDate: String @external
  "Computed from the birth date."
  ageGroup: String @requires(fields: "birthDate") @requiresScopes(scopes: [["melde:read"]]) @policy(policies: [["purpose-bound"]])
}
"Root."
type Query {
  "A business by id."
  business(id: ID!): Business
  "All businesses."
  businesses: [Business!]!
}
`;

export const PERSONS = [
  { id: 'P-HB-1', ags: '04011000', familyName: 'Quellenbrink', givenNames: 'Ottilie Marlene', birthDate: '1961-04-17' },
  { id: 'P-HB-2', ags: '04011000', familyName: 'Vogelsangk', givenNames: 'Henrike', birthDate: '1988-11-02' },
  { id: 'P-SG-1', ags: '05122000', familyName: 'Klingenschmidt', givenNames: 'Bartholomäus', birthDate: '1975-06-30' },
] as const;
export const PLACES = [{ id: 'PL-1', name: 'Rathausplatz', accessCode: 'X-42' }];
export const BUSINESSES = [
  { id: 'B-1', name: 'Bäckerei Probe', ownerId: 'P-SG-1' },
  { id: 'B-2', name: 'Fahrradladen Beispiel', ownerId: 'P-HB-1' },
];
/** Every personal value the fixture serves (the audit must never contain one). */
export const PERSONAL_VALUES = PERSONS.flatMap((p) => [p.familyName, p.birthDate, ...p.givenNames.split(' ')]);

const person = (id: string) => PERSONS.find((p) => p.id === id) ?? null;
const node = (id: string) => (id.startsWith('PL-') ? PLACES.find((p) => p.id === id) ?? null : person(id));
const typeOf = (object: { id: string }) => (object.id.startsWith('PL-') ? 'Place' : 'Person');

const peopleResolvers = {
  Query: {
    person: (_: unknown, { id }: { id: string }) => person(id),
    search: () => [PERSONS[0], PLACES[0], PERSONS[2]],
    node: (_: unknown, { id }: { id: string }) => node(id),
    municipality: (_: unknown, { ags }: { ags: string }) => ({ ags }),
    classified: () => ({ level: 3 }),
    unregistered: () => 'unregistered',
    afterHours: () => 'after hours',
    combined: () => 'combined',
  },
  Node: { __resolveType: typeOf },
  SearchResult: { __resolveType: typeOf },
  Person: {
    __resolveReference: ({ id }: { id: string }) => person(id),
    municipality: (p: { ags: string }) => ({ ags: p.ags }),
  },
  Place: { __resolveReference: ({ id }: { id: string }) => PLACES.find((p) => p.id === id) ?? null },
  Municipality: {
    __resolveReference: ({ ags }: { ags: string }) => ({ ags }),
    residentCount: ({ ags }: { ags: string }) => PERSONS.filter((p) => p.ags === ags).length,
    residents: ({ ags }: { ags: string }, { first }: { first?: number }) => PERSONS.filter((p) => p.ags === ags).slice(0, first ?? 100),
  },
};

const tradeResolvers = {
  Query: {
    business: (_: unknown, { id }: { id: string }) => BUSINESSES.find((b) => b.id === id) ?? null,
    businesses: () => BUSINESSES,
  },
  Business: {
    __resolveReference: ({ id }: { id: string }) => BUSINESSES.find((b) => b.id === id) ?? null,
    owner: (b: { ownerId: string }) => ({ id: b.ownerId }),
  },
  Person: {
    ageGroup: (p: { birthDate?: string }) => (p.birthDate ? `${p.birthDate.slice(0, 3)}0s` : null),
  },
};

export interface TestSubgraph {
  name: string;
  sdl: string;
  url: string;
  /** Query texts received since the last `reset()`. */
  received: string[];
  listening: Listening;
}

async function startSubgraph(name: string, sdl: string, resolvers: object): Promise<TestSubgraph> {
  const received: string[] = [];
  const yoga = createYoga({
    schema: buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: resolvers as never }]),
    graphqlEndpoint: '/graphql',
    logging: false,
    plugins: [{ onParams: ({ params }: { params: { query?: string } }) => void received.push(params.query ?? '') }],
  });
  const listening = await listen(yoga, 0, '127.0.0.1', '/graphql');
  return { name, sdl, url: listening.url, received, listening };
}

/** Log lines of the gateway (pino JSON), to assert on warnings. */
export interface CapturedLogs {
  lines: Record<string, unknown>[];
}

export interface PersonalDataFixture {
  gateway: Gateway;
  issuer: TestIssuer;
  people: TestSubgraph;
  trade: TestSubgraph;
  dir: string;
  supergraphPath: string;
  logs: CapturedLogs;
  /** POST /graphql in process; `token` null = anonymous. */
  query(
    query: string,
    options?: { variables?: Record<string, unknown>; token?: string | null; headers?: Record<string, string>; operationName?: string },
  ): Promise<{ status: number; body: GraphQLResponseBody; headers: Headers }>;
  reset(): void;
  stop(): Promise<void>;
}

/** Tokens of the callers the tests use (issued by the fixture's test issuer). */
export async function callerTokens(issuer: TestIssuer) {
  return {
    citizen: await issuer.token({ sub: 'citizen-1' }),
    clerk: await issuer.token({ sub: 'clerk-gewerbe', scope: 'gewerbe:read', ags: '05122000' }),
    registrarBremen: await issuer.token({ sub: 'registrar-hb', scope: 'melde:read', ags: '04011000' }),
    registrarSolingen: await issuer.token({ sub: 'registrar-sg', scope: 'melde:read', ags: '05122000', purpose: 'melderegisterauskunft' }),
    clerkWithMelde: await issuer.token({ sub: 'clerk-both', scope: 'gewerbe:read melde:read', ags: '05122000' }),
    auditor: await issuer.token({ sub: 'auditor-1', scope: 'audit:read' }),
  };
}

export async function startPersonalDataFixture(
  options: { gateway?: Partial<GatewayConfigInput>; peopleSdl?: string } = {},
): Promise<PersonalDataFixture> {
  const issuer = await createTestIssuer();
  const people = await startSubgraph('people', options.peopleSdl ?? PEOPLE_SDL, peopleResolvers);
  const trade = await startSubgraph('trade', TRADE_SDL, tradeResolvers);
  const composed = composeSdls([
    { name: 'people', url: people.url, sdl: people.sdl },
    { name: 'trade', url: trade.url, sdl: trade.sdl },
  ]);
  if (!composed.ok) throw new Error(composed.errors.join('\n'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtsgraph-authz-'));
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composed.supergraphSdl);
  const logs: CapturedLogs = { lines: [] };
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.lines.push(JSON.parse(line) as Record<string, unknown>) });
  const { audit, ...rest } = options.gateway ?? {};
  const gateway = await createGateway(
    {
      supergraphPath,
      watchSupergraph: false,
      identitySecret: 'personal-data-fixture-secret-0123456789abcdef',
      logLevel: 'debug',
      authentication: issuer.authentication as GatewayConfigInput['authentication'],
      ...rest,
      audit: { file: path.join(dir, 'audit.jsonl'), ...audit },
    },
    { logger },
  );
  return {
    gateway,
    issuer,
    people,
    trade,
    dir,
    supergraphPath,
    logs,
    async query(query, { variables, token = null, headers = {}, operationName } = {}) {
      const response = await gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...(token ? bearer(token) : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables, operationName }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLResponseBody, headers: response.headers };
    },
    reset() {
      people.received.length = 0;
      trade.received.length = 0;
      logs.lines.length = 0;
    },
    async stop() {
      await gateway.stop();
      await people.listening.close();
      await trade.listening.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
