import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, type Listening } from '../../common/listen';
import type { Logger } from '../../common/logger';
import { silentLogger } from '../../common/logger';

/**
 * A tiny HTTP framework for the stand-in upstream services. Each stand-in declares routes
 * with the real contract's paths; this module adds what every stand-in needs for tests and
 * demos:
 *
 * - request counters (`GET /__admin/stats`, `POST /__admin/reset`), so tests can assert the
 *   exact number of upstream calls a query cost, and how many of them their client gave up on;
 * - fault injection (`POST /__admin/faults`, `DELETE /__admin/faults`): latency, an HTTP
 *   error status, or garbage bodies (HTML error page, invalid JSON, wrong shape);
 * - `ETag` on JSON responses and `304 Not Modified` on a matching `If-None-Match`;
 * - `Cache-Control` per route;
 * - the W3C `traceparent` of each request in the log and in the recent-requests list.
 *
 * Admin requests are not counted.
 */

export interface StandInRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body, for POST routes. */
  body: unknown;
  /** Absolute base URL of this stand-in as the client addressed it (for links). */
  baseUrl: string;
}

export interface StandInResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Seconds for `Cache-Control: public, max-age=N`; `0` means `no-cache`; undefined: none. */
  maxAge?: number;
  contentType?: string;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Path with `:param` segments, e.g. `/v1/data/:ars`. */
  path: string;
  handler: (req: StandInRequest) => StandInResponse | Promise<StandInResponse>;
}

export interface Fault {
  /** Added delay before answering, in ms. */
  latencyMs?: number;
  /** Answer with this HTTP status (and the stand-in's own error body). */
  status?: number;
  /** Answer 200 with a body that is not what the contract promises. */
  garbage?: 'html' | 'invalid-json' | 'wrong-shape';
  /** Only requests whose path starts with this prefix. */
  pathPrefix?: string;
  /** Only the next N matching requests; unlimited when absent. */
  times?: number;
}

export interface RecentRequest {
  method: string;
  url: string;
  status: number;
  traceparent?: string;
}

export interface StandInStats {
  name: string;
  total: number;
  /** Counts per route, keyed `METHOD /path/:pattern`. */
  byRoute: Record<string, number>;
  /** Requests whose client closed the connection before the answer was sent (e.g. a cancelled call). */
  aborted: number;
  /** The last 200 requests, oldest first. */
  recent: RecentRequest[];
}

export interface StandInOptions {
  name: string;
  routes: Route[];
  /** The contract's own error body for a status (each vendor has its own format). */
  errorBody: (status: number, message: string, req: { path: string }) => unknown;
  /** Content type of error bodies, e.g. `application/problem+json`. */
  errorContentType?: string;
  logger?: Logger;
}

export type RunningStandIn = Listening;

export interface StandIn {
  name: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
  stats(): StandInStats;
  resetStats(): void;
  setFault(fault: Fault | null): void;
  listen(port?: number, host?: string): Promise<RunningStandIn>;
}

const RECENT_LIMIT = 200;
const MAX_BODY_BYTES = 1_000_000;

interface CompiledRoute extends Route {
  key: string;
  regex: RegExp;
  paramNames: string[];
}

function compile(route: Route): CompiledRoute {
  const paramNames: string[] = [];
  const pattern = route.path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        paramNames.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { ...route, key: `${route.method} ${route.path}`, regex: new RegExp(`^${pattern}/?$`), paramNames };
}

export function etagOf(payload: string): string {
  return `"${createHash('sha1').update(payload).digest('base64url')}"`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Waits `ms` (injected latency), or until the client has closed the connection: nobody waits for the answer then. */
function delayUnlessClosed(res: ServerResponse, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

export function createStandIn(options: StandInOptions): StandIn {
  const routes = options.routes.map(compile);
  const logger = options.logger ?? silentLogger;
  let total = 0;
  let aborted = 0;
  let byRoute: Record<string, number> = {};
  let recent: RecentRequest[] = [];
  let fault: Fault | null = null;

  const send = (
    res: ServerResponse,
    status: number,
    payload: string,
    headers: Record<string, string>,
  ): void => {
    res.writeHead(status, { 'content-length': Buffer.byteLength(payload).toString(), ...headers });
    res.end(payload);
  };

  const sendError = (res: ServerResponse, status: number, message: string, path: string): void => {
    send(res, status, JSON.stringify(options.errorBody(status, message, { path })), {
      'content-type': options.errorContentType ?? 'application/json',
      'cache-control': 'no-store',
    });
  };

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const json = (status: number, body: unknown) =>
      send(res, status, JSON.stringify(body), { 'content-type': 'application/json' });
    if (path === '/__admin/stats' && req.method === 'GET') return json(200, standIn.stats());
    if (path === '/__admin/reset' && req.method === 'POST') {
      standIn.resetStats();
      return json(200, { ok: true });
    }
    if (path === '/__admin/faults' && req.method === 'POST') {
      const body = await readBody(req);
      try {
        standIn.setFault(JSON.parse(body) as Fault);
      } catch {
        return json(400, { error: 'fault must be a JSON object' });
      }
      return json(200, { ok: true, fault });
    }
    if (path === '/__admin/faults' && req.method === 'DELETE') {
      standIn.setFault(null);
      return json(200, { ok: true });
    }
    if (path === '/__admin/health') return json(200, { status: 'ok', name: options.name });
    return json(404, { error: 'unknown admin path' });
  };

  const takeFault = (path: string): Fault | null => {
    if (!fault) return null;
    if (fault.pathPrefix && !path.startsWith(fault.pathPrefix)) return null;
    const active = fault;
    if (active.times !== undefined) {
      active.times -= 1;
      if (active.times <= 0) fault = null;
    }
    return active;
  };

  const handleAsync = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in.local');
    const path = url.pathname;
    if (path.startsWith('/__admin/')) return handleAdmin(req, res, path);

    const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
    total += 1;
    const record: RecentRequest = { method: req.method ?? 'GET', url: path + url.search, status: 0, traceparent };
    recent.push(record);
    if (recent.length > RECENT_LIMIT) recent = recent.slice(-RECENT_LIMIT);
    res.on('finish', () => {
      record.status = res.statusCode;
      logger.info({ method: record.method, url: record.url, status: res.statusCode, traceparent }, 'request');
    });
    res.on('close', () => {
      if (res.writableEnded) return;
      aborted += 1;
      logger.info({ method: record.method, url: record.url, traceparent }, 'request abandoned by its client');
    });

    const route = routes.find((r) => r.method === req.method && r.regex.test(path));
    const match = route ? route.regex.exec(path) : null;
    if (route) byRoute[route.key] = (byRoute[route.key] ?? 0) + 1;

    const active = takeFault(path);
    if (active?.latencyMs) await delayUnlessClosed(res, active.latencyMs);
    if (res.destroyed) return;
    if (active?.status) return sendError(res, active.status, 'injected fault', path);
    if (active?.garbage === 'html') {
      return send(res, 200, '<html><body><h1>502 Bad Gateway</h1></body></html>', { 'content-type': 'text/html' });
    }
    if (active?.garbage === 'invalid-json') {
      return send(res, 200, '{"truncated": [1, 2', { 'content-type': 'application/json' });
    }
    if (active?.garbage === 'wrong-shape') {
      return send(res, 200, JSON.stringify({ unexpected: true, items: 'not-a-list' }), {
        'content-type': 'application/json',
      });
    }

    if (!route || !match) return sendError(res, 404, `no route for ${req.method} ${path}`, path);

    let body: unknown = undefined;
    if (req.method === 'POST') {
      const raw = await readBody(req);
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return sendError(res, 400, 'request body is not valid JSON', path);
      }
    }
    const params: Record<string, string> = {};
    route.paramNames.forEach((name, i) => {
      params[name] = decodeURIComponent(match[i + 1] ?? '');
    });
    const host = req.headers.host ?? 'localhost';
    const result = await route.handler({
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      params,
      headers: req.headers,
      body,
      baseUrl: `http://${host}`,
    });
    const status = result.status ?? 200;
    if (status >= 400) {
      const message = typeof result.body === 'string' ? result.body : 'error';
      return sendError(res, status, message, path);
    }
    const payload = JSON.stringify(result.body ?? null);
    const headers: Record<string, string> = {
      'content-type': result.contentType ?? 'application/json; charset=utf-8',
      ...result.headers,
    };
    if (result.maxAge !== undefined) {
      headers['cache-control'] = result.maxAge > 0 ? `public, max-age=${result.maxAge}` : 'no-cache';
    }
    const etag = etagOf(payload);
    headers.etag = etag;
    if (req.headers['if-none-match'] === etag) {
      delete headers['content-type'];
      res.writeHead(304, headers);
      res.end();
      return;
    }
    send(res, status, payload, headers);
  };

  const standIn: StandIn = {
    name: options.name,
    handle(req, res) {
      handleAsync(req, res).catch((error: unknown) => {
        const status = (error as { status?: number }).status ?? 500;
        logger.error({ err: error }, 'stand-in handler failed');
        if (!res.headersSent) sendError(res, status, status === 413 ? 'request body too large' : 'internal error', req.url ?? '/');
        else res.destroy();
      });
    },
    stats() {
      return { name: options.name, total, byRoute: { ...byRoute }, aborted, recent: recent.map((r) => ({ ...r })) };
    },
    resetStats() {
      total = 0;
      aborted = 0;
      byRoute = {};
      recent = [];
    },
    setFault(next) {
      fault = next ? { ...next } : null;
    },
    listen(port = 0, host = '127.0.0.1') {
      return listen((req, res) => standIn.handle(req, res), port, host);
    },
  };
  return standIn;
}

/** Clamps a paging parameter to [min, max], falling back to `fallback` when absent or invalid. */
export function intParam(value: string | null, fallback: number, min: number, max: number): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}
