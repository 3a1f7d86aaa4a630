import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeSupergraph, SUPERGRAPH_PATH } from '../schema/compose-lib';
import type { Stack } from '../scripts/stack';
import { gql, startTestStack } from './testkit';

/**
 * The gateway reloads its supergraph file without dropping in-flight requests; a broken file
 * is rejected, the previous supergraph keeps serving and the reason is kept for operators.
 */
let stack: Stack;
let file: string;
const waitFor = async (check: () => boolean | Promise<boolean>, ms = 5_000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

beforeAll(async () => {
  file = path.join(mkdtempSync(path.join(tmpdir(), 'amtsgraph-')), 'supergraph.graphql');
  writeFileSync(file, readFileSync(SUPERGRAPH_PATH, 'utf8'));
  stack = await startTestStack({ gateway: { supergraphPath: file, watchSupergraph: true, watchIntervalMs: 50 } });
});
afterAll(() => stack.stop());

describe('supergraph hot reload', () => {
  it('serves a new supergraph after the file changes, finishing in-flight requests on the old one', async () => {
    const before = stack.gateway.engine.supergraph()!;
    expect(before.subgraphs.map((s) => s.name)).toEqual(['abfall', 'gewerbe', 'kommunen', 'leistungen', 'melderegister', 'ratsinfo', 'warnungen']);
    // A slow in-flight request across two subgraphs.
    stack.standIns.leika!.standIn.setFault({ latencyMs: 400 });
    const inFlight = gql(stack, '{ municipality(ags: "05315000") { name taxOffice { name } } }');
    await new Promise((r) => setTimeout(r, 100));

    const kommunenOnly = composeSupergraph(['kommunen']);
    if (!kommunenOnly.ok) throw new Error(kommunenOnly.errors.join('\n'));
    writeFileSync(file, kommunenOnly.supergraphSdl);
    await waitFor(() => stack.gateway.engine.supergraph()!.id !== before.id);
    stack.standIns.leika!.standIn.setFault(null);

    const finished = await inFlight;
    expect(finished.body.errors).toBeUndefined();
    expect(finished.body.data!.municipality.name).toBe('Köln, Stadt');
    expect(finished.body.data!.municipality.taxOffice).toEqual({ name: 'Finanzamt Köln-Altstadt' });

    expect(stack.gateway.engine.supergraph()!.subgraphs.map((s) => s.name)).toEqual(['kommunen']);
    const after = await gql(stack, '{ municipality(ags: "05315000") { name taxOffice { name } } }');
    expect(after.status).toBe(400);
    expect(after.body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await gql(stack, '{ municipality(ags: "05315000") { name } }')).body.data).toEqual({
      municipality: { name: 'Köln, Stadt' },
    });
  });

  it('rejects an invalid supergraph, keeps serving the previous one, and records why', async () => {
    const before = stack.gateway.engine.supergraph()!;
    writeFileSync(file, 'this is not a supergraph {');
    await waitFor(() => stack.gateway.engine.lastReloadError() !== null);
    expect(stack.gateway.engine.lastReloadError()!.message).toMatch(/Syntax Error/);
    expect(stack.gateway.engine.supergraph()!.id).toBe(before.id);
    expect((await gql(stack, '{ municipality(ags: "04011000") { name } }')).body.data).toEqual({
      municipality: { name: 'Bremen, Stadt' },
    });
    // And the full graph comes back when the file is repaired.
    writeFileSync(file, readFileSync(SUPERGRAPH_PATH, 'utf8'));
    await waitFor(() => stack.gateway.engine.supergraph()!.subgraphs.length === 7);
    const full = await gql(stack, '{ municipality(ags: "04011000") { name taxOffice { name } } }');
    expect(full.body.errors).toBeUndefined();
  });
});
