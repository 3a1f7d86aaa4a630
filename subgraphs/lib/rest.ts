import { request, Agent, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { amtsError } from '../../common/errors';

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
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined | null>;
  /** Per-call headers, e.g. the W3C `traceparent` of the incoming request. */
  headers?: Record<string, string>;
}

export interface RestTransport {
  readonly baseUrl: string;
  /** GET a JSON document; `null` on 404. */
  getJson<S extends z.ZodTypeAny>(path: string, schema: S, options?: RequestOptions): Promise<z.infer<S> | null>;
  close(): Promise<void>;
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
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

  const failure = (message: string, extra: Record<string, unknown> = {}) =>
    amtsError('DOWNSTREAM_SERVICE_ERROR', `${options.upstream} (behind subgraph ${options.subgraph}): ${message}`, {
      ...where,
      ...extra,
    });

  return {
    baseUrl: options.baseUrl,
    async getJson(path, schema, requestOptions = {}) {
      const url = buildUrl(options.baseUrl, path, requestOptions.query);
      return semaphore.run(async () => {
        let response: Dispatcher.ResponseData;
        try {
          response = await request(url, {
            method: 'GET',
            dispatcher,
            headers: { accept: 'application/json', ...options.headers, ...requestOptions.headers },
            signal: AbortSignal.timeout(timeoutMs),
          });
        } catch (error) {
          const name = (error as Error).name;
          if (name === 'TimeoutError' || name === 'AbortError') {
            throw amtsError(
              'UPSTREAM_TIMEOUT',
              `${options.upstream} (behind subgraph ${options.subgraph}) did not answer within ${timeoutMs} ms`,
              where,
            );
          }
          throw failure('not reachable');
        }
        const { statusCode } = response;
        if (statusCode === 404) {
          await response.body.dump();
          return null;
        }
        if (statusCode < 200 || statusCode >= 300) {
          await response.body.dump();
          throw failure(`answered HTTP ${statusCode}`, { status: statusCode });
        }
        let json: unknown;
        try {
          json = await response.body.json();
        } catch {
          throw failure('answered a body that is not JSON', { status: statusCode });
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) throw failure('answered a body that does not match its contract', { status: statusCode });
        return parsed.data;
      });
    },
    async close() {
      await ownDispatcher?.close();
    },
  };
}
