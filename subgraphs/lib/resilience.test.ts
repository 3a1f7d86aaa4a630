import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createStandIn, type RunningStandIn } from '../../stand-ins/lib/stand-in';
import { createRestTransport } from './rest';
import {
  backoffDelayMs,
  createResilienceRegistry,
  createUpstreamResilience,
  parseRetryAfter,
  type BreakerTransition,
  type ResilienceOptions,
} from './resilience';

const schema = z.object({ n: z.number() });

describe('parseRetryAfter and backoffDelayMs', () => {
  it('reads delta-seconds and HTTP dates; ignores garbage', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter('0.25', now)).toBe(250);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:00:03 GMT', now)).toBe(3_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('equal jitter over an exponentially growing, capped ceiling', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, 100, 1_000, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, 100, 1_000, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('rejects invalid options with a message naming option and value', () => {
    expect(() => createUpstreamResilience({ subgraph: 's', upstream: 'u', timeoutMs: 100 }, { breaker: { failureThreshold: 0 } })).toThrow(
      'resilience option breaker.failureThreshold must be a positive number; received 0',
    );
    expect(() => createUpstreamResilience({ subgraph: 's', upstream: 'u', timeoutMs: 100 }, { retry: { maxRetries: -1 } })).toThrow(
      'resilience option retry.maxRetries must be a non-negative number; received -1',
    );
  });
});

describe('non-idempotent calls', () => {
  it('are attempted exactly once, even on a retryable failure', async () => {
    const resilience = createUpstreamResilience({ subgraph: 's', upstream: 'u', timeoutMs: 100 }, { retry: { baseDelayMs: 1 }, sleep: async () => {} });
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw new Error('503');
    };
    const classify = () => ({ retryable: true, breakerFailure: true });
    await expect(resilience.execute(attempt, { idempotent: false, classify })).rejects.toThrow('503');
    expect(calls).toBe(1);
    await expect(resilience.execute(attempt, { idempotent: true, classify })).rejects.toThrow('503');
    expect(calls).toBe(4);
  });
});

describe('cancellation (signal of execute)', () => {
  const WHERE = { subgraph: 's', upstream: 'u', timeoutMs: 1_000 };
  const retryable = () => ({ retryable: true, breakerFailure: true });
  /** An attempt that fails with a retryable error, counting its calls. */
  const failing = () => {
    const calls: number[] = [];
    return {
      calls,
      attempt: async ({ attempt }: { attempt: number }) => {
        calls.push(attempt);
        throw new Error('503');
      },
    };
  };

  it('an abort during the back-off ends the call at once: no further attempt, no retry counted', async () => {
    const resilience = createUpstreamResilience(WHERE, { retry: { baseDelayMs: 2_000, maxDelayMs: 2_000, deadlineMs: 10_000 }, random: () => 1 });
    const { attempt, calls } = failing();
    const caller = new AbortController();
    const started = Date.now();
    const call = resilience.execute(attempt, { idempotent: true, classify: retryable, signal: caller.signal });
    setTimeout(() => caller.abort(new Error('caller went away')), 50);
    await expect(call).rejects.toThrow('caller went away');
    expect(Date.now() - started).toBeLessThan(1_000); // not the 2 s back-off
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toEqual([1]);
    expect(resilience.stats()).toMatchObject({ attempts: 1, failures: 1, retries: 0, state: 'closed', consecutiveFailures: 1 });
  });

  it('also when an injected sleep ignores the signal; an already aborted call makes no attempt', async () => {
    const resilience = createUpstreamResilience(WHERE, { retry: { baseDelayMs: 1 }, sleep: () => new Promise<void>(() => {}) });
    const { attempt, calls } = failing();
    const caller = new AbortController();
    const call = resilience.execute(attempt, { idempotent: true, classify: retryable, signal: caller.signal });
    await new Promise((r) => setTimeout(r, 20));
    caller.abort(new Error('gone'));
    await expect(call).rejects.toThrow('gone');
    expect(calls).toEqual([1]);
    await expect(resilience.execute(attempt, { idempotent: true, classify: retryable, signal: caller.signal })).rejects.toThrow('gone');
    expect(calls).toEqual([1]);
    expect(resilience.stats()).toMatchObject({ attempts: 1, retries: 0 });
  });

  it('an attempt aborted in flight is neither classified, recorded nor retried: the breaker is exactly as before', async () => {
    const resilience = createUpstreamResilience(WHERE, { retry: { baseDelayMs: 1 }, breaker: { failureThreshold: 2 } });
    await expect(resilience.execute(failing().attempt, { idempotent: false, classify: retryable })).rejects.toThrow('503');
    const before = resilience.stats();
    expect(before).toMatchObject({ state: 'closed', consecutiveFailures: 1, attempts: 1, failures: 1 });
    let classified = 0;
    let attempts = 0;
    for (let i = 0; i < 3; i++) {
      const caller = new AbortController();
      const call = resilience.execute(
        () => {
          attempts += 1;
          return new Promise<never>((_, reject) => caller.signal.addEventListener('abort', () => reject(new Error('aborted request'))));
        },
        { idempotent: true, classify: () => ((classified += 1), { retryable: true, breakerFailure: true }), signal: caller.signal },
      );
      caller.abort();
      await expect(call).rejects.toThrow('aborted request');
    }
    expect([attempts, classified]).toEqual([3, 0]);
    expect(resilience.stats()).toEqual(before);
  });

  it('a cancelled probe frees the probe slot: the breaker stays half-open and the next call is the probe', async () => {
    let clock = 0;
    const resilience = createUpstreamResilience(WHERE, { retry: false, breaker: { failureThreshold: 1, coolDownMs: 1_000 }, now: () => clock });
    await expect(resilience.execute(failing().attempt, { idempotent: true, classify: retryable })).rejects.toThrow('503');
    expect(resilience.state()).toBe('open');
    clock += 1_000;
    const caller = new AbortController();
    const probe = resilience.execute(
      () => new Promise<never>((_, reject) => caller.signal.addEventListener('abort', () => reject(new Error('aborted probe')))),
      { idempotent: true, classify: retryable, signal: caller.signal },
    );
    caller.abort();
    await expect(probe).rejects.toThrow('aborted probe');
    expect(resilience.stats()).toMatchObject({ state: 'half-open', attempts: 1, failures: 1, shortCircuited: 0 });
    expect(await resilience.execute(async () => 'answered', { idempotent: true, classify: retryable })).toBe('answered');
    expect(resilience.stats()).toMatchObject({ state: 'closed', attempts: 2, failures: 1, shortCircuited: 0 });
  });
});

describe('REST transport with retries and a circuit breaker (stand-in fault injection)', () => {
  const standIn = createStandIn({
    name: 'test-upstream',
    routes: [
      { method: 'GET', path: '/thing', handler: () => ({ body: { n: 1 } }) },
      { method: 'GET', path: '/missing', handler: () => ({ status: 404, body: 'no such thing' }) },
      { method: 'GET', path: '/bad', handler: () => ({ status: 400, body: 'bad request' }) },
    ],
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

  const fast: ResilienceOptions = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };
  const transport = (resilience: ResilienceOptions | false = fast, timeoutMs = 1_000) =>
    createRestTransport({ subgraph: 'kommunen', upstream: 'register', baseUrl: running.url, timeoutMs, resilience });
  const statuses = () => standIn.stats().recent.map((r) => r.status);

  it('2 × 503 then success: 3 upstream requests, served', async () => {
    const http = transport();
    standIn.setFault({ status: 503, times: 2 });
    expect(await http.getJson('/thing', schema)).toEqual({ n: 1 });
    expect(statuses()).toEqual([503, 503, 200]);
    expect(http.resilience()).toMatchObject({ state: 'closed', attempts: 3, failures: 2, retries: 2, consecutiveFailures: 0 });
    await http.close();
  });

  it.each([502, 504, 429])('%i is retried', async (status) => {
    const http = transport();
    standIn.setFault({ status, times: 1 });
    expect(await http.getJson('/thing', schema)).toEqual({ n: 1 });
    expect(statuses()).toEqual([status, 200]);
    await http.close();
  });

  it('3 × 503: gives up after 2 retries (3 requests) with DOWNSTREAM_SERVICE_ERROR status 503', async () => {
    const http = transport();
    standIn.setFault({ status: 503 });
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({
      message: 'register (behind subgraph kommunen): answered HTTP 503',
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', status: 503, upstream: 'register' },
    });
    expect(standIn.stats().total).toBe(3);
    await http.close();
  });

  it('no retry on 404 (null), 400, 500 or garbage: exactly 1 request each', async () => {
    const http = transport();
    expect(await http.getJson('/missing', schema)).toBeNull();
    expect(standIn.stats().total).toBe(1);
    await expect(http.getJson('/bad', schema)).rejects.toMatchObject({ extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', status: 400 } });
    expect(standIn.stats().total).toBe(2);
    standIn.setFault({ status: 500, times: 1 });
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { status: 500 } });
    expect(standIn.stats().total).toBe(3);
    for (const garbage of ['html', 'invalid-json', 'wrong-shape'] as const) {
      standIn.setFault({ garbage, times: 1 });
      await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', status: 200 } });
    }
    expect(standIn.stats().total).toBe(6);
    await http.close();
  });

  it('timeouts are retried within the deadline; the last attempt gets what is left', async () => {
    const http = transport({ retry: { baseDelayMs: 10, maxDelayMs: 10, deadlineMs: 600, minAttemptMs: 20 }, breaker: false }, 200);
    standIn.setFault({ latencyMs: 1_000 });
    const started = Date.now();
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_TIMEOUT' } });
    const elapsed = Date.now() - started;
    // 200 ms attempt, ~10 ms, 200 ms attempt, ~10 ms, ≤ 180 ms attempt: 3 requests, ≤ deadline
    // (+ slack; the margins leave room for a loaded machine's late timers).
    expect(standIn.stats().total).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(1_000);
    await http.close();
  });

  it('one timeout then success: 2 requests, served', async () => {
    const http = transport(fast, 150);
    standIn.setFault({ latencyMs: 400, times: 1 });
    expect(await http.getJson('/thing', schema)).toEqual({ n: 1 });
    expect(standIn.stats().total).toBe(2);
    await http.close();
  });

  it('connection refused is retried (3 attempts) and stays DOWNSTREAM_SERVICE_ERROR "not reachable"', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const attempts: number[] = [];
    const http = createRestTransport({
      subgraph: 'kommunen',
      upstream: 'register',
      baseUrl: `http://127.0.0.1:${port}`,
      resilience: { retry: { baseDelayMs: 1, maxDelayMs: 1 }, sleep: async () => void attempts.push(Date.now()) },
    });
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ message: 'register (behind subgraph kommunen): not reachable' });
    expect(attempts).toHaveLength(2);
    expect(http.resilience()).toMatchObject({ attempts: 3, failures: 3, retries: 2 });
    await http.close();
  });

  it('resilience: false keeps the old behaviour (1 request)', async () => {
    const http = transport(false);
    standIn.setFault({ status: 503, times: 1 });
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { status: 503 } });
    expect(standIn.stats().total).toBe(1);
    expect(http.resilience()).toBeNull();
    await http.close();
  });

  const CANCELLED = {
    message: 'register (behind subgraph kommunen): call cancelled, the caller went away',
    extensions: { code: 'REQUEST_TIMEOUT', cancelled: true, subgraph: 'kommunen', upstream: 'register' },
  };

  it('a caller that aborts during the back-off after a 503 gets REQUEST_TIMEOUT (cancelled) at once: 1 request, no retry', async () => {
    const http = transport({ retry: { baseDelayMs: 800, maxDelayMs: 800, deadlineMs: 5_000 }, random: () => 1 });
    standIn.setFault({ status: 503, times: 1 });
    const caller = new AbortController();
    const started = Date.now();
    const call = http.getJson('/thing', schema, { signal: caller.signal });
    setTimeout(() => caller.abort(), 100);
    await expect(call).rejects.toMatchObject(CANCELLED);
    expect(Date.now() - started).toBeLessThan(600);
    await new Promise((r) => setTimeout(r, 900)); // past the back-off: still no second request
    expect(statuses()).toEqual([503]);
    expect(http.resilience()).toMatchObject({ state: 'closed', attempts: 1, failures: 1, retries: 0 });
    await http.close();
  });

  it('aborted in-flight requests are closed (the stand-in sees it) and do not count for the breaker', async () => {
    const http = transport({ retry: { baseDelayMs: 5 }, breaker: { failureThreshold: 1 } });
    standIn.setFault({ latencyMs: 1_500 });
    for (let i = 0; i < 3; i++) {
      const caller = new AbortController();
      const call = http.getJson('/thing', schema, { signal: caller.signal });
      setTimeout(() => caller.abort(), 50);
      await expect(call).rejects.toMatchObject(CANCELLED);
    }
    const until = Date.now() + 1_000;
    while (standIn.stats().aborted < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(standIn.stats()).toMatchObject({ total: 3, aborted: 3 });
    expect(http.resilience()).toMatchObject({ state: 'closed', consecutiveFailures: 0, attempts: 0, failures: 0, retries: 0, transitions: [] });
    standIn.setFault(null);
    expect(await http.getJson('/thing', schema)).toEqual({ n: 1 });
    expect(standIn.stats()).toMatchObject({ total: 4, aborted: 3 });
    await http.close();
  });

  it('breaker: closed → open → half-open → closed with exact request counts; open answers without a request', async () => {
    let clock = 1_000_000;
    const events: BreakerTransition[] = [];
    const registry = createResilienceRegistry({
      retry: false,
      breaker: { failureThreshold: 3, coolDownMs: 5_000 },
      now: () => clock,
      onTransition: (t) => events.push(t),
    });
    const http = createRestTransport({ subgraph: 'kommunen', upstream: 'register', baseUrl: running.url, resilience: registry });
    standIn.setFault({ status: 500 });
    for (let i = 0; i < 3; i++) await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { status: 500 } });
    expect(standIn.stats().total).toBe(3);
    expect(http.resilience()).toMatchObject({ state: 'open', consecutiveFailures: 3, retryAt: 1_005_000 });

    // Open: answered at once, no upstream request.
    const open = await http.getJson('/thing', schema).catch((e: unknown) => e);
    expect(open).toMatchObject({
      message: 'register (behind subgraph kommunen): circuit open after repeated failures; not asked again for 5 s',
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', circuit: 'open', subgraph: 'kommunen', upstream: 'register' },
    });
    expect(standIn.stats().total).toBe(3);

    // After the cool-down one probe goes through; it fails: open again.
    clock += 5_000;
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { status: 500 } });
    expect(standIn.stats().total).toBe(4);
    expect(http.resilience()!.state).toBe('open');
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { circuit: 'open' } });
    expect(standIn.stats().total).toBe(4);

    // Next cool-down: the upstream is back; while the probe is in flight, others are refused.
    clock += 5_000;
    standIn.setFault({ latencyMs: 100 });
    const probe = http.getJson('/thing', schema);
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { circuit: 'open' } });
    expect(await probe).toEqual({ n: 1 });
    expect(standIn.stats().total).toBe(5);
    expect(await http.getJson('/thing', schema)).toEqual({ n: 1 });
    expect(standIn.stats().total).toBe(6);

    expect(events.map((e) => [e.from, e.to, e.reason])).toEqual([
      ['closed', 'open', 'failure-threshold'],
      ['open', 'half-open', 'cool-down-elapsed'],
      ['half-open', 'open', 'probe-failed'],
      ['open', 'half-open', 'cool-down-elapsed'],
      ['half-open', 'closed', 'probe-succeeded'],
    ]);
    expect(registry.stats()).toEqual([
      expect.objectContaining({ subgraph: 'kommunen', upstream: 'register', state: 'closed', attempts: 6, failures: 4, shortCircuited: 3 }),
    ]);
    await http.close();
  });

  it('breaker opens on a failure ratio in the window (flapping upstream)', async () => {
    const http = transport({ retry: false, breaker: { failureThreshold: 100, failureRatio: { ratio: 0.5, minimumRequests: 6, windowMs: 60_000 } } });
    for (let i = 0; i < 6; i++) {
      standIn.setFault(i % 2 === 0 ? { status: 503, times: 1 } : null);
      await http.getJson('/thing', schema).catch(() => null);
    }
    expect(statuses()).toEqual([503, 200, 503, 200, 503, 200]);
    expect(http.resilience()).toMatchObject({ state: 'open', consecutiveFailures: 0 });
    expect(http.resilience()!.transitions.map((t) => t.reason)).toEqual(['failure-ratio']);
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { circuit: 'open' } });
    expect(standIn.stats().total).toBe(6);
    await http.close();
  });

  it('retries stop when the breaker opens in between', async () => {
    const http = transport({ retry: { baseDelayMs: 1, maxDelayMs: 1, maxRetries: 5 }, breaker: { failureThreshold: 2 } });
    standIn.setFault({ status: 503 });
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { status: 503 } });
    expect(standIn.stats().total).toBe(2);
    expect(http.resilience()!.state).toBe('open');
    await http.close();
  });
});

describe('Retry-After', () => {
  let server: Server;
  let url: string;
  let answers: { status: number; retryAfter?: string }[] = [];
  const seen: number[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(Date.now());
      const next = answers.shift() ?? { status: 200 };
      if (next.status === 200) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"n":1}');
        return;
      }
      res.writeHead(next.status, next.retryAfter ? { 'retry-after': next.retryAfter } : {});
      res.end('busy');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    seen.length = 0;
    answers = [];
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const transport = (retry: NonNullable<Exclude<ResilienceOptions['retry'], false>>) =>
    createRestTransport({ subgraph: 'kommunen', upstream: 'register', baseUrl: url, timeoutMs: 1_000, resilience: { retry: { baseDelayMs: 1, maxDelayMs: 1, ...retry } } });

  it('waits at least the Retry-After seconds (503, "1" → ≥ 1000 ms)', async () => {
    answers = [{ status: 503, retryAfter: '1' }];
    const http = transport({ deadlineMs: 3_000 });
    expect(await http.getJson('/thing', schema)).toEqual({ n: 1 });
    expect(seen).toHaveLength(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(990);
    await http.close();
  });

  it('honours an HTTP date, capped at retryAfterCapMs (429 asking for an hour waits the cap)', async () => {
    answers = [{ status: 429, retryAfter: new Date(Date.now() + 3_600_000).toUTCString() }];
    const http = transport({ retryAfterCapMs: 150 });
    expect(await http.getJson('/thing', schema)).toEqual({ n: 1 });
    expect(seen).toHaveLength(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(140);
    expect(seen[1]! - seen[0]!).toBeLessThan(600);
    await http.close();
  });

  it('does not retry when the Retry-After does not fit in the deadline', async () => {
    answers = [{ status: 503, retryAfter: '2' }];
    const http = transport({ deadlineMs: 500, retryAfterCapMs: 5_000 });
    const started = Date.now();
    await expect(http.getJson('/thing', schema)).rejects.toMatchObject({ extensions: { status: 503 } });
    expect(seen).toHaveLength(1);
    // Far below the 2 s the Retry-After asked for: it gave up at once.
    expect(Date.now() - started).toBeLessThan(1_000);
    await http.close();
  });
});
