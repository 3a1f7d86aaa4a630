import http from 'node:http';
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

  it('wrong method: 405; non-preflighted browser requests (form posts, GET without header): 403 (CSRF prevention)', async () => {
    const put = await fetch(stack.gatewayUrl, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(405);
    const form = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7Bstates%7Bcode%7D%7D',
    });
    expect(form.status).toBe(403);
    const text = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ states { code } }"}' });
    expect(text.status).toBe(403);
    const get = await fetch(`${stack.gatewayUrl}?query=%7Bstate(code%3A%2204%22)%7Bname%7D%7D`);
    expect(get.status).toBe(403);
    const preflighted = await fetch(`${stack.gatewayUrl}?query=%7Bstate(code%3A%2204%22)%7Bname%7D%7D`, { headers: { 'x-amtsgraph-csrf': '1' } });
    expect(await preflighted.json()).toEqual({ data: { state: { name: 'Bremen' } } });
    const badVariables = await fetch(`${stack.gatewayUrl}?query=%7Bstates%7Bcode%7D%7D&variables=%7Bbad`, { headers: { 'x-amtsgraph-csrf': '1' } });
    expect(badVariables.status).toBe(400);
    expect(await badVariables.json()).toEqual({ errors: [{ message: 'The variables parameter is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('operations the graph does not offer, unknown operation names and missing queries are request errors', async () => {
    const mutation = await post(JSON.stringify({ query: 'mutation { x }' }));
    expect([mutation.status, mutation.json.errors![0]!.extensions!.code]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    const subscription = await post(JSON.stringify({ query: 'subscription { x }' }));
    expect([subscription.status, subscription.json.errors![0]!.extensions!.code]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    const unknownName = await post(JSON.stringify({ query: 'query A { states { code } } query B { states { name } }', operationName: 'C' }), 'application/json');
    expect([unknownName.status, unknownName.json.errors![0]!.extensions!.code]).toEqual([400, 'BAD_REQUEST']);
    const missing = await post('{"query": null}', 'application/json');
    expect([missing.status, missing.json.errors![0]!.extensions!.code]).toEqual([400, 'BAD_REQUEST']);
  });

  it('a body without Content-Length (chunked) is counted while read: 413 PAYLOAD_TOO_LARGE past the limit, answered below it', async () => {
    const chunked = (chunks: string[]) =>
      new Promise<{ status: number; body: { data?: unknown; errors?: { extensions?: { code?: string } }[] } }>((resolve, reject) => {
        const request = http.request(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
        });
        request.on('error', reject);
        for (const chunk of chunks) request.write(chunk);
        request.end();
      });
    const small = await chunked(['{"query":"{ municipality(ags: \\"05122000\\") ', '{ name } }"}']);
    expect(small).toEqual({ status: 200, body: { data: { municipality: { name: 'Solingen, Klingenstadt' } } } });
    const padding = ' '.repeat(40_000);
    const big = await chunked(['{"query":"{ states { code } }', padding, padding, padding, '"}']);
    expect([big.status, big.body.errors?.[0]?.extensions?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('limits: body size 413, tokens, depth and aliases each with its own code; the gateway keeps serving', async () => {
    const big = await post(JSON.stringify({ query: `{ states { code } } #${' '.repeat(200_000)}` }));
    expect([big.status, big.json.errors![0]!.extensions!.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const chain = Array.from({ length: 2000 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`).join(' ');
    const tokens = await post(JSON.stringify({ query: `{ ...F0 } ${chain} fragment F2000 on Query { states { code } }` }));
    expect([tokens.status, tokens.json.errors![0]!.extensions!.code]).toEqual([400, 'MAX_TOKENS_EXCEEDED']);
    const aliases = await post(JSON.stringify({ query: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: states { code }`).join(' ')} }` }));
    expect(aliases.json.errors).toEqual([
      { message: 'Syntax Error: Aliases limit of 30 exceeded, found 31.', extensions: { code: 'MAX_ALIASES_EXCEEDED' } },
    ]);
    const deep = `{ ${Array.from({ length: 14 }, (_, i) => `f${i} {`).join(' ')} leaf ${' }'.repeat(14)} }`;
    const nested = await post(JSON.stringify({ query: deep }));
    expect(nested.json.data).toBeUndefined();
    expect(nested.status).toBe(400);
    expect(nested.json.errors!.map((e) => e.extensions!.code)).toContain('MAX_DEPTH_EXCEEDED');
    expect(nested.json.errors!.find((e) => e.extensions!.code === 'MAX_DEPTH_EXCEEDED')!.message).toBe(
      'Syntax Error: Query depth limit of 12 exceeded, found 15.',
    );
    const ok = await post(JSON.stringify({ query: '{ municipality(ags: "05122000") { district { state { name } } } }' }));
    expect(ok.json).toEqual({ data: { municipality: { district: { state: { name: 'Nordrhein-Westfalen' } } } } });
  });

  it('CORS is off unless origins are configured: a foreign origin gets no allow-origin header', async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
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

  it('health: /healthz alive, /readyz reports the supergraph and all seven subgraphs up', async () => {
    const base = stack.gatewayUrl.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    const body = (await ready.json()) as { status: string; subgraphs: { name: string; up: boolean }[] };
    expect(ready.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.subgraphs).toEqual(
      ['abfall', 'gewerbe', 'kommunen', 'leistungen', 'melderegister', 'ratsinfo', 'warnungen'].map((name) => ({ name, up: true })),
    );
  });
});
