import { Supergraph } from '@apollo/federation-internals';
import { printSchema } from 'graphql';
import { composeSdls } from '../../../schema/compose-lib';
import { withoutGatewayEnforcedPurposes } from './security-features';

/**
 * @apollo/gateway refuses supergraphs that link @authenticated/@requiresScopes/@policy
 * `for: SECURITY`; the engine hands it the supergraph without that purpose (the gateway's
 * authorization plugin enforces the directives), and nothing else changes.
 */
const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
"P" type Person @key(fields: "id") {
  "i" id: ID! @authenticated
  "b" birthDate: String @requiresScopes(scopes: [["melde:read"]]) @policy(policies: [["purpose-bound"]])
}
"Q" type Query { "p" person(id: ID!): Person }
`;

describe('supergraphs with security features', () => {
  const composed = composeSdls([{ name: 'people', url: 'http://127.0.0.1:1/graphql', sdl: SDL }]);
  if (!composed.ok) throw new Error(composed.errors.join('\n'));
  const sdl = composed.supergraphSdl;

  it('as composed, Apollo refuses them', () => {
    expect(() => Supergraph.build(sdl)).toThrow(/feature https:\/\/specs.apollo.dev\/authenticated\/v0.1 is for: SECURITY but is unsupported/);
  });

  it('without the purpose of exactly those links, Apollo loads them and the API schema has no auth directives', () => {
    const converted = withoutGatewayEnforcedPurposes(sdl);
    expect(converted).not.toContain('for: SECURITY');
    expect(converted).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1")');
    expect(converted).toContain('@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)');
    // The directives themselves stay (the gateway reads them from the original SDL anyway).
    expect(converted).toMatch(/birthDate: String .*@requiresScopes/);
    const api = printSchema(Supergraph.build(converted).apiSchema().toGraphQLJSSchema());
    expect(api).toContain('birthDate: String');
    expect(api).not.toMatch(/@requiresScopes|@authenticated|@policy/);
  });

  it('leaves supergraphs without them untouched, and other SECURITY features refused', () => {
    const plain = sdl.replace(/\s*@link\(url: "https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes|policy)\/v0\.1", for: SECURITY\)/g, '');
    expect(withoutGatewayEnforcedPurposes(plain)).toBe(plain);
    const other = sdl.replace('https://specs.apollo.dev/policy/v0.1', 'https://specs.example.org/policy/v0.1');
    expect(withoutGatewayEnforcedPurposes(other)).toContain('@link(url: "https://specs.example.org/policy/v0.1", for: SECURITY)');
  });
});
