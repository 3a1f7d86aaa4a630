import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildASTSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  parse,
  print,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
} from 'graphql';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { extractAuthorizationRules } from '../authz/rules';
import { supergraphId } from '../engine/supergraph-file';

/**
 * The API catalogue on /ops: for every subgraph of the supergraph, who owns it (authority),
 * whom to contact, which upstream REST contracts it wraps (the stand-in's OpenAPI document
 * and the real system), the types and fields it contributes with their SDL descriptions, and
 * which fields are restricted and by what rule.
 *
 * Types, fields and descriptions come from the supergraph (`@join__type` / `@join__field`);
 * the rules are the effective ones authorization enforces (authz/rules.ts reads
 * `@authenticated`, `@requiresScopes` and `@policy`, including rules inherited from the
 * parent or return type); owner, contact and upstreams come from `subgraphs/catalogue.json`.
 */
const upstreamSchema = z
  .object({
    standIn: z.string().regex(/^[a-z][a-z0-9-]*$/),
    openapi: z.string().regex(/^stand-ins\/[a-z0-9-]+\/openapi\.ya?ml$/, 'must be stand-ins/<name>/openapi.yaml'),
    realSystem: z.string().min(1),
    realSystemUrl: z.string().url().optional(),
  })
  .strict();

const metadataSchema = z
  .object({
    $comment: z.string().optional(),
    subgraphs: z.record(
      z.string(),
      z
        .object({
          owner: z.string().min(1),
          contact: z.string().email('must be a team mailbox such as team-x@amtsgraph.example'),
          summary: z.string().min(1),
          upstreams: z.array(upstreamSchema),
        })
        .strict(),
    ),
  })
  .strict();

export type CatalogueMetadata = z.output<typeof metadataSchema>;

export interface ContractInfo {
  standIn: string;
  openapi: string;
  realSystem: string;
  realSystemUrl: string | null;
  /** `info.title` / `info.version` of the OpenAPI document; null when it cannot be read. */
  title: string | null;
  version: string | null;
  /** The document can be fetched from /ops/api/contracts/<standIn>. */
  available: boolean;
}

export interface CatalogueRestriction {
  authenticated: boolean;
  /** Alternatives (OR) of scope sets (AND), as `@requiresScopes` writes them. */
  scopes: string[][] | null;
  policies: string[][] | null;
  /** Human-readable, e.g. `authenticated AND scopes (melde:read) AND policy (purpose-bound)`. */
  rule: string;
}

export interface CatalogueField {
  name: string;
  type: string;
  description: string | null;
  arguments: { name: string; type: string; description: string | null; defaultValue: string | null }[];
  restriction: CatalogueRestriction | null;
  /** Also resolvable by other subgraphs (entity keys, shareable fields). */
  shared: boolean;
}

export interface CatalogueType {
  name: string;
  kind: 'object' | 'interface' | 'union' | 'enum' | 'input' | 'scalar';
  description: string | null;
  /** `@key` field sets this subgraph declares for the type. */
  keys: string[];
  fields: CatalogueField[];
  /** Enum values, union members. */
  values: { name: string; description: string | null }[];
}

export interface CatalogueSubgraph {
  name: string;
  url: string;
  owner: string | null;
  contact: string | null;
  summary: string | null;
  /** False when subgraphs/catalogue.json has no entry for it. */
  documented: boolean;
  upstreams: ContractInfo[];
  types: CatalogueType[];
}

export interface Catalogue {
  supergraphId: string;
  subgraphs: CatalogueSubgraph[];
  restrictedFields: number;
  /** Set when the access rules could not be read (the catalogue then shows no rules). */
  rulesError: string | null;
}

export interface CatalogueSource {
  metadata: CatalogueMetadata;
  /** Folder the `openapi` paths are relative to (the repository root). */
  root: string;
}

/** Reads and validates the metadata file; errors name the file, the option and the value. */
export function loadCatalogueMetadata(file: string): CatalogueSource {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`catalogue metadata ${file}: ${(error as Error).message}`);
  }
  const parsed = metadataSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `"${i.path.join('.')}": ${i.message}`);
    throw new Error(`catalogue metadata ${file} is invalid:\n- ${problems.join('\n- ')}`);
  }
  return { metadata: parsed.data, root: path.resolve(path.dirname(file), '..') };
}

/** The OpenAPI document of a stand-in named in the metadata (never any other file). */
export function readContract(source: CatalogueSource, standIn: string): string | null {
  for (const entry of Object.values(source.metadata.subgraphs)) {
    const upstream = entry.upstreams.find((u) => u.standIn === standIn);
    if (!upstream) continue;
    const file = path.join(source.root, upstream.openapi);
    return existsSync(file) ? readFileSync(file, 'utf8') : null;
  }
  return null;
}

function contractInfo(source: CatalogueSource, upstream: z.output<typeof upstreamSchema>): ContractInfo {
  const file = path.join(source.root, upstream.openapi);
  let title: string | null = null;
  let version: string | null = null;
  const available = existsSync(file);
  if (available) {
    try {
      const document = parseYaml(readFileSync(file, 'utf8')) as { info?: { title?: unknown; version?: unknown } };
      title = typeof document.info?.title === 'string' ? document.info.title : null;
      version = document.info?.version === undefined ? null : String(document.info.version);
    } catch {
      // An unreadable document still gets its link; title and version stay null.
    }
  }
  return { ...upstream, realSystemUrl: upstream.realSystemUrl ?? null, title, version, available };
}

const argsOf = (directive: ConstDirectiveNode) =>
  Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)])) as Record<string, unknown>;

function ruleText(r: { authenticated: boolean; scopes: readonly (readonly string[])[] | null; policies: readonly (readonly string[])[] | null }): string {
  const dnf = (label: string, alternatives: readonly (readonly string[])[]) =>
    alternatives.length === 0 ? `${label} (never satisfiable)` : `${label} (${alternatives.map((a) => a.join(' + ')).join(' | ')})`;
  const parts: string[] = [];
  if (r.authenticated) parts.push('authenticated');
  if (r.scopes) parts.push(dnf('scopes', r.scopes));
  if (r.policies) parts.push(dnf('policy', r.policies));
  return parts.join(' AND ');
}

export function buildCatalogue(sdl: string, source: CatalogueSource, urls: Readonly<Record<string, string>> = {}): Catalogue {
  const document = parse(sdl);
  const schema = buildASTSchema(document, { assumeValidSDL: true });
  let rules: ReturnType<typeof extractAuthorizationRules> | null = null;
  let rulesError: string | null = null;
  try {
    rules = extractAuthorizationRules(sdl);
  } catch (error) {
    rulesError = (error as Error).message;
  }

  // join__Graph enum value → subgraph name and URL.
  const graphs = new Map<string, { name: string; url: string }>();
  const graphEnum = schema.getType('join__Graph');
  if (isEnumType(graphEnum)) {
    for (const value of graphEnum.getValues()) {
      const directive = value.astNode?.directives?.find((d) => d.name.value === 'join__graph');
      const args = directive ? argsOf(directive) : {};
      graphs.set(value.name, { name: String(args.name ?? value.name.toLowerCase()), url: String(args.url ?? '') });
    }
  }
  const graphName = (value: unknown) => (typeof value === 'string' ? graphs.get(value)?.name : undefined);

  const perSubgraph = new Map<string, CatalogueType[]>([...graphs.values()].map((g) => [g.name, []]));
  const internal = (type: GraphQLNamedType) => type.name.startsWith('__') || type.name.includes('__');
  const directivesOf = (type: GraphQLNamedType) => [...(type.astNode?.directives ?? []), ...type.extensionASTNodes.flatMap((n) => n.directives ?? [])];
  const inaccessible = (directives: readonly ConstDirectiveNode[] | undefined) => (directives ?? []).some((d) => d.name.value === 'inaccessible');
  let restrictedFields = 0;

  for (const type of Object.values(schema.getTypeMap()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (internal(type) || inaccessible(type.astNode?.directives)) continue;
    const joins = directivesOf(type).filter((d) => d.name.value === 'join__type').map(argsOf);
    const typeGraphs = [...new Set(joins.map((j) => graphName(j.graph)).filter((n): n is string => Boolean(n)))];
    if (!typeGraphs.length) continue; // built-in scalars and spec types
    const description = type.description ?? null;
    const kind: CatalogueType['kind'] = isObjectType(type)
      ? 'object'
      : isInterfaceType(type)
        ? 'interface'
        : isUnionType(type)
          ? 'union'
          : isEnumType(type)
            ? 'enum'
            : isInputObjectType(type)
              ? 'input'
              : 'scalar';
    for (const graph of typeGraphs) {
      const keys = joins.filter((j) => graphName(j.graph) === graph && typeof j.key === 'string').map((j) => String(j.key));
      const fields: CatalogueField[] = [];
      const values: CatalogueType['values'] = [];
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        const typeFields: Record<string, GraphQLField<unknown, unknown> | GraphQLInputField> = type.getFields();
        for (const field of Object.values(typeFields)) {
          const fieldDirectives: readonly ConstDirectiveNode[] = field.astNode?.directives ?? [];
          if (inaccessible(fieldDirectives)) continue;
          const fieldJoins = fieldDirectives.filter((d) => d.name.value === 'join__field').map(argsOf);
          // No @join__field: every subgraph declaring the type resolves the field.
          const resolvers: string[] = fieldJoins.length
            ? fieldJoins
                .filter((j) => j.external !== true && j.usedOverridden !== true)
                .map((j) => graphName(j.graph))
                .filter((n): n is string => Boolean(n))
            : typeGraphs;
          if (!resolvers.includes(graph)) continue;
          const requirement = isInputObjectType(type) ? undefined : rules?.fields.get(`${type.name}.${field.name}`);
          if (requirement && graph === resolvers[0]) restrictedFields += 1;
          fields.push({
            name: field.name,
            type: String(field.type),
            description: field.description ?? null,
            arguments:
              'args' in field
                ? field.args.map((a: GraphQLArgument) => ({
                    name: a.name,
                    type: String(a.type),
                    description: a.description ?? null,
                    defaultValue: a.astNode?.defaultValue ? print(a.astNode.defaultValue) : null,
                  }))
                : [],
            restriction: requirement
              ? {
                  authenticated: requirement.authenticated,
                  scopes: requirement.scopes && requirement.scopes.map((a) => [...a]),
                  policies: requirement.policies && requirement.policies.map((a) => [...a]),
                  rule: ruleText(requirement),
                }
              : null,
            shared: new Set(resolvers).size > 1,
          });
        }
        if (!fields.length && kind !== 'input') continue;
      } else if (isEnumType(type)) {
        for (const value of type.getValues()) values.push({ name: value.name, description: value.description ?? null });
      } else if (isUnionType(type)) {
        for (const member of type.getTypes()) values.push({ name: member.name, description: null });
      } else if (!isScalarType(type)) {
        continue;
      }
      perSubgraph.get(graph)?.push({ name: type.name, kind, description, keys, fields, values });
    }
  }

  const subgraphs: CatalogueSubgraph[] = [...graphs.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map(({ name, url }) => {
      const meta = source.metadata.subgraphs[name];
      return {
        name,
        url: urls[name] ?? url,
        owner: meta?.owner ?? null,
        contact: meta?.contact ?? null,
        summary: meta?.summary ?? null,
        documented: Boolean(meta),
        upstreams: (meta?.upstreams ?? []).map((u) => contractInfo(source, u)),
        types: perSubgraph.get(name) ?? [],
      };
    });
  return { supergraphId: supergraphId(sdl), subgraphs, restrictedFields, rulesError };
}
