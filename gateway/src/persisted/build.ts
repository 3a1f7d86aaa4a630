import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import {
  GraphQLError,
  Kind,
  parse,
  print,
  validate,
  visit,
  type DefinitionNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { withoutGatewayEnforcedPurposes } from '../engine/security-features';
import { MANIFEST_FORMAT, sha256Hex, type PersistedOperation, type PersistedQueryManifest } from './manifest';

/**
 * Builds a persisted-operation manifest from a frontend's `.graphql` files (`npm run persist`):
 * every named operation becomes one entry whose body is the printed operation plus the
 * fragments it uses (sorted by name), so the id (SHA-256 of the body) does not depend on
 * formatting or on which file a fragment lives in. Every operation is validated against the
 * API schema the gateway serves; any problem fails the whole build with a readable list.
 */
export class ManifestBuildError extends Error {
  constructor(readonly problems: string[]) {
    super(`The operations are not valid:\n- ${problems.join('\n- ')}`);
    this.name = 'ManifestBuildError';
  }
}

/** The client-facing schema of a supergraph file: what the gateway serves (no federation internals). */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(withoutGatewayEnforcedPurposes(supergraphSdl)).apiSchema().toGraphQLJSSchema();
}

/** `.graphql`/`.gql` files under `dir`, recursively, in a stable order. */
export function operationFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      const full = path.join(d, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(graphql|gql)$/.test(entry)) files.push(full);
    }
  };
  walk(dir);
  return files;
}

export function buildManifest(sources: { file: string; text: string }[], schema: GraphQLSchema, clientName?: string): PersistedQueryManifest {
  const problems: string[] = [];
  const operations: { node: OperationDefinitionNode; file: string }[] = [];
  const fragments = new Map<string, { node: FragmentDefinitionNode; file: string }>();
  for (const { file, text } of sources) {
    let definitions: readonly DefinitionNode[];
    try {
      definitions = parse(text).definitions;
    } catch (error) {
      const e = error as GraphQLError;
      const at = e.locations?.[0];
      problems.push(`${file}${at ? `:${at.line}:${at.column}` : ''}: ${e.message}`);
      continue;
    }
    for (const def of definitions) {
      if (def.kind === Kind.OPERATION_DEFINITION) {
        if (!def.name) problems.push(`${file}:${def.loc?.startToken.line ?? 1}:${def.loc?.startToken.column ?? 1}: every persisted operation needs a name (anonymous ${def.operation})`);
        else operations.push({ node: def, file });
      } else if (def.kind === Kind.FRAGMENT_DEFINITION) {
        const seen = fragments.get(def.name.value);
        if (seen) problems.push(`${file}: fragment ${def.name.value} is also defined in ${seen.file}`);
        else fragments.set(def.name.value, { node: def, file });
      } else {
        problems.push(`${file}: only operations and fragments belong in operation files, found ${def.kind}`);
      }
    }
  }
  const names = new Map<string, string>();
  for (const { node, file } of operations) {
    const name = node.name!.value;
    if (names.has(name)) problems.push(`${file}: operation ${name} is also defined in ${names.get(name)}`);
    names.set(name, file);
  }
  if (!operations.length && !problems.length) problems.push('no named operations found');

  const used = (root: OperationDefinitionNode | FragmentDefinitionNode, into: Set<string>, file: string) => {
    visit(root, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        if (into.has(name)) return;
        const fragment = fragments.get(name);
        if (!fragment) {
          problems.push(`${file}: unknown fragment ...${name}`);
          return;
        }
        into.add(name);
        used(fragment.node, into, fragment.file);
      },
    });
  };

  const result: PersistedOperation[] = [];
  for (const { node, file } of operations) {
    const needed = new Set<string>();
    used(node, needed, file);
    const document = { kind: Kind.DOCUMENT, definitions: [node, ...[...needed].sort().map((n) => fragments.get(n)!.node)] } as const;
    const errors = validate(schema, document);
    for (const error of errors) {
      const at = error.locations?.[0];
      problems.push(`${file}${at ? `:${at.line}:${at.column}` : ''} (${node.name!.value}): ${error.message}`);
    }
    const body = print(document);
    result.push({ id: sha256Hex(body), name: node.name!.value, type: node.operation, body, ...(clientName ? { clientName } : {}) });
  }
  if (problems.length) throw new ManifestBuildError(problems);
  result.sort((a, b) => a.name.localeCompare(b.name));
  return { format: MANIFEST_FORMAT, version: 1, operations: result };
}

export function buildManifestFromDir(dir: string, supergraphPath: string, clientName?: string): PersistedQueryManifest {
  const files = operationFiles(dir);
  if (!files.length) throw new ManifestBuildError([`${dir}: no .graphql files`]);
  const schema = apiSchemaOf(readFileSync(supergraphPath, 'utf8'));
  return buildManifest(
    files.map((file) => ({ file: path.relative(process.cwd(), file), text: readFileSync(file, 'utf8') })),
    schema,
    clientName,
  );
}
