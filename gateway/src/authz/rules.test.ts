import { ANONYMOUS, type Identity } from '../../../common/identity';
import { composeSdls } from '../../../schema/compose-lib';
import { allOf, NO_REQUIREMENT, unmetRequirement } from './requirement';
import { extractAuthorizationRules } from './rules';

/**
 * Authorization rules read from a composed supergraph: the Federation directives survive
 * composition, and the effective requirement of each coordinate combines field, parent type,
 * return type, @requires dependencies and interface implementations.
 */
const LINK = (imports: string) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: [${imports}])`;

const PEOPLE = `${LINK('"@key", "@authenticated", "@requiresScopes", "@policy"')}
"n" interface Node { "i" id: ID! }
"P" type Person implements Node @key(fields: "id") {
  "i" id: ID! @authenticated
  "f" familyName: String @requiresScopes(scopes: [["melde:read"]])
  "b" birthDate: String @requiresScopes(scopes: [["melde:read"]]) @policy(policies: [["purpose-bound"]])
}
"Pl" type Place implements Node @key(fields: "id") { "i" id: ID! "n" name: String }
"S" type Secret @authenticated { "x" x: String }
"Q" type Query {
  "p" person(id: ID!): Person @requiresScopes(scopes: [["melde:read"]])
  "s" secret: Secret
  "n" node(id: ID!): Node
  "c" combined: String @requiresScopes(scopes: [["a", "b"], ["c"]]) @authenticated
}
`;
const TRADE = `${LINK('"@key", "@requiresScopes", "@policy", "@external", "@requires"')}
"B" type Business @key(fields: "id") { "i" id: ID! "n" name: String "o" owner: Person @requiresScopes(scopes: [["gewerbe:read"]]) }
"P" type Person @key(fields: "id") {
  "i" id: ID!
  "b" birthDate: String @external
  "a" ageGroup: String @requires(fields: "birthDate") @requiresScopes(scopes: [["melde:read"]]) @policy(policies: [["purpose-bound"]])
}
"Q" type Query { "b" business(id: ID!): Business }
`;

function supergraph(): string {
  const result = composeSdls([
    { name: 'people', url: 'http://127.0.0.1:1/graphql', sdl: PEOPLE },
    { name: 'trade', url: 'http://127.0.0.1:2/graphql', sdl: TRADE },
  ]);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.supergraphSdl;
}

const scopes = (s: string[][]) => ({ authenticated: false, scopes: s, policies: null });

describe('authorization rules from the supergraph', () => {
  const sdl = supergraph();

  it('composition keeps @authenticated, @requiresScopes and @policy in the supergraph', () => {
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)');
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)');
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)');
    expect(sdl).toMatch(/birthDate: String .*@requiresScopes\(scopes: \[\["melde:read"\]\]\) @policy\(policies: \[\["purpose-bound"\]\]\)/);
  });

  it('reads the effective requirement of every restricted coordinate', () => {
    const rules = extractAuthorizationRules(sdl);
    expect(Object.fromEntries(rules.fields)).toEqual({
      'Person.id': { authenticated: true, scopes: null, policies: null },
      'Person.familyName': scopes([['melde:read']]),
      'Person.birthDate': { authenticated: false, scopes: [['melde:read']], policies: [['purpose-bound']] },
      'Person.ageGroup': { authenticated: false, scopes: [['melde:read']], policies: [['purpose-bound']] },
      // An interface field is as restricted as the field on every implementation.
      'Node.id': { authenticated: true, scopes: null, policies: null },
      'Query.person': scopes([['melde:read']]),
      // A type rule covers the fields returning the type and the type's own fields.
      'Query.secret': { authenticated: true, scopes: null, policies: null },
      'Secret.x': { authenticated: true, scopes: null, policies: null },
      'Query.combined': { authenticated: true, scopes: [['a', 'b'], ['c']], policies: null },
      'Business.owner': scopes([['gewerbe:read']]),
    });
    expect(Object.fromEntries(rules.types)).toEqual({ Secret: { authenticated: true, scopes: null, policies: null } });
    // Entity types whose ids the audit collects, with their key fields.
    expect(Object.fromEntries(rules.entityKeys)).toEqual({ Person: ['id'], Business: ['id'] });
    expect(rules.supergraphId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a field that @requires restricted fields inherits their requirements', () => {
    // Composition insists that the requiring field repeats them; remove them to prove the
    // gateway does not depend on that.
    const stripped = sdl.replace(
      /(ageGroup: String @join__field\(graph: TRADE, requires: "birthDate"\)) @requiresScopes\(scopes: \[\["melde:read"\]\]\) @policy\(policies: \[\["purpose-bound"\]\]\)/,
      '$1',
    );
    expect(stripped).not.toEqual(sdl);
    const rules = extractAuthorizationRules(stripped);
    expect(rules.fields.get('Person.ageGroup')).toEqual({ authenticated: false, scopes: [['melde:read']], policies: [['purpose-bound']] });
  });

  it('follows directive names renamed with @link(as:)', () => {
    const renamed = sdl
      .replace('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)', '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "loggedIn", for: SECURITY)')
      .replace(/@authenticated\b(?! on)/g, '@loggedIn')
      .replace('directive @authenticated on', 'directive @loggedIn on');
    expect(renamed).not.toMatch(/@authenticated/);
    const rules = extractAuthorizationRules(renamed);
    expect(rules.fields.get('Person.id')).toEqual({ authenticated: true, scopes: null, policies: null });
  });
});

describe('requirements', () => {
  const identity = (scopes: string[], extra: Partial<Identity> = {}): Identity => ({ sub: 'x', scopes, ags: null, purpose: null, anonymous: false, ...extra });
  const noPolicy = async () => false;

  it('combine with AND: alternatives multiply, supersets of another alternative drop out', () => {
    expect(allOf(scopes([['a', 'b'], ['c']]), scopes([['d']]))).toEqual(scopes([['a', 'b', 'd'], ['c', 'd']]));
    expect(allOf(scopes([['a'], ['b']]), scopes([['a']]))).toEqual(scopes([['a']]));
    expect(allOf(NO_REQUIREMENT, NO_REQUIREMENT)).toEqual(NO_REQUIREMENT);
    // An empty outer list can never be met, and stays so.
    expect(allOf(scopes([]), scopes([['a']]))).toEqual(scopes([]));
  });

  it('scopes: the outer list is OR, the inner list is AND', async () => {
    const rule = scopes([['a', 'b'], ['c']]);
    expect(await unmetRequirement(rule, identity(['a', 'b']), noPolicy)).toBeNull();
    expect(await unmetRequirement(rule, identity(['c']), noPolicy)).toBeNull();
    expect(await unmetRequirement(rule, identity(['a']), noPolicy)).toBe('scopes');
    expect(await unmetRequirement(rule, identity([]), noPolicy)).toBe('scopes');
    expect(await unmetRequirement(scopes([]), identity(['a', 'b', 'c']), noPolicy)).toBe('scopes');
  });

  it('authenticated denies anonymous callers only; policies are OR of AND too', async () => {
    const authenticated = { ...NO_REQUIREMENT, authenticated: true };
    expect(await unmetRequirement(authenticated, ANONYMOUS, noPolicy)).toBe('authenticated');
    expect(await unmetRequirement(authenticated, identity([]), noPolicy)).toBeNull();
    const policies = { ...NO_REQUIREMENT, policies: [['p', 'q'], ['r']] };
    const allow = (names: string[]) => async (name: string) => names.includes(name);
    expect(await unmetRequirement(policies, identity([]), allow(['p', 'q']))).toBeNull();
    expect(await unmetRequirement(policies, identity([]), allow(['r']))).toBeNull();
    expect(await unmetRequirement(policies, identity([]), allow(['p']))).toBe('policy');
  });
});
