import { Supergraph } from '@apollo/federation-internals';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type GraphQLSchema,
} from 'graphql';
import { defaultSubgraphUrl, SUBGRAPH_NAMES } from '../common/services';
import { withoutGatewayEnforcedPurposes } from '../gateway/src/engine/security-features';
import { composeSdls } from './compose-lib';
import { lintSupergraph, readPersonalDataList, type LintProblem, type PersonalDataList } from './lint';

/**
 * Schema governance (`npm run schema:check`, `npm run schema:release`):
 * 1. compose the subgraph SDLs (compose-lib.ts);
 * 2. lint the supergraph (lint.ts);
 * 3. compare its API schema with the last release (`schema/releases/v<semver>.graphql`) using
 *    `@graphql-inspector/core`. A BREAKING change fails the check, unless the removed or changed
 *    coordinate was `@deprecated` in that release (deprecated for at least one release).
 *    Each change names the persisted operations (client + operation name) that use its
 *    coordinate, from the manifests under `ops/persisted/**\/manifest*.json`
 *    (`apollo-persisted-query-manifest`, version 1).
 */
export const SCHEMA_DIR = __dirname;
export const RELEASES_DIR = path.join(__dirname, 'releases');
export const PERSISTED_DIR = path.join(__dirname, '..', 'ops', 'persisted');

export type ChangeLevel = 'BREAKING' | 'DANGEROUS' | 'NON_BREAKING';

export interface Consumer {
  clientName: string;
  operationName: string;
  id: string;
}

export interface SchemaChange {
  level: ChangeLevel;
  type: string;
  message: string;
  /** Schema coordinate, e.g. `Municipality.areaKm2` or `Query.municipality.ags`. */
  path: string | null;
  /** A breaking change of a coordinate deprecated in the last release: allowed. */
  afterDeprecation: boolean;
  consumers: Consumer[];
}

export interface CheckResult {
  ok: boolean;
  compositionErrors: string[];
  lint: LintProblem[];
  /** The release compared against; null before the first release. */
  baseline: { version: string; file: string } | null;
  changes: SchemaChange[];
  /** Breaking changes that fail the check. */
  blocking: SchemaChange[];
  supergraphSdl: string | null;
  manifests: string[];
}

export interface CheckOptions {
  /** Folder with `<subgraph>/schema.graphql` (default: subgraphs/). */
  subgraphsDir?: string;
  releasesDir?: string;
  /** Manifest files; default: every `manifest*.json` under ops/persisted/. */
  manifests?: string[];
  personalData?: PersonalDataList;
}

export interface PersistedOperation {
  id: string;
  name: string;
  type: string;
  body: string;
  clientName?: string;
}

/** The API schema (what clients see) of a supergraph, as the gateway builds it. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(withoutGatewayEnforcedPurposes(supergraphSdl)).apiSchema().toGraphQLJSSchema();
}

function semverKey(version: string): number[] {
  return version.split('.').map((n) => Number(n));
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [semverKey(a), semverKey(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export const VERSION_PATTERN = /^\d+\.\d+\.\d+$/;

/** Released versions in `dir`, oldest first. */
export function listReleases(dir = RELEASES_DIR): { version: string; file: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => /^v(\d+\.\d+\.\d+)\.graphql$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: m[1]!, file: path.join(dir, m[0]) }))
    .sort((a, b) => compareVersions(a.version, b.version));
}

export function findManifests(dir = PERSISTED_DIR): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/^manifest.*\.json$/.test(name)) found.push(full);
    }
  };
  walk(dir);
  return found;
}

export function readManifest(file: string): PersistedOperation[] {
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { format?: string; version?: number; operations?: PersistedOperation[] };
  if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new Error(`${file}: expected { format: "apollo-persisted-query-manifest", version: 1, operations: [...] }`);
  }
  return manifest.operations;
}

/** Schema coordinates an operation uses: `Type`, `Type.field`, `Type.field.arg` (against `schema`). */
export function coordinatesOf(body: string, schema: GraphQLSchema): Set<string> {
  const used = new Set<string>();
  let document;
  try {
    document = parse(body);
  } catch {
    return used;
  }
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || node.name.value.startsWith('__')) return;
        used.add(parent.name);
        used.add(`${parent.name}.${node.name.value}`);
        const type = typeInfo.getType();
        if (type) used.add(getNamedType(type).name);
        for (const arg of node.arguments ?? []) used.add(`${parent.name}.${node.name.value}.${arg.name.value}`);
      },
    }),
  );
  return used;
}

/** Was the coordinate (`Type.field`, `Type.field.arg`, `Enum.VALUE`) deprecated in `schema`? */
export function wasDeprecated(schema: GraphQLSchema, coordinate: string): boolean {
  const [typeName, member, argName] = coordinate.split('.');
  const type = schema.getType(typeName ?? '');
  if (!type || member === undefined) return false;
  if (isEnumType(type)) return Boolean(type.getValue(member)?.deprecationReason);
  if (isObjectType(type) || isInterfaceType(type)) {
    const field = type.getFields()[member];
    if (!field) return false;
    if (argName === undefined) return Boolean(field.deprecationReason);
    return Boolean(field.args.find((a) => a.name === argName)?.deprecationReason);
  }
  if (isInputObjectType(type)) return Boolean(type.getFields()[member]?.deprecationReason);
  return false;
}

/** The diff between two supergraphs' API schemas, with deprecation allowance and consumers. */
export async function compareSupergraphs(
  oldSupergraphSdl: string,
  newSupergraphSdl: string,
  operations: PersistedOperation[] = [],
): Promise<SchemaChange[]> {
  const oldSchema = apiSchemaOf(oldSupergraphSdl);
  const newSchema = apiSchemaOf(newSupergraphSdl);
  const changes: Change[] = await diff(oldSchema, newSchema);
  const usage = operations.map((op) => ({ op, used: coordinatesOf(op.body, oldSchema) }));
  return changes.map((change) => {
    const level = change.criticality.level as ChangeLevel;
    const coordinate = change.path ?? null;
    const consumers = coordinate
      ? usage
          .filter(({ used }) => used.has(coordinate))
          .map(({ op }) => ({ clientName: op.clientName ?? '(unknown client)', operationName: op.name, id: op.id }))
      : [];
    return {
      level,
      type: String(change.type),
      message: change.message,
      path: coordinate,
      afterDeprecation: level === CriticalityLevel.Breaking && coordinate !== null && wasDeprecated(oldSchema, coordinate),
      consumers,
    };
  });
}

export function composeFrom(subgraphsDir?: string): ReturnType<typeof composeSdls> {
  const dir = subgraphsDir ?? path.join(__dirname, '..', 'subgraphs');
  return composeSdls(
    SUBGRAPH_NAMES.map((name) => ({ name, url: defaultSubgraphUrl(name), sdl: readFileSync(path.join(dir, name, 'schema.graphql'), 'utf8') })),
  );
}

export async function runCheck(options: CheckOptions = {}): Promise<CheckResult> {
  const manifests = options.manifests ?? findManifests();
  const result: CheckResult = {
    ok: false,
    compositionErrors: [],
    lint: [],
    baseline: null,
    changes: [],
    blocking: [],
    supergraphSdl: null,
    manifests,
  };
  const composed = composeFrom(options.subgraphsDir);
  if (!composed.ok) {
    result.compositionErrors = composed.errors;
    return result;
  }
  result.supergraphSdl = composed.supergraphSdl;
  result.lint = lintSupergraph(composed.supergraphSdl, options.personalData ?? readPersonalDataList());
  const releases = listReleases(options.releasesDir);
  const last = releases[releases.length - 1];
  if (last) {
    result.baseline = last;
    const operations = manifests.flatMap((file) => readManifest(file));
    result.changes = await compareSupergraphs(readFileSync(last.file, 'utf8'), composed.supergraphSdl, operations);
    result.blocking = result.changes.filter((c) => c.level === 'BREAKING' && !c.afterDeprecation);
  }
  result.ok = result.lint.length === 0 && result.blocking.length === 0;
  return result;
}

const LEVEL_TITLE: Record<ChangeLevel, string> = { BREAKING: 'Breaking', DANGEROUS: 'Dangerous', NON_BREAKING: 'Safe' };

function consumerText(change: SchemaChange): string {
  if (change.consumers.length === 0) return 'no known consumer';
  return `used by ${change.consumers.map((c) => `${c.clientName} › ${c.operationName}`).join(', ')}`;
}

/** The human-readable report of `npm run schema:check`. */
export function formatReport(result: CheckResult): string {
  const lines: string[] = [];
  if (result.compositionErrors.length > 0) {
    lines.push(`✗ composition failed (${result.compositionErrors.length} error(s)):`);
    for (const e of result.compositionErrors) lines.push(`  - ${e}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push('✓ composition');
  if (result.lint.length === 0) lines.push('✓ lint (descriptions, naming, authorization of personal data)');
  else {
    lines.push(`✗ lint: ${result.lint.length} problem(s)`);
    for (const p of result.lint) lines.push(`  - [${p.rule}] ${p.message}`);
  }
  if (!result.baseline) lines.push('• no release yet under schema/releases/: nothing to compare against');
  else {
    const count = (level: ChangeLevel) => result.changes.filter((c) => c.level === level).length;
    const summary = `${count('BREAKING')} breaking, ${count('DANGEROUS')} dangerous, ${count('NON_BREAKING')} safe`;
    lines.push(`${result.blocking.length ? '✗' : '✓'} compared with release v${result.baseline.version}: ${summary}`);
    for (const change of result.blocking) {
      lines.push(`  ✗ BREAKING ${change.path ?? ''}: ${change.message}`);
      lines.push(`      ${consumerText(change)}`);
    }
    for (const change of result.changes.filter((c) => c.afterDeprecation)) {
      lines.push(`  ✓ BREAKING after deprecation (allowed) ${change.path ?? ''}: ${change.message}`);
      lines.push(`      ${consumerText(change)}`);
    }
    for (const change of result.changes.filter((c) => c.level === 'DANGEROUS')) {
      lines.push(`  ! DANGEROUS ${change.path ?? ''}: ${change.message} (${consumerText(change)})`);
    }
    if (result.blocking.length) {
      lines.push(
        '  A breaking change needs a deprecation first: mark the coordinate @deprecated(reason: "…"), release that (npm run schema:release), and remove it in a later release.',
      );
    }
  }
  lines.push(result.ok ? 'schema check passed' : 'schema check FAILED');
  return `${lines.join('\n')}\n`;
}

/** A CHANGELOG.md section for a release, grouped breaking / dangerous / safe. */
export function changelogSection(version: string, date: string, changes: SchemaChange[] | null): string {
  const lines = [`## v${version} (${date})`, ''];
  if (changes === null) {
    lines.push('Initial release.', '');
    return lines.join('\n');
  }
  if (changes.length === 0) lines.push('No changes to the API schema.', '');
  for (const level of ['BREAKING', 'DANGEROUS', 'NON_BREAKING'] as const) {
    const group = changes.filter((c) => c.level === level);
    if (group.length === 0) continue;
    lines.push(`### ${LEVEL_TITLE[level]}`, '');
    for (const c of group) {
      const note = c.afterDeprecation ? ' (deprecated in the previous release)' : '';
      lines.push(`- ${c.path ? `\`${c.path}\`: ` : ''}${c.message}${note}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
