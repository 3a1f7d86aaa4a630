import { parse } from 'graphql';
import { LatencyHistogram } from '../gateway/src/ops/latency';
import { createGatewayMetrics, OTHER } from '../gateway/src/ops/metrics';
import { createPlanStore, type RecordedRequest } from '../gateway/src/ops/plan-store';
import { createSignatureCache, operationSignature } from '../gateway/src/ops/signature';
import type { OperationPlan } from '../gateway/src/engine/types';

/** Unit tests of the plan monitor's parts: signatures, latency histogram, store, metric labels. */

const signatureOf = (query: string, name: string | null = null) => operationSignature(parse(query), name)!;

describe('operation signatures (usage-reporting style)', () => {
  it('hides literals, drops aliases, sorts fields and arguments, reduces whitespace', () => {
    const s = signatureOf(`
      query Portal {
        m: municipality(ags: "05122000") {
          population
          name
          council { meetings(first: 3) { name } }
        }
      }`);
    expect(s.signature).toBe('# Portal\nquery Portal{municipality(ags:""){council{meetings(first:0){name}}name population}}');
    expect(s.operationName).toBe('Portal');
    expect(s.operationType).toBe('query');
    expect(s.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(s.id).toBe(s.hash.slice(0, 16));
  });

  it('gives the same signature to the same operation with other values, order, aliases and whitespace', () => {
    const a = signatureOf('{ municipality(ags: "05122000") { name population } }');
    const b = signatureOf('{\n  x: municipality(ags: "01001000") {\n    population\n    name\n  }\n}');
    expect(b.signature).toBe(a.signature);
    expect(b.id).toBe(a.id);
    expect(a.signature).toBe('# -\n{municipality(ags:""){name population}}');
  });

  it('keeps what can change the plan: variables, booleans, enums, operation names', () => {
    expect(signatureOf('query Q($a: String!) { municipality(ags: $a) { name } }').signature).toBe(
      '# Q\nquery Q($a:String!){municipality(ags:$a){name}}',
    );
    expect(signatureOf('{ municipality(ags: "1") { warnings(severityAtLeast: SEVERE) { headline } name @include(if: true) } }').signature).toBe(
      '# -\n{municipality(ags:""){name@include(if:true)warnings(severityAtLeast:SEVERE){headline}}}',
    );
    expect(signatureOf('query A { states { name } }').id).not.toBe(signatureOf('query B { states { name } }').id);
  });

  it('hides list and object literals and numbers; keeps only the chosen operation and its fragments', () => {
    const document = parse(`
      query One { ...F }
      query Two { states { name } }
      fragment F on Query { municipalities(state: "05", first: 50) { totalCount } }
      fragment Unused on Query { states { code } }`);
    expect(operationSignature(document, 'One')!.signature).toBe(
      '# One\nfragment F on Query{municipalities(first:0,state:""){totalCount}}query One{...F}',
    );
    expect(operationSignature(document, 'Two')!.signature).toBe('# Two\nquery Two{states{name}}');
    expect(operationSignature(document, null)).toBeNull();
    expect(operationSignature(document, 'Three')).toBeNull();
  });

  it('never carries a literal value (personal data in arguments stays out of the signature)', () => {
    const s = signatureOf('{ personSearch(familyName: "Mustermann", birthDate: "1970-01-01", ids: [1, 2], filter: { city: "Bremen" }) { id } }');
    expect(s.signature).toBe('# -\n{personSearch(birthDate:"",familyName:"",filter:{},ids:[]){id}}');
    expect(s.signature).not.toMatch(/Mustermann|1970|Bremen/);
  });

  it('memoises per parsed document and operation name', () => {
    const cached = createSignatureCache();
    const document = parse('query A { states { name } } query B { states { code } }');
    const first = cached(document, 'A');
    expect(cached(document, 'A')).toBe(first);
    expect(cached(document, 'B')!.operationName).toBe('B');
  });
});

describe('latency histogram', () => {
  it('reports a single observation exactly and quantiles within one bucket', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ count: 0, meanMs: null, p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null });
    h.record(12.5);
    expect(h.summary()).toEqual({ count: 1, meanMs: 12.5, p50Ms: 12.5, p95Ms: 12.5, p99Ms: 12.5, maxMs: 12.5 });
    const many = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) many.record(i);
    const summary = many.summary();
    expect(summary.count).toBe(100);
    expect(summary.meanMs).toBe(50.5);
    expect(summary.maxMs).toBe(100);
    expect(Math.abs(summary.p50Ms! - 50) / 50).toBeLessThan(0.06);
    expect(Math.abs(summary.p95Ms! - 95) / 95).toBeLessThan(0.06);
    expect(Math.abs(summary.p99Ms! - 99) / 99).toBeLessThan(0.06);
  });
});

describe('plan store', () => {
  const plan: OperationPlan = {
    fetchCount: 2,
    text: '(text)',
    root: {
      kind: 'Sequence',
      nodes: [
        { kind: 'Fetch', id: 0, subgraph: 'kommunen', entity: false, fields: ['Query.municipality'], operation: '{municipality(ags:"05122000"){__typename ags name}}' },
        {
          kind: 'Flatten',
          path: ['municipality'],
          node: { kind: 'Fetch', id: 1, subgraph: 'warnungen', entity: true, fields: ['Municipality.warnings'], operation: 'query($representations:[_Any!]!){_entities(representations:$representations){...on Municipality{warnings{headline}}}}' },
        },
      ],
    },
  };
  const request = (query: string, overrides: Partial<RecordedRequest> = {}): RecordedRequest => ({
    signature: signatureOf(query),
    durationMs: 10,
    failed: false,
    plan,
    supergraphId: 'sg-1',
    fetches: [
      { subgraph: 'kommunen', fetchId: 0, durationMs: 4, failed: false },
      { subgraph: 'warnungen', fetchId: 1, durationMs: 5, failed: false },
    ],
    removedFields: 0,
    ...overrides,
  });

  it('counts requests, errors, fetches per subgraph and per plan fetch, and hides literals in the stored plan', () => {
    const store = createPlanStore({ maxSignatures: 10 });
    const query = '{ municipality(ags: "05122000") { name warnings { headline } } }';
    for (let i = 0; i < 3; i++) store.record(request(query));
    store.record(request(query, { failed: true, removedFields: 2, fetches: [{ subgraph: 'kommunen', fetchId: 0, durationMs: 4, failed: true }] }));
    const [summary] = store.list();
    expect(summary).toMatchObject({ count: 4, errors: 1, authorizationRemovedFields: 2, entityCacheHitRatio: null });
    expect(summary!.subgraphs.map((s) => [s.name, s.fetches, s.errors])).toEqual([
      ['kommunen', 4, 1],
      ['warnungen', 3, 0],
    ]);
    const detail = store.get(summary!.id)!;
    const root = detail.plan!.root as unknown as { kind: 'Sequence'; nodes: unknown[] };
    const [first, flatten] = root.nodes;
    expect(first).toMatchObject({ kind: 'Fetch', id: 0, subgraph: 'kommunen', stats: { count: 4, errors: 1 } });
    expect((first as { operation: string }).operation).toBe('{\n  municipality(ags: "") {\n    __typename\n    ags\n    name\n  }\n}');
    expect(flatten).toMatchObject({ kind: 'Flatten', node: { kind: 'Fetch', id: 1, subgraph: 'warnungen', stats: { count: 3, errors: 0 } } });
    expect(JSON.stringify(detail)).not.toContain('05122000');
  });

  it('is a bounded LRU: the least recently seen signature is evicted first', () => {
    const store = createPlanStore({ maxSignatures: 2 });
    store.record(request('query A { states { name } }'));
    store.record(request('query B { states { name } }'));
    store.record(request('query A { states { name } }'));
    store.record(request('query C { states { name } }'));
    expect(store.size()).toBe(2);
    expect(store.evicted()).toBe(1);
    expect(store.list().map((o) => o.operationName).sort()).toEqual(['A', 'C']);
    expect(() => createPlanStore({ maxSignatures: 0 })).toThrow('plan store: maxSignatures must be a whole number ≥ 1, received 0');
  });

  it('starts per-fetch statistics again when the supergraph changes', () => {
    const store = createPlanStore({ maxSignatures: 5 });
    const query = '{ states { name } }';
    store.record(request(query));
    store.record(request(query, { supergraphId: 'sg-2' }));
    const detail = store.get(store.list()[0]!.id)!;
    expect(detail.count).toBe(2);
    expect(detail.plan!.supergraphId).toBe('sg-2');
    expect((detail.plan!.root as { nodes: { stats?: { count: number } }[] }).nodes[0]!.stats!.count).toBe(1);
  });
});

describe('metric labels are bounded', () => {
  it('admits the first maxSignatureLabels signature ids and counts the rest as "other"; unknown codes as "other"', async () => {
    const metrics = createGatewayMetrics({ maxSignatureLabels: 2, knownCodes: ['BAD_REQUEST'], processMetrics: false });
    metrics.recordRequest('aaaaaaaaaaaaaaaa', 'A', 'query', 'ok', 5);
    metrics.recordRequest('bbbbbbbbbbbbbbbb', 'B', 'query', 'ok', 5);
    metrics.recordRequest('cccccccccccccccc', 'C', 'query', 'error', 5);
    metrics.recordRequest('dddddddddddddddd', 'Dé lete!', 'query', 'ok', 5);
    metrics.recordRejected('BAD_REQUEST');
    metrics.recordRejected('SOMETHING_ELSE');
    metrics.recordCache('entity', 'hit', 3);
    metrics.recordCache('nonsense' as never, 'miss');
    const { body } = await metrics.scrape();
    const lines = body.split('\n').filter((l) => /^amtsgraph_(requests_total|rejected|operation_signature_info|cache_)/.test(l));
    expect(lines).toEqual([
      'amtsgraph_requests_total{signature="aaaaaaaaaaaaaaaa",operation_type="query",outcome="ok"} 1',
      'amtsgraph_requests_total{signature="bbbbbbbbbbbbbbbb",operation_type="query",outcome="ok"} 1',
      `amtsgraph_requests_total{signature="${OTHER}",operation_type="query",outcome="error"} 1`,
      `amtsgraph_requests_total{signature="${OTHER}",operation_type="query",outcome="ok"} 1`,
      'amtsgraph_operation_signature_info{signature="aaaaaaaaaaaaaaaa",operation_name="A"} 1',
      'amtsgraph_operation_signature_info{signature="bbbbbbbbbbbbbbbb",operation_name="B"} 1',
      'amtsgraph_rejected_requests_total{code="BAD_REQUEST"} 1',
      'amtsgraph_rejected_requests_total{code="other"} 1',
      'amtsgraph_cache_hits_total{cache="entity"} 3',
      'amtsgraph_cache_hits_total{cache="response"} 0',
      'amtsgraph_cache_hits_total{cache="plan"} 0',
      'amtsgraph_cache_hits_total{cache="upstream"} 0',
      'amtsgraph_cache_misses_total{cache="entity"} 0',
      'amtsgraph_cache_misses_total{cache="response"} 0',
      'amtsgraph_cache_misses_total{cache="plan"} 0',
      'amtsgraph_cache_misses_total{cache="upstream"} 0',
      'amtsgraph_cache_misses_total{cache="other"} 1',
    ]);
  });
});
