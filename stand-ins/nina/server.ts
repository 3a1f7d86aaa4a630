import type { Logger } from '../../common/logger';
import { createStandIn, type StandIn } from '../lib/stand-in';
import { loadNina, toDashboardEntry, toDetail, toMapEntry, type Provider } from './data';

/**
 * Stand-in for the NINA warnings API of the Bundesamt für Bevölkerungsschutz und
 * Katastrophenhilfe (`https://warnung.bund.de/api31`). Contract: stand-ins/nina/openapi.yaml.
 * Serves synthetic exercise warnings (CAP status "Exercise", headlines "Übung: …") for the
 * real German districts; 60 seconds of `max-age`, ETags.
 *
 * Like the real service, data exists only per district: the dashboard key is a 12-digit ARS
 * whose last 7 digits are "0000000". Anything else (a municipality-level ARS, an unknown
 * district, a malformed key) has no document and answers 404.
 */
const MAX_AGE = 60;

/** Providers with a map document; those without synthetic warnings serve an empty list. */
const MAP_PROVIDERS: Record<string, Provider | null> = {
  mowas: 'MOWAS',
  dwd: 'DWD',
  lhp: 'LHP',
  katwarn: null,
  biwapp: null,
  police: null,
};

const DISTRICT_ARS = /^(\d{5})0000000$/;

export function createNinaStandIn(options: { logger?: Logger } = {}): StandIn {
  const data = loadNina();
  const notFound = (what: string) => ({ status: 404, body: what });

  return createStandIn({
    name: 'nina',
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
        path: '/api31/dashboard/:file',
        handler: ({ params }) => {
          const file = params.file!;
          if (!file.endsWith('.json')) return notFound(`no document ${file}`);
          const ars = file.slice(0, -'.json'.length);
          if (!DISTRICT_ARS.test(ars) || !data.byArs.has(ars)) return notFound(`no dashboard for ARS ${ars.slice(0, 40)}`);
          return { body: data.byArs.get(ars)!.map(toDashboardEntry), maxAge: MAX_AGE };
        },
      },
      {
        method: 'GET',
        path: '/api31/warnings/:file',
        handler: ({ params }) => {
          const file = params.file!;
          if (!file.endsWith('.json')) return notFound(`no document ${file}`);
          const warning = data.byId.get(file.slice(0, -'.json'.length));
          return warning ? { body: toDetail(warning), maxAge: MAX_AGE } : notFound('no such warning');
        },
      },
      {
        method: 'GET',
        path: '/api31/:provider/mapData.json',
        handler: ({ params }) => {
          const name = params.provider!;
          if (!Object.hasOwn(MAP_PROVIDERS, name)) return notFound(`no map data for ${name.slice(0, 40)}`);
          const provider = MAP_PROVIDERS[name] ?? null;
          const warnings = provider ? data.all.filter((w) => w.provider === provider) : [];
          return { body: warnings.map(toMapEntry), maxAge: MAX_AGE };
        },
      },
    ],
  });
}
