import { composeSupergraph, createOracle, distinctOperation, TEST_QUERY } from './federation/scenario';
import { canonicalJson, createBodyChecker, DEFAULT_OPTIONS, fmt, markdownTable, median, parseOptions, percentile, percentOf, ratio, roundOrder } from './bench-lib';
import { amtsgraphNodeFlags } from './processes';

describe('parseOptions', () => {
  it('returns the defaults without flags', () => {
    expect(parseOptions([])).toEqual({ suite: 'all', rounds: 3, duration: 10, warmup: 4, connections: 50, only: null, operations: 100_000, maxSeconds: 600 });
    expect(parseOptions([])).toEqual(DEFAULT_OPTIONS);
  });

  it('reads every flag', () => {
    expect(parseOptions(['--rounds', '2', '--duration', '5', '--warmup', '0', '--connections', '20', '--only', 'a, c,f', '--suite', 'federation', '--operations', '1000', '--max-seconds', '900'])).toEqual({
      suite: 'federation',
      rounds: 2,
      duration: 5,
      warmup: 0,
      connections: 20,
      only: ['a', 'c', 'f'],
      operations: 1000,
      maxSeconds: 900,
    });
  });

  it('names the flag, the expectation and the value when one is wrong', () => {
    expect(() => parseOptions(['--rounds', '0'])).toThrow('--rounds must be a whole number from 1 to 50, received "0"');
    expect(() => parseOptions(['--duration', '2.5'])).toThrow('--duration must be a whole number from 1 to 600, received "2.5"');
    expect(() => parseOptions(['--suite', 'fast'])).toThrow('--suite must be one of all, federation, amtsgraph, distinct, received "fast"');
    expect(() => parseOptions(['--rounds'])).toThrow('--rounds needs a value');
    expect(() => parseOptions(['--rounds', '--duration', '3'])).toThrow('--rounds needs a value');
    expect(() => parseOptions(['--speed', '3'])).toThrow('unknown flag --speed; known: --suite, --rounds, --duration, --warmup, --connections, --only, --operations, --max-seconds');
    expect(() => parseOptions(['rounds', '3'])).toThrow('unexpected argument "rounds": flags look like --rounds 3');
    expect(() => parseOptions(['--only', ' , '])).toThrow('--only needs a comma-separated list of variant ids such as a,c,f');
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'x' }], c: true } })).toBe('{"a":{"c":true,"d":[3,{"y":"x","z":null}]},"b":1}');
  });

  it('gives equal strings for equal values written differently', () => {
    expect(canonicalJson(JSON.parse('{ "data": {"x": 1, "y": [1, 2]} }'))).toBe(canonicalJson(JSON.parse('{"data":{"y":[1,2],"x":1}}')));
  });
});

describe('createBodyChecker', () => {
  const reference = '{"data":{"a":1,"b":[1,2]}}';

  it('accepts the exact bytes and the same JSON with other key order or whitespace', () => {
    const check = createBodyChecker(reference);
    expect(check(reference)).toBe(true);
    expect(check('{"data":{"b":[1,2],"a":1}}\n')).toBe(true);
    expect(check('{ "data" : { "a" : 1, "b" : [1, 2] } }')).toBe(true);
  });

  it('rejects other values, array order, extra fields and bodies that are not JSON', () => {
    const check = createBodyChecker(reference);
    expect(check('{"data":{"a":2,"b":[1,2]}}')).toBe(false);
    expect(check('{"data":{"a":1,"b":[2,1]}}')).toBe(false);
    expect(check('{"data":{"a":1,"b":[1,2]},"errors":[{"message":"x"}]}')).toBe(false);
    expect(check('{"data":{"a":1,"b":[1,2]')).toBe(false);
    expect(check('')).toBe(false);
  });
});

describe('statistics', () => {
  it('median of odd and even counts, ignoring non-finite values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, NaN, 1, Infinity, 3])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('formatting', () => {
  it('fmt, ratio and percentOf show unknown values as a dash', () => {
    expect(fmt(12.345)).toBe('12.3');
    expect(fmt(12.345, 2)).toBe('12.35');
    expect(fmt(null)).toBe('—');
    expect(fmt(NaN)).toBe('—');
    expect(ratio(30, 10)).toBe('3.00×');
    expect(ratio(30, 0)).toBe('—');
    expect(ratio(null, 10)).toBe('—');
    expect(percentOf(40, 8000)).toBe('0.50 %');
    expect(percentOf(4000, 8000)).toBe('50.0 %');
    expect(percentOf(40, null)).toBe('—');
  });

  it('markdownTable aligns numbers right, escapes pipes and checks row widths', () => {
    expect(markdownTable(['variant', 'req/s'], [['(a) x|y', '40.5'], ['(f)', '8390.2']])).toBe(
      ['| variant | req/s |', '|---|---:|', '| (a) x\\|y | 40.5 |', '| (f) | 8390.2 |'].join('\n'),
    );
    expect(markdownTable(['a', 'b', 'c'], [], ['l', 'l'])).toBe('| a | b | c |\n|---|---|---:|');
    expect(() => markdownTable(['a', 'b'], [['1']])).toThrow('table row has 1 cells, the header 2');
  });

  it('roundOrder: odd rounds forward, even rounds reversed', () => {
    expect(roundOrder(['a', 'b', 'c'], 1)).toEqual(['a', 'b', 'c']);
    expect(roundOrder(['a', 'b', 'c'], 2)).toEqual(['c', 'b', 'a']);
    expect(roundOrder(['a', 'b', 'c'], 3)).toEqual(['a', 'b', 'c']);
  });
});

describe('the benchmark scenario (federation/scenario.ts)', () => {
  it('composes the four subgraphs with the given ports', () => {
    const sdl = composeSupergraph({ accounts: 5001, inventory: 5002, products: 5003, reviews: 5004 });
    expect(sdl).toContain('ACCOUNTS @join__graph(name: "accounts", url: "http://127.0.0.1:5001/graphql")');
    expect(sdl).toContain('REVIEWS @join__graph(name: "reviews", url: "http://127.0.0.1:5004/graphql")');
    expect(sdl).toContain('shippingEstimate: Int @join__field(graph: INVENTORY, requires: "price weight")');
  });

  it('the oracle answers the TestQuery with the ~87 kB reference', () => {
    const answer = createOracle().answer(TEST_QUERY);
    expect(Buffer.byteLength(answer)).toBe(87_599);
    const data = (JSON.parse(answer) as { data: { users: { reviews: { product: { reviews: unknown[] } }[] }[]; topProducts: { name: string; reviews: unknown[] }[] } }).data;
    expect(data.users).toHaveLength(6);
    expect(data.users[0]!.reviews[0]!.product.reviews).toHaveLength(4);
    expect(data.topProducts.map((p) => [p.name, p.reviews.length])).toEqual([['Table', 4], ['Couch', 4], ['Glass', 1], ['Chair', 2], ['TV', 0]]);
  });

  it('distinct operations have distinct texts and the oracle answers them', () => {
    const oracle = createOracle();
    const texts = new Set(Array.from({ length: 1000 }, (_, i) => distinctOperation(i)));
    expect(texts.size).toBe(1000);
    expect(distinctOperation(20)).toBe('query D20 { p20: topProducts(first: 3) { upc price inStock reviews { id } } u20: users { id name } }');
    expect(oracle.answer(distinctOperation(1))).toBe('{"data":{"p1":[{"name":"Table"},{"name":"Couch"}]}}');
  });
});

describe('amtsgraphNodeFlags', () => {
  it("is the gateway's shipped flags unless BENCH_AMTSGRAPH_NODE_FLAGS replaces them", () => {
    expect(amtsgraphNodeFlags({})).toEqual(['--max-semi-space-size=64']);
    expect(amtsgraphNodeFlags({ BENCH_AMTSGRAPH_NODE_FLAGS: '' })).toEqual([]);
    expect(amtsgraphNodeFlags({ BENCH_AMTSGRAPH_NODE_FLAGS: ' --max-old-space-size=192  --max-semi-space-size=32 ' })).toEqual(['--max-old-space-size=192', '--max-semi-space-size=32']);
  });
});
