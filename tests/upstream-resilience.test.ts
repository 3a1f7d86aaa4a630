import type { Stack } from '../scripts/stack';
import { gql, resetUpstreamCounts, startTestStack, upstreamCounts } from './testkit';

/**
 * Upstream resilience through the gateway (subgraphs/lib/resilience.ts via rest.ts): retries
 * of idempotent reads on 503 and timeouts, none on garbage; a failing upstream nulls only its
 * own part. The stack's transports use the defaults (2 retries, no breaker: the breaker is
 * opt-in until the stack wires a registry; its transitions are tested in
 * subgraphs/lib/resilience.test.ts).
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack({ subgraphTimeoutMs: 1_000, gateway: { subgraphTimeoutMs: 5_000 } });
});
afterAll(() => stack.stop());
afterEach(() => {
  for (const entry of Object.values(stack.standIns)) entry!.standIn.setFault(null);
  resetUpstreamCounts(stack);
});

const QUERY = '{ municipality(ags: "05122000") { name warnings { headline } taxOffice { name } } }';

describe('upstream resilience through the gateway', () => {
  it('nina fails twice with 503, then answers: 3 nina requests, everything served', async () => {
    const healthy = await gql(stack, QUERY);
    resetUpstreamCounts(stack);
    stack.standIns.nina!.standIn.setFault({ status: 503, times: 2 });
    const { body } = await gql(stack, QUERY);
    expect(body).toEqual(healthy.body);
    expect(stack.standIns.nina!.standIn.stats().recent.map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('a failing upstream (503 always): 3 requests, only its part is null with DOWNSTREAM_SERVICE_ERROR', async () => {
    stack.standIns.leika!.standIn.setFault({ status: 503 });
    const { body } = await gql(stack, QUERY);
    expect(body.data!.municipality.name).toBe('Solingen, Klingenstadt');
    expect(body.data!.municipality.taxOffice).toBeNull();
    expect(body.errors!.map((e) => [e.path, e.extensions!.code, e.extensions!.upstream, e.extensions!.status])).toEqual([
      [['municipality', 'taxOffice'], 'DOWNSTREAM_SERVICE_ERROR', 'leika', 503],
    ]);
    expect(upstreamCounts(stack).leika).toBe(3);
  });

  it('a slow upstream: UPSTREAM_TIMEOUT within the deadline (1 s timeout, 1.5 s deadline: 2 requests; a loaded machine still has room for the retry)', async () => {
    stack.standIns.nina!.standIn.setFault({ latencyMs: 4_000 });
    const started = Date.now();
    const { body } = await gql(stack, QUERY);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(body.data!.municipality.warnings).toBeNull();
    expect(body.errors!.map((e) => [e.path, e.extensions!.code, e.extensions!.subgraph])).toEqual([
      [['municipality', 'warnings'], 'UPSTREAM_TIMEOUT', 'warnungen'],
    ]);
    expect(upstreamCounts(stack).nina).toBe(2);
  });

  it('garbage (HTML error page) is not retried: 1 request, DOWNSTREAM_SERVICE_ERROR, nothing leaked', async () => {
    stack.standIns.leika!.standIn.setFault({ garbage: 'html' });
    const { body } = await gql(stack, QUERY);
    expect(body.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([[['municipality', 'taxOffice'], 'DOWNSTREAM_SERVICE_ERROR']]);
    expect(JSON.stringify(body)).not.toMatch(/<html|Bad Gateway/);
    expect(upstreamCounts(stack).leika).toBe(1);
  });

  it('a flapping upstream (503, 200, 503, 200): every request served after one retry each', async () => {
    const healthy = await gql(stack, QUERY);
    resetUpstreamCounts(stack);
    for (let i = 0; i < 2; i++) {
      stack.standIns.nina!.standIn.setFault({ status: 503, times: 1 });
      expect((await gql(stack, QUERY)).body).toEqual(healthy.body);
    }
    expect(stack.standIns.nina!.standIn.stats().recent.map((r) => r.status)).toEqual([503, 200, 503, 200]);
  });
});
