import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { Stack } from '../scripts/stack';
import { createTestIssuer, REPO_ROOT, startTestStack, type TestIssuer } from './testkit';

/**
 * Production mode (mode: 'production', NODE_ENV=production): no introspection, no field
 * suggestions, masked errors, rate limit on, only persisted operations by default.
 */
let issuer: TestIssuer;
let jwks: http.Server;
let jwksUrl: string;
beforeAll(async () => {
  issuer = await createTestIssuer();
  jwks = http.createServer((_, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(issuer.jwks)));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => new Promise<void>((r) => jwks.close(() => r())));

const production = (extra: Record<string, unknown> = {}) => ({
  gateway: { mode: 'production' as const, authentication: { jwksUrl, issuer: issuer.issuer, audience: issuer.audience }, ...extra },
});
async function post(stack: Stack, body: unknown) {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
}

describe('production defaults', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack(production());
  });
  afterAll(() => stack.stop());

  it('resolves rate limit on, persisted operations only, APQ off', () => {
    expect(stack.gateway.config.rateLimit.enabled).toBe(true);
    expect(stack.gateway.config.persistedOperations).toMatchObject({ manifests: [], allowArbitrary: false, apq: false });
  });

  it('without a manifest every query text is refused with 400 PERSISTED_QUERY_ONLY', async () => {
    const { status, json } = await post(stack, { query: '{ __typename }' });
    expect(status).toBe(400);
    expect(json.errors!.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_ONLY']);
  });

  it('GraphiQL is not served', async () => {
    const response = await fetch(stack.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    await response.arrayBuffer();
  });
});

describe('production with arbitrary operations allowed', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack({
      ...production({ persistedOperations: { allowArbitrary: true } }),
      subgraphTimeoutMs: 300,
    });
  });
  afterAll(() => stack.stop());

  it('introspection is refused with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    // graphql-js' NoSchemaIntrospectionCustomRule reports each introspection field it meets.
    const cases: [string, string[]][] = [
      ['{ __schema { queryType { name } } }', ['GraphQL introspection has been disabled, but the requested query contained the field "__schema".', 'GraphQL introspection has been disabled, but the requested query contained the field "queryType".']],
      ['{ __type(name: "Municipality") { name } }', ['GraphQL introspection has been disabled, but the requested query contained the field "__type".']],
    ];
    for (const [query, messages] of cases) {
      const { status, json } = await post(stack, { query });
      expect(status).toBe(400);
      expect(json.data).toBeUndefined();
      expect(json.errors!.map((e) => [e.message, e.extensions?.code])).toEqual(messages.map((m) => [m, 'GRAPHQL_VALIDATION_FAILED']));
    }
    // __typename is not introspection of the schema
    expect((await post(stack, { query: '{ __typename }' })).json).toEqual({ data: { __typename: 'Query' } });
  });

  it('no field suggestions', async () => {
    const { status, json } = await post(stack, { query: '{ municipality(ags: "05122000") { nam } }' });
    expect(status).toBe(400);
    expect(json.errors!.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(json.errors![0]!.message).not.toMatch(/Did you mean/);
    expect(json.errors![0]!.message).toBe('Cannot query field "nam" on type "Municipality". [Suggestion hidden]');
  });

  it('errors are masked: no stack traces, no upstream bodies', async () => {
    await stack.stopStandIn('nina');
    try {
      const { status, text, json } = await post(stack, { query: '{ municipality(ags: "05122000") { name warnings { headline } } }' });
      expect(status).toBe(200);
      expect(json.data).toEqual({ municipality: { name: 'Solingen, Klingenstadt', warnings: null } });
      expect(json.errors!.map((e) => e.extensions?.code)).toEqual(['DOWNSTREAM_SERVICE_ERROR']);
      expect(text).not.toMatch(/stack|stacktrace|node_modules|\bat .*\.ts:\d+|ECONNREFUSED|<html/i);
    } finally {
      await stack.restartStandIn('nina');
    }
    const malformed = await post(stack, { query: '{ municipality(ags: ' });
    expect(malformed.status).toBe(400);
    expect(malformed.text).not.toMatch(/stack|node_modules|SyntaxError/);
  });
});

describe('production with a manifest', () => {
  const manifest = path.join(REPO_ROOT, 'ops', 'persisted', 'example-portal', 'manifest.json');
  const ops = (JSON.parse(readFileSync(manifest, 'utf8')) as { operations: { id: string; name: string }[] }).operations;
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack(production({ persistedOperations: { manifests: [manifest] } }));
  });
  afterAll(() => stack.stop());

  it('runs the manifest operations by id only', async () => {
    const id = ops.find((o) => o.name === 'MunicipalityPage')!.id;
    const ok = await post(stack, { documentId: id, variables: { ags: '05122000' } });
    expect(ok.status).toBe(200);
    expect(ok.json.data.municipality.name).toBe('Solingen, Klingenstadt');
    expect((await post(stack, { query: '{ __typename }' })).json.errors!.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_ONLY']);
  });
});
