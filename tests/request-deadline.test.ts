import { memoryLogger } from '../common/logger';
import { resolveConfig } from '../gateway/src/config';
import type { Stack } from '../scripts/stack';
import { gql, startTestStack } from './testkit';

/**
 * The gateway's request deadline (limits.requestDeadlineMs, plugins/use-request-deadline.ts):
 * a request that runs past it is answered at once with REQUEST_TIMEOUT, and its in-flight
 * subgraph fetches are cancelled (undici aborts them; the gateway logs the cancellation).
 * The subgraph sees its caller go away (yoga's request.signal) and cancels its own REST call
 * (subgraphs/lib/rest.ts): the upstream stand-in sees that connection closed long before its
 * injected latency ends.
 */
const DEADLINE_MS = 300;
const { logger, records: lines } = memoryLogger('warn');

let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack({
    logger,
    // Upstream (REST) and subgraph timeouts both far beyond the deadline: only the deadline ends the request.
    subgraphTimeoutMs: 5_000,
    gateway: { subgraphTimeoutMs: 5_000, limits: { requestDeadlineMs: DEADLINE_MS } },
  });
});
afterAll(() => stack.stop());

const QUERY = '{ municipality(ags: "05122000") { name warnings { headline } } }';
const cancelled = () => lines.filter((l) => l.msg === 'subgraph fetch cancelled: request deadline passed');
const subgraphCancelled = () => lines.filter((l) => l.msg === 'subgraph request cancelled: the caller went away');

/** Polls `read` every 10 ms until it returns `expected` or `withinMs` passed; returns the last value. */
async function eventually<T>(read: () => T, expected: T, withinMs: number): Promise<T> {
  const until = performance.now() + withinMs;
  let value = read();
  while (value !== expected && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
    value = read();
  }
  return value;
}

describe('request deadline', () => {
  it('defaults to 15 s; a value below 1 ms is refused naming the option', () => {
    const identitySecret = 'x'.repeat(43);
    expect(resolveConfig({ identitySecret }).limits.requestDeadlineMs).toBe(15_000);
    expect(() => resolveConfig({ identitySecret, limits: { requestDeadlineMs: 0 } })).toThrow(/"limits\.requestDeadlineMs"/);
  });

  it('a request slower than the deadline gets REQUEST_TIMEOUT within ~1 s; its subgraph fetch and the REST call behind it are cancelled', async () => {
    const nina = stack.standIns.nina!.standIn;
    nina.resetStats();
    nina.setFault({ latencyMs: 2_000 });
    try {
      const started = performance.now();
      const { status, body } = await gql(stack, QUERY);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
      expect(elapsed).toBeLessThan(1_000);
      expect(status).toBe(200);
      expect(body).toEqual({
        data: null,
        errors: [
          {
            message: `The request did not complete within ${DEADLINE_MS} ms; it was cancelled.`,
            extensions: { code: 'REQUEST_TIMEOUT', deadlineMs: DEADLINE_MS },
          },
        ],
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(cancelled().map((l) => l.subgraph)).toEqual(['warnungen']);
      // The subgraph's NINA call was closed by its client (the subgraph), not answered after 2 s.
      expect(await eventually(() => nina.stats().aborted, 1, 1_000)).toBe(1);
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(nina.stats()).toMatchObject({ total: 1, aborted: 1, byRoute: { 'GET /api31/dashboard/:file': 1 } });
      expect(subgraphCancelled().map((l) => [l.component, l.subgraph])).toEqual([['subgraph-warnungen', 'warnungen']]);
      // No retry of the cancelled call, and no late second request once the latency has passed.
      await new Promise((r) => setTimeout(r, 2_200 - (performance.now() - started)));
      expect(nina.stats()).toMatchObject({ total: 1, aborted: 1 });
    } finally {
      stack.standIns.nina!.standIn.setFault(null);
    }
  });

  it('a later normal request is served in full', async () => {
    const { body } = await gql(stack, QUERY);
    expect(body.errors).toBeUndefined();
    expect(body.data!.municipality.name).toBe('Solingen, Klingenstadt');
    expect(body.data!.municipality.warnings).toHaveLength(2);
    expect(cancelled()).toHaveLength(1);
    expect(subgraphCancelled()).toHaveLength(1);
    expect(stack.standIns.nina!.standIn.stats()).toMatchObject({ total: 2, aborted: 1 });
  });
});
