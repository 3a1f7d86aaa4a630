import { createHmac, hkdfSync } from 'node:crypto';
import { redisModule } from '../../../common/cache/redis-module';
import type { Plugin } from 'graphql-yoga';
import type { Identity } from '../../../common/identity';
import type { Logger } from '../../../common/logger';
import { BoundedLru } from '../persisted/lru';

/**
 * Per-client rate limit on the GraphQL endpoint: a sliding window of one minute (the
 * weighted sum of the previous and the current fixed window, as in Cloudflare's limiter),
 * keyed by the token subject (`sub:<hash>`) or, for anonymous callers, by client IP
 * (`ip:<hash>`: the socket's remote address; `x-forwarded-for` only when
 * `trustedProxies` > 0, taking the entry that many hops from the right). Over the limit:
 * HTTP 429 with `Retry-After` (seconds) and code RATE_LIMITED; refused requests are not
 * counted. Only the GraphQL endpoint is limited — health, metrics, /ops and /audit are
 * exempt (health and ops answer before this plugin anyway).
 *
 * A request whose token fails verification counts against its client IP's anonymous limit
 * (`RateLimiter.chargeInvalidToken`, called by authentication before its 401): once the IP
 * is over the limit, such requests get the 429 instead of the 401, so tokens cannot be
 * guessed at an unlimited rate.
 *
 * Counters live in memory (bounded: least recently seen clients are forgotten) or, with
 * `redisUrl`, in Redis so all replicas share them. While Redis is unavailable the limiter
 * counts in memory (per replica) and logs the switch once each way.
 *
 * Keys never hold a subject or an IP address in clear, in Redis or in memory: `<hash>` is
 * HMAC-SHA256 of `<kind>:<subject or address>`, truncated to 128 bits (22 base64url
 * characters; see `clientKey`). The HMAC key is derived (HKDF-SHA256, info
 * `amtsgraph rate-limit keys v1`) from `keySecret`, the gateway's identity secret: every
 * replica holds it already (it signs the identities forwarded to the subgraphs), so replicas
 * sharing Redis compute the same keys, and the derivation keeps the two uses of the secret
 * apart. A per-process random key would split the shared budget per replica. Neither the
 * subject nor the address is logged.
 */
export interface RateLimitOptions {
  anonymousPerMinute: number;
  authenticatedPerMinute: number;
  trustedProxies: number;
  redisUrl?: string;
  maxClients: number;
  graphqlEndpoint: string;
  /** The identity authentication found for this request (plugins/use-authentication.ts). */
  identityOf: (request: Request) => Identity | undefined;
  /** Secret the key hashes are derived from (the identity secret, at least 32 bytes; shared by all replicas). */
  keySecret: Uint8Array;
  logger: Logger;
  /** Clock (tests). */
  now?: () => number;
  keyPrefix?: string;
}

/** HKDF `info` of the HMAC key for counter keys; a new version changes every key. */
export const KEY_DERIVATION_INFO = 'amtsgraph rate-limit keys v1';
/** Bytes of the HMAC-SHA256 kept in a key: 16 bytes = 22 base64url characters. */
const KEY_HASH_BYTES = 16;

/** The HMAC key for counter keys, derived from the shared secret. */
export function deriveKeyHmacKey(secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), KEY_DERIVATION_INFO, 32));
}

/** A counter key (without prefix and window): `sub:<hash>` or `ip:<hash>`. Exported for tests. */
export function clientKey(hmacKey: Buffer, kind: 'sub' | 'ip', value: string): string {
  const hash = createHmac('sha256', hmacKey).update(`${kind}:${value}`).digest().subarray(0, KEY_HASH_BYTES).toString('base64url');
  return `${kind}:${hash}`;
}

const WINDOW_MS = 60_000;

interface Counts {
  previous: number;
  current: number;
}

/** Counts a request in window `window` unless refused; `limit` decides. */
interface Counter {
  take(key: string, window: number, decide: (counts: Counts) => boolean): Promise<Counts>;
  close(): Promise<void>;
}

function memoryCounter(maxClients: number): Counter {
  const table = new BoundedLru<{ window: number; previous: number; current: number }>(maxClients);
  return {
    async take(key, window, decide) {
      let entry = table.get(key);
      if (!entry || entry.window < window - 1) entry = { window, previous: 0, current: 0 };
      else if (entry.window === window - 1) entry = { window, previous: entry.current, current: 0 };
      const counts = { previous: entry.previous, current: entry.current };
      if (decide(counts)) entry.current += 1;
      table.set(key, entry);
      return counts;
    },
    async close() {},
  };
}

function redisCounter(url: string, prefix: string, logger: Logger, fallback: Counter): Counter {
  const client = redisModule().createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1_000, reconnectStrategy: (retries) => Math.min(5_000, 100 * 2 ** Math.min(retries, 6)) },
  });
  let degraded = false;
  let closed = false;
  const degrade = (cause: string) => {
    if (degraded || closed) return;
    degraded = true;
    logger.warn({ store: 'redis', cause }, 'rate limit: redis unavailable, counting in memory per replica meanwhile');
  };
  client.on('error', (error: Error) => degrade(`${error.name}: ${error.message}`));
  client.on('ready', () => {
    if (degraded) logger.info({ store: 'redis' }, 'rate limit: redis available again, counting in redis');
    degraded = false;
  });
  client.connect().catch(() => {});
  return {
    async take(key, window, decide) {
      if (!client.isReady) {
        degrade('not connected');
        return fallback.take(key, window, decide);
      }
      const current = `${prefix}${key}:${window}`;
      try {
        // One round trip: count this request, keep the key two windows, read the previous one.
        const [count, , previous] = (await Promise.race([
          client.multi().incr(current).pExpire(current, 2 * WINDOW_MS).get(`${prefix}${key}:${window - 1}`).exec(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('redis timeout')), 500).unref()),
        ])) as [number, unknown, string | null];
        const counts = { previous: Number(previous ?? 0), current: Number(count) - 1 };
        if (!decide(counts)) client.decr(current).catch(() => {});
        return counts;
      } catch (error) {
        degrade((error as Error).message);
        return fallback.take(key, window, decide);
      }
    },
    async close() {
      closed = true;
      // quit() waits for a connection that may never come; disconnect() stops reconnecting too.
      if (client.isReady) await client.quit().catch(() => {});
      else if (client.isOpen) await client.disconnect().catch(() => {});
    },
  };
}

/** The client's address: the socket's, or the trusted proxy's x-forwarded-for entry. */
export function clientAddress(request: Request, serverContext: unknown, trustedProxies: number): string {
  if (trustedProxies > 0) {
    const hops = (request.headers.get('x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
    const entry = hops[hops.length - trustedProxies];
    if (entry) return entry;
  }
  const req = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req;
  return req?.socket?.remoteAddress ?? 'unknown';
}

/**
 * The sliding-window estimate and, when over the limit, seconds until one more request fits.
 * Exported for unit tests.
 */
export function slidingWindow(counts: Counts, limit: number, elapsed: number): { allowed: boolean; retryAfterSeconds: number } {
  const weight = 1 - elapsed / WINDOW_MS;
  const estimate = counts.previous * weight + counts.current;
  if (estimate + 1 <= limit) return { allowed: true, retryAfterSeconds: 0 };
  // The previous window's share shrinks linearly; if that is not enough, the current window
  // must become the previous one and shrink in turn.
  let waitMs: number;
  const needed = estimate + 1 - limit;
  const shrinkPerMs = counts.previous / WINDOW_MS;
  if (counts.current + 1 <= limit && shrinkPerMs > 0 && needed / shrinkPerMs <= WINDOW_MS - elapsed) waitMs = needed / shrinkPerMs;
  else waitMs = WINDOW_MS - elapsed + WINDOW_MS * Math.max(0, 1 - (limit - 1) / Math.max(counts.current, 1));
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
}

/**
 * The limiter: counters, the decision and the 429 response. The plugin (`useRateLimit`)
 * applies it to every GraphQL request with a verified or no identity; authentication applies
 * it to requests with an invalid token (`chargeInvalidToken`).
 */
export interface RateLimiter {
  /** Counts the request against its subject (valid token) or client IP (anonymous); the 429 response when over the limit. */
  check(input: RateLimitInput): Promise<Response | undefined>;
  /** Counts a request whose token failed verification against its client IP's anonymous limit; the 429 response when over. */
  chargeInvalidToken(input: RateLimitInput): Promise<Response | undefined>;
  close(): Promise<void>;
}

/** What the limiter needs of a request: the fields of yoga's onRequest payload of the same names. */
export interface RateLimitInput {
  request: Request;
  url: URL;
  serverContext: unknown;
  fetchAPI: { Response: typeof Response };
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const hmacKey = deriveKeyHmacKey(options.keySecret);
  const memory = memoryCounter(options.maxClients);
  const counter = options.redisUrl ? redisCounter(options.redisUrl, options.keyPrefix ?? 'amtsgraph:ratelimit:', options.logger, memory) : memory;
  const limited = ({ request, url }: RateLimitInput) => request.method !== 'OPTIONS' && url.pathname === options.graphqlEndpoint;

  async function take(key: string, limit: number, anonymous: boolean, fetchAPI: RateLimitInput['fetchAPI']): Promise<Response | undefined> {
    const t = now();
    const window = Math.floor(t / WINDOW_MS);
    let verdict = { allowed: true, retryAfterSeconds: 0 };
    await counter.take(key, window, (counts) => {
      verdict = slidingWindow(counts, limit, t - window * WINDOW_MS);
      return verdict.allowed;
    });
    if (verdict.allowed) return undefined;
    return new fetchAPI.Response(
      JSON.stringify({
        errors: [
          {
            message: `Too many requests: the limit is ${limit} per minute${anonymous ? ' for anonymous callers' : ''}. Try again in ${verdict.retryAfterSeconds} s.`,
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: verdict.retryAfterSeconds },
          },
        ],
      }),
      {
        status: 429,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'retry-after': String(verdict.retryAfterSeconds),
          'ratelimit-limit': String(limit),
        },
      },
    );
  }

  const byAddress = ({ request, serverContext, fetchAPI }: RateLimitInput) =>
    take(clientKey(hmacKey, 'ip', clientAddress(request, serverContext, options.trustedProxies)), options.anonymousPerMinute, true, fetchAPI);

  return {
    async check(input) {
      if (!limited(input)) return undefined;
      const identity = options.identityOf(input.request);
      if (identity === undefined || identity.anonymous) return byAddress(input);
      return take(clientKey(hmacKey, 'sub', identity.sub ?? ''), options.authenticatedPerMinute, false, input.fetchAPI);
    },
    async chargeInvalidToken(input) {
      if (!limited(input)) return undefined;
      return byAddress(input);
    },
    close: () => counter.close(),
  };
}

/** Applies the limiter in onRequest; must come right after authentication (it needs the identity). */
export function useRateLimit(limiter: RateLimiter): Plugin {
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      const refusal = await limiter.check({ request, url, serverContext, fetchAPI });
      if (refusal) endResponse(refusal);
    },
    async onDispose() {
      await limiter.close();
    },
  };
}
