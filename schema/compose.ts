import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeSupergraph, SUPERGRAPH_PATH } from './compose-lib';

/**
 * `npm run compose`: writes schema/supergraph.graphql from the subgraph SDLs.
 * `npm run compose -- --check`: fails when the committed file is stale.
 */
const check = process.argv.includes('--check');
const result = composeSupergraph();
if (!result.ok) {
  process.stderr.write(`Composition failed with ${result.errors.length} error(s):\n`);
  for (const error of result.errors) process.stderr.write(`- ${error}\n`);
  process.stderr.write('Fix the subgraph SDLs named above (subgraphs/<name>/schema.graphql) and run `npm run compose` again.\n');
  process.exit(1);
}
const relative = path.relative(process.cwd(), SUPERGRAPH_PATH);
if (check) {
  let committed = '';
  try {
    committed = readFileSync(SUPERGRAPH_PATH, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (committed !== result.supergraphSdl) {
    process.stderr.write(`${relative} is stale: run \`npm run compose\` and commit it.\n`);
    process.exit(1);
  }
  process.stdout.write(`${relative} is up to date.\n`);
} else {
  writeFileSync(SUPERGRAPH_PATH, result.supergraphSdl);
  process.stdout.write(`Composed ${relative} (${result.supergraphSdl.length} bytes).\n`);
}
