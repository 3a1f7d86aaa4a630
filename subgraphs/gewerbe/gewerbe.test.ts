import { ANONYMOUS, IDENTITY_HEADER, identitySecret, signIdentity, type Identity } from '../../common/identity';
import { createGewerbeStandIn } from '../../stand-ins/gewerbe/server';
import { residentById } from '../../stand-ins/lib/residents';
import type { RunningStandIn, StandIn } from '../../stand-ins/lib/stand-in';
import { createGewerbeSubgraph } from './server';

type Subgraph = ReturnType<typeof createGewerbeSubgraph>;
interface GqlResult {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

const SECRET = identitySecret('gewerbe-unit-test-secret-0123456789abcdef');
const INSPECTOR: Identity = { sub: 'ga-solingen-1', scopes: ['gewerbe:read'], ags: '05122000', purpose: 'gewerbeaufsicht', anonymous: false };

let standIn: StandIn;
let running: RunningStandIn;
let subgraph: Subgraph;

async function gql(identity: Identity, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> {
  const response = await subgraph.fetch('http://x/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: await signIdentity(identity, SECRET) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GqlResult;
}

beforeAll(async () => {
  standIn = createGewerbeStandIn();
  running = await standIn.listen(0);
  subgraph = createGewerbeSubgraph({ gewerbeUrl: running.url, timeoutMs: 1_000, identitySecret: SECRET });
});
afterAll(async () => {
  await subgraph.close();
  await running.close();
});
beforeEach(() => {
  standIn.setFault(null);
  standIn.resetStats();
});

const BUSINESS = `query($id: ID!) { business(id: $id) {
  id name activity activityCode status registeredOn deregisteredOn address { street houseNumber postcode city } legalForm municipality { ags }
} }`;
const BUSINESSES = `query($ags: String!, $status: BusinessStatus, $activity: String, $first: Int, $after: String) {
  _entities(representations: [{ __typename: "Municipality", ags: $ags }]) {
    ... on Municipality { businesses(status: $status, activityContains: $activity, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id name status } } }
  }
}`;

describe('gewerbe subgraph', () => {
  it('serves a business’s public fields to anyone (one upstream batch call)', async () => {
    const { data, errors } = await gql(ANONYMOUS, BUSINESS, { id: 'GW-05122000-000016' });
    expect(errors).toBeUndefined();
    expect(data!.business).toEqual({
      id: 'GW-05122000-000016',
      name: 'Musterbäckerei Exempel GmbH',
      activity: 'Bäckerei',
      activityCode: '10710',
      status: 'ACTIVE',
      registeredOn: '1997-11-22',
      deregisteredOn: null,
      address: { street: 'Mustergasse', houseNumber: '28', postcode: '42651', city: 'Solingen' },
      legalForm: 'Gesellschaft mit beschränkter Haftung (GmbH)',
      municipality: { ags: '05122000' },
    });
    expect(standIn.stats().recent.map((r) => r.url)).toEqual(['/gewerberegister/v1/betriebe?gewerbebetriebID=GW-05122000-000016']);
  });

  it('maps a deregistered business', async () => {
    const { data } = await gql(ANONYMOUS, BUSINESS, { id: 'GW-05122000-000001' });
    expect(data!.business).toMatchObject({ name: 'Exempel Software Muster e.K.', status: 'DEREGISTERED', registeredOn: '2010-09-14', deregisteredOn: '2012-01-26' });
  });

  it('the owner is a resident-registry reference, only with gewerbe:read', async () => {
    const query = `{ business(id: "GW-05122000-000016") { name owner { id } } }`;
    const allowed = await gql(INSPECTOR, query);
    expect(allowed).toEqual({ data: { business: { name: 'Musterbäckerei Exempel GmbH', owner: { id: 'NW-05122000-000390' } } } });
    expect(residentById('NW-05122000-000390')).toMatchObject({ ags: '05122000', status: 'MAIN_RESIDENCE' });
    const denied = await gql({ ...INSPECTOR, scopes: ['melde:read'] }, query);
    expect(denied.data).toEqual({ business: { name: 'Musterbäckerei Exempel GmbH', owner: null } });
    expect(denied.errors!.map((e) => [e.message, e.path, e.extensions])).toEqual([
      ['The owner of a business needs the scope gewerbe:read.', ['business', 'owner'], { code: 'FORBIDDEN', subgraph: 'gewerbe' }],
    ]);
    expect((await gql(ANONYMOUS, query)).errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });

  it('filters a municipality’s businesses by status and activity', async () => {
    const { data, errors } = await gql(ANONYMOUS, BUSINESSES, { ags: '05122000', status: 'ACTIVE', activity: 'friseur' });
    expect(errors).toBeUndefined();
    expect(data!._entities[0].businesses).toEqual({
      totalCount: 4,
      pageInfo: { hasNextPage: false, endCursor: Buffer.from('o:4').toString('base64url') },
      nodes: [
        { id: 'GW-05122000-000004', name: 'Musterfriseur Probe GmbH', status: 'ACTIVE' },
        { id: 'GW-05122000-000011', name: 'Musterfriseur Platzhalter', status: 'ACTIVE' },
        { id: 'GW-05122000-000025', name: 'Musterfriseur Muster', status: 'ACTIVE' },
        { id: 'GW-05122000-000042', name: 'Musterfriseur Beispiel e.K.', status: 'ACTIVE' },
      ],
    });
    expect(standIn.stats().recent.map((r) => r.url)).toEqual([
      '/gewerberegister/v1/betriebe?gemeindeSchluessel=05122000&status=aktiv&taetigkeit=friseur&offset=0&limit=20',
    ]);
  });

  it('pages through all 46 Solingen businesses without overlap (20 + 20 + 6)', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const { data } = await gql(ANONYMOUS, BUSINESSES, { ags: '05122000', first: 20, after });
      const connection = data!._entities[0].businesses;
      expect(connection.totalCount).toBe(46);
      ids.push(...connection.nodes.map((n: { id: string }) => n.id));
      pages += 1;
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect([pages, ids.length, new Set(ids).size]).toEqual([3, 46, 46]);
    expect(standIn.stats().byRoute).toEqual({ 'GET /gewerberegister/v1/betriebe': 3 });
  });

  it('resolves business entities with one batch call; unknown ids are null', async () => {
    const reps = ['GW-05122000-000016', 'GW-05122000-999999', 'GW-04011000-000001', 'GW-05122000-000016'].map((id) => ({ __typename: 'Business', id }));
    const { data } = await gql(ANONYMOUS, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Business { id name } } }`, { reps });
    expect(data!._entities).toEqual([
      { id: 'GW-05122000-000016', name: 'Musterbäckerei Exempel GmbH' },
      null,
      { id: 'GW-04011000-000001', name: 'Probeglanz Gebäudereinigung Probe GmbH' },
      { id: 'GW-05122000-000016', name: 'Musterbäckerei Exempel GmbH' },
    ]);
    expect(standIn.stats().recent.map((r) => r.url)).toEqual([
      '/gewerberegister/v1/betriebe?gewerbebetriebID=GW-05122000-000016%2CGW-05122000-999999%2CGW-04011000-000001',
    ]);
  });

  it('a municipality without a connected register has no businesses (null); bad input is rejected before any call', async () => {
    const munich = await gql(ANONYMOUS, BUSINESSES, { ags: '09162000' });
    expect(munich).toEqual({ data: { _entities: [{ businesses: null }] } });
    expect((await gql(ANONYMOUS, BUSINESS, { id: 'GW-5122000-1' })).errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'id' });
    expect((await gql(ANONYMOUS, BUSINESSES, { ags: '05122000', first: 500 })).errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'first' });
    expect(standIn.stats().byRoute).toEqual({ 'GET /gewerberegister/v1/betriebe': 1 });
  });

  it.each([
    [{ status: 500 }, 'DOWNSTREAM_SERVICE_ERROR', 'gewerbe (behind subgraph gewerbe): answered HTTP 500'],
    [{ garbage: 'html' as const }, 'DOWNSTREAM_SERVICE_ERROR', 'gewerbe (behind subgraph gewerbe): answered a body that is not JSON'],
    [{ garbage: 'wrong-shape' as const }, 'DOWNSTREAM_SERVICE_ERROR', 'gewerbe (behind subgraph gewerbe): answered a body that does not match its contract'],
    [{ latencyMs: 2_500 }, 'UPSTREAM_TIMEOUT', 'gewerbe (behind subgraph gewerbe) did not answer within 1000 ms'],
  ])('upstream fault %j → %s', async (fault, code, message) => {
    standIn.setFault(fault);
    const { data, errors } = await gql(ANONYMOUS, BUSINESS, { id: 'GW-05122000-000016' });
    expect(data).toEqual({ business: null });
    expect(errors!.map((e) => [e.message, e.path, e.extensions!.code, e.extensions!.subgraph, e.extensions!.upstream])).toEqual([
      [message, ['business'], code, 'gewerbe', 'gewerbe'],
    ]);
  });
});
