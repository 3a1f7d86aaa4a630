import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { Stack } from '../scripts/stack';
import { ARTIFACTS_DIR, launchChromium } from './browser/chromium';
import { startTestStack } from './testkit';

/** GraphiQL (what `npm start` tells users to open) works in a real browser, offline. */
let stack: Stack;
let browser: Browser;
jest.setTimeout(60_000);

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it('opens GraphiQL without external requests and runs the preloaded five-subgraph query', async () => {
  const page = await browser.newPage();
  const external: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!['127.0.0.1', 'localhost'].includes(url.hostname) && url.protocol.startsWith('http')) external.push(request.url());
  });
  await page.goto(stack.gatewayUrl, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });
  const response = page.waitForResponse(
    (r) => r.request().method() === 'POST' && (r.request().postData() ?? '').includes('99050012104000'),
  );
  await page.click('.graphiql-execute-button');
  const body = (await (await response).json()) as { data?: { municipality: Record<string, any> }; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data!.municipality).toMatchObject({
    name: 'Solingen, Klingenstadt',
    taxOffice: { name: 'Finanzamt Solingen' },
    responsibleAuthority: { name: 'Stadt Solingen – Gewerbeamt' },
    warnings: [{ headline: 'Übung: Bombenentschärfung in Solingen', severity: 'SEVERE' }, expect.anything()],
  });
  // …and the result is shown (the editor renders spaces as no-break spaces).
  await page.waitForFunction(
    () => (document.querySelector('.result-window')?.textContent ?? '').replace(/\u00a0/g, ' ').includes('Finanzamt Solingen'),
    null,
    { timeout: 30_000 },
  );
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'graphiql.png') });
  expect(external).toEqual([]);
});
