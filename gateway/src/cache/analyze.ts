import { createHash } from 'node:crypto';
import {
  buildASTSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  valueFromASTUntyped,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { extractAuthorizationRules, type AuthorizationRules } from '../authz/rules';

/**
 * What the entity cache needs to know about the supergraph: the authorization rules (the
 * authz module's own reading, so cache and authorization never disagree), the entity key
 * fields per type, the subgraph names, and per subgraph operation text whether it touches a
 * restricted coordinate. Rebuilt when the supergraph SDL changes.
 */
export interface FetchAnalysis {
  /** Query (cacheable) or mutation/subscription (never cached). */
  query: boolean;
  /** Touches a field or type under `@authenticated`/`@requiresScopes`/`@policy`. */
  restricted: boolean;
  /** sha256 of the operation text (the selection set of the fetch). */
  hash: string;
}

export interface SupergraphFacts {
  sdl: string;
  rules: AuthorizationRules;
  /** Entity type → key field names (the first `@join__type(key:)` of the type). */
  keyFields: ReadonlyMap<string, readonly string[]>;
  /** Entity type → the field names at the top of that key (`id org { id }` → id, org): the fields of an invalidation key. */
  topLevelKeyFields: ReadonlyMap<string, readonly string[]>;
  /** Lower-cased type name → type name (tags are `<type lowercased>:<key value>`). */
  typesByLowerName: ReadonlyMap<string, string>;
  subgraphs: readonly string[];
  analyze(operation: string): FetchAnalysis;
}

const MAX_ANALYSES = 1_000;

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted at every level: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
    .join(',')}}`;
}

/** The field names outside any braces of a `@key(fields:)` selection. */
function topLevelNames(selection: string): string[] {
  const names: string[] = [];
  let depth = 0;
  for (const token of selection.match(/[{}]|[^\s{}]+/g) ?? []) {
    if (token === '{') depth++;
    else if (token === '}') depth--;
    else if (depth === 0) names.push(token);
  }
  return names;
}

export function readSupergraph(sdl: string): SupergraphFacts {
  const document = parse(sdl);
  const schema = buildASTSchema(document, { assumeValidSDL: true });
  const rules = extractAuthorizationRules(sdl);
  const keyFields = new Map<string, string[]>();
  const topLevelKeyFields = new Map<string, string[]>();
  const typesByLowerName = new Map<string, string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.includes('__')) continue;
    typesByLowerName.set(type.name.toLowerCase(), type.name);
    const directives = [...(type.astNode?.directives ?? []), ...type.extensionASTNodes.flatMap((n) => n.directives ?? [])];
    for (const directive of directives) {
      if (!directive.name.value.endsWith('__type')) continue;
      const args = Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
      if (typeof args.key !== 'string') continue;
      keyFields.set(type.name, args.key.split(/[\s{}]+/).filter(Boolean));
      topLevelKeyFields.set(type.name, topLevelNames(args.key));
      break;
    }
  }
  const subgraphs = [...sdl.matchAll(/@join__graph\(name:\s*"([^"]+)"/g)].map((m) => m[1]!);
  const analyses = new Map<string, FetchAnalysis>();
  return {
    sdl,
    rules,
    keyFields,
    topLevelKeyFields,
    typesByLowerName,
    subgraphs,
    analyze(operation) {
      const known = analyses.get(operation);
      if (known) return known;
      const analysis = analyzeOperation(schema, rules, operation);
      if (analyses.size >= MAX_ANALYSES) analyses.delete(analyses.keys().next().value!);
      analyses.set(operation, analysis);
      return analysis;
    },
  };
}

function analyzeOperation(schema: GraphQLSchema, rules: AuthorizationRules, operation: string): FetchAnalysis {
  const hash = sha256(operation);
  let document;
  try {
    document = parse(operation);
  } catch {
    return { query: false, restricted: true, hash };
  }
  const definition = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!definition || definition.kind !== Kind.OPERATION_DEFINITION) return { query: false, restricted: true, hash };
  const root = definition.operation === 'query' ? schema.getQueryType() : null;
  if (!root) return { query: false, restricted: true, hash };
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  let restricted = false;
  const visit = (type: GraphQLNamedType | null | undefined, selectionSet: SelectionSetNode, depth: number): void => {
    if (restricted) return;
    // Unknown types, fields or absurd depth: treat as restricted (never cache what we cannot read).
    if (!type || depth > 64) {
      restricted = true;
      return;
    }
    if (rules.types.has(type.name)) restricted = true;
    for (const selection of selectionSet.selections) {
      if (restricted) return;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        if (name === '_entities' && type === root) {
          if (selection.selectionSet) visit(type, selection.selectionSet, depth + 1);
          continue;
        }
        if (!(isObjectType(type) || isInterfaceType(type))) {
          restricted = true;
          return;
        }
        const field = type.getFields()[name];
        if (!field) {
          restricted = true;
          return;
        }
        if (rules.fields.has(`${type.name}.${name}`)) {
          restricted = true;
          return;
        }
        if (selection.selectionSet) visit(getNamedType(field.type), selection.selectionSet, depth + 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        visit(condition, selection.selectionSet, depth + 1);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment) {
          restricted = true;
          return;
        }
        visit(schema.getType(fragment.typeCondition.name.value), fragment.selectionSet, depth + 1);
      }
    }
  };
  visit(root, definition.selectionSet, 0);
  return { query: true, restricted, hash };
}
