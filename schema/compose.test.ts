import { buildSchema, isEnumType, isObjectType } from 'graphql';
import { readFileSync } from 'node:fs';
import { composeSdls, composeSupergraph, subgraphSdlPath, SUPERGRAPH_PATH } from './compose-lib';

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

  it('reports composition errors instead of producing a supergraph', () => {
    const kommunen = readFileSync(subgraphSdlPath('kommunen'), 'utf8');
    // A second subgraph that also resolves Municipality.name without @shareable.
    const rogue = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
      type Municipality @key(fields: "ags") { ags: String! name: String! }`;
    const result = composeSdls([
      { name: 'kommunen', url: 'http://127.0.0.1:4001/graphql', sdl: kommunen },
      { name: 'rogue', url: 'http://127.0.0.1:4999/graphql', sdl: rogue },
    ]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.join('\n')).toMatch(/INVALID_FIELD_SHARING: Non-shareable field "Municipality.name" is resolved from multiple subgraphs/);
    const broken = composeSdls([{ name: 'broken', url: 'http://127.0.0.1:4999/graphql', sdl: 'type Query {' }]);
    expect(broken).toEqual({ ok: false, errors: [expect.stringMatching(/^INVALID_GRAPHQL: subgraph "broken": Syntax Error/)] });
  });

  it('every type and field in the supergraph has a description', () => {
    const sdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
    const schema = buildSchema(sdl, { assumeValidSDL: true });
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      // Types of the linked specs (join, link, and the authorization specs' scalars) are not ours to describe.
      if (['__', 'join__', 'link__', 'policy__', 'requiresScopes__'].some((prefix) => type.name.startsWith(prefix))) continue;
      if (['String', 'Int', 'Float', 'Boolean', 'ID', 'Query'].includes(type.name)) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
      }
      if (isEnumType(type)) for (const v of type.getValues()) if (!v.description) missing.push(`${type.name}.${v.name}`);
    }
    for (const field of Object.values(schema.getQueryType()!.getFields())) if (!field.description) missing.push(`Query.${field.name}`);
    expect(missing).toEqual([]);
  });
});
