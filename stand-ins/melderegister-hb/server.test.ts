import { memoryLogger } from '../../common/logger';
import { expectOpenApiMatchesServedPaths, serveForTests } from '../lib/testkit';
import { createMelderegisterHbStandIn } from './server';

/** Log lines the stand-in writes (to prove that searched names never reach them). */
const { logger, lines: logLines } = memoryLogger();
const standIn = createMelderegisterHbStandIn({ logger });
const served = serveForTests(standIn);
const { get } = served;

describe('melderegister-hb stand-in (vendor flavour HB)', () => {
  it('serves one resident in its own field names, ISO dates and no-store caching', async () => {
    const { status, headers, body } = await get('/api/v2/einwohner/HB-04011000-000007');
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('private, no-store');
    expect(body).toEqual({
      id: 'HB-04011000-000007',
      gemeindeschluessel: '04011000',
      familienname: 'Fiktiv',
      vornamen: 'Lieschen Moritz',
      geburtsdatum: '1939-04-11',
      anschrift: { strasse: 'Mustergasse', hausnummer: '94a', postleitzahl: '28195', ort: 'Bremen' },
      staatsangehoerigkeit: 'DE',
      meldestatus: 'HAUPTWOHNUNG',
    });
  });

  it('pages with offset/limit and reports the total (259 residents in Bremen)', async () => {
    const first = await get('/api/v2/einwohner?gemeinde=04011000&offset=0&limit=100');
    expect([first.body.gesamt, first.body.offset, first.body.limit, first.body.eintraege.length]).toEqual([259, 0, 100, 100]);
    const last = await get('/api/v2/einwohner?gemeinde=04011000&offset=250&limit=100');
    expect(last.body.eintraege.map((e: { id: string }) => e.id)).toEqual(
      Array.from({ length: 9 }, (_, i) => `HB-04011000-${String(251 + i).padStart(6, '0')}`),
    );
    // limit is capped at 100
    expect((await get('/api/v2/einwohner?gemeinde=04012000&limit=1000')).body.limit).toBe(100);
  });

  it('filters by family name (case-insensitive, exact) and never logs the name', async () => {
    logLines.length = 0;
    const { body } = await get('/api/v2/einwohner?gemeinde=04011000&familienname=FIKTIV&limit=100');
    expect(body.gesamt).toBe(44);
    expect(new Set(body.eintraege.map((e: { familienname: string }) => e.familienname))).toEqual(new Set(['Fiktiv']));
    await new Promise((r) => setTimeout(r, 20));
    const lines = logLines.join('\n');
    expect(lines).toContain('familienname=REDACTED');
    expect(lines.toLowerCase()).not.toContain('fiktiv');
  });

  it('looks up a batch by ids (unknown and foreign ids are left out), at most 50', async () => {
    const { body } = await get('/api/v2/einwohner?ids=HB-04012000-000001,HB-04011000-999999,NW-05122000-000001,HB-04011000-000007');
    expect(body.gesamt).toBe(2);
    expect(body.eintraege.map((e: { id: string }) => e.id)).toEqual(['HB-04012000-000001', 'HB-04011000-000007']);
    const tooMany = Array.from({ length: 51 }, (_, i) => `HB-04011000-${String(i + 1).padStart(6, '0')}`).join(',');
    expect((await get(`/api/v2/einwohner?ids=${tooMany}`)).status).toBe(400);
  });

  it('reports the registry statistics (main and secondary residences)', async () => {
    const { headers, body } = await get('/api/v2/gemeinden/04011000/statistik');
    expect(headers.get('cache-control')).toBe('public, max-age=3600');
    expect(body).toEqual({ gemeindeschluessel: '04011000', stichtag: '2025-12-31', hauptwohnungen: 201, nebenwohnungen: 25 });
    expect((await get('/api/v2/gemeinden/04012000/statistik')).body.hauptwohnungen).toBe(333);
  });

  it('answers errors as RFC 7807 problems', async () => {
    const response = await fetch(`${served.url()}/api/v2/einwohner?gemeinde=05122000`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'Gemeinde 05122000 wird von diesem Melderegister nicht geführt',
      instance: '/api/v2/einwohner',
    });
    expect((await get('/api/v2/einwohner/NW-05122000-000001')).status).toBe(404);
    expect((await get('/api/v2/einwohner')).body).toMatchObject({ status: 400, title: 'Bad Request' });
    standIn.setFault({ status: 500, times: 1 });
    expect((await get('/api/v2/einwohner/HB-04011000-000001')).body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'injected fault',
      instance: '/api/v2/einwohner/HB-04011000-000001',
    });
  });
});

describe('melderegister-hb openapi.yaml', () => {
  it('documents exactly the paths the stand-in serves', async () => {
    await expectOpenApiMatchesServedPaths(__dirname, served.url(), {
      '/api/v2/einwohner': '/api/v2/einwohner?gemeinde=04011000',
      '/api/v2/einwohner/{id}': '/api/v2/einwohner/HB-04011000-000007',
      '/api/v2/gemeinden/{ags}/statistik': '/api/v2/gemeinden/04012000/statistik',
    });
  });
});
