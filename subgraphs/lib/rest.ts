import { request, Agent, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { amtsError } from '../../common/errors';
import type { HttpCache, UpstreamCache, UpstreamCachePolicy, UpstreamResponse } from './http-cache';
import {
  createUpstreamResilience,
  RETRYABLE_STATUSES,
  type AttemptVerdict,
  type ResilienceOptions,
  type ResilienceRegistry,
  type UpstreamResilience,
} from './resilience';

/**
 * HTTP transport for a subgraph's REST client. This is the one place where an HTTP status
 * becomes an error code:
 *
 * | upstream answer                       | result                                         |
 * |---------------------------------------|------------------------------------------------|
 * | 2xx with a body matching the schema   | the parsed, typed body                         |
 * | 404                                   | `null` (the thing does not exist)              |
 * | no answer within `timeoutMs`          | `UPSTREAM_TIMEOUT`                             |
 * | anything else (5xx, 4xx, refused      | `DOWNSTREAM_SERVICE_ERROR`                     |
 * | connection, invalid JSON, wrong shape) |                                                |
 *
 * Errors carry `subgraph`, `upstream` and, where there was one, the upstream `status`; the
 * upstream body is never passed on (it may hold internals or personal data).
 *
 * Concurrency towards one upstream is capped (`maxConcurrency`), so that de-duplicated
 * parallel calls cannot flood a municipal system.
 *
 * Caching (http-cache.ts): with `cache` AND a `cachePolicy` object, GET answers are cached
 * by the upstream's Cache-Control, revalidated with ETag/Last-Modified, and concurrent
 * identical requests share one upstream call. Without a policy (or with `cachePolicy: false`,
 * which personal-data upstreams must state) the transport never touches the cache. Only
 * answers that passed the JSON and schema checks are stored; the mapping above is unchanged.
 *
 * Resilience (resilience.ts): every upstream request (a cache miss or revalidation; never a
 * hit) runs under a retry policy and this transport's circuit breaker. GETs are retried on
 * 502/503/504/429, connection errors and timeouts (default 2 retries, jittered back-off,
 * Retry-After honoured up to a cap, all within a deadline); an open breaker answers
 * DOWNSTREAM_SERVICE_ERROR with `circuit: "open"` without asking the upstream. The mapping
 * above is what the last attempt got.
 *
 * Cancellation (`RequestOptions.signal`, the subgraph's incoming request): when it aborts,
 * the call rejects at once with REQUEST_TIMEOUT, extensions `{ cancelled: true }` (nobody
 * reads it: the caller has gone). Per caller: its upstream request is aborted (undici closes
 * the connection) unless other callers still wait for the same single-flight request; it
 * leaves the concurrency queue, stops a retry back-off, is never retried, does not count for
 * the circuit breaker and stores nothing in the cache.
 */
export interface RestTransportOptions {
  subgraph: string;
  upstream: string;
  baseUrl: string;
  /** Per-request timeout in ms. Default 5000. */
  timeoutMs?: number;
  /** Maximum requests in flight to this upstream. Default 16. */
  maxConcurrency?: number;
  /** Headers sent with every request (e.g. an API key for the real service). */
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
  /** The process's upstream HTTP cache (from the registry/stack); used only with a `cachePolicy`. */
  cache?: HttpCache;
  /**
   * This upstream's caching rules (lives with the subgraph's client). `false` or absent: never
   * cached. Upstreams that serve personal data must say `false`.
   */
  cachePolicy?: UpstreamCachePolicy | false;
  /**
   * Retries and circuit breaker: a process-wide registry (its options, and its `stats()`
   * lists this transport), options for this transport alone, or `false` for neither.
   * Default (absent): retries with the defaults of resilience.ts, NO breaker. A breaker is
   * opt-in (pass a registry or options) until the stack wires a process-wide registry: the
   * subgraphs' tests share one transport across fault-injection cases, where a breaker would
   * carry state from one case to the next.
   */
  resilience?: ResilienceRegistry | ResilienceOptions | false;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined | null>;
  /**
   * Per-call headers, e.g. the W3C `traceparent` of the incoming request. They are not part
   * of the cache key (except `accept`/`accept-language`); a per-call `authorization` or
   * `cookie` header makes the call bypass the cache.
   */
  headers?: Record<string, string>;
  /**
   * Aborts when the caller has gone (the subgraph's incoming request was aborted, e.g. by the
   * gateway's request deadline); see "Cancellation" above.
   */
  signal?: AbortSignal;
}

export interface RestTransport {
  readonly baseUrl: string;
  /** GET a JSON document; `null` on 404. */
  getJson<S extends z.ZodTypeAny>(path: string, schema: S, options?: RequestOptions): Promise<z.infer<S> | null>;
  close(): Promise<void>;
  /** Breaker state and counters of this upstream; null with `resilience: false`. */
  resilience(): ReturnType<UpstreamResilience['stats']> | null;
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  /** Runs `task` when a slot is free; a caller whose `signal` aborts while queued leaves the queue (rejects with its reason). */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const admit = () => {
          signal?.removeEventListener('abort', leave);
          resolve();
        };
        const leave = () => {
          const index = this.waiting.indexOf(admit);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(signal!.reason);
        };
        this.waiting.push(admit);
        signal?.addEventListener('abort', leave, { once: true });
      });
    }
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

export function buildUrl(baseUrl: string, path: string, query: RequestOptions['query'] = {}): string {
  const url = new URL(path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url.toString();
}

export function createRestTransport(options: RestTransportOptions): RestTransport {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const semaphore = new Semaphore(options.maxConcurrency ?? 16);
  const ownDispatcher = options.dispatcher ? null : new Agent({ keepAliveTimeout: 4_000, connections: 64 });
  const dispatcher = options.dispatcher ?? ownDispatcher!;
  const where = { subgraph: options.subgraph, upstream: options.upstream };
  const upstreamCache: UpstreamCache | null =
    options.cache && options.cachePolicy ? options.cache.forUpstream(where, options.cachePolicy) : null;

  const resilienceWhere = { ...where, timeoutMs };
  const resilience: UpstreamResilience | null =
    options.resilience === false
      ? null
      : options.resilience && 'forUpstream' in options.resilience
        ? options.resilience.forUpstream(resilienceWhere)
        : createUpstreamResilience(resilienceWhere, options.resilience ?? { breaker: false });
  /** Retry-After of the HTTP answer behind a thrown error (not part of the client-visible error). */
  const retryAfterOf = new WeakMap<object, string | undefined>();
  const classify = (error: unknown): AttemptVerdict => {
    const extensions = (error as { extensions?: Record<string, unknown> }).extensions ?? {};
    if (extensions.code === 'UPSTREAM_TIMEOUT') return { retryable: true, breakerFailure: true };
    const status = typeof extensions.status === 'number' ? extensions.status : undefined;
    if (status === undefined) return { retryable: true, breakerFailure: true }; // not reachable
    const answeredBadly = status >= 200 && status < 300; // malformed body
    return {
      retryable: RETRYABLE_STATUSES.has(status),
      breakerFailure: answeredBadly || status >= 500 || status === 429,
      retryAfter: retryAfterOf.get(error as object),
    };
  };

  /** The caller went away (its signal aborted): not an upstream failure. */
  const cancelled = () =>
    amtsError('REQUEST_TIMEOUT', `${options.upstream} (behind subgraph ${options.subgraph}): call cancelled, the caller went away`, {
      ...where,
      cancelled: true,
    });

  const failure = (message: string, extra: Record<string, unknown> = {}) =>
    amtsError('DOWNSTREAM_SERVICE_ERROR', `${options.upstream} (behind subgraph ${options.subgraph}): ${message}`, {
      ...where,
      ...extra,
    });

  return {
    baseUrl: options.baseUrl,
    async getJson(path, schema, requestOptions = {}) {
      const url = buildUrl(options.baseUrl, path, requestOptions.query);
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...requestOptions.headers };
      // The body this call's own upstream request parsed, so a miss is parsed only once.
      let fresh: { data: z.infer<typeof schema> } | undefined;

      /**
       * One upstream request within the concurrency cap; throws the mapped error codes, returns
       * 200, 304 (if asked) or 404. `signal` (nobody waits any more) aborts it, queued or in
       * flight, and makes it throw `cancelled()` wherever it was: queue, request, headers or body.
       */
      const attemptOrigin = (conditional: Record<string, string>, attemptTimeoutMs: number, signal?: AbortSignal): Promise<UpstreamResponse> =>
        semaphore.run(async () => {
          let response: Dispatcher.ResponseData;
          const timeout = AbortSignal.timeout(attemptTimeoutMs);
          try {
            response = await request(url, {
              method: 'GET',
              dispatcher,
              headers: { ...headers, ...conditional },
              signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
            });
          } catch (error) {
            const name = (error as Error).name;
            if (name === 'TimeoutError' || name === 'AbortError') {
              throw amtsError(
                'UPSTREAM_TIMEOUT',
                `${options.upstream} (behind subgraph ${options.subgraph}) did not answer within ${timeoutMs} ms`, // the configured timeout (a last retry may get less)
                where,
              );
            }
            throw failure('not reachable');
          }
          const { statusCode } = response;
          if (statusCode === 404 || (statusCode === 304 && Object.keys(conditional).length > 0)) {
            await response.body.dump();
            return { status: statusCode, headers: response.headers, body: null };
          }
          if (statusCode < 200 || statusCode >= 300) {
            await response.body.dump();
            const error = failure(`answered HTTP ${statusCode}`, { status: statusCode });
            const retryAfter = response.headers['retry-after'];
            retryAfterOf.set(error, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
            throw error;
          }
          let text: string;
          let json: unknown;
          try {
            text = await response.body.text();
            json = JSON.parse(text);
          } catch {
            throw failure('answered a body that is not JSON', { status: statusCode });
          }
          const parsed = schema.safeParse(json);
          if (!parsed.success) throw failure('answered a body that does not match its contract', { status: statusCode });
          fresh = { data: parsed.data };
          return { status: statusCode, headers: response.headers, body: text };
        }, signal).catch((error: unknown) => {
          throw signal?.aborted ? cancelled() : error;
        });
      /**
       * One upstream request with retries and the breaker (only GETs exist here: idempotent).
       * `signal`: this caller's, or the cache's single-flight one (aborted when no caller waits).
       */
      const origin = (conditional: Record<string, string>, signal?: AbortSignal): Promise<UpstreamResponse> =>
        resilience
          ? resilience.execute(({ timeoutMs: t }) => attemptOrigin(conditional, t, signal), { idempotent: true, classify, signal })
          : attemptOrigin(conditional, timeoutMs, signal);

      const { signal } = requestOptions;
      const perUser = Object.keys(requestOptions.headers ?? {}).some((name) => /^(authorization|cookie)$/i.test(name));
      let response: UpstreamResponse;
      try {
        response = upstreamCache ? await upstreamCache.fetch({ url, headers, perUser, signal }, origin) : await origin({}, signal);
      } catch (error) {
        // This caller left: whatever the shared request does now, its answer is "cancelled".
        if (signal?.aborted) throw cancelled();
        throw error;
      }
      if (response.status === 404) return null;
      if (fresh) return fresh.data;
      // From the cache (or another caller's request): checked against this call's schema.
      let json: unknown;
      try {
        json = JSON.parse(response.body ?? '');
      } catch {
        throw failure('answered a body that is not JSON', { status: response.status });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw failure('answered a body that does not match its contract', { status: response.status });
      return parsed.data;
    },
    async close() {
      await ownDispatcher?.close();
    },
    resilience() {
      return resilience?.stats() ?? null;
    },
  };
}
