import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../../common/env';

/**
 * Persisted-operation manifests in Apollo's format (`apollo-persisted-query-manifest`,
 * version 1), as written by `npm run persist`. An operation's `id` is the SHA-256 (hex) of
 * its `body`, so a client may send it as `extensions.persistedQuery.sha256Hash` (APQ style)
 * or as `documentId`; the gateway checks that every id matches its body when loading.
 */
export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

export interface PersistedOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
  clientName?: string;
}

export interface PersistedQueryManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  operations: PersistedOperation[];
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const HASH = /^[0-9a-f]{64}$/;

/** Checks a parsed manifest; `source` names the file in messages. Throws ConfigError. */
export function checkManifest(value: unknown, source: string): PersistedQueryManifest {
  const fail = (message: string): never => {
    throw new ConfigError(`persisted-operation manifest ${source}: ${message}`);
  };
  if (!value || typeof value !== 'object') return fail(`expected a JSON object, received ${JSON.stringify(value)?.slice(0, 40)}`);
  const manifest = value as Record<string, unknown>;
  if (manifest.format !== MANIFEST_FORMAT) fail(`"format" must be "${MANIFEST_FORMAT}", received ${JSON.stringify(manifest.format)}`);
  if (manifest.version !== 1) fail(`"version" must be 1, received ${JSON.stringify(manifest.version)}`);
  if (!Array.isArray(manifest.operations)) return fail(`"operations" must be an array, received ${JSON.stringify(manifest.operations)?.slice(0, 40)}`);
  manifest.operations.forEach((op: Record<string, unknown>, i: number) => {
    const where = `operations[${i}]`;
    if (!op || typeof op !== 'object') fail(`${where} must be an object`);
    if (typeof op.id !== 'string' || !HASH.test(op.id)) fail(`${where}.id must be a SHA-256 hash (64 lower-case hex digits), received ${JSON.stringify(op.id)}`);
    if (typeof op.body !== 'string' || !op.body) fail(`${where}.body must be the operation's text`);
    if (typeof op.name !== 'string') fail(`${where}.name must be a string`);
    if (op.type !== 'query' && op.type !== 'mutation' && op.type !== 'subscription') fail(`${where}.type must be query, mutation or subscription, received ${JSON.stringify(op.type)}`);
    if (sha256Hex(op.body as string) !== op.id) fail(`${where} (${String(op.name)}): id is not the SHA-256 of its body — regenerate the manifest with npm run persist`);
  });
  return manifest as unknown as PersistedQueryManifest;
}

export function readManifest(file: string): PersistedQueryManifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`persisted-operation manifest ${file}: cannot be read (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`persisted-operation manifest ${file}: not valid JSON`);
  }
  return checkManifest(json, file);
}

/** id → body over all manifests (ids are content hashes, so duplicates agree). */
export function manifestIndex(manifests: readonly PersistedQueryManifest[]): ReadonlyMap<string, string> {
  const index = new Map<string, string>();
  for (const manifest of manifests) for (const op of manifest.operations) index.set(op.id, op.body);
  return index;
}
