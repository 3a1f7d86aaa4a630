import type { Logger } from '../../common/logger';
import { createStandIn, intParam, type StandIn } from '../lib/stand-in';
import { betriebById, betriebeOf, gewerbeMunicipalities } from './data';
import { problem, problemDetails } from '../lib/problem';

/**
 * Stand-in for a municipal trade register (Gewerberegister) whose records follow the
 * XGewerbeanzeige structure. Serves synthetic, obviously fictitious businesses for the
 * municipalities of the resident registries (Bremen, Bremerhaven and six NRW cities).
 * Contract: openapi.yaml. Offset paging with a total, a batch look-up by
 * `gewerbebetriebID=` (at most 100), RFC 7807 problem bodies. Records name their owner by
 * resident-registry id, so they are answered with `Cache-Control: private, max-age=300`
 * (no shared caches).
 */
export const GEWERBE_MAX_BATCH = 100;
export const GEWERBE_MAX_LIMIT = 100;
const CACHE = { 'cache-control': 'private, max-age=300' };
export function createGewerbeStandIn(options: { logger?: Logger } = {}): StandIn {
  const served = new Set(gewerbeMunicipalities());

  return createStandIn({
    ...problemDetails,
    name: 'gewerbe',
    logger: options.logger,
    routes: [
      {
        method: 'GET',
        path: '/gewerberegister/v1/betriebe',
        handler: ({ query }) => {
          const ids = query.get('gewerbebetriebID');
          if (ids !== null) {
            const list = ids.split(',').filter(Boolean);
            if (list.length > GEWERBE_MAX_BATCH) return problem(400, `at most ${GEWERBE_MAX_BATCH} ids per request`);
            const betriebe = list.map((id) => betriebById(id)).filter((b) => b !== undefined);
            return { body: { anzahlGesamt: betriebe.length, offset: 0, limit: list.length, betriebe }, headers: CACHE };
          }
          const ags = query.get('gemeindeSchluessel');
          if (ags === null || !/^\d{8}$/.test(ags)) return problem(400, 'gemeindeSchluessel (8 digits) or gewerbebetriebID is required');
          if (!served.has(ags)) return problem(404, `no trade register for Gemeinde ${ags}`);
          const status = query.get('status');
          if (status !== null && status !== 'aktiv' && status !== 'abgemeldet') return problem(400, 'status must be aktiv or abgemeldet');
          const taetigkeit = query.get('taetigkeit')?.normalize('NFC').trim().toLocaleLowerCase('de') || null;
          const offset = intParam(query.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER);
          const limit = intParam(query.get('limit'), 50, 1, GEWERBE_MAX_LIMIT);
          const matches = betriebeOf(ags).filter(
            (b) =>
              (status === null || b.status === status) &&
              (taetigkeit === null ||
                b.taetigkeit.taetigkeitSchwerpunkt.toLocaleLowerCase('de').includes(taetigkeit) ||
                b.taetigkeit.stichwort.toLocaleLowerCase('de').includes(taetigkeit)),
          );
          return {
            body: { anzahlGesamt: matches.length, offset, limit, betriebe: matches.slice(offset, offset + limit) },
            headers: CACHE,
          };
        },
      },
      {
        method: 'GET',
        path: '/gewerberegister/v1/betriebe/:id',
        handler: ({ params }) => {
          const betrieb = betriebById(params.id!);
          return betrieb ? { body: betrieb, headers: CACHE } : problem(404, `no business with id ${params.id}`);
        },
      },
    ],
  });
}
