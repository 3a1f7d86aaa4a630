import { ConfigError } from '../common/env';
import { resolveConfig } from '../gateway/src/config';
import { opsFromEnv } from '../gateway/src/ops/config';
import { createGateway, type Gateway } from '../gateway/src/server';

/** The `ops` configuration section: defaults, validation messages, environment variables, switches. */
const identitySecret = 'x'.repeat(40);

describe('ops configuration', () => {
  it('has bounded defaults', () => {
    const { ops } = resolveConfig({ identitySecret });
    expect(ops).toEqual({
      maxSignatures: 1000,
      page: true,
      cataloguePath: expect.stringMatching(/subgraphs\/catalogue\.json$/),
      metrics: { enabled: true, maxSignatureLabels: 100, processMetrics: true },
      tracing: { enabled: true, serviceName: 'amtsgraph-gateway', sampleRatio: 1, exporter: 'none' },
    });
    expect(Object.isFrozen(ops.metrics)).toBe(true);
  });

  it('names the option and what it expects', () => {
    expect(() => resolveConfig({ identitySecret, ops: { maxSignatures: 0 } })).toThrow(
      'gateway option "ops.maxSignatures": Number must be greater than or equal to 1',
    );
    expect(() => resolveConfig({ identitySecret, ops: { metrics: { token: 'short' } } })).toThrow(
      'gateway option "ops.metrics.token": must be at least 32 characters',
    );
    expect(() => resolveConfig({ identitySecret, ops: { tracing: { exporter: 'otlp' as never } } })).toThrow('gateway option "ops.tracing.exporter"');
  });

  it('reads AMTSGRAPH_METRICS_TOKEN, OPS_MAX_SIGNATURES, TRACING_EXPORTER, TRACE_SAMPLE_RATIO, OTEL_SERVICE_NAME', () => {
    const token = 'metrics-token-from-the-environment-0123456789';
    expect(
      opsFromEnv(
        { AMTSGRAPH_METRICS_TOKEN: token, OPS_MAX_SIGNATURES: '50', TRACING_EXPORTER: 'log', TRACE_SAMPLE_RATIO: '0.25', OTEL_SERVICE_NAME: 'gw-1' },
        'production',
      ),
    ).toEqual({ maxSignatures: 50, metrics: { token }, tracing: { exporter: 'log', sampleRatio: 0.25, serviceName: 'gw-1' } });
    // Production without a token: /metrics only for caller tokens with ops:metrics.
    expect(opsFromEnv({}, 'production').metrics).toEqual({ token: undefined });
    expect(() => opsFromEnv({ TRACING_EXPORTER: 'otlp' }, 'production')).toThrow(new ConfigError('TRACING_EXPORTER must be one of none, log, received "otlp"'));
    expect(() => opsFromEnv({ TRACE_SAMPLE_RATIO: '2' }, 'production')).toThrow(new ConfigError('TRACE_SAMPLE_RATIO must be a number from 0 to 1 such as 0.25, received "2"'));
    expect(() => opsFromEnv({ OPS_MAX_SIGNATURES: 'many' }, 'production')).toThrow(
      new ConfigError('OPS_MAX_SIGNATURES must be a whole number from 1 to 100000, received "many"'),
    );
  });
});

describe('switching the operator endpoints off', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await createGateway({ identitySecret, watchSupergraph: false, logLevel: 'silent', ops: { page: false, metrics: { enabled: false } } });
  });
  afterAll(() => gateway?.stop());

  it('page: false and metrics.enabled: false leave /ops and /metrics unserved', async () => {
    for (const route of ['/ops', '/ops/api/operations', '/metrics']) {
      expect([route, (await gateway.fetch(`http://gateway${route}`)).status]).toEqual([route, 404]);
    }
  });
});
