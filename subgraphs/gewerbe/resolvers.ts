import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { amtsError } from '../../common/errors';
import type { Identity } from '../../common/identity';
import { offsetCursor, offsetFromCursor } from '../lib/paging';
import type { RequestOptions } from '../lib/rest';
import { assertFirst, searchTerm } from '../lib/validate';
import type { GewerbeLoaders } from './loaders';
import type { Betrieb } from './rest-client';

export const SUBGRAPH = 'gewerbe';
/** Scope needed for `Business.owner` (also declared with @requiresScopes in the SDL). */
export const OWNER_SCOPE = 'gewerbe:read';
const MAX_PAGE = 100;
const BUSINESS_ID = /^GW-\d{8}-\d{6}$/;
/** `personFunktion` of the owner (Inhaber) among the persons of a business. */
const OWNER_FUNCTION = '1';

export interface GewerbeContext {
  identity: Identity;
  loaders: GewerbeLoaders;
  upstreamRequest: RequestOptions;
}

type BusinessStatus = 'ACTIVE' | 'DEREGISTERED';
const STATUS: Record<Betrieb['status'], BusinessStatus> = { aktiv: 'ACTIVE', abgemeldet: 'DEREGISTERED' };
const UPSTREAM_STATUS: Record<BusinessStatus, Betrieb['status']> = { ACTIVE: 'aktiv', DEREGISTERED: 'abgemeldet' };

/** Business as resolved here; `ownerId` stays internal until `owner` is asked for (and allowed). */
interface BusinessModel {
  id: string;
  name: string;
  activity: string;
  activityCode: string | null;
  status: BusinessStatus;
  registeredOn: string;
  deregisteredOn: string | null;
  address: { street: string; houseNumber: string | null; postcode: string; city: string } | null;
  legalForm: string | null;
  ags: string;
  ownerId: string | null;
}

export function toBusiness(b: Betrieb): BusinessModel {
  const s = b.betriebsstaette;
  return {
    id: b.gewerbebetriebID,
    name: b.betrieb.eingetragenerName,
    activity: b.taetigkeit.taetigkeitSchwerpunkt,
    activityCode: b.taetigkeit.taetigkeitSchluessel,
    status: STATUS[b.status],
    registeredOn: b.gueltigAb,
    deregisteredOn: b.abmeldedatum,
    address: s ? { street: s.strasse, houseNumber: s.hausNrVon, postcode: s.plz, city: s.ort } : null,
    legalForm: b.betrieb.rechtsform,
    ags: b.gemeindeSchluessel,
    ownerId: b.beteiligtePerson.find((p) => p.personFunktion === OWNER_FUNCTION)?.melderegisterId ?? null,
  };
}

async function loadBusiness(ctx: GewerbeContext, id: string) {
  const betrieb = await ctx.loaders.betrieb.load(id);
  return betrieb ? toBusiness(betrieb) : null;
}

export const resolvers: GraphQLResolverMap<GewerbeContext> = {
  Query: {
    business: (_: unknown, args: { id: string }, ctx: GewerbeContext) => {
      if (!BUSINESS_ID.test(args.id)) {
        throw amtsError('BAD_USER_INPUT', `id must be a trade-register id such as "GW-05122000-000016", received "${args.id.slice(0, 40)}"`, {
          argumentName: 'id',
        });
      }
      return loadBusiness(ctx, args.id);
    },
  },
  Business: {
    __resolveReference: (ref: { id: string }, ctx: GewerbeContext) => (BUSINESS_ID.test(ref.id) ? loadBusiness(ctx, ref.id) : null),
    municipality: (b: BusinessModel) => ({ ags: b.ags }),
    /**
     * Defence in depth behind the gateway's field-level rule: the link between a business
     * and a person is only handed out with `gewerbe:read`.
     */
    owner: (b: BusinessModel, _: unknown, ctx: GewerbeContext) => {
      if (ctx.identity.anonymous || !ctx.identity.scopes.includes(OWNER_SCOPE)) {
        throw amtsError('FORBIDDEN', `The owner of a business needs the scope ${OWNER_SCOPE}.`, { subgraph: SUBGRAPH });
      }
      return b.ownerId ? { __typename: 'Person', id: b.ownerId } : null;
    },
  },
  Municipality: {
    __resolveReference: (ref: { ags: string }) => ({ ags: ref.ags }),
    businesses: async (
      m: { ags: string },
      args: { status?: BusinessStatus | null; activityContains?: string | null; first: number; after?: string | null },
      ctx: GewerbeContext,
    ) => {
      const first = assertFirst(args.first, MAX_PAGE);
      const offset = offsetFromCursor(args.after);
      const page = await ctx.loaders.betriebe.load({
        ags: m.ags,
        status: args.status ? UPSTREAM_STATUS[args.status] : null,
        taetigkeit: searchTerm(args.activityContains, 'activityContains'),
        offset,
        limit: Math.max(first, 1),
      });
      if (!page) return null;
      const items = page.betriebe.slice(0, first);
      for (const b of items) ctx.loaders.betrieb.prime(b.gewerbebetriebID, b);
      const end = offset + items.length;
      return {
        nodes: items.map(toBusiness),
        totalCount: page.anzahlGesamt,
        pageInfo: { hasNextPage: end < page.anzahlGesamt, endCursor: offsetCursor(end) },
      };
    },
  },
};
