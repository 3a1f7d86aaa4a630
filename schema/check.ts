import { formatReport, runCheck } from './check-lib';

/**
 * `npm run schema:check [-- --json]`: composes the subgraph SDLs, lints the supergraph and
 * compares it with the last release under schema/releases/ (check-lib.ts). Exit code 1 when
 * composition fails, the lint finds problems or a breaking change was not deprecated first.
 * Options: --json (machine-readable result), --releases <dir>, --subgraphs <dir>,
 * --manifest <file> (repeatable; default: ops/persisted/**\/manifest*.json).
 */
function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const manifests = process.argv.flatMap((arg, i) => (arg === '--manifest' && process.argv[i + 1] ? [process.argv[i + 1]!] : []));

runCheck({
  releasesDir: option('--releases'),
  subgraphsDir: option('--subgraphs'),
  manifests: manifests.length ? manifests : undefined,
})
  .then((result) => {
    if (process.argv.includes('--json')) {
      const { supergraphSdl: _sdl, ...rest } = result;
      process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
    } else process.stdout.write(formatReport(result));
    process.exitCode = result.ok ? 0 : 1;
  })
  .catch((error: unknown) => {
    process.stderr.write(`schema check could not run: ${(error as Error).message}\n`);
    process.exitCode = 2;
  });
