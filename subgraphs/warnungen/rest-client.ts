import { z } from 'zod';
import { createRestTransport, type RequestOptions, type RestTransportOptions } from '../lib/rest';

/**
 * Typed client for the NINA warnings API (stand-ins/nina/openapi.yaml; the real service is
 * https://warnung.bund.de/api31). HTTP status → error code mapping lives in ../lib/rest.ts.
 * Schemas check what this subgraph reads and let other fields pass.
 */
export const dashboardEntrySchema = z.object({
  id: z.string(),
  payload: z.object({
    type: z.string().optional(),
    id: z.string().optional(),
    data: z.object({
      headline: z.string(),
      provider: z.string(),
      severity: z.string().optional(),
      msgType: z.string().optional(),
      transKeys: z.object({ event: z.string().optional() }).partial().optional(),
    }),
  }),
  sent: z.string(),
});
export type DashboardEntry = z.infer<typeof dashboardEntrySchema>;
export const dashboardSchema = z.array(dashboardEntrySchema);

export const warningDetailSchema = z.object({
  identifier: z.string(),
  info: z.array(
    z.object({
      language: z.string().optional(),
      headline: z.string().optional(),
      description: z.string().optional(),
      instruction: z.string().optional(),
    }),
  ),
});
export type WarningDetail = z.infer<typeof warningDetailSchema>;

/** Dashboard key: NINA serves data per district, so the ARS is the district key + "0000000". */
export function districtArs(ags: string): string {
  return `${ags.slice(0, 5)}0000000`;
}

export type NinaClient = ReturnType<typeof createNinaClient>;

export function createNinaClient(options: Omit<RestTransportOptions, 'upstream'>) {
  const http = createRestTransport({ ...options, upstream: 'nina' });
  return {
    /** Current warnings of a district; `null` when NINA has no document for the key (404). */
    dashboard: (ars: string, req?: RequestOptions): Promise<DashboardEntry[] | null> =>
      http.getJson(`/api31/dashboard/${encodeURIComponent(ars)}.json`, dashboardSchema, req),
    /** CAP detail of one warning; `null` when it no longer exists (404). */
    warning: (id: string, req?: RequestOptions): Promise<WarningDetail | null> =>
      http.getJson(`/api31/warnings/${encodeURIComponent(id)}.json`, warningDetailSchema, req),
    close: () => http.close(),
  };
}
