import { serverAudits } from 'graphql-http';
import type { Stack } from '../scripts/stack';
import { startTestStack } from './testkit';

/**
 * The GraphQL-over-HTTP audit suite of graphql-http against the real, listening gateway.
 * Every MUST passes; the three results that are not ok are MAY audits refused on purpose
 * (README "Standards compliance"): GET without a preflight header is refused by CSRF
 * prevention (403), so GETs with url-encoded parameters from plain forms do not run.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.stop());

it('passes the graphql-http server audits: 58 ok, 3 notices (MAY), 0 warnings, 0 errors', async () => {
  const counts: Record<string, number> = { ok: 0, notice: 0, warn: 0, error: 0 };
  const notOk: string[] = [];
  for (const audit of serverAudits({ url: stack.gatewayUrl, fetchFn: fetch })) {
    const result = await audit.fn();
    counts[result.status] = (counts[result.status] ?? 0) + 1;
    if (result.status !== 'ok') notOk.push(`${result.status} ${audit.id} ${audit.name}: ${result.reason}`);
  }
  process.stdout.write(`GraphQL-over-HTTP audit: ${JSON.stringify(counts)}\n${notOk.join('\n')}\n`);
  expect(notOk.filter((line) => line.startsWith('error'))).toEqual([]);
  expect(counts).toEqual({ ok: 58, notice: 3, warn: 0, error: 0 });
  expect(notOk).toEqual([
    'notice 5A70 MAY accept application/x-www-form-urlencoded formatted GET requests: Response status code is not 200',
    'notice D6D5 MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/graphql-response+json: Response status code is not 200',
    'notice 6A70 MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/json: Response status code is not 200',
  ]);
});
