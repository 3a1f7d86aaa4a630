import DataLoader from 'dataloader';
import { amtsError } from '../../common/errors';
import type { RequestOptions } from '../lib/rest';
import { OPARL_MAX_LIMIT, organizationSchema, bodySchema, type OparlBody, type OparlClient, type OparlListPage, type OparlOrganization } from './rest-client';

/**
 * Per-request loaders.
 *
 * - The System object and the body list are fetched once per request, however many
 *   municipalities ask for their council (OParl has no look-up by AGS: bodies are matched on
 *   their `ags` field). With 100 bodies a page that is 2 upstream requests for a typical system.
 * - A council's organization list is fetched once per request and shared by all meetings
 *   that name its organizations; organizations missing from it are fetched by URL,
 *   de-duplicated.
 */
export interface RatsinfoLoaders {
  bodyByAgs: DataLoader<string, OparlBody | null>;
  organizationList: DataLoader<string, Map<string, OparlOrganization>>;
  organization: DataLoader<string, OparlOrganization | null>;
}

/** Upper bound of pages read from one list, so a looping `links.next` cannot run away. */
export const MAX_PAGES_PER_LIST = 50;

function loopGuard(pages: number): void {
  if (pages > MAX_PAGES_PER_LIST) {
    throw amtsError('DOWNSTREAM_SERVICE_ERROR', `oparl (behind subgraph ratsinfo): a list has more than ${MAX_PAGES_PER_LIST} pages`, {
      subgraph: 'ratsinfo',
      upstream: 'oparl',
    });
  }
}

export function createLoaders(client: OparlClient, req: RequestOptions): RatsinfoLoaders {
  let bodies: Promise<Map<string, OparlBody>> | null = null;
  const allBodies = () =>
    (bodies ??= (async () => {
      const byAgs = new Map<string, OparlBody>();
      const system = await client.system(req);
      if (!system) return byAgs;
      let next: string | undefined = system.body;
      for (let pages = 1; next; pages++) {
        loopGuard(pages);
        const page: OparlListPage<OparlBody> | null = await client.listPage(next, bodySchema, req, OPARL_MAX_LIMIT);
        if (!page) break;
        for (const body of page.data) if (body.ags && !body.deleted && !byAgs.has(body.ags)) byAgs.set(body.ags, body);
        next = page.links?.next;
      }
      return byAgs;
    })());

  const loadOrganizationList = async (listUrl: string) => {
    const byId = new Map<string, OparlOrganization>();
    let next: string | undefined = listUrl;
    for (let pages = 1; next; pages++) {
      loopGuard(pages);
      const page: OparlListPage<OparlOrganization> | null = await client.listPage(next, organizationSchema, req, OPARL_MAX_LIMIT);
      if (!page) break;
      for (const org of page.data) if (!org.deleted) byId.set(org.id, org);
      next = page.links?.next;
    }
    return byId;
  };

  return {
    bodyByAgs: new DataLoader(async (keys) => {
      const map = await allBodies();
      return keys.map((ags) => map.get(ags) ?? null);
    }),
    organizationList: new DataLoader((keys) => Promise.all(keys.map(loadOrganizationList))),
    organization: new DataLoader((keys) =>
      Promise.all(keys.map(async (id) => {
        const org = await client.object(id, organizationSchema, req);
        return org && !org.deleted ? org : null;
      })),
    ),
  };
}
