import { createOparlStandIn } from './server';
import type { RunningStandIn, StandIn } from '../lib/stand-in';
import summary from './oparl-schema-summary.json';

type Json = Record<string, unknown>;
const SCHEMA_TYPES = summary.types as Record<string, { required: string[]; properties: Record<string, string | null> }>;

/** Checks an object (and embedded objects) against the OParl 1.1 schema: type, required fields, JSON types, no unknown fields. */
function checkOparl(object: Json, problems: string[], where = ''): void {
  const typeUrl = object.type as string;
  const name = typeUrl?.replace('https://schema.oparl.org/1.1/', '');
  const schema = SCHEMA_TYPES[name];
  if (!schema) {
    problems.push(`${where}: unknown type ${typeUrl}`);
    return;
  }
  for (const field of schema.required) if (!(field in object)) problems.push(`${where} ${name}: missing ${field}`);
  for (const [key, value] of Object.entries(object)) {
    const expected = schema.properties[key];
    if (expected === undefined) {
      problems.push(`${where} ${name}: unknown property ${key}`);
      continue;
    }
    const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    // Properties typed "string (url) or object" in the schema carry no single type.
    if (expected && actual !== expected && !(expected === 'number' && actual === 'integer')) {
      problems.push(`${where} ${name}.${key}: ${actual}, schema says ${expected}`);
    }
    if (value && typeof value === 'object' && !Array.isArray(value) && 'type' in value) checkOparl(value as Json, problems, `${where} ${name}.${key}`);
    if (Array.isArray(value)) for (const item of value) if (item && typeof item === 'object') checkOparl(item as Json, problems, `${where} ${name}.${key}[]`);
  }
}

describe('oparl stand-in', () => {
  let standIn: StandIn;
  let running: RunningStandIn;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(path.startsWith('http') ? path : `${running.url}${path}`, { headers });
    return { status: response.status, headers: response.headers, body: response.status === 304 ? null : ((await response.json()) as Json) };
  };

  beforeAll(async () => {
    standIn = createOparlStandIn();
    running = await standIn.listen(0);
  });
  afterAll(async () => {
    await running.close();
  });
  beforeEach(() => {
    standIn.setFault(null);
    standIn.resetStats();
  });

  it('serves the System object at the entry point with absolute URLs on the port the client used', async () => {
    const { status, body, headers } = await get('/oparl/v1.1/system');
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('public, max-age=300');
    expect(body).toMatchObject({
      id: `${running.url}/oparl/v1.1/system`,
      type: 'https://schema.oparl.org/1.1/System',
      oparlVersion: 'https://schema.oparl.org/1.1/',
      body: `${running.url}/oparl/v1.1/bodies`,
    });
  });

  it('lists the bodies of real municipalities with their AGS and RGS (ARS) from the register', async () => {
    const { body } = await get('/oparl/v1.1/bodies?limit=100');
    const data = body!.data as Json[];
    expect(data.map((b) => [b.ags, b.rgs, b.name])).toEqual([
      ['05122000', '051220000000', 'Solingen, Klingenstadt'],
      ['05334002', '053340002002', 'Aachen, Stadt'],
      ['05315000', '053150000000', 'Köln, Stadt'],
      ['05314000', '053140000000', 'Bonn, Stadt'],
      ['05111000', '051110000000', 'Düsseldorf, Stadt'],
      ['05515000', '055150000000', 'Münster, Stadt'],
      ['04011000', '040110000000', 'Bremen, Stadt'],
      ['05124000', '051240000000', 'Wuppertal, Stadt'],
      ['05114000', '051140000000', 'Krefeld, Stadt'],
      ['05914000', '059140000000', 'Hagen, Stadt der FernUniversität'],
    ]);
    expect(body!.pagination).toEqual({ totalElements: 10, elementsPerPage: 100, currentPage: 1, totalPages: 1 });
    expect((body!.links as Json).next).toBeUndefined();
    expect(data[0]).toMatchObject({
      id: `${running.url}/oparl/v1.1/bodies/1`,
      meeting: `${running.url}/oparl/v1.1/bodies/1/meetings`,
      organization: `${running.url}/oparl/v1.1/bodies/1/organizations`,
      paper: `${running.url}/oparl/v1.1/bodies/1/papers`,
      person: `${running.url}/oparl/v1.1/bodies/1/persons`,
    });
  });

  it('pages lists 20 a page by default, at most 100, with first/self/next/prev/last links', async () => {
    const first = await get('/oparl/v1.1/bodies/1/meetings');
    expect(first.body!.pagination).toEqual({ totalElements: 182, elementsPerPage: 20, currentPage: 1, totalPages: 10 });
    expect((first.body!.data as Json[]).length).toBe(20);
    const links = first.body!.links as Record<string, string>;
    expect(links).toEqual({
      first: `${running.url}/oparl/v1.1/bodies/1/meetings?page=1`,
      self: `${running.url}/oparl/v1.1/bodies/1/meetings?page=1`,
      last: `${running.url}/oparl/v1.1/bodies/1/meetings?page=10`,
      next: `${running.url}/oparl/v1.1/bodies/1/meetings?page=2`,
    });
    const last = await get(links.last!);
    expect((last.body!.data as Json[]).length).toBe(2);
    expect((last.body!.links as Json).next).toBeUndefined();
    expect((last.body!.links as Json).prev).toBe(`${running.url}/oparl/v1.1/bodies/1/meetings?page=9`);

    const capped = await get('/oparl/v1.1/bodies/1/meetings?limit=500&page=2');
    expect(capped.body!.pagination).toMatchObject({ elementsPerPage: 100, currentPage: 2, totalPages: 2 });
    expect((capped.body!.data as Json[]).map((m) => m.id)[0]).toBe(`${running.url}/oparl/v1.1/bodies/1/meetings/101`);
    expect((capped.body!.links as Json).self).toBe(`${running.url}/oparl/v1.1/bodies/1/meetings?limit=100&page=2`);
  });

  it('lists meetings in ascending order of start, with deterministic synthetic content', async () => {
    const { body } = await get('/oparl/v1.1/bodies/1/meetings?limit=100&page=1');
    const data = body!.data as Json[];
    const starts = data.map((m) => Date.parse(m.start as string));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect(data[70]).toMatchObject({
      id: `${running.url}/oparl/v1.1/bodies/1/meetings/71`,
      name: '6. Sitzung der Bezirksvertretung 4',
      start: '2026-03-02T17:00:00+01:00',
      end: '2026-03-02T19:00:00+01:00',
      meetingState: 'durchgeführt',
      organization: [`${running.url}/oparl/v1.1/bodies/1/organizations/10`],
    });
  });

  it('serves objects that follow the OParl 1.1 schema (required fields, types, no unknown properties)', async () => {
    const problems: string[] = [];
    checkOparl((await get('/oparl/v1.1/system')).body!, problems, 'system');
    for (const kind of ['bodies', 'bodies/7/organizations', 'bodies/7/meetings', 'bodies/7/papers', 'bodies/7/persons', 'bodies/7/agendaItems', 'bodies/7/locations', 'bodies/7/legislativeTerms']) {
      const { body } = await get(`/oparl/v1.1/${kind}?limit=100`);
      for (const object of body!.data as Json[]) checkOparl(object, problems, kind);
    }
    checkOparl((await get('/oparl/v1.1/bodies/7/meetings/3')).body!, problems, 'meeting 3');
    expect(problems).toEqual([]);
  });

  it('has a schema check that catches violations', () => {
    const problems: string[] = [];
    checkOparl({ id: 'x', type: 'https://schema.oparl.org/1.1/Meeting', cancelled: 'no', colour: 'red' }, problems, 'probe');
    checkOparl({ id: 'x', type: 'https://schema.oparl.org/1.1/Body' }, problems, 'probe');
    expect(problems).toEqual([
      'probe Meeting.cancelled: string, schema says boolean',
      'probe Meeting: unknown property colour',
      'probe Body: missing name',
      'probe Body: missing organization',
      'probe Body: missing person',
      'probe Body: missing meeting',
      'probe Body: missing paper',
      'probe Body: missing legislativeTerm',
    ]);
  });

  it('answers a single object at its id URL', async () => {
    const list = await get('/oparl/v1.1/bodies/7/organizations');
    const council = (list.body!.data as Json[])[0]!;
    expect(council.name).toBe('Stadtbürgerschaft');
    const single = await get(council.id as string);
    expect(single.body).toEqual(council);
    const meetings = await get(council.meeting as string);
    expect((meetings.body!.data as Json[]).every((m) => (m.organization as string[]).includes(council.id as string))).toBe(true);
  });

  it('uses only obviously fictitious persons', async () => {
    const { body } = await get('/oparl/v1.1/bodies/3/persons');
    expect((body!.data as Json[]).map((p) => p.name)).toEqual([
      'Erika Mustermann',
      'Max Mustermann',
      'Martina Musterfrau',
      'Otto Normalverbraucher',
      'Lieschen Müller',
      'Manfred Mustermann',
    ]);
  });

  it('filters lists by modified_since / created_until', async () => {
    const { body } = await get('/oparl/v1.1/bodies/1/meetings?modified_since=2027-06-01T00:00:00%2B02:00&limit=100');
    const data = body!.data as Json[];
    expect(data.length).toBe(body!.pagination && (body!.pagination as Json).totalElements);
    expect(data.length).toBeGreaterThan(0);
    expect(data.every((m) => Date.parse(m.modified as string) >= Date.parse('2027-06-01T00:00:00+02:00'))).toBe(true);
    expect((body!.links as Json).first).toBe(`${running.url}/oparl/v1.1/bodies/1/meetings?modified_since=2027-06-01T00%3A00%3A00%2B02%3A00&limit=100&page=1`);
    const none = await get('/oparl/v1.1/bodies/1/papers?created_until=2024-01-01T00:00:00Z');
    expect(none.body!.pagination).toEqual({ totalElements: 0, elementsPerPage: 20, currentPage: 1, totalPages: 1 });
  });

  it('answers JSON error bodies for unknown paths and bad parameters', async () => {
    const missing = await get('/oparl/v1.1/bodies/99');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ status: 404, error: 'Not Found', message: 'no body 99', path: '/oparl/v1.1/bodies/99' });
    const missingObject = await get('/oparl/v1.1/bodies/1/meetings/9999');
    expect(missingObject.status).toBe(404);
    const bad = await get('/oparl/v1.1/bodies/1/meetings?modified_since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 400, error: 'Bad Request' });
    const badLimit = await get('/oparl/v1.1/bodies/1/meetings?limit=-3');
    expect(badLimit.status).toBe(400);
  });

  it('answers 304 for a matching ETag and counts requests', async () => {
    const first = await get('/oparl/v1.1/bodies/1');
    const etag = first.headers.get('etag')!;
    const again = await get('/oparl/v1.1/bodies/1', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(standIn.stats().byRoute).toEqual({ 'GET /oparl/v1.1/bodies/:body': 2 });
  });
});
