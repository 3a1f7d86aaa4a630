import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildManifestFromDir, ManifestBuildError, operationFiles } from '../gateway/src/persisted/build';
import { DEFAULT_SUPERGRAPH, parseCommand, runMain, type CliIo } from './cli';

/**
 * `npm run persist -- <dir> [--out <file>] [--client <name>] [--supergraph <file>]`:
 * builds a persisted-operation manifest from the `.graphql` files under <dir>, validated
 * against the API schema of schema/supergraph.graphql. Default output: <dir>/manifest.json.
 * Exit codes: 0 written, 1 an operation is invalid (with a list of problems) or the output
 * cannot be written, 2 bad arguments (no such folder, no .graphql files in it, unreadable
 * supergraph).
 */
export const USAGE = `Usage: npm run persist -- <dir> [--out <file>] [--client <name>] [--supergraph <file>]

  <dir>         the folder that holds the frontend's .graphql (or .gql) files, searched recursively
  --out         where to write the manifest (default <dir>/manifest.json)
  --client      the clientName of every operation (default: the folder's name)
  --supergraph  the supergraph to validate against (default schema/supergraph.graphql)
`;

export async function persistCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand('persist', USAGE, argv, { out: { type: 'string' }, client: { type: 'string' }, supergraph: { type: 'string' } }, io, true);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals, fail } = parsed;
  if (positionals.length !== 1) return fail(`expected exactly one folder, received ${positionals.length}${positionals.length ? ` (${positionals.join(', ')})` : ''}`);
  const dir = positionals[0]!;
  const what = "pass the folder that holds the frontend's .graphql files";
  let isFolder: boolean;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // `npm run` starts scripts in the repository root, so a relative path is taken from there.
    const from = path.isAbsolute(dir) ? '' : ` (relative to ${process.cwd()})`;
    if (code === 'ENOENT' || code === 'ENOTDIR') return fail(`no folder ${dir}${from}: ${what}`);
    return fail(`cannot read ${dir}: ${code ?? (error as Error).message}`);
  }
  if (!isFolder) return fail(`${dir} is a file, not a folder: ${what}`);
  if (!operationFiles(dir).length) return fail(`no .graphql or .gql files in ${dir} (searched with its subfolders): ${what}`);
  const supergraph = (values.supergraph as string | undefined) ?? DEFAULT_SUPERGRAPH;
  try {
    statSync(supergraph);
  } catch (error) {
    return fail(`cannot read the supergraph ${supergraph}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }

  const target = (values.out as string | undefined) ?? path.join(dir, 'manifest.json');
  const client = (values.client as string | undefined) ?? path.basename(path.resolve(dir));
  let manifest;
  try {
    manifest = buildManifestFromDir(dir, supergraph, client);
  } catch (error) {
    if (!(error instanceof ManifestBuildError)) throw error;
    io.err(`${error.message}\n`);
    return 1;
  }
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(manifest, null, 2)}\n`);
  io.out(`${target}: ${manifest.operations.length} operations (${manifest.operations.map((o) => o.name).join(', ')})\n`);
  return 0;
}

if (require.main === module) runMain('persist', persistCommand);
