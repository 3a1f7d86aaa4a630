import { createClient } from 'redis';
import type { Stack } from '../scripts/stack';
import { slidingWindow } from '../gateway/src/plugins/use-rate-limit';
import { bearer, createTestIssuer, startTestStack, type TestIssuer } from './testkit';

/** Per-client rate limits: 429 RATE_LIMITED with Retry-After; keyed by subject, anonymous by IP. */
const QUERY = JSON.stringify({ query: '{ __typename }' });
async function hit(stack: Stack, headers: Record<string, string> = {}) {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: QUERY,
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { errors?: { extensions?: { code?: string; retryAfterSeconds?: number } }[] } };
}
async function statuses(stack: Stack, n: number, headers: Record<string, string> = {}) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await hit(stack, headers)).status);
  return out;
}

describe('sliding window', () => {
  it('allows up to the limit, weighs the previous window by what is left of it', () => {
    expect(slidingWindow({ previous: 0, current: 4 }, 5, 0)).toEqual({ allowed: true, retryAfterSeconds: 0 });
    expect(slidingWindow({ previous: 0, current: 5 }, 5, 0)).toEqual({ allowed: false, retryAfterSeconds: 72 });
    // 5 in this window: it must become the previous one and shrink to 4 → 60 s + 12 s.
    // half of the previous window still counts: 10 × 0.5 + 0 = 5 → the next one waits ~6 s.
    expect(slidingWindow({ previous: 10, current: 0 }, 5, 30_000)).toEqual({ allowed: false, retryAfterSeconds: 6 });
    expect(slidingWindow({ previous: 10, current: 0 }, 5, 36_000)).toEqual({ allowed: true, retryAfterSeconds: 0 });
  });
});

describe('in memory', () => {
  let stack: Stack;
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    stack = await startTestStack({
      gateway: { authentication: issuer.authentication as never, rateLimit: { enabled: true, anonymousPerMinute: 3, authenticatedPerMinute: 5 } },
    });
  });
  afterAll(() => stack.stop());

  it('anonymous callers: 3 per minute by client IP, then 429 RATE_LIMITED with Retry-After', async () => {
    expect(await statuses(stack, 3)).toEqual([200, 200, 200]);
    const refused = await hit(stack);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(120);
    expect(refused.body.errors!.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
    expect(refused.body.errors![0]!.extensions!.retryAfterSeconds).toBe(Number(refused.retryAfter));
  });

  it('authenticated callers: 5 per minute per subject, independent of the IP and of each other', async () => {
    const alice = bearer(await issuer.token({ sub: 'rate-alice' }));
    const bob = bearer(await issuer.token({ sub: 'rate-bob' }));
    expect(await statuses(stack, 6, alice)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(await statuses(stack, 1, bob)).toEqual([200]);
    // a second token of the same subject shares the budget
    expect(await statuses(stack, 1, bearer(await issuer.token({ sub: 'rate-alice', jti: 'other' })))).toEqual([429]);
  });

  it('health, readiness, metrics and ops endpoints are exempt', async () => {
    for (const path of ['/healthz', '/readyz', '/ops']) {
      const response = await fetch(new URL(path, stack.gatewayUrl));
      expect([path, response.status === 429]).toEqual([path, false]);
      await response.arrayBuffer();
    }
  });

  it('x-forwarded-for is ignored unless proxies are trusted', async () => {
    expect((await hit(stack, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
  });
});

describe('trusted proxy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack({ gateway: { rateLimit: { enabled: true, anonymousPerMinute: 2, trustedProxies: 1 } } });
  });
  afterAll(() => stack.stop());

  it('keys anonymous callers by the x-forwarded-for entry of the trusted proxy', async () => {
    const a = { 'x-forwarded-for': '198.51.100.1, 203.0.113.1' };
    const b = { 'x-forwarded-for': '203.0.113.2' };
    expect(await statuses(stack, 3, a)).toEqual([200, 200, 429]);
    expect(await statuses(stack, 3, b)).toEqual([200, 200, 429]);
  });
});

describe('redis (shared across replicas)', () => {
  const REDIS = 'redis://127.0.0.1:6379';
  const prefix = `amtsgraph:ratelimit:`;
  let stacks: Stack[] = [];
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    const options = { gateway: { authentication: issuer.authentication as never, rateLimit: { enabled: true, authenticatedPerMinute: 4, redisUrl: REDIS } } };
    stacks = [await startTestStack(options), await startTestStack(options)];
  });
  afterAll(async () => {
    await Promise.all(stacks.map((s) => s.stop()));
  });

  it('two gateways share one budget per subject', async () => {
    const subject = `rate-shared-${process.pid}-${Date.now()}`;
    const token = bearer(await issuer.token({ sub: subject }));
    // Wait until both gateways count in Redis (under load the connection can take a while;
    // before it, a gateway counts in memory): a probe subject per gateway must show up there.
    const probe = createClient({ url: REDIS });
    await probe.connect();
    for (const [i, stack] of stacks.entries()) {
      const probeSubject = `rate-probe-${i}-${process.pid}-${Date.now()}`;
      const probeToken = bearer(await issuer.token({ sub: probeSubject }));
      for (let attempt = 0; ; attempt++) {
        await statuses(stack, 1, probeToken);
        const keys = await probe.keys(`${prefix}sub:${probeSubject}:*`);
        if (keys.length > 0) {
          await probe.del(keys);
          break;
        }
        if (attempt === 3) throw new Error(`gateway ${i} did not count in Redis after ${attempt + 1} probes`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await probe.quit();
    const seen = [...(await statuses(stacks[0]!, 2, token)), ...(await statuses(stacks[1]!, 2, token)), ...(await statuses(stacks[0]!, 1, token)), ...(await statuses(stacks[1]!, 1, token))];
    expect(seen).toEqual([200, 200, 200, 200, 429, 429]);
    const raw = createClient({ url: REDIS });
    await raw.connect();
    const keys = await raw.keys(`${prefix}sub:${subject}:*`);
    expect(keys).toHaveLength(1);
    expect(await raw.get(keys[0]!)).toBe('4');
    await raw.del(keys);
    await raw.quit();
  });

  it('an unreachable Redis degrades to in-memory counting', async () => {
    const stack = await startTestStack({ gateway: { rateLimit: { enabled: true, anonymousPerMinute: 2, redisUrl: 'redis://127.0.0.1:1' } } });
    try {
      expect(await statuses(stack, 3)).toEqual([200, 200, 429]);
    } finally {
      await stack.stop();
    }
  }, 30_000);
});
