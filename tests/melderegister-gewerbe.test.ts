import type { GatewayConfigInput } from '../gateway/src/config';
import type { Stack } from '../scripts/stack';
import { bearer, createTestIssuer, gql, resetUpstreamCounts, startTestStack, upstreamCounts, type TestIssuer } from './testkit';

/**
 * The personal-data subgraphs through the gateway: the row-level rule of melderegister
 * (officials see only their own municipality's residents), the public resident count next
 * to the Destatis population, and Business.owner (gewerbe) joined with Person (melderegister).
 * All persons and businesses are synthetic (stand-ins/lib/residents.ts).
 */
let stack: Stack;
let issuer: TestIssuer;
let bremenRegistrar: Record<string, string>;

beforeAll(async () => {
  issuer = await createTestIssuer();
  stack = await startTestStack({ gateway: { authentication: issuer.authentication as GatewayConfigInput['authentication'] } });
  bremenRegistrar = bearer(await issuer.token({ sub: 'sb-bremen-1', scope: 'melde:read gewerbe:read', ags: '04011000', purpose: 'melderegisterauskunft' }));
});
afterAll(() => stack?.stop());
beforeEach(() => resetUpstreamCounts(stack));

const counts = () => {
  const c = upstreamCounts(stack);
  return { hb: c['melderegister-hb'], nrw: c['melderegister-nrw'], gewerbe: c.gewerbe };
};

describe('melderegister and gewerbe through the gateway', () => {
  it('a Bremen registrar reads a Bremen person, joined with the municipality’s register facts', async () => {
    const { status, body } = await gql(
      stack,
      `{ person(id: "HB-04011000-000007") {
          id familyName givenNames birthDate address { street houseNumber postcode city } nationality registrationStatus
          municipality { name population residentCount } } }`,
      {},
      bremenRegistrar,
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      data: {
        person: {
          id: 'HB-04011000-000007',
          familyName: 'Fiktiv',
          givenNames: 'Lieschen Moritz',
          birthDate: '1939-04-11',
          address: { street: 'Mustergasse', houseNumber: '94a', postcode: '28195', city: 'Bremen' },
          nationality: 'DE',
          registrationStatus: 'MAIN_RESIDENCE',
          // kommunen (Destatis) next to the registry's own count of main residences
          municipality: { name: 'Bremen, Stadt', population: 566573, residentCount: 201 },
        },
      },
    });
    expect(counts()).toEqual({ hb: 2, nrw: 0, gewerbe: 0 }); // the person batch + the statistics
  });

  it('the same registrar gets FORBIDDEN for a Solingen person, and the NRW registry is never asked', async () => {
    const { body } = await gql(stack, '{ person(id: "NW-05122000-000009") { id familyName birthDate } }', {}, bremenRegistrar);
    expect(body.data).toEqual({ person: null });
    expect(body.errors).toEqual([
      {
        message: 'Resident data of municipality 05122000 is only for officials of that municipality (the caller works for 04011000).',
        path: ['person'],
        extensions: { code: 'FORBIDDEN', subgraph: 'melderegister', serviceName: 'melderegister' },
      },
    ]);
    expect(counts()).toEqual({ hb: 0, nrw: 0, gewerbe: 0 });
  });

  it('business owners: personal data for the own municipality, FORBIDDEN (per owner) for another', async () => {
    const query = (ags: string) => `{ municipality(ags: "${ags}") {
      businesses(first: 2, activityContains: "bäckerei") { totalCount nodes { id name owner { id familyName } } } } }`;
    const bremen = await gql(stack, query('04011000'), {}, bremenRegistrar);
    expect(bremen.body).toEqual({
      data: {
        municipality: {
          businesses: {
            totalCount: 2,
            nodes: [
              { id: 'GW-04011000-000024', name: 'Musterbäckerei Demo GmbH', owner: { id: 'HB-04011000-000104', familyName: 'Erfunden' } },
              { id: 'GW-04011000-000039', name: 'Musterbäckerei Exempel', owner: { id: 'HB-04011000-000027', familyName: 'Mustermeier' } },
            ],
          },
        },
      },
    });
    const solingen = await gql(stack, query('05122000'), {}, bremenRegistrar);
    expect(solingen.body.data).toEqual({
      municipality: {
        businesses: {
          totalCount: 2,
          nodes: [
            { id: 'GW-05122000-000016', name: 'Musterbäckerei Exempel GmbH', owner: { id: 'NW-05122000-000390', familyName: null } },
            { id: 'GW-05122000-000046', name: 'Musterbäckerei Muster GbR', owner: { id: 'NW-05122000-000031', familyName: null } },
          ],
        },
      },
    });
    expect(solingen.body.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([
      [['municipality', 'businesses', 'nodes', 0, 'owner'], 'FORBIDDEN'],
      [['municipality', 'businesses', 'nodes', 1, 'owner'], 'FORBIDDEN'],
    ]);
    expect(counts()).toEqual({ hb: 1, nrw: 0, gewerbe: 2 });
  });

  it('anonymous callers: businesses and residentCount are public, residents are not', async () => {
    const { body } = await gql(stack, '{ municipality(ags: "05122000") { residentCount residents(first: 1) { totalCount } businesses(status: ACTIVE) { totalCount } } }');
    expect(body.data).toEqual({ municipality: { residentCount: 356, residents: null, businesses: { totalCount: 37 } } });
    expect(body.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([[['municipality', 'residents'], 'UNAUTHORIZED_FIELD_OR_TYPE']]);
    expect(counts()).toEqual({ hb: 0, nrw: 1, gewerbe: 1 });
  });
});
