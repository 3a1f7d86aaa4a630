import { composeServices } from '@apollo/composition';
import { createAbfallnaviStandIn } from '../../stand-ins/abfallnavi/server';
import type { RunningStandIn } from '../../stand-ins/lib/stand-in';
import { typeDefs as kommunenTypeDefs } from '../kommunen/server';
import { loadServiceMap } from './resolvers';
import { createAbfallSubgraph, typeDefs } from './server';

const standIn = createAbfallnaviStandIn();
let running: RunningStandIn;
let subgraph: ReturnType<typeof createAbfallSubgraph>;
let slowSubgraph: ReturnType<typeof createAbfallSubgraph>;

const SOLINGEN = '05122000';
const AACHEN = '05334002';
const FLENSBURG = '01001000'; // no abfallnavi service

beforeAll(async () => {
  running = await standIn.listen(0);
  subgraph = createAbfallSubgraph({ abfallnaviUrl: running.url });
  slowSubgraph = createAbfallSubgraph({ abfallnaviUrl: running.url, timeoutMs: 100 });
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

interface GraphQLResponse {
  data?: { _entities: Record<string, unknown>[] } | null;
  errors?: { message: string; path?: (string | number)[]; extensions: Record<string, unknown> }[];
}

async function entity(ags: string | string[], selection: string, server = subgraph, headers: Record<string, string> = {}) {
  const representations = (Array.isArray(ags) ? ags : [ags]).map((a) => ({ __typename: 'Municipality', ags: a }));
  const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Municipality { ${selection} } } }`;
  const response = await server.fetch('http://x/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables: { r: representations } }),
  });
  return (await response.json()) as GraphQLResponse;
}

const byRoute = () => standIn.stats().byRoute;

describe('abfall subgraph', () => {
  it('answers the issue example wasteCalendar(street, from, to) { date fraction } with Solingen’s first collections', async () => {
    const result = await entity(SOLINGEN, 'wasteCalendar(street: "Bahnhofstraße", from: "2026-01-01", to: "2026-01-31") { date fraction }');
    expect(result.errors).toBeUndefined();
    const calendar = result.data!._entities[0]!.wasteCalendar as { date: string; fraction: string }[];
    expect(calendar.slice(0, 3)).toEqual([
      { date: '2026-01-05', fraction: 'Restabfall' },
      { date: '2026-01-08', fraction: 'Gelbe Tonne' },
      { date: '2026-01-08', fraction: 'Papier' },
    ]);
    expect(calendar.map((c) => `${c.date} ${c.fraction}`)).toEqual([
      '2026-01-05 Restabfall',
      '2026-01-08 Gelbe Tonne',
      '2026-01-08 Papier',
      '2026-01-12 Bioabfall',
      '2026-01-17 Weihnachtsbaum',
      '2026-01-19 Restabfall',
      '2026-01-22 Gelbe Tonne',
      '2026-01-26 Bioabfall',
    ]);
  });

  it('gives fraction details and the collection district', async () => {
    const result = await entity(
      SOLINGEN,
      'wasteCalendar(street: "Bahnhofstraße", from: "2026-01-05", to: "2026-01-05") { date fraction collectionDistrict fractionDetails { id name color } }',
    );
    expect(result.data!._entities[0]!.wasteCalendar).toEqual([
      {
        date: '2026-01-05',
        fraction: 'Restabfall',
        collectionDistrict: 'R2',
        fractionDetails: { id: '0', name: 'Restabfall', color: '#555555' },
      },
    ]);
  });

  it('moves collections off public holidays (Easter Monday 2026-04-06 → Tuesday)', async () => {
    const result = await entity(SOLINGEN, 'wasteCalendar(street: "Bahnhofstraße", from: "2026-04-01", to: "2026-04-10") { date fraction }');
    expect(result.data!._entities[0]!.wasteCalendar).toEqual([
      { date: '2026-04-02', fraction: 'Gelbe Tonne' },
      { date: '2026-04-02', fraction: 'Papier' },
      { date: '2026-04-07', fraction: 'Bioabfall' },
    ]);
  });

  it('lists Solingen’s 30 streets, filters by name and resolves house numbers', async () => {
    const all = await entity(SOLINGEN, 'wasteStreets(first: 500) { name locality }');
    const streets = all.data!._entities[0]!.wasteStreets as { name: string; locality: string }[];
    expect(streets).toHaveLength(30);
    expect(streets.slice(0, 3)).toEqual([
      { name: 'Ahornweg', locality: 'Solingen' },
      { name: 'Am Bach', locality: 'Solingen' },
      { name: 'Am Sportplatz', locality: 'Solingen' },
    ]);
    const filtered = await entity(SOLINGEN, 'wasteStreets(nameContains: "STRASSE") { name } few: wasteStreets(nameContains: "weg", first: 2) { name }');
    expect(filtered.data!._entities[0]).toEqual({ wasteStreets: [], few: [{ name: 'Ahornweg' }, { name: 'Amselweg' }] });
    const haupt = await entity(AACHEN, 'wasteStreets(nameContains: "haupt") { name locality houseNumbers }');
    const [street] = haupt.data!._entities[0]!.wasteStreets as { name: string; locality: string; houseNumbers: string[] }[];
    expect(street!.name).toBe('Hauptstraße');
    expect(street!.locality).toBe('Aachen');
    expect(street!.houseNumbers).toHaveLength(49);
    expect(street!.houseNumbers.slice(0, 3)).toEqual(['1', '2', '3']);
  });

  it('lists the fractions', async () => {
    const result = await entity(SOLINGEN, 'wasteFractions { id name color }');
    expect(result.data!._entities[0]!.wasteFractions).toEqual([
      { id: '0', name: 'Restabfall', color: '#555555' },
      { id: '1', name: 'Bioabfall', color: '#8B5A2B' },
      { id: '2', name: 'Papier', color: '#0055A4' },
      { id: '3', name: 'Gelbe Tonne', color: '#FFD700' },
      { id: '4', name: 'Weihnachtsbaum', color: '#2E8B57' },
    ]);
  });

  it('works for Aachen, by house number, and for a municipality of a shared service (Würselen, zew2)', async () => {
    const aachen = await entity(AACHEN, 'wasteCalendar(street: "Hauptstraße", houseNumber: "1", from: "2026-01-01", to: "2026-01-20") { date fraction }');
    expect(aachen.data!._entities[0]!.wasteCalendar).toEqual([
      { date: '2026-01-06', fraction: 'Restabfall' },
      { date: '2026-01-07', fraction: 'Gelbe Tonne' },
      { date: '2026-01-13', fraction: 'Bioabfall' },
      { date: '2026-01-17', fraction: 'Weihnachtsbaum' },
      { date: '2026-01-20', fraction: 'Restabfall' },
    ]);
    expect(byRoute()['GET /:app/rest/hausnummern/:hausnummernId/termine']).toBe(1);
    expect(standIn.stats().recent.every((r) => r.url.startsWith('/abfall-app-aachen/rest/'))).toBe(true);

    const wuerselen = await entity('05334036', 'wasteCalendar(street: "Hauptstraße", from: "2026-12-24", to: "2027-01-03") { date fraction }');
    expect(wuerselen.data!._entities[0]!.wasteCalendar).toEqual([
      { date: '2026-12-28', fraction: 'Restabfall' },
      { date: '2027-01-02', fraction: 'Bioabfall' },
    ]);
    expect(standIn.stats().recent.some((r) => r.url.startsWith('/abfall-app-zew2/rest/'))).toBe(true);
  });

  it('returns null for a municipality without abfallnavi, without calling the upstream', async () => {
    const result = await entity(
      FLENSBURG,
      'ags wasteCalendar(street: "Hauptstraße", from: "2026-01-01", to: "2026-01-31") { date } wasteStreets { name } wasteFractions { id }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities[0]).toEqual({ ags: FLENSBURG, wasteCalendar: null, wasteStreets: null, wasteFractions: null });
    expect(standIn.stats().total).toBe(0);
  });

  it.each([
    ['2026-1-1', '2026-01-31', 'from must be an ISO date YYYY-MM-DD such as "2026-01-01", received "2026-1-1"'],
    ['2026-02-30', '2026-03-31', 'from must be an ISO date YYYY-MM-DD such as "2026-01-01", received "2026-02-30"'],
    ['2026-01-01', 'tomorrow', 'to must be an ISO date YYYY-MM-DD such as "2026-01-01", received "tomorrow"'],
    ['2026-02-01', '2026-01-31', 'to (2026-01-31) must not be before from (2026-02-01)'],
    ['2026-01-01', '2027-02-06', 'from and to may be at most 400 days apart, received 2026-01-01 to 2027-02-06'],
  ])('rejects from=%s to=%s with BAD_USER_INPUT', async (from, to, message) => {
    const result = await entity(SOLINGEN, `wasteCalendar(street: "Bahnhofstraße", from: "${from}", to: "${to}") { date }`);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.message).toBe(message);
    expect(result.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(standIn.stats().total).toBe(0);
  });

  it('accepts exactly 400 days and validates even for municipalities without abfallnavi', async () => {
    const ok = await entity(SOLINGEN, 'wasteCalendar(street: "Bahnhofstraße", from: "2026-01-01", to: "2027-02-05") { date }');
    expect(ok.errors).toBeUndefined();
    expect((ok.data!._entities[0]!.wasteCalendar as unknown[]).length).toBeGreaterThan(100);
    const bad = await entity(FLENSBURG, 'wasteCalendar(street: "x", from: "2026-13-01", to: "2026-12-31") { date }');
    expect(bad.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('names an unknown street or house number in a BAD_USER_INPUT error', async () => {
    const street = await entity(SOLINGEN, 'wasteCalendar(street: "Nirgendwostraße", from: "2026-01-01", to: "2026-01-31") { date }');
    expect(street.errors![0]!.message).toBe('street "Nirgendwostraße" is not in the waste calendar of Solingen; see wasteStreets');
    expect(street.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'street' });
    const house = await entity(
      SOLINGEN,
      'wasteCalendar(street: "Bahnhofstraße", houseNumber: "999", from: "2026-01-01", to: "2026-01-31") { date }',
    );
    expect(house.errors![0]!.message).toBe(
      'house number "999" is not known for Bahnhofstraße in Solingen; see wasteStreets { houseNumbers }',
    );
    expect(house.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('rejects first outside 0..500', async () => {
    const result = await entity(SOLINGEN, 'wasteStreets(first: 501) { name }');
    expect(result.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'first' });
  });

  it('looks a repeated street up once per request: 4 upstream calls for two calendars, streets and fractions', async () => {
    const result = await entity(
      SOLINGEN,
      `a: wasteCalendar(street: "Bahnhofstraße", from: "2026-01-01", to: "2026-01-31") { date }
       b: wasteCalendar(street: "bahnhofstr.", from: "2026-06-01", to: "2026-06-30") { date fraction }
       c: wasteCalendar(street: "Bahnhofstrasse", from: "2026-12-01", to: "2026-12-31") { date }
       wasteStreets(nameContains: "bahnhof") { name }
       wasteFractions { name }`,
    );
    expect(result.errors).toBeUndefined();
    expect((result.data!._entities[0]!.b as unknown[]).length).toBeGreaterThan(0);
    expect(byRoute()).toEqual({
      'GET /:app/rest/orte': 1,
      'GET /:app/rest/orte/:ortId/strassen': 1,
      'GET /:app/rest/fraktionen': 1,
      'GET /:app/rest/strassen/:strassenId/termine': 1,
    });
    expect(standIn.stats().total).toBe(4);
    expect(standIn.stats().recent.map((r) => r.url)).toContain(
      '/abfall-app-solingen/rest/strassen/5313005/termine?fraktion=0&fraktion=1&fraktion=2&fraktion=3&fraktion=4',
    );
  });

  it('shares one street list and one fraction list between municipalities of one request, and forwards traceparent', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const result = await entity([SOLINGEN, SOLINGEN, AACHEN], 'wasteFractions { id }', subgraph, { traceparent });
    expect(result.data!._entities).toHaveLength(3);
    expect(byRoute()).toEqual({ 'GET /:app/rest/fraktionen': 2 });
    expect(standIn.stats().recent.every((r) => r.traceparent === traceparent)).toBe(true);
  });

  it('loads house numbers once per street, in parallel, for a street list', async () => {
    const result = await entity(SOLINGEN, 'wasteStreets(first: 5) { houseNumbers } again: wasteStreets(first: 5) { houseNumbers }');
    expect(result.errors).toBeUndefined();
    expect(byRoute()).toEqual({
      'GET /:app/rest/orte': 1,
      'GET /:app/rest/orte/:ortId/strassen': 1,
      'GET /:app/rest/strassen/:strassenId': 5,
    });
  });

  it.each([
    [{ status: 500 }, 'DOWNSTREAM_SERVICE_ERROR', 500],
    [{ status: 503 }, 'DOWNSTREAM_SERVICE_ERROR', 503],
    [{ garbage: 'html' as const }, 'DOWNSTREAM_SERVICE_ERROR', 200],
    [{ garbage: 'invalid-json' as const }, 'DOWNSTREAM_SERVICE_ERROR', 200],
    [{ garbage: 'wrong-shape' as const }, 'DOWNSTREAM_SERVICE_ERROR', 200],
  ])('maps upstream fault %j to %s', async (fault, code, status) => {
    standIn.setFault(fault);
    const result = await entity(SOLINGEN, 'wasteCalendar(street: "Bahnhofstraße", from: "2026-01-01", to: "2026-01-31") { date }');
    expect(result.data!._entities[0]!.wasteCalendar).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions).toEqual({ code, subgraph: 'abfall', upstream: 'abfallnavi', status });
    expect(JSON.stringify(result.errors)).not.toMatch(/injected fault|Bad Gateway|truncated|not-a-list/);
  });

  it('fails only the affected field when one call fails (termine only)', async () => {
    standIn.setFault({ status: 500, pathPrefix: '/abfall-app-solingen/rest/strassen/' });
    const result = await entity(
      SOLINGEN,
      'wasteCalendar(street: "Bahnhofstraße", from: "2026-01-01", to: "2026-01-31") { date } wasteFractions { id }',
    );
    expect(result.data!._entities[0]!.wasteCalendar).toBeNull();
    expect((result.data!._entities[0]!.wasteFractions as unknown[]).length).toBe(5);
    expect(result.errors!.map((e) => e.extensions.code)).toEqual(['DOWNSTREAM_SERVICE_ERROR']);
  });

  it('maps upstream latency beyond timeoutMs to UPSTREAM_TIMEOUT', async () => {
    standIn.setFault({ latencyMs: 400 });
    const result = await entity(SOLINGEN, 'wasteFractions { id }', slowSubgraph);
    expect(result.data!._entities[0]!.wasteFractions).toBeNull();
    expect(result.errors![0]!.extensions).toEqual({ code: 'UPSTREAM_TIMEOUT', subgraph: 'abfall', upstream: 'abfallnavi' });
    expect(result.errors![0]!.message).toBe('abfallnavi (behind subgraph abfall) did not answer within 100 ms');
  });

  it('reports a configured service the upstream does not know as DOWNSTREAM_SERVICE_ERROR', async () => {
    const elsewhere = createAbfallSubgraph({ abfallnaviUrl: `${running.url}/not-here` });
    try {
      const result = await entity(SOLINGEN, 'wasteStreets { name }', elsewhere);
      expect(result.errors![0]!.message).toBe('abfallnavi (behind subgraph abfall): service "solingen" is unknown upstream');
      expect(result.errors![0]!.extensions).toEqual({ code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'abfall', upstream: 'abfallnavi' });
    } finally {
      await elsewhere.close();
    }
  });

  it('has a committed AGS → service map that matches the services the stand-in hosts', async () => {
    const map = loadServiceMap();
    const index = (await (await fetch(`${running.url}/abfall-apps`)).json()) as { service: string; orte: { name: string; ags: string }[] }[];
    const hosted = index.flatMap((s) => s.orte.map((o) => ({ ags: o.ags, service: s.service, ort: o.name })));
    expect([...map.values()].sort((a, b) => a.ags.localeCompare(b.ags))).toEqual(hosted.sort((a, b) => a.ags.localeCompare(b.ags)));
    expect(map.size).toBe(10);
  });

  it('composes with the kommunen subgraph', () => {
    const result = composeServices([
      { name: 'kommunen', typeDefs: kommunenTypeDefs, url: 'http://kommunen' },
      { name: 'abfall', typeDefs, url: 'http://abfall' },
    ]);
    expect(result.errors).toBeUndefined();
  });
});
