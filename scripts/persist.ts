import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildManifestFromDir, ManifestBuildError } from '../gateway/src/persisted/build';

/**
 * `npm run persist -- <dir> [--out <file>] [--client <name>] [--supergraph <file>]`:
 * builds a persisted-operation manifest from the `.graphql` files under <dir>, validated
 * against the API schema of schema/supergraph.graphql. Default output: <dir>/manifest.json.
 * Exit code 1 with a list of problems when an operation is invalid.
 */
const usage = 'usage: npm run persist -- <dir> [--out <file>] [--client <name>] [--supergraph <file>]\n';
const args = process.argv.slice(2);
let dir: string | undefined;
let out: string | undefined;
let client: string | undefined;
let supergraph = path.join(__dirname, '..', 'schema', 'supergraph.graphql');
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  const value = () => {
    const v = args[++i];
    if (!v) {
      process.stderr.write(`${arg} needs a value\n${usage}`);
      process.exit(2);
    }
    return v;
  };
  if (arg === '--out') out = value();
  else if (arg === '--client') client = value();
  else if (arg === '--supergraph') supergraph = value();
  else if (arg.startsWith('--')) {
    process.stderr.write(`unknown option ${arg}\n${usage}`);
    process.exit(2);
  } else if (dir === undefined) dir = arg;
  else {
    process.stderr.write(`only one directory, received ${dir} and ${arg}\n${usage}`);
    process.exit(2);
  }
}
if (!dir) {
  process.stderr.write(usage);
  process.exit(2);
}
const target = out ?? path.join(dir, 'manifest.json');
try {
  const manifest = buildManifestFromDir(dir, supergraph, client ?? path.basename(path.resolve(dir)));
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${target}: ${manifest.operations.length} operations (${manifest.operations.map((o) => o.name).join(', ')})\n`);
} catch (error) {
  if (error instanceof ManifestBuildError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
