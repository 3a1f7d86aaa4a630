import type { RunningStandIn } from '../lib/stand-in';
import { nrwHolidays } from './data';
import { createAbfallnaviStandIn } from './server';

const standIn = createAbfallnaviStandIn();
let running: RunningStandIn;

beforeAll(async () => {
  running = await standIn.listen(0);
});
afterAll(async () => {
  await running.close();
});
beforeEach(() => {
  standIn.setFault(null);
  standIn.resetStats();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${running.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : null };
}

interface Strasse {
  id: number;
  name: string;
  staticId: string;
  hausNrList: { id: number; nr: string; plz: string; staticId: string }[];
  plz: null;
  ortsteilName: string;
  ort: { id: number; name: string };
}
interface Abholung {
  id: number;
  datum: string;
  bezirk: { id: number; name: string; gueltigAb: null; fraktionId: number };
}

async function solingenStreets(): Promise<Strasse[]> {
  const orte = (await get('/abfall-app-solingen/rest/orte')).body as { id: number; name: string }[];
  return (await get(`/abfall-app-solingen/rest/orte/${orte[0]!.id}/strassen`)).body as Strasse[];
}

const DAY = 86_400_000;
const gaps = (dates: string[]) => dates.slice(1).map((d, i) => (Date.parse(d) - Date.parse(dates[i]!)) / DAY);

describe('abfallnavi stand-in', () => {
  it('lists the hosted services with their municipalities (stand-in extension)', async () => {
    const { status, body } = await get('/abfall-apps');
    expect(status).toBe(200);
    const services = body as { service: string; basePath: string; orte: { name: string; ags: string }[] }[];
    expect(services.map((s) => s.service)).toEqual(['solingen', 'aachen', 'aw-bgl2', 'lindlar', 'din', 'dorsten', 'roe', 'zew2']);
    expect(services.flatMap((s) => s.orte.map((o) => `${o.ags} ${o.name}`))).toEqual([
      '05122000 Solingen',
      '05334002 Aachen',
      '05378004 Bergisch Gladbach',
      '05374020 Lindlar',
      '05170008 Dinslaken',
      '05562012 Dorsten',
      '05334024 Roetgen',
      '05334012 Eschweiler',
      '05334032 Stolberg (Rhld.)',
      '05334036 Würselen',
    ]);
    expect(services[0]!.basePath).toBe('/abfall-app-solingen/rest');
  });

  it('serves /orte and /orte/{ortId} per service', async () => {
    const orte = (await get('/abfall-app-zew2/rest/orte')).body as { id: number; name: string }[];
    expect(orte.map((o) => o.name)).toEqual(['Eschweiler', 'Stolberg (Rhld.)', 'Würselen']);
    expect(Object.keys(orte[0]!).sort()).toEqual(['id', 'name']);
    const one = await get(`/abfall-app-zew2/rest/orte/${orte[1]!.id}`);
    expect(one.body).toEqual(orte[1]);
    expect((await get('/abfall-app-zew2/rest/orte/1')).status).toBe(404);
  });

  it('answers 404 with the service error body for an unknown service', async () => {
    const { status, body, headers } = await get('/abfall-app-nirgendwo/rest/orte');
    expect(status).toBe(404);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({
      status: 404,
      error: 'Not Found',
      message: 'no abfallnavi service at /abfall-app-nirgendwo',
      path: '/abfall-app-nirgendwo/rest/orte',
    });
    expect((await get('/solingen/rest/orte')).status).toBe(404);
  });

  it('answers 400 for ids that are not integers', async () => {
    const { status, body } = await get('/abfall-app-solingen/rest/strassen/abc/termine');
    expect(status).toBe(400);
    expect(body).toMatchObject({ status: 400, error: 'Bad Request' });
    expect((await get('/abfall-app-solingen/rest/strassen/5313005/termine?fraktion=x')).status).toBe(400);
    expect((await get('/abfall-app-solingen/rest/strassen/1/termine')).status).toBe(404);
  });

  it('serves 30 streets per Ort, sorted, with hausNrList only on the first (as the real API does)', async () => {
    const streets = await solingenStreets();
    expect(streets).toHaveLength(30);
    expect(streets.map((s) => s.name)).toEqual([...streets.map((s) => s.name)].sort((a, b) => a.localeCompare(b, 'de')));
    expect(streets.map((s) => s.name)).toEqual(expect.arrayContaining(['Bahnhofstraße', 'Hauptstraße', 'Schulstraße']));
    expect(streets[0]!.hausNrList.length).toBeGreaterThan(0);
    expect(streets.slice(1).every((s) => s.hausNrList.length === 0)).toBe(true);
    const bahnhof = streets.find((s) => s.name === 'Bahnhofstraße')!;
    expect(bahnhof).toMatchObject({ plz: null, ortsteilName: 'default', ort: { name: 'Solingen' } });
    expect(Buffer.from(bahnhof.staticId, 'base64').toString('latin1')).toBe('SolingendefaultBahnhofstraße');

    const detail = (await get(`/abfall-app-solingen/rest/strassen/${bahnhof.id}`)).body as Strasse;
    expect(detail.name).toBe('Bahnhofstraße');
    expect(detail.hausNrList[0]).toMatchObject({ nr: '1', plz: '42651' });
  });

  it('serves the fractions of a service, a street and a house number', async () => {
    const fraktionen = (await get('/abfall-app-solingen/rest/fraktionen')).body as { id: number; name: string; farbeRgb: string }[];
    expect(fraktionen.map((f) => `${f.id} ${f.name} ${f.farbeRgb}`)).toEqual([
      '0 Restabfall 555555',
      '1 Bioabfall 8B5A2B',
      '2 Papier 0055A4',
      '3 Gelbe Tonne FFD700',
      '4 Weihnachtsbaum 2E8B57',
    ]);
    const street = (await solingenStreets())[0]!;
    expect((await get(`/abfall-app-solingen/rest/strassen/${street.id}/fraktionen`)).body).toEqual(fraktionen);
    expect((await get(`/abfall-app-solingen/rest/hausnummern/${street.hausNrList[0]!.id}/fraktionen`)).body).toEqual(fraktionen);
  });

  it('serves deterministic collection dates with realistic rhythms across 2026–2027', async () => {
    const bahnhof = (await solingenStreets()).find((s) => s.name === 'Bahnhofstraße')!;
    const all = (await get(`/abfall-app-solingen/rest/strassen/${bahnhof.id}/termine`)).body as Abholung[];
    const of = (fraktionId: number) => all.filter((t) => t.bezirk.fraktionId === fraktionId).map((t) => t.datum);

    expect(all.slice(0, 3).map((t) => `${t.datum} ${t.bezirk.fraktionId} ${t.bezirk.name}`)).toEqual([
      '2026-01-05 0 R2',
      '2026-01-08 2 P14',
      '2026-01-08 3 G8',
    ]);
    expect(all[0]).toEqual({ id: all[0]!.bezirk.id * 1000 + 7, bezirk: expect.objectContaining({ gueltigAb: null }), datum: '2026-01-05' });
    expect(all[0]!.datum >= '2026-01-01' && all[all.length - 1]!.datum <= '2027-12-31').toBe(true);

    // Restabfall every 14 days (a holiday moves a date by a day or a few, and the next one back).
    const rest = gaps(of(0));
    expect(rest.filter((g) => g === 14).length).toBeGreaterThan(rest.length * 0.8);
    expect(rest.every((g) => g >= 10 && g <= 18)).toBe(true);
    // Bioabfall weekly in July, every 14 days in February.
    expect(gaps(of(1).filter((d) => d.startsWith('2026-07')))).toEqual([7, 7, 7]);
    expect(gaps(of(1).filter((d) => d.startsWith('2026-02')))).toEqual([14]);
    // Papier every 4 weeks: 13 collections in 2026.
    expect(of(2).filter((d) => d.startsWith('2026'))).toHaveLength(13);
    expect(gaps(of(2)).filter((g) => g === 28).length).toBeGreaterThan(20);
    // Weihnachtsbaum once each January.
    expect(of(4)).toEqual(['2026-01-17', '2027-01-16']);
    // Never on a Sunday or an NRW public holiday.
    const holidays = new Set([...nrwHolidays(2026), ...nrwHolidays(2027)]);
    expect(all.filter((t) => holidays.has(t.datum) || new Date(`${t.datum}T00:00:00Z`).getUTCDay() === 0)).toEqual([]);
  });

  it('filters termine by repeated fraktion parameters, for streets and house numbers alike', async () => {
    const street = (await solingenStreets())[0]!;
    const both = (await get(`/abfall-app-solingen/rest/strassen/${street.id}/termine?fraktion=0&fraktion=2`)).body as Abholung[];
    expect(new Set(both.map((t) => t.bezirk.fraktionId))).toEqual(new Set([0, 2]));
    const house = (await get(`/abfall-app-solingen/rest/hausnummern/${street.hausNrList[0]!.id}/termine?fraktion=0&fraktion=2`)).body;
    expect(house).toEqual(both);
  });

  it('sends Cache-Control of six hours and honours ETags', async () => {
    const first = await get('/abfall-app-aachen/rest/fraktionen');
    expect(first.headers.get('cache-control')).toBe('public, max-age=21600');
    const etag = first.headers.get('etag')!;
    const response = await fetch(`${running.url}/abfall-app-aachen/rest/fraktionen`, { headers: { 'if-none-match': etag } });
    expect(response.status).toBe(304);
    expect(standIn.stats().byRoute['GET /:app/rest/fraktionen']).toBe(2);
  });

  it('uses stable synthetic ids (seeded), so links survive restarts', async () => {
    expect((await get('/abfall-app-solingen/rest/orte')).body).toEqual([{ id: 5303001, name: 'Solingen' }]);
    const bahnhof = (await solingenStreets()).find((s) => s.name === 'Bahnhofstraße')!;
    expect(bahnhof.id).toBe(5313005);
  });
});

describe('abfallnavi openapi.yaml', () => {
  it('documents exactly the paths the stand-in serves', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const doc = parse(readFileSync(`${__dirname}/openapi.yaml`, 'utf8')) as { paths: Record<string, unknown> };
    const served = [
      '/orte',
      '/orte/{ortId}',
      '/orte/{ortId}/strassen',
      '/strassen/{strassenId}',
      '/strassen/{strassenId}/fraktionen',
      '/strassen/{strassenId}/termine',
      '/hausnummern/{hausnummernId}/fraktionen',
      '/hausnummern/{hausnummernId}/termine',
      '/fraktionen',
      '/abfall-apps',
    ];
    expect(Object.keys(doc.paths).sort()).toEqual(served.sort());
    for (const path of served.filter((p) => p !== '/abfall-apps')) {
      const concrete = path.replace('{ortId}', '5303001').replace('{strassenId}', '5313005').replace('{hausnummernId}', '531300500');
      const response = await fetch(`${running.url}/abfall-app-solingen/rest${concrete}`);
      expect(`${path} ${response.status}`).toBe(`${path} 200`);
      await response.arrayBuffer();
    }
  });
});
