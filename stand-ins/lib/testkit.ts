import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { RunningStandIn, StandIn } from './stand-in';

/**
 * Shared fixtures for stand-in tests: the stand-in listens on an ephemeral port for the
 * whole file, and faults and counters are reset before each test.
 */
export function serveForTests(standIn: StandIn): {
  url(): string;
  get(path: string): Promise<{ status: number; headers: Headers; body: any }>;
} {
  let running: RunningStandIn;
  beforeAll(async () => {
    running = await standIn.listen(0);
  });
  afterAll(() => running.close());
  beforeEach(() => {
    standIn.setFault(null);
    standIn.resetStats();
  });
  return {
    url: () => running.url,
    async get(requestPath) {
      const response = await fetch(`${running.url}${requestPath}`);
      return { status: response.status, headers: response.headers, body: (await response.json()) as any };
    },
  };
}

/**
 * Checks that `<dir>/openapi.yaml` documents exactly the paths in `served` (OpenAPI path →
 * a concrete request for it) and that each of those requests answers 200.
 */
export async function expectOpenApiMatchesServedPaths(dir: string, baseUrl: string, served: Record<string, string>): Promise<void> {
  const doc = parse(readFileSync(path.join(dir, 'openapi.yaml'), 'utf8')) as { paths: Record<string, unknown> };
  expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(served).sort());
  for (const [openApiPath, concrete] of Object.entries(served)) {
    const response = await fetch(`${baseUrl}${concrete}`);
    expect(`${openApiPath} ${response.status}`).toBe(`${openApiPath} 200`);
    await response.arrayBuffer();
  }
}
