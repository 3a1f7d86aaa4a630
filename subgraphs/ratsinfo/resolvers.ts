import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { z } from 'zod';
import { amtsError } from '../../common/errors';
import type { RequestOptions } from '../lib/rest';
import { assertFirst, isCalendarDate } from '../lib/validate';
import { MAX_PAGES_PER_LIST, type RatsinfoLoaders } from './loaders';
import {
  OPARL_MAX_LIMIT,
  meetingSchema,
  organizationSchema,
  paperSchema,
  type OparlBody,
  type OparlClient,
  type OparlListPage,
  type OparlMeeting,
  type OparlOrganization,
  type OparlPaper,
} from './rest-client';

export interface RatsinfoContext {
  loaders: RatsinfoLoaders;
  client: OparlClient;
  upstreamRequest: RequestOptions;
}

const MAX_PAGE = 100;

interface CouncilModel {
  name: string;
  shortName: string | null;
  website: string | null;
  bodyId: string;
  rgs: string | null;
  organizationList: string | null;
  meetingList: string | null;
  paperList: string | null;
}

interface MeetingModel {
  id: string;
  name: string | null;
  start: string | null;
  end: string | null;
  state: string | null;
  cancelled: boolean;
  location: string | null;
  organizationIds: string[];
  organizationList: string | null;
  agendaItems: { id: string; number: string | null; name: string | null; public: boolean | null }[];
}

const toCouncil = (body: OparlBody): CouncilModel => ({
  name: body.name ?? body.shortName ?? body.id,
  shortName: body.shortName ?? null,
  website: body.website ?? null,
  bodyId: body.id,
  rgs: body.rgs ?? null,
  organizationList: body.organization ?? null,
  meetingList: body.meeting ?? null,
  paperList: body.paper ?? null,
});

const toOrganization = (o: OparlOrganization) => ({
  id: o.id,
  name: o.name ?? null,
  shortName: o.shortName ?? null,
  organizationType: o.organizationType ?? null,
  classification: o.classification ?? null,
});

const toMeeting = (m: OparlMeeting, council: CouncilModel): MeetingModel => ({
  id: m.id,
  name: m.name ?? null,
  start: m.start ?? null,
  end: m.end ?? null,
  state: m.meetingState ?? null,
  cancelled: m.cancelled ?? false,
  location: m.location?.description ?? null,
  organizationIds: m.organization ?? [],
  organizationList: council.organizationList,
  agendaItems: (m.agendaItem ?? [])
    .filter((a) => !a.deleted)
    .map((a) => ({ id: a.id, number: a.number ?? null, name: a.name ?? null, public: a.public ?? null })),
});

const toPaper = (p: OparlPaper) => ({
  id: p.id,
  reference: p.reference ?? null,
  name: p.name ?? null,
  paperType: p.paperType ?? null,
  date: p.date ?? null,
});

/**
 * Cursors: a position in an upstream OParl list, "continue at index `s` of the page at URL
 * `u`" (u is the list URL or a `links.next` URL the system gave, so upstream cursors and page
 * numbers pass through). Decoded cursors must point into the list they belong to, so a
 * client cannot make the subgraph fetch other URLs.
 */
interface Position {
  u: string;
  s: number;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

const badCursor = () =>
  amtsError('BAD_USER_INPUT', 'after is not a cursor returned by this field (pageInfo.endCursor)', { argumentName: 'after' });

export function decodeCursor(after: string, listUrl: string): Position {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const { u, s } = (position ?? {}) as Partial<Position>;
  if (typeof u !== 'string' || typeof s !== 'number' || !Number.isInteger(s) || s < 0) throw badCursor();
  let target: URL;
  let list: URL;
  try {
    target = new URL(u);
    list = new URL(listUrl);
  } catch {
    throw badCursor();
  }
  if (target.origin !== list.origin || target.pathname.replace(/\/$/, '') !== list.pathname.replace(/\/$/, '')) throw badCursor();
  return { u, s };
}

function withLimit(listUrl: string, limit: number): string {
  if (/[?&]limit=/.test(listUrl)) return listUrl;
  return `${listUrl}${listUrl.includes('?') ? '&' : '?'}limit=${limit}`;
}

interface Slice<T> {
  nodes: T[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number | null;
}

/**
 * Reads `first` accepted items of an OParl list from `after` on, following `links.next`
 * and never fetching a page more than needed: the next page is only requested while fewer
 * than `first` items were found. When a page ends exactly after the last node, the end
 * cursor points at the next page's URL, so continuing costs no repeated request.
 */
async function readList<S extends z.ZodTypeAny>(
  ctx: RatsinfoContext,
  listUrl: string,
  schema: S,
  options: { first: number; after?: string | null; limit: number; accept?: (item: z.infer<S>) => boolean },
): Promise<Slice<z.infer<S>>> {
  // The first page's URL carries the page size, so a cursor into it stays valid whatever
  // `first` the next call asks for.
  const start: Position = options.after ? decodeCursor(options.after, listUrl) : { u: withLimit(listUrl, options.limit), s: 0 };
  const nodes: z.infer<S>[] = [];
  let url: string | undefined = start.u;
  let skip = start.s;
  let totalCount: number | null = null;
  let lastUrl = start.u;
  let lastLength = start.s;
  for (let pages = 1; url; pages++) {
    if (pages > MAX_PAGES_PER_LIST) {
      // Stop scanning; the caller can continue from here.
      return { nodes, hasNextPage: true, endCursor: encodeCursor({ u: url, s: 0 }), totalCount };
    }
    const page: OparlListPage<z.infer<S>> | null = await ctx.client.listPage(url, schema, ctx.upstreamRequest, options.limit);
    if (!page) break;
    totalCount ??= page.pagination?.totalElements ?? null;
    const data = page.data as (z.infer<S> & { deleted?: boolean })[];
    for (let i = skip; i < data.length; i++) {
      const item = data[i]!;
      if (item.deleted || (options.accept && !options.accept(item))) continue;
      if (nodes.length === options.first) {
        return { nodes, hasNextPage: true, endCursor: encodeCursor({ u: url, s: i }), totalCount };
      }
      nodes.push(item);
    }
    skip = 0;
    lastUrl = url;
    lastLength = data.length;
    const next: string | undefined = page.links?.next;
    if (nodes.length === options.first) {
      return {
        nodes,
        hasNextPage: next !== undefined,
        endCursor: encodeCursor(next ? { u: next, s: 0 } : { u: url, s: data.length }),
        totalCount,
      };
    }
    url = next;
  }
  return {
    nodes,
    hasNextPage: false,
    endCursor: nodes.length ? encodeCursor({ u: lastUrl, s: lastLength }) : null,
    totalCount,
  };
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Today's date in Europe/Berlin (where the councils meet), YYYY-MM-DD. */
function todayInBerlin(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

/** A predicate for "starts on or after `from`"; a date compares with the meeting's local date. */
export function startsFrom(from: string | null | undefined): (m: OparlMeeting) => boolean {
  const value = from ?? todayInBerlin();
  if (isCalendarDate(value)) {
    return (m) => typeof m.start === 'string' && m.start.slice(0, 10) >= value;
  }
  if (ISO_DATE_TIME.test(value) && isCalendarDate(value.slice(0, 10)) && !Number.isNaN(Date.parse(value))) {
    const instant = Date.parse(value);
    return (m) => typeof m.start === 'string' && Date.parse(m.start) >= instant;
  }
  throw amtsError(
    'BAD_USER_INPUT',
    `from must be an ISO 8601 date such as "2026-03-01" or a date-time with offset such as "2026-03-01T18:00:00+01:00", received "${value.slice(0, 40)}"`,
    { argumentName: 'from' },
  );
}

interface PageArgs {
  first: number;
  after?: string | null;
}
interface MeetingArgs extends PageArgs {
  from?: string | null;
}

const emptyConnection = { nodes: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };

async function meetingSlice(council: CouncilModel, args: MeetingArgs, ctx: RatsinfoContext) {
  const first = assertFirst(args.first, MAX_PAGE);
  const accept = startsFrom(args.from);
  if (!council.meetingList) return null;
  // Meetings are filtered by start on our side (OParl lists have no such filter), so read
  // full pages: that keeps the number of upstream requests low while skipping past meetings.
  const slice = await readList(ctx, council.meetingList, meetingSchema, { first, after: args.after, limit: OPARL_MAX_LIMIT, accept });
  return { ...slice, nodes: slice.nodes.map((m) => toMeeting(m, council)) };
}

/** Organizations outside the system's own host are not fetched (no requests to arbitrary URLs). */
function sameOrigin(url: string, baseUrl: string): boolean {
  try {
    return new URL(url).origin === new URL(baseUrl).origin;
  } catch {
    return false;
  }
}

const pageLimit = (first: number) => Math.min(OPARL_MAX_LIMIT, Math.max(first, 1));

export const resolvers: GraphQLResolverMap<RatsinfoContext> = {
  Municipality: {
    __resolveReference: (ref: { ags: string }) => ({ ags: ref.ags }),
    council: async (m: { ags: string }, _: unknown, ctx: RatsinfoContext) => {
      const body = await ctx.loaders.bodyByAgs.load(m.ags);
      return body ? toCouncil(body) : null;
    },
  },
  Council: {
    organizations: async (council: CouncilModel, args: PageArgs, ctx: RatsinfoContext) => {
      const first = assertFirst(args.first, MAX_PAGE);
      if (!council.organizationList) return emptyConnection;
      const slice = await readList(ctx, council.organizationList, organizationSchema, { first, after: args.after, limit: pageLimit(first) });
      return {
        nodes: slice.nodes.map(toOrganization),
        pageInfo: { hasNextPage: slice.hasNextPage, endCursor: slice.endCursor },
        totalCount: slice.totalCount,
      };
    },
    meetings: async (council: CouncilModel, args: MeetingArgs, ctx: RatsinfoContext) => {
      if (args.first === 0) {
        startsFrom(args.from);
        return [];
      }
      return (await meetingSlice(council, args, ctx))?.nodes ?? [];
    },
    meetingsConnection: async (council: CouncilModel, args: MeetingArgs, ctx: RatsinfoContext) => {
      const slice = await meetingSlice(council, args, ctx);
      if (!slice) return emptyConnection;
      return {
        nodes: slice.nodes,
        pageInfo: { hasNextPage: slice.hasNextPage, endCursor: slice.endCursor },
        totalCount: slice.totalCount,
      };
    },
    papers: async (council: CouncilModel, args: PageArgs, ctx: RatsinfoContext) => {
      const first = assertFirst(args.first, MAX_PAGE);
      if (!council.paperList) return emptyConnection;
      const slice = await readList(ctx, council.paperList, paperSchema, { first, after: args.after, limit: pageLimit(first) });
      return {
        nodes: slice.nodes.map(toPaper),
        pageInfo: { hasNextPage: slice.hasNextPage, endCursor: slice.endCursor },
        totalCount: slice.totalCount,
      };
    },
  },
  Meeting: {
    organizations: async (meeting: MeetingModel, _: unknown, ctx: RatsinfoContext) => {
      if (!meeting.organizationIds.length) return [];
      const listed = meeting.organizationList ? await ctx.loaders.organizationList.load(meeting.organizationList) : new Map();
      const orgs = await Promise.all(
        meeting.organizationIds.map((id) => listed.get(id) ?? (sameOrigin(id, ctx.client.baseUrl) ? ctx.loaders.organization.load(id) : null)),
      );
      return orgs.filter((o): o is OparlOrganization => o !== null).map(toOrganization);
    },
  },
};
