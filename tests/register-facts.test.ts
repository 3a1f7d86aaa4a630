import type { Stack } from '../scripts/stack';
import { dataRows, gql, resetUpstreamCounts, startTestStack, upstreamCounts } from './testkit';

/** Register facts served through the gateway equal the Destatis data file. */
let stack: Stack;
const gemeinden = dataRows('municipalities/gemeinden_de_gv100ad_2021-11-30.csv');

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.stop());

describe('municipality register through the gateway', () => {
  it('serves Köln with the population and area of the data file', async () => {
    const { status, body } = await gql(
      stack,
      '{ municipality(ags: "05315000") { ags ars name kind population areaKm2 populationDensity postcode location { latitude longitude } district { key name } state { code abbreviation name } governmentRegion { code name } } }',
    );
    const row = gemeinden.find((r) => r.ags === '05315000')!;
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.municipality).toEqual({
      ags: '05315000',
      ars: '053150000000',
      name: 'Köln, Stadt',
      kind: 'Kreisfreie Stadt',
      population: 1083498,
      areaKm2: 405.01,
      populationDensity: 2675,
      postcode: '50667',
      location: { latitude: 50.938107, longitude: 6.957068 },
      district: { key: '05315', name: 'Köln, Stadt' },
      state: { code: '05', abbreviation: 'NW', name: 'Nordrhein-Westfalen' },
      governmentRegion: { code: '053', name: 'Reg.-Bez. Köln' },
    });
    // …and those literals are the data file's values.
    expect([row.population, row.area_km2, row.plz]).toEqual(['1083498', '405.01', '50667']);
  });

  it('Bremen and Bremerhaven are the two municipalities of state 04', async () => {
    const { body } = await gql(stack, '{ municipalities(state: "04") { totalCount nodes { ags name } pageInfo { hasNextPage } } }');
    expect(body.data!.municipalities).toEqual({
      totalCount: 2,
      nodes: [
        { ags: '04011000', name: 'Bremen, Stadt' },
        { ags: '04012000', name: 'Bremerhaven, Stadt' },
      ],
      pageInfo: { hasNextPage: false },
    });
  });

  it('NRW has 396 municipalities, paged without overlap', async () => {
    const first = await gql(stack, '{ municipalities(state: "05", first: 100) { totalCount nodes { ags } pageInfo { hasNextPage endCursor } } }');
    const page1 = first.body.data!.municipalities;
    expect(page1.totalCount).toBe(396);
    expect(page1.nodes).toHaveLength(100);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const all: string[] = page1.nodes.map((n: { ags: string }) => n.ags);
    let after = page1.pageInfo.endCursor as string;
    for (;;) {
      const next = await gql(stack, 'query($after: String) { municipalities(state: "05", first: 100, after: $after) { nodes { ags } pageInfo { hasNextPage endCursor } } }', { after });
      const page = next.body.data!.municipalities;
      all.push(...page.nodes.map((n: { ags: string }) => n.ags));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(all).toHaveLength(396);
    expect(new Set(all).size).toBe(396);
    expect(all).toEqual(gemeinden.filter((r) => r.land_code === '05').map((r) => r.ags));
  });

  it('filters by district and name', async () => {
    const { body } = await gql(stack, '{ municipalities(district: "05334", nameContains: "aachen") { totalCount nodes { ags name district { name } } } }');
    expect(body.data!.municipalities).toEqual({
      totalCount: 1,
      nodes: [{ ags: '05334002', name: 'Aachen, Stadt', district: { name: 'Städteregion Aachen' } }],
    });
    const all = await gql(stack, '{ municipalities(district: "05334", first: 0) { totalCount nodes { ags } } }');
    expect(all.body.data!.municipalities).toEqual({ totalCount: 10, nodes: [] });
  });

  it('unknown AGS is null without error; a malformed AGS is BAD_USER_INPUT naming the format', async () => {
    resetUpstreamCounts(stack);
    const { status, body } = await gql(stack, '{ none: municipality(ags: "99999999") { name } bad: municipality(ags: "12ab") { name } }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ none: null, bad: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({
      path: ['bad'],
      extensions: { code: 'BAD_USER_INPUT', serviceName: 'kommunen' },
    });
    expect(body.errors![0]!.message).toMatch(/8-digit Amtlicher Gemeindeschlüssel/);
    // The malformed key never reached the register; the unknown one cost one request.
    expect(upstreamCounts(stack).register).toBe(1);
  });

  it('rejects malformed filter keys and cursors with BAD_USER_INPUT', async () => {
    const { body } = await gql(stack, '{ a: municipalities(state: "NRW") { totalCount } }');
    expect(body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const cursor = await gql(stack, '{ municipalities(after: "bogus") { totalCount } }');
    expect(cursor.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const big = await gql(stack, '{ municipalities(first: 1000) { totalCount } }');
    expect(big.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });
});
