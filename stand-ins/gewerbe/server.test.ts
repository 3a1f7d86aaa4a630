import { ageOn, registryMunicipalities, residentById } from '../lib/residents';
import { expectOpenApiMatchesServedPaths, serveForTests } from '../lib/testkit';
import { createMelderegisterHbStandIn } from '../melderegister-hb/server';
import { createMelderegisterNrwStandIn } from '../melderegister-nrw/server';
import { betriebeOf } from './data';
import { createGewerbeStandIn } from './server';

const standIn = createGewerbeStandIn();
const served = serveForTests(standIn);
const { get } = served;

describe('gewerbe stand-in (XGewerbeanzeige structure)', () => {
  it('serves one business with XGewerbeanzeige field names and its owner as a registry id', async () => {
    const { status, headers, body } = await get('/gewerberegister/v1/betriebe/GW-05122000-000016');
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('private, max-age=300');
    expect(body).toEqual({
      gewerbebetriebID: 'GW-05122000-000016',
      gemeindeSchluessel: '05122000',
      status: 'aktiv',
      gueltigAb: '1997-11-22',
      abmeldedatum: null,
      betrieb: {
        eingetragenerName: 'Musterbäckerei Exempel GmbH',
        rechtsformSchluessel: '350',
        rechtsform: 'Gesellschaft mit beschränkter Haftung (GmbH)',
      },
      betriebsstaette: { strasse: 'Mustergasse', hausNrVon: '28', plz: '42651', ort: 'Solingen' },
      taetigkeit: {
        taetigkeitSchwerpunkt: 'Bäckerei',
        taetigkeitSchluessel: '10710',
        stichwort: 'Herstellung von Backwaren (ohne Dauerbackwaren)',
      },
      anzahlVollzeitBeschaeftigte: 11,
      anzahlTeilzeitBeschaeftigte: 5,
      beteiligtePerson: [{ personFunktion: '1', melderegisterId: 'NW-05122000-000390' }],
    });
  });

  it('every owner is an adult main resident of the same municipality in the resident registries', () => {
    let checked = 0;
    for (const ags of registryMunicipalities().keys()) {
      for (const b of betriebeOf(ags)) {
        const owner = residentById(b.beteiligtePerson[0]!.melderegisterId);
        expect([b.gewerbebetriebID, owner?.ags, owner?.status]).toEqual([b.gewerbebetriebID, ags, 'MAIN_RESIDENCE']);
        expect(ageOn(owner!.birthDate, b.gueltigAb)).toBeGreaterThanOrEqual(18);
        checked += 1;
      }
    }
    expect(checked).toBe(467); // 8 municipalities, 40…80 businesses each
  });

  it('owner ids resolve in the registry stand-in of their flavour', async () => {
    const hb = await createMelderegisterHbStandIn().listen(0);
    const nrw = await createMelderegisterNrwStandIn().listen(0);
    try {
      const bremen = (await get('/gewerberegister/v1/betriebe/GW-04011000-000001')).body.beteiligtePerson[0].melderegisterId;
      const solingen = (await get('/gewerberegister/v1/betriebe/GW-05122000-000016')).body.beteiligtePerson[0].melderegisterId;
      expect((await fetch(`${hb.url}/api/v2/einwohner/${bremen}`)).status).toBe(200);
      expect((await fetch(`${nrw.url}/meldewesen/personen/${solingen}`)).status).toBe(200);
    } finally {
      await hb.close();
      await nrw.close();
    }
  });

  it('lists by municipality with status and activity filters and offset paging', async () => {
    const all = await get('/gewerberegister/v1/betriebe?gemeindeSchluessel=05122000');
    expect([all.body.anzahlGesamt, all.body.betriebe.length]).toEqual([46, 46]);
    const active = await get('/gewerberegister/v1/betriebe?gemeindeSchluessel=05122000&status=aktiv');
    expect(active.body.anzahlGesamt).toBe(37);
    const hair = await get('/gewerberegister/v1/betriebe?gemeindeSchluessel=05122000&status=aktiv&taetigkeit=FRISEUR');
    expect(hair.body.betriebe.map((b: any) => [b.gewerbebetriebID, b.betrieb.eingetragenerName])).toEqual([
      ['GW-05122000-000004', 'Musterfriseur Probe GmbH'],
      ['GW-05122000-000011', 'Musterfriseur Platzhalter'],
      ['GW-05122000-000025', 'Musterfriseur Muster'],
      ['GW-05122000-000042', 'Musterfriseur Beispiel e.K.'],
    ]);
    const page = await get('/gewerberegister/v1/betriebe?gemeindeSchluessel=04011000&offset=40&limit=10');
    expect([page.body.anzahlGesamt, page.body.betriebe.length]).toEqual([42, 2]);
  });

  it('looks up a batch by gewerbebetriebID (at most 100) and answers errors as RFC 7807', async () => {
    const batch = await get('/gewerberegister/v1/betriebe?gewerbebetriebID=GW-05122000-000016,GW-05122000-999999,GW-04011000-000001');
    expect(batch.body.betriebe.map((b: any) => b.gewerbebetriebID)).toEqual(['GW-05122000-000016', 'GW-04011000-000001']);
    const tooMany = Array.from({ length: 101 }, (_, i) => `GW-05122000-${String(i).padStart(6, '0')}`).join(',');
    expect((await get(`/gewerberegister/v1/betriebe?gewerbebetriebID=${tooMany}`)).status).toBe(400);
    const unknown = await get('/gewerberegister/v1/betriebe?gemeindeSchluessel=09162000');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'no trade register for Gemeinde 09162000',
      instance: '/gewerberegister/v1/betriebe',
    });
    expect((await get('/gewerberegister/v1/betriebe?gemeindeSchluessel=05122000&status=ruhend')).status).toBe(400);
  });
});

describe('gewerbe openapi.yaml', () => {
  it('documents exactly the paths the stand-in serves', async () => {
    await expectOpenApiMatchesServedPaths(__dirname, served.url(), {
      '/gewerberegister/v1/betriebe': '/gewerberegister/v1/betriebe?gemeindeSchluessel=05122000',
      '/gewerberegister/v1/betriebe/{id}': '/gewerberegister/v1/betriebe/GW-05122000-000016',
    });
  });
});
