import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import type { GatewayConfigInput } from '../gateway/src/config';
import type { Stack } from '../scripts/stack';
import { operationSignature } from '../gateway/src/ops/signature';
import { bearer, createTestIssuer, gql, REPO_ROOT, startTestStack, type TestIssuer } from './testkit';

/**
 * The plan monitor and metrics after known traffic: exactly N requests for the signature,
 * the right fetch count per subgraph and per plan fetch, in the JSON behind /ops and in
 * /metrics; and both refuse callers without the right scope.
 */
const QUERY = readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'ops', 'solingen.graphql'), 'utf8');
/** The same operation with other literal values: one signature. */
const AGS = ['05122000', '01001000', '05315000', '05122000', '05111000'];
const N = AGS.length;
const STATES = 'query States { states { name } }';
const METRICS_TOKEN = 'static-metrics-token-for-tests-0123456789';

let stack: Stack;
let issuer: TestIssuer;
let base: string;
let opsToken: string;
jest.setTimeout(60_000);

beforeAll(async () => {
  issuer = await createTestIssuer();
  stack = await startTestStack({
    gateway: { authentication: issuer.authentication as GatewayConfigInput['authentication'], ops: { metrics: { token: METRICS_TOKEN, processMetrics: false } } },
  });
  base = stack.gatewayUrl.replace(/\/graphql$/, '');
  opsToken = await issuer.token({ sub: 'ops-team', scope: 'ops:read' });
});
afterAll(() => stack?.stop());

const getJson = async (route: string, headers: Record<string, string> = bearer(opsToken)) => {
  const response = await fetch(`${base}${route}`, { headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
};
const metricLines = async (prefix: RegExp) => {
  const response = await fetch(`${base}/metrics`, { headers: bearer(METRICS_TOKEN) });
  expect(response.status).toBe(200);
  return (await response.text()).split('\n').filter((line) => prefix.test(line));
};

describe('after N known requests', () => {
  const signature = operationSignature(parse(QUERY), null)!;
  const statesSignature = operationSignature(parse(STATES), null)!;

  beforeAll(async () => {
    for (const ags of AGS) {
      const { status, body } = await gql(stack, QUERY.replace('05122000', ags));
      expect([status, body.errors]).toEqual([200, undefined]);
    }
    for (let i = 0; i < 2; i++) expect((await gql(stack, STATES)).status).toBe(200);
  });

  it('/ops/api/operations reports exactly N for the signature and N fetches per subgraph', async () => {
    const { status, body } = await getJson('/ops/api/operations');
    expect(status).toBe(200);
    expect(body.supergraph.id).toBe(stack.gateway.engine.supergraph()!.id);
    expect(body.operations.map((o: any) => [o.id, o.operationName, o.count, o.errors])).toEqual([
      [signature.id, 'Solingen', N, 0],
      [statesSignature.id, 'States', 2, 0],
    ]);
    const solingen = body.operations[0];
    expect(solingen.signature).toBe(signature.signature);
    expect(solingen.signature).not.toContain('05122000');
    expect(solingen.subgraphs.map((s: any) => [s.name, s.fetches, s.errors])).toEqual([
      ['kommunen', N, 0],
      ['leistungen', N, 0],
      ['ratsinfo', N, 0],
      ['warnungen', N, 0],
    ]);
    expect(solingen.latency.count).toBe(N);
    expect(solingen.latency.p50Ms).toBeGreaterThan(0);
    expect(solingen.latency.p95Ms).toBeGreaterThanOrEqual(solingen.latency.p50Ms);
    expect(solingen.latency.p99Ms).toBeGreaterThanOrEqual(solingen.latency.p95Ms);
    expect(solingen.entityCacheHitRatio).toBeNull();
    expect(solingen.authorizationRemovedFields).toBe(0);
    expect(body.operations[1].subgraphs.map((s: any) => [s.name, s.fetches])).toEqual([['kommunen', 2]]);
  });

  it('/ops/api/operations/<id> has the plan tree with N executions of each fetch and no literal values', async () => {
    const { status, body } = await getJson(`/ops/api/operations/${signature.id}`);
    expect(status).toBe(200);
    expect(body.plan.fetchCount).toBe(4);
    const fetches: any[] = [];
    const walk = (node: any) => {
      if (!node) return;
      if (node.kind === 'Fetch') fetches.push(node);
      for (const child of [...(node.nodes ?? []), node.node]) walk(child);
    };
    walk(body.plan.root);
    expect(fetches.map((f) => [f.id, f.subgraph, f.entity, f.stats.count, f.stats.errors, f.stats.latency.count])).toEqual([
      [0, 'kommunen', false, N, 0, N],
      [1, 'ratsinfo', true, N, 0, N],
      [2, 'warnungen', true, N, 0, N],
      [3, 'leistungen', true, N, 0, N],
    ]);
    expect(fetches[3].fields).toEqual(['Municipality.taxOffice', 'Municipality.taxOffice.name']);
    expect(fetches[0].operation).toContain('municipality(ags: "")');
    for (const ags of AGS) expect(JSON.stringify(body)).not.toContain(ags);
  });

  it('/metrics reports exactly N requests for the signature and the fetches per subgraph', async () => {
    expect(await metricLines(/^amtsgraph_requests_total/)).toEqual([
      `amtsgraph_requests_total{signature="${signature.id}",operation_type="query",outcome="ok"} ${N}`,
      `amtsgraph_requests_total{signature="${statesSignature.id}",operation_type="query",outcome="ok"} 2`,
    ]);
    expect(await metricLines(/^amtsgraph_request_duration_seconds_count/)).toEqual([
      `amtsgraph_request_duration_seconds_count{signature="${signature.id}"} ${N}`,
      `amtsgraph_request_duration_seconds_count{signature="${statesSignature.id}"} 2`,
    ]);
    expect((await metricLines(/^amtsgraph_subgraph_fetches_total/)).sort()).toEqual([
      `amtsgraph_subgraph_fetches_total{subgraph="kommunen",outcome="ok"} ${N + 2}`,
      `amtsgraph_subgraph_fetches_total{subgraph="leistungen",outcome="ok"} ${N}`,
      `amtsgraph_subgraph_fetches_total{subgraph="ratsinfo",outcome="ok"} ${N}`,
      `amtsgraph_subgraph_fetches_total{subgraph="warnungen",outcome="ok"} ${N}`,
    ]);
    expect(await metricLines(/^amtsgraph_subgraph_fetch_duration_seconds_count\{subgraph="warnungen"/)).toEqual([
      `amtsgraph_subgraph_fetch_duration_seconds_count{subgraph="warnungen"} ${N}`,
    ]);
    expect(await metricLines(/^amtsgraph_operation_signature_info/)).toEqual([
      `amtsgraph_operation_signature_info{signature="${signature.id}",operation_name="Solingen"} 1`,
      `amtsgraph_operation_signature_info{signature="${statesSignature.id}",operation_name="States"} 1`,
    ]);
    expect(await metricLines(/^amtsgraph_supergraph_info/)).toEqual([
      `amtsgraph_supergraph_info{supergraph_id="${stack.gateway.engine.supergraph()!.id.slice(0, 16)}"} 1`,
    ]);
    const all = (await metricLines(/^amtsgraph_/)).join('\n');
    for (const ags of AGS) expect(all).not.toContain(ags);
  });

  it('a failing upstream shows as errors for the signature, the subgraph health and /metrics', async () => {
    await stack.stopStandIn('nina');
    try {
      const { body } = await gql(stack, QUERY);
      expect(body.data!.municipality.warnings).toBeNull();
      expect(body.errors!.map((e) => e.extensions!.code)).toEqual(['DOWNSTREAM_SERVICE_ERROR']);
    } finally {
      await stack.restartStandIn('nina');
    }
    const { body: operations } = await getJson('/ops/api/operations');
    expect(operations.operations[0]).toMatchObject({ id: signature.id, count: N + 1, errors: 1 });
    expect(operations.operations[0].subgraphs.find((s: any) => s.name === 'warnungen')).toMatchObject({ fetches: N + 1, errors: 1 });

    const { status, body } = await getJson('/ops/api/subgraphs');
    expect(status).toBe(200);
    const warnungen = body.subgraphs.find((s: any) => s.name === 'warnungen');
    expect(warnungen.probe).toMatchObject({ up: true, problem: null });
    expect(warnungen.traffic).toMatchObject({ fetches: N + 1, errors: 1, recentFetches: N + 1 });
    expect(warnungen.traffic.recentErrorRate).toBe(Math.round((1 / (N + 1)) * 10_000) / 10_000);
    expect(warnungen.traffic.lastError).toMatchObject({ kind: 'graphql', code: 'DOWNSTREAM_SERVICE_ERROR', description: 'answered with errors' });
    expect(body.subgraphs.find((s: any) => s.name === 'kommunen').traffic).toMatchObject({ fetches: N + 3, errors: 0, lastError: null });
    expect(body.subgraphs.map((s: any) => s.probe.up)).toEqual(body.subgraphs.map(() => true));

    expect(await metricLines(/^amtsgraph_(requests_total\{signature="[0-9a-f]+",operation_type="query",outcome="partial"|subgraph_fetch_errors_total)/)).toEqual([
      `amtsgraph_requests_total{signature="${signature.id}",operation_type="query",outcome="partial"} 1`,
      'amtsgraph_subgraph_fetch_errors_total{subgraph="warnungen",kind="graphql"} 1',
    ]);
  });

  it('/ops/api/overview names the supergraph and the store', async () => {
    const { status, body } = await getJson('/ops/api/overview');
    expect(status).toBe(200);
    const info = stack.gateway.engine.supergraph()!;
    expect(body.supergraph).toEqual({ id: info.id, loadedAt: info.loadedAt.toISOString(), subgraphs: info.subgraphs.length });
    expect(body.operations).toEqual({ tracked: 2, capacity: 1000, evicted: 0 });
    expect(body.gateway.engine).toBe('amtsgraph-plan-executor');
  });

  it('an unknown /ops/api path is 404 NOT_FOUND', async () => {
    const { status, body } = await getJson('/ops/api/catalog');
    expect([status, body]).toEqual([404, { errors: [{ message: 'Unknown ops API path; the operator API is described in the README, Operations.', extensions: { code: 'NOT_FOUND' } }] }]);
  });
});

describe('access to the operator endpoints', () => {
  const unauthenticated = (scope: string) => ({
    errors: [{ message: `This endpoint needs a bearer token with scope ${scope}.`, extensions: { code: 'UNAUTHENTICATED' } }],
  });

  it('the page loads without a token, with a strict CSP and no external references', async () => {
    const response = await fetch(`${base}/ops`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'");
    const html = await response.text();
    expect(html).toContain('<title>Amtsgraph operations</title>');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['/ops/ops.js', '/ops/ops.css']) {
      const r = await fetch(`${base}${asset}`);
      expect(r.status).toBe(200);
      expect(await r.text()).not.toMatch(/(src|href|url)\s*[(=:]\s*['"]?https?:/);
    }
  });

  it('without ops:read the page API is refused: 401 without or with an invalid token, 403 INSUFFICIENT_SCOPE with another scope', async () => {
    for (const route of ['/ops/api/operations', '/ops/api/overview', '/ops/api/subgraphs', '/ops/api/catalogue', '/ops/api/contracts/register']) {
      const anonymous = await getJson(route, {});
      expect([route, anonymous.status, anonymous.body]).toEqual([route, 401, unauthenticated('ops:read')]);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer scope="ops:read"');
      const forged = await getJson(route, bearer(`${opsToken.slice(0, -4)}AAAA`));
      expect([route, forged.status, forged.body.errors[0].extensions.code]).toEqual([route, 401, 'UNAUTHENTICATED']);
      const wrongScope = await getJson(route, bearer(await issuer.token({ scope: 'ops:plans ops:metrics audit:read' })));
      expect([route, wrongScope.status, wrongScope.body]).toEqual([
        route,
        403,
        { errors: [{ message: 'This endpoint needs the scope ops:read, which this token does not have.', extensions: { code: 'INSUFFICIENT_SCOPE' } }] },
      ]);
    }
  });

  it('/metrics: static token or a caller token with ops:metrics; refused otherwise', async () => {
    expect((await fetch(`${base}/metrics`, { headers: bearer(METRICS_TOKEN) })).status).toBe(200);
    const caller = await fetch(`${base}/metrics`, { headers: bearer(await issuer.token({ scope: 'ops:metrics' })) });
    expect([caller.status, caller.headers.get('content-type')]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
    const anonymous = await getJson('/metrics', {});
    expect([anonymous.status, anonymous.body]).toEqual([401, unauthenticated('ops:metrics')]);
    const wrongStatic = await getJson('/metrics', bearer('not-the-metrics-token-0123456789-0123456789'));
    expect([wrongStatic.status, wrongStatic.body.errors[0].extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
    const readOnly = await getJson('/metrics', bearer(opsToken));
    expect([readOnly.status, readOnly.body.errors[0].extensions.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
  });

  it('unknown operation ids and paths: 404; other methods: 405', async () => {
    expect((await getJson('/ops/api/operations/0123456789abcdef')).status).toBe(404);
    expect((await getJson('/ops/api/nothing')).status).toBe(404);
    expect((await getJson('/ops/api/contracts/..%2F..%2Fpackage.json')).status).toBe(404);
    const post = await fetch(`${base}/ops/api/operations`, { method: 'POST', headers: bearer(opsToken) });
    expect(post.status).toBe(405);
  });
});

describe('fields removed by authorization', () => {
  const RESIDENTS = 'query Residents { municipality(ags: "05122000") { name residentCount residents(first: 1) { totalCount } } }';
  const signature = operationSignature(parse(RESIDENTS), null)!;

  it('are counted under the signature of the operation as sent (not of the filtered one)', async () => {
    for (let i = 0; i < 2; i++) {
      const { body } = await gql(stack, RESIDENTS);
      expect(body.errors!.map((e) => [e.extensions!.code, e.extensions!.coordinate])).toEqual([['UNAUTHORIZED_FIELD_OR_TYPE', 'Municipality.residents']]);
    }
    const { body } = await getJson('/ops/api/operations');
    const residents = body.operations.find((o: any) => o.operationName === 'Residents');
    expect(residents).toMatchObject({ id: signature.id, signature: signature.signature, count: 2, errors: 2, authorizationRemovedFields: 2 });
    expect(residents.subgraphs.map((s: any) => [s.name, s.fetches])).toEqual([
      ['kommunen', 2],
      ['melderegister', 2],
    ]);
    expect(await metricLines(/^amtsgraph_authorization_filtered_/)).toEqual([
      'amtsgraph_authorization_filtered_fields_total 2',
      'amtsgraph_authorization_filtered_requests_total 2',
    ]);
    expect(await metricLines(new RegExp(`^amtsgraph_requests_total\\{signature="${signature.id}"`))).toEqual([
      `amtsgraph_requests_total{signature="${signature.id}",operation_type="query",outcome="partial"} 2`,
    ]);
  });
});
