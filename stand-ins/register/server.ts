import type { Logger } from '../../common/logger';
import { createStandIn, intParam, type StandIn } from '../lib/stand-in';
import { loadRegister } from './data';
import { problem, problemDetails } from '../lib/problem';

/**
 * Stand-in for a state municipality register serving the Destatis GV100AD data for all of
 * Germany. Contract: stand-ins/register/openapi.yaml. Offset paging, batch look-up by
 * `ags=` list (at most 100 keys), RFC 7807 problem bodies, one day of `max-age` (the register
 * changes rarely) and ETags.
 */
export const REGISTER_MAX_BATCH = 100;
const MAX_AGE = 86_400;

export function createRegisterStandIn(options: { logger?: Logger } = {}): StandIn {
  const data = loadRegister();

  return createStandIn({
    ...problemDetails,
    name: 'register',
    logger: options.logger,
    routes: [
      {
        method: 'GET',
        path: '/v1/gemeinden',
        handler: ({ query }) => {
          const keys = query.get('ags');
          if (keys !== null) {
            const list = keys.split(',').filter(Boolean);
            if (list.length > REGISTER_MAX_BATCH) return problem(400, `at most ${REGISTER_MAX_BATCH} keys per request`);
            const items = list.map((ags) => data.gemeindeByAgs.get(ags)).filter((g) => g !== undefined);
            return { body: { total: items.length, offset: 0, limit: list.length, items }, maxAge: MAX_AGE };
          }
          const land = query.get('land');
          const kreis = query.get('kreis');
          const name = query.get('name')?.normalize('NFC').toLocaleLowerCase('de');
          const offset = intParam(query.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER);
          const limit = intParam(query.get('limit'), 50, 1, 500);
          const matches = data.gemeinden.filter(
            (g) =>
              (!land || g.landSchluessel === land) &&
              (!kreis || g.kreisSchluessel === kreis) &&
              (!name || g.name.toLocaleLowerCase('de').includes(name)),
          );
          return {
            body: { total: matches.length, offset, limit, items: matches.slice(offset, offset + limit) },
            maxAge: MAX_AGE,
          };
        },
      },
      {
        method: 'GET',
        path: '/v1/gemeinden/:ags',
        handler: ({ params }) => {
          const gemeinde = data.gemeindeByAgs.get(params.ags!);
          return gemeinde ? { body: gemeinde, maxAge: MAX_AGE } : problem(404, `no Gemeinde with AGS ${params.ags}`);
        },
      },
      {
        method: 'GET',
        path: '/v1/kreise',
        handler: ({ query }) => {
          const keys = (query.get('schluessel') ?? '').split(',').filter(Boolean);
          if (keys.length > REGISTER_MAX_BATCH) return problem(400, `at most ${REGISTER_MAX_BATCH} keys per request`);
          const items = keys.length
            ? keys.map((k) => data.kreise.get(k)).filter((k) => k !== undefined)
            : [...data.kreise.values()];
          return { body: { total: items.length, offset: 0, limit: items.length, items }, maxAge: MAX_AGE };
        },
      },
      {
        method: 'GET',
        path: '/v1/kreise/:schluessel',
        handler: ({ params }) => {
          const kreis = data.kreise.get(params.schluessel!);
          return kreis ? { body: kreis, maxAge: MAX_AGE } : problem(404, `no Kreis with key ${params.schluessel}`);
        },
      },
      {
        method: 'GET',
        path: '/v1/laender',
        handler: () => {
          const items = [...data.laender.values()];
          return { body: { total: items.length, offset: 0, limit: items.length, items }, maxAge: MAX_AGE };
        },
      },
      {
        method: 'GET',
        path: '/v1/regierungsbezirke',
        handler: () => {
          const items = [...data.regierungsbezirke.values()];
          return { body: { total: items.length, offset: 0, limit: items.length, items }, maxAge: MAX_AGE };
        },
      },
    ],
  });
}
