import { readCsv } from '../lib/data';
import type { RunningStandIn, StandIn } from '../lib/stand-in';
import { finanzamtOf, loadLeikaData } from './data';
import { deterministicUuid, executingLevel, kreisAuthorityName, municipalityAuthorityName, responsibleAuthority } from './routing';
import { createLeikaStandIn } from './server';

let standIn: StandIn;
let running: RunningStandIn;

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(running.url + path, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? (JSON.parse(text) as any) : null };
}

beforeAll(async () => {
  standIn = createLeikaStandIn();
  running = await standIn.listen(0);
});
afterAll(() => running.close());
beforeEach(() => {
  standIn.setFault(null);
  standIn.resetStats();
});

describe('catalogue /v1/leistungen', () => {
  it('serves the 4,813 unique valid LeiKa keys', async () => {
    expect(loadLeikaData().leistungen).toHaveLength(4813);
    const all = await get('/v1/leistungen?limit=1');
    expect(all.body.total).toBe(4813);
  });

  it('serves one service with OZG-Leistung, Lebenslage, Themenfeld, SDG flags and a day of max-age', async () => {
    const res = await get('/v1/leistungen/99050012104000');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(res.headers.get('etag')).toMatch(/^".+"$/);
    expect(res.body).toMatchObject({
      leikaSchluessel: '99050012104000',
      name: 'Gewerbe Anmeldung',
      leikaTyp: '2/3',
      ozgId: '10294',
      ozgLeistung: 'Unternehmensanmeldung und -genehmigung',
      gesetzeKurz: 'GewO',
      lebenslage: 'Unternehmensstart & Gewerbezulassung',
      themenfeld: 'Unternehmensführung & -entwicklung',
      sdgAnhang1: true,
      sdgAnhang2: true,
    });
  });

  it('answers 404 and 400 as RFC 7807 problems', async () => {
    const missing = await get('/v1/leistungen/99999999999999');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(missing.body).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'no Leistung with key 99999999999999',
      instance: '/v1/leistungen/99999999999999',
    });
    expect((await get('/v1/leistungen/123')).status).toBe(400);
  });

  it('batch by schluessel keeps known keys only and refuses more than 100', async () => {
    const res = await get('/v1/leistungen?schluessel=99050012104000,99999999999999,99012001000000');
    expect(res.body.items.map((l: { leikaSchluessel: string }) => l.leikaSchluessel)).toEqual(['99050012104000', '99012001000000']);
    const tooMany = Array.from({ length: 101 }, (_, i) => `990500121${String(i).padStart(5, '0')}`).join(',');
    expect((await get(`/v1/leistungen?schluessel=${tooMany}`)).status).toBe(400);
  });

  it('searches by name, case-insensitively, with offset paging', async () => {
    const res = await get('/v1/leistungen?suche=Gewerbe%20anmeldung&limit=5');
    expect(res.body.total).toBe(2);
    expect(res.body.items.map((l: { name: string }) => l.name)).toEqual([
      'Gewerbe Anmeldung',
      'Gewerbe Anmeldung Selbstständige Tätigkeit in der Land- und Forstwirtschaft',
    ]);
    const page2 = await get('/v1/leistungen?suche=gewerbe&offset=2&limit=2');
    expect(page2.body).toMatchObject({ total: 88, offset: 2, limit: 2 });
    expect(page2.body.items).toHaveLength(2);
  });
});

describe('routing /routes (FIT-Connect contract)', () => {
  it('returns one route-result for Gewerbe Anmeldung in Solingen, cached for an hour', async () => {
    const res = await get('/routes?leikaKey=99050012104000&ags=05122000');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(res.body).toMatchObject({ count: 1, offset: 0, totalCount: 1 });
    const route = res.body.routes[0];
    expect(route.destinationId).toBe('0670bc46-7116-5d22-a605-3da4eb5f514d');
    expect(route.destinationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(route.destinationSignature).toMatch(/^[a-zA-Z0-9\-_]+?\.[a-zA-Z0-9\-_]+?\.[a-zA-Z0-9\-_]+$/);
    expect(route.destinationName).toBe('Stadt Solingen – Gewerbeamt');
    expect(route.destinationShortName).toBe('Gewerbeamt Solingen');
    expect(route.destinationLogo).toBe('https://logos.stand-in.invalid/nw.svg');
    expect(route.destinationParameters.submissionSchemas[0].schemaUri).toBe('urn:stand-in:leika:fachdaten:99050012104000');
    const payload = JSON.parse(Buffer.from(route.destinationSignature.split('.')[1], 'base64url').toString('utf8'));
    expect(payload.services[0].gebietIDs).toEqual(['urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:051220000000']);
  });

  it('answers the same for the 12-digit ARS and 304 on a matching ETag', async () => {
    const byAgs = await get('/routes?leikaKey=99050012104000&ags=05334002');
    const byArs = await get('/routes?leikaKey=99050012104000&ars=053340002002');
    expect(byArs.body).toEqual(byAgs.body);
    expect(byAgs.body.routes[0].destinationName).toBe('Stadt Aachen – Gewerbeamt');
    const again = await get('/routes?leikaKey=99050012104000&ags=05334002', { 'if-none-match': byAgs.headers.get('etag')! });
    expect(again.status).toBe(304);
  });

  it('routes Kreis-level services of kreisangehörige Gemeinden to the Kreis, of kreisfreie Städte to the city', async () => {
    const aachen = await get('/routes?leikaKey=99023002000000&ags=05334002');
    expect(aachen.body.routes[0].destinationName).toBe('Städteregion Aachen – Straßenverkehrsamt');
    const mettmann = await get('/routes?leikaKey=99023002000000&ags=05158004');
    expect(mettmann.body.routes[0].destinationName).toBe('Kreis Mettmann – Straßenverkehrsamt');
    const solingen = await get('/routes?leikaKey=99023002000000&ags=05122000');
    expect(solingen.body.routes[0].destinationName).toBe('Stadt Solingen – Straßenverkehrsamt');
  });

  it('routes state services to the Bezirksregierung and federal services to a federal authority', async () => {
    const state = await get('/routes?leikaKey=99012001000000&ags=05122000');
    expect(state.body.routes[0].destinationName).toBe('Bezirksregierung Düsseldorf – Bereich Bauen & Wohnen');
    const bremen = await get('/routes?leikaKey=99012001000000&ags=04011000');
    expect(bremen.body.routes[0].destinationName).toBe('Freie Hansestadt Bremen – Bereich Bauen & Wohnen');
    const federal = await get('/routes?leikaKey=99011008000000&ags=04011000');
    expect(federal.body.routes[0].destinationName).toBe('Bundesamt für Migration und Flüchtlinge');
    expect(federal.body.routes[0].destinationLogo).toBe('https://logos.stand-in.invalid/bund.svg');
  });

  it('a Kreis area yields one route per distinct authority, paged by offset/limit', async () => {
    const page1 = await get('/routes?leikaKey=99050012104000&ars=05334&limit=3');
    expect(page1.body).toMatchObject({ count: 3, offset: 0, totalCount: 10 });
    const page4 = await get('/routes?leikaKey=99050012104000&ags=05334&offset=9&limit=3');
    expect(page4.body).toMatchObject({ count: 1, offset: 9, totalCount: 10 });
    const kreisLevel = await get('/routes?leikaKey=99023002000000&ars=053340000000');
    expect(kreisLevel.body.totalCount).toBe(1);
    expect(kreisLevel.body.routes[0].destinationName).toBe('Städteregion Aachen – Straßenverkehrsamt');
  });

  it('unknown service, unknown area or an areaId: 200 with no routes', async () => {
    for (const path of [
      '/routes?leikaKey=99999999999999&ags=05122000',
      '/routes?leikaKey=99050012104000&ags=99999999',
      '/routes?leikaKey=99050012104000&areaId=1024',
    ]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ count: 0, offset: 0, totalCount: 0, routes: [] });
    }
  });

  it.each([
    ['/routes?ags=05122000', 'parameter leikaKey is required'],
    ['/routes?leikaKey=12050012104000&ags=05122000', 'leikaKey must match ^99\\d{12}$'],
    ['/routes?leikaKey=99050012104000', 'exactly one area parameter (ags, ars or areaId) must be set'],
    ['/routes?leikaKey=99050012104000&ags=05122000&ars=051220000000', 'exactly one area parameter (ags, ars or areaId) must be set'],
    ['/routes?leikaKey=99050012104000&ags=0512200', 'ags must match ^(\\d{2}|\\d{3}|\\d{5}|\\d{8})$'],
    ['/routes?leikaKey=99050012104000&ars=0512200000', 'ars must match ^(\\d{2}|\\d{3}|\\d{5}|\\d{9}|\\d{12})$'],
    ['/routes?leikaKey=99050012104000&ags=05122000&limit=501', 'limit must be an integer from 1 to 500'],
    ['/routes?leikaKey=99050012104000&ags=05122000&offset=-1', 'offset must be an integer >= 0'],
  ])('%s → 400 problem', async (path, detail) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail, instance: '/routes' });
  });

  it('serves /info with the contract version', async () => {
    expect((await get('/info')).body).toEqual({ version: { major: 2, minor: 0, patch: 0 } });
  });
});

describe('responsibility rule', () => {
  const data = loadLeikaData();
  const gewerbe = data.leistungByKey.get('99050012104000')!;

  it('reads the executing level from the Typisierung, most local level first', () => {
    expect(executingLevel('2/3')).toBe('kommune');
    expect(executingLevel('1, 2/3')).toBe('kommune');
    expect(executingLevel('1, 2')).toBe('land');
    expect(executingLevel('4')).toBe('land');
    expect(executingLevel('1')).toBe('bund');
    expect(executingLevel(null)).toBeNull();
  });

  it('builds names from the register names', () => {
    expect(municipalityAuthorityName({ name: 'Solingen, Klingenstadt', gemeindeTyp: 'Kreisfreie Stadt', landCode: '05' })).toBe('Stadt Solingen');
    expect(municipalityAuthorityName({ name: 'Kiel, Landeshauptstadt', gemeindeTyp: 'Kreisfreie Stadt', landCode: '01' })).toBe('Landeshauptstadt Kiel');
    expect(municipalityAuthorityName({ name: 'Roetgen', gemeindeTyp: 'Kreisangehörige Gemeinde', landCode: '05' })).toBe('Gemeinde Roetgen');
    expect(municipalityAuthorityName({ name: 'Hamburg, Freie und Hansestadt', gemeindeTyp: 'Kreisfreie Stadt', landCode: '02' })).toBe('Freie und Hansestadt Hamburg');
    expect(kreisAuthorityName({ name: 'Mettmann', kreisTyp: 'Kreis' })).toBe('Kreis Mettmann');
    expect(kreisAuthorityName({ name: 'Rhein-Sieg-Kreis', kreisTyp: 'Kreis' })).toBe('Rhein-Sieg-Kreis');
    expect(kreisAuthorityName({ name: 'Gifhorn', kreisTyp: 'Landkreis' })).toBe('Landkreis Gifhorn');
  });

  it('members of an Amt, a Verbandsgemeinde or a Samtgemeinde are served by its administration', () => {
    expect(responsibleAuthority(data, gewerbe, data.gemeindeByAgs.get('07131001')!)!.name).toBe('Verbandsgemeinde Adenau – Gewerbeamt');
    expect(responsibleAuthority(data, gewerbe, data.gemeindeByAgs.get('03151001')!)!.name).toBe('Samtgemeinde Papenteich – Gewerbeamt');
  });

  it('serves every municipality of the register with exactly one route', () => {
    const gemeinden = readCsv('municipalities/gemeinden_de_gv100ad_2021-11-30.csv');
    expect(gemeinden).toHaveLength(10997);
    for (const r of gemeinden) {
      const authority = responsibleAuthority(data, gewerbe, data.gemeindeByAgs.get(r.ags!)!);
      expect(authority?.name).toMatch(/ – Gewerbeamt$/);
    }
  });

  it('derives UUID-shaped ids deterministically', () => {
    expect(deterministicUuid('x')).toBe(deterministicUuid('x'));
    expect(deterministicUuid('x')).not.toBe(deterministicUuid('y'));
  });
});

describe('tax offices /v1/finanzaemter', () => {
  it('maps each AGS to its office; Bremen-Stadt 2471 is served as 2460', async () => {
    const res = await get('/v1/finanzaemter?ags=05122000,04011000,05513000,99999999');
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(res.body).toEqual({
      total: 3,
      offset: 0,
      limit: 4,
      items: [
        { ags: '05122000', finanzamtNummerGv100ad: '5128', bufaNr: '5128', name: 'Finanzamt Solingen', land: 'NW', landName: 'Nordrhein-Westfalen' },
        { ags: '04011000', finanzamtNummerGv100ad: '2471', bufaNr: '2460', name: 'Finanzamt Bremen', land: 'HB', landName: 'Bremen' },
        { ags: '05513000', finanzamtNummerGv100ad: '5318', bufaNr: '5319', name: 'Finanzamt Gelsenkirchen', land: 'NW', landName: 'Nordrhein-Westfalen' },
      ],
    });
  });

  it('knows a tax office for all 398 NRW and Bremen municipalities and 10,603 of 10,997 overall', () => {
    const data = loadLeikaData();
    const nrwHb = data.gemeinden.filter((g) => g.landCode === '05' || g.landCode === '04');
    expect(nrwHb).toHaveLength(398);
    expect(nrwHb.filter((g) => finanzamtOf(data, g)).length).toBe(398);
    expect(data.gemeinden.filter((g) => finanzamtOf(data, g)).length).toBe(10603);
  });

  it('refuses more than 100 AGS and a missing ags parameter', async () => {
    const tooMany = Array.from({ length: 101 }, () => '05122000').join(',');
    expect((await get(`/v1/finanzaemter?ags=${tooMany}`)).status).toBe(400);
    expect((await get('/v1/finanzaemter')).status).toBe(400);
  });

  it('serves one office by BUFA number, 404 for unknown numbers', async () => {
    expect((await get('/v1/finanzaemter/2460')).body).toEqual({ bufaNr: '2460', name: 'Finanzamt Bremen', land: 'HB', landName: 'Bremen' });
    expect((await get('/v1/finanzaemter/2471')).status).toBe(404);
  });
});

describe('framework behaviour', () => {
  it('counts requests per route and injects faults', async () => {
    await get('/routes?leikaKey=99050012104000&ags=05122000');
    await get('/v1/finanzaemter?ags=05122000');
    expect(standIn.stats().byRoute).toEqual({ 'GET /routes': 1, 'GET /v1/finanzaemter': 1 });
    standIn.setFault({ status: 503, pathPrefix: '/routes', times: 1 });
    const failed = await get('/routes?leikaKey=99050012104000&ags=05122000');
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ type: 'about:blank', title: 'Service Unavailable', status: 503 });
    expect((await get('/routes?leikaKey=99050012104000&ags=05122000')).status).toBe(200);
  });
});
