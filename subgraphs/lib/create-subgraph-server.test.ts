import { parse } from 'graphql';
import { request } from 'undici';
import { z } from 'zod';
import { listen, type Listening } from '../../common/listen';
import { memoryLogger } from '../../common/logger';
import { createStandIn, type RunningStandIn } from '../../stand-ins/lib/stand-in';
import { createSubgraphServer } from './create-subgraph-server';
import { createRestTransport, type RequestOptions, type RestTransport } from './rest';

/**
 * The per-request `signal` of a subgraph over node:http: it aborts when the subgraph's caller
 * closes the connection (as the gateway does at its request deadline), and REST calls given it
 * are cancelled; the subgraph logs that once.
 */
describe('createSubgraphServer: the caller going away', () => {
  const standIn = createStandIn({
    name: 'test-upstream',
    routes: [{ method: 'GET', path: '/thing', handler: () => ({ body: { n: 7 } }) }],
    errorBody: (status, message) => ({ status, message }),
  });
  const { logger, records } = memoryLogger('warn');
  let upstream: RunningStandIn;
  let subgraph: Listening;
  let transport: RestTransport;
  beforeAll(async () => {
    upstream = await standIn.listen(0);
    transport = createRestTransport({ subgraph: 'probe', upstream: 'thing', baseUrl: upstream.url, timeoutMs: 5_000 });
    const server = createSubgraphServer<{ upstreamRequest: RequestOptions }>({
      name: 'probe',
      typeDefs: parse('type Query { thing: Int }'),
      resolvers: {
        Query: {
          thing: async (_: unknown, __: unknown, ctx: { upstreamRequest: RequestOptions }) =>
            (await transport.getJson('/thing', z.object({ n: z.number() }), ctx.upstreamRequest))?.n,
        },
      },
      logger,
      createContext: ({ traceHeaders, signal }) => ({ upstreamRequest: { headers: traceHeaders, signal } }),
    });
    subgraph = await listen(server, 0);
  });
  afterAll(async () => {
    await subgraph.close();
    await upstream.close();
    await transport.close();
  });
  afterEach(() => {
    standIn.setFault(null);
    standIn.resetStats();
    records.length = 0;
  });

  const query = (signal?: AbortSignal) =>
    request(`${subgraph.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ thing }' }),
      signal,
    });
  const cancellations = () => records.filter((r) => r.msg === 'subgraph request cancelled: the caller went away');

  it('a caller that closes the connection cancels the REST call behind it, logged once', async () => {
    standIn.setFault({ latencyMs: 2_000 });
    const caller = new AbortController();
    const started = Date.now();
    setTimeout(() => caller.abort(), 150);
    await expect(query(caller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    const until = Date.now() + 1_000;
    while (standIn.stats().aborted < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(standIn.stats()).toMatchObject({ total: 1, aborted: 1 });
    expect(cancellations().map((r) => r.subgraph)).toEqual(['probe']);
    // The resolver's cancelled call is not an unexpected error.
    expect(records.filter((r) => r.msg === 'unexpected resolver error')).toEqual([]);
  });

  it('an answered request logs nothing and its signal never aborts', async () => {
    const response = await query();
    expect(await response.body.json()).toEqual({ data: { thing: 7 } });
    await new Promise((r) => setTimeout(r, 50));
    expect(standIn.stats()).toMatchObject({ total: 1, aborted: 0 });
    expect(cancellations()).toEqual([]);
  });
});
