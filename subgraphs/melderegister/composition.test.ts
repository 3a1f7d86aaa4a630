import { readFileSync } from 'node:fs';
import { Kind, parse, print, type FieldDefinitionNode, type ObjectTypeDefinitionNode } from 'graphql';
import { composeSupergraph, SUPERGRAPH_PATH } from '../../schema/compose-lib';

/**
 * The authorization directives declared in the melderegister and gewerbe SDLs must survive
 * composition: the gateway reads them from the supergraph (`npm run compose` writes it).
 */
function authDirectives(sdl: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const definition of parse(sdl).definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const field of (definition as ObjectTypeDefinitionNode).fields ?? []) {
      const directives = (field as FieldDefinitionNode).directives?.filter((d) => ['authenticated', 'requiresScopes', 'policy'].includes(d.name.value)) ?? [];
      if (directives.length) result[`${definition.name.value}.${field.name.value}`] = directives.map((d) => print(d));
    }
  }
  return result;
}

const EXPECTED = {
  'Business.owner': ['@requiresScopes(scopes: [["gewerbe:read"]])'],
  'Municipality.residents': ['@requiresScopes(scopes: [["melde:read"]])'],
  'Person.id': ['@authenticated'],
  'Person.familyName': ['@requiresScopes(scopes: [["melde:read"]])'],
  'Person.givenNames': ['@requiresScopes(scopes: [["melde:read"]])'],
  'Person.birthDate': ['@requiresScopes(scopes: [["melde:read"]])', '@policy(policies: [["purpose-bound"]])'],
  'Person.address': ['@requiresScopes(scopes: [["melde:read"]])'],
  'Person.nationality': ['@requiresScopes(scopes: [["melde:read"]])'],
  'Person.registrationStatus': ['@requiresScopes(scopes: [["melde:read"]])'],
  'Query.person': ['@requiresScopes(scopes: [["melde:read"]])'],
};

describe('personal-data directives in the supergraph', () => {
  it('composition keeps @authenticated, @requiresScopes and @policy on exactly these fields', () => {
    const result = composeSupergraph();
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(authDirectives(result.supergraphSdl)).toEqual(EXPECTED);
    for (const spec of ['authenticated', 'requiresScopes', 'policy']) {
      expect(result.supergraphSdl).toContain(`@link(url: "https://specs.apollo.dev/${spec}/v0.1", for: SECURITY)`);
    }
  });

  it('the committed schema/supergraph.graphql carries them (npm run compose was run)', () => {
    const committed = readFileSync(SUPERGRAPH_PATH, 'utf8');
    expect(authDirectives(committed)).toEqual(EXPECTED);
    expect(committed).toMatch(/join__graph\(name: "melderegister", url: "http:\/\/127\.0\.0\.1:4006\/graphql"\)/);
    expect(committed).toMatch(/join__graph\(name: "gewerbe", url: "http:\/\/127\.0\.0\.1:4007\/graphql"\)/);
  });
});
