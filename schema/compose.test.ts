import { readFileSync } from 'node:fs';
import { composeSupergraph, SUPERGRAPH_PATH } from './compose-lib';

describe('supergraph composition', () => {
  it('composes the subgraph SDLs without errors', () => {
    const result = composeSupergraph();
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('the committed schema/supergraph.graphql is what `npm run compose` produces (not stale)', () => {
    const result = composeSupergraph();
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(result.supergraphSdl);
  });

  it('reports composition errors instead of writing a broken supergraph', () => {
    // kommunen alone composes; an unknown subgraph name has no SDL file and must throw.
    expect(composeSupergraph(['kommunen']).ok).toBe(true);
    expect(() => composeSupergraph(['nope' as never])).toThrow(/ENOENT/);
  });
});
