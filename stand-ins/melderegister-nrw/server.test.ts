import { memoryLogger } from '../../common/logger';
import { expectOpenApiMatchesServedPaths, serveForTests } from '../lib/testkit';
import { createMelderegisterNrwStandIn } from './server';

/** Log lines the stand-in writes (to prove that searched names never reach them). */
const { logger, lines: logLines } = memoryLogger();
const standIn = createMelderegisterNrwStandIn({ logger });
const served = serveForTests(standIn);
const { get } = served;

/** Follows `next` until the end; returns every person id in order and the number of pages. */
async function allPages(query: string, pageSize: number) {
  const ids: string[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const { body } = await get(`/meldewesen/personen?${query}&pageSize=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`);
    pages += 1;
    ids.push(...body.personen.map((p: { personId: string }) => p.personId));
    cursor = body.next;
  } while (cursor);
  return { ids, pages };
}

describe('melderegister-nrw stand-in (vendor flavour NRW)', () => {
  it('serves one person in its own field names, German dates and alpha-3 nationality', async () => {
    const { status, headers, body } = await get('/meldewesen/personen/NW-05122000-000009');
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('private, no-store');
    expect(body).toEqual({
      personId: 'NW-05122000-000009',
      ags: '05122000',
      nachname: 'Beispiel',
      vorname: 'Max',
      weitereVornamen: ['Hans'],
      geburtstag: '27.01.1990',
      adresse: { strassenname: 'Beispielufer', hausnr: 76, hausnrZusatz: 'b', plz: '42651', wohnort: 'Solingen' },
      staatsangehoerigkeit: 'GRC',
      wohnungsstatus: 'HW',
      personenstatus: 'A',
    });
    // status codes: deceased / moved away / secondary residence
    const codes = async (id: string) => {
      const p = (await get(`/meldewesen/personen/${id}`)).body;
      return [p.wohnungsstatus, p.personenstatus];
    };
    expect(await codes('NW-05122000-000041')).toEqual(['HW', 'V']);
    expect(await codes('NW-05122000-000003')).toEqual(['HW', 'W']);
    expect(await codes('NW-05122000-000002')).toEqual(['NW', 'A']);
  });

  it('pages by cursor without a total: 462 Solingen residents in 5 pages of 100, no overlap', async () => {
    const { ids, pages } = await allPages('ags=05122000', 100);
    expect(pages).toBe(5);
    expect(ids).toHaveLength(462);
    expect(new Set(ids).size).toBe(462);
    expect(ids[461]).toBe('NW-05122000-000462');
    const first = await get('/meldewesen/personen?ags=05334002');
    expect(Object.keys(first.body).sort()).toEqual(['next', 'personen']);
    expect(first.body.personen).toHaveLength(25); // default page size
  });

  it('filters by family name, keeps the name out of cursors and logs', async () => {
    logLines.length = 0;
    const { ids, pages } = await allPages('ags=05122000&nachname=platzhalter', 20);
    expect([ids.length, pages]).toEqual([59, 3]);
    const page = await get('/meldewesen/personen?ags=05122000&nachname=Platzhalter&pageSize=20');
    expect(Buffer.from(page.body.next, 'base64url').toString('utf8').toLowerCase()).not.toContain('platzhalter');
    await new Promise((r) => setTimeout(r, 20));
    expect(logLines.join('\n')).toContain('nachname=REDACTED');
    expect(logLines.join('\n').toLowerCase()).not.toContain('platzhalter');
  });

  it('rejects a cursor of another query with its own error body', async () => {
    const aachen = await get('/meldewesen/personen?ags=05334002&pageSize=10');
    const response = await get(`/meldewesen/personen?ags=05122000&cursor=${aachen.body.next}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.body).toEqual({ fehler: { code: 'UNGUELTIGE_ANFRAGE', meldung: 'cursor gehört nicht zu dieser Abfrage' } });
  });

  it('reports statistics for a batch of municipalities (unserved ones are left out)', async () => {
    const { body } = await get('/meldewesen/statistik?ags=05122000,09162000,05334002');
    expect(body).toEqual({
      statistik: [
        { ags: '05122000', hauptwohnsitze: 356, nebenwohnsitze: 36, stand: '31.12.2025' },
        { ags: '05334002', hauptwohnsitze: 243, nebenwohnsitze: 20, stand: '31.12.2025' },
      ],
    });
    const tooMany = Array.from({ length: 21 }, () => '05122000').join(',');
    expect((await get(`/meldewesen/statistik?ags=${tooMany}`)).status).toBe(400);
  });

  it('answers unknown persons and municipalities with 404 in its own error body', async () => {
    expect(await get('/meldewesen/personen/HB-04011000-000001')).toMatchObject({
      status: 404,
      body: { fehler: { code: 'NICHT_GEFUNDEN', meldung: 'Person nicht gefunden' } },
    });
    expect((await get('/meldewesen/personen?ags=04011000')).body).toEqual({
      fehler: { code: 'NICHT_GEFUNDEN', meldung: 'Gemeinde 04011000 ist an dieses Meldewesen nicht angeschlossen' },
    });
    standIn.setFault({ status: 503, times: 1 });
    expect((await get('/meldewesen/personen/NW-05122000-000001')).body).toEqual({
      fehler: { code: 'NICHT_VERFUEGBAR', meldung: 'injected fault' },
    });
  });
});

describe('melderegister-nrw openapi.yaml', () => {
  it('documents exactly the paths the stand-in serves', async () => {
    await expectOpenApiMatchesServedPaths(__dirname, served.url(), {
      '/meldewesen/personen': '/meldewesen/personen?ags=05334002',
      '/meldewesen/personen/{personId}': '/meldewesen/personen/NW-05122000-000009',
      '/meldewesen/statistik': '/meldewesen/statistik?ags=05122000,05334002',
    });
  });
});
