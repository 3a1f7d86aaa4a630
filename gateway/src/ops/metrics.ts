import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FetchOutcome, SupergraphInfo } from '../engine/types';

/**
 * The gateway's Prometheus metrics, in a registry of its own (never prom-client's global
 * one, so two gateways in one process, e.g. in tests, do not share counters).
 *
 * Every label is bounded: operation signatures by their hash id, the first
 * `maxSignatureLabels` distinct ones and `other` after that; subgraph names come from the
 * supergraph; codes from the error catalogue (anything else is `other`); cache names from a
 * fixed list. No query text, no variables, no subjects, no correlation ids.
 */
export const OTHER = 'other';
/** Caches that may report hits and misses (`recordCache`); the caching work increments them. */
export const CACHE_NAMES = ['entity', 'response', 'plan', 'upstream'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];
export type RequestOutcome = 'ok' | 'partial' | 'error';
const FETCH_ERROR_KINDS = new Set(['timeout', 'unreachable', 'too_large', 'invalid_response', 'graphql']);
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface GatewayMetricsOptions {
  maxSignatureLabels: number;
  /** Catalogued error codes (common/errors.ts): the only values of a `code` label. */
  knownCodes: readonly string[];
  /** Node.js process metrics (CPU, memory, event loop lag, GC) in the same registry. */
  processMetrics: boolean;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** The label a signature id gets: itself while there is room, `other` after. */
  signatureLabel(signatureId: string, operationName: string | null): string;
  recordRequest(signatureId: string, operationName: string | null, operationType: string | null, outcome: RequestOutcome, durationMs: number): void;
  /** A request refused before execution (parse, validation, limits, CSRF, plan header …). */
  recordRejected(code: string): void;
  recordFetch(subgraph: string, outcome: FetchOutcome): void;
  /** For the caching work: count a hit or a miss of one of CACHE_NAMES. */
  recordCache(cache: CacheName, result: 'hit' | 'miss', count?: number): void;
  /** Fields authorization removed from one request (0 counts nothing). */
  recordAuthorizationFiltered(removedFields: number): void;
  recordPlanRequest(mode: 'include' | 'only', result: 'served' | 'refused'): void;
  setSupergraph(info: SupergraphInfo): void;
  /** Text exposition format for /metrics. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const safeName = (name: string | null) => (name ?? '').replace(/[^A-Za-z0-9_]/g, '').slice(0, 64) || '-';

export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const registry = new Registry();
  const known = new Set(options.knownCodes);
  const admitted = new Set<string>();
  const registers = [registry];

  const requests = new Counter({
    name: 'amtsgraph_requests_total',
    help: 'GraphQL operations executed, by signature id (hash of the normalised operation; "other" beyond the label limit), operation type and outcome (ok, partial = data and errors, error = errors only).',
    labelNames: ['signature', 'operation_type', 'outcome'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'amtsgraph_request_duration_seconds',
    help: 'Time from request arrival to the end of execution, by signature id.',
    labelNames: ['signature'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const signatureInfo = new Gauge({
    name: 'amtsgraph_operation_signature_info',
    help: 'Always 1: maps a signature id to its operation name (letters, digits and _ only, at most 64).',
    labelNames: ['signature', 'operation_name'] as const,
    registers,
  });
  const rejected = new Counter({
    name: 'amtsgraph_rejected_requests_total',
    help: 'Requests answered without execution, by the error code of the first error.',
    labelNames: ['code'] as const,
    registers,
  });
  const fetches = new Counter({
    name: 'amtsgraph_subgraph_fetches_total',
    help: 'Subgraph fetches by subgraph and outcome (ok, error = transport failure or errors in the response).',
    labelNames: ['subgraph', 'outcome'] as const,
    registers,
  });
  const fetchErrors = new Counter({
    name: 'amtsgraph_subgraph_fetch_errors_total',
    help: 'Failed subgraph fetches by subgraph and kind (timeout, unreachable, too_large, invalid_response, graphql).',
    labelNames: ['subgraph', 'kind'] as const,
    registers,
  });
  const fetchDuration = new Histogram({
    name: 'amtsgraph_subgraph_fetch_duration_seconds',
    help: 'Duration of one subgraph fetch, by subgraph.',
    labelNames: ['subgraph'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const cacheHits = new Counter({
    name: 'amtsgraph_cache_hits_total',
    help: 'Cache hits by cache (entity, response, plan, upstream).',
    labelNames: ['cache'] as const,
    registers,
  });
  const cacheMisses = new Counter({
    name: 'amtsgraph_cache_misses_total',
    help: 'Cache misses by cache (entity, response, plan, upstream).',
    labelNames: ['cache'] as const,
    registers,
  });
  const filteredFields = new Counter({
    name: 'amtsgraph_authorization_filtered_fields_total',
    help: 'Fields authorization removed from operations.',
    registers,
  });
  const filteredRequests = new Counter({
    name: 'amtsgraph_authorization_filtered_requests_total',
    help: 'Operations from which authorization removed at least one field.',
    registers,
  });
  const planRequests = new Counter({
    name: 'amtsgraph_query_plan_requests_total',
    help: 'Requests with the x-amtsgraph-query-plan header, by mode (include, only) and result (served, refused).',
    labelNames: ['mode', 'result'] as const,
    registers,
  });
  const supergraphInfo = new Gauge({
    name: 'amtsgraph_supergraph_info',
    help: 'Always 1: the id (first 16 hex characters of the sha256) of the supergraph being served.',
    labelNames: ['supergraph_id'] as const,
    registers,
  });
  const supergraphLoaded = new Gauge({
    name: 'amtsgraph_supergraph_loaded_timestamp_seconds',
    help: 'When the supergraph being served was loaded (Unix time).',
    registers,
  });
  for (const cache of CACHE_NAMES) {
    cacheHits.inc({ cache }, 0);
    cacheMisses.inc({ cache }, 0);
  }
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const signatureLabel = (id: string, operationName: string | null) => {
    if (admitted.has(id)) return id;
    if (admitted.size >= options.maxSignatureLabels) return OTHER;
    admitted.add(id);
    signatureInfo.set({ signature: id, operation_name: safeName(operationName) }, 1);
    return id;
  };

  return {
    registry,
    signatureLabel,
    recordRequest(id, operationName, operationType, outcome, durationMs) {
      const signature = signatureLabel(id, operationName);
      requests.inc({ signature, operation_type: operationType ?? 'unknown', outcome });
      duration.observe({ signature }, durationMs / 1000);
    },
    recordRejected(code) {
      rejected.inc({ code: known.has(code) ? code : OTHER });
    },
    recordFetch(subgraph, outcome) {
      const kind = outcome.failure ?? (outcome.errorCodes.length ? 'graphql' : null);
      fetches.inc({ subgraph, outcome: kind ? 'error' : 'ok' });
      if (kind) fetchErrors.inc({ subgraph, kind: FETCH_ERROR_KINDS.has(kind) ? kind : OTHER });
      fetchDuration.observe({ subgraph }, outcome.durationMs / 1000);
    },
    recordCache(cache, result, count = 1) {
      const label = (CACHE_NAMES as readonly string[]).includes(cache) ? cache : OTHER;
      (result === 'hit' ? cacheHits : cacheMisses).inc({ cache: label }, count);
    },
    recordAuthorizationFiltered(removedFields) {
      if (removedFields <= 0) return;
      filteredFields.inc(removedFields);
      filteredRequests.inc();
    },
    recordPlanRequest(mode, result) {
      planRequests.inc({ mode, result });
    },
    setSupergraph(info) {
      supergraphInfo.reset();
      supergraphInfo.set({ supergraph_id: info.id.slice(0, 16) }, 1);
      supergraphLoaded.set(Math.floor(info.loadedAt.getTime() / 1000));
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
