import { memoryLogger } from '../../common/logger';
import { ANONYMOUS, IDENTITY_HEADER, identitySecret, signIdentity, type Identity } from '../../common/identity';
import { FAMILY_NAMES, GIVEN_NAMES, residentById, STREETS } from '../../stand-ins/lib/residents';
import type { RunningStandIn, StandIn } from '../../stand-ins/lib/stand-in';
import { createMelderegisterHbStandIn } from '../../stand-ins/melderegister-hb/server';
import { createMelderegisterNrwStandIn } from '../../stand-ins/melderegister-nrw/server';
import { createMelderegisterSubgraph } from './server';

type Subgraph = ReturnType<typeof createMelderegisterSubgraph>;
interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}
interface GqlResult {
  data?: Record<string, any> | null;
  errors?: GqlError[];
}

const SECRET = identitySecret('melderegister-unit-test-secret-0123456789');
const official = (ags: string, scopes = ['melde:read']): Identity => ({
  sub: `sb-${ags}`,
  scopes,
  ags,
  purpose: 'melderegisterauskunft',
  anonymous: false,
});
const BREMEN = official('04011000');
const SOLINGEN = official('05122000');

/** Everything the subgraph logs and every error message it returns (checked for personal data at the end). */
const errorMessages: string[] = [];
const { logger, lines: logLines } = memoryLogger('trace');

let hb: StandIn;
let nrw: StandIn;
let hbRunning: RunningStandIn;
let nrwRunning: RunningStandIn;
let subgraph: Subgraph;

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

async function gql(identity: Identity, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> {
  const response = await subgraph.fetch('http://x/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: TRACEPARENT, [IDENTITY_HEADER]: await signIdentity(identity, SECRET) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GqlResult;
  for (const error of body.errors ?? []) errorMessages.push(error.message, JSON.stringify(error.extensions ?? {}));
  return body;
}

beforeAll(async () => {
  hb = createMelderegisterHbStandIn();
  nrw = createMelderegisterNrwStandIn();
  hbRunning = await hb.listen(0);
  nrwRunning = await nrw.listen(0);
  subgraph = createMelderegisterSubgraph({
    melderegisterHbUrl: hbRunning.url,
    melderegisterNrwUrl: nrwRunning.url,
    timeoutMs: 1_000,
    logger,
    identitySecret: SECRET,
  });
});
afterAll(async () => {
  await subgraph.close();
  await hbRunning.close();
  await nrwRunning.close();
});
beforeEach(() => {
  for (const s of [hb, nrw]) {
    s.setFault(null);
    s.resetStats();
  }
});

const PERSON_FIELDS = `id familyName givenNames birthDate address { street houseNumber postcode city } nationality registrationStatus municipality { ags }`;
const PERSON = `query($id: ID!) { person(id: $id) { ${PERSON_FIELDS} } }`;
const RESIDENTS = `query($ags: String!, $first: Int, $after: String, $familyName: String) {
  _entities(representations: [{ __typename: "Municipality", ags: $ags }]) {
    ... on Municipality { residents(first: $first, after: $after, familyName: $familyName) { totalCount pageInfo { hasNextPage endCursor } nodes { id familyName } } }
  }
}`;
const COUNTS = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Municipality { ags residentCount } } }`;

/** What the GraphQL answer must be for a resident, computed from the shared synthetic data. */
function expected(id: string) {
  const r = residentById(id)!;
  return {
    id,
    familyName: r.familyName,
    givenNames: r.givenNames.join(' '),
    birthDate: r.birthDate,
    address: { street: r.street, houseNumber: `${r.houseNumber}${r.houseNumberSuffix ?? ''}`, postcode: r.postcode, city: r.city },
    nationality: r.nationality,
    registrationStatus: r.status,
    municipality: { ags: r.ags },
  };
}

describe('the two registry flavours map to the same GraphQL result', () => {
  it('a Bremen registrar reads a Bremen person from the HB registry (one batch call)', async () => {
    const { data, errors } = await gql(BREMEN, PERSON, { id: 'HB-04011000-000007' });
    expect(errors).toBeUndefined();
    expect(data!.person).toEqual({
      id: 'HB-04011000-000007',
      familyName: 'Fiktiv',
      givenNames: 'Lieschen Moritz',
      birthDate: '1939-04-11',
      address: { street: 'Mustergasse', houseNumber: '94a', postcode: '28195', city: 'Bremen' },
      nationality: 'DE',
      registrationStatus: 'MAIN_RESIDENCE',
      municipality: { ags: '04011000' },
    });
    expect(hb.stats().recent.map((r) => r.url)).toEqual(['/api/v2/einwohner?ids=HB-04011000-000007']);
    expect(nrw.stats().total).toBe(0);
  });

  it('a Solingen registrar reads a Solingen person from the NRW registry (other fields, dates, codes)', async () => {
    const { data, errors } = await gql(SOLINGEN, PERSON, { id: 'NW-05122000-000009' });
    expect(errors).toBeUndefined();
    expect(data!.person).toEqual({
      id: 'NW-05122000-000009',
      familyName: 'Beispiel',
      givenNames: 'Max Hans',
      birthDate: '1990-01-27',
      address: { street: 'Beispielufer', houseNumber: '76b', postcode: '42651', city: 'Solingen' },
      nationality: 'GR',
      registrationStatus: 'MAIN_RESIDENCE',
      municipality: { ags: '05122000' },
    });
    expect(nrw.stats().byRoute).toEqual({ 'GET /meldewesen/personen/:personId': 1 });
    expect(hb.stats().total).toBe(0);
  });

  it.each([
    // HB: every status, a house-number suffix, two given names, foreign nationalities
    [BREMEN, ['HB-04011000-000003', 'HB-04011000-000007', 'HB-04011000-000008', 'HB-04011000-000025', 'HB-04011000-000072']],
    // NRW: main, secondary, moved away, deceased, suffix, foreign nationality
    [SOLINGEN, ['NW-05122000-000001', 'NW-05122000-000002', 'NW-05122000-000003', 'NW-05122000-000041', 'NW-05122000-000042']],
  ])('both flavours give exactly the registry record (%#)', async (identity, ids) => {
    const reps = ids.map((id) => ({ __typename: 'Person', id }));
    const { data, errors } = await gql(identity, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Person { ${PERSON_FIELDS} } } }`, { reps });
    expect(errors).toBeUndefined();
    expect(data!._entities).toEqual(ids.map(expected));
    const statuses = data!._entities.map((p: { registrationStatus: string }) => p.registrationStatus);
    expect(new Set(statuses)).toEqual(new Set(['MAIN_RESIDENCE', 'SECONDARY_RESIDENCE', 'MOVED_AWAY', 'DECEASED']));
  });
});

describe('row-level rule: only persons of the official’s own municipality', () => {
  it('a Bremen registrar gets FORBIDDEN (and no registry call) for a Solingen person', async () => {
    const { data, errors } = await gql(BREMEN, PERSON, { id: 'NW-05122000-000009' });
    expect(data).toEqual({ person: null });
    expect(errors).toEqual([
      {
        message: 'Resident data of municipality 05122000 is only for officials of that municipality (the caller works for 04011000).',
        locations: [{ line: 1, column: 19 }],
        path: ['person'],
        extensions: { code: 'FORBIDDEN', subgraph: 'melderegister' },
      },
    ]);
    expect([hb.stats().total, nrw.stats().total]).toEqual([0, 0]);
  });

  it('and for a Bremerhaven person, although the same registry holds it', async () => {
    const { data, errors } = await gql(BREMEN, PERSON, { id: 'HB-04012000-000001' });
    expect(data).toEqual({ person: null });
    expect(errors!.map((e) => e.extensions!.code)).toEqual(['FORBIDDEN']);
    expect(hb.stats().total).toBe(0);
  });

  it('entity references mix: own persons resolve, foreign ones are null with FORBIDDEN at their index', async () => {
    const reps = ['HB-04011000-000001', 'NW-05122000-000001', 'HB-04011000-000002'].map((id) => ({ __typename: 'Person', id }));
    const { data, errors } = await gql(BREMEN, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Person { id familyName } } }`, { reps });
    expect(data!._entities).toEqual([
      { id: 'HB-04011000-000001', familyName: 'Beispiel' },
      null,
      { id: 'HB-04011000-000002', familyName: 'Musterfrau' },
    ]);
    expect(errors!.map((e) => [e.path, e.extensions!.code])).toEqual([[['_entities', 1], 'FORBIDDEN']]);
    expect(hb.stats().byRoute).toEqual({ 'GET /api/v2/einwohner': 1 });
    expect(nrw.stats().total).toBe(0);
  });

  it.each([
    ['anonymous', ANONYMOUS, 'Resident data is only for officials of a municipality; the caller has no municipality (ags) in their identity.'],
    ['authenticated without municipality', { ...BREMEN, ags: null }, 'Resident data is only for officials of a municipality; the caller has no municipality (ags) in their identity.'],
    ['official without melde:read', official('04011000', ['gewerbe:read']), 'Resident data needs the scope melde:read.'],
  ])('%s: FORBIDDEN for persons and residents lists', async (_label, identity, message) => {
    const person = await gql(identity, PERSON, { id: 'HB-04011000-000007' });
    expect(person.data).toEqual({ person: null });
    expect(person.errors!.map((e) => [e.message, e.extensions!.code])).toEqual([[message, 'FORBIDDEN']]);
    const list = await gql(identity, RESIDENTS, { ags: '04011000' });
    expect(list.data!._entities).toEqual([{ residents: null }]);
    expect(list.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([[['_entities', 0, 'residents'], 'FORBIDDEN']]);
    expect(hb.stats().total).toBe(0);
  });

  it('residents of another municipality: null with FORBIDDEN, never data', async () => {
    const { data, errors } = await gql(SOLINGEN, RESIDENTS, { ags: '04011000' });
    expect(data!._entities).toEqual([{ residents: null }]);
    expect(errors!.map((e) => e.extensions!.code)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(data)).not.toMatch(/HB-/);
    expect(hb.stats().total).toBe(0);
  });
});

describe('residents lists: both paging styles, no overlap', () => {
  async function pageThrough(identity: Identity, ags: string, first: number, familyName?: string) {
    const ids: string[] = [];
    const totals: (number | null)[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const { data, errors } = await gql(identity, RESIDENTS, { ags, first, after, familyName });
      expect(errors).toBeUndefined();
      const connection = data!._entities[0].residents;
      pages += 1;
      totals.push(connection.totalCount);
      ids.push(...connection.nodes.map((n: { id: string }) => n.id));
      if (!connection.pageInfo.hasNextPage) {
        expect(connection.pageInfo.endCursor).toBeNull();
        break;
      }
      after = connection.pageInfo.endCursor;
    }
    return { ids, totals, pages };
  }

  it('HB (offset paging): 259 Bremen residents in 3 pages of 100, with the total', async () => {
    const { ids, totals, pages } = await pageThrough(BREMEN, '04011000', 100);
    expect([ids.length, new Set(ids).size, pages]).toEqual([259, 259, 3]);
    expect(totals).toEqual([259, 259, 259]);
    expect(ids[0]).toBe('HB-04011000-000001');
    expect(ids[258]).toBe('HB-04011000-000259');
    expect(hb.stats().recent.map((r) => r.url)).toEqual([
      '/api/v2/einwohner?gemeinde=04011000&offset=0&limit=100',
      '/api/v2/einwohner?gemeinde=04011000&offset=100&limit=100',
      '/api/v2/einwohner?gemeinde=04011000&offset=200&limit=100',
    ]);
  });

  it('NRW (cursor paging): 462 Solingen residents in 5 pages of 100, no total', async () => {
    const { ids, totals, pages } = await pageThrough(SOLINGEN, '05122000', 100);
    expect([ids.length, new Set(ids).size, pages]).toEqual([462, 462, 5]);
    expect(totals).toEqual([null, null, null, null, null]);
    expect(ids[461]).toBe('NW-05122000-000462');
    expect(nrw.stats().byRoute).toEqual({ 'GET /meldewesen/personen': 5 });
  });

  it('filters by family name in both flavours', async () => {
    const bremen = await pageThrough(BREMEN, '04011000', 20, 'fiktiv');
    expect([bremen.ids.length, bremen.pages, bremen.totals[0]]).toEqual([44, 3, 44]);
    const solingen = await pageThrough(SOLINGEN, '05122000', 20, 'Platzhalter');
    expect([solingen.ids.length, solingen.pages]).toEqual([59, 3]);
    const names = await gql(SOLINGEN, RESIDENTS, { ags: '05122000', first: 100, familyName: 'Platzhalter' });
    expect(new Set(names.data!._entities[0].residents.nodes.map((n: { familyName: string }) => n.familyName))).toEqual(new Set(['Platzhalter']));
  });

  it('rejects cursors that are not this field’s, before any registry call', async () => {
    const garbage = await gql(BREMEN, RESIDENTS, { ags: '04011000', after: 'bm90LWEtY3Vyc29y' });
    expect(garbage.errors!.map((e) => [e.message, e.extensions!.code])).toEqual([
      ['after is not a cursor returned by this field for this municipality (pageInfo.endCursor)', 'BAD_USER_INPUT'],
    ]);
    const otherMunicipality = Buffer.from('r:05122000:100').toString('base64url');
    expect((await gql(BREMEN, RESIDENTS, { ags: '04011000', after: otherMunicipality })).errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const notAnOffset = Buffer.from('r:04011000:abc').toString('base64url');
    expect((await gql(BREMEN, RESIDENTS, { ags: '04011000', after: notAnOffset })).errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect((await gql(BREMEN, RESIDENTS, { ags: '04011000', first: 101 })).errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'first' });
    expect(hb.stats().total).toBe(0);
  });

  it('a municipality no registry serves has no residents list (null, no call)', async () => {
    const munich = official('09162000');
    const { data, errors } = await gql(munich, RESIDENTS, { ags: '09162000' });
    expect(errors).toBeUndefined();
    expect(data!._entities).toEqual([{ residents: null }]);
    expect([hb.stats().total, nrw.stats().total]).toEqual([0, 0]);
  });
});

describe('residentCount is public', () => {
  it('anonymous callers get the registries’ main-residence counts, batched per registry', async () => {
    const reps = ['04011000', '04012000', '05122000', '05334002', '09162000', '05122000'].map((ags) => ({ __typename: 'Municipality', ags }));
    const { data, errors } = await gql(ANONYMOUS, COUNTS, { reps });
    expect(errors).toBeUndefined();
    expect(data!._entities).toEqual([
      { ags: '04011000', residentCount: 201 },
      { ags: '04012000', residentCount: 333 },
      { ags: '05122000', residentCount: 356 },
      { ags: '05334002', residentCount: 243 },
      { ags: '09162000', residentCount: null },
      { ags: '05122000', residentCount: 356 },
    ]);
    // HB has no batch form: one call per municipality; NRW: one batch call.
    expect(hb.stats().byRoute).toEqual({ 'GET /api/v2/gemeinden/:ags/statistik': 2 });
    expect(nrw.stats().recent.map((r) => r.url)).toEqual(['/meldewesen/statistik?ags=05122000%2C05334002']);
  });
});

describe('upstream failures', () => {
  it.each([
    [{ status: 500 }, 'DOWNSTREAM_SERVICE_ERROR', 'melderegister-hb (behind subgraph melderegister): answered HTTP 500'],
    [{ garbage: 'html' as const }, 'DOWNSTREAM_SERVICE_ERROR', 'melderegister-hb (behind subgraph melderegister): answered a body that is not JSON'],
    [{ garbage: 'wrong-shape' as const }, 'DOWNSTREAM_SERVICE_ERROR', 'melderegister-hb (behind subgraph melderegister): answered a body that does not match its contract'],
    [{ latencyMs: 2_500 }, 'UPSTREAM_TIMEOUT', 'melderegister-hb (behind subgraph melderegister) did not answer within 1000 ms'],
  ])('HB fault %j → %s with extensions.subgraph', async (fault, code, message) => {
    hb.setFault(fault);
    const { data, errors } = await gql(BREMEN, PERSON, { id: 'HB-04011000-000007' });
    expect(data).toEqual({ person: null });
    expect(errors).toEqual([
      expect.objectContaining({
        message,
        path: ['person'],
        extensions: expect.objectContaining({ code, subgraph: 'melderegister', upstream: 'melderegister-hb' }),
      }),
    ]);
  });

  it.each([
    [{ status: 503 }, 'DOWNSTREAM_SERVICE_ERROR', 'melderegister-nrw (behind subgraph melderegister): answered HTTP 503'],
    [{ garbage: 'invalid-json' as const }, 'DOWNSTREAM_SERVICE_ERROR', 'melderegister-nrw (behind subgraph melderegister): answered a body that is not JSON'],
    [{ latencyMs: 2_500 }, 'UPSTREAM_TIMEOUT', 'melderegister-nrw (behind subgraph melderegister) did not answer within 1000 ms'],
  ])('NRW fault %j → %s on the residents list', async (fault, code, message) => {
    nrw.setFault(fault);
    const { data, errors } = await gql(SOLINGEN, RESIDENTS, { ags: '05122000' });
    expect(data!._entities).toEqual([{ residents: null }]);
    expect(errors!.map((e) => [e.message, e.path, e.extensions!.code, e.extensions!.subgraph, e.extensions!.upstream])).toEqual([
      [message, ['_entities', 0, 'residents'], code, 'melderegister', 'melderegister-nrw'],
    ]);
  });

  it('a failing registry fails only its own municipalities', async () => {
    hb.setFault({ status: 500 });
    const reps = ['04011000', '05122000'].map((ags) => ({ __typename: 'Municipality', ags }));
    const { data, errors } = await gql(ANONYMOUS, COUNTS, { reps });
    expect(data!._entities).toEqual([
      { ags: '04011000', residentCount: null },
      { ags: '05122000', residentCount: 356 },
    ]);
    expect(errors!.map((e) => [e.path, e.extensions!.upstream])).toEqual([[['_entities', 0, 'residentCount'], 'melderegister-hb']]);
  });
});

describe('requests and inputs', () => {
  it('splits HB batches at 50 ids and forwards the traceparent', async () => {
    const reps = Array.from({ length: 60 }, (_, i) => ({ __typename: 'Person', id: `HB-04011000-${String(i + 1).padStart(6, '0')}` }));
    const { data, errors } = await gql(BREMEN, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Person { id } } }`, { reps });
    expect(errors).toBeUndefined();
    expect(data!._entities).toHaveLength(60);
    expect(hb.stats().byRoute).toEqual({ 'GET /api/v2/einwohner': 2 });
    expect(new Set(hb.stats().recent.map((r) => r.traceparent))).toEqual(new Set([TRACEPARENT]));
  });

  it('an unknown person is null; a malformed id is BAD_USER_INPUT without echoing it', async () => {
    expect(await gql(BREMEN, PERSON, { id: 'HB-04011000-999999' })).toEqual({ data: { person: null } });
    const { errors } = await gql(BREMEN, PERSON, { id: 'Erika Mustermann 1964-08-12' });
    expect(errors!.map((e) => [e.message, e.extensions])).toEqual([
      [
        'id must be a registry person id such as "HB-04011000-000123" (HB or NW, 8-digit AGS, 6-digit number)',
        { code: 'BAD_USER_INPUT', argumentName: 'id' },
      ],
    ]);
  });
});

describe('personal data stays out of errors and logs', () => {
  it('no error message (of all tests above) and no log line contains a name, a street or a birth date', () => {
    expect(errorMessages.length).toBeGreaterThan(20);
    const text = [...errorMessages, ...logLines].join('\n');
    for (const word of [...FAMILY_NAMES, ...GIVEN_NAMES, ...STREETS]) expect([word, text.includes(word)]).toEqual([word, false]);
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}|\d{2}\.\d{2}\.\d{4}/);
  });
});
