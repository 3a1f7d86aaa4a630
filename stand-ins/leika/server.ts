import type { Logger } from '../../common/logger';
import { createStandIn, intParam, type StandIn } from '../lib/stand-in';
import { finanzamtOf, loadLeikaData, type RegisterGemeinde } from './data';
import { responsibleAuthority, toRoute } from './routing';
import { problem, problemDetails } from '../lib/problem';

/**
 * Stand-in for a state-level service platform with three parts (contract: openapi.yaml):
 *
 * - `/v1/leistungen` — the LeiKa/OZG service catalogue (KDN OZG-Datenbank NRW extract),
 *   single look-up, batch by `schluessel=` (at most 100) and search by name;
 * - `/routes` — routing after the FIT-Connect Routingdienst contract (FITKO, routing-api 2.0.0):
 *   `leikaKey` plus exactly one of `ags`/`ars`/`areaId`, `route-result` body, RFC 7807 errors;
 *   the responsible authority comes from the deterministic rule in routing.ts;
 * - `/v1/finanzaemter` — the responsible tax office per municipality (GV100AD Finanzamtsbezirk
 *   joined with the ERiC list), batch by `ags=` (at most 100) and look-up by BUFA number.
 */
export const LEIKA_MAX_BATCH = 100;
const CATALOGUE_MAX_AGE = 86_400;
const ROUTES_MAX_AGE = 3_600;

const LEIKA_KEY = /^\d{14}$/;
const ROUTE_LEIKA_KEY = /^99\d{12}$/;
const AGS_PARAM = /^(\d{2}|\d{3}|\d{5}|\d{8})$/;
const ARS_PARAM = /^(\d{2}|\d{3}|\d{5}|\d{9}|\d{12})$/;
const AREA_ID = /^\d+$/;

export function createLeikaStandIn(options: { logger?: Logger } = {}): StandIn {
  const data = loadLeikaData();

  /** Municipalities of an area key; prefixes select Land, Regierungsbezirk, Kreis or Verband. */
  const membersOf = (param: 'ags' | 'ars', key: string): RegisterGemeinde[] => {
    if (param === 'ags' && key.length === 8) return [data.gemeindeByAgs.get(key)].filter((g) => g !== undefined);
    if (param === 'ars' && key.length === 12) {
      const gemeinde = data.gemeindeByArs.get(key);
      if (gemeinde) return [gemeinde];
      // Kreis and Land keys padded to 12 digits with zeros, as e.g. NINA uses them.
      if (key.endsWith('0000000000')) key = key.slice(0, 2);
      else if (key.endsWith('0000000')) key = key.slice(0, 5);
      else return [];
    }
    return data.gemeinden.filter((g) => (param === 'ags' ? g.ags : g.ars).startsWith(key));
  };

  return createStandIn({
    ...problemDetails,
    name: 'leika',
    logger: options.logger,
    routes: [
      {
        method: 'GET',
        path: '/v1/leistungen',
        handler: ({ query }) => {
          const keys = query.get('schluessel');
          if (keys !== null) {
            const list = keys.split(',').filter(Boolean);
            if (list.length > LEIKA_MAX_BATCH) return problem(400, `at most ${LEIKA_MAX_BATCH} keys per request`);
            const items = list.map((k) => data.leistungByKey.get(k)).filter((l) => l !== undefined);
            return { body: { total: items.length, offset: 0, limit: list.length, items }, maxAge: CATALOGUE_MAX_AGE };
          }
          const suche = query.get('suche')?.normalize('NFC').trim().toLocaleLowerCase('de');
          const offset = intParam(query.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER);
          const limit = intParam(query.get('limit'), 50, 1, 500);
          const matches = suche
            ? data.leistungen.filter((l) => l.name.toLocaleLowerCase('de').includes(suche))
            : data.leistungen;
          return {
            body: { total: matches.length, offset, limit, items: matches.slice(offset, offset + limit) },
            maxAge: CATALOGUE_MAX_AGE,
          };
        },
      },
      {
        method: 'GET',
        path: '/v1/leistungen/:leikaKey',
        handler: ({ params }) => {
          const key = params.leikaKey!;
          if (!LEIKA_KEY.test(key)) return problem(400, 'leikaKey must be a 14-digit LeiKa key');
          const leistung = data.leistungByKey.get(key);
          return leistung ? { body: leistung, maxAge: CATALOGUE_MAX_AGE } : problem(404, `no Leistung with key ${key}`);
        },
      },
      {
        method: 'GET',
        path: '/routes',
        handler: ({ query }) => {
          const leikaKey = query.get('leikaKey');
          if (leikaKey === null) return problem(400, 'parameter leikaKey is required');
          if (!ROUTE_LEIKA_KEY.test(leikaKey)) return problem(400, 'leikaKey must match ^99\\d{12}$');
          const areaParams = (['ags', 'ars', 'areaId'] as const).filter((p) => query.get(p) !== null);
          if (areaParams.length !== 1) {
            return problem(400, 'exactly one area parameter (ags, ars or areaId) must be set');
          }
          const areaParam = areaParams[0]!;
          const areaKey = query.get(areaParam)!;
          if (areaParam === 'ags' && !AGS_PARAM.test(areaKey)) return problem(400, 'ags must match ^(\\d{2}|\\d{3}|\\d{5}|\\d{8})$');
          if (areaParam === 'ars' && !ARS_PARAM.test(areaKey)) {
            return problem(400, 'ars must match ^(\\d{2}|\\d{3}|\\d{5}|\\d{9}|\\d{12})$');
          }
          if (areaParam === 'areaId' && !AREA_ID.test(areaKey)) return problem(400, 'areaId must match ^\\d{1,}');
          const offsetRaw = query.get('offset');
          const limitRaw = query.get('limit');
          const offset = offsetRaw === null ? 0 : Number(offsetRaw);
          const limit = limitRaw === null ? 100 : Number(limitRaw);
          if (!Number.isInteger(offset) || offset < 0) return problem(400, 'offset must be an integer >= 0');
          if (!Number.isInteger(limit) || limit < 1 || limit > 500) return problem(400, 'limit must be an integer from 1 to 500');

          const leistung = data.leistungByKey.get(leikaKey);
          // The stand-in has no area ids of its own (/areas is not imitated): areaId finds nothing.
          const members = leistung && areaParam !== 'areaId' ? membersOf(areaParam, areaKey) : [];
          const routes = new Map<string, ReturnType<typeof toRoute>>();
          for (const gemeinde of members) {
            const authority = responsibleAuthority(data, leistung!, gemeinde);
            if (!authority) continue;
            // Names repeat across Germany ("Gemeinde Neunkirchen"); the served area tells them apart.
            const key = `${authority.areaArs}:${authority.name}`;
            if (!routes.has(key)) routes.set(key, toRoute(authority, leistung!));
          }
          const all = [...routes.values()];
          const page = all.slice(offset, offset + limit);
          return {
            body: { count: page.length, offset, totalCount: all.length, routes: page },
            maxAge: ROUTES_MAX_AGE,
          };
        },
      },
      {
        method: 'GET',
        path: '/info',
        handler: () => ({ body: { version: { major: 2, minor: 0, patch: 0 } }, maxAge: CATALOGUE_MAX_AGE }),
      },
      {
        method: 'GET',
        path: '/v1/finanzaemter',
        handler: ({ query }) => {
          const keys = query.get('ags');
          if (keys === null) return problem(400, 'parameter ags is required (comma-separated list of 8-digit AGS)');
          const list = keys.split(',').filter(Boolean);
          if (list.length > LEIKA_MAX_BATCH) return problem(400, `at most ${LEIKA_MAX_BATCH} keys per request`);
          const items = [];
          for (const ags of list) {
            const gemeinde = data.gemeindeByAgs.get(ags);
            const amt = gemeinde ? finanzamtOf(data, gemeinde) : null;
            if (gemeinde && amt) items.push({ ags, finanzamtNummerGv100ad: gemeinde.finanzamtCode, ...amt });
          }
          return { body: { total: items.length, offset: 0, limit: list.length, items }, maxAge: CATALOGUE_MAX_AGE };
        },
      },
      {
        method: 'GET',
        path: '/v1/finanzaemter/:bufaNr',
        handler: ({ params }) => {
          const bufaNr = params.bufaNr!;
          if (!/^\d{4}$/.test(bufaNr)) return problem(400, 'bufaNr must be a 4-digit Bundesfinanzamtsnummer');
          const amt = data.finanzaemter.get(bufaNr);
          return amt ? { body: amt, maxAge: CATALOGUE_MAX_AGE } : problem(404, `no Finanzamt with number ${bufaNr}`);
        },
      },
    ],
  });
}
