import { readCsv } from '../../stand-ins/lib/data';
import type { RunningStandIn, StandIn } from '../../stand-ins/lib/stand-in';
import { createLeikaStandIn } from '../../stand-ins/leika/server';
import { createLeistungenSubgraph } from './server';

type Subgraph = ReturnType<typeof createLeistungenSubgraph>;
interface GqlResult {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

let standIn: StandIn;
let running: RunningStandIn;
let subgraph: Subgraph;
let slowSubgraph: Subgraph;

async function run(server: Subgraph, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await server.fetch('http://x/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GqlResult;
}
const gql = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  run(subgraph, query, variables, headers);

const MUNICIPALITY = `query($reps: [_Any!]!, $leikaKey: String!) {
  _entities(representations: $reps) {
    ... on Municipality { ags taxOffice { number name state } responsibleAuthority(leikaKey: $leikaKey) { id name } }
  }
}`;
/** destinationId the leika stand-in derives for "Stadt Solingen – Gewerbeamt" (ARS 051220000000). */
const SOLINGEN_GEWERBEAMT_ID = '0670bc46-7116-5d22-a605-3da4eb5f514d';
const reps = (...ags: string[]) => ags.map((a) => ({ __typename: 'Municipality', ags: a }));

beforeAll(async () => {
  standIn = createLeikaStandIn();
  running = await standIn.listen(0);
  subgraph = createLeistungenSubgraph({ leikaUrl: running.url });
  slowSubgraph = createLeistungenSubgraph({ leikaUrl: running.url, timeoutMs: 100 });
});

afterAll(async () => {
  await subgraph.close();
  await slowSubgraph.close();
  await running.close();
});

beforeEach(() => {
  standIn.setFault(null);
  standIn.resetStats();
});

describe('Query.service', () => {
  it('returns Gewerbe Anmeldung with its OZG-Leistung, Lebenslage and Themenfeld', async () => {
    const result = await gql(`{ service(leikaKey: "99050012104000") {
      leikaKey name typification ozgService { id name } lifeSituation topic sdgRelevant legalBasis } }`);
    expect(result.errors).toBeUndefined();
    const service = result.data!.service;
    expect(service).toMatchObject({
      leikaKey: '99050012104000',
      name: 'Gewerbe Anmeldung',
      typification: '2/3',
      ozgService: { id: '10294', name: 'Unternehmensanmeldung und -genehmigung' },
      lifeSituation: 'Unternehmensstart & Gewerbezulassung',
      topic: 'Unternehmensführung & -entwicklung',
      sdgRelevant: true,
    });
    expect(service.legalBasis).toMatch(/^§ 14 Gewerbeordnung \(GewO\)/);
    expect(standIn.stats().byRoute).toEqual({ 'GET /v1/leistungen': 1 });
  });

  it('rejects a key that is not 14 digits with BAD_USER_INPUT and no upstream call', async () => {
    const result = await gql(`{ service(leikaKey: "9905001210400") { name } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toContain('14-digit LeiKa key');
    expect(standIn.stats().total).toBe(0);
  });

  it('returns null for a well-formed key the catalogue does not have', async () => {
    const result = await gql(`{ service(leikaKey: "99999999999999") { name } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data!.service).toBeNull();
  });

  it('resolves Service entities in one batch request', async () => {
    const result = await gql(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Service { leikaKey name typification } } }`,
      { reps: [
        { __typename: 'Service', leikaKey: '99050012104000' },
        { __typename: 'Service', leikaKey: '99012001000000' },
        { __typename: 'Service', leikaKey: '99999999999999' },
      ] },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      { leikaKey: '99050012104000', name: 'Gewerbe Anmeldung', typification: '2/3' },
      { leikaKey: '99012001000000', name: 'Abbruchgenehmigung', typification: '4' },
      null,
    ]);
    expect(standIn.stats().byRoute).toEqual({ 'GET /v1/leistungen': 1 });
  });
});

describe('Query.services', () => {
  it('pages through a name search with cursors', async () => {
    const query = `query($after: String) { services(nameContains: "gewerbe", first: 2, after: $after) {
      totalCount nodes { leikaKey name } pageInfo { hasNextPage endCursor } } }`;
    const first = await gql(query);
    expect(first.errors).toBeUndefined();
    expect(first.data!.services.totalCount).toBe(88);
    expect(first.data!.services.nodes).toEqual([
      { leikaKey: '99001006000000', name: 'Gewerbemüll' },
      { leikaKey: '99001006004000', name: 'Gewerbemüll Entsorgung' },
    ]);
    expect(first.data!.services.pageInfo.hasNextPage).toBe(true);
    const second = await gql(query, { after: first.data!.services.pageInfo.endCursor });
    expect(second.data!.services.nodes.map((n: { leikaKey: string }) => n.leikaKey)).not.toContain('99001006000000');
    expect(second.data!.services.nodes).toHaveLength(2);
  });

  it('rejects first > 100 and foreign cursors with BAD_USER_INPUT', async () => {
    const tooMany = await gql(`{ services(first: 101) { totalCount } }`);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await gql(`{ services(first: 1, after: "bm9wZQ") { totalCount } }`);
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(standIn.stats().total).toBe(0);
  });
});

describe('Municipality.taxOffice and Municipality.responsibleAuthority', () => {
  it('Solingen: Finanzamt Solingen (5128) and the city\'s Gewerbeamt', async () => {
    const result = await gql(MUNICIPALITY, { reps: reps('05122000'), leikaKey: '99050012104000' });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      {
        ags: '05122000',
        taxOffice: { number: '5128', name: 'Finanzamt Solingen', state: 'Nordrhein-Westfalen' },
        responsibleAuthority: { id: SOLINGEN_GEWERBEAMT_ID, name: 'Stadt Solingen – Gewerbeamt' },
      },
    ]);
  });

  it('Aachen (kreisangehörig in the Städteregion): the city for Gewerbe, the Städteregion for the driving licence', async () => {
    const result = await gql(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Municipality {
        taxOffice { number name }
        gewerbe: responsibleAuthority(leikaKey: "99050012104000") { name service { name } }
        fahrerlaubnis: responsibleAuthority(leikaKey: "99023002000000") { name } } } }`,
      { reps: reps('05334002') },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities[0]).toEqual({
      taxOffice: { number: '5201', name: 'Finanzamt Aachen-Stadt' },
      gewerbe: { name: 'Stadt Aachen – Gewerbeamt', service: { name: 'Gewerbe Anmeldung' } },
      fahrerlaubnis: { name: 'Städteregion Aachen – Straßenverkehrsamt' },
    });
  });

  it('Bremen: the GV100AD number 2471 is served as today\'s 2460 Finanzamt Bremen', async () => {
    const result = await gql(MUNICIPALITY, { reps: reps('04011000'), leikaKey: '99050012104000' });
    expect(result.data!._entities[0].taxOffice).toEqual({ number: '2460', name: 'Finanzamt Bremen', state: 'Bremen' });
    expect(result.data!._entities[0].responsibleAuthority.name).toBe('Stadt Bremen – Gewerbeamt');
  });

  it('a federal service routes to a federal authority', async () => {
    const result = await gql(MUNICIPALITY, { reps: reps('05122000'), leikaKey: '99011008000000' });
    expect(result.data!._entities[0].responsibleAuthority.name).toBe('Bundesamt für Migration und Flüchtlinge');
  });

  it('null authority for an unknown service and null tax office for an unknown AGS', async () => {
    const result = await gql(MUNICIPALITY, { reps: reps('05122000', '99999999'), leikaKey: '99999999999999' });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities[0].responsibleAuthority).toBeNull();
    expect(result.data!._entities[1]).toEqual({ ags: '99999999', taxOffice: null, responsibleAuthority: null });
  });

  it('rejects a malformed leikaKey with BAD_USER_INPUT', async () => {
    const result = await gql(MUNICIPALITY, { reps: reps('05122000'), leikaKey: 'gewerbe' });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.extensions?.argumentName).toBe('leikaKey');
    expect(standIn.stats().byRoute['GET /routes']).toBeUndefined();
  });

  it('50 NRW municipalities cost exactly 1 tax-office batch call and 50 route calls', async () => {
    const nrw = readCsv('municipalities/gemeinden_de_gv100ad_2021-11-30.csv')
      .filter((r) => r.land_code === '05')
      .slice(0, 50)
      .map((r) => r.ags!);
    expect(nrw).toHaveLength(50);
    // Each municipality twice: the loaders must de-duplicate.
    const result = await gql(MUNICIPALITY, { reps: reps(...nrw, ...nrw), leikaKey: '99050012104000' });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toHaveLength(100);
    for (const entity of result.data!._entities) {
      expect(entity.taxOffice.name).toMatch(/^Finanzamt /);
      expect(entity.responsibleAuthority.name).toMatch(/ – Gewerbeamt$/);
    }
    expect(result.data!._entities[0]).toMatchObject({
      ags: '05111000',
      taxOffice: { name: 'Finanzamt Düsseldorf-Altstadt' },
      responsibleAuthority: { name: 'Stadt Düsseldorf – Gewerbeamt' },
    });
    const stats = standIn.stats();
    expect(stats.byRoute).toEqual({ 'GET /v1/finanzaemter': 1, 'GET /routes': 50 });
    expect(stats.total).toBe(51);
  });

  it('forwards the W3C traceparent on every upstream call', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await gql(MUNICIPALITY, { reps: reps('05122000'), leikaKey: '99050012104000' }, { traceparent });
    const recent = standIn.stats().recent;
    expect(recent).toHaveLength(2);
    for (const r of recent) expect(r.traceparent).toBe(traceparent);
  });
});

describe('upstream failures', () => {
  it('HTTP 500 → DOWNSTREAM_SERVICE_ERROR naming the subgraph, without the upstream body', async () => {
    standIn.setFault({ status: 500 });
    const result = await gql(`{ service(leikaKey: "99050012104000") { name } }`);
    expect(result.data!.service).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'leistungen', upstream: 'leika', status: 500 });
    expect(result.errors?.[0]?.message).not.toContain('injected fault');
  });

  it('an HTML error page → DOWNSTREAM_SERVICE_ERROR', async () => {
    standIn.setFault({ garbage: 'html' });
    const result = await gql(MUNICIPALITY, { reps: reps('05122000'), leikaKey: '99050012104000' });
    expect(result.errors).toHaveLength(2);
    for (const error of result.errors!) {
      expect(error.extensions).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'leistungen' });
    }
  });

  it('a wrong-shape route result → DOWNSTREAM_SERVICE_ERROR only on that field', async () => {
    standIn.setFault({ garbage: 'wrong-shape', pathPrefix: '/routes' });
    const result = await gql(MUNICIPALITY, { reps: reps('05122000'), leikaKey: '99050012104000' });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.path).toEqual(['_entities', 0, 'responsibleAuthority']);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'leistungen' });
    expect(result.data!._entities[0].taxOffice.number).toBe('5128');
  });

  it('latency beyond timeoutMs → UPSTREAM_TIMEOUT', async () => {
    standIn.setFault({ latencyMs: 400 });
    const result = await run(slowSubgraph, `{ service(leikaKey: "99050012104000") { name } }`);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', subgraph: 'leistungen', upstream: 'leika' });
  });
});
