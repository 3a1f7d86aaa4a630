import { createOparlStandIn } from '../../stand-ins/oparl/server';
import type { RunningStandIn, StandIn } from '../../stand-ins/lib/stand-in';
import { readCsv } from '../../stand-ins/lib/data';
import { createRatsinfoSubgraph } from './server';
import { encodeCursor } from './resolvers';

type Result = { data?: Record<string, any> | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Municipality { ags council { SELECTION } } }
}`;
const reps = (...ags: string[]) => ags.map((a) => ({ __typename: 'Municipality', ags: a }));

describe('ratsinfo subgraph', () => {
  let standIn: StandIn;
  let running: RunningStandIn;
  let subgraph: ReturnType<typeof createRatsinfoSubgraph>;
  let fastSubgraph: ReturnType<typeof createRatsinfoSubgraph>;
  let base: string;

  const call = async (server: typeof subgraph, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const response = await server.fetch('http://x/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as Result;
  };
  const council = (selection: string, ...ags: string[]) =>
    call(subgraph, ENTITIES.replace('SELECTION', selection), { representations: reps(...ags) });
  const urls = () => standIn.stats().recent.map((r) => r.url);

  beforeAll(async () => {
    standIn = createOparlStandIn();
    running = await standIn.listen(0);
    base = `${running.url}/oparl/v1.1`;
    subgraph = createRatsinfoSubgraph({ oparlUrl: running.url });
    fastSubgraph = createRatsinfoSubgraph({ oparlUrl: running.url, timeoutMs: 150 });
  });
  afterAll(async () => {
    await subgraph.close();
    await fastSubgraph.close();
    await running.close();
  });
  beforeEach(() => {
    standIn.setFault(null);
    standIn.resetStats();
  });

  it("answers Solingen's council and its first 3 meetings from a fixed date, as the issue's example asks", async () => {
    const result = await council('name shortName rgs website bodyId meetings(first: 3, from: "2026-03-01") { id name start end state cancelled }', '05122000');
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      {
        ags: '05122000',
        council: {
          name: 'Solingen, Klingenstadt',
          shortName: 'Solingen',
          rgs: '051220000000',
          website: 'https://www.solingen.de/',
          bodyId: `${base}/bodies/1`,
          meetings: [
            {
              id: `${base}/bodies/1/meetings/71`,
              name: '6. Sitzung der Bezirksvertretung 4',
              start: '2026-03-02T17:00:00+01:00',
              end: '2026-03-02T19:00:00+01:00',
              state: 'durchgeführt',
              cancelled: false,
            },
            {
              id: `${base}/bodies/1/meetings/72`,
              name: '7. Sitzung des Jugendhilfeausschusses',
              start: '2026-03-16T16:00:00+01:00',
              end: '2026-03-16T19:00:00+01:00',
              state: 'durchgeführt',
              cancelled: false,
            },
            {
              id: `${base}/bodies/1/meetings/73`,
              name: '8. Sitzung der Bezirksvertretung 1',
              start: '2026-03-16T17:00:00+01:00',
              end: '2026-03-16T21:00:00+01:00',
              state: 'durchgeführt',
              cancelled: false,
            },
          ],
        },
      },
    ]);
    // System, body list, one page of 100 meetings: the first page already holds all three.
    expect(urls()).toEqual(['/oparl/v1.1/system', '/oparl/v1.1/bodies?limit=100', '/oparl/v1.1/bodies/1/meetings?limit=100']);
  });

  it('accepts a date-time with offset for from, comparing instants', async () => {
    const result = await council('meetings(first: 1, from: "2026-03-16T16:30:00+01:00") { id }', '05122000');
    expect(result.data!._entities[0].council.meetings).toEqual([{ id: `${base}/bodies/1/meetings/73` }]);
  });

  it('resolves the organizations of meetings from one organization list request', async () => {
    const result = await council('meetings(first: 3, from: "2026-03-01") { organizations { name classification } }', '05122000');
    expect(result.data!._entities[0].council.meetings).toEqual([
      { organizations: [{ name: 'Bezirksvertretung 4', classification: 'Bezirksvertretung' }] },
      { organizations: [{ name: 'Jugendhilfeausschuss', classification: 'Ausschuss' }] },
      { organizations: [{ name: 'Bezirksvertretung 1', classification: 'Bezirksvertretung' }] },
    ]);
    expect(standIn.stats().total).toBe(4);
    expect(urls()[3]).toBe('/oparl/v1.1/bodies/1/organizations?limit=100');
  });

  it("answers Bremen's body and its council organization", async () => {
    const result = await council('name rgs bodyId organizations(first: 2) { totalCount nodes { name classification } pageInfo { hasNextPage } }', '04011000');
    expect(result.data!._entities[0].council).toEqual({
      name: 'Bremen, Stadt',
      rgs: '040110000000',
      bodyId: `${base}/bodies/7`,
      organizations: {
        totalCount: 12,
        nodes: [
          { name: 'Stadtbürgerschaft', classification: 'Parlament' },
          { name: 'Haupt- und Finanzausschuss', classification: 'Ausschuss' },
        ],
        pageInfo: { hasNextPage: true },
      },
    });
    expect(urls()[2]).toBe('/oparl/v1.1/bodies/7/organizations?limit=2');
  });

  it('answers null for a municipality without a body in the system', async () => {
    const result = await council('name', '05711000');
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([{ ags: '05711000', council: null }]);
  });

  it('fetches the system and the body list once for 5 municipalities', async () => {
    const result = await council('name', '05122000', '05334002', '05315000', '04011000', '05711000');
    expect(result.data!._entities.map((e: any) => e.council?.name ?? null)).toEqual([
      'Solingen, Klingenstadt',
      'Aachen, Stadt',
      'Köln, Stadt',
      'Bremen, Stadt',
      null,
    ]);
    expect(standIn.stats().total).toBe(2);
    expect(standIn.stats().byRoute).toEqual({ 'GET /oparl/v1.1/system': 1, 'GET /oparl/v1.1/bodies': 1 });
  });

  it('costs 2 upstream requests for the councils of 50 NRW municipalities', async () => {
    const nrw = readCsv('municipalities/gemeinden_de_gv100ad_2021-11-30.csv').filter((r) => r.land_code === '05').slice(0, 50).map((r) => r.ags!);
    expect(nrw).toHaveLength(50);
    const result = await council('name', ...nrw);
    const names = result.data!._entities.filter((e: any) => e.council).map((e: any) => e.council.name);
    expect(names).toEqual(['Düsseldorf, Stadt', 'Krefeld, Stadt', 'Solingen, Klingenstadt', 'Wuppertal, Stadt']);
    expect(standIn.stats().total).toBe(2);
  });

  it('pages through meetings with after: the next page follows without overlap, across an upstream page boundary', async () => {
    const query = 'meetingsConnection(first: 20, from: "2026-03-01", after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id start } }';
    const page = (after: string | null) =>
      call(subgraph, ENTITIES.replace('SELECTION', query).replace('query($representations: [_Any!]!)', 'query($representations: [_Any!]!, $after: String)'), {
        representations: reps('05122000'),
        after,
      });
    const first = (await page(null)).data!._entities[0].council.meetingsConnection;
    expect(first.totalCount).toBe(182);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.nodes.map((n: any) => n.id)).toEqual(Array.from({ length: 20 }, (_, i) => `${base}/bodies/1/meetings/${71 + i}`));
    expect(standIn.stats().total).toBe(3);

    standIn.resetStats();
    const second = (await page(first.pageInfo.endCursor)).data!._entities[0].council.meetingsConnection;
    expect(second.nodes.map((n: any) => n.id)).toEqual(Array.from({ length: 20 }, (_, i) => `${base}/bodies/1/meetings/${91 + i}`));
    expect(Date.parse(second.nodes[0].start)).toBeGreaterThanOrEqual(Date.parse(first.nodes[19].start));
    // The cursor points into the first upstream page: it is read again, then its links.next.
    expect(urls()).toEqual([
      '/oparl/v1.1/system',
      '/oparl/v1.1/bodies?limit=100',
      '/oparl/v1.1/bodies/1/meetings?limit=100',
      '/oparl/v1.1/bodies/1/meetings?limit=100&page=2',
    ]);

    // The plain list takes the same cursor.
    const list = await call(
      subgraph,
      ENTITIES.replace('SELECTION', 'meetings(first: 2, after: $after, from: "2026-03-01") { id }').replace('query($representations: [_Any!]!)', 'query($representations: [_Any!]!, $after: String)'),
      { representations: reps('05122000'), after: second.pageInfo.endCursor },
    );
    expect(list.data!._entities[0].council.meetings).toEqual([{ id: `${base}/bodies/1/meetings/111` }, { id: `${base}/bodies/1/meetings/112` }]);
  });

  it('defaults from to today in Europe/Berlin', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date());
    const upstream = (await (await fetch(`${base}/bodies/1/meetings?limit=100&page=2`)).json()) as { data: { id: string; start: string }[] };
    const page1 = (await (await fetch(`${base}/bodies/1/meetings?limit=100&page=1`)).json()) as { data: { id: string; start: string }[] };
    const expected = [...page1.data, ...upstream.data].filter((m) => m.start.slice(0, 10) >= today).slice(0, 2).map((m) => ({ id: m.id }));
    const result = await council('meetings(first: 2) { id }', '05122000');
    expect(result.data!._entities[0].council.meetings).toEqual(expected);
  });

  it('ends the last page of meetings with hasNextPage false', async () => {
    const result = await council('meetingsConnection(first: 100, from: "2027-12-01") { nodes { start } pageInfo { hasNextPage } }', '05122000');
    const connection = result.data!._entities[0].council.meetingsConnection;
    expect(connection.pageInfo.hasNextPage).toBe(false);
    expect(connection.nodes.length).toBeGreaterThan(0);
    expect(connection.nodes.every((n: any) => n.start >= '2027-12-01')).toBe(true);
  });

  it('pages papers, turning upstream links.next into the cursor', async () => {
    const first = await council('papers(first: 3) { totalCount nodes { reference name paperType date } pageInfo { hasNextPage endCursor } }', '05122000');
    const papers = first.data!._entities[0].council.papers;
    expect(papers.totalCount).toBe(120);
    expect(papers.nodes).toEqual([
      { reference: '0001/2025', name: 'Anfrage zu: Verkehrsberuhigung in der Platzhalterstraße', paperType: 'Anfrage', date: '2025-01-05' },
      { reference: '0002/2025', name: 'Anfrage zu: Digitalisierung der fiktiven Bürgerdienste', paperType: 'Anfrage', date: '2025-01-15' },
      { reference: '0003/2025', name: 'Beleuchtung des fiktiven Platzes der Beispiele', paperType: 'Beschlussvorlage', date: '2025-01-22' },
    ]);
    expect(JSON.parse(Buffer.from(papers.pageInfo.endCursor, 'base64url').toString())).toEqual({ u: `${base}/bodies/1/papers?limit=3&page=2`, s: 0 });
    standIn.resetStats();
    const next = await call(
      subgraph,
      ENTITIES.replace('SELECTION', 'papers(first: 3, after: $after) { nodes { reference } }').replace('query($representations: [_Any!]!)', 'query($representations: [_Any!]!, $after: String)'),
      { representations: reps('05122000'), after: papers.pageInfo.endCursor },
    );
    expect(next.data!._entities[0].council.papers.nodes.map((p: any) => p.reference)).toEqual(['0004/2025', '0005/2025', '0006/2025']);
    expect(urls()[2]).toBe('/oparl/v1.1/bodies/1/papers?limit=3&page=2');
    expect(standIn.stats().total).toBe(3);
  });

  it('rejects bad arguments with BAD_USER_INPUT and fetches no list', async () => {
    const badFrom = await council('meetings(first: 3, from: "März 2026") { id }', '05122000');
    expect(badFrom.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'from' });
    const badFirst = await council('meetings(first: 101) { id }', '05122000');
    expect(badFirst.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'first' });
    const badCursor = await council('papers(first: 3, after: "bm9wZQ") { totalCount }', '05122000');
    expect(badCursor.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'after' });
    // A cursor naming another host or list is refused, so clients cannot make the subgraph fetch other URLs.
    const foreign = encodeCursor({ u: 'http://169.254.169.254/latest/meta-data', s: 0 });
    const foreignCursor = await council(`papers(first: 3, after: "${foreign}") { totalCount }`, '05122000');
    expect(foreignCursor.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'after' });
    const otherList = encodeCursor({ u: `${base}/bodies/1/persons`, s: 0 });
    const otherListCursor = await council(`papers(first: 3, after: "${otherList}") { totalCount }`, '05122000');
    expect(otherListCursor.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(urls().filter((u) => !u.startsWith('/oparl/v1.1/system') && !u.startsWith('/oparl/v1.1/bodies?'))).toEqual([]);
  });

  it('forwards the traceparent to every upstream request', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await call(subgraph, ENTITIES.replace('SELECTION', 'meetings(first: 1, from: "2026-03-01") { organizations { name } }'), { representations: reps('05122000') }, { traceparent });
    const recent = standIn.stats().recent;
    expect(recent.length).toBe(4);
    expect(recent.every((r) => r.traceparent === traceparent)).toBe(true);
  });

  describe('upstream failures', () => {
    const expectFailure = (result: Result, code: string) => {
      expect(result.data!._entities).toEqual([{ ags: '05122000', council: null }]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]!.path).toEqual(['_entities', 0, 'council']);
      expect(result.errors![0]!.extensions).toMatchObject({ code, subgraph: 'ratsinfo', upstream: 'oparl' });
      expect(JSON.stringify(result.errors)).not.toContain('injected fault');
    };

    it('maps an upstream 500 to DOWNSTREAM_SERVICE_ERROR', async () => {
      standIn.setFault({ status: 500 });
      const result = await call(fastSubgraph, ENTITIES.replace('SELECTION', 'name'), { representations: reps('05122000') });
      expectFailure(result, 'DOWNSTREAM_SERVICE_ERROR');
      expect(result.errors![0]!.extensions!.status).toBe(500);
    });

    it('maps an HTML page to DOWNSTREAM_SERVICE_ERROR', async () => {
      standIn.setFault({ garbage: 'html' });
      expectFailure(await call(fastSubgraph, ENTITIES.replace('SELECTION', 'name'), { representations: reps('05122000') }), 'DOWNSTREAM_SERVICE_ERROR');
    });

    it('maps a body of the wrong shape on a list page to DOWNSTREAM_SERVICE_ERROR', async () => {
      standIn.setFault({ garbage: 'wrong-shape', pathPrefix: '/oparl/v1.1/bodies' });
      expectFailure(await call(fastSubgraph, ENTITIES.replace('SELECTION', 'name'), { representations: reps('05122000') }), 'DOWNSTREAM_SERVICE_ERROR');
    });

    it('maps a slow upstream to UPSTREAM_TIMEOUT', async () => {
      standIn.setFault({ latencyMs: 600 });
      expectFailure(await call(fastSubgraph, ENTITIES.replace('SELECTION', 'name'), { representations: reps('05122000') }), 'UPSTREAM_TIMEOUT');
    });

    it('reports a failing meeting list at its path (meetings is non-null, so the council becomes null)', async () => {
      standIn.setFault({ status: 503, pathPrefix: '/oparl/v1.1/bodies/1/meetings' });
      const result = await call(fastSubgraph, ENTITIES.replace('SELECTION', 'name meetings(first: 1, from: "2026-03-01") { id }'), { representations: reps('05122000') });
      expect(result.data!._entities[0].council).toBeNull();
      expect(result.errors![0]!.path).toEqual(['_entities', 0, 'council', 'meetings']);
      expect(result.errors![0]!.extensions).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'ratsinfo', status: 503 });
    });
  });
});
