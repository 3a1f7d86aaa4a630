import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { namespaced, type CacheStore } from '../../../common/cache';
import type { Logger } from '../../../common/logger';
import type { EntityCache } from '../cache/entity-cache';
import { createResponseCache } from '../cache/response-cache';
import type { GatewayContext } from '../context';
import type { ExecutionEngine } from '../engine/types';
import type { GatewayMetrics } from '../ops/metrics';
import { QUERY_PLAN_HEADER } from '../ops/scopes';
import { CACHE_DEBUG_HEADER } from './use-entity-cache';

/**
 * The response cache (cache/response-cache.ts) as a plugin. It sits after authentication,
 * rate limit and persisted-operation resolution (all in force for cached answers) and after
 * the entity cache, whose per-request freshness bounds an entry's TTL.
 *
 * - `onParams`: an eligible request (a public query) is looked up; a hit is answered with
 *   `setResult`, so parse, validation, planning and execution are skipped. The stored bytes are
 *   replayed through the result's `stringify` (Yoga's regular result processor calls it), so
 *   the answer is not serialised again and content negotiation stays Yoga's.
 * - A miss is stored as the exact text sent to the client, when the final result has `data`,
 *   no `errors` and no `extensions`, and the entity cache says every fetch may be kept. The
 *   write is awaited in `onResponse` (bounded by the store's command timeout), so the next
 *   request finds it.
 * - Requests asking for operator views (`x-amtsgraph-query-plan`, `x-amtsgraph-cache-debug`)
 *   are neither answered from nor written to the cache: their answers differ per caller.
 * - Every looked-up request gets `x-amtsgraph-cache: hit` or `miss`; hits and misses are
 *   counted in `amtsgraph_cache_{hits,misses}_total{cache="response"}`.
 */
export const RESPONSE_CACHE_HEADER = 'x-amtsgraph-cache';

export interface ResponseCachePluginOptions {
  engine: ExecutionEngine;
  /** The process's cache store; entries go to its `entity` namespace (the entity cache's). */
  store: CacheStore;
  /** Upper bound of an entry's TTL (`cache.responses.ttlSeconds`). */
  ttlSeconds: number;
  /** The entity cache of this gateway (supergraph facts, per-request freshness). */
  entityCache: () => EntityCache | null;
  metrics: GatewayMetrics | null;
  logger: Logger;
}

type RequestState =
  | { status: 'hit' }
  | { status: 'miss'; key: string; context: GatewayContext | null; write: Promise<boolean> | null };

const HIT: RequestState = { status: 'hit' };

/**
 * A result whose serialisation is the stored bytes; `data` is parsed only if a plugin reads it.
 * Yoga's regular result processor passes what `stringify` returns to `new Response(body)`, which
 * takes bytes as well as text: the answer goes out without being decoded or encoded again.
 */
function cachedResult(bytes: Buffer): ExecutionResult {
  let data: ExecutionResult['data'];
  let parsed = false;
  const result = { stringify: () => bytes } as unknown as ExecutionResult;
  Object.defineProperty(result, 'data', {
    enumerable: true,
    get() {
      if (!parsed) {
        data = (JSON.parse(bytes.toString('utf8')) as ExecutionResult).data;
        parsed = true;
      }
      return data;
    },
  });
  return result;
}

const clean = (result: ExecutionResult) => !result.errors?.length && result.data != null && result.extensions === undefined;

export function useResponseCache(options: ResponseCachePluginOptions): Plugin<GatewayContext> {
  const cache = createResponseCache({
    store: namespaced(options.store, 'entity'),
    ttlSeconds: options.ttlSeconds,
    facts: () => options.entityCache()?.facts() ?? null,
    supergraphId: () => options.engine.supergraph()?.id ?? null,
    recordCache: (result) => options.metrics?.recordCache('response', result),
  });
  const states = new WeakMap<Request, RequestState>();

  return {
    async onParams({ params, request, setResult }) {
      if (request.headers.has(QUERY_PLAN_HEADER) || request.headers.has(CACHE_DEBUG_HEADER)) return;
      if (typeof params.query !== 'string' || params.query === '') return;
      const variables = params.variables && typeof params.variables === 'object' ? (params.variables as Record<string, unknown>) : null;
      const key = cache.keyFor(params.query, params.operationName ?? null, variables);
      if (!key) return;
      const bytes = await cache.read(key);
      if (bytes !== null) {
        states.set(request, HIT);
        setResult(cachedResult(bytes));
        return;
      }
      states.set(request, { status: 'miss', key, context: null, write: null });
    },
    onContextBuilding() {
      return ({ context }) => {
        const state = states.get(context.request);
        if (state?.status === 'miss') state.context = context;
      };
    },
    onResultProcess({ request, result, setResult }) {
      const state = states.get(request);
      if (state?.status !== 'miss' || !state.context || Array.isArray(result) || isAsyncIterable(result)) return;
      if (!clean(result as ExecutionResult)) return;
      const ttlMs = cache.ttlFor(options.entityCache()?.requestFreshness(state.context) ?? null);
      if (ttlMs <= 0) return;
      // Serialised once, when Yoga's result processor asks; what the client gets is what is stored.
      setResult({
        ...(result as ExecutionResult),
        stringify: (final: ExecutionResult) => {
          const text = JSON.stringify(final);
          if (clean(final)) state.write = cache.write(state.key, text, ttlMs);
          return text;
        },
      } as ExecutionResult);
    },
    async onResponse({ request, response }) {
      const state = states.get(request);
      if (!state) return;
      response.headers.set(RESPONSE_CACHE_HEADER, state.status);
      if (state.status === 'miss' && state.write && !(await state.write)) {
        options.logger.debug('response cache: answer not stored (store unavailable)');
      }
    },
  };
}
