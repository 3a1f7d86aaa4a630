import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { STAND_INS, SUBGRAPHS, SUBGRAPH_NAMES } from '../common/services';
import { extractAuthorizationRules } from '../gateway/src/authz/rules';
import { buildCatalogue, loadCatalogueMetadata, readContract, type CatalogueField } from '../gateway/src/ops/catalogue';
import { REPO_ROOT } from './testkit';

/**
 * The API catalogue on /ops: subgraphs/catalogue.json documents every subgraph (owner,
 * contact, upstream contracts that exist), and the catalogue built from the supergraph shows
 * each subgraph's types and fields with their descriptions and the access rules
 * authorization enforces.
 */
const SDL = readFileSync(path.join(REPO_ROOT, 'schema', 'supergraph.graphql'), 'utf8');
const METADATA_FILE = path.join(REPO_ROOT, 'subgraphs', 'catalogue.json');
const source = loadCatalogueMetadata(METADATA_FILE);
const catalogue = buildCatalogue(SDL, source);
const subgraph = (name: string) => catalogue.subgraphs.find((s) => s.name === name)!;
const field = (sg: string, type: string, name: string): CatalogueField =>
  subgraph(sg).types.find((t) => t.name === type)!.fields.find((f) => f.name === name)!;

describe('catalogue metadata (subgraphs/catalogue.json)', () => {
  it('documents exactly the subgraphs of common/services.ts and of the supergraph', () => {
    expect(Object.keys(source.metadata.subgraphs).sort()).toEqual([...SUBGRAPH_NAMES].sort());
    expect(catalogue.subgraphs.map((s) => s.name)).toEqual([...SUBGRAPH_NAMES].sort());
    expect(catalogue.subgraphs.filter((s) => !s.documented)).toEqual([]);
  });

  it.each(SUBGRAPH_NAMES)('%s: owner, team contact, and the contracts of exactly the upstreams it calls', (name) => {
    const entry = source.metadata.subgraphs[name]!;
    expect(entry.owner.length).toBeGreaterThan(10);
    expect(entry.contact).toMatch(/^team-[a-z]+@amtsgraph\.example$/);
    expect(entry.upstreams.map((u) => u.standIn)).toEqual([...SUBGRAPHS[name].upstreams]);
    for (const upstream of entry.upstreams) {
      expect(upstream.standIn in STAND_INS).toBe(true);
      expect(upstream.openapi).toBe(`stand-ins/${upstream.standIn}/openapi.yaml`);
      expect(existsSync(path.join(REPO_ROOT, upstream.openapi))).toBe(true);
    }
    const shown = subgraph(name).upstreams;
    expect(shown.map((u) => [u.available, typeof u.title, typeof u.version])).toEqual(shown.map(() => [true, 'string', 'string']));
  });

  it('invalid metadata is refused with the file, the option and what is expected', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'amtsgraph-catalogue-')), 'catalogue.json');
    writeFileSync(file, JSON.stringify({ subgraphs: { kommunen: { owner: 'x', contact: 'Max Mustermann', summary: 's', upstreams: [] } } }));
    expect(() => loadCatalogueMetadata(file)).toThrow(
      `catalogue metadata ${file} is invalid:\n- "subgraphs.kommunen.contact": must be a team mailbox such as team-x@amtsgraph.example`,
    );
  });
});

describe('catalogue built from the supergraph', () => {
  it('lists the types and fields each subgraph contributes, with keys and SDL descriptions', () => {
    const kommunen = subgraph('kommunen');
    const municipality = kommunen.types.find((t) => t.name === 'Municipality')!;
    expect(municipality.keys).toEqual(['ags']);
    expect(municipality.fields.find((f) => f.name === 'population')).toMatchObject({ type: 'Int!', restriction: null, shared: false });
    expect(municipality.fields.find((f) => f.name === 'ags')!.shared).toBe(true);
    expect(field('leistungen', 'Municipality', 'taxOffice').type).toBe('TaxOffice');
    expect(subgraph('warnungen').types.find((t) => t.name === 'Municipality')!.fields.map((f) => f.name)).toEqual(['ags', 'warnings']);
    expect(subgraph('warnungen').types.find((t) => t.name === 'WarningSeverity')!.values.map((v) => v.name)).toEqual([
      'MINOR',
      'MODERATE',
      'SEVERE',
      'EXTREME',
      'UNKNOWN',
    ]);
    const args = field('abfall', 'Municipality', 'wasteCalendar').arguments.map((a) => [a.name, a.type]);
    expect(args.slice(0, 2)).toEqual([
      ['street', 'String!'],
      ['houseNumber', 'String'],
    ]);
    // Every type (root types aside) and field carries its SDL description (composition requires one).
    for (const sg of catalogue.subgraphs) {
      for (const type of sg.types) {
        if (type.name !== 'Query') expect([sg.name, type.name, typeof type.description]).toEqual([sg.name, type.name, 'string']);
        for (const f of type.fields) expect([sg.name, `${type.name}.${f.name}`, typeof f.description]).toEqual([sg.name, `${type.name}.${f.name}`, 'string']);
      }
    }
  });

  it('shows which fields are restricted and by what rule, as authorization enforces them', () => {
    expect(field('melderegister', 'Person', 'id').restriction).toEqual({ authenticated: true, scopes: null, policies: null, rule: 'authenticated' });
    expect(field('melderegister', 'Person', 'familyName').restriction).toMatchObject({ scopes: [['melde:read']], rule: expect.stringContaining('scopes (melde:read)') });
    expect(field('melderegister', 'Person', 'birthDate').restriction!.rule).toContain('policy (purpose-bound)');
    expect(field('gewerbe', 'Business', 'owner').restriction!.rule).toContain('scopes (gewerbe:read)');
    expect(field('gewerbe', 'Business', 'name').restriction).toBeNull();
    const rules = extractAuthorizationRules(SDL);
    expect(catalogue.restrictedFields).toBe(rules.fields.size);
    expect(catalogue.rulesError).toBeNull();
    const shownRestricted = catalogue.subgraphs.flatMap((s) => s.types.flatMap((t) => t.fields.filter((f) => f.restriction).map((f) => `${t.name}.${f.name}`)));
    expect([...new Set(shownRestricted)].sort()).toEqual([...rules.fields.keys()].sort());
  });

  it('serves the contract of a listed stand-in and nothing else', () => {
    expect(readContract(source, 'register')).toBe(readFileSync(path.join(REPO_ROOT, 'stand-ins', 'register', 'openapi.yaml'), 'utf8'));
    expect(readContract(source, 'unknown')).toBeNull();
    expect(readContract(source, '../package.json')).toBeNull();
  });
});
