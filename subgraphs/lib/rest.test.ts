import { z } from 'zod';
import { createStandIn, type RunningStandIn } from '../../stand-ins/lib/stand-in';
import { createRestTransport } from './rest';

/**
 * Cancellation in the transport itself (without the cache): the caller's signal aborts its
 * upstream request or its place in the concurrency queue. Single-flight sharing is tested in
 * http-cache.test.ts, retries and the breaker in resilience.test.ts.
 */
const schema = z.object({ n: z.number() });
const CANCELLED = {
  message: 'register (behind subgraph kommunen): call cancelled, the caller went away',
  extensions: { code: 'REQUEST_TIMEOUT', cancelled: true, subgraph: 'kommunen', upstream: 'register' },
};

describe('REST transport: a caller that goes away (RequestOptions.signal)', () => {
  const standIn = createStandIn({
    name: 'test-upstream',
    routes: [{ method: 'GET', path: '/thing', handler: () => ({ body: { n: 1 } }) }],
    errorBody: (status, message) => ({ status, message }),
  });
  let running: RunningStandIn;
  beforeAll(async () => {
    running = await standIn.listen(0);
  });
  afterEach(() => {
    standIn.setFault(null);
    standIn.resetStats();
  });
  afterAll(() => running.close());

  const transport = (maxConcurrency?: number) =>
    createRestTransport({ subgraph: 'kommunen', upstream: 'register', baseUrl: running.url, timeoutMs: 5_000, maxConcurrency });
  const abortedWithin = async (expected: number, withinMs: number) => {
    const until = Date.now() + withinMs;
    while (standIn.stats().aborted !== expected && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return standIn.stats().aborted;
  };

  it('an in-flight request is closed at once: REQUEST_TIMEOUT (cancelled), the stand-in sees 1 request abandoned', async () => {
    const http = transport();
    standIn.setFault({ latencyMs: 2_000 });
    const caller = new AbortController();
    const started = Date.now();
    const call = http.getJson('/thing', schema, { signal: caller.signal });
    setTimeout(() => caller.abort(), 100);
    await expect(call).rejects.toMatchObject(CANCELLED);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await abortedWithin(1, 1_000)).toBe(1);
    expect(standIn.stats()).toMatchObject({ total: 1, aborted: 1 });
    await http.close();
  });

  it('an already aborted caller sends nothing', async () => {
    const http = transport();
    await expect(http.getJson('/thing', schema, { signal: AbortSignal.abort() })).rejects.toMatchObject(CANCELLED);
    expect(standIn.stats().total).toBe(0);
    await http.close();
  });

  it('a caller queued behind maxConcurrency leaves the queue: its request is never sent', async () => {
    const http = transport(1);
    standIn.setFault({ latencyMs: 300, times: 1 });
    const busy = http.getJson('/thing', schema);
    const caller = new AbortController();
    const queued = http.getJson('/thing', schema, { signal: caller.signal });
    await new Promise((r) => setTimeout(r, 50));
    caller.abort();
    await expect(queued).rejects.toMatchObject(CANCELLED);
    expect(await busy).toEqual({ n: 1 });
    expect(await http.getJson('/thing', schema)).toEqual({ n: 1 });
    expect(standIn.stats()).toMatchObject({ total: 2, aborted: 0 });
    await http.close();
  });

  it('a signal that never aborts changes nothing', async () => {
    const http = transport();
    expect(await http.getJson('/thing', schema, { signal: new AbortController().signal })).toEqual({ n: 1 });
    expect(standIn.stats()).toMatchObject({ total: 1, aborted: 0 });
    await http.close();
  });
});
