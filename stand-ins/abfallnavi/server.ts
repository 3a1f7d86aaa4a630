import type { Logger } from '../../common/logger';
import { createStandIn, type StandIn, type StandInResponse } from '../lib/stand-in';
import { loadServices, type Service, type Strasse } from './data';

/**
 * Stand-in for the abfallnavi REST API of regio iT (the back end of the "Abfall-App" of many
 * NRW municipalities). Each municipality (or waste association) has its own service; the real
 * base URL is `https://{service}-abfallapp.regioit.de/abfall-app-{service}/rest`. This stand-in
 * hosts several services on one port under `/abfall-app-{service}/rest/...`.
 * Contract: stand-ins/abfallnavi/openapi.yaml. Six hours of `max-age` (calendars change a few
 * times a year) and ETags from the framework.
 */
const MAX_AGE = 6 * 3_600;
const PREFIX = 'abfall-app-';

const HTTP_REASON: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

type Handler = (service: Service, params: Record<string, string>, query: URLSearchParams) => StandInResponse;

const fail = (status: number, message: string): StandInResponse => ({ status, body: message });
const ok = (body: unknown): StandInResponse => ({ body, maxAge: MAX_AGE });

/** Parses a path id the way the Java service does: digits only, else 400. */
function idParam(raw: string | undefined, name: string): number | StandInResponse {
  if (!raw || !/^\d{1,15}$/.test(raw)) return fail(400, `${name} must be an integer, received "${(raw ?? '').slice(0, 40)}"`);
  return Number(raw);
}

/** `fraktion` query values (repeatable, e.g. `?fraktion=0&fraktion=3`); absent = all fractions. */
function fraktionFilter(query: URLSearchParams): Set<number> | null | StandInResponse {
  const values = query.getAll('fraktion').flatMap((v) => v.split(',')).filter((v) => v !== '');
  if (values.length === 0) return null;
  if (values.some((v) => !/^\d+$/.test(v))) return fail(400, 'fraktion must be a list of integers');
  return new Set(values.map(Number));
}

const strasseBody = (s: Strasse, withHausnummern: boolean) => ({
  id: s.id,
  name: s.name,
  staticId: s.staticId,
  hausNrList: withHausnummern ? s.hausNrList : [],
  plz: s.plz,
  ortsteilName: s.ortsteilName,
  ort: s.ort,
});

function termine(list: Strasse['termine'], query: URLSearchParams): StandInResponse {
  const filter = fraktionFilter(query);
  if (filter && !(filter instanceof Set)) return filter;
  return ok(filter ? list.filter((t) => filter.has(t.bezirk.fraktionId)) : list);
}

export function createAbfallnaviStandIn(options: { logger?: Logger } = {}): StandIn {
  const services = loadServices();

  /** Wraps a per-service handler: resolves `/abfall-app-{service}` or answers 404. */
  const serviceRoute = (suffix: string, handler: Handler) => ({
    method: 'GET' as const,
    path: `/:app/rest${suffix}`,
    handler: ({ params, query }: { params: Record<string, string>; query: URLSearchParams }) => {
      const app = params.app ?? '';
      const service = app.startsWith(PREFIX) ? services.get(app.slice(PREFIX.length)) : undefined;
      if (!service) return fail(404, `no abfallnavi service at /${app}`);
      return handler(service, params, query);
    },
  });

  return createStandIn({
    name: 'abfallnavi',
    logger: options.logger,
    // The Java back end answers errors with a JSON body of this shape (Spring Boot style).
    errorBody: (status, message, req) => ({
      status,
      error: HTTP_REASON[status] ?? 'Error',
      message,
      path: req.path,
    }),
    routes: [
      {
        // Stand-in extension (not part of the real API): the services hosted here.
        method: 'GET',
        path: '/abfall-apps',
        handler: () =>
          ok(
            [...services.values()].map((s) => ({
              service: s.service,
              label: s.label,
              basePath: `/${PREFIX}${s.service}/rest`,
              orte: s.orte.map((o) => ({ id: o.id, name: o.name, ags: o.ags })),
            })),
          ),
      },
      serviceRoute('/orte', (s) => ok(s.orte.map((o) => ({ id: o.id, name: o.name })))),
      serviceRoute('/orte/:ortId', (s, params) => {
        const id = idParam(params.ortId, 'ortId');
        if (typeof id !== 'number') return id;
        const ort = s.orte.find((o) => o.id === id);
        return ort ? ok({ id: ort.id, name: ort.name }) : fail(404, `no Ort ${id}`);
      }),
      serviceRoute('/orte/:ortId/strassen', (s, params) => {
        const id = idParam(params.ortId, 'ortId');
        if (typeof id !== 'number') return id;
        const ort = s.orte.find((o) => o.id === id);
        if (!ort) return fail(404, `no Ort ${id}`);
        // As the real service does: only the first street carries its hausNrList.
        return ok(ort.strassen.map((strasse, i) => strasseBody(strasse, i === 0)));
      }),
      serviceRoute('/strassen/:strassenId', (s, params) => {
        const id = idParam(params.strassenId, 'strassenId');
        if (typeof id !== 'number') return id;
        const strasse = s.strasseById.get(id);
        return strasse ? ok(strasseBody(strasse, true)) : fail(404, `no Strasse ${id}`);
      }),
      serviceRoute('/strassen/:strassenId/fraktionen', (s, params) => {
        const id = idParam(params.strassenId, 'strassenId');
        if (typeof id !== 'number') return id;
        return s.strasseById.has(id) ? ok(s.fraktionen) : fail(404, `no Strasse ${id}`);
      }),
      serviceRoute('/strassen/:strassenId/termine', (s, params, query) => {
        const id = idParam(params.strassenId, 'strassenId');
        if (typeof id !== 'number') return id;
        const strasse = s.strasseById.get(id);
        return strasse ? termine(strasse.termine, query) : fail(404, `no Strasse ${id}`);
      }),
      serviceRoute('/hausnummern/:hausnummernId/fraktionen', (s, params) => {
        const id = idParam(params.hausnummernId, 'hausnummernId');
        if (typeof id !== 'number') return id;
        return s.hausnummerById.has(id) ? ok(s.fraktionen) : fail(404, `no Hausnummer ${id}`);
      }),
      serviceRoute('/hausnummern/:hausnummernId/termine', (s, params, query) => {
        const id = idParam(params.hausnummernId, 'hausnummernId');
        if (typeof id !== 'number') return id;
        const entry = s.hausnummerById.get(id);
        // Collections are assigned per street here; every house number shares its street's dates.
        return entry ? termine(entry.strasse.termine, query) : fail(404, `no Hausnummer ${id}`);
      }),
      serviceRoute('/fraktionen', (s) => ok(s.fraktionen)),
    ],
  });
}
