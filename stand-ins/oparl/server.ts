import type { Logger } from '../../common/logger';
import { createStandIn, intParam, type StandIn, type StandInRequest, type StandInResponse } from '../lib/stand-in';
import { API_PATH, LIST_KINDS, loadOparl, render, type ListKind, type ObjectEntry } from './data';

/**
 * Stand-in for an OParl 1.1 council information system (Ratsinformationssystem), as the
 * vendors behind the real NRW endpoints (stand-ins/data/oparl/endpoints.yml) serve it.
 * Contract: stand-ins/oparl/openapi.yaml; objects follow the OParl 1.1 schema.
 *
 * - Entry point `GET /oparl/v1.1/system` (System object, `body` = URL of the body list).
 * - Lists are OParl "external lists": `{ data, pagination, links }`, 20 objects a page by
 *   default (`limit`, at most 100), `page` numbers in `links.next`, and the filters
 *   `created_since`, `created_until`, `modified_since`, `modified_until`.
 * - Every object has an absolute URL `id` built from the address the client used.
 * - Lists keep OParl's (unspecified) order as most servers do it: by id; meeting ids follow
 *   the meeting start, so meeting lists are in ascending order of `start`.
 * - Five minutes of `max-age`, ETags, JSON error bodies.
 */
export const OPARL_PAGE_DEFAULT = 20;
export const OPARL_PAGE_MAX = 100;
const MAX_AGE = 300;
const SYSTEM_PATH = `${API_PATH}/system`;
const FILTERS = ['created_since', 'created_until', 'modified_since', 'modified_until'] as const;

const error = (status: number, message: string): StandInResponse => ({ status, body: message });

function listResponse(req: StandInRequest, entries: readonly ObjectEntry[]): StandInResponse {
  const since: Partial<Record<(typeof FILTERS)[number], number>> = {};
  for (const name of FILTERS) {
    const raw = req.query.get(name);
    if (raw === null || raw === '') continue;
    const time = Date.parse(raw);
    if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(time)) {
      return error(400, `${name} must be an ISO 8601 date-time such as 2026-01-01T00:00:00+01:00`);
    }
    since[name] = time;
  }
  const rawLimit = req.query.get('limit');
  if (rawLimit !== null && !/^\d+$/.test(rawLimit)) return error(400, 'limit must be a positive integer');
  const rawPage = req.query.get('page');
  if (rawPage !== null && !/^\d+$/.test(rawPage)) return error(400, 'page must be a positive integer');
  const limit = intParam(rawLimit, OPARL_PAGE_DEFAULT, 1, OPARL_PAGE_MAX);
  const page = intParam(rawPage, 1, 1, Number.MAX_SAFE_INTEGER);

  const matches = entries.filter((e) => {
    const created = Date.parse(e.created);
    const modified = Date.parse(e.modified);
    return (
      (since.created_since === undefined || created >= since.created_since) &&
      (since.created_until === undefined || created <= since.created_until) &&
      (since.modified_since === undefined || modified >= since.modified_since) &&
      (since.modified_until === undefined || modified <= since.modified_until)
    );
  });
  const totalPages = Math.max(1, Math.ceil(matches.length / limit));
  const link = (n: number) => {
    const url = new URL(req.path, req.baseUrl);
    for (const name of FILTERS) {
      const value = req.query.get(name);
      if (value) url.searchParams.set(name, value);
    }
    if (rawLimit !== null) url.searchParams.set('limit', String(limit));
    url.searchParams.set('page', String(n));
    return url.toString();
  };
  const links: Record<string, string> = { first: link(1), self: link(page), last: link(totalPages) };
  if (page > 1) links.prev = link(Math.min(page - 1, totalPages));
  if (page < totalPages) links.next = link(page + 1);
  const data = matches.slice((page - 1) * limit, page * limit).map((e) => e.object);
  return {
    body: render(
      {
        data,
        pagination: { totalElements: matches.length, elementsPerPage: limit, currentPage: page, totalPages },
        links,
      },
      req.baseUrl,
    ),
    maxAge: MAX_AGE,
  };
}

export function createOparlStandIn(options: { logger?: Logger } = {}): StandIn {
  const data = loadOparl();
  const bodyOr404 = (id: string) => data.bodyById.get(id);

  return createStandIn({
    name: 'oparl',
    logger: options.logger,
    errorContentType: 'application/json',
    errorBody: (status, message, req) => ({
      status,
      error: status === 404 ? 'Not Found' : status === 400 ? 'Bad Request' : 'Error',
      message,
      path: req.path,
    }),
    routes: [
      {
        method: 'GET',
        path: SYSTEM_PATH,
        handler: (req) => ({ body: render(data.system, req.baseUrl), maxAge: MAX_AGE }),
      },
      {
        method: 'GET',
        path: `${API_PATH}/bodies`,
        handler: (req) => listResponse(req, data.bodies.map((b) => b.body)),
      },
      {
        method: 'GET',
        path: `${API_PATH}/bodies/:body`,
        handler: (req) => {
          const body = bodyOr404(req.params.body!);
          return body ? { body: render(body.body.object, req.baseUrl), maxAge: MAX_AGE } : error(404, `no body ${req.params.body}`);
        },
      },
      {
        method: 'GET',
        path: `${API_PATH}/bodies/:body/:kind`,
        handler: (req) => {
          const body = bodyOr404(req.params.body!);
          const kind = req.params.kind as ListKind;
          if (!body || !LIST_KINDS.includes(kind)) return error(404, `no list ${req.path}`);
          return listResponse(req, body.lists[kind]);
        },
      },
      {
        method: 'GET',
        path: `${API_PATH}/bodies/:body/:kind/:id`,
        handler: (req) => {
          const object = data.byPath.get(req.path.replace(/\/$/, ''));
          return object ? { body: render(object, req.baseUrl), maxAge: MAX_AGE } : error(404, `no object ${req.path}`);
        },
      },
      {
        method: 'GET',
        path: `${API_PATH}/bodies/:body/organizations/:id/meetings`,
        handler: (req) => {
          const body = bodyOr404(req.params.body!);
          const meetings = body?.meetingsByOrganization.get(req.params.id!);
          if (!body || !data.byPath.has(`${API_PATH}/bodies/${req.params.body}/organizations/${req.params.id}`)) {
            return error(404, `no organization ${req.path}`);
          }
          return listResponse(req, meetings ?? []);
        },
      },
    ],
  });
}
