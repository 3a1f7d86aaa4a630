import { createNinaStandIn } from '../../stand-ins/nina/server';
import { readCsv } from '../../stand-ins/lib/data';
import type { RunningStandIn } from '../../stand-ins/lib/stand-in';
import { createWarnungenSubgraph } from './server';

interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}
interface GqlResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: GqlError[];
}

const standIn = createNinaStandIn();
let running: RunningStandIn;
let subgraph: ReturnType<typeof createWarnungenSubgraph>;

beforeAll(async () => {
  running = await standIn.listen(0);
  subgraph = createWarnungenSubgraph({ ninaUrl: running.url, timeoutMs: 2_000 });
});
afterAll(async () => {
  await subgraph.close();
  await running.close();
});
beforeEach(() => {
  standIn.setFault(null);
  standIn.resetStats();
});

async function gql<T = Record<string, unknown>>(
  server: ReturnType<typeof createWarnungenSubgraph>,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const res = await server.fetch('http://x/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult<T>;
}

const ENTITIES = /* GraphQL */ `
  query ($reps: [_Any!]!, $min: WarningSeverity) {
    _entities(representations: $reps) {
      ... on Municipality {
        ags
        warnings(severityAtLeast: $min) { id headline severity type provider sent event }
      }
    }
  }
`;
const ENTITIES_WITH_DETAIL = /* GraphQL */ `
  query ($reps: [_Any!]!) {
    _entities(representations: $reps) {
      ... on Municipality { ags warnings { id headline description instruction } }
    }
  }
`;

type Entities = { _entities: ({ ags: string; warnings: Record<string, unknown>[] } | null)[] };
const rep = (ags: string) => ({ __typename: 'Municipality', ags });
const dashboardCalls = () => standIn.stats().byRoute['GET /api31/dashboard/:file'] ?? 0;
const detailCalls = () => standIn.stats().byRoute['GET /api31/warnings/:file'] ?? 0;

const SOLINGEN_BOMB = 'mow.DE-NW-05122-UEB001-20250911-001-000';

describe('warnungen subgraph', () => {
  it("resolves Solingen's warnings, most severe first, with one dashboard call and no detail call", async () => {
    const result = await gql<Entities>(subgraph, ENTITIES, { reps: [rep('05122000')] });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      {
        ags: '05122000',
        warnings: [
          {
            id: SOLINGEN_BOMB,
            headline: 'Übung: Bombenentschärfung in Solingen',
            severity: 'SEVERE',
            type: 'ALERT',
            provider: 'MOWAS',
            sent: '2025-09-11T13:08:00+02:00',
            event: 'BBK-EVC-016',
          },
          {
            id: expect.stringMatching(/^dwdmap\.2\.49\.0\.0\.276\.0\.DWD\.PVW\.\d+\..+\.MUL\.05122$/),
            headline: 'Übung: Amtliche WARNUNG vor STURMBÖEN',
            severity: 'MODERATE',
            type: 'ALERT',
            provider: 'DWD',
            sent: '2025-09-11T15:01:00+02:00',
            event: 'BBK-EVC-050',
          },
        ],
      },
    ]);
    expect(standIn.stats().recent.map((r) => r.url)).toEqual(['/api31/dashboard/051220000000.json']);
    expect(standIn.stats().total).toBe(1);
    expect(detailCalls()).toBe(0);
  });

  it("resolves Aachen's warnings; all municipalities of the Städteregion share one dashboard call", async () => {
    const result = await gql<Entities>(subgraph, ENTITIES, { reps: [rep('05334002'), rep('05334012'), rep('05334036')] });
    expect(result.errors).toBeUndefined();
    const expected = [
      { headline: 'Übung: Amtliche WARNUNG vor GEWITTER', severity: 'SEVERE', provider: 'DWD' },
      { headline: 'Übung: Hochwasserinformation für Städteregion Aachen', severity: 'MODERATE', provider: 'LHP' },
    ];
    for (const entity of result.data!._entities) {
      expect(entity!.warnings.map((w) => ({ headline: w.headline, severity: w.severity, provider: w.provider }))).toEqual(expected);
    }
    expect(dashboardCalls()).toBe(1);
    expect(standIn.stats().total).toBe(1);
  });

  it('returns an empty list for Bremen (no warnings) and for a district NINA does not know (404)', async () => {
    const result = await gql<Entities>(subgraph, ENTITIES, { reps: [rep('04011000'), rep('05999000')] });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      { ags: '04011000', warnings: [] },
      { ags: '05999000', warnings: [] },
    ]);
    expect(dashboardCalls()).toBe(2);
  });

  it('filters by severityAtLeast', async () => {
    const severe = await gql<Entities>(subgraph, ENTITIES, { reps: [rep('05122000')], min: 'SEVERE' });
    expect(severe.data!._entities[0]!.warnings.map((w) => w.headline)).toEqual(['Übung: Bombenentschärfung in Solingen']);
    const extreme = await gql<Entities>(subgraph, ENTITIES, { reps: [rep('05122000')], min: 'EXTREME' });
    expect(extreme.data!._entities[0]!.warnings).toEqual([]);
    const minor = await gql<Entities>(subgraph, ENTITIES, { reps: [rep('05122000')], min: 'MINOR' });
    expect(minor.data!._entities[0]!.warnings).toHaveLength(2);
  });

  it('costs one dashboard call per distinct district for 50 NRW municipalities', async () => {
    const nrw = readCsv('municipalities/gemeinden_de_gv100ad_2021-11-30.csv')
      .filter((r) => r.land_abbr === 'NW')
      .slice(0, 50);
    expect(nrw).toHaveLength(50);
    const districts = new Set(nrw.map((r) => r.ags!.slice(0, 5)));
    expect(districts.size).toBe(14); // 05111 … 05166, from the register data
    const result = await gql<Entities>(subgraph, ENTITIES, { reps: nrw.map((r) => rep(r.ags!)) });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toHaveLength(50);
    expect(dashboardCalls()).toBe(districts.size);
    expect(dashboardCalls()).toBe(14);
    expect(standIn.stats().total).toBe(14);
    expect(detailCalls()).toBe(0);
    const byAgs = new Map(result.data!._entities.map((e) => [e!.ags, e!.warnings.map((w) => w.headline)]));
    expect(byAgs.get('05122000')).toEqual(['Übung: Bombenentschärfung in Solingen', 'Übung: Amtliche WARNUNG vor STURMBÖEN']);
    expect(byAgs.get('05111000')).toEqual([]); // Düsseldorf: none in the synthetic data
  });

  it('fetches details only when description or instruction is selected, once per warning', async () => {
    const result = await gql<Entities>(subgraph, ENTITIES_WITH_DETAIL, { reps: [rep('05122000')] });
    expect(result.errors).toBeUndefined();
    const [bomb, storm] = result.data!._entities[0]!.warnings;
    expect(bomb).toEqual({
      id: SOLINGEN_BOMB,
      headline: 'Übung: Bombenentschärfung in Solingen',
      description:
        'In Solingen wird ein Blindgänger aus dem Zweiten Weltkrieg entschärft. Der Sperrbereich wird geräumt. Dies ist eine Testwarnung.',
      instruction: 'Verlassen Sie den Sperrbereich. Folgen Sie den Anweisungen der Einsatzkräfte. Dies ist eine Übung.',
    });
    expect(storm!.instruction).toBe('Achten Sie besonders auf herabstürzende Äste, Dachziegel oder Gegenstände. Dies ist eine Übung.');
    expect(dashboardCalls()).toBe(1);
    expect(detailCalls()).toBe(2); // two warnings, description + instruction share one call each
  });

  it('de-duplicates detail calls across municipalities of the same district', async () => {
    const result = await gql<Entities>(subgraph, ENTITIES_WITH_DETAIL, { reps: [rep('05334002'), rep('05334004')] });
    expect(result.errors).toBeUndefined();
    expect(dashboardCalls()).toBe(1);
    expect(detailCalls()).toBe(2);
  });

  it('forwards the traceparent to NINA', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await gql(subgraph, ENTITIES, { reps: [rep('05122000')] }, { traceparent });
    expect(standIn.stats().recent.map((r) => r.traceparent)).toEqual([traceparent]);
  });

  it('rejects a malformed ags in a representation without calling NINA, and still serves the others', async () => {
    const result = await gql<Entities>(subgraph, ENTITIES, { reps: [rep('5122'), rep('05122000')] });
    // warnings is nullable, so only that field is null, not the whole entity.
    expect(result.data!._entities[0]).toEqual({ ags: '5122', warnings: null });
    expect(result.data!._entities[1]!.warnings).toHaveLength(2);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'ags' });
    expect(result.errors![0]!.message).toContain('8-digit Amtlicher Gemeindeschlüssel');
    expect(result.errors![0]!.path).toEqual(['_entities', 0, 'warnings']);
    expect(standIn.stats().total).toBe(1);
  });

  it('rejects an unknown severity literal without calling NINA', async () => {
    // (An invalid *variable* value is masked as INTERNAL_SERVER_ERROR by the shared
    // subgraphs/lib/create-subgraph-server.ts; the gateway validates variables before that.)
    const result = await gql<Entities>(
      subgraph,
      `{ _entities(representations: [{ __typename: "Municipality", ags: "05122000" }]) {
           ... on Municipality { warnings(severityAtLeast: HIGH) { id } } } }`,
    );
    expect(result.data).toBeUndefined();
    expect(result.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(result.errors![0]!.message).toBe('Value "HIGH" does not exist in "WarningSeverity" enum.');
    expect(standIn.stats().total).toBe(0);
  });

  describe('upstream failures', () => {
    const expectUpstreamError = (result: GqlResult<Entities>, code: string) => {
      expect(result.data!._entities).toEqual([{ ags: '05122000', warnings: null }]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]!.extensions).toMatchObject({ code, subgraph: 'warnungen', upstream: 'nina' });
      expect(result.errors![0]!.path).toEqual(['_entities', 0, 'warnings']);
      // never leak the upstream body
      expect(JSON.stringify(result.errors)).not.toMatch(/injected fault|<html|truncated/);
    };

    it('HTTP 500 → DOWNSTREAM_SERVICE_ERROR', async () => {
      standIn.setFault({ status: 500 });
      const result = await gql<Entities>(subgraph, ENTITIES, { reps: [rep('05122000')] });
      expectUpstreamError(result, 'DOWNSTREAM_SERVICE_ERROR');
      expect(result.errors![0]!.extensions!.status).toBe(500);
    });

    it.each(['html', 'invalid-json', 'wrong-shape'] as const)('garbage (%s) → DOWNSTREAM_SERVICE_ERROR', async (garbage) => {
      standIn.setFault({ garbage });
      expectUpstreamError(await gql<Entities>(subgraph, ENTITIES, { reps: [rep('05122000')] }), 'DOWNSTREAM_SERVICE_ERROR');
    });

    it('latency beyond timeoutMs → UPSTREAM_TIMEOUT', async () => {
      const impatient = createWarnungenSubgraph({ ninaUrl: running.url, timeoutMs: 100 });
      try {
        standIn.setFault({ latencyMs: 600 });
        expectUpstreamError(await gql<Entities>(impatient, ENTITIES, { reps: [rep('05122000')] }), 'UPSTREAM_TIMEOUT');
      } finally {
        await impatient.close();
      }
    });

    it('a failing detail endpoint only nulls description/instruction; headlines are still served', async () => {
      standIn.setFault({ status: 503, pathPrefix: '/api31/warnings/' });
      const result = await gql<Entities>(subgraph, ENTITIES_WITH_DETAIL, { reps: [rep('05122000')] });
      const warnings = result.data!._entities[0]!.warnings;
      expect(warnings.map((w) => [w.headline, w.description, w.instruction])).toEqual([
        ['Übung: Bombenentschärfung in Solingen', null, null],
        ['Übung: Amtliche WARNUNG vor STURMBÖEN', null, null],
      ]);
      expect(result.errors).toHaveLength(4);
      expect(new Set(result.errors!.map((e) => e.extensions!.code))).toEqual(new Set(['DOWNSTREAM_SERVICE_ERROR']));
      expect(detailCalls()).toBe(6); // 2 detail calls, each retried twice on 503 (subgraphs/lib/resilience.ts)
    });
  });
});
