import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { amtsError } from '../../common/errors';
import { offsetCursor, offsetFromCursor } from '../lib/paging';
import { assertAgs, assertFirst, searchTerm } from '../lib/validate';
import type { KommunenLoaders } from './loaders';
import type { Gemeinde, Kreis, Land } from './rest-client';
import type { RegisterClient } from './rest-client';
import type { RequestOptions } from '../lib/rest';

export interface KommunenContext {
  loaders: KommunenLoaders;
  client: RegisterClient;
  upstreamRequest: RequestOptions;
}

/** Municipality as resolved here: the register's fields under the schema's names. */
interface MunicipalityModel {
  ags: string;
  ars: string;
  name: string;
  kind: string;
  population: number;
  areaKm2: number;
  populationDensity: number;
  postcode: string | null;
  location: { latitude: number; longitude: number } | null;
  urbanization: string | null;
  stateCode: string;
  districtKey: string;
  governmentRegionCode: string | null;
}

export function toMunicipality(g: Gemeinde): MunicipalityModel {
  return {
    ags: g.ags,
    ars: g.ars,
    name: g.name,
    kind: g.gemeindeTyp,
    population: g.bevoelkerung,
    areaKm2: g.flaecheKm2,
    populationDensity: g.bevoelkerungProKm2,
    postcode: g.plz,
    location: g.breitengrad !== null && g.laengengrad !== null ? { latitude: g.breitengrad, longitude: g.laengengrad } : null,
    urbanization: g.verstaedterung,
    stateCode: g.landSchluessel,
    districtKey: g.kreisSchluessel,
    governmentRegionCode: g.regierungsbezirkSchluessel,
  };
}

const toDistrict = (k: Kreis) => ({
  key: k.kreisSchluessel,
  ars: k.ars,
  name: k.name,
  kind: k.kreisTyp,
  seat: k.sitz,
  population: k.bevoelkerung,
  areaKm2: k.flaecheKm2,
  municipalityCount: k.anzahlGemeinden,
  stateCode: k.landSchluessel,
});

const toState = (l: Land) => ({
  code: l.landSchluessel,
  abbreviation: l.kuerzel,
  name: l.name,
  seat: l.sitz,
  population: l.bevoelkerung,
  municipalityCount: l.anzahlGemeinden,
});

const MAX_PAGE = 100;

function assertKey(value: string | null | undefined, digits: number, argumentName: string, example: string) {
  if (value === null || value === undefined) return null;
  if (!new RegExp(`^\\d{${digits}}$`).test(value)) {
    throw amtsError('BAD_USER_INPUT', `${argumentName} must be a ${digits}-digit key such as "${example}", received "${value.slice(0, 40)}"`, {
      argumentName,
    });
  }
  return value;
}

async function loadMunicipality(ctx: KommunenContext, ags: string) {
  const gemeinde = await ctx.loaders.gemeinde.load(ags);
  return gemeinde ? toMunicipality(gemeinde) : null;
}

export const resolvers: GraphQLResolverMap<KommunenContext> = {
  Query: {
    municipality: (_: unknown, args: { ags: string }, ctx: KommunenContext) => loadMunicipality(ctx, assertAgs(args.ags)),
    municipalities: async (
      _: unknown,
      args: { state?: string | null; district?: string | null; nameContains?: string | null; first: number; after?: string | null },
      ctx: KommunenContext,
    ) => {
      const state = assertKey(args.state, 2, 'state', '05');
      const district = assertKey(args.district, 5, 'district', '05334');
      const first = assertFirst(args.first, MAX_PAGE);
      const offset = offsetFromCursor(args.after);
      const page = await ctx.client.searchGemeinden(
        { land: state, kreis: district, name: searchTerm(args.nameContains, 'nameContains'), offset, limit: Math.max(first, 1) },
        ctx.upstreamRequest,
      );
      const items = page.items.slice(0, first);
      // Prime the loader so entity look-ups later in this request cost no upstream call.
      for (const g of items) ctx.loaders.gemeinde.prime(g.ags, g);
      const end = offset + items.length;
      return {
        nodes: items.map(toMunicipality),
        totalCount: page.total,
        // With first: 0 the cursor still points where the next page starts, so a client can go on.
        pageInfo: { hasNextPage: end < page.total, endCursor: offsetCursor(end) },
      };
    },
    state: async (_: unknown, args: { code: string }, ctx: KommunenContext) => {
      const land = await ctx.loaders.land.load(assertKey(args.code, 2, 'code', '05')!);
      return land ? toState(land) : null;
    },
    states: async (_: unknown, __: unknown, ctx: KommunenContext) =>
      (await ctx.client.laender(ctx.upstreamRequest)).map(toState),
    district: async (_: unknown, args: { key: string }, ctx: KommunenContext) => {
      const kreis = await ctx.loaders.kreis.load(assertKey(args.key, 5, 'key', '05334')!);
      return kreis ? toDistrict(kreis) : null;
    },
  },
  Municipality: {
    __resolveReference: (ref: { ags: string }, ctx: KommunenContext) => loadMunicipality(ctx, ref.ags),
    state: async (m: MunicipalityModel, _: unknown, ctx: KommunenContext) => {
      const land = await ctx.loaders.land.load(m.stateCode);
      return land ? toState(land) : null;
    },
    district: async (m: MunicipalityModel, _: unknown, ctx: KommunenContext) => {
      const kreis = await ctx.loaders.kreis.load(m.districtKey);
      return kreis ? toDistrict(kreis) : null;
    },
    governmentRegion: async (m: MunicipalityModel, _: unknown, ctx: KommunenContext) => {
      if (!m.governmentRegionCode) return null;
      const rb = await ctx.loaders.regierungsbezirk.load(m.governmentRegionCode);
      return rb ? { code: rb.regierungsbezirkSchluessel, name: rb.name } : null;
    },
  },
  District: {
    __resolveReference: async (ref: { key: string }, ctx: KommunenContext) => {
      const kreis = await ctx.loaders.kreis.load(ref.key);
      return kreis ? toDistrict(kreis) : null;
    },
    state: async (d: { stateCode: string }, _: unknown, ctx: KommunenContext) => {
      const land = await ctx.loaders.land.load(d.stateCode);
      return land ? toState(land) : null;
    },
  },
  State: {
    __resolveReference: async (ref: { code: string }, ctx: KommunenContext) => {
      const land = await ctx.loaders.land.load(ref.code);
      return land ? toState(land) : null;
    },
  },
};
