import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sha256Hex } from '../gateway/src/persisted/manifest';
import { persistCommand, USAGE as PERSIST_USAGE } from '../scripts/persist';
import type { Stack } from '../scripts/stack';
import { REPO_ROOT, startTestStack } from './testkit';

const MANIFEST = path.join(REPO_ROOT, 'ops', 'persisted', 'example-portal', 'manifest.json');
const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { operations: { id: string; name: string; body: string }[] };
const page = manifest.operations.find((o) => o.name === 'MunicipalityPage')!;

async function post(stack: Stack, body: unknown) {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}
const codes = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.map((e) => e.extensions?.code);
const pq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('persisted operations only (production setting)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack({ gateway: { persistedOperations: { manifests: [MANIFEST], allowArbitrary: false, apq: false } } });
  });
  afterAll(() => stack.stop());

  it('runs a manifest operation by sha256Hash', async () => {
    const { status, body } = await post(stack, { extensions: pq(page.id), variables: { ags: '05122000' } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.municipality).toMatchObject({ name: 'Solingen, Klingenstadt', population: 159193 });
  });

  it('runs a manifest operation by documentId (POST body and GET parameter)', async () => {
    const viaPost = await post(stack, { documentId: page.id, variables: { ags: '05122000' } });
    expect(viaPost.status).toBe(200);
    expect(viaPost.body.data.municipality.name).toBe('Solingen, Klingenstadt');
    const url = `${stack.gatewayUrl}?documentId=${page.id}&variables=${encodeURIComponent('{"ags":"05122000"}')}`;
    const viaGet = await fetch(url, { headers: { accept: 'application/json', 'x-amtsgraph-csrf': '1' } });
    expect(viaGet.status).toBe(200);
    expect(((await viaGet.json()) as any).data.municipality.name).toBe('Solingen, Klingenstadt');
  });

  it('refuses a query text with 400 PERSISTED_QUERY_ONLY', async () => {
    const { status, body } = await post(stack, { query: '{ municipality(ags: "05122000") { name } }' });
    expect(status).toBe(400);
    expect(codes(body)).toEqual(['PERSISTED_QUERY_ONLY']);
  });

  it('refuses an unknown id with 400 PERSISTED_QUERY_NOT_FOUND, also with the query attached (no registration)', async () => {
    const query = '{ municipality(ags: "05122000") { name } }';
    for (const body of [{ extensions: pq(sha256Hex(query)) }, { extensions: pq(sha256Hex(query)), query }, { documentId: 'f'.repeat(64) }]) {
      const result = await post(stack, body);
      expect(result.status).toBe(400);
      expect(codes(result.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect(result.body.errors![0]!.message).toBe('PersistedQueryNotFound');
    }
  });

  it('malformed persistedQuery extension or documentId → 400 BAD_REQUEST', async () => {
    for (const body of [{ extensions: { persistedQuery: { version: 2, sha256Hash: page.id } } }, { documentId: 42 }]) {
      const result = await post(stack, body);
      expect(result.status).toBe(400);
      expect(codes(result.body)).toEqual(['BAD_REQUEST']);
    }
  });
});

describe('automatic persisted queries (development default)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.stop());

  it('hash only → PERSISTED_QUERY_NOT_FOUND; hash + query registers; then hash only runs', async () => {
    const query = '{ municipality(ags: "05122000") { name areaKm2 } }';
    const hash = sha256Hex(query);
    const first = await post(stack, { extensions: pq(hash) });
    expect(first.status).toBe(400);
    expect(codes(first.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const register = await post(stack, { extensions: pq(hash), query });
    expect(register.status).toBe(200);
    expect(register.body.data.municipality.name).toBe('Solingen, Klingenstadt');
    const again = await post(stack, { extensions: pq(hash) });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(register.body.data);
  });

  it('a hash that is not the SHA-256 of the query → 400 BAD_REQUEST, nothing registered', async () => {
    const wrong = 'a'.repeat(64);
    const result = await post(stack, { extensions: pq(wrong), query: '{ __typename }' });
    expect(result.status).toBe(400);
    expect(codes(result.body)).toEqual(['BAD_REQUEST']);
    expect(codes((await post(stack, { extensions: pq(wrong) })).body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('ordinary queries still run', async () => {
    const { status, body } = await post(stack, { query: '{ municipality(ags: "05122000") { name } }' });
    expect(status).toBe(200);
    expect(body.data).toEqual({ municipality: { name: 'Solingen, Klingenstadt' } });
  });
});

describe('npm run persist', () => {
  const run = promisify(execFile);
  const persist = (...args: string[]) => run('npx', ['tsx', path.join(REPO_ROOT, 'scripts', 'persist.ts'), ...args], { cwd: REPO_ROOT });

  it('the committed example-portal manifest is up to date', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'persist-')), 'manifest.json');
    const { stdout } = await persist('ops/persisted/example-portal', '--out', out);
    expect(stdout).toBe(`${out}: 3 operations (MunicipalityPage, ResponsibleAuthority, WasteCalendar)\n`);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(MANIFEST, 'utf8'));
    expect(manifest.operations.map((o) => [o.name, o.id === sha256Hex(o.body)])).toEqual([
      ['MunicipalityPage', true],
      ['ResponsibleAuthority', true],
      ['WasteCalendar', true],
    ]);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ format: 'apollo-persisted-query-manifest', version: 1 });
    expect(JSON.parse(readFileSync(out, 'utf8')).operations[0]).toMatchObject({ name: 'MunicipalityPage', type: 'query', clientName: 'example-portal' });
  });

  it('invalid operations fail the command with a readable message', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'persist-bad-'));
    writeFileSync(path.join(dir, 'bad.graphql'), 'query Bad { municipality(ags: "05122000") { name mayor } }\n{ states { name } }\n');
    writeFileSync(path.join(dir, 'broken.graphql'), 'query Broken { municipality(\n');
    const failure = await persist(dir, '--client', 'bad').then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toBe(
      'The operations are not valid:\n' +
        `- ${path.relative(REPO_ROOT, path.join(dir, 'bad.graphql'))}:2:1: every persisted operation needs a name (anonymous query)\n` +
        `- ${path.relative(REPO_ROOT, path.join(dir, 'broken.graphql'))}:2:1: Syntax Error: Expected Name, found <EOF>.\n` +
        `- ${path.relative(REPO_ROOT, path.join(dir, 'bad.graphql'))}:1:50 (Bad): Cannot query field "mayor" on type "Municipality".\n`,
    );
  }, 30_000);
});

describe('npm run persist: a folder without operations', () => {
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await persistCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  };

  it('the README command run where there is no src/graphql: one line, the usage, exit 2, no stack trace', async () => {
    const failure = await promisify(execFile)(
      'npx',
      ['tsx', path.join(REPO_ROOT, 'scripts', 'persist.ts'), 'src/graphql', '--out', 'build/pq.json', '--client', 'buergerportal'],
      { cwd: REPO_ROOT },
    ).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect([failure?.code, failure?.stdout]).toEqual([2, '']);
    expect(failure?.stderr).toBe(`persist: no folder src/graphql (relative to ${REPO_ROOT}): pass the folder that holds the frontend's .graphql files\n\n${PERSIST_USAGE}`);
    expect(existsSync(path.join(REPO_ROOT, 'build', 'pq.json'))).toBe(false);
  }, 30_000);

  it('an absolute path that does not exist, a file instead of a folder, a folder without .graphql files: exit 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'persist-empty-'));
    mkdirSync(path.join(dir, 'nested'));
    writeFileSync(path.join(dir, 'nested', 'README.md'), 'no operations here\n');
    const what = "pass the folder that holds the frontend's .graphql files";
    expect(await run(path.join(dir, 'missing'))).toEqual({ code: 2, out: '', err: `persist: no folder ${path.join(dir, 'missing')}: ${what}\n\n${PERSIST_USAGE}` });
    expect(await run(path.join(dir, 'nested', 'README.md'))).toEqual({
      code: 2,
      out: '',
      err: `persist: ${path.join(dir, 'nested', 'README.md')} is a file, not a folder: ${what}\n\n${PERSIST_USAGE}`,
    });
    expect(await run(dir, '--out', path.join(dir, 'manifest.json'))).toEqual({
      code: 2,
      out: '',
      err: `persist: no .graphql or .gql files in ${dir} (searched with its subfolders): ${what}\n\n${PERSIST_USAGE}`,
    });
    expect(existsSync(path.join(dir, 'manifest.json'))).toBe(false);
    expect(await run()).toEqual({ code: 2, out: '', err: `persist: expected exactly one folder, received 0\n\n${PERSIST_USAGE}` });
    expect(await run(path.join(REPO_ROOT, 'ops', 'persisted', 'example-portal'), '--supergraph', path.join(dir, 'supergraph.graphql'))).toEqual({
      code: 2,
      out: '',
      err: `persist: cannot read the supergraph ${path.join(dir, 'supergraph.graphql')}: ENOENT\n\n${PERSIST_USAGE}`,
    });
  });
});
