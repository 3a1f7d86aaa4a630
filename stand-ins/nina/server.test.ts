import { request } from 'undici';
import type { RunningStandIn } from '../lib/stand-in';
import { loadNina } from './data';
import { createNinaStandIn } from './server';

const standIn = createNinaStandIn();
let running: RunningStandIn;

beforeAll(async () => {
  running = await standIn.listen(0);
});
afterAll(async () => {
  await running.close();
});
beforeEach(() => {
  standIn.resetStats();
  standIn.setFault(null);
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${running.url}${path}`, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as unknown) : undefined };
}

const SOLINGEN_BOMB = 'mow.DE-NW-05122-UEB001-20250911-001-000';

describe('nina stand-in', () => {
  it('serves the Solingen dashboard with the contract shape and a 60 s max-age', async () => {
    const res = await get('/api31/dashboard/051220000000.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    expect(typeof res.headers.etag).toBe('string');
    const list = res.json as { id: string; payload: { data: { headline: string } } }[];
    expect(list.map((w) => w.payload.data.headline)).toEqual([
      'Übung: Bombenentschärfung in Solingen',
      'Übung: Amtliche WARNUNG vor STURMBÖEN',
    ]);
    expect(list[0]).toEqual({
      id: SOLINGEN_BOMB,
      payload: {
        version: expect.any(Number),
        type: 'ALERT',
        id: SOLINGEN_BOMB,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        data: {
          headline: 'Übung: Bombenentschärfung in Solingen',
          provider: 'MOWAS',
          severity: 'Severe',
          msgType: 'Alert',
          transKeys: { event: 'BBK-EVC-016' },
          area: { type: 'ZGEM', data: '1+051220000000' },
        },
      },
      i18nTitle: { de: 'Übung: Bombenentschärfung in Solingen' },
      sent: '2025-09-11T13:08:00+02:00',
    });
    expect(standIn.stats().byRoute).toEqual({ 'GET /api31/dashboard/:file': 1 });
  });

  it('serves Aachen with two warnings and Bremen with none', async () => {
    const aachen = (await get('/api31/dashboard/053340000000.json')).json as { payload: { data: { severity: string; provider: string } } }[];
    expect(aachen.map((w) => [w.payload.data.provider, w.payload.data.severity])).toEqual([
      ['LHP', 'Moderate'],
      ['DWD', 'Severe'],
    ]);
    const bremen = await get('/api31/dashboard/040110000000.json');
    expect(bremen.status).toBe(200);
    expect(bremen.json).toEqual([]);
  });

  it('answers 404 for non-district, unknown and malformed keys, as the real API has no such document', async () => {
    for (const path of [
      '/api31/dashboard/051220000001.json', // municipality level
      '/api31/dashboard/059990000000.json', // no such district
      '/api31/dashboard/05122.json',
      '/api31/dashboard/051220000000',
    ]) {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, 404]);
      expect((res.json as { status: number }).status).toBe(404);
    }
  });

  it('serves the CAP detail of a warning, marked as an exercise', async () => {
    const res = await get(`/api31/warnings/${SOLINGEN_BOMB}.json`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    const detail = res.json as Record<string, unknown> & { info: Record<string, unknown>[] };
    expect(detail).toMatchObject({
      identifier: SOLINGEN_BOMB,
      sent: '2025-09-11T13:08:00+02:00',
      status: 'Exercise',
      msgType: 'Alert',
      scope: 'Public',
    });
    expect(detail.info[0]).toMatchObject({
      language: 'de-DE',
      category: ['Safety'],
      event: 'Bombenentschärfung',
      severity: 'Severe',
      urgency: 'Immediate',
      certainty: 'Observed',
      headline: 'Übung: Bombenentschärfung in Solingen',
      instruction: 'Verlassen Sie den Sperrbereich. Folgen Sie den Anweisungen der Einsatzkräfte. Dies ist eine Übung.',
      area: [{ areaDesc: 'Solingen, Klingenstadt', geocode: [{ valueName: 'AreaId', value: '051220000000' }] }],
    });
    expect((await get('/api31/warnings/mow.DE-NW-does-not-exist.json')).status).toBe(404);
  });

  it('answers 304 for a matching If-None-Match', async () => {
    const first = await get('/api31/dashboard/053340000000.json');
    const second = await get('/api31/dashboard/053340000000.json', { 'if-none-match': String(first.headers.etag) });
    expect(second.status).toBe(304);
  });

  it('serves provider map data; every warning is a test warning', async () => {
    const data = loadNina();
    expect(data.all).toHaveLength(121);
    expect(data.all.every((w) => w.headline.startsWith('Übung: '))).toBe(true);
    const mowas = (await get('/api31/mowas/mapData.json')).json as { id: string; type: string }[];
    expect(mowas).toHaveLength(data.all.filter((w) => w.provider === 'MOWAS').length);
    expect(mowas.map((m) => m.id)).toContain(SOLINGEN_BOMB);
    expect((await get('/api31/katwarn/mapData.json')).json).toEqual([]);
    expect((await get('/api31/nothing/mapData.json')).status).toBe(404);
    expect((await get('/api31/__proto__/mapData.json')).status).toBe(404);
  });

  it('injects faults', async () => {
    standIn.setFault({ status: 503, times: 1 });
    expect((await get('/api31/dashboard/051220000000.json')).status).toBe(503);
    expect((await get('/api31/dashboard/051220000000.json')).status).toBe(200);
  });
});
