import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { memoryLogger } from '../common/logger';
import type { Stack } from '../scripts/stack';
import { gql, resetUpstreamCounts, startTestStack } from './testkit';

/**
 * Tracing and logs: the W3C traceparent of a request reaches the upstream stand-in with the
 * same trace id (gateway span → subgraph → REST call); spans cover parse, validate, plan,
 * execute and each fetch; every request log line carries the correlation id and no personal
 * data or query values.
 */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;
const QUERY = 'query Portal { municipality(ags: "05122000") { name taxOffice { name } warnings { headline } } }';

let stack: Stack;
const exporter = new InMemorySpanExporter();
const { logger, records } = memoryLogger('info');
const lines = records as Record<string, any>[];
jest.setTimeout(60_000);

beforeAll(async () => {
  stack = await startTestStack({ logger, spanProcessors: [new SimpleSpanProcessor(exporter)] });
});
afterAll(() => stack?.stop());

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const recentTraceparents = (standIn: 'register' | 'leika' | 'nina') =>
  stack.standIns[standIn]!.standIn.stats().recent.map((r: { traceparent?: string }) => r.traceparent);

describe('trace context gateway → subgraph → upstream', () => {
  beforeEach(() => {
    exporter.reset();
    resetUpstreamCounts(stack);
  });

  it('the caller\'s trace id reaches every upstream stand-in, with the fetch span as parent', async () => {
    const { status, body, headers } = await gql(stack, QUERY, undefined, { traceparent: TRACEPARENT, 'x-request-id': 'trace-test-1' });
    expect([status, body.errors]).toEqual([200, undefined]);
    expect(headers.get('x-request-id')).toBe('trace-test-1');

    const spans = spansOf(TRACE_ID);
    const [root] = byName(spans, 'graphql.request');
    expect(root!.parentSpanId).toBe(CALLER_SPAN);
    const rootId = root!.spanContext().spanId;
    for (const name of ['graphql.parse', 'graphql.validate', 'graphql.plan', 'graphql.execute']) {
      expect([name, byName(spans, name).map((s) => s.parentSpanId)]).toEqual([name, [rootId]]);
    }
    const execute = byName(spans, 'graphql.execute')[0]!.spanContext().spanId;
    const fetches = byName(spans, 'subgraph.fetch');
    expect(fetches.map((s) => [s.attributes['amtsgraph.subgraph'], s.parentSpanId, s.attributes['http.response.status_code']]).sort()).toEqual([
      ['kommunen', execute, 200],
      ['leistungen', execute, 200],
      ['warnungen', execute, 200],
    ]);
    expect(root!.attributes).toMatchObject({ 'graphql.operation.name': 'Portal', 'graphql.operation.type': 'query', 'http.response.status_code': 200 });
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('05122000');

    // Each upstream request carries the trace id and the span id of the fetch that caused it.
    const fetchSpan = (subgraph: string) => fetches.find((s) => s.attributes['amtsgraph.subgraph'] === subgraph)!.spanContext().spanId;
    expect(recentTraceparents('register')).toEqual([`00-${TRACE_ID}-${fetchSpan('kommunen')}-01`]);
    expect(recentTraceparents('nina')).toEqual([`00-${TRACE_ID}-${fetchSpan('warnungen')}-01`]);
    expect(recentTraceparents('leika')).toEqual([`00-${TRACE_ID}-${fetchSpan('leistungen')}-01`]);
  });

  it('without a caller traceparent the gateway starts a trace, and the upstream sees its id', async () => {
    const { status } = await gql(stack, QUERY);
    expect(status).toBe(200);
    const roots = byName(exporter.getFinishedSpans(), 'graphql.request');
    expect(roots).toHaveLength(1);
    const traceId = roots[0]!.spanContext().traceId;
    expect(roots[0]!.parentSpanId).toBeUndefined();
    expect(traceId).not.toBe(TRACE_ID);
    expect(recentTraceparents('nina').map((t) => t?.split('-')[1])).toEqual([traceId]);
  });

  it('a malformed traceparent is not followed: a new trace starts', async () => {
    await gql(stack, QUERY, undefined, { traceparent: '00-zzzz-not-valid-01' });
    const [root] = byName(exporter.getFinishedSpans(), 'graphql.request');
    expect(root!.parentSpanId).toBeUndefined();
    expect(recentTraceparents('register')[0]).toBe(`00-${root!.spanContext().traceId}-${byName(exporter.getFinishedSpans(), 'subgraph.fetch').find((s) => s.attributes['amtsgraph.subgraph'] === 'kommunen')!.spanContext().spanId}-01`);
  });
});

describe('request logs', () => {
  it('one JSON line per request with the correlation id, trace id and signature; no query values', async () => {
    lines.length = 0;
    await gql(stack, QUERY, undefined, { traceparent: TRACEPARENT, 'x-request-id': 'log-test-1' });
    await gql(stack, '{ municipality(ags: "05122000") { nope } }', undefined, { 'x-request-id': 'log-test-2' });
    const completed = lines.filter((l) => l.msg === 'request completed');
    expect(completed.map((l) => [l.correlationId, l.status, l.outcome])).toEqual([
      ['log-test-1', 200, 'ok'],
      ['log-test-2', 400, 'rejected'],
    ]);
    expect(completed[0]).toMatchObject({ traceId: TRACE_ID, signature: expect.stringMatching(/^[0-9a-f]{16}$/), operationType: 'query', component: 'gateway' });
    expect(completed[0]!.durationMs).toBeGreaterThan(0);
    expect(completed[1]).toMatchObject({ errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });
    const gatewayLines = lines.filter((l) => l.component === 'gateway');
    expect(JSON.stringify(gatewayLines)).not.toMatch(/05122000|nope|authorization/i);
  });

  it('lines logged while serving a request carry its correlation id (per-request child logger)', async () => {
    lines.length = 0;
    await stack.subgraphs.warnungen.listening.close();
    const { body } = await gql(stack, QUERY, undefined, { 'x-request-id': 'log-test-3' });
    expect(body.errors!.map((e) => [e.extensions!.code, e.extensions!.subgraph])).toEqual([['DOWNSTREAM_SERVICE_ERROR', 'warnungen']]);
    const failed = lines.filter((l) => l.msg === 'subgraph fetch failed');
    expect(failed.map((l) => [l.correlationId, l.subgraph])).toEqual([['log-test-3', 'warnungen']]);
    expect(failed[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(byName(exporter.getFinishedSpans(), 'subgraph.fetch').filter((s) => s.attributes['amtsgraph.fetch.failure'] === 'unreachable')).toHaveLength(1);
  });
});
