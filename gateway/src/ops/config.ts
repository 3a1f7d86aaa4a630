import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../../common/env';
import { devSecret } from '../../../common/secrets';

/**
 * The `ops` section of the gateway configuration (gateway/src/config.ts embeds it and passes
 * the environment to `opsFromEnv`): plan monitor, /ops page, /metrics, tracing.
 */
export const TRACING_EXPORTERS = ['none', 'log'] as const;

export const opsSchema = z
  .object({
    /** Distinct operation signatures the plan monitor keeps (LRU; env OPS_MAX_SIGNATURES). */
    maxSignatures: z.number().int().min(1).max(100_000).default(1_000),
    /** Serve the operator page `/ops` and its API `/ops/api/*` (scope ops:read). */
    page: z.boolean().default(true),
    /** API catalogue metadata: owners, contacts, upstream contracts per subgraph. */
    cataloguePath: z.string().min(1).default(path.join(__dirname, '..', '..', '..', 'subgraphs', 'catalogue.json')),
    metrics: z
      .object({
        /** Record metrics and serve `GET /metrics`. */
        enabled: z.boolean().default(true),
        /**
         * Static bearer token for `/metrics` (Prometheus' `credentials_file`; env
         * AMTSGRAPH_METRICS_TOKEN). Without it only caller tokens with scope ops:metrics are
         * accepted.
         */
        token: z.string().min(32, 'must be at least 32 characters').optional(),
        /** Distinct signature ids used as label values; later ones are counted as `other`. */
        maxSignatureLabels: z.number().int().min(1).max(10_000).default(100),
        /** Node.js process metrics (CPU, memory, event loop, GC) in the same registry. */
        processMetrics: z.boolean().default(true),
      })
      .strict()
      .default({}),
    tracing: z
      .object({
        /** Create OpenTelemetry spans and send each fetch's own `traceparent` to the subgraphs. */
        enabled: z.boolean().default(true),
        /** `service.name` of the spans (env OTEL_SERVICE_NAME). */
        serviceName: z.string().min(1).default('amtsgraph-gateway'),
        /** Share of new traces recorded (a sampled caller `traceparent` is always followed; env TRACE_SAMPLE_RATIO). */
        sampleRatio: z.number().min(0).max(1).default(1),
        /**
         * `none`: spans go only to span processors passed to createGateway (e.g. OTLP);
         * `log`: one JSON log line per span as well (env TRACING_EXPORTER).
         */
        exporter: z.enum(TRACING_EXPORTERS).default('none'),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

export type OpsConfig = Readonly<z.output<typeof opsSchema>>;

export function freezeOps(config: z.output<typeof opsSchema>): OpsConfig {
  return Object.freeze({ ...config, metrics: Object.freeze({ ...config.metrics }), tracing: Object.freeze({ ...config.tracing }) });
}

/**
 * AMTSGRAPH_METRICS_TOKEN (else, in development, a token generated into
 * `.amtsgraph/metrics-token`), OPS_MAX_SIGNATURES, TRACING_EXPORTER (none|log),
 * TRACE_SAMPLE_RATIO (0…1), OTEL_SERVICE_NAME.
 */
export function opsFromEnv(env: NodeJS.ProcessEnv, mode: 'development' | 'production'): NonNullable<z.input<typeof opsSchema>> {
  const maxSignatures = env.OPS_MAX_SIGNATURES;
  if (maxSignatures !== undefined && maxSignatures !== '' && (!/^\d+$/.test(maxSignatures) || Number(maxSignatures) < 1 || Number(maxSignatures) > 100_000)) {
    throw new ConfigError(`OPS_MAX_SIGNATURES must be a whole number from 1 to 100000, received "${maxSignatures}"`);
  }
  const exporter = env.TRACING_EXPORTER || undefined;
  if (exporter !== undefined && !(TRACING_EXPORTERS as readonly string[]).includes(exporter)) {
    throw new ConfigError(`TRACING_EXPORTER must be one of ${TRACING_EXPORTERS.join(', ')}, received "${exporter}"`);
  }
  const ratio = env.TRACE_SAMPLE_RATIO;
  if (ratio !== undefined && ratio !== '' && !(/^(0(\.\d+)?|1(\.0+)?)$/.test(ratio))) {
    throw new ConfigError(`TRACE_SAMPLE_RATIO must be a number from 0 to 1 such as 0.25, received "${ratio}"`);
  }
  const token = env.AMTSGRAPH_METRICS_TOKEN || (mode === 'development' ? devSecret('metrics-token') : undefined);
  return {
    maxSignatures: maxSignatures ? Number(maxSignatures) : undefined,
    metrics: { token },
    tracing: {
      exporter: exporter as (typeof TRACING_EXPORTERS)[number] | undefined,
      sampleRatio: ratio ? Number(ratio) : undefined,
      serviceName: env.OTEL_SERVICE_NAME || undefined,
    },
  };
}
