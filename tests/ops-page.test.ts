import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { GatewayConfigInput } from '../gateway/src/config';
import type { Stack } from '../scripts/stack';
import { ARTIFACTS_DIR, launchChromium } from './browser/chromium';
import { createTestIssuer, gql, REPO_ROOT, startTestStack, type TestIssuer } from './testkit';

/**
 * The operator page /ops in real headless Chromium: sign in with a token, see the operations
 * table fill after traffic, open a plan, check subgraph health, search the API catalogue.
 * No request leaves the gateway's origin. Screenshots go to test-artifacts/.
 */
const QUERY = readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'ops', 'solingen.graphql'), 'utf8');

let stack: Stack;
let browser: Browser;
let issuer: TestIssuer;
let page: Page;
let base: string;
const external: string[] = [];
jest.setTimeout(90_000);

beforeAll(async () => {
  issuer = await createTestIssuer();
  stack = await startTestStack({ gateway: { authentication: issuer.authentication as GatewayConfigInput['authentication'] } });
  base = stack.gatewayUrl.replace(/\/graphql$/, '');
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('request', (request) => {
    if (!request.url().startsWith(base)) external.push(request.url());
  });
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

let catalogueJson: any;
/** What the page's search shows: the query in the subgraph's, the type's or the field's own texts (case-insensitive). */
async function expectedSearchResult(query: string): Promise<string[]> {
  catalogueJson ??= await (await fetch(`${base}/ops/api/catalogue`, { headers: { authorization: `Bearer ${await issuer.token({ scope: 'ops:read' })}` } })).json();
  const hit = (...texts: (string | null | undefined)[]) => texts.some((t) => t && t.toLowerCase().includes(query));
  const shown: string[] = [];
  for (const sg of catalogueJson.subgraphs) {
    const subgraphHit = hit(sg.name, sg.owner, sg.contact, sg.summary, ...sg.upstreams.map((u: any) => `${u.realSystem} ${u.openapi}`));
    for (const type of sg.types) {
      const typeHit = subgraphHit || hit(type.name, type.description);
      for (const f of type.fields) {
        if (typeHit || hit(f.name, `${type.name}.${f.name}`, f.type, f.description, f.restriction?.rule)) shown.push(`${sg.name}:${type.name}.${f.name}`);
      }
    }
  }
  return shown;
}
const shot = (name: string, fullPage = true) => page.screenshot({ path: path.join(ARTIFACTS_DIR, name), fullPage });
const texts = (selector: string) => page.$$eval(selector, (nodes) => nodes.map((n) => (n.textContent ?? '').trim()));

it('refuses a token without ops:read and says why', async () => {
  await page.goto(`${base}/ops`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#token-input', await issuer.token({ scope: 'ops:plans' }));
  await page.click('#token-submit');
  await page.waitForSelector('#login-error:not([hidden])');
  expect(await page.textContent('#login-error')).toBe('INSUFFICIENT_SCOPE: This endpoint needs the scope ops:read, which this token does not have.');
  expect(await page.isHidden('#app')).toBe(true);
  expect(await page.evaluate(() => sessionStorage.getItem('amtsgraph.ops.token'))).toBeNull();
});

it('signs in with an ops:read token; the operations table fills after traffic', async () => {
  const token = await issuer.token({ sub: 'ops-team', scope: 'ops:read' });
  await page.fill('#token-input', token);
  await shot('ops-login.png');
  await page.click('#token-submit');
  await page.waitForSelector('#app:not([hidden])');
  expect(await page.evaluate(() => sessionStorage.getItem('amtsgraph.ops.token'))).toBe(token);
  await page.waitForSelector('#operations-empty:not([hidden])');
  expect(await page.getAttribute('#supergraph', 'data-supergraph-id')).toBe(stack.gateway.engine.supergraph()!.id);

  for (let i = 0; i < 3; i++) expect((await gql(stack, QUERY)).body.errors).toBeUndefined();
  expect((await gql(stack, 'query States { states { name } }')).status).toBe(200);
  await page.click('#refresh');
  await page.waitForFunction(() => document.querySelectorAll('#operations-table tbody tr').length === 2);
  expect(await texts('#operations-table tbody tr .op-name')).toEqual(['Solingen', 'States']);
  expect(await texts('#operations-table tbody tr .op-count')).toEqual(['3', '1']);
  expect(await texts('#operations-table tbody tr .op-errors')).toEqual(['0', '0']);
  expect((await texts('#operations-table tbody tr .op-subgraphs'))[0]).toBe('kommunen ×3, leistungen ×3, ratsinfo ×3, warnungen ×3');
  await page.click('#operations-table th[data-sort="p95"]');
  expect(await page.getAttribute('#operations-table th[data-sort="p95"]', 'aria-sort')).toBe('descending');
  await shot('ops-operations.png');
});

it('a click shows the plan as a tree with subgraph, fields and latency of each fetch', async () => {
  await page.click('#operations-table tbody tr[data-op-id] >> text=Solingen');
  await page.waitForFunction(() => document.querySelectorAll('#plan-tree .plan-node.fetch').length === 4);
  expect(await texts('#plan-tree .node-kind')).toEqual(['Sequence', 'Fetch', 'Parallel', 'Flatten municipality', 'Fetch', 'Flatten municipality', 'Fetch', 'Flatten municipality', 'Fetch']);
  expect(await page.$$eval('#plan-tree .plan-node.fetch', (nodes) => nodes.map((n) => n.getAttribute('data-subgraph')))).toEqual([
    'kommunen',
    'ratsinfo',
    'warnungen',
    'leistungen',
  ]);
  const stats = await texts('#plan-tree .fetch-stats');
  expect(stats.map((s) => s.replace(/p50 .*$/, '').trim())).toEqual(['3 fetches · 0 errors ·', '3 fetches · 0 errors ·', '3 fetches · 0 errors ·', '3 fetches · 0 errors ·']);
  expect(await texts('#plan-tree .plan-node.fetch[data-subgraph="leistungen"] .fetch-fields code')).toEqual(['Municipality.taxOffice', 'Municipality.taxOffice.name']);
  expect(await texts('#detail-subgraphs tbody tr td:first-child')).toEqual(['kommunen', 'leistungen', 'ratsinfo', 'warnungen']);
  expect(await page.textContent('#detail-signature')).toContain('municipality(ags:"")');
  await shot('ops-plan.png');
});

it('shows subgraph health: every subgraph up, with its traffic', async () => {
  await page.click('.tabs button[data-tab="subgraphs"]');
  await page.waitForFunction(() => document.querySelectorAll('#subgraphs-table tbody tr').length === 7);
  expect(await texts('#subgraphs-table tbody tr .badge')).toEqual(Array(7).fill('up'));
  const kommunen = await texts('#subgraphs-table tbody tr[data-subgraph="kommunen"] td.num');
  expect(kommunen.slice(1, 3)).toEqual(['4', '0']);
  await shot('ops-subgraphs.png');
});

it('searches the API catalogue: owners, contracts, restricted fields and their rules', async () => {
  await page.click('.tabs button[data-tab="catalogue"]');
  await page.waitForFunction(() => document.querySelectorAll('.catalogue-subgraph').length === 7);
  expect(await page.textContent('.catalogue-subgraph[data-subgraph="kommunen"] .owner')).toBe(
    'Statistische Ämter des Bundes und der Länder (Gemeindeverzeichnis GV100AD)',
  );
  await page.fill('#catalogue-search', 'melde:read');
  const expected = await expectedSearchResult('melde:read');
  await page.waitForFunction((n) => document.querySelectorAll('.catalogue-field').length === n, expected.length);
  const shown = await page.$$eval('.catalogue-field', (rows) =>
    rows.map((r) => `${r.closest('.catalogue-subgraph')!.getAttribute('data-subgraph')}:${r.getAttribute('data-coordinate')}`),
  );
  expect(shown).toEqual(expected);
  // Every restricted field of the resident registry is found by its rule.
  for (const name of ['familyName', 'givenNames', 'birthDate', 'address', 'nationality', 'registrationStatus']) {
    expect(shown).toContain(`melderegister:Person.${name}`);
  }
  expect(await texts('.catalogue-subgraph[data-subgraph="melderegister"] .catalogue-field[data-coordinate="Person.birthDate"] .badge.rule')).toEqual([
    'scopes (melde:read) AND policy (purpose-bound)',
  ]);
  await shot('ops-catalogue-search.png');
  await page.check('#catalogue-restricted');
  await page.fill('#catalogue-search', '');
  const restricted = await page.$$eval('.catalogue-field', (rows) => rows.map((r) => r.getAttribute('data-coordinate')));
  expect(new Set(restricted).size).toBe(catalogueJson.restrictedFields);
  await page.uncheck('#catalogue-restricted');

  await page.fill('#catalogue-search', 'population');
  await page.waitForFunction(() => document.querySelector('.catalogue-field[data-coordinate="Municipality.population"]') !== null);
  expect(await page.$$eval('.catalogue-subgraph', (nodes) => nodes.map((n) => n.getAttribute('data-subgraph')))).toContain('kommunen');

  await page.fill('#catalogue-search', '');
  await page.click('.catalogue-subgraph[data-subgraph="kommunen"] li[data-stand-in="register"] button');
  await page.waitForSelector('#contract:not([hidden])');
  expect(await page.textContent('#contract-title')).toBe('stand-ins/register/openapi.yaml');
  expect(await page.textContent('#contract-text')).toContain('openapi: 3.');
  await shot('ops-catalogue.png', false);
});

it('made no request outside the gateway, and forgetting the token signs out', async () => {
  expect(external).toEqual([]);
  await page.click('#sign-out');
  await page.waitForSelector('#login:not([hidden])');
  expect(await page.evaluate(() => sessionStorage.getItem('amtsgraph.ops.token'))).toBeNull();
});
