import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { RequestOptions } from '../lib/rest';
import { assertAgs } from '../lib/validate';
import type { WarnungenLoaders } from './loaders';
import { districtArs, type DashboardEntry, type NinaClient, type WarningDetail } from './rest-client';

export interface WarnungenContext {
  loaders: WarnungenLoaders;
  client: NinaClient;
  upstreamRequest: RequestOptions;
}

export type WarningSeverity = 'MINOR' | 'MODERATE' | 'SEVERE' | 'EXTREME' | 'UNKNOWN';

/** Ranks for `severityAtLeast`; UNKNOWN is not ranked (see the schema). */
const RANK: Record<Exclude<WarningSeverity, 'UNKNOWN'>, number> = { MINOR: 1, MODERATE: 2, SEVERE: 3, EXTREME: 4 };
const ORDER: Record<WarningSeverity, number> = { EXTREME: 0, SEVERE: 1, MODERATE: 2, MINOR: 3, UNKNOWN: 4 };

/** CAP severity ("Severe", "severe", …) → schema enum; anything else is UNKNOWN. */
export function toSeverity(value: string | undefined): WarningSeverity {
  const upper = (value ?? '').toUpperCase();
  return upper === 'MINOR' || upper === 'MODERATE' || upper === 'SEVERE' || upper === 'EXTREME' ? upper : 'UNKNOWN';
}

/** Warning as resolved here: the dashboard's fields under the schema's names. */
export interface WarningModel {
  id: string;
  headline: string;
  severity: WarningSeverity;
  type: string;
  provider: string;
  sent: string;
  event: string | null;
}

export function toWarning(e: DashboardEntry): WarningModel {
  return {
    id: e.id,
    headline: e.payload.data.headline,
    severity: toSeverity(e.payload.data.severity),
    type: (e.payload.type ?? e.payload.data.msgType ?? 'ALERT').toUpperCase(),
    provider: e.payload.data.provider,
    sent: e.sent,
    event: e.payload.data.transKeys?.event ?? null,
  };
}

/** The German info block of a CAP detail (the first one when none is marked German). */
function germanInfo(detail: WarningDetail | null) {
  if (!detail) return null;
  return detail.info.find((i) => i.language?.toLowerCase().startsWith('de')) ?? detail.info[0] ?? null;
}

export function passesThreshold(severity: WarningSeverity, atLeast: WarningSeverity | null | undefined): boolean {
  if (!atLeast || atLeast === 'UNKNOWN' || severity === 'UNKNOWN') return true;
  return RANK[severity] >= RANK[atLeast];
}

export const resolvers: GraphQLResolverMap<WarnungenContext> = {
  Municipality: {
    // No upstream call just to resolve the key; the ags is validated where it is used.
    __resolveReference: (ref: { ags: string }) => ({ ags: ref.ags }),
    warnings: async (
      m: { ags: string },
      args: { severityAtLeast?: WarningSeverity | null },
      ctx: WarnungenContext,
    ): Promise<WarningModel[]> => {
      const ags = assertAgs(String(m.ags ?? ''), 'ags');
      const entries = await ctx.loaders.dashboard.load(districtArs(ags));
      // 404: NINA has no document for this key, i.e. no warnings known for it.
      const warnings = (entries ?? []).map(toWarning).filter((w) => passesThreshold(w.severity, args.severityAtLeast));
      return warnings
        .map((w, index) => ({ w, index, time: Date.parse(w.sent) }))
        .sort(
          (a, b) =>
            ORDER[a.w.severity] - ORDER[b.w.severity] ||
            (Number.isNaN(b.time) || Number.isNaN(a.time) ? 0 : b.time - a.time) ||
            a.index - b.index,
        )
        .map(({ w }) => w);
    },
  },
  Warning: {
    description: async (w: WarningModel, _: unknown, ctx: WarnungenContext) =>
      germanInfo(await ctx.loaders.detail.load(w.id))?.description ?? null,
    instruction: async (w: WarningModel, _: unknown, ctx: WarnungenContext) =>
      germanInfo(await ctx.loaders.detail.load(w.id))?.instruction ?? null,
  },
};
