import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'graphql';
import type { GatewayConfigInput } from '../gateway/src/config';
import type { Stack } from '../scripts/stack';
import { planCommand } from '../scripts/plan';
import { bearer, createTestIssuer, gql, REPO_ROOT, resetUpstreamCounts, startTestStack, upstreamCounts, type TestIssuer } from './testkit';

/**
 * Query plans: the plan of a fixed cross-subgraph operation equals the committed snapshot
 * (tests/fixtures/ops/solingen.plan.{txt,json}); `npm run plan` prints it without executing;
 * the x-amtsgraph-query-plan header serves it only to callers with scope ops:plans and
 * executes nothing for anyone else.
 */
const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'ops', 'solingen.graphql');
const QUERY = readFileSync(FIXTURE, 'utf8');
const EXPECTED_TEXT = readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'ops', 'solingen.plan.txt'), 'utf8');
const EXPECTED_JSON = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'ops', 'solingen.plan.json'), 'utf8'));
const PLAN_HEADER = 'x-amtsgraph-query-plan';
const NO_UPSTREAM_CALLS = { register: 0, leika: 0, abfallnavi: 0, oparl: 0, nina: 0 };

let stack: Stack;
let issuer: TestIssuer;
jest.setTimeout(60_000);

beforeAll(async () => {
  issuer = await createTestIssuer();
  stack = await startTestStack({ gateway: { authentication: issuer.authentication as GatewayConfigInput['authentication'] } });
});
afterAll(() => stack?.stop());

const upstreamCallsOf = (s: Stack) => Object.fromEntries(Object.entries(upstreamCounts(s)).filter(([name]) => name in NO_UPSTREAM_CALLS));

describe('the plan of a fixed cross-subgraph operation', () => {
  it('equals the committed snapshot (engine.plan, text and JSON)', () => {
    const plan = stack.gateway.engine.plan(parse(QUERY), 'Solingen');
    expect(`${plan.text}\n`).toBe(EXPECTED_TEXT);
    expect({ operationName: 'Solingen', fetchCount: plan.fetchCount, root: plan.root }).toEqual(EXPECTED_JSON);
    expect(plan.fetchCount).toBe(4);
    expect(EXPECTED_JSON.root.nodes[0]).toMatchObject({ kind: 'Fetch', subgraph: 'kommunen', entity: false });
    expect(EXPECTED_JSON.root.nodes[1].nodes.map((n: { node: { subgraph: string } }) => n.node.subgraph)).toEqual(['ratsinfo', 'warnungen', 'leistungen']);
  });

  it('npm run plan prints the same text and JSON without executing anything', async () => {
    let out = '';
    let err = '';
    const code = await planCommand([FIXTURE], { out: (t) => (out += t), err: (t) => (err += t) });
    expect([code, err]).toEqual([0, '']);
    expect(out).toBe(`${EXPECTED_TEXT}\n${JSON.stringify(EXPECTED_JSON, null, 2)}\n`);
    expect(upstreamCallsOf(stack)).toEqual(NO_UPSTREAM_CALLS);
  });

  it('the npm script runs as documented (tsx scripts/plan.ts --format json)', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'plan', '--', FIXTURE, '--format', 'json'], { cwd: REPO_ROOT });
    expect(JSON.parse(stdout)).toEqual(EXPECTED_JSON);
  });

  it('npm run plan refuses an operation that does not fit the schema, and bad arguments', async () => {
    const dir = path.join(REPO_ROOT, 'tests', 'fixtures', 'ops');
    let err = '';
    const io = { out: () => {}, err: (t: string) => (err += t) };
    expect(await planCommand([path.join(dir, 'missing.graphql')], io)).toBe(2);
    expect(err).toContain('plan: cannot read');
    err = '';
    expect(await planCommand([FIXTURE, '--format', 'yaml'], io)).toBe(2);
    expect(err).toContain('plan: --format must be text, json or both, received "yaml"');
    err = '';
    const wrong = path.join(mkdtempSync(path.join(tmpdir(), 'amtsgraph-plan-')), 'wrong.graphql');
    writeFileSync(wrong, '{ municipality(ags: "05122000") { mayor } }');
    expect(await planCommand([wrong], io)).toBe(1);
    expect(err).toBe('plan: the operation does not fit the schema:\n- Cannot query field "mayor" on type "Municipality".\n');
  });
});

describe('x-amtsgraph-query-plan header', () => {
  beforeEach(() => resetUpstreamCounts(stack));

  it('include: a caller with ops:plans gets the result and the plan in extensions.queryPlan', async () => {
    const token = await issuer.token({ scope: 'ops:plans' });
    const { status, body } = await gql(stack, QUERY, undefined, { ...bearer(token), [PLAN_HEADER]: 'include' });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.municipality.name).toBe('Solingen, Klingenstadt');
    const queryPlan = (body as { extensions?: { queryPlan?: { mode: string; text: string; root: unknown } } }).extensions!.queryPlan!;
    expect(queryPlan.mode).toBe('include');
    expect(`${queryPlan.text}\n`).toBe(EXPECTED_TEXT);
    expect(queryPlan.root).toEqual(EXPECTED_JSON.root);
  });

  it('only: a caller with ops:plans gets the plan and nothing is executed', async () => {
    const token = await issuer.token({ scope: 'ops:read ops:plans' });
    const { status, body } = await gql(stack, QUERY, undefined, { ...bearer(token), [PLAN_HEADER]: 'only' });
    expect(status).toBe(200);
    expect(body).toEqual({ data: null, extensions: { queryPlan: { mode: 'only', text: EXPECTED_TEXT.trimEnd(), root: EXPECTED_JSON.root } } });
    expect(upstreamCallsOf(stack)).toEqual(NO_UPSTREAM_CALLS);
  });

  it('without a token: 401 UNAUTHENTICATED, no plan, nothing executed', async () => {
    for (const mode of ['include', 'only']) {
      const { status, body } = await gql(stack, QUERY, undefined, { [PLAN_HEADER]: mode });
      expect(status).toBe(401);
      expect(body).toEqual({
        errors: [{ message: 'Query plans need a bearer token with scope ops:plans.', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    expect(upstreamCallsOf(stack)).toEqual(NO_UPSTREAM_CALLS);
  });

  it('with a token without ops:plans: 403 QUERY_PLAN_NOT_ALLOWED, no plan, nothing executed', async () => {
    const token = await issuer.token({ scope: 'ops:read ops:metrics' });
    for (const mode of ['include', 'only']) {
      const { status, body } = await gql(stack, QUERY, undefined, { ...bearer(token), [PLAN_HEADER]: mode });
      expect(status).toBe(403);
      expect(body).toEqual({
        errors: [
          { message: 'Query plans need the scope ops:plans, which this token does not have.', extensions: { code: 'QUERY_PLAN_NOT_ALLOWED' } },
        ],
      });
    }
    expect(upstreamCallsOf(stack)).toEqual(NO_UPSTREAM_CALLS);
  });

  it('another header value: 400 BAD_REQUEST, nothing executed', async () => {
    const token = await issuer.token({ scope: 'ops:plans' });
    const { status, body } = await gql(stack, QUERY, undefined, { ...bearer(token), [PLAN_HEADER]: 'verbose' });
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ message: 'The x-amtsgraph-query-plan header must be "include" or "only".', extensions: { code: 'BAD_REQUEST' } }]);
    expect(upstreamCallsOf(stack)).toEqual(NO_UPSTREAM_CALLS);
  });
});
