import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { amtsError } from '../../common/errors';
import type { Identity } from '../../common/identity';
import type { RequestOptions } from '../lib/rest';
import { assertFirst, searchTerm } from '../lib/validate';
import { registryForAgs, type MelderegisterLoaders, type Registries } from './loaders';
import type { PersonRecord } from './rest-client';

export const SUBGRAPH = 'melderegister';
/** The scope an official needs for any resident data (also declared with @requiresScopes in the SDL). */
export const READ_SCOPE = 'melde:read';
const MAX_PAGE = 100;
const PERSON_ID = /^(HB|NW)-\d{8}-\d{6}$/;

export interface MelderegisterContext {
  /** The caller as the gateway signed it. */
  identity: Identity;
  registries: Registries;
  loaders: MelderegisterLoaders;
  upstreamRequest: RequestOptions;
}

/**
 * The row-level rule: resident data only for an authenticated official of the SAME
 * municipality (`identity.ags`) holding `melde:read`. The gateway removes fields a caller
 * may not see (field-level @requiresScopes/@policy); this rule decides WHICH records, and it
 * is checked before any registry call, so a forbidden record is never even fetched. Error
 * messages name municipalities (public keys), never persons.
 */
export function assertMayRead(identity: Identity, ags: string): void {
  const forbidden = (message: string) => amtsError('FORBIDDEN', message, { subgraph: SUBGRAPH });
  if (identity.anonymous || !identity.ags) {
    throw forbidden('Resident data is only for officials of a municipality; the caller has no municipality (ags) in their identity.');
  }
  if (!identity.scopes.includes(READ_SCOPE)) throw forbidden(`Resident data needs the scope ${READ_SCOPE}.`);
  if (identity.ags !== ags) {
    throw forbidden(`Resident data of municipality ${ags} is only for officials of that municipality (the caller works for ${identity.ags}).`);
  }
}

function assertPersonId(id: string): string {
  if (!PERSON_ID.test(id)) {
    // The value is not echoed: it may be someone's identifier.
    throw amtsError('BAD_USER_INPUT', 'id must be a registry person id such as "HB-04011000-000123" (HB or NW, 8-digit AGS, 6-digit number)', {
      argumentName: 'id',
    });
  }
  return id;
}

async function loadPerson(ctx: MelderegisterContext, id: string): Promise<PersonRecord | null> {
  const ags = id.slice(3, 11);
  assertMayRead(ctx.identity, ags);
  const person = await ctx.loaders.person.load(id);
  // Defence in depth: a record the registry filed under another municipality is never passed on.
  return person && person.id === id && person.ags === ags ? person : null;
}

/** `after`/`endCursor`: base64url of `r:<ags>:<registry page token>`, valid only for that municipality. */
const encodeCursor = (ags: string, token: string) => Buffer.from(`r:${ags}:${token}`).toString('base64url');

function decodeCursor(after: string | null | undefined, ags: string, isPageToken: (token: string) => boolean): string | null {
  if (after === null || after === undefined) return null;
  const match = /^r:(\d{8}):(.+)$/.exec(Buffer.from(after, 'base64url').toString('utf8'));
  if (!match || match[1] !== ags || !isPageToken(match[2]!)) {
    throw amtsError('BAD_USER_INPUT', 'after is not a cursor returned by this field for this municipality (pageInfo.endCursor)', {
      argumentName: 'after',
    });
  }
  return match[2]!;
}

export const resolvers: GraphQLResolverMap<MelderegisterContext> = {
  Query: {
    person: (_: unknown, args: { id: string }, ctx: MelderegisterContext) => loadPerson(ctx, assertPersonId(args.id)),
  },
  Person: {
    __resolveReference: (ref: { id: string }, ctx: MelderegisterContext) => (PERSON_ID.test(ref.id) ? loadPerson(ctx, ref.id) : null),
    municipality: (person: PersonRecord) => ({ ags: person.ags }),
  },
  Municipality: {
    __resolveReference: (ref: { ags: string }) => ({ ags: ref.ags }),
    residentCount: (m: { ags: string }, _: unknown, ctx: MelderegisterContext) => ctx.loaders.mainResidenceCount.load(m.ags),
    residents: async (
      m: { ags: string },
      args: { familyName?: string | null; first: number; after?: string | null },
      ctx: MelderegisterContext,
    ) => {
      assertMayRead(ctx.identity, m.ags);
      const first = assertFirst(args.first, MAX_PAGE);
      const familyName = searchTerm(args.familyName, 'familyName');
      const client = registryForAgs(ctx.registries, m.ags);
      if (!client) return null;
      const after = decodeCursor(args.after, m.ags, (token) => client.isPageToken(token));
      const page = await ctx.loaders.residents.load({ ags: m.ags, familyName, limit: Math.max(first, 1), after });
      if (!page) return null;
      const nodes = page.persons.filter((p) => p.ags === m.ags).slice(0, first);
      // Prime the person loader: entity look-ups of these persons later in the request are free.
      for (const p of nodes) ctx.loaders.person.prime(p.id, p);
      if (first === 0) {
        return { nodes, totalCount: page.totalCount, pageInfo: { hasNextPage: page.persons.length > 0, endCursor: args.after ?? null } };
      }
      return {
        nodes,
        totalCount: page.totalCount,
        pageInfo: { hasNextPage: page.next !== null, endCursor: page.next === null ? null : encodeCursor(m.ags, page.next) },
      };
    },
  },
};
