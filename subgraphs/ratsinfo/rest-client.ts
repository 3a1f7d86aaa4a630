import { z } from 'zod';
import { createRestTransport, type RequestOptions, type RestTransportOptions } from '../lib/rest';

/**
 * Typed client for an OParl 1.1 council information system (stand-ins/oparl/openapi.yaml,
 * https://oparl.org/spezifikation/). OParl objects link to each other by absolute URL, so
 * after the entry point (the System object) every call follows a URL the system gave.
 * HTTP status → error code mapping lives in ../lib/rest.ts.
 */
export const DEFAULT_SYSTEM_PATH = '/oparl/v1.1/system';

/** OParl lists are at most this long per page (the stand-in's and most servers' maximum). */
export const OPARL_MAX_LIMIT = 100;

const url = z.string().url();

export const systemSchema = z.object({ id: url, type: z.string().optional(), body: url });
export type OparlSystem = z.infer<typeof systemSchema>;

export const bodySchema = z.object({
  id: url,
  name: z.string().optional(),
  shortName: z.string().optional(),
  website: z.string().optional(),
  ags: z.string().optional(),
  rgs: z.string().optional(),
  organization: url.optional(),
  meeting: url.optional(),
  paper: url.optional(),
  deleted: z.boolean().optional(),
});
export type OparlBody = z.infer<typeof bodySchema>;

export const organizationSchema = z.object({
  id: url,
  name: z.string().optional(),
  shortName: z.string().optional(),
  organizationType: z.string().optional(),
  classification: z.string().optional(),
  deleted: z.boolean().optional(),
});
export type OparlOrganization = z.infer<typeof organizationSchema>;

export const agendaItemSchema = z.object({
  id: url,
  number: z.string().optional(),
  name: z.string().optional(),
  public: z.boolean().optional(),
  deleted: z.boolean().optional(),
});

export const meetingSchema = z.object({
  id: url,
  name: z.string().optional(),
  start: z.string().optional(),
  end: z.string().optional(),
  meetingState: z.string().optional(),
  cancelled: z.boolean().optional(),
  location: z.object({ description: z.string().optional() }).passthrough().optional(),
  organization: z.array(url).optional(),
  agendaItem: z.array(agendaItemSchema).optional(),
  deleted: z.boolean().optional(),
});
export type OparlMeeting = z.infer<typeof meetingSchema>;

export const paperSchema = z.object({
  id: url,
  name: z.string().optional(),
  reference: z.string().optional(),
  paperType: z.string().optional(),
  date: z.string().optional(),
  deleted: z.boolean().optional(),
});
export type OparlPaper = z.infer<typeof paperSchema>;

/** An OParl external list page: `{ data, pagination, links }`. */
export const listSchema = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    data: z.array(item),
    pagination: z
      .object({
        totalElements: z.number().int().nonnegative().optional(),
        elementsPerPage: z.number().optional(),
        currentPage: z.number().optional(),
        totalPages: z.number().optional(),
      })
      .optional(),
    links: z.object({ next: url.optional() }).passthrough().optional(),
  });
export interface OparlListPage<T> {
  data: T[];
  pagination?: { totalElements?: number };
  links?: { next?: string };
}

export type OparlClient = ReturnType<typeof createOparlClient>;

export function createOparlClient(options: Omit<RestTransportOptions, 'upstream'> & { systemPath?: string }) {
  const http = createRestTransport({ ...options, upstream: 'oparl' });
  const systemPath = options.systemPath ?? DEFAULT_SYSTEM_PATH;
  return {
    baseUrl: options.baseUrl,
    /** The System object at the entry point; null when there is none (404). */
    system: (req?: RequestOptions) => http.getJson(systemPath, systemSchema, req),
    /**
     * One page of an OParl list. `pageUrl` is a list URL or a `links.next` URL the system
     * gave; `limit` is only added to a first page (next links carry it already).
     */
    async listPage<T extends z.ZodTypeAny>(
      pageUrl: string,
      item: T,
      req: RequestOptions = {},
      limit?: number,
    ): Promise<OparlListPage<z.infer<T>> | null> {
      const hasLimit = /[?&]limit=/.test(pageUrl);
      return http.getJson(pageUrl, listSchema(item), { ...req, query: hasLimit ? {} : { limit } });
    },
    /** One object by its URL; null on 404. */
    object: <T extends z.ZodTypeAny>(objectUrl: string, schema: T, req?: RequestOptions) => http.getJson(objectUrl, schema, req),
    close: () => http.close(),
  };
}
