import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../common/errors';

const root = path.join(__dirname, '..');

describe('documentation stays in step with the code', () => {
  it('README error table lists exactly the error catalogue, with the same meanings', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.split('<!-- error-codes:start -->')[1]!.split('<!-- error-codes:end -->')[0]!;
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (.+) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(Object.entries(ERROR_CODES));
  });

  it.each(['gateway', 'subgraphs', 'stand-ins', 'schema', 'common', 'ops', 'scripts', 'tests'])(
    'top-level folder %s has a README',
    (folder) => {
      expect(readFileSync(path.join(root, folder, 'README.md'), 'utf8').length).toBeGreaterThan(100);
    },
  );

  it.each(['kommunen', 'leistungen', 'abfall', 'ratsinfo', 'warnungen', 'melderegister', 'gewerbe'])('subgraph %s has the standard files', (name) => {
    for (const file of ['schema.graphql', 'resolvers.ts', 'rest-client.ts', 'loaders.ts', 'server.ts', 'index.ts', 'README.md']) {
      expect([file, readFileSync(path.join(root, 'subgraphs', name, file), 'utf8').length > 0]).toEqual([file, true]);
    }
  });
});
