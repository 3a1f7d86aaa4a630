import type { Plugin } from 'graphql-yoga';
import { namespaced, type CacheStore } from '../../../common/cache';
import type { ErrorCode } from '../../../common/errors';
import type { Identity } from '../../../common/identity';
import type { Logger } from '../../../common/logger';
import { createEntityCache, InvalidationTargetError, type EntityCache, type InvalidationTarget } from '../cache/entity-cache';
import type { CacheConfig } from '../cache/config';
import type { GatewayContext } from '../context';
import type { ExecutionEngine } from '../engine/types';
import type { GatewayMetrics } from '../ops/metrics';
import { OPS_SCOPES } from '../ops/scopes';

/**
 * The entity cache (gateway/src/cache/) as a plugin: installs the fetch interceptor on the
 * engine, serves `POST /cache/invalidate` (scope `ops:cache`), and adds `extensions.cache`
 * for operators (scope `ops:read`) who send `x-amtsgraph-cache-debug: 1`.
 */
export const CACHE_SCOPE = 'ops:cache';
export const CACHE_DEBUG_HEADER = 'x-amtsgraph-cache-debug';

export interface EntityCachePluginOptions {
  engine: ExecutionEngine;
  store: CacheStore;
  config: CacheConfig;
  metrics: GatewayMetrics | null;
  identify: (request: Request) => Promise<Identity | null>;
  logger: Logger;
  /** Receives the cache (tests, start script). */
  onCache?: (cache: EntityCache) => void;
}

function parseTarget(body: unknown): InvalidationTarget | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b).sort().join(',');
  if (keys === 'key,type' && typeof b.type === 'string' && /^[A-Za-z_]\w*$/.test(b.type) && b.key && typeof b.key === 'object' && !Array.isArray(b.key)) {
    return { type: b.type, key: b.key as Record<string, unknown> };
  }
  if (keys === 'subgraph' && typeof b.subgraph === 'string' && /^[A-Za-z0-9_-]+$/.test(b.subgraph)) return { subgraph: b.subgraph };
  if (keys === 'tag' && typeof b.tag === 'string' && b.tag.length <= 200) return { tag: b.tag };
  return null;
}

export function useEntityCache(options: EntityCachePluginOptions): Plugin<GatewayContext> {
  const { logger } = options;
  const cache = createEntityCache({
    store: namespaced(options.store, 'entity'),
    config: options.config,
    supergraphSdl: () => options.engine.supergraphSdl(),
    metrics: options.metrics,
    logger,
  });
  options.engine.interceptFetches(cache.intercept);
  options.onCache?.(cache);
  const debugged = new WeakMap<Request, GatewayContext>();

  const json = (fetchAPI: { Response: typeof Response }, status: number, body: unknown, headers: Record<string, string> = {}) =>
    new fetchAPI.Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } });
  const refusal = (fetchAPI: { Response: typeof Response }, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) =>
    json(fetchAPI, status, { errors: [{ message, extensions: { code } }] }, headers);

  async function serveInvalidate(request: Request, fetchAPI: { Response: typeof Response }): Promise<Response> {
    if (request.method !== 'POST') return refusal(fetchAPI, 405, 'BAD_REQUEST', 'POST /cache/invalidate only.', { allow: 'POST' });
    let identity: Identity | null = null;
    try {
      identity = await options.identify(request);
    } catch {
      identity = null;
    }
    if (!identity || identity.anonymous) {
      return refusal(fetchAPI, 401, 'UNAUTHENTICATED', `Cache invalidation requires a verified identity with scope ${CACHE_SCOPE}.`, { 'www-authenticate': 'Bearer' });
    }
    if (!identity.scopes.includes(CACHE_SCOPE)) return refusal(fetchAPI, 403, 'INSUFFICIENT_SCOPE', `Cache invalidation requires scope ${CACHE_SCOPE}.`);
    let target: InvalidationTarget | null = null;
    try {
      target = parseTarget(JSON.parse(await request.text()));
    } catch {
      target = null;
    }
    if (!target) {
      return refusal(fetchAPI, 400, 'BAD_USER_INPUT', 'Body must be JSON: {"type":"Municipality","key":{"ags":"05122000"}}, {"subgraph":"kommunen"} or {"tag":"municipality:05122000"}.');
    }
    try {
      const result = await cache.invalidate(target);
      logger.info({ operator: identity.sub, deleted: result.deleted }, 'entity cache invalidation requested');
      return json(fetchAPI, 200, result);
    } catch (error) {
      // Names the supergraph the gateway loaded does not have (the message lists the valid ones).
      if (error instanceof InvalidationTargetError) return refusal(fetchAPI, 400, 'BAD_USER_INPUT', error.message);
      logger.error({ err: (error as Error).message, operator: identity.sub }, 'entity cache invalidation failed');
      return refusal(fetchAPI, 500, 'INTERNAL_SERVER_ERROR', 'Cache invalidation failed; details are in the gateway log.');
    }
  }

  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!options.config.invalidationEndpoint || url.pathname !== '/cache/invalidate') return;
      endResponse(await serveInvalidate(request, fetchAPI as unknown as { Response: typeof Response }));
    },
    onContextBuilding() {
      return ({ context }) => {
        if (context.request.headers.get(CACHE_DEBUG_HEADER) !== '1') return;
        if (!context.identity?.scopes.includes(OPS_SCOPES.read)) return;
        cache.trackRequest(context);
        debugged.set(context.request, context);
      };
    },
    onResultProcess({ request, result, setResult }) {
      const context = debugged.get(request);
      if (!context || Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      const log = cache.requestLog(context);
      if (!log) return;
      const current = result as { extensions?: Record<string, unknown> };
      setResult({ ...(result as object), extensions: { ...current.extensions, cache: log } } as never);
    },
  };
}
