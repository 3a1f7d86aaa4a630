import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import type { Identity } from '../../../common/identity';
import { silentLogger } from '../../../common/logger';
import { composeSdls } from '../../../schema/compose-lib';
import { useAuthorization } from '../plugins/use-authorization';
import { getAuthorizationOutcome, type AuthorizationOutcome } from './outcome';

/**
 * The authorization plugin on its own (no federation engine: graphql-js executes the API
 * schema), with identities set directly by a test plugin, and the outcome it records for
 * the audit and metrics (`getAuthorizationOutcome`).
 */
const SUBGRAPH = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
"P" type Person @key(fields: "id") {
  "i" id: ID! @authenticated
  "f" familyName: String @requiresScopes(scopes: [["melde:read"]])
  "b" birthDate: String @requiresScopes(scopes: [["melde:read"]]) @policy(policies: [["purpose-bound"]])
}
"Q" type Query { "p" person(id: ID!): Person @requiresScopes(scopes: [["melde:read"]]) "v" version: String }
`;
const composed = composeSdls([{ name: 'people', url: 'http://127.0.0.1:1/graphql', sdl: SUBGRAPH }]);
if (!composed.ok) throw new Error(composed.errors.join('\n'));
const SUPERGRAPH = composed.supergraphSdl;

const schema = createSchema({
  typeDefs: 'type Person { id: ID! familyName: String birthDate: String } type Query { person(id: ID!): Person version: String }',
  resolvers: {
    Query: {
      person: (_: unknown, { id }: { id: string }) => ({ id, familyName: 'Quellenbrink', birthDate: '1961-04-17' }),
      version: () => '1',
    },
  },
});

function build(mode: 'filter' | 'reject' | 'dry-run', identity: Identity) {
  const outcomes: (AuthorizationOutcome | undefined)[] = [];
  const executed: string[] = [];
  const setIdentity: Plugin = {
    // Test-only: the identity authentication would set.
    onContextBuilding: ({ extendContext }) => extendContext({ identity, correlationId: 'test-correlation', forwardHeaders: {} } as never),
  };
  const capture: Plugin = {
    onResultProcess: ({ request }) => void outcomes.push(getAuthorizationOutcome(request)),
  };
  // Runs after authorization's onExecute only when authorization lets the operation execute.
  const recordExecuted: Plugin = {
    onExecute: ({ args }) => void executed.push(args.operationName ?? '(anonymous)'),
  };
  const yoga = createYoga({
    schema,
    logging: false,
    plugins: [
      setIdentity,
      useAuthorization({
        engine: { supergraphSdl: () => SUPERGRAPH, onSchemaChange: () => () => {} },
        schema: schema as never,
        mode,
        allowedPurposes: ['melderegisterauskunft'],
        policies: {},
        collectEntities: true,
        maxEntities: 10,
        logger: silentLogger,
      }) as Plugin,
      recordExecuted,
      capture,
    ],
  });
  const run = async (query: string) => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: await response.json() };
  };
  return { run, outcomes, executed };
}

const registrar: Identity = { sub: 'registrar-hb', scopes: ['melde:read'], ags: '04011000', purpose: null, anonymous: false };

describe('authorization outcome', () => {
  it('filter: what was requested, denied and removed, and the entities served', async () => {
    const { run, outcomes, executed } = build('filter', registrar);
    const { body } = await run('query Look { person(id: "P-1") { familyName birthDate } version }');
    expect(body).toEqual({
      data: { person: { familyName: 'Quellenbrink', birthDate: null }, version: '1' },
      errors: [
        {
          message: 'Not authorized to read Person.birthDate: it requires scope melde:read, policy purpose-bound. It was removed from the operation.',
          path: ['person', 'birthDate'],
          extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', coordinate: 'Person.birthDate', reason: 'policy' },
        },
      ],
    });
    expect(outcomes).toEqual([
      {
        mode: 'filter',
        operationName: 'Look',
        operationType: 'query',
        signature: expect.stringMatching(/^[0-9a-f]{64}$/),
        requested: ['Person.birthDate', 'Person.familyName', 'Query.person'],
        denied: ['Person.birthDate'],
        deniedPaths: [['person', 'birthDate']],
        result: 'filtered',
        entities: [{ type: 'Person', id: 'P-1' }],
        entitiesTruncated: false,
      },
    ]);
    expect(executed).toEqual(['(anonymous)']);
  });

  it('reject: nothing executed, outcome rejected', async () => {
    const { run, outcomes, executed } = build('reject', registrar);
    const { status } = await run('{ person(id: "P-1") { birthDate } }');
    expect(status).toBe(403);
    expect(executed).toEqual([]);
    expect(outcomes.map((o) => [o?.result, o?.denied, o?.entities])).toEqual([['rejected', ['Person.birthDate'], []]]);
  });

  it('dry-run: served, outcome served with the denials noted', async () => {
    const { run, outcomes } = build('dry-run', registrar);
    const { body } = await run('{ person(id: "P-1") { birthDate } }');
    expect(body).toEqual({ data: { person: { birthDate: '1961-04-17' } } });
    expect(outcomes.map((o) => [o?.result, o?.denied, o?.deniedPaths, o?.entities])).toEqual([
      ['served', ['Person.birthDate'], [['person', 'birthDate']], [{ type: 'Person', id: 'P-1' }]],
    ]);
  });

  it('public operations: an outcome with nothing requested', async () => {
    const { run, outcomes } = build('filter', registrar);
    expect((await run('{ version }')).body).toEqual({ data: { version: '1' } });
    expect(outcomes.map((o) => [o?.requested, o?.result])).toEqual([[[], 'served']]);
  });
});
