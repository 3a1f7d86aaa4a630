import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import type { Stack } from '../scripts/stack';
import { startTestStack } from './testkit';

/**
 * Fuzzing the running gateway over HTTP: generated and mutated queries, variables and bodies
 * (truncation, duplication, random bytes, deep nesting, huge strings, wrong types). The
 * gateway must never answer 5xx, must keep serving, must give every error a code, and must
 * not keep memory afterwards. Seeded, so a failure is reproducible; prints its figures.
 */
const SEED = 20260601;
const RUNS = 2_000;
const VALID = [
  '{ municipality(ags: "05122000") { name population district { name } state { name } } }',
  'query M($ags: String!) { municipality(ags: $ags) { name areaKm2 taxOffice { name } } }',
  '{ municipalities(state: "05") { name } }',
  'query W($ags: String!) { municipality(ags: $ags) { warnings { headline severity } } }',
  '{ __typename }',
];

const mutateQuery = (q: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.nat(q.length).map((n) => q.slice(0, n)),
    fc.integer({ min: 2, max: 20 }).map((n) => q.repeat(n)),
    fc.tuple(fc.nat(q.length), fc.string({ unit: 'binary', maxLength: 20 })).map(([i, s]) => q.slice(0, i) + s + q.slice(i)),
    fc.tuple(fc.nat(q.length), fc.constantFrom('{', '}', '(', ')', '$', '...', '@skip', '"', '\\u0000', ':', '#')).map(([i, s]) => q.slice(0, i) + s + q.slice(i)),
    fc.integer({ min: 1, max: 400 }).map((d) => `{ municipality(ags: "05122000") ${'{ district '.repeat(d)}{ name }${' }'.repeat(d)} }`),
    fc.integer({ min: 1, max: 60 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: municipality(ags: "05122000") { name }`).join(' ')} }`),
    fc.integer({ min: 1_000, max: 120_000 }).map((n) => `{ municipality(ags: "${'x'.repeat(n)}") { name } }`),
    fc.integer({ min: 1, max: 3_000 }).map((n) => `{ ${'__typename '.repeat(n)}}`),
    fc.integer({ min: 1, max: 200 }).map((n) => `{ municipality(ags: "05122000") ${'@include(if: true) '.repeat(n)}{ name } }`),
    fc.constant(q),
  );

const json = fc.jsonValue({ maxDepth: 4 });
const variables = fc.oneof(
  fc.constant(undefined),
  fc.record({ ags: fc.oneof(fc.constant('05122000'), fc.string(), fc.integer(), fc.boolean(), fc.constant(null), json) }),
  json,
  fc.integer({ min: 1, max: 200_000 }).map((n) => ({ ags: 'y'.repeat(n) })),
);
const field = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), json);

const body: fc.Arbitrary<{ text: string; contentType: string }> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...VALID).chain(mutateQuery), variables, fc.option(fc.string(), { nil: undefined })).map(([query, v, operationName]) => ({ text: JSON.stringify({ query, variables: v, operationName }), contentType: 'application/json' })) },
  { weight: 2, arbitrary: fc.record({ query: field, variables: field, operationName: field, extensions: field }, { requiredKeys: [] }).map((b) => ({ text: JSON.stringify(b), contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...VALID), fc.nat(200)).map(([q, n]) => ({ text: JSON.stringify({ query: q }).slice(0, n), contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 400 }).map((text) => ({ text, contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...VALID), fc.constantFrom('text/plain', 'application/graphql', 'multipart/form-data', 'application/x-www-form-urlencoded', '')).map(([q, contentType]) => ({ text: q, contentType })) },
  { weight: 1, arbitrary: fc.constantFrom(...VALID).map((q) => ({ text: JSON.stringify([{ query: q }, { query: q }]), contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...VALID), fc.string({ minLength: 64, maxLength: 64 })).map(([q, hash]) => ({ text: JSON.stringify({ query: q, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }), contentType: 'application/json' })) },
);

let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.stop());




/** A real GC even without --expose-gc: the flag set at runtime exposes gc to a fresh context. */
function forceableGc(): (() => void) | undefined {
  const own = (globalThis as { gc?: () => void }).gc;
  if (own) return own;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
const gc = forceableGc();

const heap = async () => {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().heapUsed;
};

it(`${RUNS} fuzzed requests, sent twice: no 5xx, every error has a code, memory back to baseline`, async () => {
  // warm up (parse caches, connections) before taking the baseline
  for (const q of VALID) await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q, variables: { ags: '05122000' } }) });
  const before = await heap();
  const statuses: Record<number, number> = {};
  const problems: string[] = [];
  const samples = fc.sample(body, { seed: SEED, numRuns: RUNS });
  const send = async ({ text, contentType }: { text: string; contentType: string }) => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { ...(contentType ? { 'content-type': contentType } : {}), accept: 'application/graphql-response+json, application/json' },
      body: text,
    });
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    const raw = await response.text();
    if (response.status >= 500) problems.push(`${response.status} for ${text.slice(0, 120)}`);
    let parsed: { errors?: { extensions?: { code?: unknown } }[] } | undefined;
    try {
      parsed = JSON.parse(raw);
    } catch {
      problems.push(`non-JSON ${response.status} response for ${text.slice(0, 80)}: ${raw.slice(0, 80)}`);
      return;
    }
    for (const error of parsed?.errors ?? []) if (typeof error.extensions?.code !== 'string') problems.push(`error without code for ${text.slice(0, 80)}`);
    if (/node_modules|\n\s+at /.test(raw)) problems.push(`stack trace in response for ${text.slice(0, 80)}`);
  };
  // 8 in flight at a time. Then the same requests again: growth from bounded caches filling
  // up (parse/validation cache, APQ store: up to 1000 entries of up to 100 kB each) shows in
  // round 1 only; a per-request leak would grow again in round 2.
  const round = async () => {
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < samples.length) await send(samples[next++]!);
    }));
  };
  await round();
  const middle = await heap();
  await round();
  // still serving
  const health = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
  expect(await health.json()).toEqual({ data: { __typename: 'Query' } });
  const after = await heap();
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  process.stdout.write(
    `fuzz: ${2 * samples.length} requests (${samples.length} generated, sent twice) (seed ${SEED}); statuses ${JSON.stringify(statuses)}; heap before ${mb(before)}, after round 1 ${mb(middle)}, after round 2 ${mb(after)} (gc ${gc ? 'forced' : 'not available'})\n`,
  );
  expect(problems.slice(0, 10)).toEqual([]);
  expect(Object.values(statuses).reduce((a, b) => a + b, 0)).toBe(2 * RUNS);
  expect(Object.keys(statuses).filter((s) => Number(s) >= 500)).toEqual([]);
  // Bounded caches may fill (generous bound); the second round must not add to the first.
  expect(after - before).toBeLessThan(256 * 1024 * 1024);
  expect(after - middle).toBeLessThan(16 * 1024 * 1024);
}, 120_000);
