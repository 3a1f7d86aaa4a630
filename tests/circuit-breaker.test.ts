import type { Stack } from '../scripts/stack';
import { gql, startTestStack, type GraphQLResponseBody } from './testkit';

/**
 * The upstream circuit breaker (subgraphs/lib/resilience.ts) wired through the stack
 * (`StackOptions.resilience`; `npm start` and standalone subgraphs turn it on), observed
 * through the GATEWAY: after `failureThreshold` consecutive failed upstream attempts the
 * breaker opens and the subgraph answers at once with DOWNSTREAM_SERVICE_ERROR
 * `{ circuit: "open" }` WITHOUT an upstream request; after the cool-down exactly one probe
 * goes through; a failed probe re-opens it, a successful one closes it.
 */
let stack: Stack;
const COOL_DOWN_MS = 300;
beforeAll(async () => {
  stack = await startTestStack({ resilience: { breaker: { failureThreshold: 3, coolDownMs: COOL_DOWN_MS } } });
});
afterAll(() => stack.stop());

/** One nina request per query (the dashboard carries the headlines). */
const QUERY = '{ municipality(ags: "05122000") { name population warnings { headline } } }';
const HEADLINES = [{ headline: 'Übung: Bombenentschärfung in Solingen' }, { headline: 'Übung: Amtliche WARNUNG vor STURMBÖEN' }];
const nina = () => stack.standIns.nina!.standIn;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectWarningsFailed(body: GraphQLResponseBody, extensions: Record<string, unknown>) {
  expect(body.data).toEqual({ municipality: { name: 'Solingen, Klingenstadt', population: 159193, warnings: null } });
  expect(body.errors).toHaveLength(1);
  expect(body.errors![0]).toMatchObject({
    path: ['municipality', 'warnings'],
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: 'warnungen', upstream: 'nina', ...extensions },
  });
}

function expectServed(body: GraphQLResponseBody) {
  expect(body).toEqual({ data: { municipality: { name: 'Solingen, Klingenstadt', population: 159193, warnings: HEADLINES } } });
}

const ninaBreaker = () => stack.resilience!.stats().find((s) => s.subgraph === 'warnungen' && s.upstream === 'nina')!;

describe('upstream circuit breaker through the gateway', () => {
  afterEach(() => nina().setFault(null));

  it('opens after 3 failures, short-circuits without upstream requests, probes after the cool-down, closes on success', async () => {
    nina().resetStats();
    expectServed((await gql(stack, QUERY)).body);
    expect(nina().stats().total).toBe(1);
    expect(ninaBreaker().state).toBe('closed');

    nina().setFault({ status: 500 });
    for (let i = 1; i <= 3; i++) {
      const { status, body } = await gql(stack, QUERY);
      expect(status).toBe(200);
      expectWarningsFailed(body, { status: 500 });
      expect(body.errors![0]!.extensions!.circuit).toBeUndefined();
      expect(nina().stats().total).toBe(1 + i); // HTTP 500 is never retried
    }
    expect(ninaBreaker().state).toBe('open');

    // Open: the rest of the data, an error naming the open circuit, NO upstream request.
    for (let i = 0; i < 2; i++) {
      const { status, body } = await gql(stack, QUERY);
      expect(status).toBe(200);
      expect(body.data!.municipality.warnings).toBeNull();
      expectWarningsFailed(body, { circuit: 'open' });
      expect(body.errors![0]!.message).toMatch(/^nina \(behind subgraph warnungen\): circuit open/);
      expect(nina().stats().total).toBe(4);
    }
    expect(ninaBreaker().shortCircuited).toBe(2);

    // After the cool-down exactly one probe goes through; it fails, so the breaker re-opens.
    await sleep(COOL_DOWN_MS + 50);
    expectWarningsFailed((await gql(stack, QUERY)).body, { status: 500 });
    expect(nina().stats().total).toBe(5);
    expect(ninaBreaker().state).toBe('open');
    expectWarningsFailed((await gql(stack, QUERY)).body, { circuit: 'open' });
    expect(nina().stats().total).toBe(5);

    // Upstream healthy again: the next probe succeeds and closes the breaker; data is served.
    nina().setFault(null);
    await sleep(COOL_DOWN_MS + 50);
    expectServed((await gql(stack, QUERY)).body);
    expect(nina().stats().total).toBe(6);
    expect(ninaBreaker().state).toBe('closed');
    expectServed((await gql(stack, QUERY)).body);
    expect(nina().stats().total).toBe(7);
    expect(ninaBreaker().transitions.map((t) => [t.from, t.to, t.reason])).toEqual([
      ['closed', 'open', 'failure-threshold'],
      ['open', 'half-open', 'cool-down-elapsed'],
      ['half-open', 'open', 'probe-failed'],
      ['open', 'half-open', 'cool-down-elapsed'],
      ['half-open', 'closed', 'probe-succeeded'],
    ]);
  });

  it('every upstream transport built so far has its breaker in the one registry (abfall transports are built per service on first use)', () => {
    expect(stack.resilience!.stats().map((s) => `${s.subgraph}/${s.upstream}`)).toEqual([
      'kommunen/register',
      'leistungen/leika',
      'ratsinfo/oparl',
      'warnungen/nina',
      'melderegister/melderegister-hb',
      'melderegister/melderegister-nrw',
      'gewerbe/gewerbe',
    ]);
  });
});
