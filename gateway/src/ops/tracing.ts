import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../../../common/logger';

/**
 * OpenTelemetry tracing for the gateway, without global state: one tracer provider per
 * gateway, never registered globally, and explicit parent spans instead of a context
 * manager (the request's spans live on its per-request state). Apollo's own built-in spans
 * go to the global no-op provider and are not recorded.
 *
 * Exporting is pluggable: pass span processors to `createGateway(config, { spanProcessors })`
 * (tests use `InMemorySpanExporter`; production can use an OTLP exporter package), or set
 * `ops.tracing.exporter: 'log'` for one JSON log line per span. With neither, spans are still
 * created, so the `traceparent` sent to subgraphs names the real fetch span.
 */
export interface GatewayTracingOptions {
  serviceName: string;
  /** Share of new traces (no sampled parent) that are recorded, 0…1. */
  sampleRatio: number;
  exporter: 'none' | 'log';
  spanProcessors?: readonly SpanProcessor[];
  logger: Logger;
}

export interface GatewayTracing {
  readonly tracer: Tracer;
  /** A root span for a request: child of the caller's `traceparent` when that is valid. */
  startRequestSpan(name: string, headers: Headers, attributes?: Attributes): Span;
  startChildSpan(name: string, parent: Span, attributes?: Attributes, kind?: SpanKind): Span;
  /** W3C `traceparent` (and `tracestate`) headers naming `span` as the parent. */
  headersFor(span: Span): Record<string, string>;
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();

/** One JSON log line per finished span (ops.tracing.exporter = 'log'). */
export function createLogSpanExporter(logger: Logger): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      for (const span of spans) {
        const context = span.spanContext();
        logger.info(
          {
            span: span.name,
            traceId: context.traceId,
            spanId: context.spanId,
            parentSpanId: span.parentSpanId ?? null,
            durationMs: Math.round((span.duration[0] * 1e3 + span.duration[1] / 1e6) * 100) / 100,
            status: span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok',
            attributes: span.attributes,
          },
          'span',
        );
      }
      done({ code: ExportResultCode.SUCCESS });
    },
    async shutdown() {},
  };
}

export function createGatewayTracing(options: GatewayTracingOptions): GatewayTracing {
  const spanProcessors = [...(options.spanProcessors ?? [])];
  if (options.exporter === 'log') spanProcessors.push(new SimpleSpanProcessor(createLogSpanExporter(options.logger)));
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': options.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanProcessors,
  });
  const tracer = provider.getTracer('amtsgraph-gateway');
  return {
    tracer,
    startRequestSpan(name, headers, attributes) {
      const carrier: Record<string, string> = {};
      const traceparent = headers.get('traceparent');
      if (traceparent) carrier.traceparent = traceparent;
      const tracestate = headers.get('tracestate');
      if (tracestate && tracestate.length <= 512) carrier.tracestate = tracestate;
      // An invalid traceparent extracts to nothing: the request then starts a new trace.
      const parent = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
      return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    },
    startChildSpan(name, parent, attributes, kind = SpanKind.INTERNAL) {
      return tracer.startSpan(name, { kind, attributes }, trace.setSpan(ROOT_CONTEXT, parent));
    },
    headersFor(span) {
      const carrier: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
      return carrier;
    },
    shutdown: () => provider.shutdown(),
  };
}
