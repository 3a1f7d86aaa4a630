import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import type { AuditRecord } from '../gateway/src/audit/record';
import type { GatewayConfigInput } from '../gateway/src/config';
import { auditCommand, USAGE as AUDIT_USAGE } from '../scripts/audit';
import { callerTokens, PERSONAL_VALUES, startPersonalDataFixture, type PersonalDataFixture } from './personal-data-fixture';
import { bearer, createTestIssuer, gql, REPO_ROOT, startTestStack } from './testkit';

/**
 * The audit trail of personal-data access: one record per request that touched a restricted
 * coordinate (and none for others), written before the response, without any field value;
 * fail closed when the store cannot be written; the Redis stream variant against the real
 * Redis; the `npm run audit` CLI and the protected `GET /audit` endpoint.
 */
jest.setTimeout(30_000);

type Tokens = Awaited<ReturnType<typeof callerTokens>>;

const readRecords = (file: string): AuditRecord[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecord);

/** The fields of a record that do not depend on the clock or the hash function. */
const stable = ({ time, signature, ...rest }: AuditRecord) => {
  expect(new Date(time).toISOString()).toBe(time);
  expect(signature).toMatch(/^[0-9a-f]{64}$/);
  return rest;
};

const closedPort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** The requests of the counting test: four touch restricted coordinates, three do not. */
async function mixedRequests(f: PersonalDataFixture, t: Tokens) {
  const id = (n: number) => ({ 'x-request-id': `audit-req-${n}` });
  await f.query('{ municipality(ags: "04011000") { residentCount } }', { headers: id(0) });
  await f.query('query Look { person(id: "P-HB-1") { familyName givenNames birthDate } }', { token: t.registrarBremen, headers: id(1) });
  await f.query('query Residents { municipality(ags: "04011000") { residents { familyName birthDate } } }', { token: t.registrarSolingen, headers: id(2) });
  await f.query('{ person(id: "P-SG-1") { familyName } }', { headers: id(3) });
  await f.query('{ node(id: "PL-1") { ... on Place { name } } }', { token: t.citizen, headers: id(4) });
  await f.query('query Owner { business(id: "B-1") { name owner { familyName } } }', { token: t.clerk, headers: id(5) });
  await f.query('{ person(id: "P-HB-1") { noSuchField } }', { token: t.registrarBremen, headers: id(6) });
}

const EXPECTED_RECORDS = [
  {
    subject: 'registrar-hb',
    anonymous: false,
    ags: '04011000',
    purpose: null,
    operationName: 'Look',
    operationType: 'query',
    coordinates: ['Person.birthDate', 'Person.familyName', 'Person.givenNames', 'Query.person'],
    denied: ['Person.birthDate'],
    entities: [{ type: 'Person', id: 'P-HB-1' }],
    entitiesTruncated: false,
    rowLevelDenials: 0,
    correlationId: 'audit-req-1',
    outcome: 'filtered',
  },
  {
    subject: 'registrar-sg',
    anonymous: false,
    ags: '05122000',
    purpose: 'melderegisterauskunft',
    operationName: 'Residents',
    operationType: 'query',
    coordinates: ['Municipality.residents', 'Person.birthDate', 'Person.familyName'],
    denied: [],
    entities: [
      { type: 'Person', id: 'P-HB-1' },
      { type: 'Person', id: 'P-HB-2' },
      { type: 'Municipality', id: '04011000' },
    ],
    entitiesTruncated: false,
    rowLevelDenials: 0,
    correlationId: 'audit-req-2',
    outcome: 'served',
  },
  {
    subject: null,
    anonymous: true,
    ags: null,
    purpose: null,
    operationName: null,
    operationType: 'query',
    coordinates: ['Person.familyName', 'Query.person'],
    denied: ['Query.person'],
    entities: [],
    entitiesTruncated: false,
    rowLevelDenials: 0,
    correlationId: 'audit-req-3',
    outcome: 'filtered',
  },
  {
    subject: 'clerk-gewerbe',
    anonymous: false,
    ags: '05122000',
    purpose: null,
    operationName: 'Owner',
    operationType: 'query',
    coordinates: ['Business.owner', 'Person.familyName'],
    denied: ['Person.familyName'],
    entities: [
      { type: 'Person', id: 'P-SG-1' },
      { type: 'Business', id: 'B-1' },
    ],
    entitiesTruncated: false,
    rowLevelDenials: 0,
    correlationId: 'audit-req-5',
    outcome: 'filtered',
  },
];

describe('audit trail in a JSON Lines file', () => {
  let f: PersonalDataFixture;
  let t: Tokens;
  let file: string;
  beforeAll(async () => {
    f = await startPersonalDataFixture();
    t = await callerTokens(f.issuer);
    file = path.join(f.dir, 'audit.jsonl');
    await mixedRequests(f, t);
  });
  afterAll(() => f.stop());

  it('writes exactly one record per request that touched a restricted coordinate', () => {
    const records = readRecords(file);
    expect(records.map(stable)).toEqual(EXPECTED_RECORDS);
    // The same operation text always has the same signature; different ones differ.
    expect(new Set(records.map((r) => r.signature)).size).toBe(4);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('records contain no field values (names, given names, birth dates)', () => {
    const text = readFileSync(file, 'utf8');
    for (const value of PERSONAL_VALUES) expect(text).not.toContain(value);
    // ... nor do the gateway's logs.
    const logs = JSON.stringify(f.logs.lines);
    for (const value of PERSONAL_VALUES) expect(logs).not.toContain(value);
  });

  it('the record is on disk before the response is sent', async () => {
    const before = readRecords(file).length;
    await f.query('{ person(id: "P-HB-2") { familyName } }', { token: t.registrarBremen, headers: { 'x-request-id': 'audit-sync' } });
    const records = readRecords(file);
    expect(records.length).toBe(before + 1);
    expect(records.at(-1)!.correlationId).toBe('audit-sync');
  });

  it('npm run audit lists records by subject and time, as a table or JSON', async () => {
    const run = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await auditCommand(argv, { out: (s) => (out += s), err: (s) => (err += s), env: {} });
      return { code, out, err };
    };
    const json = await run('--file', file, '--subject', 'registrar-sg', '--since', '1h', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as { records: AuditRecord[]; truncated: boolean };
    expect({ records: parsed.records.map(stable), truncated: parsed.truncated }).toEqual({ records: [EXPECTED_RECORDS[1]], truncated: false });

    const future = await run('--file', file, '--since', '2999-01-01', '--json');
    expect(JSON.parse(future.out)).toEqual({ records: [], truncated: false });

    const limited = await run('--file', file, '--limit', '2', '--json');
    expect((JSON.parse(limited.out) as { records: AuditRecord[]; truncated: boolean }).records.map((r) => r.correlationId)).toEqual(['audit-req-5', 'audit-sync']);
    expect(JSON.parse(limited.out).truncated).toBe(true);

    const table = await run('--file', file, '--subject', 'clerk-gewerbe');
    expect(table.code).toBe(0);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^time +subject +ags +purpose +operation +outcome +coordinates +entities +correlation id$/);
    expect(lines[1]).toMatch(/ clerk-gewerbe +05122000 +- +Owner +filtered +Business\.owner Person\.familyName! +Person:P-SG-1 Business:B-1 +audit-req-5$/);
    expect(lines[2]).toBe('1 record; "!" marks denied coordinates.');

    const bad = await run('--file', file, '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('audit: --since must be an ISO date or date-time');
  });

  it('npm run audit works as a command', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'scripts', 'audit.ts'), '--file', file, '--subject', 'registrar-hb', '--json'],
      { cwd: REPO_ROOT, env: { ...process.env, AUDIT_STORE: '' } },
    );
    expect((JSON.parse(stdout) as { records: AuditRecord[] }).records.map((r) => r.correlationId)).toEqual(['audit-req-1', 'audit-sync']);
  });

  it('GET /audit: 401 without a verified identity, 403 without audit:read, the records with it', async () => {
    const get = async (query: string, token?: string) => {
      const response = await f.gateway.fetch(`http://gateway.test/audit${query}`, { headers: token ? bearer(token) : {} });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await get('')).toEqual({
      status: 401,
      body: { errors: [{ message: 'The audit trail requires a verified identity with scope audit:read.', extensions: { code: 'UNAUTHENTICATED' } }] },
    });
    expect(await get('', t.registrarSolingen)).toEqual({
      status: 403,
      body: { errors: [{ message: 'The audit trail requires scope audit:read.', extensions: { code: 'INSUFFICIENT_SCOPE' } }] },
    });
    const filtered = await get('?subject=registrar-hb&since=1h&limit=1', t.auditor);
    expect(filtered.status).toBe(200);
    const body = filtered.body as unknown as { records: AuditRecord[]; truncated: boolean };
    expect(body.records.map((r) => r.correlationId)).toEqual(['audit-sync']);
    expect(body.truncated).toBe(true);
    expect((await get('?since=2999-01-01', t.auditor)).body).toEqual({ records: [], truncated: false });
    expect(await get('?since=soon', t.auditor)).toEqual({
      status: 400,
      body: { errors: [{ message: 'since must be an ISO date or date-time, or a duration such as 24h or 7d.', extensions: { code: 'BAD_USER_INPUT' } }] },
    });
  });
});

describe('audit outcomes', () => {
  it('a refused operation (reject mode) is recorded as rejected', async () => {
    const f = await startPersonalDataFixture({ gateway: { authorization: { mode: 'reject' } } });
    try {
      const t = await callerTokens(f.issuer);
      const { status } = await f.query('{ person(id: "P-HB-1") { birthDate } }', { token: t.registrarBremen, headers: { 'x-request-id': 'rejected-1' } });
      expect(status).toBe(403);
      expect(readRecords(path.join(f.dir, 'audit.jsonl')).map((r) => [r.correlationId, r.outcome, r.coordinates, r.denied, r.entities])).toEqual([
        ['rejected-1', 'rejected', ['Person.birthDate', 'Query.person'], ['Person.birthDate'], []],
      ]);
    } finally {
      await f.stop();
    }
  });
});

describe('fail closed when the audit store cannot be written', () => {
  it('restricted parts are withheld with AUDIT_UNAVAILABLE, public parts served; writing resumes once possible', async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'amtsgraph-audit-blocked-'));
    // A regular file where the audit directory should be: not writable, even for root.
    const blocker = path.join(scratch, 'blocked');
    writeFileSync(blocker, 'not a directory');
    const file = path.join(blocker, 'audit.jsonl');
    const f = await startPersonalDataFixture({ gateway: { audit: { file } } });
    try {
      const t = await callerTokens(f.issuer);
      const { status, body } = await f.query(
        '{ municipality(ags: "04011000") { residentCount residents { familyName } } p: person(id: "P-HB-1") { familyName birthDate } }',
        { token: t.registrarBremen },
      );
      const message = 'This personal data was withheld: the access could not be recorded in the audit trail. Try again later.';
      expect(status).toBe(200);
      expect(body).toEqual({
        data: { municipality: { residentCount: 2, residents: null }, p: null },
        errors: [
          {
            message: 'Not authorized to read Person.birthDate: it requires scope melde:read, policy purpose-bound. It was removed from the operation.',
            path: ['p', 'birthDate'],
            extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', coordinate: 'Person.birthDate', reason: 'policy' },
          },
          { message, path: ['municipality', 'residents'], extensions: { code: 'AUDIT_UNAVAILABLE' } },
          { message, path: ['p'], extensions: { code: 'AUDIT_UNAVAILABLE' } },
        ],
      });
      // Entities reached through a public field are withheld where they hold restricted fields.
      expect((await f.query('{ business(id: "B-1") { name owner { familyName } } }', { token: t.clerkWithMelde })).body).toEqual({
        data: { business: { name: 'Bäckerei Probe', owner: null } },
        errors: [{ message, path: ['business', 'owner'], extensions: { code: 'AUDIT_UNAVAILABLE' } }],
      });
      // Public operations are not affected.
      expect((await f.query('{ municipality(ags: "04011000") { residentCount } }')).body).toEqual({ data: { municipality: { residentCount: 2 } } });
      const logged = f.logs.lines.filter((l) => l.msg === 'audit record could not be written: restricted data withheld');
      expect(logged.length).toBe(2);
      for (const value of PERSONAL_VALUES) expect(JSON.stringify(f.logs.lines)).not.toContain(value);

      // Once the directory can be created, records are written again (the file is reopened).
      rmSync(blocker);
      mkdirSync(blocker);
      expect((await f.query('{ person(id: "P-HB-1") { familyName } }', { token: t.registrarBremen })).body).toEqual({
        data: { person: { familyName: 'Quellenbrink' } },
      });
      expect(readRecords(file).length).toBe(1);
    } finally {
      await f.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('audit trail in a Redis stream (real Redis at 127.0.0.1:6379)', () => {
  const stream = `amtsgraph:audit:test:${process.pid}:${Date.now()}`;
  const redis = createClient({ url: 'redis://127.0.0.1:6379' });
  beforeAll(() => redis.connect());
  afterAll(async () => {
    await redis.del(stream);
    await redis.quit();
  });

  it('XADDs one entry per restricted request; the CLI and the endpoint read them back', async () => {
    const f = await startPersonalDataFixture({ gateway: { audit: { store: 'redis', redis: { stream } } } });
    try {
      const t = await callerTokens(f.issuer);
      await mixedRequests(f, t);
      expect(await redis.xLen(stream)).toBe(4);
      const entries = await redis.xRange(stream, '-', '+');
      const records = entries.map((e) => JSON.parse(String(e.message.record)) as AuditRecord);
      expect(records.map(stable)).toEqual(EXPECTED_RECORDS);
      const raw = JSON.stringify(entries);
      for (const value of PERSONAL_VALUES) expect(raw).not.toContain(value);

      let out = '';
      const code = await auditCommand(['--redis', 'redis://127.0.0.1:6379', '--stream', stream, '--subject', 'clerk-gewerbe', '--json'], {
        out: (s) => (out += s),
        err: () => {},
        env: {},
      });
      expect(code).toBe(0);
      expect((JSON.parse(out) as { records: AuditRecord[] }).records.map(stable)).toEqual([EXPECTED_RECORDS[3]]);

      const response = await f.gateway.fetch('http://gateway.test/audit?limit=2', { headers: bearer(t.auditor) });
      const body = (await response.json()) as { records: AuditRecord[]; truncated: boolean };
      expect([response.status, body.records.map((r) => r.correlationId), body.truncated]).toEqual([200, ['audit-req-3', 'audit-req-5'], true]);
    } finally {
      await f.stop();
    }
  });

  it('fails closed, quickly, when Redis does not answer', async () => {
    const port = await closedPort();
    const f = await startPersonalDataFixture({
      gateway: { audit: { store: 'redis', redis: { url: `redis://127.0.0.1:${port}`, stream, timeoutMs: 300 } } },
    });
    try {
      const t = await callerTokens(f.issuer);
      const started = Date.now();
      const { body } = await f.query('{ person(id: "P-HB-1") { familyName } }', { token: t.registrarBremen });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(body).toEqual({
        data: { person: null },
        errors: [
          {
            message: 'This personal data was withheld: the access could not be recorded in the audit trail. Try again later.',
            path: ['person'],
            extensions: { code: 'AUDIT_UNAVAILABLE' },
          },
        ],
      });
    } finally {
      await f.stop();
    }
  });
});

describe('audit trail on the real graph (melderegister stand-ins)', () => {
  it('records the persons read by id, and none of the names, birth dates or addresses served', async () => {
    const issuer = await createTestIssuer();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'amtsgraph-audit-real-'));
    const file = path.join(dir, 'audit.jsonl');
    const stack = await startTestStack({ gateway: { authentication: issuer.authentication as GatewayConfigInput['authentication'], audit: { file } } });
    try {
      const token = await issuer.token({ sub: 'sb-melde-sg', scope: 'melde:read', ags: '05122000', purpose: 'melderegisterauskunft' });
      const { body } = await gql(
        stack,
        'query Residents { municipality(ags: "05122000") { name residents(first: 20) { nodes { id familyName givenNames birthDate nationality address { street houseNumber postcode city } } } } }',
        undefined,
        { ...bearer(token), 'x-request-id': 'real-audit-1' },
      );
      const nodes = body.data!.municipality.residents.nodes as Record<string, any>[];
      expect(nodes.length).toBe(20);
      const records = readRecords(file);
      expect(records.map(stable)).toEqual([
        {
          subject: 'sb-melde-sg',
          anonymous: false,
          ags: '05122000',
          purpose: 'melderegisterauskunft',
          operationName: 'Residents',
          operationType: 'query',
          coordinates: [
            'Municipality.residents',
            'Person.address',
            'Person.birthDate',
            'Person.familyName',
            'Person.givenNames',
            'Person.id',
            'Person.nationality',
          ],
          denied: [],
          entities: [...nodes.map((n) => ({ type: 'Person', id: n.id })), { type: 'Municipality', id: '05122000' }],
          entitiesTruncated: false,
          rowLevelDenials: 0,
          correlationId: 'real-audit-1',
          outcome: 'served',
        },
      ]);
      const text = readFileSync(file, 'utf8');
      const served = nodes.flatMap((n) => [n.familyName, ...String(n.givenNames).split(' '), n.birthDate, n.address.street]);
      expect(served.every((value) => typeof value === 'string' && value.length >= 3)).toBe(true);
      for (const value of served) expect(text).not.toContain(value);

      // A Bremen registrar asking for a Solingen person: the subgraph's row-level rule refuses
      // (FORBIDDEN), and the record says so instead of "served".
      const bremen = await issuer.token({ sub: 'sb-melde-hb', scope: 'melde:read', ags: '04011000' });
      const denied = await gql(stack, `{ person(id: "${nodes[0]!.id}") { familyName } }`, undefined, {
        ...bearer(bremen),
        'x-request-id': 'real-audit-2',
      });
      expect(denied.body.data).toEqual({ person: null });
      expect(denied.body.errors!.map((e) => e.extensions!.code)).toEqual(['FORBIDDEN']);
      const last = readRecords(file).at(-1)!;
      expect([last.correlationId, last.subject, last.outcome, last.rowLevelDenials]).toEqual(['real-audit-2', 'sb-melde-hb', 'filtered', 1]);
    } finally {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run audit: a file that is not there', () => {
  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    let out = '';
    let err = '';
    const code = await auditCommand(argv, { out: (s) => (out += s), err: (s) => (err += s), env });
    return { code, out, err };
  };

  it('--file of a missing file: "file not found", what to pass instead, exit 2 (not an empty table)', async () => {
    expect(await run(['--file', '/var/log/amtsgraph/audit.jsonl'])).toEqual({
      code: 2,
      out: '',
      err:
        'audit: file not found: /var/log/amtsgraph/audit.jsonl: pass the file the gateway writes (its AUDIT_FILE setting, default .amtsgraph/audit.jsonl), ' +
        `or --redis <url> when it runs with AUDIT_STORE=redis\n\n${AUDIT_USAGE}`,
    });
  });

  it('AUDIT_FILE (no --file) of a missing file: says where it looked and that the gateway creates it, exit 2', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-missing-'));
    try {
      const file = path.join(dir, 'audit.jsonl');
      expect(await run([], { AUDIT_FILE: file })).toEqual({
        code: 2,
        out: '',
        err:
          `audit: file not found: ${file} (AUDIT_FILE, or its default): the gateway creates it with its first audit record. ` +
          `If the gateway writes elsewhere, pass its AUDIT_FILE with --file, or --redis <url> when it runs with AUDIT_STORE=redis\n\n${AUDIT_USAGE}`,
      });
      expect((await run(['--file', dir])).err.split('\n')[0]).toBe(
        `audit: a folder, not a file: ${dir}: pass the file the gateway writes (its AUDIT_FILE setting, default .amtsgraph/audit.jsonl), or --redis <url> when it runs with AUDIT_STORE=redis`,
      );
      // An existing, empty file is an empty trail.
      writeFileSync(file, '');
      expect(await run(['--file', file, '--json'])).toEqual({ code: 0, out: `${JSON.stringify({ records: [], truncated: false }, null, 2)}\n`, err: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('as a command: exit code 2', async () => {
    const failure = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'scripts', 'audit.ts'), '--file', '/var/log/amtsgraph/audit.jsonl'],
      { cwd: REPO_ROOT, env: { ...process.env, AUDIT_STORE: '' } },
    ).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect([failure?.code, failure?.stdout, failure?.stderr.split('\n')[0]]).toEqual([
      2,
      '',
      'audit: file not found: /var/log/amtsgraph/audit.jsonl: pass the file the gateway writes (its AUDIT_FILE setting, default .amtsgraph/audit.jsonl), or --redis <url> when it runs with AUDIT_STORE=redis',
    ]);
  });
});
