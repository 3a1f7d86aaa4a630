import type { RunningStandIn } from '../lib/stand-in';
import { createRegisterStandIn } from './server';

const standIn = createRegisterStandIn();
let running: RunningStandIn;
beforeAll(async () => {
  running = await standIn.listen(0);
});
afterAll(() => running.close());

describe('register stand-in', () => {
  it('serves Köln with Cache-Control and an ETag, and 304 on revalidation', async () => {
    const first = await fetch(`${running.url}/v1/gemeinden/05315000`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=86400');
    const body = (await first.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ags: '05315000', name: 'Köln, Stadt', bevoelkerung: 1083498, flaecheKm2: 405.01, kreisSchluessel: '05315' });
    const etag = first.headers.get('etag')!;
    const second = await fetch(`${running.url}/v1/gemeinden/05315000`, { headers: { 'if-none-match': etag } });
    expect(second.status).toBe(304);
  });

  it('answers unknown keys with an RFC 7807 problem', async () => {
    const response = await fetch(`${running.url}/v1/gemeinden/99999999`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'no Gemeinde with AGS 99999999',
      instance: '/v1/gemeinden/99999999',
    });
  });

  it('pages with offset/limit and counts all 10,997 municipalities', async () => {
    const page = (await (await fetch(`${running.url}/v1/gemeinden?offset=10990&limit=10`)).json()) as { total: number; items: unknown[] };
    expect(page.total).toBe(10997);
    expect(page.items).toHaveLength(7);
  });

  it('limits batches to 100 keys', async () => {
    const keys = Array.from({ length: 101 }, (_, i) => String(5000000 + i).padStart(8, '0')).join(',');
    expect((await fetch(`${running.url}/v1/gemeinden?ags=${keys}`)).status).toBe(400);
  });

  it('counts requests (not admin calls) and injects faults for a number of requests', async () => {
    standIn.resetStats();
    standIn.setFault({ status: 503, times: 1 });
    expect((await fetch(`${running.url}/v1/laender`)).status).toBe(503);
    expect((await fetch(`${running.url}/v1/laender`)).status).toBe(200);
    const stats = (await (await fetch(`${running.url}/__admin/stats`)).json()) as { total: number; byRoute: Record<string, number> };
    expect(stats.total).toBe(2);
    expect(stats.byRoute).toEqual({ 'GET /v1/laender': 2 });
  });
});
