import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { z } from 'zod';
import { amtsError } from '../../common/errors';
import type { RequestOptions } from '../lib/rest';
import { assertFirst } from '../lib/validate';
import type { AbfallLoaders } from './loaders';
import type { AbfallnaviClient, Fraktion, Strasse } from './rest-client';

export const SUBGRAPH = 'abfall';
const WHERE = { subgraph: SUBGRAPH, upstream: 'abfallnavi' };

export interface AbfallContext {
  loaders: AbfallLoaders;
  client: AbfallnaviClient;
  upstreamRequest: RequestOptions;
}

/** Where a municipality's waste calendar lives: abfallnavi service and Ort name. */
export interface ServiceEntry {
  ags: string;
  service: string;
  ort: string;
}

const configSchema = z.object({
  municipalities: z.array(
    z.object({ ags: z.string().regex(/^\d{8}$/), service: z.string().regex(/^[a-z0-9-]+$/), ort: z.string().min(1) }),
  ),
});

/** Reads the committed AGS → service map (abfallnavi-services.json). */
export function loadServiceMap(file = path.join(__dirname, 'abfallnavi-services.json')): Map<string, ServiceEntry> {
  const config = configSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  return new Map(config.municipalities.map((m) => [m.ags, m]));
}

const SERVICE_MAP = loadServiceMap();

export const MAX_CALENDAR_DAYS = 400;
const MAX_STREETS = 500;
const DAY_MS = 86_400_000;

function assertIsoDate(value: string, argumentName: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw amtsError('BAD_USER_INPUT', `${argumentName} must be an ISO date YYYY-MM-DD such as "2026-01-01", received "${value.slice(0, 40)}"`, {
      argumentName,
    });
  }
  return ms;
}

function assertRange(from: string, to: string): void {
  const start = assertIsoDate(from, 'from');
  const end = assertIsoDate(to, 'to');
  if (end < start) throw amtsError('BAD_USER_INPUT', `to (${to}) must not be before from (${from})`, { argumentName: 'to' });
  if ((end - start) / DAY_MS > MAX_CALENDAR_DAYS) {
    throw amtsError('BAD_USER_INPUT', `from and to may be at most ${MAX_CALENDAR_DAYS} days apart, received ${from} to ${to}`, {
      argumentName: 'to',
    });
  }
}

/** "Bahnhofstr." / "bahnhof strasse" / "Bahnhofstraße" → "bahnhofstraße". */
export function normalizeStreet(name: string): string {
  return name
    .toLocaleLowerCase('de')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/str\.$/, 'straße')
    .replace(/str\. /g, 'straße ')
    .replace(/strasse\b/g, 'straße');
}

const normalizeHouseNumber = (nr: string) => nr.toLocaleLowerCase('de').replace(/\s+/g, '');

function configurationError(message: string) {
  return amtsError('DOWNSTREAM_SERVICE_ERROR', `abfallnavi (behind subgraph ${SUBGRAPH}): ${message}`, WHERE);
}

const toFraction = (f: Fraktion) => ({ id: String(f.id), name: f.name, color: f.farbeRgb ? `#${f.farbeRgb}` : null });

async function fraktionen(ctx: AbfallContext, entry: ServiceEntry): Promise<Fraktion[]> {
  const list = await ctx.loaders.fraktionen.load(entry.service);
  if (!list) throw configurationError(`service "${entry.service}" is unknown upstream`);
  return list;
}

/** The Ort's streets, found via the service's Orte by name (ids may change over time). */
async function streetsOf(ctx: AbfallContext, entry: ServiceEntry): Promise<{ ortName: string; strassen: Strasse[] }> {
  const orte = await ctx.loaders.orte.load(entry.service);
  if (!orte) throw configurationError(`service "${entry.service}" is unknown upstream`);
  const ort = orte.find((o) => o.name === entry.ort);
  if (!ort) throw configurationError(`service "${entry.service}" has no Ort "${entry.ort}"`);
  const strassen = await ctx.loaders.strassen.load({ service: entry.service, ortId: ort.id });
  if (!strassen) throw configurationError(`service "${entry.service}" has no streets for Ort "${entry.ort}"`);
  return { ortName: ort.name, strassen };
}

interface MunicipalityRef {
  ags: string;
}

export const resolvers: GraphQLResolverMap<AbfallContext> = {
  Municipality: {
    __resolveReference: (ref: MunicipalityRef) => ({ ags: ref.ags }),
    wasteCalendar: async (
      m: MunicipalityRef,
      args: { street: string; houseNumber?: string | null; from: string; to: string },
      ctx: AbfallContext,
    ) => {
      assertRange(args.from, args.to);
      const entry = SERVICE_MAP.get(m.ags);
      if (!entry) return null;
      const [{ ortName, strassen }, fractions] = await Promise.all([streetsOf(ctx, entry), fraktionen(ctx, entry)]);
      const wanted = normalizeStreet(args.street);
      const street = strassen.find((s) => normalizeStreet(s.name) === wanted);
      if (!street) {
        throw amtsError('BAD_USER_INPUT', `street "${args.street.slice(0, 80)}" is not in the waste calendar of ${ortName}; see wasteStreets`, {
          argumentName: 'street',
        });
      }
      let target: { target: 'strassen' | 'hausnummern'; id: number } = { target: 'strassen', id: street.id };
      if (args.houseNumber !== null && args.houseNumber !== undefined) {
        const detail = await ctx.loaders.strasse.load({ service: entry.service, strassenId: street.id });
        const wantedNr = normalizeHouseNumber(args.houseNumber);
        const house = detail?.hausNrList?.find((h) => normalizeHouseNumber(h.nr) === wantedNr);
        if (!house) {
          throw amtsError(
            'BAD_USER_INPUT',
            `house number "${args.houseNumber.slice(0, 20)}" is not known for ${street.name} in ${ortName}; see wasteStreets { houseNumbers }`,
            { argumentName: 'houseNumber' },
          );
        }
        target = { target: 'hausnummern', id: house.id };
      }
      const byId = new Map(fractions.map((f) => [f.id, f]));
      const termine = await ctx.loaders.termine.load({ service: entry.service, ...target, fraktionIds: fractions.map((f) => f.id) });
      if (!termine) throw configurationError(`${target.target} ${target.id} vanished upstream`);
      return termine
        .filter((t) => t.datum >= args.from && t.datum <= args.to)
        .map((t) => {
          const known = byId.get(t.bezirk.fraktionId);
          const details = known ? toFraction(known) : { id: String(t.bezirk.fraktionId), name: `Fraktion ${t.bezirk.fraktionId}`, color: null };
          return { date: t.datum, fraction: details.name, fractionDetails: details, collectionDistrict: t.bezirk.name ?? null };
        })
        .sort((a, b) => a.date.localeCompare(b.date) || a.fraction.localeCompare(b.fraction, 'de'));
    },
    wasteStreets: async (m: MunicipalityRef, args: { nameContains?: string | null; first: number }, ctx: AbfallContext) => {
      const first = assertFirst(args.first, MAX_STREETS);
      const entry = SERVICE_MAP.get(m.ags);
      if (!entry) return null;
      const { ortName, strassen } = await streetsOf(ctx, entry);
      const part = args.nameContains ? args.nameContains.toLocaleLowerCase('de') : null;
      return strassen
        .filter((s) => !part || s.name.toLocaleLowerCase('de').includes(part))
        .slice(0, first)
        .map((s) => ({ service: entry.service, id: s.id, name: s.name, locality: s.ort?.name ?? ortName }));
    },
    wasteFractions: async (m: MunicipalityRef, _: unknown, ctx: AbfallContext) => {
      const entry = SERVICE_MAP.get(m.ags);
      if (!entry) return null;
      return (await fraktionen(ctx, entry)).map(toFraction);
    },
  },
  WasteStreet: {
    houseNumbers: async (s: { service: string; id: number }, _: unknown, ctx: AbfallContext) => {
      const detail = await ctx.loaders.strasse.load({ service: s.service, strassenId: s.id });
      return (detail?.hausNrList ?? []).map((h) => h.nr);
    },
  },
};
