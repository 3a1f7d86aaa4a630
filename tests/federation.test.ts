import type { Stack } from '../scripts/stack';
import { dataRows, gql, resetUpstreamCounts, startTestStack, upstreamCounts } from './testkit';

/** One query, five subgraphs, real register facts; and no N+1 towards the REST upstreams. */
let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.stop());

const SOLINGEN = `{
  municipality(ags: "05122000") {
    name population areaKm2 district { name } state { name }
    taxOffice { name }
    responsibleAuthority(leikaKey: "99050012104000") { name }
    wasteCalendar(street: "Hauptstraße", from: "2026-01-01", to: "2026-01-15") { date fraction }
    council { meetings(first: 3, from: "2026-03-01") { name start } }
    warnings { headline severity }
  }
}`;

describe('one federated graph', () => {
  it('answers a query touching five subgraphs with the expected values in one response', async () => {
    resetUpstreamCounts(stack);
    const { status, body } = await gql(stack, SOLINGEN);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      municipality: {
        // kommunen: register facts (Destatis GV100AD)
        name: 'Solingen, Klingenstadt',
        population: 159193,
        areaKm2: 89.54,
        district: { name: 'Solingen, Klingenstadt' },
        state: { name: 'Nordrhein-Westfalen' },
        // leistungen: tax office (ERiC list) and FIT-Connect-style routing
        taxOffice: { name: 'Finanzamt Solingen' },
        responsibleAuthority: { name: 'Stadt Solingen – Gewerbeamt' },
        // abfall: abfallnavi (synthetic, deterministic dates)
        wasteCalendar: [
          { date: '2026-01-06', fraction: 'Bioabfall' },
          { date: '2026-01-06', fraction: 'Gelbe Tonne' },
          { date: '2026-01-06', fraction: 'Papier' },
          { date: '2026-01-13', fraction: 'Restabfall' },
        ],
        // ratsinfo: OParl 1.1
        council: {
          meetings: [
            { name: '6. Sitzung der Bezirksvertretung 4', start: '2026-03-02T17:00:00+01:00' },
            { name: '7. Sitzung des Jugendhilfeausschusses', start: '2026-03-16T16:00:00+01:00' },
            { name: '8. Sitzung der Bezirksvertretung 1', start: '2026-03-16T17:00:00+01:00' },
          ],
        },
        // warnungen: NINA dashboard of district 05122 (exercise warnings)
        warnings: [
          { headline: 'Übung: Bombenentschärfung in Solingen', severity: 'SEVERE' },
          { headline: 'Übung: Amtliche WARNUNG vor STURMBÖEN', severity: 'MODERATE' },
        ],
      },
    });
    const counts = upstreamCounts(stack);
    // Every upstream was asked; none more than a handful of times for one municipality.
    for (const name of ['register', 'leika', 'abfallnavi', 'oparl', 'nina'] as const) expect(counts[name]).toBeGreaterThan(0);
    // The personal-data registries are not asked by a query that does not need them.
    expect(counts).toEqual({ register: 3, leika: 2, abfallnavi: 4, oparl: 3, nina: 1, 'melderegister-hb': 0, 'melderegister-nrw': 0, gewerbe: 0 });
  });

  it('serves Aachen (abfallnavi and OParl in reality too) across the same subgraphs', async () => {
    const { body } = await gql(stack, SOLINGEN.replace('05122000', '05334002'));
    expect(body.errors).toBeUndefined();
    const aachen = body.data!.municipality;
    expect(aachen.name).toBe('Aachen, Stadt');
    expect(aachen.population).toBe(248878);
    expect(aachen.district).toEqual({ name: 'Städteregion Aachen' });
    expect(aachen.taxOffice).toEqual({ name: 'Finanzamt Aachen-Stadt' });
    expect(aachen.responsibleAuthority).toEqual({ name: 'Stadt Aachen – Gewerbeamt' });
    expect(aachen.wasteCalendar.length).toBeGreaterThan(0);
    expect(aachen.wasteCalendar).toEqual([
      { date: '2026-01-06', fraction: 'Restabfall' },
      { date: '2026-01-07', fraction: 'Gelbe Tonne' },
      { date: '2026-01-13', fraction: 'Bioabfall' },
    ]);
    expect(aachen.council.meetings).toHaveLength(3);
    expect(aachen.council.meetings).toEqual([
      { name: '9. Sitzung des Haupt- und Finanzausschusses', start: '2026-03-09T16:00:00+01:00' },
      { name: '9. Sitzung des Rates der Stadt Aachen', start: '2026-03-10T15:00:00+01:00' },
      { name: '8. Sitzung der Bezirksvertretung 5', start: '2026-03-23T17:00:00+01:00' },
    ]);
    expect(aachen.warnings.map((w: { headline: string }) => w.headline)).toContain('Übung: Hochwasserinformation für Städteregion Aachen');
  });

  it('a municipality without waste or council system: those fields are null, without errors', async () => {
    const { body } = await gql(stack, SOLINGEN.replace('05122000', '01001000'));
    expect(body.errors).toBeUndefined();
    expect(body.data!.municipality).toMatchObject({
      name: 'Flensburg, Stadt',
      wasteCalendar: null,
      council: null,
      taxOffice: { name: 'Finanzamt Flensburg' },
    });
  });
});

describe('no N+1 towards the REST upstreams', () => {
  const LIST = `{
    municipalities(state: "05", first: 50) {
      totalCount
      nodes { ags name district { name } taxOffice { name } responsibleAuthority(leikaKey: "99050012104000") { name } }
    }
  }`;

  it('50 NRW municipalities with district, tax office and responsible authority cost 2 register + 51 leika requests', async () => {
    resetUpstreamCounts(stack);
    const { body } = await gql(stack, LIST);
    expect(body.errors).toBeUndefined();
    const nodes = body.data!.municipalities.nodes as { ags: string; name: string; district: { name: string }; taxOffice: { name: string } | null; responsibleAuthority: { name: string } | null }[];
    expect(body.data!.municipalities.totalCount).toBe(396);
    expect(nodes).toHaveLength(50);
    // The first 50 NRW rows of the register, in order, with their districts.
    const rows = dataRows('municipalities/gemeinden_de_gv100ad_2021-11-30.csv').filter((r) => r.land_code === '05').slice(0, 50);
    expect(nodes.map((n) => [n.ags, n.name, n.district.name])).toEqual(rows.map((r) => [r.ags, r.name, r.kreis_name]));
    expect(nodes.every((n) => n.taxOffice !== null && n.responsibleAuthority !== null)).toBe(true);
    expect(nodes[0]).toEqual({
      ags: '05111000',
      name: 'Düsseldorf, Stadt',
      district: { name: 'Düsseldorf, Stadt' },
      taxOffice: expect.objectContaining({ name: expect.stringMatching(/^Finanzamt Düsseldorf/) }),
      responsibleAuthority: { name: 'Stadt Düsseldorf – Gewerbeamt' },
    });

    const counts = upstreamCounts(stack);
    // register: one page of municipalities + one batch of districts.
    // leika: one tax-office batch + one routing call per municipality (the FIT-Connect
    // routing contract has no batch form); without batching this would be 50 + 50.
    expect(counts.register).toBe(2);
    expect(counts.leika).toBe(51);
    expect(stack.standIns.leika!.standIn.stats().byRoute).toEqual({ 'GET /v1/finanzaemter': 1, 'GET /routes': 50 });
    expect(counts.register + counts.leika).toBeLessThanOrEqual(53);
  });

  it('identical fetches within one request share one subgraph request: 20 aliases of Solingen cost one look-up each', async () => {
    resetUpstreamCounts(stack);
    const fields = Array.from({ length: 20 }, (_, i) => `m${i}: municipality(ags: "05122000") { name taxOffice { name } warnings { headline } }`).join('\n');
    const { body } = await gql(stack, `{ ${fields} }`);
    expect(body.errors).toBeUndefined();
    expect(Object.keys(body.data!)).toHaveLength(20);
    expect(body.data!.m19).toEqual(body.data!.m0);
    expect(body.data!.m0.taxOffice).toEqual({ name: 'Finanzamt Solingen' });
    // Apollo's plan makes one entity fetch per alias; the gateway sends each distinct one once.
    expect(upstreamCounts(stack)).toMatchObject({ register: 1, leika: 1, nina: 1 });
  });
});
