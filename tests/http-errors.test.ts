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
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    json: JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string } }[]; data?: unknown },
  };
}

/** One query over each limit of README "Configuration" (defaults), with the error it gets. */
const fragmentChain = Array.from({ length: 2000 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`).join(' ');
const OVER_LIMITS: [limit: string, query: string, code: string, message: string][] = [
  ['tokens', `{ ...F0 } ${fragmentChain} fragment F2000 on Query { states { code } }`, 'MAX_TOKENS_EXCEEDED', 'Token limit of 5000 exceeded.'],
  [
    'depth',
    `{ ${Array.from({ length: 14 }, (_, i) => `f${i} {`).join(' ')} leaf ${' }'.repeat(14)} }`,
    'MAX_DEPTH_EXCEEDED',
    'Query depth limit of 12 exceeded, found 15.',
  ],
  ['aliases', `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: states { code }`).join(' ')} }`, 'MAX_ALIASES_EXCEEDED', 'Aliases limit of 30 exceeded, found 31.'],
  ['directives', `{ states ${'@include(if: true) '.repeat(51)}{ code } }`, 'MAX_DIRECTIVES_EXCEEDED', 'Directives limit of 50 exceeded, found 51.'],
  [
    'cost',
    '{ municipality(ags: "05122000") { council { meetings(first: 5000) { name } } } }',
    'COST_LIMIT_EXCEEDED',
    'Query Cost limit of 5000 exceeded, found 39380.',
  ],
  // Fractional estimates are rounded up, astronomic ones given as a bound (was 8.264599553941043e+35).
  ['cost, 20 levels', `{ ${Array.from({ length: 20 }, (_, i) => `f${i} {`).join(' ')} leaf ${' }'.repeat(20)} }`, 'COST_LIMIT_EXCEEDED', 'Query Cost limit of 5000 exceeded, found 16623.'],
  ['cost, 200 levels', `{ ${Array.from({ length: 200 }, (_, i) => `f${i} {`).join(' ')} leaf ${' }'.repeat(200)} }`, 'COST_LIMIT_EXCEEDED', 'Query Cost limit of 5000 exceeded, found more than 10^15.'],
];

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

  it('limits: a body over the size limit gets 413 PAYLOAD_TOO_LARGE whatever the Accept header; the gateway keeps serving', async () => {
    const body = JSON.stringify({ query: `{ states { code } } #${' '.repeat(200_000)}` });
    for (const accept of ['application/graphql-response+json', 'application/json']) {
      const big = await post(body, accept);
      expect([big.status, big.contentType, big.json]).toEqual([
        413,
        'application/json',
        { errors: [{ message: `The request body is ${body.length} bytes; the limit is 100000 bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] },
      ]);
    }
    const ok = await post(JSON.stringify({ query: '{ municipality(ags: "05122000") { district { state { name } } } }' }));
    expect(ok.json).toEqual({ data: { municipality: { district: { state: { name: 'Nordrhein-Westfalen' } } } } });
  });

  it('aliases of __typename count like any other: 1000 and 31 are refused, 30 answered', async () => {
    const typenames = (n: number) => JSON.stringify({ query: `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }` });
    const thousand = await post(typenames(1000));
    expect([thousand.status, thousand.contentType, thousand.json]).toEqual([
      400,
      'application/graphql-response+json; charset=utf-8',
      { errors: [{ message: 'Aliases limit of 30 exceeded, found 1000.', extensions: { code: 'MAX_ALIASES_EXCEEDED' } }] },
    ]);
    const over = await post(typenames(31));
    expect([over.status, over.json]).toEqual([400, { errors: [{ message: 'Aliases limit of 30 exceeded, found 31.', extensions: { code: 'MAX_ALIASES_EXCEEDED' } }] }]);
    const within = await post(typenames(30));
    expect([within.status, within.json]).toEqual([200, { data: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`a${i}`, 'Query'])) }]);
  });

  it.each([
    ['application/graphql-response+json', 400],
    ['application/json', 200],
  ])('every limit error is a request error like a validation error: Accept %s → %i, code, message without "Syntax Error:"', async (accept, status) => {
    const answers: unknown[] = [];
    for (const [limit, query] of OVER_LIMITS) {
      const { status, contentType, json } = await post(JSON.stringify({ query }), accept);
      answers.push([limit, status, contentType, json]);
    }
    expect(answers).toEqual(
      OVER_LIMITS.map(([limit, , code, message]) => [limit, status, `${accept}; charset=utf-8`, { errors: [{ message, extensions: { code } }] }]),
    );
    // the same status as a validation error with this Accept header
    const validation = await post(JSON.stringify({ query: '{ nope }' }), accept);
    expect([validation.status, validation.json.errors!.map((e) => e.extensions?.code)]).toEqual([status, ['GRAPHQL_VALIDATION_FAILED']]);
  });

  it.each([
    [
      '415: POST /graphql with a Content-Type the endpoint does not read',
      '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<query>{ states { code } }</query>' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'The request body has a Content-Type the GraphQL endpoint does not read; send application/json.',
    ],
    [
      '406: an Accept header without a media type of the answer (the error itself is JSON)',
      '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/xml' }, body: '{"query":"{ states { code } }"}' },
      406,
      'NOT_ACCEPTABLE',
      'The Accept header allows none of the media types of the answer; accept application/graphql-response+json or application/json.',
    ],
    ['404: GET on a path nothing is served at', '/nope', { method: 'GET' }, 404, 'NOT_FOUND', 'Nothing is served at this path; GraphQL is served at /graphql.'],
    [
      '404: POST on a path nothing is served at',
      '/nope',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ states { code } }"}' },
      404,
      'NOT_FOUND',
      'Nothing is served at this path; GraphQL is served at /graphql.',
    ],
  ] as [string, string, RequestInit, number, string, string][])('%s: JSON body with a code', async (_, path, init, status, code, message) => {
    const response = await fetch(stack.gatewayUrl.replace(/\/graphql$/, path), init);
    expect([response.status, response.headers.get('content-type'), await response.json()]).toEqual([
      status,
      'application/json',
      { errors: [{ message, extensions: { code } }] },
    ]);
  });

  it('the routes beside GraphQL keep their own answers', async () => {
    const base = stack.gatewayUrl.replace(/\/graphql$/, '');
    const answer = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}${path}`, { headers });
      const type = response.headers.get('content-type')?.split(';')[0];
      const text = await response.text();
      return [path, response.status, type, type === 'text/html' ? 'html' : (JSON.parse(text).errors?.[0]?.extensions?.code ?? 'json')];
    };
    expect(
      await Promise.all([
        answer('/healthz'),
        answer('/readyz'),
        answer('/metrics'),
        answer('/ops'),
        answer('/ops/api/operations'),
        answer('/audit'),
        answer('/graphql', { accept: 'text/html' }),
      ]),
    ).toEqual([
      ['/healthz', 200, 'application/json', 'json'],
      ['/readyz', 200, 'application/json', 'json'],
      ['/metrics', 401, 'application/json', 'UNAUTHENTICATED'],
      ['/ops', 200, 'text/html', 'html'],
      ['/ops/api/operations', 401, 'application/json', 'UNAUTHENTICATED'],
      ['/audit', 401, 'application/json', 'UNAUTHENTICATED'],
      ['/graphql', 200, 'text/html', 'html'],
    ]);
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
