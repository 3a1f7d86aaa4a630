import { createBatchCombiner } from './batch';

const PRODUCTS = 'query Q__products__1($representations:[_Any!]!){_entities(representations:$representations){...on Product{name ...P}}} fragment P on Product{price}';
const INVENTORY = 'query Q__inventory__2($representations:[_Any!]!,$unit:String){_entities(representations:$representations){...on Product{inStock(unit:$unit) ...P}}} fragment P on Product{weight}';

describe('entity-fetch batching (batch.ts)', () => {
  it('combines fetches: aliases, renamed $representations and fragments, shared client variables', () => {
    const combined = createBatchCombiner().combine([
      { query: PRODUCTS, variables: { representations: [{ __typename: 'Product', upc: '1' }] } },
      { query: INVENTORY, variables: { representations: [{ __typename: 'Product', upc: '2' }], unit: 'kg' } },
    ]);
    expect(JSON.parse(combined!.body)).toEqual({
      query:
        'query ($representations_0: [_Any!]!, $representations_1: [_Any!]!, $unit: String) {\n' +
        '  _e0: _entities(representations: $representations_0) {\n    ... on Product {\n      name\n      ...P_0\n    }\n  }\n' +
        '  _e1: _entities(representations: $representations_1) {\n    ... on Product {\n      inStock(unit: $unit)\n      ...P_1\n    }\n  }\n}\n\n' +
        'fragment P_0 on Product {\n  price\n}\n\nfragment P_1 on Product {\n  weight\n}',
      variables: {
        representations_0: [{ __typename: 'Product', upc: '1' }],
        representations_1: [{ __typename: 'Product', upc: '2' }],
        unit: 'kg',
      },
    });
  });

  it('splits the answer per fetch; errors go to their fetch by path, unattributable ones to every fetch', () => {
    const combined = createBatchCombiner().combine([
      { query: PRODUCTS, variables: { representations: [{}, {}] } },
      { query: INVENTORY, variables: { representations: [{}] } },
    ])!;
    const parts = combined.split({
      data: { _e0: [{ name: 'A', price: 1 }, null], _e1: [{ inStock: true, weight: 2 }] },
      errors: [
        { message: 'gone', path: ['_e0', 1, 'name'], extensions: { code: 'NOT_FOUND' } },
        { message: 'overloaded' },
      ],
    });
    expect(parts).toEqual([
      {
        data: { _entities: [{ name: 'A', price: 1 }, null] },
        errors: [
          { message: 'gone', path: ['_entities', 1, 'name'], extensions: { code: 'NOT_FOUND' } },
          { message: 'overloaded' },
        ],
      },
      { data: { _entities: [{ inStock: true, weight: 2 }] }, errors: [{ message: 'overloaded' }] },
    ]);
    expect(combined.split({ data: null, errors: [{ message: 'down' }] })).toEqual([
      { data: null, errors: [{ message: 'down' }] },
      { data: null, errors: [{ message: 'down' }] },
    ]);
  });

  it('refuses what it cannot combine: root fetches, conflicting variable types', () => {
    const combiner = createBatchCombiner();
    expect(combiner.combine([{ query: '{ topProducts { upc } }' }, { query: PRODUCTS, variables: { representations: [] } }])).toBeNull();
    const other = 'query($representations:[_Any!]!,$unit:Int){_entities(representations:$representations){...on Product{inStock(unit:$unit)}}}';
    expect(combiner.combine([{ query: INVENTORY, variables: { representations: [] } }, { query: other, variables: { representations: [] } }])).toBeNull();
  });
});
