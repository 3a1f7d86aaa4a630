import { memoryLogger } from '../common/logger';
import { resolveConfig } from '../gateway/src/config';
import type { Stack } from '../scripts/stack';
import { gql, startTestStack } from './testkit';

/**
 * The gateway's request deadline (limits.requestDeadlineMs, plugins/use-request-deadline.ts):
 * a request that runs past it is answered at once with REQUEST_TIMEOUT, and its in-flight
 * subgraph fetches are cancelled (undici aborts them; the gateway logs the cancellation).
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

describe('request deadline', () => {
  it('defaults to 15 s; a value below 1 ms is refused naming the option', () => {
    const identitySecret = 'x'.repeat(43);
    expect(resolveConfig({ identitySecret }).limits.requestDeadlineMs).toBe(15_000);
    expect(() => resolveConfig({ identitySecret, limits: { requestDeadlineMs: 0 } })).toThrow(/"limits\.requestDeadlineMs"/);
  });

  it('a request slower than the deadline gets REQUEST_TIMEOUT within ~1 s and its subgraph fetch is cancelled', async () => {
    stack.standIns.nina!.standIn.setFault({ latencyMs: 2_000 });
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
  });
});
