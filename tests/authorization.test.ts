import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, visit } from 'graphql';
import type { PolicyContext } from '../gateway/src/authz/policies';
import type { GatewayConfigInput } from '../gateway/src/config';
import { composeSdls } from '../schema/compose-lib';
import type { Stack } from '../scripts/stack';
import { betriebById } from '../stand-ins/gewerbe/data';
import { mainResidenceCount, residentById } from '../stand-ins/lib/residents';
import { callerTokens, PEOPLE_SDL, startPersonalDataFixture, TRADE_SDL, type PersonalDataFixture } from './personal-data-fixture';
import { bearer, createTestIssuer, gql, startTestStack } from './testkit';

/**
 * Field-level authorization at the gateway, against a small federated graph with personal
 * data (tests/personal-data-fixture.ts) and real tokens: denied fields are removed before
 * planning (the subgraphs never see them), come back as null with one
 * UNAUTHORIZED_FIELD_OR_TYPE error per removed path, through aliases, fragments, unions,
 * interfaces, entities of another subgraph, @requires, variables and @skip/@include; the
 * `reject` and `dry-run` modes; rules follow a supergraph reload.
 */
jest.setTimeout(30_000);

type Tokens = Awaited<ReturnType<typeof callerTokens>>;

/** Every field name in the queries a subgraph received (aliases resolved), sorted. */
function requestedFields(queries: string[]): string[] {
  const names = new Set<string>();
  for (const query of queries) visit(parse(query), { Field: (node) => void names.add(node.name.value) });
  return [...names].sort();
}

const REQUIRES: Record<string, string> = {
  'Query.person': 'scope melde:read',
  'Municipality.residents': 'scope melde:read',
  'Business.owner': 'scope gewerbe:read',
  'Person.familyName': 'scope melde:read',
  'Person.givenNames': 'scope melde:read',
  'Person.birthDate': 'scope melde:read, policy purpose-bound',
  'Person.ageGroup': 'scope melde:read, policy purpose-bound',
  'Place.accessCode': 'scope geo:read',
  'Place.name': 'scope geo:read',
  'Node.id': 'an authenticated caller',
  'Query.classified': 'an authenticated caller',
  'Query.unregistered': 'policy no-such-policy',
  'Query.afterHours': 'policy office-hours',
  'Query.combined': 'scope scope:a and scope:b or scope:c',
};

function unauthorized(path: (string | number)[], coordinate: string, reason: 'authenticated' | 'scopes' | 'policy') {
  return {
    message: `Not authorized to read ${coordinate}: it requires ${REQUIRES[coordinate]}. It was removed from the operation.`,
    path,
    extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', coordinate, reason },
  };
}

describe('authorization in filter mode (default)', () => {
  let f: PersonalDataFixture;
  let t: Tokens;
  const policyCalls: PolicyContext[] = [];
  beforeAll(async () => {
    f = await startPersonalDataFixture({
      gateway: {
        authorization: {
          policies: {
            'office-hours': (context) => {
              policyCalls.push(context);
              return context.identity.sub === 'night-owl';
            },
          },
        },
      },
    });
    t = await callerTokens(f.issuer);
  });
  afterAll(() => f.stop());
  beforeEach(() => {
    f.reset();
    policyCalls.length = 0;
  });

  it('a denied root field is never requested: null plus one error, no subgraph call', async () => {
    const { status, body } = await f.query('{ person(id: "P-HB-1") { familyName } }');
    expect(status).toBe(200);
    expect(body).toEqual({ data: { person: null }, errors: [unauthorized(['person'], 'Query.person', 'scopes')] });
    expect(f.people.received).toEqual([]);
    expect(f.trade.received).toEqual([]);
  });

  it('a denied nested field is removed from the subgraph request; aliases keep the response shape', async () => {
    const { body } = await f.query('{ p: person(id: "P-HB-1") { fn: familyName bd: birthDate } }', { token: t.registrarBremen });
    expect(body).toEqual({ data: { p: { fn: 'Quellenbrink', bd: null } }, errors: [unauthorized(['p', 'bd'], 'Person.birthDate', 'policy')] });
    // `id` is the gateway's own addition (the audit records which persons were read).
    expect(requestedFields(f.people.received)).toEqual(['familyName', 'id', 'person']);
  });

  it('named and inline fragments: one error per removed response path, the same path once', async () => {
    const { body } = await f.query(
      `{ person(id: "P-HB-1") { ...Names ... on Person { bd: birthDate birthDate } } }
       fragment Names on Person { familyName birthDate }`,
      { token: t.registrarBremen },
    );
    expect(body).toEqual({
      data: { person: { familyName: 'Quellenbrink', birthDate: null, bd: null } },
      errors: [unauthorized(['person', 'birthDate'], 'Person.birthDate', 'policy'), unauthorized(['person', 'bd'], 'Person.birthDate', 'policy')],
    });
    expect(requestedFields(f.people.received)).toEqual(['familyName', 'id', 'person']);
  });

  it('inline fragments on a union: the denied field is null on each object of that type ("@" = every list position)', async () => {
    const { body } = await f.query('{ search(term: "x") { __typename ... on Person { familyName } ... on Place { name } } }', { token: t.citizen });
    expect(body).toEqual({
      data: {
        search: [
          { __typename: 'Person', familyName: null },
          { __typename: 'Place', name: 'Rathausplatz' },
          { __typename: 'Person', familyName: null },
        ],
      },
      errors: [unauthorized(['search', '@', 'familyName'], 'Person.familyName', 'scopes')],
    });
    expect(requestedFields(f.people.received)).not.toContain('familyName');
  });

  it('a removed non-null field nulls its nearest nullable parent (normal null propagation)', async () => {
    const { body } = await f.query(
      '{ search(term: "x") { ... on Place { name accessCode } } node(id: "PL-1") { ... on Place { name accessCode } } }',
      { token: t.citizen },
    );
    expect(body).toEqual({
      data: { search: null, node: null },
      errors: [unauthorized(['search', '@', 'accessCode'], 'Place.accessCode', 'scopes'), unauthorized(['node', 'accessCode'], 'Place.accessCode', 'scopes')],
    });
    expect(requestedFields(f.people.received)).not.toContain('accessCode');
  });

  it('an interface field is as restricted as on any implementation; fragments on public types pass', async () => {
    expect((await f.query('{ node(id: "P-HB-1") { id } }')).body).toEqual({
      data: { node: null },
      errors: [unauthorized(['node', 'id'], 'Node.id', 'authenticated')],
    });
    expect((await f.query('{ node(id: "P-HB-1") { id } }', { token: t.citizen })).body).toEqual({ data: { node: { id: 'P-HB-1' } } });
    expect((await f.query('{ node(id: "PL-1") { ... on Place { id name } } }')).body).toEqual({ data: { node: { id: 'PL-1', name: 'Rathausplatz' } } });
  });

  it('a type-level rule covers the fields returning the type', async () => {
    expect((await f.query('{ classified { level } }')).body).toEqual({
      data: { classified: null },
      errors: [unauthorized(['classified'], 'Query.classified', 'authenticated')],
    });
    expect((await f.query('{ classified { level } }', { token: t.citizen })).body).toEqual({ data: { classified: { level: 3 } } });
  });

  it('entities reached from another subgraph: Business.owner { familyName birthDate } never reaches the people subgraph', async () => {
    const { body } = await f.query('{ business(id: "B-1") { name owner { familyName birthDate } } }', { token: t.clerk });
    expect(body).toEqual({
      data: { business: { name: 'Bäckerei Probe', owner: { familyName: null, birthDate: null } } },
      errors: [
        unauthorized(['business', 'owner', 'familyName'], 'Person.familyName', 'scopes'),
        unauthorized(['business', 'owner', 'birthDate'], 'Person.birthDate', 'scopes'),
      ],
    });
    expect(f.people.received).toEqual([]);
    expect(requestedFields(f.trade.received)).toEqual(['business', 'id', 'name', 'owner']);
    // Without gewerbe:read the owner itself is removed.
    f.reset();
    expect((await f.query('{ business(id: "B-1") { name owner { familyName } } }', { token: t.registrarSolingen })).body).toEqual({
      data: { business: { name: 'Bäckerei Probe', owner: null } },
      errors: [unauthorized(['business', 'owner'], 'Business.owner', 'scopes')],
    });
    expect(f.people.received).toEqual([]);
  });

  it('a field that @requires a denied field is removed too, so the required field is never fetched', async () => {
    const { body } = await f.query('{ business(id: "B-1") { name owner { familyName ageGroup } } }', { token: t.clerkWithMelde });
    expect(body).toEqual({
      data: { business: { name: 'Bäckerei Probe', owner: { familyName: 'Klingenschmidt', ageGroup: null } } },
      errors: [unauthorized(['business', 'owner', 'ageGroup'], 'Person.ageGroup', 'policy')],
    });
    expect(requestedFields(f.people.received)).toEqual(['_entities', 'familyName']);
    expect(requestedFields(f.trade.received)).not.toContain('ageGroup');
    // With the purpose as well, the planner fetches the birth date for ageGroup.
    f.reset();
    const all = await f.issuer.token({ sub: 'registrar-sg', scope: 'gewerbe:read melde:read', ags: '05122000', purpose: 'melderegisterauskunft' });
    expect((await f.query('{ business(id: "B-1") { owner { ageGroup } } }', { token: all })).body).toEqual({
      data: { business: { owner: { ageGroup: '1970s' } } },
    });
    expect(requestedFields(f.people.received)).toEqual(['_entities', 'birthDate']);
  });

  it('variables and @include/@skip are evaluated with the request variables', async () => {
    const query = 'query Q($id: ID!, $withBirth: Boolean!) { person(id: $id) { familyName birthDate @include(if: $withBirth) } }';
    const without = await f.query(query, { token: t.registrarBremen, variables: { id: 'P-HB-2', withBirth: false } });
    expect(without.body).toEqual({ data: { person: { familyName: 'Vogelsangk' } } });
    // Skipped but denied: removed from the document all the same.
    expect(requestedFields(f.people.received)).toEqual(['familyName', 'id', 'person']);
    const withBirth = await f.query(query, { token: t.registrarBremen, variables: { id: 'P-HB-2', withBirth: true } });
    expect(withBirth.body).toEqual({
      data: { person: { familyName: 'Vogelsangk', birthDate: null } },
      errors: [unauthorized(['person', 'birthDate'], 'Person.birthDate', 'policy')],
    });

    const skip = 'query S($skip: Boolean!) { person(id: "P-HB-1") @skip(if: $skip) { familyName } municipality(ags: "04011000") { residentCount } }';
    f.reset();
    expect((await f.query(skip, { variables: { skip: true } })).body).toEqual({ data: { municipality: { residentCount: 2 } } });
    expect((await f.query(skip, { variables: { skip: false } })).body).toEqual({
      data: { person: null, municipality: { residentCount: 2 } },
      errors: [unauthorized(['person'], 'Query.person', 'scopes')],
    });
    // `ags`: the gateway's addition for the audit (the operation touched a restricted field).
    expect(requestedFields(f.people.received)).toEqual(['ags', 'municipality', 'residentCount']);

    const spread = 'query I($names: Boolean!) { person(id: "P-HB-1") { ...N @include(if: $names) } } fragment N on Person { familyName givenNames }';
    expect((await f.query(spread, { token: t.citizen, variables: { names: false } })).body).toEqual({ data: { person: null }, errors: [unauthorized(['person'], 'Query.person', 'scopes')] });
    expect((await f.query(spread, { token: t.registrarBremen, variables: { names: true } })).body).toEqual({
      data: { person: { familyName: 'Quellenbrink', givenNames: 'Ottilie Marlene' } },
    });
  });

  it('a list of entities: the restricted list field and its items', async () => {
    const query = '{ municipality(ags: "04011000") { residentCount residents { familyName birthDate } } }';
    expect((await f.query(query, { token: t.clerk })).body).toEqual({
      data: { municipality: { residentCount: 2, residents: null } },
      errors: [unauthorized(['municipality', 'residents'], 'Municipality.residents', 'scopes')],
    });
    expect((await f.query(query, { token: t.registrarBremen })).body).toEqual({
      data: { municipality: { residentCount: 2, residents: [{ familyName: 'Quellenbrink', birthDate: null }, { familyName: 'Vogelsangk', birthDate: null }] } },
      errors: [unauthorized(['municipality', 'residents', '@', 'birthDate'], 'Person.birthDate', 'policy')],
    });
    expect((await f.query(query, { token: t.registrarSolingen })).body).toEqual({
      data: { municipality: { residentCount: 2, residents: [{ familyName: 'Quellenbrink', birthDate: '1961-04-17' }, { familyName: 'Vogelsangk', birthDate: '1988-11-02' }] } },
    });
  });

  it('scopes: the outer list is OR, the inner list AND', async () => {
    const token = (scope: string) => f.issuer.token({ sub: 'scoped', scope });
    expect((await f.query('{ combined }', { token: await token('scope:a') })).body).toEqual({
      data: { combined: null },
      errors: [unauthorized(['combined'], 'Query.combined', 'scopes')],
    });
    expect((await f.query('{ combined }', { token: await token('scope:a scope:b') })).body).toEqual({ data: { combined: 'combined' } });
    expect((await f.query('{ combined }', { token: await token('scope:c') })).body).toEqual({ data: { combined: 'combined' } });
  });

  it('purpose-bound: only a purpose from authorization.allowedPurposes opens the birth date', async () => {
    const statistics = await f.issuer.token({ sub: 'registrar-sg', scope: 'melde:read', ags: '05122000', purpose: 'statistik' });
    expect((await f.query('{ person(id: "P-SG-1") { birthDate } }', { token: statistics })).body).toEqual({
      data: { person: { birthDate: null } },
      errors: [unauthorized(['person', 'birthDate'], 'Person.birthDate', 'policy')],
    });
    // The purpose may also come as the x-purpose header.
    expect(
      (await f.query('{ person(id: "P-SG-1") { birthDate } }', { token: t.registrarBremen, headers: { 'x-purpose': 'melderegisterauskunft' } })).body,
    ).toEqual({ data: { person: { birthDate: '1975-06-30' } } });
  });

  it('configured policies get identity, operation and coordinate; unknown policies deny and are logged once', async () => {
    const owl = await f.issuer.token({ sub: 'night-owl' });
    expect((await f.query('query Late { afterHours }', { token: owl })).body).toEqual({ data: { afterHours: 'after hours' } });
    expect((await f.query('query Late { afterHours }', { token: t.citizen })).body).toEqual({
      data: { afterHours: null },
      errors: [unauthorized(['afterHours'], 'Query.afterHours', 'policy')],
    });
    expect(policyCalls).toEqual([
      { identity: { sub: 'night-owl', scopes: [], ags: null, purpose: null, anonymous: false }, operation: { name: 'Late', type: 'query' }, coordinate: 'Query.afterHours' },
      { identity: { sub: 'citizen-1', scopes: [], ags: null, purpose: null, anonymous: false }, operation: { name: 'Late', type: 'query' }, coordinate: 'Query.afterHours' },
    ]);

    for (let i = 0; i < 2; i++) {
      expect((await f.query('{ unregistered }', { token: t.registrarSolingen })).body).toEqual({
        data: { unregistered: null },
        errors: [unauthorized(['unregistered'], 'Query.unregistered', 'policy')],
      });
    }
    const warnings = f.logs.lines.filter((l) => l.policy === 'no-such-policy');
    expect(warnings.map((l) => [l.level, l.msg, l.coordinate])).toEqual([
      [40, 'unknown @policy in the supergraph: access denied; register it under authorization.policies', 'Query.unregistered'],
    ]);
  });

  it('the gateway reserves its alias prefix', async () => {
    const { status, body } = await f.query('{ __amtsgraph_typename: __typename }');
    expect(status).toBe(400);
    expect(body.errors!.map((e) => [e.message, e.extensions!.code])).toEqual([
      ['The alias "__amtsgraph_typename" is reserved for the gateway (prefix __amtsgraph).', 'GRAPHQL_VALIDATION_FAILED'],
    ]);
  });

  it('public operations are untouched (no rewriting, no additions)', async () => {
    expect((await f.query('{ municipality(ags: "05122000") { ags residentCount } }')).body).toEqual({
      data: { municipality: { ags: '05122000', residentCount: 1 } },
    });
    expect(f.people.received).toEqual(['{municipality(ags:"05122000"){ags residentCount}}']);
  });
});

describe('authorization modes', () => {
  it('reject: the whole operation is refused with 403, nothing executed', async () => {
    const f = await startPersonalDataFixture({ gateway: { authorization: { mode: 'reject' } } });
    try {
      const t = await callerTokens(f.issuer);
      const { status, body } = await f.query('{ municipality(ags: "04011000") { residentCount } p: person(id: "P-HB-1") { familyName birthDate } }', {
        token: t.registrarBremen,
      });
      expect(status).toBe(403);
      expect(body).toEqual({
        errors: [
          {
            message: `Not authorized to read Person.birthDate: it requires ${REQUIRES['Person.birthDate']}. The operation was refused.`,
            path: ['p', 'birthDate'],
            extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', coordinate: 'Person.birthDate', reason: 'policy' },
          },
        ],
      });
      expect(f.people.received).toEqual([]);
      // Allowed operations are served as usual.
      expect((await f.query('{ person(id: "P-HB-1") { familyName } }', { token: t.registrarBremen })).body).toEqual({
        data: { person: { familyName: 'Quellenbrink' } },
      });
    } finally {
      await f.stop();
    }
  });

  it('dry-run: everything is served, what would have been removed is logged', async () => {
    const f = await startPersonalDataFixture({ gateway: { authorization: { mode: 'dry-run' } } });
    try {
      const t = await callerTokens(f.issuer);
      const { status, body } = await f.query('query Dry { person(id: "P-HB-1") { familyName birthDate } }', { token: t.registrarBremen });
      expect(status).toBe(200);
      expect(body).toEqual({ data: { person: { familyName: 'Quellenbrink', birthDate: '1961-04-17' } } });
      expect(requestedFields(f.people.received)).toEqual(['birthDate', 'familyName', 'id', 'person']);
      const logged = f.logs.lines.filter((l) => l.msg === 'authorization dry-run: these fields would have been removed');
      expect(logged.map((l) => [l.level, l.operationName, l.denied, l.paths])).toEqual([[40, 'Dry', ['Person.birthDate'], ['person.birthDate']]]);
    } finally {
      await f.stop();
    }
  });
});

describe('rules follow the supergraph', () => {
  it('are re-read when the supergraph file is reloaded', async () => {
    const f = await startPersonalDataFixture({ gateway: { watchSupergraph: true, watchIntervalMs: 50 } });
    try {
      const t = await callerTokens(f.issuer);
      const query = '{ node(id: "PL-1") { ... on Place { name } } }';
      expect((await f.query(query, { token: t.citizen })).body).toEqual({ data: { node: { name: 'Rathausplatz' } } });

      const restricted = PEOPLE_SDL.replace('"Name."\n  name: String', '"Name."\n  name: String @requiresScopes(scopes: [["geo:read"]])');
      expect(restricted).not.toEqual(PEOPLE_SDL);
      const composed = composeSdls([
        { name: 'people', url: f.people.url, sdl: restricted },
        { name: 'trade', url: f.trade.url, sdl: TRADE_SDL },
      ]);
      if (!composed.ok) throw new Error(composed.errors.join('\n'));
      const before = f.gateway.engine.supergraph()!.id;
      writeFileSync(f.supergraphPath, composed.supergraphSdl);
      const until = Date.now() + 5_000;
      while (f.gateway.engine.supergraph()!.id === before) {
        if (Date.now() > until) throw new Error('supergraph not reloaded');
        await new Promise((r) => setTimeout(r, 25));
      }
      f.reset();
      expect((await f.query(query, { token: t.citizen })).body).toEqual({
        data: { node: { name: null } },
        errors: [unauthorized(['node', 'name'], 'Place.name', 'scopes')],
      });
      expect(requestedFields(f.people.received)).not.toContain('name');
    } finally {
      await f.stop();
    }
  });
});

/**
 * The access matrix on the real graph (melderegister, gewerbe and their stand-ins): five
 * callers against the restricted fields, with exact data and errors. Field rules come from
 * the gateway (UNAUTHORIZED_FIELD_OR_TYPE), row-level rules from the melderegister subgraph
 * (FORBIDDEN: officials see residents of their own municipality only).
 */
describe('access matrix on the real graph', () => {
  const HB_PERSON = residentById('HB-04011000-000001')!;
  const SG_PERSON = residentById('NW-05122000-000001')!;
  const SG_SECOND = residentById('NW-05122000-000002')!;
  const BUSINESS_ID = 'GW-05122000-000001';
  const BUSINESS_NAME = betriebById(BUSINESS_ID)!.betrieb.eingetragenerName;
  const OWNER = residentById(betriebById(BUSINESS_ID)!.beteiligtePerson[0]!.melderegisterId)!;
  const forbidden = (path: string[], ags: string, callerAgs: string) => ({
    message: `Resident data of municipality ${ags} is only for officials of that municipality (the caller works for ${callerAgs}).`,
    path,
    extensions: { subgraph: 'melderegister', code: 'FORBIDDEN', serviceName: 'melderegister' },
  });
  const REQUIRES_REAL: Record<string, string> = { ...REQUIRES, 'Municipality.residents': 'scope melde:read', 'Business.owner': 'scope gewerbe:read' };
  const denied = (path: string[], coordinate: string, reason: 'scopes' | 'policy') => ({
    message: `Not authorized to read ${coordinate}: it requires ${REQUIRES_REAL[coordinate]}. It was removed from the operation.`,
    path,
    extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', coordinate, reason },
  });

  let stack: Stack;
  let dir: string;
  let tokens: Record<'anonymous' | 'citizen' | 'clerk' | 'registrarBremen' | 'registrarSolingen', string | null>;
  beforeAll(async () => {
    const issuer = await createTestIssuer();
    dir = mkdtempSync(path.join(os.tmpdir(), 'amtsgraph-matrix-'));
    stack = await startTestStack({
      gateway: { authentication: issuer.authentication as GatewayConfigInput['authentication'], audit: { file: path.join(dir, 'audit.jsonl') } },
    });
    tokens = {
      anonymous: null,
      citizen: await issuer.token({ sub: 'buerger-1' }),
      clerk: await issuer.token({ sub: 'sb-gewerbe-sg', scope: 'gewerbe:read', ags: '05122000' }),
      registrarBremen: await issuer.token({ sub: 'sb-melde-hb', scope: 'melde:read', ags: '04011000' }),
      registrarSolingen: await issuer.token({ sub: 'sb-melde-sg', scope: 'melde:read', ags: '05122000', purpose: 'melderegisterauskunft' }),
    };
  });
  afterAll(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (caller: keyof typeof tokens, query: string) => {
    const token = tokens[caller];
    return (await gql(stack, query, undefined, token ? bearer(token) : {})).body;
  };
  const noPerson = { data: { person: null }, errors: [denied(['person'], 'Query.person', 'scopes')] };

  it('person(id) of a Bremen resident', async () => {
    const query = `{ person(id: "${HB_PERSON.id}") { id familyName givenNames birthDate } }`;
    expect(await ask('anonymous', query)).toEqual(noPerson);
    expect(await ask('citizen', query)).toEqual(noPerson);
    expect(await ask('clerk', query)).toEqual(noPerson);
    expect(await ask('registrarBremen', query)).toEqual({
      data: { person: { id: HB_PERSON.id, familyName: HB_PERSON.familyName, givenNames: HB_PERSON.givenNames.join(' '), birthDate: null } },
      errors: [denied(['person', 'birthDate'], 'Person.birthDate', 'policy')],
    });
    expect(await ask('registrarSolingen', query)).toEqual({ errors: [forbidden(['person'], '04011000', '05122000')], data: { person: null } });
  });

  it('person(id) of a Solingen resident', async () => {
    const query = `{ person(id: "${SG_PERSON.id}") { id familyName givenNames birthDate } }`;
    expect(await ask('anonymous', query)).toEqual(noPerson);
    expect(await ask('citizen', query)).toEqual(noPerson);
    expect(await ask('clerk', query)).toEqual(noPerson);
    expect(await ask('registrarBremen', query)).toEqual({
      errors: [forbidden(['person'], '05122000', '04011000'), denied(['person', 'birthDate'], 'Person.birthDate', 'policy')],
      data: { person: null },
    });
    expect(await ask('registrarSolingen', query)).toEqual({
      data: { person: { id: SG_PERSON.id, familyName: SG_PERSON.familyName, givenNames: SG_PERSON.givenNames.join(' '), birthDate: SG_PERSON.birthDate } },
    });
  });

  it('Municipality.residents (residentCount stays public)', async () => {
    const query = '{ municipality(ags: "05122000") { residentCount residents(first: 2) { nodes { id familyName birthDate } } } }';
    const count = mainResidenceCount('05122000');
    const noResidents = { data: { municipality: { residentCount: count, residents: null } }, errors: [denied(['municipality', 'residents'], 'Municipality.residents', 'scopes')] };
    expect(await ask('anonymous', query)).toEqual(noResidents);
    expect(await ask('citizen', query)).toEqual(noResidents);
    expect(await ask('clerk', query)).toEqual(noResidents);
    expect(await ask('registrarBremen', query)).toEqual({
      errors: [
        forbidden(['municipality', 'residents'], '05122000', '04011000'),
        denied(['municipality', 'residents', 'nodes', '@', 'birthDate'], 'Person.birthDate', 'policy'),
      ],
      data: { municipality: { residentCount: count, residents: null } },
    });
    expect(await ask('registrarSolingen', query)).toEqual({
      data: {
        municipality: {
          residentCount: count,
          residents: {
            nodes: [SG_PERSON, SG_SECOND].map((p) => ({ id: p.id, familyName: p.familyName, birthDate: p.birthDate })),
          },
        },
      },
    });
  });

  it('Business.owner { familyName birthDate } across gewerbe and melderegister', async () => {
    const query = `{ business(id: "${BUSINESS_ID}") { name owner { familyName birthDate } } }`;
    const noOwner = { data: { business: { name: BUSINESS_NAME, owner: null } }, errors: [denied(['business', 'owner'], 'Business.owner', 'scopes')] };
    expect(await ask('anonymous', query)).toEqual(noOwner);
    expect(await ask('citizen', query)).toEqual(noOwner);
    expect(await ask('clerk', query)).toEqual({
      data: { business: { name: BUSINESS_NAME, owner: { familyName: null, birthDate: null } } },
      errors: [denied(['business', 'owner', 'familyName'], 'Person.familyName', 'scopes'), denied(['business', 'owner', 'birthDate'], 'Person.birthDate', 'scopes')],
    });
    expect(await ask('registrarBremen', query)).toEqual(noOwner);
    expect(await ask('registrarSolingen', query)).toEqual(noOwner);
  });

  it('through aliases and fragments', async () => {
    const query = `{ p: person(id: "${SG_PERSON.id}") { ...Who bd: birthDate } } fragment Who on Person { name: familyName ... on Person { givenNames } }`;
    const noP = { data: { p: null }, errors: [denied(['p'], 'Query.person', 'scopes')] };
    expect(await ask('anonymous', query)).toEqual(noP);
    expect(await ask('citizen', query)).toEqual(noP);
    expect(await ask('clerk', query)).toEqual(noP);
    expect(await ask('registrarBremen', query)).toEqual({
      errors: [forbidden(['p'], '05122000', '04011000'), denied(['p', 'bd'], 'Person.birthDate', 'policy')],
      data: { p: null },
    });
    expect(await ask('registrarSolingen', query)).toEqual({
      data: { p: { name: SG_PERSON.familyName, givenNames: SG_PERSON.givenNames.join(' '), bd: SG_PERSON.birthDate } },
    });
  });
});
