import { IDENTITY_HEADER, signIdentity, identitySecret } from '../common/identity';
import type { Stack } from '../scripts/stack';
import { gql, startTestStack } from './testkit';

/** Subgraphs answer only the gateway: a caller who reaches one directly gets nothing. */
let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack({ identitySecret: 'test-secret-that-is-long-enough-0123456789' });
});
afterAll(() => stack.stop());

const direct = (headers: Record<string, string> = {}) =>
  fetch(stack.subgraphs.kommunen.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ municipality(ags: "05315000") { name } }' }),
  });

describe('gateway-signed identity towards subgraphs', () => {
  it('the gateway path works (its requests carry a valid signature)', async () => {
    expect((await gql(stack, '{ municipality(ags: "05315000") { name } }')).body).toEqual({ data: { municipality: { name: 'Köln, Stadt' } } });
  });

  it('a direct call without the header is refused with 401 and no data', async () => {
    const response = await direct();
    expect(response.status).toBe(401);
    const body = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(body)).not.toContain('Köln');
  });

  it('a header signed with another secret, or garbage, is refused with 401', async () => {
    const forged = await signIdentity(
      { sub: 'mallory', scopes: ['melde:read'], ags: '05122000', purpose: null, anonymous: false },
      identitySecret('another-secret-that-is-long-enough-0123456789'),
    );
    expect((await direct({ [IDENTITY_HEADER]: forged })).status).toBe(401);
    expect((await direct({ [IDENTITY_HEADER]: 'eyJhbGciOiJub25lIn0.e30.' })).status).toBe(401);
    expect((await direct({ [IDENTITY_HEADER]: 'garbage' })).status).toBe(401);
  });

  it('a header signed with the right secret is accepted (what the gateway sends)', async () => {
    const token = await signIdentity(
      { sub: null, scopes: [], ags: null, purpose: null, anonymous: true },
      identitySecret('test-secret-that-is-long-enough-0123456789'),
    );
    const response = await direct({ [IDENTITY_HEADER]: token });
    expect(await response.json()).toEqual({ data: { municipality: { name: 'Köln, Stadt' } } });
  });
});
