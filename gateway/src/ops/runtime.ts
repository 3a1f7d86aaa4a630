import path from 'node:path';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ERROR_CODES } from '../../../common/errors';
import type { Logger } from '../../../common/logger';
import type { GatewayConfig } from '../config';
import { loadCatalogueMetadata, type CatalogueSource } from './catalogue';
import { createGatewayMetrics, type GatewayMetrics } from './metrics';
import { createPlanStore, type PlanStore } from './plan-store';
import { createRequestSignatures, type RequestSignatures } from './signature';
import { createSubgraphTrafficStats, type SubgraphTrafficStats } from './subgraph-health';
import { createGatewayTracing, type GatewayTracing } from './tracing';

/**
 * Everything the operator features of one gateway share: the signature cache, the plan
 * store, subgraph traffic statistics, the metrics registry, the tracer and the catalogue
 * metadata. Created once per gateway in plugins/index.ts and handed to the plugins
 * (use-plan-monitor, use-metrics, use-tracing, use-ops-page); nothing is global.
 */
export interface OpsRuntime {
  /** Signatures of the operations as clients sent them (see signature.ts). */
  signatures: RequestSignatures;
  store: PlanStore;
  traffic: SubgraphTrafficStats;
  /** Null when `ops.metrics.enabled` is false. */
  metrics: GatewayMetrics | null;
  /** Null when `ops.tracing.enabled` is false. */
  tracing: GatewayTracing | null;
  /** Owners, contacts and contracts; empty (logged) when the metadata file is missing or invalid. */
  catalogue: CatalogueSource;
}

export interface OpsRuntimeDeps {
  config: GatewayConfig['ops'];
  logger: Logger;
  /** Extra span processors, e.g. an OTLP exporter's or, in tests, an in-memory exporter's. */
  spanProcessors?: readonly SpanProcessor[];
}

export function createOpsRuntime(deps: OpsRuntimeDeps): OpsRuntime {
  const { config, logger } = deps;
  let catalogue: CatalogueSource = { metadata: { subgraphs: {} }, root: path.resolve(path.dirname(config.cataloguePath), '..') };
  try {
    catalogue = loadCatalogueMetadata(config.cataloguePath);
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'API catalogue metadata not loaded: /ops shows the catalogue without owners and contracts');
  }
  return {
    signatures: createRequestSignatures(),
    store: createPlanStore({ maxSignatures: config.maxSignatures }),
    traffic: createSubgraphTrafficStats(),
    metrics: config.metrics.enabled
      ? createGatewayMetrics({
          maxSignatureLabels: config.metrics.maxSignatureLabels,
          knownCodes: Object.keys(ERROR_CODES),
          processMetrics: config.metrics.processMetrics,
        })
      : null,
    tracing: config.tracing.enabled
      ? createGatewayTracing({
          serviceName: config.tracing.serviceName,
          sampleRatio: config.tracing.sampleRatio,
          exporter: config.tracing.exporter,
          spanProcessors: deps.spanProcessors,
          logger: logger.child({ component: 'tracing' }),
        })
      : null,
    catalogue,
  };
}
