import { redisModule } from '../../../common/cache/redis-module';
import type { Plugin } from 'graphql-yoga';
import type { Identity } from '../../../common/identity';
import type { Logger } from '../../../common/logger';
import { BoundedLru } from '../persisted/lru';

/**
 * Per-client rate limit on the GraphQL endpoint: a sliding window of one minute (the
 * weighted sum of the previous and the current fixed window, as in Cloudflare's limiter),
 * keyed by the token subject (`sub:<subject>`) or, for anonymous callers, by client IP
 * (`ip:<address>`: the socket's remote address; `x-forwarded-for` only when
 * `trustedProxies` > 0, taking the entry that many hops from the right). Over the limit:
 * HTTP 429 with `Retry-After` (seconds) and code RATE_LIMITED; refused requests are not
 * counted. Only the GraphQL endpoint is limited — health, metrics, /ops and /audit are
 * exempt (health and ops answer before this plugin anyway).
 *
 * Counters live in memory (bounded: least recently seen clients are forgotten) or, with
 * `redisUrl`, in Redis so all replicas share them. While Redis is unavailable the limiter
 * counts in memory (per replica) and logs the switch once each way. Keys hold a subject or
 * an IP address, never personal data; neither is logged.
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
  logger: Logger;
  /** Clock (tests). */
  now?: () => number;
  keyPrefix?: string;
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

export function useRateLimit(options: RateLimitOptions): Plugin {
  const now = options.now ?? Date.now;
  const memory = memoryCounter(options.maxClients);
  const counter = options.redisUrl ? redisCounter(options.redisUrl, options.keyPrefix ?? 'amtsgraph:ratelimit:', options.logger, memory) : memory;
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (url.pathname !== options.graphqlEndpoint || request.method === 'OPTIONS') return;
      const identity = options.identityOf(request);
      const authenticated = identity !== undefined && !identity.anonymous;
      const key = authenticated ? `sub:${identity.sub}` : `ip:${clientAddress(request, serverContext, options.trustedProxies)}`;
      const limit = authenticated ? options.authenticatedPerMinute : options.anonymousPerMinute;
      const t = now();
      const window = Math.floor(t / WINDOW_MS);
      let verdict = { allowed: true, retryAfterSeconds: 0 };
      await counter.take(key, window, (counts) => {
        verdict = slidingWindow(counts, limit, t - window * WINDOW_MS);
        return verdict.allowed;
      });
      if (verdict.allowed) return;
      endResponse(
        new fetchAPI.Response(
          JSON.stringify({
            errors: [
              {
                message: `Too many requests: the limit is ${limit} per minute${authenticated ? '' : ' for anonymous callers'}. Try again in ${verdict.retryAfterSeconds} s.`,
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
        ),
      );
    },
    async onDispose() {
      await counter.close();
    },
  };
}
