import { createHash } from 'node:crypto';
import {
  buildASTSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { allOf, isRestricted, NO_REQUIREMENT, type Requirement } from './requirement';

/**
 * The field-level authorization rules of a supergraph, read from its SDL.
 *
 * Subgraphs declare rules with the Federation 2.5+/2.6 directives `@authenticated`,
 * `@requiresScopes(scopes:)` and `@policy(policies:)`; composition keeps them in the
 * supergraph (linked as `https://specs.apollo.dev/{authenticated,requiresScopes,policy}/v0.1`,
 * `for: SECURITY`), while the API schema the gateway serves drops them. So the gateway reads
 * them here, at start and after every supergraph reload.
 *
 * The effective requirement of a field coordinate `Type.field` is the AND of
 * - the field's own directives,
 * - the directives on its parent type (a type's rule covers the type's own fields),
 * - the directives on the type it returns (a type's rule covers every field returning it),
 * - the effective requirements of the fields it `@requires` (otherwise a computed field could
 *   reveal what it was computed from, and the planner would fetch restricted data for it),
 * - for an interface field: the requirements of that field on every implementation.
 */
export interface AuthorizationRules {
  /** sha256 of the supergraph SDL the rules were read from. */
  readonly supergraphId: string;
  /** Effective requirement of every restricted field coordinate (`Person.birthDate`). */
  readonly fields: ReadonlyMap<string, Requirement>;
  /** Requirements declared on object/interface types themselves (checked on fragment type conditions). */
  readonly types: ReadonlyMap<string, Requirement>;
  /**
   * Entity types whose instances are audited (they hold restricted fields, carry a type rule or
   * are returned by a restricted field) → their scalar `@key` fields, used to collect the ids
   * of the entities a response contained.
   */
  readonly entityKeys: ReadonlyMap<string, readonly string[]>;
}

const SPEC = {
  authenticated: /^https:\/\/specs\.apollo\.dev\/authenticated\/v\d+\.\d+$/,
  requiresScopes: /^https:\/\/specs\.apollo\.dev\/requiresScopes\/v\d+\.\d+$/,
  policy: /^https:\/\/specs\.apollo\.dev\/policy\/v\d+\.\d+$/,
  join: /^https:\/\/specs\.apollo\.dev\/join\/v\d+\.\d+$/,
} as const;

type SpecName = keyof typeof SPEC;

/** Local directive names as the supergraph's `@link(url:, as:)` declares them. */
function linkedNames(document: ReturnType<typeof parse>): Record<SpecName, string> {
  const names: Record<SpecName, string> = { authenticated: 'authenticated', requiresScopes: 'requiresScopes', policy: 'policy', join: 'join' };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const args = Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
      const url = typeof args.url === 'string' ? args.url : '';
      for (const spec of Object.keys(SPEC) as SpecName[]) {
        if (SPEC[spec].test(url) && typeof args.as === 'string') names[spec] = args.as;
      }
    }
  }
  return names;
}

function stringDnf(value: unknown, where: string, argument: string): string[][] {
  if (!Array.isArray(value) || !value.every((inner) => Array.isArray(inner) && inner.every((s) => typeof s === 'string'))) {
    throw new Error(`${where}: argument "${argument}" must be a list of lists of strings, received ${JSON.stringify(value)}`);
  }
  return value as string[][];
}

export function extractAuthorizationRules(supergraphSdl: string): AuthorizationRules {
  const document = parse(supergraphSdl);
  const schema = buildASTSchema(document, { assumeValidSDL: true });
  const names = linkedNames(document);

  const declared = (directives: readonly ConstDirectiveNode[], where: string): Requirement => {
    const parts: Requirement[] = [];
    for (const directive of directives) {
      const args = Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
      if (directive.name.value === names.authenticated) parts.push({ ...NO_REQUIREMENT, authenticated: true });
      if (directive.name.value === names.requiresScopes) parts.push({ ...NO_REQUIREMENT, scopes: stringDnf(args.scopes, where, 'scopes') });
      if (directive.name.value === names.policy) parts.push({ ...NO_REQUIREMENT, policies: stringDnf(args.policies, where, 'policies') });
    }
    return allOf(...parts);
  };

  const internal = (type: GraphQLNamedType) =>
    type.name.startsWith('__') || type.name.startsWith(`${names.join}__`) || type.name.startsWith('link__') || type.name.includes('__');

  const typeRules = new Map<string, Requirement>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (internal(type)) continue;
    const directives = [...(type.astNode?.directives ?? []), ...type.extensionASTNodes.flatMap((n) => n.directives ?? [])];
    const requirement = declared(directives, `type ${type.name}`);
    if (isRestricted(requirement)) typeRules.set(type.name, requirement);
  }
  const typeRule = (name: string) => typeRules.get(name) ?? NO_REQUIREMENT;

  const composites = Object.values(schema.getTypeMap()).filter(
    (t): t is GraphQLObjectType | GraphQLInterfaceType => (isObjectType(t) || isInterfaceType(t)) && !internal(t),
  );

  // 1. Own directives + parent type + return type.
  const effective = new Map<string, Requirement>();
  for (const type of composites) {
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      effective.set(
        coordinate,
        allOf(declared(field.astNode?.directives ?? [], coordinate), typeRule(type.name), typeRule(getNamedType(field.type).name)),
      );
    }
  }

  // 2. Fields inherit the requirements of what they @require (to a fixpoint: chains of requires).
  const requires = new Map<string, { type: GraphQLObjectType | GraphQLInterfaceType; selections: SelectionSetNode }[]>();
  for (const type of composites) {
    for (const field of Object.values(type.getFields())) {
      for (const fieldSet of joinFieldRequires(field, names.join)) {
        const coordinate = `${type.name}.${field.name}`;
        const list = requires.get(coordinate) ?? [];
        list.push({ type, selections: parseFieldSet(fieldSet) });
        requires.set(coordinate, list);
      }
    }
  }
  for (let round = 0; round < 8 && requires.size > 0; round++) {
    let changed = false;
    for (const [coordinate, sets] of requires) {
      const before = effective.get(coordinate)!;
      const dependencies = sets.flatMap(({ type, selections }) => selectionCoordinates(schema, type, selections));
      const after = allOf(before, ...dependencies.map((c) => effective.get(c) ?? NO_REQUIREMENT));
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        effective.set(coordinate, after);
        changed = true;
      }
    }
    if (!changed) break;
  }

  // 3. An interface field is as restricted as that field on every implementation.
  for (const type of composites) {
    if (!isInterfaceType(type)) continue;
    const implementations = schema.getPossibleTypes(type);
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      effective.set(
        coordinate,
        allOf(effective.get(coordinate)!, ...implementations.map((impl) => effective.get(`${impl.name}.${field.name}`) ?? NO_REQUIREMENT)),
      );
    }
  }

  const fields = new Map([...effective].filter(([, requirement]) => isRestricted(requirement)));

  // Entity types whose instances are audited.
  const audited = new Set<string>(typeRules.keys());
  for (const coordinate of fields.keys()) audited.add(coordinate.split('.')[0]!);
  for (const type of composites) {
    for (const field of Object.values(type.getFields())) {
      if (fields.has(`${type.name}.${field.name}`)) audited.add(getNamedType(field.type).name);
    }
  }
  const entityKeys = new Map<string, readonly string[]>();
  for (const name of audited) {
    const type = schema.getType(name);
    if (!isObjectType(type)) continue;
    const keys = scalarKeyFields(type, names.join);
    if (keys) entityKeys.set(name, keys);
  }

  return {
    supergraphId: createHash('sha256').update(supergraphSdl).digest('hex'),
    fields,
    types: typeRules,
    entityKeys,
  };
}

/** A federation field set (`"id"`, `"address { city }"`) as a selection set. */
function parseFieldSet(fieldSet: string): SelectionSetNode {
  const operation = parse(`{ ${fieldSet} }`).definitions[0];
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error(`not a field set: ${fieldSet}`);
  return operation.selectionSet;
}

/** The field sets of `@join__field(requires: "…")` on a supergraph field. */
function joinFieldRequires(field: GraphQLField<unknown, unknown>, join: string): string[] {
  const out: string[] = [];
  for (const directive of field.astNode?.directives ?? []) {
    if (directive.name.value !== `${join}__field`) continue;
    const requiresArg = directive.arguments?.find((a) => a.name.value === 'requires');
    if (requiresArg && requiresArg.value.kind === Kind.STRING) out.push(requiresArg.value.value);
  }
  return out;
}

/** Every field coordinate a field set (as in `@requires`/`@key`) selects, nested ones included. */
function selectionCoordinates(schema: GraphQLSchema, type: GraphQLNamedType, selectionSet: SelectionSetNode): string[] {
  const out: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
      const field = type.getFields()[selection.name.value];
      if (!field) continue;
      out.push(`${type.name}.${field.name}`);
      if (selection.selectionSet) out.push(...selectionCoordinates(schema, getNamedType(field.type), selection.selectionSet));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
      if (condition) out.push(...selectionCoordinates(schema, condition, selection.selectionSet));
    }
  }
  return out;
}

/** The first resolvable `@join__type(key:)` of a type when it consists of scalar fields only. */
function scalarKeyFields(type: GraphQLObjectType, join: string): string[] | null {
  const directives = [...(type.astNode?.directives ?? []), ...type.extensionASTNodes.flatMap((n) => n.directives ?? [])];
  for (const directive of directives) {
    if (directive.name.value !== `${join}__type`) continue;
    const args = Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
    if (typeof args.key !== 'string' || args.resolvable === false) continue;
    const selections = parseFieldSet(args.key).selections;
    const names: string[] = [];
    for (const selection of selections) {
      if (selection.kind !== Kind.FIELD || selection.selectionSet || !type.getFields()[selection.name.value]) return null;
      names.push(selection.name.value);
    }
    return names;
  }
  return null;
}
