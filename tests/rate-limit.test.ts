import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { Stack } from '../scripts/stack';
import { identitySecret, type Identity } from '../common/identity';
import { silentLogger } from '../common/logger';
import { clientKey, createRateLimiter, deriveKeyHmacKey, slidingWindow } from '../gateway/src/plugins/use-rate-limit';
import { bearer, createTestIssuer, startTestStack, type TestIssuer } from './testkit';

/**
 * Per-client rate limits: 429 RATE_LIMITED with Retry-After; keyed by subject, anonymous
 * callers and invalid tokens by IP; keys hold HMACs, never a subject or an address.
 */
const QUERY = JSON.stringify({ query: '{ __typename }' });
async function hit(stack: Stack, headers: Record<string, string> = {}) {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: QUERY,
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    wwwAuthenticate: response.headers.get('www-authenticate'),
    body: (await response.json()) as { errors?: { extensions?: { code?: string; retryAfterSeconds?: number } }[] },
  };
}

/**
 * The hashed key part, computed here independently of the plugin: HMAC-SHA256 of
 * `<kind>:<value>` under a key derived by HKDF-SHA256 (no salt, info
 * `amtsgraph rate-limit keys v1`) from the identity secret, first 16 bytes, base64url.
 */
function expectedKey(secretValue: string, kind: 'sub' | 'ip', value: string): string {
  const hmacKey = Buffer.from(hkdfSync('sha256', Buffer.from(secretValue, 'utf8'), Buffer.alloc(0), 'amtsgraph rate-limit keys v1', 32));
  return `${kind}:${createHmac('sha256', hmacKey).update(`${kind}:${value}`).digest().subarray(0, 16).toString('base64url')}`;
}
/** A stack whose gateway limits anonymous callers to 3 and subjects to 5 per minute, in memory (fresh counters). */
async function startLimitedStack(): Promise<{ stack: Stack; issuer: TestIssuer }> {
  const issuer = await createTestIssuer();
  const stack = await startTestStack({
    gateway: { authentication: issuer.authentication as never, rateLimit: { enabled: true, anonymousPerMinute: 3, authenticatedPerMinute: 5 } },
  });
  return { stack, issuer };
}
/** A token the gateway cannot verify: signed by a key it does not trust (same issuer and audience). */
async function wrongKeyToken(issuer: TestIssuer, claims: Record<string, unknown> = {}): Promise<string> {
  const impostor = await createTestIssuer({ issuer: issuer.issuer, audience: issuer.audience, kid: issuer.kid });
  return impostor.token(claims);
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

describe('key hashing', () => {
  it('keys are <kind>:<22 base64url characters of HMAC-SHA256>, the same for every replica holding the secret', () => {
    const secretValue = 'k'.repeat(32);
    const hmacKey = deriveKeyHmacKey(identitySecret(secretValue));
    expect(clientKey(hmacKey, 'sub', 'sb-prod')).toBe(expectedKey(secretValue, 'sub', 'sb-prod'));
    expect(clientKey(hmacKey, 'ip', '127.0.0.1')).toBe(expectedKey(secretValue, 'ip', '127.0.0.1'));
    expect(clientKey(hmacKey, 'sub', 'sb-prod')).toMatch(/^sub:[A-Za-z0-9_-]{22}$/);
    expect(clientKey(hmacKey, 'ip', '127.0.0.1')).toMatch(/^ip:[A-Za-z0-9_-]{22}$/);
    // Another secret, other keys; the same value as subject and as address, different keys.
    expect(clientKey(deriveKeyHmacKey(identitySecret('l'.repeat(32))), 'sub', 'sb-prod')).not.toBe(clientKey(hmacKey, 'sub', 'sb-prod'));
    expect(clientKey(hmacKey, 'sub', '127.0.0.1').slice(4)).not.toBe(clientKey(hmacKey, 'ip', '127.0.0.1').slice(3));
  });
});

describe('in memory', () => {
  let stack: Stack;
  let issuer: TestIssuer;
  beforeAll(async () => {
    ({ stack, issuer } = await startLimitedStack());
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

describe('invalid tokens count against the client IP (in memory)', () => {
  let stack: Stack;
  let issuer: TestIssuer;
  beforeAll(async () => {
    ({ stack, issuer } = await startLimitedStack());
  });
  afterAll(() => stack.stop());

  it('3 bad tokens get 401, from then on 429 RATE_LIMITED with Retry-After; anonymous callers share that budget, valid tokens do not', async () => {
    const garbage = { authorization: 'Bearer garbage' };
    const wrongKey = bearer(await wrongKeyToken(issuer, { sub: 'rate-guess' }));
    const seen: { status: number; code: string | undefined; retryAfter: boolean; wwwAuthenticate: boolean }[] = [];
    for (const headers of [garbage, wrongKey, garbage, wrongKey, garbage, wrongKey, {}]) {
      const response = await hit(stack, headers);
      seen.push({
        status: response.status,
        code: response.body.errors?.[0]?.extensions?.code,
        retryAfter: response.retryAfter !== null && Number(response.retryAfter) === response.body.errors?.[0]?.extensions?.retryAfterSeconds,
        wwwAuthenticate: response.wwwAuthenticate !== null,
      });
    }
    const refusedByAuthentication = { status: 401, code: 'UNAUTHENTICATED', retryAfter: false, wwwAuthenticate: true };
    const refusedByRateLimit = { status: 429, code: 'RATE_LIMITED', retryAfter: true, wwwAuthenticate: false };
    expect(seen).toEqual([
      refusedByAuthentication,
      refusedByAuthentication,
      refusedByAuthentication,
      refusedByRateLimit,
      refusedByRateLimit,
      refusedByRateLimit,
      refusedByRateLimit, // anonymous, same IP
    ]);
    const limited = await hit(stack, wrongKey);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(120);
    // A valid token is counted per subject, not per IP.
    expect(await statuses(stack, 1, bearer(await issuer.token({ sub: 'rate-valid' })))).toEqual([200]);
  });

  it('80 bad tokens from an IP already over its limit: 80 × 429, none 401', async () => {
    const wrongKey = bearer(await wrongKeyToken(issuer));
    expect(await statuses(stack, 80, wrongKey)).toEqual(new Array(80).fill(429));
  });

  it('outside the GraphQL endpoint a bad token is still 401 (/audit), and health, readiness and ops stay open', async () => {
    const audit = await fetch(new URL('/audit', stack.gatewayUrl), { headers: { authorization: 'Bearer garbage' } });
    expect(audit.status).toBe(401);
    await audit.arrayBuffer();
    for (const path of ['/healthz', '/readyz', '/ops']) {
      const response = await fetch(new URL(path, stack.gatewayUrl), { headers: { authorization: 'Bearer garbage' } });
      expect([path, response.status === 429]).toEqual([path, false]);
      await response.arrayBuffer();
    }
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
  // Both replicas hold the same identity secret (as in production), from which the key hashes
  // are derived; a fresh one per run keeps this run's keys apart from every other run's.
  const secretValue = randomBytes(32).toString('base64url');
  let stacks: Stack[] = [];
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    const options = {
      identitySecret: secretValue,
      gateway: { authentication: issuer.authentication as never, rateLimit: { enabled: true, authenticatedPerMinute: 4, anonymousPerMinute: 3, redisUrl: REDIS } },
    };
    stacks = [await startTestStack(options), await startTestStack(options)];
    // Wait until both gateways count in Redis (under load the connection can take a while;
    // before it, a gateway counts in memory): a probe subject per gateway must show up there.
    const probe = createClient({ url: REDIS });
    await probe.connect();
    try {
      for (const [i, stack] of stacks.entries()) {
        const probeSubject = `rate-probe-${i}-${process.pid}-${Date.now()}`;
        const probeToken = bearer(await issuer.token({ sub: probeSubject }));
        for (let attempt = 0; ; attempt++) {
          await statuses(stack, 1, probeToken);
          const keys = await probe.keys(`${prefix}${expectedKey(secretValue, 'sub', probeSubject)}:*`);
          if (keys.length > 0) {
            await probe.del(keys);
            break;
          }
          if (attempt === 3) throw new Error(`gateway ${i} did not count in Redis after ${attempt + 1} probes`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      await probe.quit();
    }
  });
  afterAll(async () => {
    await Promise.all(stacks.map((s) => s.stop()));
  });

  it('two gateways share one budget per subject, under the hashed subject', async () => {
    const subject = `rate-shared-${process.pid}-${Date.now()}`;
    const token = bearer(await issuer.token({ sub: subject }));
    const seen = [...(await statuses(stacks[0]!, 2, token)), ...(await statuses(stacks[1]!, 2, token)), ...(await statuses(stacks[0]!, 1, token)), ...(await statuses(stacks[1]!, 1, token))];
    expect(seen).toEqual([200, 200, 200, 200, 429, 429]);
    const raw = createClient({ url: REDIS });
    await raw.connect();
    const keys = await raw.keys(`${prefix}${expectedKey(secretValue, 'sub', subject)}:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix}sub:[A-Za-z0-9_-]{22}:\\d+$`));
    expect(await raw.get(keys[0]!)).toBe('4');
    // The subject appears in no key at all.
    expect(await raw.keys(`*${subject}*`)).toEqual([]);
    await raw.del(keys);
    await raw.quit();
  });

  it('bad tokens count against the hashed client IP across both gateways: 3 × 401, then 429 RATE_LIMITED', async () => {
    const wrongKey = bearer(await wrongKeyToken(issuer));
    const garbage = { authorization: 'Bearer garbage' };
    const seen = [
      ...(await statuses(stacks[0]!, 2, garbage)),
      ...(await statuses(stacks[1]!, 1, wrongKey)),
      ...(await statuses(stacks[0]!, 1, wrongKey)),
      ...(await statuses(stacks[1]!, 1, garbage)),
    ];
    expect(seen).toEqual([401, 401, 401, 429, 429]);
    const refused = await hit(stacks[1]!, wrongKey);
    expect([refused.status, refused.body.errors!.map((e) => e.extensions?.code), Number(refused.retryAfter) >= 1]).toEqual([429, ['RATE_LIMITED'], true]);
    const raw = createClient({ url: REDIS });
    await raw.connect();
    const keys = await raw.keys(`${prefix}${expectedKey(secretValue, 'ip', '127.0.0.1')}:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix}ip:[A-Za-z0-9_-]{22}:\\d+$`));
    expect(await raw.get(keys[0]!)).toBe('3'); // refused requests are not counted
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

describe('redis keys (own prefix)', () => {
  const REDIS = 'redis://127.0.0.1:6379';
  const prefix = `amtsgraph:test:ratelimit:${process.pid}-${Date.now()}:`;
  const secretValue = randomBytes(32).toString('base64url');
  const NOW = 1_800_000_000_000; // fixed clock: window 30000000
  const subject = 'sb-prod';
  const address = '198.51.100.23';
  const official: Identity = { sub: subject, scopes: [], ags: null, purpose: null, anonymous: false };
  const limiter = createRateLimiter({
    anonymousPerMinute: 3,
    authenticatedPerMinute: 5,
    trustedProxies: 0,
    redisUrl: REDIS,
    maxClients: 100,
    graphqlEndpoint: '/graphql',
    identityOf: (request) => (request.headers.get('authorization') === 'Bearer valid' ? official : undefined),
    keySecret: identitySecret(secretValue),
    logger: silentLogger,
    now: () => NOW,
    keyPrefix: prefix,
  });
  const input = (authorization?: string) => {
    const request = new Request('http://gateway.test/graphql', { method: 'POST', headers: authorization ? { authorization } : {} });
    return { request, url: new URL(request.url), serverContext: { req: { socket: { remoteAddress: address } } }, fetchAPI: { Response } };
  };
  const raw = createClient({ url: REDIS });
  const ownKeys = async () => {
    const keys: string[] = [];
    for await (const key of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...(Array.isArray(key) ? key : [key]));
    return keys.sort();
  };
  beforeAll(async () => {
    await raw.connect();
    // Until its connection is ready the limiter counts in memory: wait for a first key.
    for (let attempt = 0; (await ownKeys()).length === 0; attempt++) {
      if (attempt === 20) throw new Error('the limiter did not count in Redis');
      await limiter.check(input('Bearer valid'));
      await new Promise((r) => setTimeout(r, 100));
    }
    await raw.del(await ownKeys());
  });
  afterAll(async () => {
    const keys = await ownKeys();
    if (keys.length > 0) await raw.del(keys);
    await raw.quit();
    await limiter.close();
  });

  it('hold HMACs of the subject and the IP, never either in clear', async () => {
    // Two requests of the subject, one anonymous and one with an invalid token from the address.
    expect(await limiter.check(input('Bearer valid'))).toBeUndefined();
    expect(await limiter.check(input('Bearer valid'))).toBeUndefined();
    expect(await limiter.check(input())).toBeUndefined();
    expect(await limiter.chargeInvalidToken(input('Bearer garbage'))).toBeUndefined();
    const keys = await ownKeys();
    expect(keys).toEqual([`${prefix}${expectedKey(secretValue, 'ip', address)}:30000000`, `${prefix}${expectedKey(secretValue, 'sub', subject)}:30000000`]);
    expect(await Promise.all(keys.map((k) => raw.get(k)))).toEqual(['2', '2']);
    for (const key of keys) {
      expect(key.slice(prefix.length)).toMatch(/^(sub|ip):[A-Za-z0-9_-]{22}:30000000$/);
      expect([key.includes(subject), key.includes(address)]).toEqual([false, false]);
    }
  });

  it('the invalid token that exceeds the IP limit gets the 429, and is not counted', async () => {
    // The third request from the address is within the limit of 3; the fourth is over it.
    expect(await limiter.chargeInvalidToken(input('Bearer garbage'))).toBeUndefined();
    const refused = await limiter.chargeInvalidToken(input('Bearer garbage'));
    expect(refused).toBeInstanceOf(Response);
    // 3 in this window (elapsed 0): it must become the previous one and shrink to 2 → 60 s + 20 s.
    expect([refused!.status, refused!.headers.get('retry-after'), await refused!.json()]).toEqual([
      429,
      '80',
      { errors: [{ message: 'Too many requests: the limit is 3 per minute for anonymous callers. Try again in 80 s.', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 80 } }] },
    ]);
    // An anonymous request from the address shares the budget.
    expect((await limiter.check(input()))?.status).toBe(429);
    expect(await raw.get(`${prefix}${expectedKey(secretValue, 'ip', address)}:30000000`)).toBe('3');
  });
});
