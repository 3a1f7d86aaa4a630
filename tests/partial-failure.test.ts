import type { Stack } from '../scripts/stack';
import { gql, startTestStack } from './testkit';

/**
 * When one upstream or subgraph fails, the others' data is still returned, with an error for
 * the failed part that names the subgraph; the gateway keeps serving.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack({ subgraphTimeoutMs: 300, gateway: { subgraphTimeoutMs: 2_000 } });
});
afterAll(() => stack.stop());

const QUERY = '{ municipality(ags: "05122000") { name population warnings { headline } taxOffice { name } } }';

describe('partial failure', () => {
  it('an upstream REST service that is stopped: other subgraphs still answer', async () => {
    const healthy = await gql(stack, QUERY);
    expect(healthy.body.errors).toBeUndefined();
    const taxOffice = healthy.body.data!.municipality.taxOffice;

    await stack.stopStandIn('nina');
    try {
      const { status, body } = await gql(stack, QUERY);
      expect(status).toBe(200);
      expect(body.data).toEqual({
        municipality: { name: 'Solingen, Klingenstadt', population: 159193, warnings: null, taxOffice },
      });
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]).toMatchObject({
        path: ['municipality', 'warnings'],
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'warnungen', upstream: 'nina', serviceName: 'warnungen' },
      });
      expect(body.errors![0]!.message).toBe('nina (behind subgraph warnungen): not reachable');
    } finally {
      await stack.restartStandIn('nina');
    }
    const again = await gql(stack, QUERY);
    expect(again.body.errors).toBeUndefined();
  });

  it('an upstream that times out: UPSTREAM_TIMEOUT for that part only', async () => {
    stack.standIns.nina!.standIn.setFault({ latencyMs: 1_000 });
    try {
      const { body } = await gql(stack, QUERY);
      expect(body.data!.municipality.name).toBe('Solingen, Klingenstadt');
      expect(body.data!.municipality.warnings).toBeNull();
      expect(body.errors!.map((e) => [e.path, e.extensions!.code, e.extensions!.subgraph])).toEqual([
        [['municipality', 'warnings'], 'UPSTREAM_TIMEOUT', 'warnungen'],
      ]);
    } finally {
      stack.standIns.nina!.standIn.setFault(null);
    }
  });

  it('an upstream answering an HTML error page or HTTP 503: DOWNSTREAM_SERVICE_ERROR, no upstream body leaked', async () => {
    for (const fault of [{ garbage: 'html' as const }, { status: 503 }]) {
      stack.standIns.leika!.standIn.setFault(fault);
      try {
        const { body } = await gql(stack, QUERY);
        expect(body.data!.municipality.population).toBe(159193);
        expect(body.data!.municipality.taxOffice).toBeNull();
        expect(body.errors!.map((e) => [e.path, e.extensions!.code, e.extensions!.subgraph])).toEqual([
          [['municipality', 'taxOffice'], 'DOWNSTREAM_SERVICE_ERROR', 'leistungen'],
        ]);
        expect(JSON.stringify(body)).not.toMatch(/<html|Bad Gateway|injected fault/);
      } finally {
        stack.standIns.leika!.standIn.setFault(null);
      }
    }
  });

  it('a subgraph that is down: its fields are null with an error naming it; the gateway keeps serving', async () => {
    await stack.subgraphs.warnungen.listening.close();
    const { status, body } = await gql(stack, QUERY);
    expect(status).toBe(200);
    expect(body.data!.municipality.name).toBe('Solingen, Klingenstadt');
    expect(body.data!.municipality.warnings).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({
      message: 'Subgraph "warnungen" is not reachable',
      path: ['municipality'],
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'warnungen', serviceName: 'warnungen' },
    });
    const base = stack.gatewayUrl.replace(/\/graphql$/, '');
    await new Promise((r) => setTimeout(r, 1_100)); // readiness result is cached for 1 s
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const readiness = (await ready.json()) as { subgraphs: { name: string; up: boolean }[] };
    expect(readiness.subgraphs.filter((s) => !s.up).map((s) => s.name)).toEqual(['warnungen']);
    const other = await gql(stack, '{ state(code: "05") { name } }');
    expect(other.body).toEqual({ data: { state: { name: 'Nordrhein-Westfalen' } } });
  });
});
