import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { offsetCursor, offsetFromCursor } from '../lib/paging';
import type { RequestOptions } from '../lib/rest';
import { assertFirst, assertLeikaKey, searchTerm } from '../lib/validate';
import type { LeistungenLoaders } from './loaders';
import type { Finanzamt, LeikaClient, Leistung } from './rest-client';

export interface LeistungenContext {
  loaders: LeistungenLoaders;
  client: LeikaClient;
  upstreamRequest: RequestOptions;
}

/** Service as resolved here: the catalogue's fields under the schema's names. */
interface ServiceModel {
  leikaKey: string;
  name: string;
  typification: string | null;
  legalBasis: string | null;
  ozgService: { id: string; name: string } | null;
  lifeSituation: string | null;
  topic: string | null;
  sdgRelevant: boolean;
}

export function toService(l: Leistung): ServiceModel {
  return {
    leikaKey: l.leikaSchluessel,
    name: l.name,
    typification: l.leikaTyp,
    legalBasis: l.rechtsgrundlage,
    ozgService: l.ozgId && l.ozgLeistung ? { id: l.ozgId, name: l.ozgLeistung } : null,
    lifeSituation: l.lebenslage,
    topic: l.themenfeld,
    sdgRelevant: l.sdgAnhang1 || l.sdgAnhang2,
  };
}

const toTaxOffice = (f: Finanzamt) => ({ number: f.bufaNr, name: f.name, state: f.landName });

const MAX_PAGE = 100;

async function loadService(ctx: LeistungenContext, leikaKey: string) {
  const leistung = await ctx.loaders.leistung.load(leikaKey);
  return leistung ? toService(leistung) : null;
}

export const resolvers: GraphQLResolverMap<LeistungenContext> = {
  Query: {
    service: (_: unknown, args: { leikaKey: string }, ctx: LeistungenContext) =>
      loadService(ctx, assertLeikaKey(args.leikaKey)),
    services: async (
      _: unknown,
      args: { nameContains?: string | null; first: number; after?: string | null },
      ctx: LeistungenContext,
    ) => {
      const first = assertFirst(args.first, MAX_PAGE);
      const offset = offsetFromCursor(args.after);
      const page = await ctx.client.searchLeistungen(
        { suche: searchTerm(args.nameContains, 'nameContains'), offset, limit: Math.max(first, 1) },
        ctx.upstreamRequest,
      );
      const items = page.items.slice(0, first);
      // Prime the loader so entity look-ups later in this request cost no upstream call.
      for (const l of items) ctx.loaders.leistung.prime(l.leikaSchluessel, l);
      const end = offset + items.length;
      return {
        nodes: items.map(toService),
        totalCount: page.total,
        pageInfo: { hasNextPage: end < page.total, endCursor: offsetCursor(end) },
      };
    },
  },
  Service: {
    __resolveReference: (ref: { leikaKey: string }, ctx: LeistungenContext) => loadService(ctx, ref.leikaKey),
  },
  Municipality: {
    __resolveReference: (ref: { ags: string }) => ({ ags: ref.ags }),
    responsibleAuthority: async (m: { ags: string }, args: { leikaKey: string }, ctx: LeistungenContext) => {
      const leikaKey = assertLeikaKey(args.leikaKey);
      const route = await ctx.loaders.route.load({ leikaKey, ags: m.ags });
      if (!route) return null;
      return { id: route.destinationId, name: route.destinationName ?? route.destinationShortName ?? route.destinationId, leikaKey };
    },
    taxOffice: async (m: { ags: string }, _: unknown, ctx: LeistungenContext) => {
      const finanzamt = await ctx.loaders.finanzamt.load(m.ags);
      return finanzamt ? toTaxOffice(finanzamt) : null;
    },
  },
  Authority: {
    service: (a: { leikaKey: string }, _: unknown, ctx: LeistungenContext) => loadService(ctx, a.leikaKey),
  },
};
