import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '../common/services';
import { formatReport, listReleases, runCheck } from './check-lib';
import { lintSupergraph, readPersonalDataList } from './lint';
import { release } from './release';

/**
 * Schema governance on COPIES of the subgraph SDLs in a temp dir (the real SDLs are never
 * touched): a breaking change fails with the consumers named; the same change after a
 * deprecation release passes.
 */
const REPO = path.join(__dirname, '..');
const MANIFEST = path.join(__dirname, 'fixtures', 'manifest.json');
let work: string;

function sdlPath(name: string) {
  return path.join(work, 'subgraphs', name, 'schema.graphql');
}
function edit(name: string, from: string | RegExp, to: string) {
  const before = readFileSync(sdlPath(name), 'utf8');
  const after = before.replace(from, to);
  if (after === before) throw new Error(`fixture edit did not apply in ${name}: ${String(from)}`);
  writeFileSync(sdlPath(name), after);
}

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'amtsgraph-schema-'));
  for (const name of SUBGRAPH_NAMES) cpSync(path.join(REPO, 'subgraphs', name, 'schema.graphql'), sdlPath(name), { recursive: true });
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const options = () => ({ subgraphsDir: path.join(work, 'subgraphs'), releasesDir: path.join(work, 'releases'), manifests: [MANIFEST] });

describe('lint', () => {
  const supergraph = readFileSync(path.join(REPO, 'schema', 'releases', 'v1.0.0.graphql'), 'utf8');

  it('the released supergraph has no personal-data or naming problems', () => {
    expect(lintSupergraph(supergraph).filter((p) => p.rule !== 'description')).toEqual([]);
  });

  it('removing @requiresScopes from Person.birthDate fails the personal-data rule', () => {
    const stripped = supergraph.replace(/(birthDate: String @join__field\(graph: MELDEREGISTER\)) @requiresScopes\(scopes: \[\["melde:read"\]\]\)/, '$1');
    expect(stripped).not.toBe(supergraph);
    expect(lintSupergraph(stripped).filter((p) => p.rule === 'personal-data-authorized')).toEqual([
      {
        rule: 'personal-data-authorized',
        coordinate: 'Person.birthDate',
        message: 'field Person.birthDate holds personal data (schema/personal-data.json) but has no @requiresScopes',
      },
    ]);
  });

  it('naming and descriptions', () => {
    const bad = supergraph.replace('  MAIN_RESIDENCE', '  MainResidence');
    expect(lintSupergraph(bad, readPersonalDataList()).filter((p) => p.rule !== 'description')).toEqual([
      { rule: 'enum-value-name', coordinate: 'RegistrationStatus.MainResidence', message: 'enum value RegistrationStatus.MainResidence is not UPPER_SNAKE_CASE' },
    ]);
  });
});

describe('breaking changes against the last release', () => {
  it('removing Municipality.areaKm2 without deprecation fails and names the consuming operations', async () => {
    expect((await release('1.0.0', { ...options(), date: '2026-03-01' })).ok).toBe(true);
    edit('kommunen', /\n[^\n]*\n\s*areaKm2: Float[^\n]*/, '');
    const result = await runCheck(options());
    expect(result.ok).toBe(false);
    expect(result.lint).toEqual([]);
    expect(result.blocking.map((c) => [c.level, c.type, c.path, c.consumers])).toEqual([
      ['BREAKING', 'FIELD_REMOVED', 'Municipality.areaKm2', [{ clientName: 'citizen-portal', operationName: 'MunicipalityFacts', id: 'fixture-1' }]],
    ]);
    const report = formatReport(result);
    expect(report).toContain('✗ compared with release v1.0.0: 1 breaking, 0 dangerous, 0 safe');
    expect(report).toContain("  ✗ BREAKING Municipality.areaKm2: Field 'areaKm2' was removed from object type 'Municipality'");
    expect(report).toContain('      used by citizen-portal › MunicipalityFacts');
    expect(report.trim().split('\n').at(-1)).toBe('schema check FAILED');
    // no release is written for a failing check
    expect((await release('1.1.0', options())).ok).toBe(false);
    expect(listReleases(options().releasesDir).map((r) => r.version)).toEqual(['1.0.0']);
  });

  it('the same removal after a release that deprecated the field passes; the changelog groups the changes', async () => {
    expect((await release('1.0.0', { ...options(), date: '2026-03-01' })).ok).toBe(true);
    edit('kommunen', /areaKm2: Float!/, 'areaKm2: Float! @deprecated(reason: "Use landArea.")');
    expect((await release('1.1.0', { ...options(), date: '2026-03-02' })).ok).toBe(true);
    edit('kommunen', /\n[^\n]*\n\s*areaKm2: Float[^\n]*/, '');
    const result = await runCheck(options());
    expect(result.blocking).toEqual([]);
    expect(result.changes.map((c) => [c.level, c.path, c.afterDeprecation, c.consumers.map((x) => x.operationName)])).toEqual([
      ['BREAKING', 'Municipality.areaKm2', true, ['MunicipalityFacts']],
    ]);
    expect(result.ok).toBe(true);
    expect(formatReport(result)).toContain('  ✓ BREAKING after deprecation (allowed) Municipality.areaKm2');
    expect((await release('2.0.0', { ...options(), date: '2026-03-03' })).ok).toBe(true);
    const changelog = readFileSync(path.join(options().releasesDir, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain(
      "## v2.0.0 (2026-03-03)\n\n### Breaking\n\n- `Municipality.areaKm2`: Field 'areaKm2' (deprecated) was removed from object type 'Municipality' (deprecated in the previous release)\n",
    );
    expect(changelog).toContain("## v1.1.0 (2026-03-02)\n");
    expect(changelog).toContain("- `Municipality.areaKm2.@deprecated`: Field 'Municipality.areaKm2' is deprecated\n");
    expect(changelog.indexOf('## v2.0.0')).toBeLessThan(changelog.indexOf('## v1.1.0'));
    expect(changelog).toContain('## v1.0.0 (2026-03-01)\n\nInitial release.\n');
  });

  it('CLI: exit code 1 and --json on a breaking change', async () => {
    expect((await release('1.0.0', options())).ok).toBe(true);
    edit('kommunen', /\n[^\n]*\n\s*areaKm2: Float[^\n]*/, '');
    const args = ['tsx', 'schema/check.ts', '--json', '--subgraphs', options().subgraphsDir, '--releases', options().releasesDir, '--manifest', MANIFEST];
    let status = 0;
    let stdout = '';
    try {
      execFileSync('npx', args, { cwd: REPO, encoding: 'utf8' });
    } catch (error) {
      status = (error as { status: number }).status;
      stdout = (error as { stdout: string }).stdout;
    }
    expect(status).toBe(1);
    const json = JSON.parse(stdout) as { ok: boolean; blocking: { path: string; consumers: { clientName: string }[] }[] };
    expect(json.ok).toBe(false);
    expect(json.blocking.map((c) => [c.path, c.consumers.map((x) => x.clientName)])).toEqual([['Municipality.areaKm2', ['citizen-portal']]]);
  }, 30_000);
});
