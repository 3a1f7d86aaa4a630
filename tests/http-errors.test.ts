import type { Stack } from '../scripts/stack';
import { startTestStack } from './testkit';

/** Bad requests get spec-conform GraphQL-over-HTTP errors with codes; never a 500 or a stack. */
let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.stop());

async function post(body: string, accept = 'application/graphql-response+json') {
  const response = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string } }[]; data?: unknown } };
}

describe('GraphQL-over-HTTP errors', () => {
  it.each(['application/graphql-response+json', 'application/json'])('malformed JSON body → 400 BAD_REQUEST (%s)', async (accept) => {
    const { status, json, text } = await post('{"query": "{ states { name } ', accept);
    expect(status).toBe(400);
    expect(json.errors!.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
    expect(text).not.toMatch(/at position|SyntaxError|node_modules/);
  });

  it('missing query → 400 BAD_REQUEST', async () => {
    const { status, json } = await post('{"variables": {}}');
    expect(status).toBe(400);
    expect(json.errors![0]!.extensions!.code).toBe('BAD_REQUEST');
  });

  it('unknown field → 400 GRAPHQL_VALIDATION_FAILED, nothing executed', async () => {
    const { status, json } = await post(JSON.stringify({ query: '{ municipality(ags: "05315000") { name mayor } }' }));
    expect(status).toBe(400);
    expect(json.data).toBeUndefined();
    expect(json.errors).toEqual([
      expect.objectContaining({
        message: 'Cannot query field "mayor" on type "Municipality".',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);
  });

  it('syntax error → 400 GRAPHQL_PARSE_FAILED', async () => {
    const { status, json } = await post(JSON.stringify({ query: '{ municipality(ags: ) }' }));
    expect(status).toBe(400);
    expect(json.errors![0]!.extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('invalid variables (wrong type, missing, not an object) → 400 with a code', async () => {
    const query = 'query($ags: String!) { municipality(ags: $ags) { name } }';
    const wrongType = await post(JSON.stringify({ query, variables: { ags: 5122000 } }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(wrongType.json.errors![0]!.message).toMatch(/String cannot represent a non string value/);
    const missing = await post(JSON.stringify({ query, variables: {} }));
    expect(missing.status).toBe(400);
    expect(missing.json.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const notObject = await post(JSON.stringify({ query, variables: [1, 2] }));
    expect(notObject.status).toBe(400);
    expect(notObject.json.errors![0]!.extensions!.code).toBe('BAD_REQUEST');
  });

  it('wrong method and wrong content type are 4xx, not 500', async () => {
    const put = await fetch(stack.gatewayUrl, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    const text = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
  });

  it('keeps serving after all of that, and echoes a correlation id', async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'test-123' },
      body: JSON.stringify({ query: '{ state(code: "04") { name } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('test-123');
    expect(await response.json()).toEqual({ data: { state: { name: 'Bremen' } } });
  });

  it('health: /healthz alive, /readyz reports the supergraph and all five subgraphs up', async () => {
    const base = stack.gatewayUrl.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    const body = (await ready.json()) as { status: string; subgraphs: { name: string; up: boolean }[] };
    expect(ready.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.subgraphs).toEqual(
      ['abfall', 'kommunen', 'leistungen', 'ratsinfo', 'warnungen'].map((name) => ({ name, up: true })),
    );
  });
});
