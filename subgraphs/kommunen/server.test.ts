import type { RunningStandIn } from '../../stand-ins/lib/stand-in';
import { createRegisterStandIn } from '../../stand-ins/register/server';
import { createKommunenSubgraph } from './server';

const standIn = createRegisterStandIn();
let running: RunningStandIn;
let subgraph: ReturnType<typeof createKommunenSubgraph>;

async function gql(query: string, variables?: Record<string, unknown>) {
  const response = await subgraph.fetch('http://subgraph/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] };
}

beforeAll(async () => {
  running = await standIn.listen(0);
  subgraph = createKommunenSubgraph({ registerUrl: running.url, timeoutMs: 1_000 });
});
afterEach(() => {
  standIn.setFault(null);
  standIn.resetStats();
});
afterAll(async () => {
  await subgraph.close();
  await running.close();
});

const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Municipality { ags name district { name } state { code } } } }`;

describe('kommunen subgraph', () => {
  it('resolves 3 entities (one unknown) with one batched register call per type', async () => {
    const reps = ['05122000', '99999999', '05334002'].map((ags) => ({ __typename: 'Municipality', ags }));
    const { data, errors } = await gql(ENTITIES, { reps });
    expect(errors).toBeUndefined();
    expect(data._entities).toEqual([
      { ags: '05122000', name: 'Solingen, Klingenstadt', district: { name: 'Solingen, Klingenstadt' }, state: { code: '05' } },
      null,
      { ags: '05334002', name: 'Aachen, Stadt', district: { name: 'Städteregion Aachen' }, state: { code: '05' } },
    ]);
    expect(standIn.stats().byRoute).toEqual({ 'GET /v1/gemeinden': 1, 'GET /v1/kreise': 1, 'GET /v1/laender': 1 });
    expect(standIn.stats().recent[0]!.url).toBe('/v1/gemeinden?ags=05122000%2C99999999%2C05334002');
  });

  it('splits batches at the register limit of 100 keys', async () => {
    const reps = Array.from({ length: 150 }, (_, i) => ({ __typename: 'Municipality', ags: `0${5000000 + i}` }));
    await gql(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Municipality { ags } } }`, { reps });
    expect(standIn.stats().byRoute).toEqual({ 'GET /v1/gemeinden': 2 });
  });

  it('forwards the W3C traceparent to the register', async () => {
    await gql('{ municipality(ags: "04011000") { name } }');
    expect(standIn.stats().recent.map((r) => r.traceparent)).toEqual(['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']);
  });

  it.each([
    [{ status: 500 }, 'DOWNSTREAM_SERVICE_ERROR', 'register (behind subgraph kommunen): answered HTTP 500'],
    [{ garbage: 'html' as const }, 'DOWNSTREAM_SERVICE_ERROR', 'register (behind subgraph kommunen): answered a body that is not JSON'],
    [{ garbage: 'wrong-shape' as const }, 'DOWNSTREAM_SERVICE_ERROR', 'register (behind subgraph kommunen): answered a body that does not match its contract'],
    [{ latencyMs: 2_500 }, 'UPSTREAM_TIMEOUT', 'register (behind subgraph kommunen) did not answer within 1000 ms'],
  ])('upstream fault %j → %s', async (fault, code, message) => {
    standIn.setFault(fault);
    const { data, errors } = await gql('{ municipality(ags: "05315000") { name } }');
    expect(data).toEqual({ municipality: null });
    expect(errors).toEqual([
      expect.objectContaining({ message, path: ['municipality'], extensions: expect.objectContaining({ code, subgraph: 'kommunen', upstream: 'register' }) }),
    ]);
  });

  it('rejects a malformed AGS before calling the register', async () => {
    const { errors } = await gql('{ municipality(ags: "5122000") { name } }');
    expect(errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'ags' });
    expect(standIn.stats().total).toBe(0);
  });

  it('invalid variable values are BAD_USER_INPUT, not an internal error', async () => {
    const { errors } = await gql('query($a: String!) { municipality(ags: $a) { name } }', { a: 5 });
    expect(errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });
});
